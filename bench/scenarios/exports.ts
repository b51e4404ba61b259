// 6. exports: R audit events exported as CSV (rows/s, the API's RSS growth while it streams) and
// paged through at limit=500 (each page's latency against the first's: keyset paging stays flat).
import { step } from '../progress.ts';
import type { Bench } from '../stack.ts';
import type { BenchParams, Row } from '../params.ts';
import { round } from '../measure.ts';
import { pct } from '../../infra/waiting.ts';

export async function exports(bench: Bench, { R, quick }: BenchParams): Promise<Row[]> {
  step(`6 exports · ${R} audit events: writing them, exporting them as CSV, paging through them`);
  const { db, operationsKey } = bench;
  await db.$executeRaw`
    INSERT INTO audit_events (at, agent_id, partner_id, action, target_type, target_id, data)
    SELECT now() - (n || ' seconds')::interval, NULL, NULL, 'bench.export', 'bench', n::text, jsonb_build_object('n', n, 'note', 'a "quoted", comma')
      FROM generate_series(1, ${R}::int) AS n`;
  // A table that grew to R rows over months has statistics; one filled a moment ago has none until
  // autovacuum's next round, and the planner would read all R rows per batch to sort them.
  await db.$executeRawUnsafe('ANALYZE audit_events');
  const auth = { Authorization: `Bearer ${operationsKey}` };
  const query = '/v1/audit-events?action=bench.export';

  // Export: count the CSV's records as they arrive, never holding the body.
  const countRows = async (path: string) => {
    const res = await fetch(`${bench.api.base}${path}`, { headers: { ...auth, Accept: 'text/csv' } });
    let newlines = 0;
    for await (const chunk of res.body! as AsyncIterable<Uint8Array>) for (const byte of chunk) if (byte === 10) newlines++;
    return { status: res.status, rows: newlines - 1 };
  };
  // A first, small export loads what any export needs once (modules, query plans, compiled code);
  // growth over the API before it is what the first export costs, over the API after it what
  // streaming the whole set costs: the bounded-memory claim is that the second stays flat.
  const cold = bench.api.proc.stats().rssMb;
  let coldPeak = cold;
  const coldSampler = setInterval(() => (coldPeak = Math.max(coldPeak, bench.api.proc.stats().rssMb)), 50);
  const small = await countRows(`${query}&from=${new Date(Date.now() - 2000_000).toISOString()}`);
  clearInterval(coldSampler);
  if (small.status !== 200 || small.rows < 1) throw new Error(`the small export answered ${small.status} with ${small.rows} rows`);
  // Then a quiet spell, as an API has between exports: V8 gives back memory it does not need after
  // some seconds of little allocation, so the export that follows grows from the smaller heap: the
  // case where thousand-row batches grew the API by 74-107 MB over idle, where 0.5 s showed ~1 MB.
  await new Promise((r) => setTimeout(r, quick ? 500 : 12_000));
  const idle = bench.api.proc.stats().rssMb;
  let peak = idle;
  const sampler = setInterval(() => (peak = Math.max(peak, bench.api.proc.stats().rssMb)), 50);
  const t = performance.now();
  const full = await countRows(query);
  const seconds = (performance.now() - t) / 1000;
  clearInterval(sampler);
  peak = Math.max(peak, bench.api.proc.stats().rssMb);
  const exported = full.rows;
  if (full.status !== 200 || exported !== R) throw new Error(`export answered ${full.status} with ${exported} of ${R} rows`);

  // Paging: follow Link rel="next" at limit=500 through every row.
  const latencies: number[] = [];
  let next: string | undefined = `${query}&limit=500`;
  let paged = 0;
  while (next) {
    const started = performance.now();
    const page = await fetch(`${bench.api.base}${next}`, { headers: auth });
    const body = (await page.json()) as unknown[];
    latencies.push(performance.now() - started);
    paged += body.length;
    next = /^<([^>]+)>; rel="next"$/.exec(page.headers.get('link') ?? '')?.[1];
  }
  if (paged !== R) throw new Error(`paging saw ${paged} of ${R} rows`);
  const first = latencies[0]!;
  return [
    {
      scenario: 'export audit events as CSV (rows per s)',
      figure: round(R / seconds),
      baseline: null,
      ratio: null,
      goal: 'API RSS growth ≤ 50 MB over idle',
      met: peak - idle <= 50 && exported === R,
      rows: R,
      quietSecondsBefore: quick ? 0.5 : 12,
      exact: exported === R,
      apiColdRssMb: round(cold),
      firstSmallExportRows: small.rows,
      firstSmallExportGrowthMb: round(coldPeak - cold),
      apiIdleRssMb: round(idle),
      apiPeakRssMb: round(peak),
      apiRssGrowthMb: round(peak - idle),
    },
    {
      scenario: 'page through audit events at limit=500: p99 ÷ first page',
      figure: round(pct(latencies, 99)),
      baseline: round(first),
      ratio: round(pct(latencies, 99) / first, 2),
      goal: '≤ 2',
      met: pct(latencies, 99) / first <= 2,
      pages: latencies.length,
      rows: paged,
      lastPageMs: round(latencies[latencies.length - 1]!),
    },
  ];
}
