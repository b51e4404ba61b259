import { poolOf, type Db } from '../../db/client.ts';

/** One statement as PostgreSQL received it: its name when prepared (db/statements.ts), and its text. */
export interface SeenStatement {
  name: string | undefined;
  text: string;
  values: unknown[];
}

/**
 * Watches the statements `db`'s pool sends from now on, until `stop`: how many statements a write
 * takes is a claim several tests make (batched writes, one statement per request), and only the
 * pool sees it. Prisma's own queries go through the same pool.
 */
export function watchStatements(db: Db) {
  const pool = poolOf(db);
  const query = pool.query.bind(pool);
  const seen: SeenStatement[] = [];
  pool.query = ((config: unknown, ...rest: unknown[]) => {
    if (typeof config === 'string') seen.push({ name: undefined, text: config, values: Array.isArray(rest[0]) ? rest[0] : [] });
    else if (config && typeof config === 'object' && 'text' in config)
      seen.push({ name: 'name' in config ? String(config.name) : undefined, text: String(config.text), values: 'values' in config && Array.isArray(config.values) ? config.values : [] });
    return (query as (...a: unknown[]) => unknown)(config, ...rest);
  }) as typeof pool.query;
  return {
    seen,
    /** Prepared statements whose name starts with `prefix` (`INSERT orders `: what they write where). */
    named: (prefix: string) => seen.filter((s) => s.name?.startsWith(prefix)).length,
    stop: () => {
      pool.query = query;
    },
  };
}
