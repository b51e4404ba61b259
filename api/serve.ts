// The HTTP API alone, against an external Temporal cluster and PostgreSQL (`npm run api`, through
// api/main.ts). Run as many as needed behind a load balancer; they share nothing but the database and Temporal.
import { loadConfig, ConfigError } from '../common/config.ts';
import { createLogger } from '../common/logger.ts';
import { createDb } from '../db/client.ts';
import { connectClient } from '../infra/temporal-connection.ts';
import { installTemporalRuntime } from '../infra/runtime-logger.ts';
import { EncryptionCodec, parseKeyRing } from '../infra/payload-codec.ts';
import { resolveSecrets } from '../infra/secrets.ts';
import { onShutdown } from '../infra/shutdown.ts';
import { startApi } from './server.ts';
import { tracing } from '../infra/tracing.ts';

try {
  const config = loadConfig();
  if (!config.databaseUrl || !config.temporal.address) {
    throw new ConfigError('`npm run api` needs DATABASE_URL and TEMPORAL_ADDRESS; for everything embedded on one machine use `npm start`.');
  }
  const logger = createLogger({ level: config.logLevel, name: 'api' });
  // The Temporal client's native connection runs in the SDK's Runtime; onShutdown drains the HTTP
  // server before it closes the connection, so the Runtime answers no signal itself.
  installTemporalRuntime(logger, { shutdownSignals: [] });
  const db = createDb(config.databaseUrl, { poolSize: config.databasePoolSize });
  const secrets = resolveSecrets(config);
  const codec = new EncryptionCodec(parseKeyRing(secrets.payloadKeys));
  const temporal = await connectClient(config, config.temporal.address, codec);
  const api = await startApi({ config, db, temporal, logger, secrets, codec });
  logger.info({ url: api.url }, 'API listening');
  onShutdown(logger, async () => {
    await api.close();
    await temporal.connection.close();
    await db.$disconnect();
    // The last spans, exported before the process exits.
    await tracing()?.shutdown();
  });
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
}
