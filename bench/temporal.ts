// The bench's own Temporal dev server (unless TEMPORAL_ADDRESS names one): its log goes to a file
// beside the results (named at the end), not into the progress on the terminal.
import path from 'node:path';
import { startDevServerProcess, type DevServerProcess } from '../infra/dev-server-process.ts';
import { freePort } from '../infra/ports.ts';
import { processStats } from '../infra/processes.ts';

/** Logs under `resultsDir`; `onDisk` keeps its state in a SQLite file under `scratch`: in memory, the dev server crashed (SIGSEGV in its SQLite) with about 90,000 windows open. */
export async function startBenchDevServer(options: { resultsDir: string; scratch: string; onDisk: boolean }): Promise<DevServerProcess | undefined> {
  if (process.env.TEMPORAL_ADDRESS) return undefined;
  return startDevServerProcess({
    port: await freePort(),
    logFile: path.join(options.resultsDir, `temporal-${new Date().toISOString().replace(/[:.]/g, '-')}.log`),
    ...(options.onDisk ? { dbFilename: path.join(options.scratch, 'temporal.db') } : {}),
    // Every wait of the run would otherwise sit out its deadline on a dead server.
    onCrash: (message) => {
      console.error(`\n${message}`);
      process.exit(1);
    },
  });
}

/**
 * The dev server's CPU seconds so far, or undefined for a server of someone else's (TEMPORAL_ADDRESS):
 * every start, task and completion of the run goes through it, on the same two cores as the service.
 */
export function devServerCpuSeconds(devServer: DevServerProcess | undefined): number | undefined {
  const pid = devServer?.pid();
  if (pid === undefined) return undefined;
  const stats = processStats(pid);
  return stats.cpuSeconds + stats.exitedChildrenCpuSeconds;
}
