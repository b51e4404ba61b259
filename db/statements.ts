import { createHash } from 'node:crypto';
import { poolOf, Prisma, type Db } from './client.ts';

/*
 * The statements every order pays for (the API's rate limit, idempotency and order record) go
 * straight to the client's pg pool as named prepared statements instead of through Prisma's raw
 * queries. Measured on this machine (3,000 runs of the rate-limit upsert, 10 at a time): Prisma
 * 0.22 CPU-ms a statement in the calling process (query plan, adapter, result mapping), pg 0.07,
 * pg prepared 0.04. Same connections and limits; the SQL stays a Prisma.sql template beside the
 * table's writer, so the schema is still Prisma's and the text is still parameterised.
 *
 * Values go as pg sends them: strings, numbers, booleans, null, Dates (as timestamps) and objects
 * (as JSON). Results come as pg reads them: int4 as a number, timestamptz as a Date, numeric and
 * int8 as strings. Only the root client: a Prisma transaction has its own connection.
 */

const names = new Map<string, string>();

/**
 * One name per distinct SQL text, so PostgreSQL parses and plans it once per connection. The name
 * is what a trace shows for the statement (the pg instrumentation names a prepared statement's span
 * after it), so it says what the statement does to which table, `INSERT orders 3f2a9c1e04b7`, with a
 * digest of the text to keep two statements on one table apart; PostgreSQL keeps 63 bytes of it.
 * `what` names it where its first write is not what it is for (`INSERT orders` for the order's
 * statement, whose first write claims its Idempotency-Key).
 */
export function nameOf(text: string, what?: string): string {
  let name = names.get(text);
  if (!name) {
    // A WITH is named for its first write and that write's table (what it is for), a plain
    // statement for its verb and first table. A row lock (FOR [NO KEY] UPDATE OF k) is not a write.
    const isWith = /^\s*with\b/i.test(text);
    const write = isWith ? /\b(insert)\s+into\s+"?([a-z_][a-z0-9_]*)|(?<!\b(?:for|key)\s+)\b(update)\s+"?([a-z_][a-z0-9_]*)|\b(delete)\s+from\s+"?([a-z_][a-z0-9_]*)/i.exec(text) : null;
    const [operation, table] = what
      ? (what.split(' ') as [string, string])
      : write
      ? (write.slice(1).filter(Boolean) as [string, string])
      : [isWith ? 'SELECT' : (/^\s*(\w+)/.exec(text)?.[1] ?? 'SQL'), /\b(?:from|into|update)\s+"?([a-z_][a-z0-9_]*)/i.exec(text)?.[1] ?? ''];
    const digest = createHash('sha1').update(text).digest('hex').slice(0, 12);
    name = `${operation.toUpperCase()} ${table} ${digest}`.replace(/\s+/g, ' ').slice(-63);
    names.set(text, name);
  }
  return name;
}

function run(db: Db, statement: Prisma.Sql, what?: string) {
  const text = statement.text;
  return poolOf(db).query({ name: nameOf(text, what), text, values: statement.values });
}

/** Runs one statement and answers its rows (`what`: its name, as nameOf says). */
export async function queryRows<Row>(db: Db, statement: Prisma.Sql, what?: string): Promise<Row[]> {
  return (await run(db, statement, what)).rows as Row[];
}

/** Runs one statement and answers how many rows it wrote. */
export async function execute(db: Db, statement: Prisma.Sql): Promise<number> {
  return (await run(db, statement)).rowCount ?? 0;
}

/**
 * A row written once per business key, whoever writes it first: `insert` (INSERT … ON CONFLICT DO
 * NOTHING RETURNING, one statement on the usual path) answers it when it wrote it or could see it;
 * otherwise `read` finds the first writer's. The read must be a statement of its own: when a concurrent first
 * call commits while the insert waits on its conflict, the insert's snapshot is older than that
 * commit and no part of the same statement can see the row.
 */
export async function insertOnce<Row>(db: Db, insert: Prisma.Sql, read: Prisma.Sql): Promise<Row | undefined> {
  const [written] = await queryRows<Row>(db, insert);
  return written ?? (await queryRows<Row>(db, read))[0];
}

/**
 * A batch's rows as a query (`SELECT * FROM jsonb_to_recordset(rows) AS x(columns)`), for a
 * statement that writes many rows in one. PostgreSQL estimates every jsonb_to_recordset at 100
 * rows, so a statement that joins a batch of a few rows to a table (answers to their claims, orders
 * to their audit entries, downloads to their links) was planned as a hash join over a scan of the
 * whole table, on every call, until the table outgrew ~15,000 rows (where the planner's costs
 * turn): in an API-only run of 6,000 orders that cost PostgreSQL 2.35 CPU-ms per order, against
 * 1.07 with this. The LIMIT is never reached (the batch's size rounded up to a power of two, so that
 * a connection prepares a handful of texts); it is what the planner takes for the row count.
 */
export function batchRows(rows: readonly object[], columns: string): Prisma.Sql {
  const limit = 2 ** Math.ceil(Math.log2(Math.max(1, rows.length)));
  return Prisma.sql`SELECT * FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS x(${Prisma.raw(columns)}) LIMIT ${Prisma.raw(String(limit))}`;
}
