// The whole service on one machine (`npm start`, through scripts/start.ts and scripts/stack.ts). With no DATABASE_URL it runs an embedded
// PostgreSQL, with no TEMPORAL_ADDRESS the Temporal dev server (SQLite file, Web UI), both keeping
// their data under DATA_DIR; then migrations, demo data, the worker and the API. SIGTERM (Ctrl-C in
// npm start) stops all, the servers last.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { startLocalCodec } from '../api/local-codec.ts';
import { startApi } from '../api/server.ts';
import { ConfigError, loadConfig } from '../common/config.ts';
import { createLogger } from '../common/logger.ts';
import { startEmbeddedTemporal } from '../infra/dev-server.ts';
import { createDb } from '../db/client.ts';
import { seedDemo } from '../db/demo.ts';
import { migrate } from '../db/migrate.ts';
import { startEmbeddedPostgres } from '../infra/embedded-postgres.ts';
import { EncryptionCodec, parseKeyRing } from '../infra/payload-codec.ts';
import { resolveSecrets } from '../infra/secrets.ts';
import { installTemporalRuntime } from '../infra/runtime-logger.ts';
import { connectClient } from '../infra/temporal-connection.ts';
import { startLinkSweeper } from '../worker/link-sweeper.ts';
import { startWebhookRelay } from '../worker/webhook-relay.ts';
import { buildWorkers } from '../worker/run.ts';
import { onShutdown } from '../infra/shutdown.ts';
import { tracing } from '../infra/tracing.ts';

const EMBEDDED_PG_PORT = Number(process.env.EMBEDDED_PG_PORT ?? 54329);
const EMBEDDED_TEMPORAL_PORT = Number(process.env.EMBEDDED_TEMPORAL_PORT ?? 7233);
const EMBEDDED_TEMPORAL_UI_PORT = Number(process.env.EMBEDDED_TEMPORAL_UI_PORT ?? 8233);
// The embedded Web UI's codec (api/local-codec.ts): loopback only, decode only.
const EMBEDDED_TEMPORAL_CODEC_PORT = Number(process.env.EMBEDDED_TEMPORAL_CODEC_PORT ?? 8234);

const started = Date.now();
let config;
try {
  config = loadConfig();
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
}
const logger = createLogger({ level: config.logLevel, name: 'start' });
installTemporalRuntime(logger, { metricsAddress: config.workerMetricsAddress ?? '127.0.0.1:9464', shutdownSignals: [] });
const cleanups: (() => Promise<unknown>)[] = [];

async function stopAll() {
  for (const cleanup of cleanups.reverse()) {
    await cleanup().catch((err: unknown) => logger.warn({ err: (err as Error).message }, 'cleanup step failed'));
  }
}
// Started by `npm start` (scripts/start.ts), it also stops if that process dies unasked.
onShutdown(logger, stopAll);

// Cleanups run last-first: the last spans are exported after everything else has stopped.
cleanups.push(async () => tracing()?.shutdown());

try {
  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    const pg = await startEmbeddedPostgres({ dir: path.join(config.dataDir, 'postgres'), port: EMBEDDED_PG_PORT, ownStop: true });
    cleanups.push(() => pg.stop());
    databaseUrl = pg.url;
    logger.info({ port: EMBEDDED_PG_PORT, dir: path.join(config.dataDir, 'postgres') }, 'embedded PostgreSQL running');
  }
  await migrate(databaseUrl);

  let temporalAddress = config.temporal.address;
  let uiUrl = config.temporal.uiUrl;
  if (!temporalAddress) {
    const env = await startEmbeddedTemporal({
      dbFilename: path.join(config.dataDir, 'temporal.sqlite'),
      namespace: config.temporal.namespace,
      port: EMBEDDED_TEMPORAL_PORT,
      uiPort: EMBEDDED_TEMPORAL_UI_PORT,
      codecEndpoint: `http://127.0.0.1:${EMBEDDED_TEMPORAL_CODEC_PORT}`,
    });
    cleanups.push(() => env.teardown());
    temporalAddress = env.address;
    uiUrl ??= `http://localhost:${EMBEDDED_TEMPORAL_UI_PORT}`;
  }
  // `npm start` serves a receiver on the same machine unless told otherwise (README: webhooks).
  const allowPrivateUrls = process.env.WEBHOOK_ALLOW_PRIVATE_URLS === undefined ? config.env !== 'production' : config.webhooks.allowPrivateUrls;
  const runtimeConfig = { ...config, databaseUrl, temporal: { ...config.temporal, address: temporalAddress, uiUrl }, webhooks: { ...config.webhooks, allowPrivateUrls } };

  const db = createDb(databaseUrl, { poolSize: config.databasePoolSize });
  cleanups.push(() => db.$disconnect());
  const secrets = resolveSecrets(runtimeConfig);
  const demo = await seedDemo(db, secrets.demoSeed);
  const keysFile = path.join(config.dataDir, 'demo-keys.json');
  writeFileSync(keysFile, JSON.stringify(demo, null, 2) + '\n', { mode: 0o600 });

  const keyRing = parseKeyRing(secrets.payloadKeys);
  const codec = new EncryptionCodec(keyRing);
  // Only for the Web UI this process embeds: an external cluster's Web UI uses <api>/codec with a key.
  const uiCodec = config.temporal.address ? undefined : await startLocalCodec(codec, { port: EMBEDDED_TEMPORAL_CODEC_PORT, uiPort: EMBEDDED_TEMPORAL_UI_PORT, logger });
  if (uiCodec) cleanups.push(() => uiCodec.close());
  const workers = await buildWorkers(runtimeConfig, temporalAddress, db, logger, codec, keyRing);
  const running = workers.run();
  const sweeper = startLinkSweeper(db, logger);
  cleanups.push(() => sweeper.stop());
  cleanups.push(async () => {
    workers.shutdown();
    await running;
  });

  const temporal = await connectClient(runtimeConfig, temporalAddress, codec);
  cleanups.push(() => temporal.connection.close());
  const relay = startWebhookRelay({ databaseUrl, db, client: temporal, taskQueue: config.temporal.taskQueue, logger });
  cleanups.push(() => relay.stop());
  const api = await startApi({ config: runtimeConfig, db, temporal, logger: createLogger({ level: config.logLevel, name: 'api' }), secrets, codec });
  cleanups.push(() => api.close());

  console.log(
    [
      '',
      `  CSP on-premises orchestrator is up (${((Date.now() - started) / 1000).toFixed(1)} s)`,
      `  API:             ${api.url}   (readiness: ${api.url}/readyz)`,
      `  Temporal Web UI: ${uiUrl ?? '(external cluster)'}${uiCodec ? `   (payloads decoded by ${uiCodec.url}, for this machine only)` : ''}`,
      `  Metrics:         ${api.url}/metrics (API), http://${config.workerMetricsAddress ?? '127.0.0.1:9464'}/metrics (worker)`,
      `  Demo API keys:   ${keysFile}   (or: npm run --silent seed:demo)`,
      `  Data:            ${config.dataDir}`,
      '  Ctrl-C stops everything; the data stays for the next start.',
      '',
    ].join('\n'),
  );
  running.catch((err: unknown) => {
    logger.error({ err }, 'worker stopped unexpectedly');
    process.kill(process.pid, 'SIGTERM');
  });
} catch (err) {
  logger.error({ err }, 'start failed');
  await stopAll();
  process.exit(1);
}
