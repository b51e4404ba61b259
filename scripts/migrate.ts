// `npm run migrate`: applies the SQL migrations to DATABASE_URL (production deploy step).
import { loadConfig } from '../common/config.ts';
import { migrate } from '../db/migrate.ts';

const { databaseUrl } = loadConfig();
if (!databaseUrl) {
  console.error('DATABASE_URL is not set (the embedded default migrates itself on `npm start`).');
  process.exit(1);
}
process.stdout.write(await migrate(databaseUrl));
