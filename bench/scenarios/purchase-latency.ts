// 2. purchase latency: POST → active vs a workflow of as many no-op activities, interleaved.
import { step } from '../progress.ts';
import { randomUUID } from 'node:crypto';
import type { Bench } from '../stack.ts';
import type { BenchParams, Row } from '../params.ts';
import { pool, round } from '../measure.ts';
import { pct } from '../../infra/waiting.ts';
import { workflowIds } from '../../common/ids.ts';
import { noopActivitiesWorkflow } from '../baseline-workflows.ts';

export async function purchaseLatency(bench: Bench, { C, S }: BenchParams): Promise<Row[]> {
  const rows: Row[] = [];
  const { client, baselineQueue, postOrder } = bench;
  const activities = await bench.activitiesPerOrder();
  const apiLatencies: number[] = [];
  const baseLatencies: number[] = [];
  step(`2 purchase latency · ${S} purchases and ${S} baselines, alternating`);
  await pool(S * 2, Math.min(C, 4), async (i) => {
    const t = performance.now();
    if (i % 2 === 0) {
      const orderId = await postOrder();
      await client.workflow.getHandle(workflowIds.order(orderId)).result();
      apiLatencies.push(performance.now() - t);
    } else {
      await client.workflow.execute(noopActivitiesWorkflow, { taskQueue: baselineQueue, workflowId: `bench-noop-${randomUUID()}`, args: [activities] });
      baseLatencies.push(performance.now() - t);
    }
  });
  const p = (xs: number[]) => ({ p50: round(pct(xs, 50)), p95: round(pct(xs, 95)), p99: round(pct(xs, 99)) });
  const a = p(apiLatencies);
  const b = p(baseLatencies);
  rows.push({ scenario: 'purchase latency p50 (ms)', figure: a.p50, baseline: b.p50, ratio: round(a.p50 / b.p50, 2), goal: 'p50 and p95 ≤ 1.15', met: a.p50 / b.p50 <= 1.15 && a.p95 / b.p95 <= 1.15, p95Ratio: round(a.p95 / b.p95, 2), api: a, baselineLatency: b, activities, samples: S });
  return rows;
}
