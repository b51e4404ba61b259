// The service under test runs as it does in production: the API and the worker as their own
// processes (`api/main.ts`, `worker/main.ts`), so each one's memory and CPU can be read apart.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { PROJECT_ROOT } from './paths.ts';

const CLOCK_TICKS = 100; // USER_HZ on Linux

export interface ProcessStats {
  rssMb: number;
  peakRssMb: number;
  cpuSeconds: number;
  /** CPU seconds of its children that have exited and been waited for (a server's finished workers). */
  exitedChildrenCpuSeconds: number;
}

/** RSS, peak RSS (VmHWM) and user + system CPU seconds of a live process, from /proc. */
export function processStats(pid: number): ProcessStats {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  // Fields after the command name, which is in parentheses and may hold spaces.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const [ticks, childTicks] = [Number(fields[11]) + Number(fields[12]), Number(fields[13]) + Number(fields[14])];
  return { rssMb: kb('VmRSS') / 1024, peakRssMb: kb('VmHWM') / 1024, cpuSeconds: ticks / CLOCK_TICKS, exitedChildrenCpuSeconds: childTicks / CLOCK_TICKS };
}

/** Restarts a process's peak RSS (VmHWM) from its RSS now, so a later read tells the peak since (Linux's clear_refs). */
export function resetPeakRss(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

export interface ServiceProcess {
  child: ChildProcess;
  pid: number;
  output(): string;
  stats(): ProcessStats;
  stop(): Promise<void>;
}

/**
 * The environment a service entry point runs with in production, where package.json's scripts set
 * it (test/unit/process-settings.test.ts keeps the two alike). glibc gives threads that allocate
 * their own malloc arenas, up to 8 per core: in the worker (the Temporal core's threads and two
 * workflow threads) they held ~165 MB mostly free. Two arenas: 414 MB with 10,000 windows open
 * (bench scenario 4) where a run without the cap showed 442-564 MB, at the same CPU per order.
 * V8 sizes each heap's limit off the machine's memory (4 GB on 24 GB) and, that far from it, lets a
 * heap grow to about 4x its live data before a full collection: a workflow thread with 30 MB live
 * reached 158 MB, the main thread 109 MB with 57 MB live (`--trace-gc`). A 512 MB limit per heap
 * (main thread and each workflow thread) collects sooner: back-to-back bench runs, peak RSS 417 MB
 * against 502-516 MB opening 9,000 windows, 440-443 against 653-658 MB with ~3,000 orders in
 * flight, and worker CPU per order ÷ the raw-SDK baseline (both capped) 1.27 against 1.30 (both not).
 */
const WORKER_ENV = { MALLOC_ARENA_MAX: '2', NODE_OPTIONS: '--max-old-space-size=512' };
export const SERVICE_ENV: Record<string, Record<string, string>> = {
  'worker/main.ts': WORKER_ENV,
  // The bench's raw-SDK baseline worker runs as the service's does, so their ratio compares like with like.
  'bench/baseline-worker.ts': WORKER_ENV,
};

/** Starts `node --import tsx <entry>` with `env` (over SERVICE_ENV's); resolves once `ready(output)` holds. */
export async function startService(entry: string, env: Record<string, string>, ready: (output: string) => boolean | Promise<boolean>, nodeArgs: string[] = []): Promise<ServiceProcess> {
  let output = '';
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', entry], { cwd: PROJECT_ROOT, env: { ...SERVICE_ENV[entry], ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const keep = (d: Buffer) => {
    output = (output + d.toString()).slice(-200_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // A run that fails part-way (a thrown check) must not leave its services running behind it.
  const orphanGuard = () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  };
  process.once('exit', orphanGuard);
  child.once('exit', () => process.off('exit', orphanGuard));
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${entry} exited during start-up:\n${output.slice(-3000)}`);
    if (await ready(output)) break;
    if (Date.now() > deadline) throw new Error(`${entry} not ready in 120 s:\n${output.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    pid: child.pid!,
    output: () => output,
    stats: () => processStats(child.pid!),
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
