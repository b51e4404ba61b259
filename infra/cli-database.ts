import path from 'node:path';
import pg from 'pg';
import type { Config } from '../common/config.ts';
import { migrate } from '../db/migrate.ts';
import { startEmbeddedPostgres } from './embedded-postgres.ts';

export const EMBEDDED_PG_PORT = Number(process.env.EMBEDDED_PG_PORT ?? 54329);

/**
 * For command-line tools: DATABASE_URL, or the embedded default's PostgreSQL under the same
 * DATA_DIR — the running one if `npm start` is up, else started just for the command.
 */
export async function withCliDatabase<T>(config: Config, fn: (url: string) => Promise<T>): Promise<T> {
  let url = config.databaseUrl;
  let stop: (() => Promise<void>) | undefined;
  if (!url) {
    url = `postgres://postgres:postgres@127.0.0.1:${EMBEDDED_PG_PORT}/csp`;
    const probe = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    const running = await probe.connect().then(
      () => true,
      () => false,
    );
    await probe.end().catch(() => undefined);
    if (!running) stop = (await startEmbeddedPostgres({ dir: path.join(config.dataDir, 'postgres'), port: EMBEDDED_PG_PORT })).stop;
  }
  try {
    await migrate(url);
    return await fn(url);
  } finally {
    await stop?.();
  }
}
