// 3. downloads: L links × 50 through GET /v1/downloads/:token vs raw updates on a counter,
// once serving the file itself (200) and once sending the client to storage (302, DOWNLOAD_STORAGE_URL).
import { randomUUID } from 'node:crypto';
import { step } from '../progress.ts';
import type { Bench, BenchParams, Row } from '../stack.ts';
import { delta, pool, round } from '../stack.ts';
import { pct } from '../../infra/waiting.ts';
import { incrementUpdate } from '../baseline-workflows.ts';
import { postgresCpuSeconds } from '../measure.ts';

export async function downloads(bench: Bench, { C, L, CAP, quick }: BenchParams): Promise<Row[]> {
  const rows: Row[] = [];
  const { db, bareBase, customer, headers, newSubscriptions, startCounters } = bench;
  const variantSpec = { version: '2022 RTM', language: 'English', fileType: 'ISO (x64)' };
  /** `count` fresh links on `apiBase`, one per new subscription. */
  async function openLinks(apiBase: string, count = L): Promise<string[]> {
    step(`3 downloads · buying ${count} subscriptions and opening a window on each`);
    const subs = await newSubscriptions(count, Math.min(C, 8));
    const tokens: string[] = [];
    await pool(count, C, async (i) => {
      const res = await fetch(`${apiBase}/v1/customers/${customer.id}/software/${subs[i]}/keys-and-downloads`, { method: 'POST', headers: headers(), body: JSON.stringify(variantSpec) });
      const body = (await res.json()) as { download: { url: string } };
      tokens[i] = new URL(body.download.url).pathname.split('/').pop()!;
    });
    return tokens;
  }
  /**
   * Downloads every link to its cap, timed, as the baselines count theirs; then, untimed, 5 more
   * each, which must all answer 410. (Timing the refusals too made the service do 55 requests a
   * link against the baselines' 50, a tenth of its rate lost by construction.) `served` counts the
   * answers that gave the file.
   */
  async function downloadAll(apiBase: string, tokens: string[], servedStatus: number) {
    const served = new Map<string, number>();
    const fetchOne = async (i: number) => {
      const token = tokens[i % L]!;
      const res = await fetch(`${apiBase}/v1/downloads/${token}`, { redirect: 'manual' });
      await res.arrayBuffer();
      if (res.status === servedStatus) served.set(token, (served.get(token) ?? 0) + 1);
      else if (res.status !== 410) throw new Error(`download answered ${res.status}`);
    };
    step(`3 downloads · ${L} links × ${CAP} through the API (${servedStatus})`);
    const [t, cpuBefore, pgBefore] = [performance.now(), bench.api.proc.stats(), postgresCpuSeconds()];
    const latencies = await pool(L * CAP, C, fetchOne);
    const seconds = (performance.now() - t) / 1000;
    const apiCpuMs = (delta(cpuBefore, bench.api.proc.stats()) / (L * CAP)) * 1000;
    const postgresCpuMs = ((postgresCpuSeconds() - pgBefore) / (L * CAP)) * 1000;
    step(`3 downloads · ${L} links × 5 past the cap (410, untimed)`);
    await pool(L * 5, C, fetchOne);
    return { rate: (L * CAP) / seconds, p99: pct(latencies, 99), apiCpuMs, postgresCpuMs, exact: tokens.every((tk) => served.get(tk) === CAP), counts: [...served.values()] };
  }
  /**
   * Each server first serves downloads that are not measured (as scenario 1 does orders): a fresh
   * process's first requests pay for V8 compiling what they run, and the 302 mode's API is a new
   * process. `warmLinks` windows (or counters) used to their cap; the control's and the raw
   * client's go through the same code as their timed runs.
   */
  const warmLinks = quick ? 1 : 10;
  const warming = (what: string) => step(`3 downloads · warming up ${what} (${warmLinks * CAP} downloads, not measured)`);
  async function warmApi(apiBase: string) {
    const tokens = await openLinks(apiBase, warmLinks);
    warming('the API');
    await pool(warmLinks * CAP, C, async (i) => void (await (await fetch(`${apiBase}/v1/downloads/${tokens[i % warmLinks]}`, { redirect: 'manual' })).arrayBuffer()));
  }
  /** `count` fresh counters of the control's. */
  const newCounters = (count: number) => Array.from({ length: count }, () => randomUUID());
  async function warmBare(route: string, status: number) {
    warming('bare HTTP');
    await bareHttp(newCounters(warmLinks), route, status);
  }
  type Run = Awaited<ReturnType<typeof downloadAll>>;
  /**
   * One mode's row: its rate against `judged` (the raw baseline measured after it unless another is
   * given) and the goal for that ratio; exact counts or the run fails.
   */
  function downloadResult(scenario: string, run: Run, raw: { rate: number; p99: number }, events: number, extra: Record<string, unknown>, judged: { rate: number; goal: number }) {
    rows.push({
      scenario,
      figure: round(run.rate),
      baseline: round(judged.rate),
      ratio: round(run.rate / judged.rate, 2),
      goal: `≥ ${judged.goal} and exact`,
      met: run.rate / judged.rate >= judged.goal && run.exact,
      rawUpdatesPerSecond: round(raw.rate),
      p99Ms: round(run.p99),
      apiCpuMsPerDownload: round(run.apiCpuMs, 2),
      // Every postgres process on the machine (bench/measure.ts): the count, its event and the link's row.
      postgresCpuMsPerDownload: round(run.postgresCpuMs, 2),
      baselineP99Ms: round(raw.p99),
      ...extra,
      exact: run.exact,
      downloadEvents: events,
      links: L,
      warmUpDownloadsPerArm: warmLinks * CAP,
    });
    if (!run.exact || events !== L * CAP) throw new Error(`${scenario} not exact: ${JSON.stringify(run.counts)}, ${events} events`);
  }
  /** Raw executeUpdate on `count` fresh counter workflows, CAP each: the baseline of both modes. */
  async function rawUpdates(count = L) {
    const handles = await startCounters('counter', count);
    const t = performance.now();
    const latencies = await pool(count * CAP, C, async (i) => {
      await handles[i % count]!.executeUpdate(incrementUpdate);
    });
    return { rate: (count * CAP) / ((performance.now() - t) / 1000), p99: pct(latencies, 99) };
  }

  // The control's query names the file the service serves, so it streams the same one.
  const variant = await db.productVariant.findFirstOrThrow({ where: { productId: 'sql-server-2022-standard', ...variantSpec } });
  const fileQuery = `variant=${encodeURIComponent(variant.id)}&file=${encodeURIComponent(variant.fileName)}&size=${variant.sizeBytes}`;
  /** Download events recorded while `run` ran: the timed downloads only (a warm-up's come before). */
  const recording = async <T>(run: () => Promise<T>): Promise<[T, number]> => {
    const before = await db.downloadEvent.count();
    const result = await run();
    return [result, (await db.downloadEvent.count()) - before];
  };

  await warmApi(bench.api.base);
  const streamedTokens = await openLinks(bench.api.base);
  const [streamed, events] = await recording(() => downloadAll(bench.api.base, streamedTokens, 200));
  warming('the raw SDK');
  await rawUpdates(warmLinks);
  const raw = await rawUpdates();
  // Control: the same counting, in PostgreSQL, through a bare HTTP server that also streams the same file.
  await warmBare('download', 200);
  /** The control arm: CAP counts on each counter through the bare HTTP server, each answered `status`. */
  async function bareHttp(counters: string[], route: string, status: number) {
    const n = counters.length * CAP;
    const t = performance.now();
    const [cpuBefore, pgBefore] = [bench.bareProc!.stats(), postgresCpuSeconds()];
    const latencies = await pool(n, C, async (i) => {
      const res = await fetch(`${bareBase}/${route}?counter=${counters[i % counters.length]!}&cap=${CAP}&${fileQuery}`, { redirect: 'manual' });
      await res.arrayBuffer();
      if (res.status !== status) throw new Error(`bare ${route} answered ${res.status}`);
    });
    const seconds = (performance.now() - t) / 1000;
    return { rate: n / seconds, p99: pct(latencies, 99), cpuMs: (delta(cpuBefore, bench.bareProc!.stats()) / n) * 1000, postgresCpuMs: ((postgresCpuSeconds() - pgBefore) / n) * 1000 };
  }
  step(`3 downloads · ${L} links × ${CAP} through bare HTTP (200)`);
  const { rate: bareRate, p99: bareP99, cpuMs: bareCpuMs, postgresCpuMs: barePgMs } = await bareHttp(newCounters(L), 'download', 200);
  downloadResult('downloads (served per s)', streamed, raw, events, {
    bareHttpPerSecond: round(bareRate),
    bareHttpP99Ms: round(bareP99),
    bareHttpCpuMsPerDownload: round(bareCpuMs, 2),
    bareHttpPostgresCpuMsPerDownload: round(barePgMs, 2),
    bareHttpRatio: round(bareRate / raw.rate, 2),
    serviceVsBareHttpRatio: round(streamed.rate / bareRate, 2),
    note: 'ratio = ÷ bare HTTP, an Express server that counts in PostgreSQL by one conditional statement, as the API does, and streams the same file, with no token, auth or download events; the API streams the file (200)',
  }, { rate: bareRate, goal: 0.95 });

  // The same through an API that redirects to storage, as a deployment with DOWNLOAD_STORAGE_URL does.
  await bench.restartApi({ DOWNLOAD_STORAGE_URL: 'https://downloads.example.test/media' });
  await warmApi(bench.api.base);
  const redirectedTokens = await openLinks(bench.api.base);
  const [redirected, redirectedEvents] = await recording(() => downloadAll(bench.api.base, redirectedTokens, 302));
  const raw2 = await rawUpdates();
  await warmBare('redirect', 302);
  // Control: what any HTTP hop in front of the count costs, answering the same 302.
  step(`3 downloads · ${L} links × ${CAP} through bare HTTP (302)`);
  const bare302 = await bareHttp(newCounters(L), 'redirect', 302);
  downloadResult('downloads, 302 to storage (per s)', redirected, raw2, redirectedEvents, {
    bareHttpPerSecond: round(bare302.rate),
    bareHttpP99Ms: round(bare302.p99),
    bareHttpCpuMsPerDownload: round(bare302.cpuMs, 2),
    bareHttpPostgresCpuMsPerDownload: round(bare302.postgresCpuMs, 2),
    bareHttpRatio: round(bare302.rate / raw2.rate, 2),
    serviceVsBareHttpRatio: round(redirected.rate / bare302.rate, 2),
    note: 'ratio = ÷ raw executeUpdate on counter workflows (how the SDK would count); DOWNLOAD_STORAGE_URL set: each counted download answers 302 to storage instead of streaming the file; bareHttp = an Express server that counts in PostgreSQL as the API does and answers the same 302',
  }, { rate: raw2.rate, goal: 0.85 });
  return rows;
}
