import { randomBytes } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { newKeyRingSpec } from '../../infra/payload-codec.ts';

/** The environment `npm run api` and `npm run worker` need, for a test that runs them as processes. */
export function serviceEnv(options: { dataDir: string; databaseUrl: string; env: TestWorkflowEnvironment; taskQueue: string; keyRing?: string }): Record<string, string> {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    DATA_DIR: options.dataDir,
    DATABASE_URL: options.databaseUrl,
    TEMPORAL_ADDRESS: options.env.address,
    TEMPORAL_NAMESPACE: options.env.namespace ?? 'default',
    TEMPORAL_TASK_QUEUE: options.taskQueue,
    PAYMENT_WEBHOOK_SECRET: randomBytes(24).toString('hex'),
    LINK_TOKEN_SECRET: randomBytes(32).toString('hex'),
    PAYLOAD_ENCRYPTION_KEYS: options.keyRing ?? newKeyRingSpec(),
  };
}
