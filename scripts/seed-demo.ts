// `npm run --silent seed:demo`: seeds the demo data (idempotent) and prints it as JSON (API.md).
// Uses DATABASE_URL, or the embedded default's PostgreSQL under the same DATA_DIR (started if it
// is not running).
import path from 'node:path';
import { loadConfig } from '../common/config.ts';
import { createDb } from '../db/client.ts';
import { seedDemo } from '../db/demo.ts';
import { migrate } from '../db/migrate.ts';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../infra/embedded-postgres.ts';
import { resolveSecrets } from '../infra/secrets.ts';
import pg from 'pg';

const config = loadConfig();
const port = Number(process.env.EMBEDDED_PG_PORT ?? 54329);
let url = config.databaseUrl;
let embedded: EmbeddedDatabase | undefined;
if (!url) {
  url = `postgres://postgres:postgres@127.0.0.1:${port}/csp`;
  const probe = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  const running = await probe.connect().then(
    () => true,
    () => false,
  );
  await probe.end().catch(() => undefined);
  if (!running) embedded = await startEmbeddedPostgres({ dir: path.join(config.dataDir, 'postgres'), port });
}
try {
  await migrate(url);
  const db = createDb(url);
  const demo = await seedDemo(db, resolveSecrets(config).demoSeed);
  await db.$disconnect();
  process.stdout.write(JSON.stringify(demo, null, 2) + '\n');
} finally {
  await embedded?.stop();
}
