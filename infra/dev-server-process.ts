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
  /** The running server's process id (none while stopped). */
  pid(): number | undefined;
  /** Starts it again on the same port and SQLite file (after `stop`). */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * What the server's log says of why it stopped: a Go crash's first lines (its cause, before the
 * goroutine dump), else the log's last lines.
 */
const tail = (file: string) => {
  const lines = readFileSync(file, 'utf8').split('\n');
  const crash = lines.findLastIndex((l) => /^(panic: |fatal error: |unexpected fault address|SIG[A-Z]+: )/.test(l));
  return (crash >= 0 ? lines.slice(crash, crash + 8) : lines.slice(-30)).join('\n');
};

/**
 * The dev server on loopback at `port`, without its UI, its SQLite file at `dbFilename` (in memory
 * without one), logging at `logLevel` into `logFile`. Ready once it answers and knows our search
 * attributes. `onCrash` hears of an exit nobody asked for (not `stop`), with the log's last lines:
 * a run waiting on workflows would otherwise wait on a dead server until its own deadlines.
 */
export async function startDevServerProcess(options: { port: number; logFile: string; dbFilename?: string; logLevel?: string; onCrash?: (message: string) => void }): Promise<DevServerProcess> {
  const cli = resolveTemporalBinary('cli');
  if (cli.type !== 'existing-path') throw new Error('the Temporal CLI binary is not installed (npm run setup, or TEMPORAL_CLI_PATH)');
  const address = `127.0.0.1:${options.port}`;
  let child: ChildProcess | undefined;
  let stopping = false;
  const server: DevServerProcess = {
    address,
    logFile: options.logFile,
    pid: () => (child && child.exitCode === null ? child.pid : undefined),
    async start() {
      const log = openSync(options.logFile, 'a');
      const storage = options.dbFilename ? ['--db-filename', options.dbFilename, ...DEV_SERVER_SQLITE_PRAGMAS] : [];
      const proc = spawn(cli.path, ['server', 'start-dev', ...storage, '--ip', '127.0.0.1', '--port', String(options.port), '--headless', '--log-level', options.logLevel ?? 'warn', ...DEV_SERVER_DYNAMIC_CONFIG], { stdio: ['ignore', log, log] });
      closeSync(log);
      child = proc;
      let up = false;
      proc.once('exit', (code, signal) => {
        if (up && child === proc && !stopping) options.onCrash?.(`the Temporal dev server exited (${signal ?? `code ${code}`}); its log ${options.logFile} says:\n${tail(options.logFile)}`);
      });
      const deadline = Date.now() + 60_000;
      for (;;) {
        try {
          const connection = await Connection.connect({ address, connectTimeout: 1000 });
          await connection.workflowService.getSystemInfo({});
          await ensureSearchAttributes(connection, 'default');
          await connection.close();
          up = true;
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
      stopping = true;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
      stopping = false;
    },
  };
  await server.start();
  return server;
}
