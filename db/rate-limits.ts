import { Prisma, type Db } from './client.ts';
import { execute, queryRows } from './statements.ts';

// The only writer of rate_limit_windows (the API's rate limits, shared by all its processes).

/**
 * How long the window has left, by PostgreSQL's clock: a process maps it onto its own clock (a
 * machine whose clock is some seconds off PostgreSQL's would otherwise see windows ending early or
 * late). The window's `resetAt` itself, in PostgreSQL's clock, only names the window.
 */
const remainingMs = (column: string) => Prisma.sql`(extract(epoch FROM ${Prisma.raw(column)} - now()) * 1000)::float8`;

/** A window's count: `resetAt` names the window (PostgreSQL's clock); `endsInMs` is what it has left. */
export interface WindowCount {
  hits: number;
  resetAt: Date;
  endsInMs: number;
}

/** `n` more requests in the key's window, or the first `n` of a new one once it has ended. */
const countedInWindow = (windowMs: number, n: number) => Prisma.sql`
    ON CONFLICT (key) DO UPDATE SET
      hits = CASE WHEN w.reset_at <= now() THEN ${n}::int ELSE w.hits + ${n}::int END,
      reset_at = CASE WHEN w.reset_at <= now() THEN now() + ${windowMs} * interval '1 millisecond' ELSE w.reset_at END
    RETURNING hits, reset_at, ${remainingMs('reset_at')} AS ends_in_ms`;

/**
 * Counts `n` requests of `key` (one unless the caller added up several) in one statement: a window
 * that has ended starts again, with PostgreSQL's clock, so every process agrees on when it ends.
 * The row lock of ON CONFLICT makes concurrent counts from several processes go one after the
 * other. Answers the count with these included.
 */
export async function countRequest(db: Db, key: string, windowMs: number, n = 1): Promise<WindowCount> {
  const [row] = await queryRows<{ hits: number; reset_at: Date; ends_in_ms: number }>(
    db,
    Prisma.sql`
    INSERT INTO rate_limit_windows AS w (key, hits, reset_at) VALUES (${key}, ${n}::int, now() + ${windowMs} * interval '1 millisecond')
    ${countedInWindow(windowMs, n)}`,
  );
  return { hits: row!.hits, resetAt: row!.reset_at, endsInMs: row!.ends_in_ms };
}

/**
 * Counts `n` requests of `key`, as countRequest does, unless the address behind them is blocked: its
 * failed authentications (`failures.key`) reached `failures.limit` in their window. Then nothing is
 * counted and the answer says for how long the address is still blocked. One statement, so a request that
 * presents a key already verified pays one round trip for both limits.
 */
export async function countRequestUnlessBlocked(
  db: Db,
  key: string,
  windowMs: number,
  failures: { key: string; limit: number },
  n = 1,
): Promise<WindowCount | { blockedForMs: number }> {
  const [row] = await queryRows<{ hits: number | null; reset_at: Date | null; ends_in_ms: number | null; blocked_for_ms: number | null }>(
    db,
    Prisma.sql`
    WITH failures AS (
      SELECT reset_at FROM rate_limit_windows WHERE key = ${failures.key} AND reset_at > now() AND hits >= ${failures.limit}::int
    ), counted AS (
      INSERT INTO rate_limit_windows AS w (key, hits, reset_at)
      SELECT ${key}, ${n}::int, now() + ${windowMs} * interval '1 millisecond' WHERE NOT EXISTS (SELECT 1 FROM failures)
      ${countedInWindow(windowMs, n)}
    )
    SELECT c.hits, c.reset_at, c.ends_in_ms, ${remainingMs('f.reset_at')} AS blocked_for_ms FROM (SELECT 1) AS one LEFT JOIN counted c ON true LEFT JOIN failures f ON true`,
  );
  if (row?.blocked_for_ms != null) return { blockedForMs: row.blocked_for_ms };
  return { hits: row!.hits!, resetAt: row!.reset_at!, endsInMs: row!.ends_in_ms! };
}

/**
 * Gives back `n` counted places never used: one taken back (express-rate-limit's
 * skipSuccessfulRequests), or what a process's lease of places did not use (api/rate-counts.ts).
 * Only from the key's current window, and with `resetAt` only from the window that ends then, so
 * places of a window that has ended are never taken from a new one. The window is matched within a
 * millisecond, since a Date carries no microseconds.
 */
export async function giveBackRequests(db: Db, key: string, n = 1, resetAt?: Date): Promise<void> {
  const thatWindow = resetAt
    ? Prisma.sql`AND reset_at > ${resetAt}::timestamptz - interval '1 millisecond' AND reset_at < ${resetAt}::timestamptz + interval '1 millisecond'`
    : Prisma.empty;
  await execute(db, Prisma.sql`UPDATE rate_limit_windows SET hits = greatest(hits - ${n}::int, 0) WHERE key = ${key} AND reset_at > now() ${thatWindow}`);
}

export async function resetRequests(db: Db, key: string): Promise<void> {
  await db.$executeRaw`DELETE FROM rate_limit_windows WHERE key = ${key}`;
}

export async function readRequests(db: Db, key: string): Promise<WindowCount | undefined> {
  const [row] = await queryRows<{ hits: number; reset_at: Date; ends_in_ms: number }>(
    db,
    Prisma.sql`SELECT hits, reset_at, ${remainingMs('reset_at')} AS ends_in_ms FROM rate_limit_windows WHERE key = ${key} AND reset_at > now()`,
  );
  return row ? { hits: row.hits, resetAt: row.reset_at, endsInMs: row.ends_in_ms } : undefined;
}

/** Removes windows that ended more than `graceMs` ago, so the table holds only the clients of the last minutes. */
export async function forgetEndedWindows(db: Db, graceMs: number): Promise<number> {
  return db.$executeRaw`DELETE FROM rate_limit_windows WHERE reset_at < now() - ${graceMs} * interval '1 millisecond'`;
}
