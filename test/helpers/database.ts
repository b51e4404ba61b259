import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createDb, poolOf, type Db } from '../../db/client.ts';
import { until } from '../../infra/waiting.ts';
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
  // The holder is inside its transaction, where pg_stat_activity is read once and then kept: a
  // statement that reached the server after the first look (its connection was still being opened)
  // would never be seen.
  await holder.query('SELECT pg_stat_clear_snapshot()');
  const { rows } = await holder.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pg_backend_pid() = ANY(pg_blocking_pids(pid))');
  return rows[0]!.n;
}

/**
 * Two writers of the same rows at once, the second a batch under test: another writer holds what
 * `hold` takes; `batch` starts and must come to wait on it; then the other writer takes what
 * `takeRest` takes and commits, and the batch's answer is returned. A batch that locks its rows in
 * key order waits holding nothing, so the other writer never waits on it. One that does not makes
 * the other writer deadlock: it looks for deadlocks after 10 ms (PostgreSQL's default is a second),
 * so "deadlock detected" fails here, not in the batch, which would quietly write one row at a time.
 */
export async function againstAnotherWriter<T>(db: Db, steps: { hold: (writer: pg.ClientBase) => Promise<unknown>; batch: () => Promise<T>; takeRest: (writer: pg.ClientBase) => Promise<unknown> }): Promise<T> {
  const writer = await poolOf(db).connect();
  try {
    await writer.query('BEGIN');
    await writer.query(`SET LOCAL deadlock_timeout = '10ms'`);
    await steps.hold(writer);
    const written = steps.batch();
    written.catch(() => undefined); // awaited below; a rejection meanwhile is not unhandled
    // The batch is on its way once a statement waits on the held lock (the deadline only bounds a hang).
    await until('the batch waits on the held rows', async () => (await backendsBlockedBy(writer)) > 0, 60_000);
    await steps.takeRest(writer);
    await writer.query('COMMIT');
    return await written;
  } catch (err) {
    await writer.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    writer.release();
  }
}
