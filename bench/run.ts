// `npm run bench`: what the service costs on top of Temporal, measured side by side on one server.
//   --quick            a run of seconds (npm test could use it as a smoke test: exact counts only)
//   --orders N --concurrency C --links L
// Against DATABASE_URL / TEMPORAL_ADDRESS when set, else an embedded PostgreSQL and dev server.
// Prints a table and writes bench/results/<timestamp>.json.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { Client } from '@temporalio/client';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { createApp } from '../api/app.ts';
import { createApiMetrics } from '../api/metrics.ts';
import { loadConfig } from '../common/config.ts';
import type { PurchaseInput } from '../common/domain.ts';
import { createLogger } from '../common/logger.ts';
import { workflowIds } from '../common/messages.ts';
import { createDb } from '../db/client.ts';
import { seedDemo } from '../db/demo.ts';
import { migrate } from '../db/migrate.ts';
import { ensureDatabase, startEmbeddedPostgres } from '../infra/embedded-postgres.ts';
import { PROJECT_ROOT } from '../infra/paths.ts';
import { EncryptionCodec, newKeyRingSpec, parseKeyRing } from '../infra/payload-codec.ts';
import { freePort } from '../infra/ports.ts';
import { ensureSearchAttributes } from '../infra/search-attributes.ts';
import { createProviders } from '../providers/index.ts';
import { devServerEnvironment } from '../test/helpers/temporal.ts';
import { createWorker } from '../worker/worker.ts';
import { counterWorkflow, incrementUpdate } from './baseline-workflows.ts';

Runtime.install({ logger: new DefaultLogger('ERROR') });

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    orders: { type: 'string' },
    concurrency: { type: 'string' },
    links: { type: 'string' },
  },
});
const quick = values.quick;
const N = Number(values.orders ?? (quick ? 40 : 1000));
const C = Number(values.concurrency ?? (quick ? 8 : 32));
const L = Number(values.links ?? (quick ? 2 : 100));
const CAP = 50;

/** Runs `count` jobs, `concurrency` at a time; returns each job's latency in ms. */
async function pool(count: number, concurrency: number, job: (i: number) => Promise<void>): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const i = next++;
        const t = performance.now();
        await job(i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  return latencies;
}
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? 0;

// ---- the stack under test
const scratch = mkdtempSync(path.join(tmpdir(), 'csp-bench-'));
chmodSync(scratch, 0o755);
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
const db = createDb(dbUrl, { poolSize: 30 });
// An external cluster when TEMPORAL_ADDRESS is set, else a dev server of its own.
if (process.env.TEMPORAL_ADDRESS) process.env.TEMPORAL_TEST_ADDRESS = process.env.TEMPORAL_ADDRESS;
const env = await devServerEnvironment();
await ensureSearchAttributes(env.connection, env.namespace ?? 'default');
const secrets = { paymentWebhook: randomBytes(24).toString('hex'), linkToken: randomBytes(32).toString('hex'), demoSeed: randomBytes(16).toString('hex') };
const codec = new EncryptionCodec(parseKeyRing(newKeyRingSpec()));
const taskQueue = `bench-${randomBytes(3).toString('hex')}`;
const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: scratch, TEMPORAL_TASK_QUEUE: taskQueue, RATE_LIMIT_PER_MINUTE: '100000000', PAYMENT_WEBHOOK_SECRET: secrets.paymentWebhook, LINK_TOKEN_SECRET: secrets.linkToken, DOWNLOAD_LINK_MAX_DOWNLOADS: String(CAP) });
const client = new Client({ connection: env.connection, namespace: env.namespace ?? 'default', dataConverter: { payloadCodecs: [codec] } });
const demo = await seedDemo(db, secrets.demoSeed);
const app = createApp({ config, db, temporal: client, logger: createLogger({ level: 'silent' }), secrets, metrics: createApiMetrics(db), codec });
const server = app.listen(0, '127.0.0.1');
await new Promise((r) => server.once('listening', r));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const worker = await createWorker({ connection: env.nativeConnection, namespace: env.namespace ?? 'default', taskQueue, deps: { db, ...createProviders(db) }, codec });
const baselineWorker = await Worker.create({
  connection: env.nativeConnection,
  namespace: env.namespace ?? 'default',
  taskQueue: `${taskQueue}-baseline`,
  workflowsPath: fileURLToPath(new URL('./baseline-workflows.ts', import.meta.url)),
  // Same payload encryption as the service, so the ratio measures the service, not the codec.
  dataConverter: { payloadCodecs: [codec] },
});
const running = Promise.all([worker.run(), baselineWorker.run()]);

const admin = demo.partners[0]!.apiKeys.admin_agent;
const customer = demo.partners[0]!.customers[0]!;
const headers = { Authorization: `Bearer ${admin}`, 'Content-Type': 'application/json' };
const results: Record<string, unknown>[] = [];

// ---- 1. order starts: API POST vs raw client.workflow.start, interleaved in rounds
{
  const rounds = 4;
  const perRound = Math.ceil(N / rounds);
  let apiMs = 0;
  let rawMs = 0;
  let apiErrors = 0;
  for (let r = 0; r < rounds; r++) {
    let t = performance.now();
    await pool(perRound, C, async () => {
      const res = await fetch(`${base}/v1/customers/${customer.id}/orders`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ lineItems: [{ productId: 'windows-server-2022-standard', quantity: 1 }], paymentMethod: 'pm_card_ok' }),
      });
      if (res.status !== 202) apiErrors++;
      await res.arrayBuffer();
    });
    apiMs += performance.now() - t;
    t = performance.now();
    await pool(perRound, C, async () => {
      const orderId = crypto.randomUUID();
      const input: PurchaseInput = {
        orderId,
        partnerId: demo.partners[0]!.id,
        customerId: customer.id,
        paymentMethod: 'pm_card_ok',
        total: { amount: '1069.00', currency: 'USD' },
        lineItems: [{ lineItemId: crypto.randomUUID(), position: 1, productId: 'windows-server-2022-standard', quantity: 1, unitPrice: '1069.00' }],
        paymentConfirmationDeadlineMs: config.paymentConfirmationDeadlineMs,
      };
      await client.workflow.start('purchaseWorkflow', { taskQueue, workflowId: workflowIds.order(orderId), args: [input] });
    });
    rawMs += performance.now() - t;
  }
  const total = perRound * rounds;
  const api = total / (apiMs / 1000);
  const raw = total / (rawMs / 1000);
  results.push({ scenario: 'order starts (per s)', figure: +api.toFixed(1), baseline: +raw.toFixed(1), ratio: +(api / raw).toFixed(2), goal: '≥ 0.9', errors: apiErrors, n: total, concurrency: C });
  if (apiErrors) throw new Error(`${apiErrors} order POSTs failed`);
}

// ---- 3. downloads: L links × 50 through GET /v1/downloads/:token vs raw updates on a counter
{
  const sub = async () => {
    const res = await fetch(`${base}/v1/customers/${customer.id}/orders`, { method: 'POST', headers, body: JSON.stringify({ lineItems: [{ productId: 'sql-server-2022-standard', quantity: 1 }], paymentMethod: 'pm_card_ok' }) });
    const { orderId } = (await res.json()) as { orderId: string };
    for (;;) {
      const order = (await (await fetch(`${base}/v1/orders/${orderId}`, { headers })).json()) as { status: string; subscriptions: string[] };
      if (order.status === 'active') return order.subscriptions[0]!;
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const tokens: string[] = [];
  for (let i = 0; i < L; i++) {
    const subscriptionId = await sub();
    const res = await fetch(`${base}/v1/customers/${customer.id}/software/${subscriptionId}/keys-and-downloads`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ version: '2022 RTM', language: 'English', fileType: 'ISO (x64)' }),
    });
    const body = (await res.json()) as { download: { url: string } };
    tokens.push(new URL(body.download.url).pathname.split('/').pop()!);
  }
  const served = new Map<string, number>();
  let t = performance.now();
  const apiLatencies = await pool(L * (CAP + 5), C, async (i) => {
    const token = tokens[i % L]!;
    const res = await fetch(`${base}/v1/downloads/${token}`);
    await res.arrayBuffer();
    if (res.status === 200) served.set(token, (served.get(token) ?? 0) + 1);
    else if (res.status !== 410) throw new Error(`download answered ${res.status}`);
  });
  const apiSeconds = (performance.now() - t) / 1000;
  const handles = await Promise.all(
    Array.from({ length: L }, (_, i) => client.workflow.start(counterWorkflow, { taskQueue: `${taskQueue}-baseline`, workflowId: `bench-counter-${randomBytes(4).toString('hex')}-${i}`, args: [CAP] })),
  );
  t = performance.now();
  const rawLatencies = await pool(L * CAP, C, async (i) => {
    await handles[i % L]!.executeUpdate(incrementUpdate);
  });
  const rawSeconds = (performance.now() - t) / 1000;
  const exact = tokens.every((tk) => served.get(tk) === CAP);
  const events = await db.downloadEvent.count();
  const apiRate = (L * CAP) / apiSeconds;
  const rawRate = (L * CAP) / rawSeconds;
  results.push({
    scenario: 'downloads (served per s)',
    figure: +apiRate.toFixed(1),
    baseline: +rawRate.toFixed(1),
    ratio: +(apiRate / rawRate).toFixed(2),
    goal: '≥ 0.7 and exact',
    p99Ms: +pct(apiLatencies, 99).toFixed(1),
    baselineP99Ms: +pct(rawLatencies, 99).toFixed(1),
    exact,
    downloadEvents: events,
    links: L,
  });
  if (!exact || events !== L * CAP) throw new Error(`downloads not exact: ${JSON.stringify([...served.values()])}, ${events} events`);
}

console.table(results);
const dir = path.join(PROJECT_ROOT, 'bench', 'results');
mkdirSync(dir, { recursive: true });
const file = path.join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify({ at: new Date().toISOString(), quick, orders: N, concurrency: C, links: L, results }, null, 2) + '\n');
console.log(`results: ${file}`);

server.close();
worker.shutdown();
baselineWorker.shutdown();
await running;
await db.$disconnect();
await env.teardown();
await stopPg?.();
rmSync(scratch, { recursive: true, force: true });
