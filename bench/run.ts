// `npm run bench`: what the service costs on top of Temporal, measured side by side on one server.
//   --quick                a run of well under a minute (npm test uses it as a smoke test: exact counts only)
//   --orders N --concurrency C --links L --windows W --window-ttl 8m --latency-samples S --export-rows R
//   --only 1,4             run only these scenarios (5 is measured with 1; 7 is partner webhooks; 8 tracing's cost)
//   --skip-timer-baseline  scenario 4 without its W bare timer workflows (for --windows 100000: memory and downloads)
//   --temporal-on-disk     the dev server keeps its state in a SQLite file, not in memory (for --windows 100000)
//   --profile              also record a CPU profile of the API, the worker, the bare-HTTP control and the baselines' worker, and name their hot spots
// Against DATABASE_URL / TEMPORAL_ADDRESS when set, else an embedded PostgreSQL and dev server.
// The API and the worker run as their own processes (as in production); the load generator, the
// raw-SDK baselines and their worker run in this one (bench/stack.ts). Each scenario is a file of
// bench/scenarios/. Prints a table and writes bench/results/<timestamp>.json.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { durationSchema } from '../common/durations.ts';
import { summariseProcess } from './profile.ts';
import { downloads } from './scenarios/downloads.ts';
import { exports } from './scenarios/exports.ts';
import { openWindows } from './scenarios/open-windows.ts';
import { purchaseLatency } from './scenarios/purchase-latency.ts';
import { orderStarts } from './scenarios/order-starts.ts';
import { webhooks } from './scenarios/webhooks.ts';
import { tracingCost } from './scenarios/tracing.ts';
import { RESULTS_DIR, startBenchStack } from './stack.ts';
import type { BenchParams, Row } from './params.ts';
import { done } from './progress.ts';

Runtime.install({ logger: new DefaultLogger('ERROR') });

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    orders: { type: 'string' },
    concurrency: { type: 'string' },
    links: { type: 'string' },
    windows: { type: 'string' },
    'window-ttl': { type: 'string' },
    'latency-samples': { type: 'string' },
    'export-rows': { type: 'string' },
    only: { type: 'string' },
    'skip-timer-baseline': { type: 'boolean', default: false },
    'temporal-on-disk': { type: 'boolean', default: false },
  },
});
/** `--only 2,4` runs just those scenarios (5 comes with 1). */
const only = values.only ? new Set(values.only.split(',').map((x) => Number(x.trim()))) : undefined;
const runs = (scenario: number) => !only || only.has(scenario);
const quick = values.quick;
const params: BenchParams = {
  quick,
  N: Number(values.orders ?? (quick ? 32 : 1000)),
  C: Number(values.concurrency ?? (quick ? 8 : 32)),
  L: Number(values.links ?? (quick ? 2 : 100)),
  W: Number(values.windows ?? (quick ? 80 : 10_000)),
  S: Number(values['latency-samples'] ?? (quick ? 8 : 200)),
  CAP: 50,
  WINDOW_TTL_MS: durationSchema.parse(values['window-ttl'] ?? (quick ? '6s' : '8m')),
  R: Number(values['export-rows'] ?? (quick ? 2000 : 200_000)),
  skipTimerBaseline: values['skip-timer-baseline'],
};
const { N, C, L, W, S, R, WINDOW_TTL_MS } = params;
for (const [name, v] of Object.entries({ N, C, L, W, S, R })) if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive integer`);

const bench = await startBenchStack({ cap: params.CAP, withBare: runs(1) || runs(3), profile: values.profile, temporalOnDisk: values['temporal-on-disk'] });

const results: Row[] = [];
if (runs(1)) results.push(...(await orderStarts(bench, params)));
if (runs(2)) results.push(...(await purchaseLatency(bench, params)));
if (runs(3)) results.push(...(await downloads(bench, params)));
if (runs(4)) results.push(...(await openWindows(bench, params)));
if (runs(6)) results.push(...(await exports(bench, params)));
if (runs(7)) results.push(...(await webhooks(bench, params)));
if (runs(8)) results.push(...(await tracingCost(bench, params)));

await bench.stopServices();
const profiles = values.profile
  ? Object.fromEntries(
      readdirSync(bench.profileDir).map((dir) => [dir, summariseProcess(readdirSync(path.join(bench.profileDir, dir)).map((f) => path.join(bench.profileDir, dir, f)))]),
    )
  : undefined;

done();
const verdict = (met: unknown) => (met === true ? 'met' : met === false ? 'NOT met' : '—');
console.table(results.map(({ scenario, figure, baseline, ratio, goal, met }) => ({ scenario, figure, baseline, ratio, goal, met: verdict(met) })));
for (const r of results) console.log(JSON.stringify(r));
if (profiles) console.log(JSON.stringify(profiles, null, 2));
const dir = RESULTS_DIR;
mkdirSync(dir, { recursive: true });
const file = path.join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify({ at: new Date().toISOString(), quick, only: values.only ?? null, orders: N, concurrency: C, links: L, windows: W, windowTtlMs: WINDOW_TTL_MS, exportRows: R, results, profiles }, null, 2) + '\n');
console.log(`results: ${file}`);
await bench.teardown();
if (bench.temporalLog) console.log(`Temporal dev server log: ${bench.temporalLog}`);
