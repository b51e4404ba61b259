import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { EncryptionCodec, newKeyRingSpec, parseKeyRing } from '../../infra/payload-codec.ts';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Express } from 'express';
import request from 'supertest';
import { createApp } from '../../api/app.ts';
import { apiMetricsOf } from '../../api/metrics.ts';
import { tracing } from '../../infra/tracing.ts';
import { loadConfig, type Config } from '../../common/config.ts';
import { createLogger } from '../../common/logger.ts';
import { seedDemo } from '../../db/demo.ts';
import { listenForKeyChanges, type KeyChangeFeed } from '../../db/key-changes.ts';
import { until } from '../../infra/waiting.ts';
import { ensureSearchAttributes } from '../../infra/search-attributes.ts';
import { LOCAL_PROVIDERS } from '../../common/config.ts';
import { createProviders } from '../../providers/index.ts';
import { createWorkerGroup, type WorkerGroup } from '../../worker/worker.ts';
import { startWebhookRelay } from '../../worker/webhook-relay.ts';
import type { ActivityDeps } from '../../activities/index.ts';
import type { ApiDeps } from '../../api/context.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';
import { devServerEnvironment, workflowBundle } from './temporal.ts';

export type Demo = Awaited<ReturnType<typeof seedDemo>>;

export interface Stack {
  app: Express;
  config: Config;
  database: TestDatabase;
  env: TestWorkflowEnvironment;
  client: Client;
  codec: EncryptionCodec;
  demo: Demo;
  secrets: { paymentWebhook: string; linkToken: string; demoSeed: string; payloadKeys: string };
  logLines: string[];
  /** The API's feed of API key changes (its verifier hears each notice before later subscribers). */
  keyChanges: KeyChangeFeed;
  /** The API's parts, for a second app or the services alone (a different config, an unreachable Temporal …). */
  apiDeps(overrides?: Partial<ApiDeps>): ApiDeps;
  startWorker(deps?: Partial<ActivityDeps>): Promise<WorkerGroup>;
  /** The running workers (one per task queue), if any. */
  workers(): WorkerGroup | undefined;
  stopWorker(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The real thing for end-to-end tests: the API app, a worker on the Temporal dev server, and a
 * freshly migrated PostgreSQL database with the demo data. Each file gets its own task queue.
 */
export async function startStack(label: string, env: Record<string, string> = {}, options: { worker?: boolean } = {}): Promise<Stack> {
  const dataDir = mkdtempSync(path.join(tmpdir(), `csp-${label}-`));
  const secrets = { paymentWebhook: randomBytes(24).toString('hex'), linkToken: randomBytes(32).toString('hex'), demoSeed: randomBytes(16).toString('hex'), payloadKeys: newKeyRingSpec() };
  const config = loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    PAYMENT_WEBHOOK_SECRET: secrets.paymentWebhook,
    LINK_TOKEN_SECRET: secrets.linkToken,
    TEMPORAL_TASK_QUEUE: `${label}-${randomBytes(4).toString('hex')}`,
    RATE_LIMIT_PER_MINUTE: '100000',
    PUBLIC_BASE_URL: 'http://csp.test',
    ...env,
  });
  const [database, temporalEnv] = await Promise.all([createTestDatabase(label), devServerEnvironment()]);
  await ensureSearchAttributes(temporalEnv.connection, temporalEnv.namespace ?? 'default');
  const demo = await seedDemo(database.db, secrets.demoSeed);
  const logLines: string[] = [];
  const logger = createLogger({
    level: 'info',
    destination: { write: (line: string) => (logLines.push(line), true) } as unknown as NodeJS.WritableStream,
  });
  const codec = new EncryptionCodec(parseKeyRing(secrets.payloadKeys));
  // The API and the worker encrypt payloads as in production; `client` decodes them too. Over the
  // native connection, as the API's client in production (infra/temporal-connection.ts).
  const client = new Client({ connection: temporalEnv.nativeConnection, namespace: temporalEnv.namespace ?? 'default', dataConverter: { payloadCodecs: [codec] }, interceptors: tracing()?.clientInterceptors });
  // As in production: verified keys are remembered until the database's change notice.
  const keyChanges = listenForKeyChanges(database.url, logger);
  await until('API key change feed live', async () => keyChanges.live, 10_000);
  const app = createApp({ config, db: database.db, temporal: client, logger, secrets, metrics: apiMetricsOf({ config, db: database.db, temporal: client }), codec, keyChanges, onAnswered: recordAnswer });

  let worker: WorkerGroup | undefined;
  let running: Promise<void> | undefined;
  let relay: { stop(): Promise<void> } | undefined;
  const stack: Stack = {
    app,
    config,
    database,
    env: temporalEnv,
    client,
    codec,
    demo,
    secrets,
    logLines,
    keyChanges,
    apiDeps: (overrides = {}) => ({
      config,
      db: database.db,
      temporal: client,
      logger: createLogger({ level: 'silent' }),
      secrets,
      metrics: apiMetricsOf({ config, db: database.db, temporal: client }),
      codec,
      onAnswered: recordAnswer,
      ...overrides,
    }),
    async startWorker(deps = {}) {
      worker = await createWorkerGroup({
        connection: temporalEnv.nativeConnection,
        namespace: temporalEnv.namespace ?? 'default',
        taskQueue: config.temporal.taskQueue,
        deps: { db: database.db, ...createProviders({ providers: LOCAL_PROVIDERS }, database.db), webhooks: { keyRing: parseKeyRing(secrets.payloadKeys), settings: config.webhooks }, ...deps },
        workflowBundle: await workflowBundle(),
        codec,
      });
      running = worker.run();
      // As in production, the worker's relay wakes webhook endpoints when their outbox fills.
      relay = startWebhookRelay({ databaseUrl: database.url, db: database.db, client, taskQueue: config.temporal.taskQueue, logger: createLogger({ level: 'silent' }) }, 2_000);
      return worker;
    },
    workers: () => worker,
    async stopWorker() {
      await relay?.stop();
      relay = undefined;
      worker?.shutdown();
      await running;
      worker = undefined;
    },
    async close() {
      await stack.stopWorker();
      await keyChanges.close();
      await temporalEnv.teardown();
      await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  if (options.worker !== false) await stack.startWorker();
  return stack;
}

/**
 * Every answer the suite's apps give is appended to API_STATUS_LOG (set by scripts/test.ts), so the
 * contract test can check that each status a route answered is in the OpenAPI document.
 */
export function recordAnswer(method: string, route: string, status: number): void {
  const file = process.env.API_STATUS_LOG;
  if (file) appendFileSync(file, `${method.toLowerCase()} ${route} ${status}\n`);
}

export const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

export interface ActiveOrder {
  orderId: string;
  subscriptions: string[];
  status: string;
}

/** Places an order through the API and waits until its workflow has made it active. */
export async function activeOrder(
  stack: Stack,
  key: string,
  customerId: string,
  lineItems: { productId: string; quantity: number }[],
  timeoutMs = 20_000,
): Promise<ActiveOrder> {
  const created = await request(stack.app).post(`/v1/customers/${customerId}/orders`).set(bearer(key)).send({ lineItems, paymentMethod: 'pm_card_ok' });
  if (created.status !== 202) throw new Error(`order refused: ${created.status} ${JSON.stringify(created.body)}`);
  return eventually(
    async () => (await request(stack.app).get(`/v1/orders/${created.body.orderId}`).set(bearer(key))).body as ActiveOrder,
    (o) => o.status === 'active',
    timeoutMs,
  );
}

/** A complete, valid cancellation ticket (PRODUCT.md's fields); tests override what they exercise. */
export function cancellationTicket(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    refundReason: 'The customer ordered the wrong edition',
    amountRequested: { amount: '1.00', currency: 'USD' },
    impact: 'medium',
    title: 'Refund request',
    contact: { name: 'Ana Trujillo', email: 'ana@example.com', phone: '+1 425 555 0100' },
    ...overrides,
  };
}

/** The secret part of `csp_<prefix>_<secret>`; the secret is base64url and may itself contain `_`. */
export const apiKeySecret = (key: string) => /^csp_[a-f0-9]{16}_(.{43})$/.exec(key)![1]!;

/** Polls `fn` until `until` holds (end-to-end tests wait for real workflows, never a fixed sleep). */
export async function eventually<T>(fn: () => Promise<T>, until: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (until(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
