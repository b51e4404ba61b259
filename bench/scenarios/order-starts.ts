// 1. order starts: API POST vs raw client.workflow.start of the same workflow, interleaved.
// 5. API and worker CPU seconds and peak RSS per 1,000 orders, from the same orders.
import { step } from '../progress.ts';
import type { Bench } from '../stack.ts';
import { warmUpOrders, type BenchParams, type Row } from '../params.ts';
import { armsInRound, delta, drained, pool, postgresCpuSeconds, ratioRow, round, roundRatios, sum } from '../measure.ts';
import { workflowIds } from '../../common/ids.ts';
import { noopActivitiesWorkflow } from '../baseline-workflows.ts';
import { randomBytes } from 'node:crypto';

const ARMS = ['api', 'bare', 'raw'] as const;
type Arm = (typeof ARMS)[number];

export async function orderStarts(bench: Bench, params: BenchParams): Promise<Row[]> {
  const { N, C } = params;
  const rows: Row[] = [];
  const { db, client, taskQueue, workerProc, bareBase, postOrder, rawOrderInput } = bench;
  // Every order of the three arms once (armsInRound): with 4 rotations the API went before the
  // control in 3 rounds of 4, and one round's ratio ranged 0.79-0.93 within a run.
  const rounds = 6;
  const perRound = Math.ceil(N / rounds);
  /** Each arm's time per round; the run's rate is over their sum. */
  const roundMs: Record<Arm, number[]> = { api: [], bare: [], raw: [] };
  let errors = 0;
  const workerBefore = workerProc.stats();
  const warmUp = warmUpOrders(params);
  // Each arm's own server's CPU (the raw arm has none), and PostgreSQL's: the worker's statements (it
  // drains all three arms' orders) run in every arm, the API's only in its own, so the API arm's
  // excess is what its statements cost there.
  const servers = { api: bench.api.proc, bare: bench.bareProc!, raw: undefined };
  const cpu = { api: 0, bare: 0, raw: 0 };
  const postgres = { api: 0, bare: 0, raw: 0 };
  // The dev server's, likewise: the worker's tasks for every arm's orders fall in all three arms.
  const temporal = { api: 0, bare: 0, raw: 0 };
  const named = { api: 'the API', bare: 'bare HTTP', raw: 'raw SDK' };
  const jobs: Record<Arm, () => Promise<void>> = {
    // Counted, not thrown: the smoke test asserts the real count of refused order POSTs.
    api: async () => void (await postOrder().catch(() => void errors++)),
    bare: async () => {
      const res = await fetch(`${bareBase}/start`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(rawOrderInput()) });
      await res.arrayBuffer();
      if (res.status !== 202) throw new Error(`bare start answered ${res.status}`);
    },
    raw: async () => {
      const input = rawOrderInput();
      await client.workflow.start('orderWorkflow', { taskQueue, workflowId: workflowIds.order(input.orderId), args: [input] });
    },
  };
  const timed = async (arm: Arm, r: number) => {
    step(`1 order starts · round ${r + 1}/${rounds} · ${named[arm]}`);
    const t = performance.now();
    const [pg, tp, server] = [postgresCpuSeconds(), bench.temporalCpuSeconds(), servers[arm]?.stats()];
    await pool(perRound, C, jobs[arm]);
    postgres[arm] += postgresCpuSeconds() - pg;
    temporal[arm] += (bench.temporalCpuSeconds() ?? 0) - (tp ?? 0);
    if (server) cpu[arm] += delta(server, servers[arm]!.stats());
    roundMs[arm].push(performance.now() - t);
  };
  // Each server first serves orders that are not measured (warmUpOrders), as in tracing's scenario
  // (8): a fresh process's first requests pay for V8 compiling what they run, and a server in
  // service has paid that long before. The warm-up's CPU is reported apart.
  const warmUpCpu = { api: 0, bare: 0, raw: 0 };
  for (const arm of ARMS) {
    step(`1 order starts · warming up ${named[arm]} (${warmUp} orders, not measured)`);
    const server = servers[arm]?.stats();
    await pool(warmUp, C, jobs[arm]);
    if (server) warmUpCpu[arm] = delta(server, servers[arm]!.stats());
  }
  // The worker's backlog, and so its share of the machine, grows as a round goes on.
  for (let r = 0; r < rounds; r++) for (const arm of armsInRound(ARMS, r)) await timed(arm, r);
  const total = perRound * rounds;
  const rate = (arm: Arm) => total / (sum(roundMs[arm]) / 1000);
  const [api, bareRate, raw] = [rate('api'), rate('bare'), rate('raw')];
  const apiCpuMs = (cpu.api / total) * 1000;
  const msPerOrder = (seconds: Record<Arm, number>) => ({ api: round((seconds.api / total) * 1000, 2), bareHttp: round((seconds.bare / total) * 1000, 2), rawSdk: round((seconds.raw / total) * 1000, 2) });
  rows.push({
    scenario: 'order starts (per s)',
    figure: round(api),
    baseline: round(bareRate),
    ratio: round(api / bareRate, 2),
    roundRatios: roundRatios(roundMs.api, roundMs.bare),
    rounds,
    goal: '≥ 0.85 ÷ bare HTTP, API ≤ 3 CPU-ms per order',
    met: api / bareRate >= 0.85 && apiCpuMs <= 3,
    apiCpuMsPerOrder: round(apiCpuMs, 2),
    bareHttpCpuMsPerOrder: round((cpu.bare / total) * 1000, 2),
    warmUpOrdersPerArm: warmUp,
    warmUpCpuMsPerOrder: { api: round((warmUpCpu.api / warmUp) * 1000, 2), bareHttp: round((warmUpCpu.bare / warmUp) * 1000, 2) },
    postgresCpuMsPerOrder: msPerOrder(postgres),
    ...(bench.temporalCpuSeconds() === undefined ? {} : { temporalDevServerCpuMsPerOrder: msPerOrder(temporal) }),
    rawSdkStartsPerSecond: round(raw),
    serviceVsRawSdkRatio: round(api / raw, 2),
    errors,
    n: total,
    concurrency: C,
    bareHttpStartsPerSecond: round(bareRate),
    bareHttpRatio: round(bareRate / raw, 2),
    note: 'ratio = ÷ bare HTTP, an Express server that only parses the body and starts the workflow (no auth, idempotency, validation or database)',
  });

  // Every order of every arm is the worker's work, warm-up's included: the API's must all be active
  // (the others are not in the database), and every order workflow must have completed.
  const apiOrders = total + warmUp;
  step('5 resources · waiting for every order to be active');
  await drained('all orders active', async () => apiOrders - (await db.order.count({ where: { status: 'active' } })), apiOrders);
  step('5 resources · waiting for every order workflow to complete');
  const running = async (workflows: string) => (await client.workflow.count(`${workflows} AND ExecutionStatus = "Running"`)).count;
  await drained('every order workflow completed', () => running(`TaskQueue = "${taskQueue}" AND WorkflowType = "orderWorkflow"`), ARMS.length * (total + warmUp));
  const workerAfter = workerProc.stats();
  const workerCpu = delta(workerBefore, workerAfter);
  const api5 = bench.api.proc.stats();

  // The baseline: as many workflows as the worker ran (the API's, bare-HTTP's and raw orders), of an
  // order's shape (its count of activities, each a no-op), on a worker with the service worker's
  // settings; its CPU per workflow is what the SDK itself costs. As many, because with more of them
  // in flight than the sticky cache holds, how many are in flight decides how often a task misses
  // the cache and replays its history: in one run, 1,000 of them cost 28.8 CPU-s per 1,000 and then
  // 3,000 cost 35.4 (cache 250), so a third as many made the ratio 1.59 instead of 1.29.
  const activities = await bench.activitiesPerOrder();
  const workflows = ARMS.length * (total + warmUp);
  step(`5 resources · baseline: ${workflows} workflows of ${activities} no-op activities`);
  const baselineBefore = bench.baselineProc.stats();
  const label = randomBytes(3).toString('hex');
  await pool(workflows, C, async (i) => void (await client.workflow.start(noopActivitiesWorkflow, { taskQueue: bench.baselineQueue, workflowId: `bench-noop-${label}-${i}`, args: [activities] })));
  step(`5 resources · baseline: waiting for the ${workflows} workflows to complete`);
  await drained('the baseline workflows completed', () => running(`TaskQueue = "${bench.baselineQueue}" AND WorkflowType = "noopActivitiesWorkflow"`), workflows);
  const baselineCpu = delta(baselineBefore, bench.baselineProc.stats());
  const [perOrder, perBaseline] = [(workerCpu / workflows) * 1000, (baselineCpu / workflows) * 1000];
  rows.push({
    scenario: 'resources per 1,000 orders',
    figure: round(apiCpuMs + perOrder),
    baseline: null,
    ratio: null,
    goal: 'report',
    met: null,
    apiCpuSecondsPer1000: round(apiCpuMs),
    workerCpuSecondsPer1000: round(perOrder),
    apiPeakRssMb: round(api5.peakRssMb),
    workerPeakRssMb: round(workerAfter.peakRssMb),
    note: 'figure = API + worker CPU seconds per 1,000 orders; the worker ran the API, bare-HTTP and raw orders',
  });
  rows.push(ratioRow('worker CPU s per 1,000 orders, ÷ per 1,000 no-op workflows', perOrder, perBaseline, { max: 1.5 }, { activitiesPerOrder: activities, baselineWorkflows: workflows }));
  return rows;
}
