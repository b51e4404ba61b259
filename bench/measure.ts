// How the scenarios measure: a pool of concurrent jobs timed one by one, rounding, CPU deltas.
import { readdirSync, readFileSync } from 'node:fs';
import { processStats, type ProcessStats } from '../infra/processes.ts';
import { sleep } from '../infra/waiting.ts';
import { tick } from './progress.ts';

/** Runs `count` jobs, `concurrency` at a time; returns each job's latency in ms. */
export async function pool(count: number, concurrency: number, job: (i: number) => Promise<void>): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  let finished = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const i = next++;
        const t = performance.now();
        await job(i);
        latencies.push(performance.now() - t);
        tick(++finished, count);
      }
    }),
  );
  return latencies;
}
export const round = (x: number, digits = 1) => +x.toFixed(digits);
export const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/**
 * Each round's ratio alone, the baseline's time ÷ the figure's (both arms do the same work in a
 * round): how far the run's ratio, over the sums, stands from noise.
 */
export const roundRatios = (figureTimes: number[], baselineTimes: number[]) => figureTimes.map((t, r) => round(baselineTimes[r]! / t, 2));

/**
 * The arms in the order round `r` times them: each rotation of `arms`, then each rotation reversed.
 * With three arms, 6 rounds time every order once, so each arm goes before each other arm in half
 * of them and takes each place twice: the machine drifts within a round (the worker's backlog grows),
 * and rotations alone put one arm before another in 2 of 3 rounds.
 */
export function armsInRound<T>(arms: readonly T[], r: number): T[] {
  const rotated = arms.map((_, i) => arms[(r + i) % arms.length]!);
  return Math.floor(r / arms.length) % 2 ? rotated.reverse() : rotated;
}

/**
 * Waits until `remaining()` answers 0 of `total`, showing how many are done, and fails only once
 * the count has not fallen for `stallMs`: how long a backlog takes to drain is the machine's speed
 * (on one 2-core machine scenario 5's 4,500 baseline workflows outlasted a fixed 600 s, and the
 * whole run was lost), while a count that stops falling is a hang, named with what is left.
 */
export async function drained(what: string, remaining: () => Promise<number>, total: number, options: { stallMs?: number; pollMs?: number } = {}): Promise<void> {
  const { stallMs = 180_000, pollMs = 1_000 } = options;
  let least = Infinity;
  let fellAt = Date.now();
  for (;;) {
    const left = Math.max(0, await remaining());
    tick(total - Math.min(left, total), total);
    if (left === 0) return;
    if (left < least) [least, fellAt] = [left, Date.now()];
    else if (Date.now() - fellAt > stallMs) throw new Error(`${what}: ${left} of ${total} still left, and none done in the last ${Math.round(stallMs / 1000)} s`);
    await sleep(pollMs);
  }
}
export const delta = (before: ProcessStats, after: ProcessStats) => after.cpuSeconds - before.cpuSeconds;

/**
 * CPU seconds of every PostgreSQL process on the machine so far (the server and its backends, from
 * /proc): the statements of the API and of the worker run there, on the same cores, and no process
 * of ours counts them. A process that exits (an autovacuum worker, a closed connection's backend)
 * is counted in its server's waited-for children from then on: without them, one run's bare-HTTP
 * arm read -2.03 CPU-ms per order, autovacuum's worker having exited during it.
 */
export function postgresCpuSeconds(): number {
  let seconds = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'postgres') {
        const stats = processStats(Number(entry));
        seconds += stats.cpuSeconds + stats.exitedChildrenCpuSeconds;
      }
    } catch {
      // Gone between the listing and the read.
    }
  }
  return seconds;
}

/** A row judged by its ratio to a baseline: at most `max` (a cost) or at least `min` (a rate). */
export function ratioRow(scenario: string, figure: number, baseline: number, goal: { max: number } | { min: number }, extra: Record<string, unknown> = {}) {
  const ratio = figure / baseline;
  return {
    scenario,
    figure: round(figure),
    baseline: round(baseline),
    ratio: round(ratio, 2),
    goal: 'max' in goal ? `≤ ${goal.max}` : `≥ ${goal.min}`,
    met: 'max' in goal ? ratio <= goal.max : ratio >= goal.min,
    ...extra,
  };
}
