import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createDb, type Db } from '../../db/client.ts';
import { migrate } from '../../db/migrate.ts';

export interface TestDatabase {
  url: string;
  db: Db;
  drop(): Promise<void>;
}

function adminUrl(): string {
  const url = process.env.TEST_PG_ADMIN_URL ?? process.env.DATABASE_URL;
  if (!url) throw new Error('No PostgreSQL for tests: run them with `npm test` (which starts one) or set DATABASE_URL.');
  return url;
}

/** Each test file gets its own freshly migrated database on the shared server. */
export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const admin = adminUrl();
  const name = `t_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase().slice(0, 30)}_${randomBytes(4).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  await migrate(url.toString());
  const db = createDb(url.toString(), { poolSize: 20 });
  return {
    url: url.toString(),
    db,
    async drop() {
      await db.$disconnect();
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/**
 * How many backends of this database wait on a lock `holder` holds: a test that holds a row knows
 * that the code under test reached it (and waits there). Only this file's database counts; other
 * test files' locks on the same server do not.
 */
export async function backendsBlockedBy(holder: Pick<pg.ClientBase, 'query'>): Promise<number> {
  const { rows } = await holder.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pg_backend_pid() = ANY(pg_blocking_pids(pid))');
  return rows[0]!.n;
}
