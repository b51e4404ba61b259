import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from '../generated/prisma/client.ts';

export type Db = PrismaClient;
export { Prisma } from '../generated/prisma/client.ts';

const pools = new WeakMap<Db, pg.Pool>();

export function createDb(databaseUrl: string, options: { poolSize?: number } = {}): Db {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: options.poolSize ?? 10 });
  const db = new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
  pools.set(db, pool);
  return db;
}

/**
 * The connection pool under a client, for the few reads that stream many rows (exports): Prisma
 * builds an object per row through its query engine, which costs these reads three times the time
 * and most of their memory. Same connections, same limits; reads only.
 */
export function poolOf(db: Db): pg.Pool {
  const pool = pools.get(db);
  if (!pool) throw new Error('this client was not made by createDb');
  return pool;
}

/** True when a Prisma error is a unique-constraint violation: the idempotent paths rely on it. */
export function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && (err as { code: unknown }).code === 'P2002';
}
