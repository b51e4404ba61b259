import { TestWorkflowEnvironment } from '@temporalio/testing';
import { ALL_SEARCH_ATTRIBUTES } from '../common/messages.ts';
import { resolveTemporalBinary, withBinaryHint } from './temporal-binaries.ts';

/**
 * Dev-server settings for the embedded default and the tests. Temporal admits 10 updates in flight
 * per workflow by default; a popular download link of a window still counted by its workflow (opened
 * before downloads were counted in PostgreSQL) sees more at once, so production clusters should
 * raise `history.maxInFlightUpdates` too while such windows are open (the API retries the same
 * update id meanwhile). The bench's counter workflows need it as well.
 */
export const DEV_SERVER_DYNAMIC_CONFIG = ['--dynamic-config-value', 'history.maxInFlightUpdates=200'];

/**
 * For a dev server on a SQLite file (`npm start`, the chaos suite): write-ahead logging with
 * `synchronous=normal` survives the server process being killed or restarted (only an OS crash
 * can lose the last commits) and spares an fsync per write, which under load was the difference
 * between answers in time and 503s.
 */
export const DEV_SERVER_SQLITE_PRAGMAS = ['--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal'];

/**
 * The Temporal dev server `npm start` runs: on loopback, its Web UI beside it, and the Web UI's
 * codec endpoint set so that the UI shows decoded payloads (the endpoint is api/local-codec.ts).
 * `dbFilename` keeps the history across restarts; without it the server is in memory.
 */
export function startEmbeddedTemporal(options: { dbFilename?: string; namespace: string; port?: number; uiPort: number; codecEndpoint: string }): Promise<TestWorkflowEnvironment> {
  const executable = resolveTemporalBinary('cli');
  return withBinaryHint('cli', executable, () =>
    TestWorkflowEnvironment.createLocal({
      server: {
        executable: executable.type === 'existing-path' ? { type: 'existing-path', path: executable.path } : { type: 'cached-download' },
        ...(options.dbFilename ? { dbFilename: options.dbFilename } : {}),
        namespace: options.namespace,
        ip: '127.0.0.1',
        ...(options.port ? { port: options.port } : {}),
        ui: true,
        uiPort: options.uiPort,
        searchAttributes: ALL_SEARCH_ATTRIBUTES,
        extraArgs: [...DEV_SERVER_DYNAMIC_CONFIG, ...(options.dbFilename ? DEV_SERVER_SQLITE_PRAGMAS : []), '--ui-codec-endpoint', options.codecEndpoint],
      },
    }),
  );
}
