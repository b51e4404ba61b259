// A Temporal dev server as a child process whose log goes to a file: for runs that print their own
// progress (the bench, the chaos suite) and must restart the server on the same port and data.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { Connection } from '@temporalio/client';
import { DEV_SERVER_DYNAMIC_CONFIG, DEV_SERVER_SQLITE_PRAGMAS } from './dev-server.ts';
import { ensureSearchAttributes } from './search-attributes.ts';
import { resolveTemporalBinary } from './temporal-binaries.ts';
import { sleep } from './waiting.ts';

export interface DevServerProcess {
  address: string;
  /** Where the server's own output goes (appended across restarts). */
  logFile: string;
  /** Starts it again on the same port and SQLite file (after `stop`). */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** The last lines of the server's log, for an error that says why it did not start. */
const tail = (file: string) => readFileSync(file, 'utf8').split('\n').slice(-30).join('\n');

/**
 * The dev server on loopback at `port`, without its UI, its SQLite file at `dbFilename` (in memory
 * without one), logging at `logLevel` into `logFile`. Ready once it answers and knows our search
 * attributes.
 */
export async function startDevServerProcess(options: { port: number; logFile: string; dbFilename?: string; logLevel?: string }): Promise<DevServerProcess> {
  const cli = resolveTemporalBinary('cli');
  if (cli.type !== 'existing-path') throw new Error('the Temporal CLI binary is not installed (npm run setup, or TEMPORAL_CLI_PATH)');
  const address = `127.0.0.1:${options.port}`;
  let child: ChildProcess | undefined;
  const server: DevServerProcess = {
    address,
    logFile: options.logFile,
    async start() {
      const log = openSync(options.logFile, 'a');
      const storage = options.dbFilename ? ['--db-filename', options.dbFilename, ...DEV_SERVER_SQLITE_PRAGMAS] : [];
      const proc = spawn(cli.path, ['server', 'start-dev', ...storage, '--ip', '127.0.0.1', '--port', String(options.port), '--headless', '--log-level', options.logLevel ?? 'warn', ...DEV_SERVER_DYNAMIC_CONFIG], { stdio: ['ignore', log, log] });
      closeSync(log);
      child = proc;
      const deadline = Date.now() + 60_000;
      for (;;) {
        try {
          const connection = await Connection.connect({ address, connectTimeout: 1000 });
          await connection.workflowService.getSystemInfo({});
          await ensureSearchAttributes(connection, 'default');
          await connection.close();
          return;
        } catch {
          if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`the Temporal dev server did not start (log: ${options.logFile}):\n${tail(options.logFile)}`);
          await sleep(250);
        }
      }
    },
    async stop() {
      const proc = child;
      if (!proc || proc.exitCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
  await server.start();
  return server;
}
