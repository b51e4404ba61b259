import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import type { Config } from '../common/config.ts';
import type { Logger } from '../common/logger.ts';
import type { Db } from '../db/client.ts';
import type { Caller } from './auth.ts';
import type { KeyChangeFeed } from '../db/key-changes.ts';
import type { ApiMetrics } from './metrics.ts';

export interface Secrets {
  paymentWebhook: string;
  linkToken: string;
  /** The payload encryption key ring, which also seals webhook endpoints' signing secrets. */
  payloadKeys: string;
}

export interface ApiDeps {
  config: Config;
  db: Db;
  temporal: Client;
  logger: Logger;
  secrets: Secrets;
  metrics: ApiMetrics;
  /** The payload codec, served to the Temporal Web UI as a codec server. */
  codec: PayloadCodec;
  /** Lets the API remember verified keys until the database says they changed (else each request reads its key). */
  keyChanges?: KeyChangeFeed;
  /** Told of every answer on a route (method, route path, status): the contract test records them. */
  onAnswered?: (method: string, route: string, status: number) => void;
  /** A rate-limit lease's life (LEASE.ms in api/rate-counts.ts); a test lengthens it so a lease outlives its steps on any machine. */
  rateLimitLeaseMs?: number;
}

declare module 'express-serve-static-core' {
  interface Locals {
    caller?: Caller;
    requestId?: string;
  }
}
