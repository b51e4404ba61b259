import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { PROJECT_ROOT } from '../../infra/paths.ts';

/** `npm run bench -- --quick` as a smoke test: it must finish with exact counts and no errors. Timings are not judged here. */
describe('benchmark smoke run', () => {
  test('runs every scenario of `bench --quick` with exact download counts and no failed request', async () => {
    let output = '';
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--quick'], {
        cwd: PROJECT_ROOT,
        env: {
          ...process.env,
          ...(process.env.TEST_PG_ADMIN_URL ? { DATABASE_URL: process.env.TEST_PG_ADMIN_URL } : {}),
          ...(process.env.TEMPORAL_TEST_ADDRESS ? { TEMPORAL_ADDRESS: process.env.TEMPORAL_TEST_ADDRESS } : {}),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      child.on('exit', resolve);
    });
    assert.equal(code, 0, output.slice(-3000));
    const file = /results: (.+\.json)/.exec(output)?.[1];
    assert.ok(file, 'the run names its results file');
    type Result = { scenario: string; errors?: number; exact?: boolean; rows?: number; ratio: number | null; baseline: number | null; windows?: number; openAtOnce?: number; lapsedWhileOpening?: number; failed?: number; expiredByTime?: number; workflowsClosedByTimer?: number; activities?: number; activitiesPerOrder?: number; roundRatios?: number[]; rounds?: number; bareTimersDueWithAWindow?: number };
    const report = JSON.parse(readFileSync(file, 'utf8')) as { windows: number; results: Result[] };
    const byName = Object.fromEntries(report.results.map((r) => [r.scenario, r]));
    assert.deepEqual(Object.keys(byName).sort(), [
      'download p99 (ms) with every window open, ÷ with the first 1,000 open',
      'downloads (served per s)',
      'downloads, 302 to storage (per s)',
      'export audit events as CSV (rows per s)',
      'open windows: expiry lag p99 (ms)',
      'order starts (per s)',
      'order starts, tracing on ÷ off (per s)',
      'page through audit events at limit=500: p99 ÷ first page',
      'purchase latency p50 (ms)',
      'resources per 1,000 orders',
      'webhook events delivered per s (burst), service ÷ bare fetch loop',
      'webhook state change → delivery p50 / p99 ms (one at a time)',
      'window timer lag p99 (ms), ÷ bare timer workflows',
      'worker CPU s per 1,000 orders, ÷ per 1,000 no-op workflows',
    ]);
    assert.equal(byName['webhook events delivered per s (burst), service ÷ bare fetch loop']?.exact, true, 'every webhook event arrived, once');
    assert.equal(byName['order starts (per s)']?.errors, 0);
    assert.equal(byName['order starts, tracing on ÷ off (per s)']?.errors, 0, 'every traced order POST accepted (and its span exported: the scenario waits for them)');
    assert.equal(byName['export audit events as CSV (rows per s)']?.exact, true, 'the export held every row');
    assert.equal(byName['downloads (served per s)']?.exact, true);
    assert.equal(byName['downloads, 302 to storage (per s)']?.exact, true);
    const windows = byName['open windows: expiry lag p99 (ms)']!;
    // Every window is open when counted, unless its deadline had already passed (a slow machine).
    assert.deepEqual([(windows.openAtOnce ?? 0) + (windows.lapsedWhileOpening ?? 0), windows.failed, windows.expiredByTime], [report.windows, 0, report.windows], 'every window open (or already past its deadline) at once, then ended by time in the read model');
    assert.equal(windows.workflowsClosedByTimer, report.windows, 'every window’s workflow closed after its deadline: its own timer ended it, not the sweeper');
    assert.equal(byName['window timer lag p99 (ms), ÷ bare timer workflows']?.bareTimersDueWithAWindow, report.windows, 'each bare timer is due at a window’s own deadline: both arms fire in the same seconds');
    assert.ok((byName['purchase latency p50 (ms)']?.activities ?? 0) >= 3, 'the baseline runs as many activities as a purchase');
    assert.equal(byName['worker CPU s per 1,000 orders, ÷ per 1,000 no-op workflows']?.activitiesPerOrder, byName['purchase latency p50 (ms)']?.activities, 'the CPU baseline’s workflows have an order’s shape');
    for (const r of report.results) if (r.baseline !== null) assert.ok((r.ratio ?? 0) > 0, `${r.scenario} has a ratio`);
    for (const [name, rounds] of [['order starts (per s)', 6], ['downloads (served per s)', byName['downloads (served per s)']?.rounds], ['downloads, 302 to storage (per s)', byName['downloads, 302 to storage (per s)']?.rounds], ['order starts, tracing on ÷ off (per s)', 4]] as const) {
      const ratios = byName[name]?.roundRatios ?? [];
      assert.ok(ratios.length === rounds && ratios.every((x) => x > 0), `${name} reports each of its ${rounds} rounds' ratio: ${JSON.stringify(ratios)}`);
    }
  });
});
