import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { MIGRATIONS_DIR, PROJECT_ROOT } from '../infra/paths.ts';

const run = promisify(execFile);

/** dbmate talks to PostgreSQL over plain TCP here; make the URL say so unless it already chose. */
export function dbmateUrl(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  if (!url.searchParams.has('sslmode')) url.searchParams.set('sslmode', 'disable');
  return url.toString();
}

/** Applies every pending SQL migration under prisma/migrations with dbmate (idempotent). */
export async function migrate(databaseUrl: string): Promise<string> {
  const dbmate = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'dbmate');
  const { stdout } = await run(
    dbmate,
    ['--url', dbmateUrl(databaseUrl), '--migrations-dir', MIGRATIONS_DIR, '--no-dump-schema', '--wait', '--wait-timeout', '30s', 'up'],
    { cwd: PROJECT_ROOT },
  );
  return stdout;
}
