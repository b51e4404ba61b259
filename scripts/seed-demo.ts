// `npm run --silent seed:demo`: seeds the demo data (idempotent) and prints it as JSON (API.md).
// Uses DATABASE_URL, or the embedded default's PostgreSQL under the same DATA_DIR.
import { loadConfig } from '../common/config.ts';
import { createDb } from '../db/client.ts';
import { seedDemo } from '../db/demo.ts';
import { withCliDatabase } from '../infra/cli-database.ts';
import { resolveSecrets } from '../infra/secrets.ts';

const config = loadConfig();
await withCliDatabase(config, async (url) => {
  const db = createDb(url);
  try {
    const demo = await seedDemo(db, resolveSecrets(config).demoSeed);
    process.stdout.write(JSON.stringify(demo, null, 2) + '\n');
  } finally {
    await db.$disconnect();
  }
});
