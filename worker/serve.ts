// A Temporal worker alone, against an external cluster and PostgreSQL (`npm run worker`, through
// worker/main.ts). Start as many as the load needs; they share the task queue. SIGTERM drains in-flight tasks, then exits.
import { ConfigError, loadConfig } from '../common/config.ts';
import { createLogger } from '../common/logger.ts';
import { createDb } from '../db/client.ts';
import { EncryptionCodec, parseKeyRing } from '../infra/payload-codec.ts';
import { resolveSecrets } from '../infra/secrets.ts';
import { installTemporalRuntime } from '../infra/runtime-logger.ts';
import { connectClient } from '../infra/temporal-connection.ts';
import { startLinkSweeper } from './link-sweeper.ts';
import { startWebhookRelay } from './webhook-relay.ts';
import { buildWorkers } from './run.ts';
import { tracing } from '../infra/tracing.ts';

try {
  const config = loadConfig();
  if (!config.databaseUrl || !config.temporal.address) {
    throw new ConfigError('`npm run worker` needs DATABASE_URL and TEMPORAL_ADDRESS; for everything embedded on one machine use `npm start`.');
  }
  const logger = createLogger({ level: config.logLevel, name: 'worker' });
  // The worker's own signal handling drains it on SIGINT/SIGTERM.
  installTemporalRuntime(logger, { metricsAddress: config.workerMetricsAddress, shutdownSignals: ['SIGINT', 'SIGTERM'] });
  const db = createDb(config.databaseUrl, { poolSize: config.databasePoolSize });
  const keyRing = parseKeyRing(resolveSecrets(config).payloadKeys);
  const codec = new EncryptionCodec(keyRing);
  const workers = await buildWorkers(config, config.temporal.address, db, logger, codec, keyRing);
  const sweeper = startLinkSweeper(db, logger);
  const client = await connectClient(config, config.temporal.address, codec);
  const relay = startWebhookRelay({ databaseUrl: config.databaseUrl, db, client, taskQueue: config.temporal.taskQueue, logger });
  logger.info({ taskQueues: [config.temporal.taskQueue, config.temporal.interactiveTaskQueue, config.temporal.webhookTaskQueue], namespace: config.temporal.namespace }, 'worker running');
  await workers.run();
  await sweeper.stop();
  await relay.stop();
  await client.connection.close();
  await db.$disconnect();
  await tracing()?.shutdown();
  logger.info('worker stopped');
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
}
