// The stack `npm run bench` measures, and what its scenarios (bench/scenarios/) share: the API and
// the worker as their own processes (as in production), the bare-HTTP control, the raw-SDK
// baselines' worker, and the helpers that buy software and time jobs.
import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@temporalio/client';
import type { OrderInput } from '../common/domain.ts';
import { workflowIds } from '../common/ids.ts';
import { createDb, type Db } from '../db/client.ts';
import { seedDemo } from '../db/demo.ts';
import { migrate } from '../db/migrate.ts';
import { ensureDatabase, startEmbeddedPostgres } from '../infra/embedded-postgres.ts';
import { EncryptionCodec, newKeyRingSpec, parseKeyRing } from '../infra/payload-codec.ts';
import { freePort } from '../infra/ports.ts';
import { startService, type ServiceProcess } from '../infra/processes.ts';
import { ensureSearchAttributes } from '../infra/search-attributes.ts';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { devServerCpuSeconds, startBenchDevServer } from './temporal.ts';
import { PROJECT_ROOT } from '../infra/paths.ts';
import { counterWorkflow } from './baseline-workflows.ts';

export const RESULTS_DIR = path.join(PROJECT_ROOT, 'bench', 'results');

// The scenarios' measuring helpers, kept where they have always been imported from.
import { pool } from './measure.ts';

/** A readiness check: the URL answers 200 (a refused connection is "not yet"). */
const answers200 = (url: string) => async () => {
  try {
    return (await fetch(url)).status === 200;
  } catch {
    return false;
  }
};

const ORDER_BODY = JSON.stringify({ lineItems: [{ productId: 'windows-server-2022-standard', quantity: 1 }], paymentMethod: 'pm_card_ok' });

export type Bench = Awaited<ReturnType<typeof startBenchStack>>;

/**
 * Starts everything a run needs, against DATABASE_URL / TEMPORAL_ADDRESS when set, else an
 * embedded PostgreSQL and a dev server of its own. `withBare` starts the bare-HTTP control too;
 * `profile` has the API and the worker write CPU profiles under `profileDir`.
 */
export async function startBenchStack(options: { cap: number; withBare: boolean; profile: boolean; temporalOnDisk: boolean }) {
  const scratch = mkdtempSync(path.join(tmpdir(), 'csp-bench-'));
  chmodSync(scratch, 0o755);
  const profileDir = path.join(scratch, 'profiles');
  let started = 0;
  // One folder per process: V8 writes a profile per thread (main, workflow threads, tsx's loader); each one that worked is summarised.
  const nodeArgs = (name: string) => (options.profile ? ['--cpu-prof', `--cpu-prof-dir=${path.join(profileDir, `${++started}-${name}`)}`] : []);
  let stopPg: (() => Promise<void>) | undefined;
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    const pg = await startEmbeddedPostgres({ dir: path.join(scratch, 'pg'), port: await freePort() });
    stopPg = pg.stop;
    adminUrl = pg.url;
  }
  const dbName = `bench_${randomBytes(4).toString('hex')}`;
  await ensureDatabase(adminUrl, dbName);
  const dbUrl = Object.assign(new URL(adminUrl), { pathname: `/${dbName}` }).toString();
  await migrate(dbUrl);
  const db: Db = createDb(dbUrl, { poolSize: 10 });
  mkdirSync(RESULTS_DIR, { recursive: true });
  const devServer = await startBenchDevServer({ resultsDir: RESULTS_DIR, scratch, onDisk: options.temporalOnDisk });
  const temporalAddress = process.env.TEMPORAL_ADDRESS ?? devServer!.address;
  const env = await TestWorkflowEnvironment.createFromExistingServer({ address: temporalAddress });
  const namespace = env.namespace ?? 'default';
  await ensureSearchAttributes(env.connection, namespace);
  const keyRing = newKeyRingSpec();
  const codec = new EncryptionCodec(parseKeyRing(keyRing));
  const taskQueue = `bench-${randomBytes(3).toString('hex')}`;
  const client = new Client({ connection: env.connection, namespace, dataConverter: { payloadCodecs: [codec] } });
  const demo = await seedDemo(db, randomBytes(16).toString('hex'));

  const sharedEnv = {
    NODE_ENV: 'production',
    // Loopback only: the bench's API may serve /metrics on its one port.
    ALLOW_PUBLIC_METRICS: 'true',
    LOG_LEVEL: 'warn',
    DATA_DIR: scratch,
    DATABASE_URL: dbUrl,
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_NAMESPACE: namespace,
    TEMPORAL_TASK_QUEUE: taskQueue,
    PAYMENT_WEBHOOK_SECRET: randomBytes(24).toString('hex'),
    LINK_TOKEN_SECRET: randomBytes(32).toString('hex'),
    PAYLOAD_ENCRYPTION_KEYS: keyRing,
    RATE_LIMIT_PER_MINUTE: '100000000',
    DOWNLOAD_LINK_MAX_DOWNLOADS: String(options.cap),
    HOST: '127.0.0.1',
    // Scenario 7's receiver listens on loopback.
    WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
  };

  async function startApiProcess(extra: Record<string, string> = {}): Promise<{ proc: ServiceProcess; base: string }> {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const proc = await startService('api/main.ts', { ...sharedEnv, ...extra, PORT: String(port), PUBLIC_BASE_URL: base }, answers200(`${base}/readyz`), nodeArgs('api'));
    return { proc, base };
  }
  // Ready once it polls the task queue for workflow tasks.
  const workerProc = await startService(
    'worker/main.ts',
    sharedEnv,
    async () => {
      const described = await client.workflowService.describeTaskQueue({ namespace, taskQueue: { name: taskQueue }, taskQueueType: 1 });
      return (described.pollers?.length ?? 0) > 0;
    },
    nodeArgs('worker'),
  );
  const api = await startApiProcess();

  // The control arms of scenarios 1 and 3 (bench/bare-starter.ts): the same job through the least HTTP service.
  const barePort = await freePort();
  const bareBase = `http://127.0.0.1:${barePort}`;
  const bare = options.withBare ? await startService('bench/bare-starter.ts', { ...sharedEnv, PORT: String(barePort) }, answers200(`${bareBase}/ready`), nodeArgs('bare-http')) : undefined;

  const baselineQueue = `${taskQueue}-baseline`;
  const baselineProc = await startService('bench/baseline-worker.ts', { ...sharedEnv, BASELINE_TASK_QUEUE: baselineQueue }, (output) => output.includes('baseline worker polling'), nodeArgs('baseline-worker'));

  const admin = demo.partners[0]!.apiKeys.admin_agent;
  const customer = demo.partners[0]!.customers[0]!;
  const headers = (key = randomUUID()) => ({ Authorization: `Bearer ${admin}`, 'Content-Type': 'application/json', 'Idempotency-Key': key });

  async function postOrder(body = ORDER_BODY, base = api.base): Promise<string> {
    const res = await fetch(`${base}/v1/customers/${customer.id}/orders`, { method: 'POST', headers: headers(), body });
    const json = (await res.json()) as { orderId?: string };
    if (res.status !== 202 || !json.orderId) throw new Error(`order POST answered ${res.status}: ${JSON.stringify(json)}`);
    return json.orderId;
  }

  return {
    db,
    client,
    taskQueue,
    baselineQueue,
    workerProc,
    /** The baselines' worker (bench/baseline-worker.ts): the service worker's settings, bare workflows. */
    baselineProc,
    /** The API under test; scenarios that need other settings restart it (restartApi). */
    api,
    bareBase,
    /** The bare-HTTP control's process, for its CPU beside the API's. */
    bareProc: bare,
    customer,
    partnerId: demo.partners[0]!.id,
    headers,
    postOrder,
    /** An operations agent's key, for the audit log. */
    operationsKey: demo.apiKeys.operations,
    /** The log of the run's own dev server, if it started one. */
    temporalLog: devServer?.logFile,
    /** The run's own dev server's CPU seconds so far (undefined against TEMPORAL_ADDRESS). */
    temporalCpuSeconds: () => devServerCpuSeconds(devServer),
    profileDir,

    /** A second API process with other settings, beside the one under test (the caller stops it). */
    startApiProcess,

    async restartApi(extra: Record<string, string>): Promise<void> {
      await api.proc.stop();
      Object.assign(api, await startApiProcess(extra));
    },

    /** How many activities an order's workflow runs, counted from the history of one placed now: the baselines' shape. */
    async activitiesPerOrder(): Promise<number> {
      const order = client.workflow.getHandle(workflowIds.order(await postOrder()));
      await order.result();
      return ((await order.fetchHistory()).events ?? []).filter((e) => e.activityTaskScheduledEventAttributes).length;
    },

    /** An order's workflow input, for starting the same workflow without the API. */
    rawOrderInput(): OrderInput {
      return {
        orderId: randomUUID(),
        partnerId: demo.partners[0]!.id,
        customerId: customer.id,
        paymentMethod: 'pm_card_ok',
        total: { amount: '1069.00', currency: 'USD' },
        lineItems: [{ lineItemId: randomUUID(), position: 1, productId: 'windows-server-2022-standard', quantity: 1, unitPrice: '1069.00' }],
        paymentConfirmationDeadlineMs: 72 * 3600_000,
      };
    },

    /** `count` active subscriptions, bought through the API in orders of up to 10 lines, `concurrency` orders at a time. */
    async newSubscriptions(count: number, concurrency: number): Promise<string[]> {
      const subs: string[] = [];
      await pool(Math.ceil(count / 10), concurrency, async (i) => {
        const lines = Math.min(10, count - i * 10);
        const orderId = await postOrder(JSON.stringify({ lineItems: Array.from({ length: lines }, () => ({ productId: 'sql-server-2022-standard', quantity: 1 })), paymentMethod: 'pm_card_ok' }));
        await client.workflow.getHandle(workflowIds.order(orderId)).result();
        subs.push(...(await db.softwareSubscription.findMany({ where: { orderId }, select: { id: true } })).map((s) => s.id));
      });
      return subs;
    },

    /** `count` counter workflows (capped at the download cap) on the baseline worker. */
    startCounters: (label: string, count: number) =>
      Promise.all(
        Array.from({ length: count }, (_, i) =>
          client.workflow.start(counterWorkflow, { taskQueue: baselineQueue, workflowId: `bench-${label}-${randomBytes(4).toString('hex')}-${i}`, args: [options.cap] }),
        ),
      ),

    /** Stops the API, the control and both workers (their CPU profiles are written as they exit). */
    async stopServices(): Promise<void> {
      await api.proc.stop();
      await bare?.stop();
      await workerProc.stop();
      await baselineProc.stop();
    },

    async teardown(): Promise<void> {
      await baselineProc.stop();
      await db.$disconnect();
      await env.teardown();
      await devServer?.stop();
      await stopPg?.();
    },
  };
}
