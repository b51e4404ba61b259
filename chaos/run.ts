// `npm run test:chaos`: kill, restart and overload the real stack, then prove nothing was lost.
//   --quick   the CI budget (a few minutes); without it, the full run (longer load, more kills)
// Exits non-zero when any discrepancy is found. Prints a summary table; writes chaos/results/<ts>.json.
import { randomInt, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { signPaymentWebhook } from '../api/services/payments.ts';
import { PROJECT_ROOT } from '../infra/paths.ts';
import { LocalPaymentProvider } from '../providers/payments.ts';
import { checkCases, checkLinks, checkOrders, type Check } from './checks.ts';
import { pct, sleep, until } from '../infra/waiting.ts';
import { httpClient, newTally, type Reply } from './http.ts';
import { startChaosStack } from './stack.ts';
import { firstTimerFired } from './timers.ts';
import { checkWebhooks, watchWebhooks } from './webhooks.ts';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
const quick = values.quick;
const BUDGET = {
  kills: quick ? 10 : 20,
  orders: 50,
  links: 20,
  cancellations: 10,
  loadClients: 200,
  loadSeconds: quick ? 20 : 60,
  outageSeconds: quick ? 6 : 15,
};

const started = Date.now();
const log = (msg: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${msg}`);

// The Temporal restart's checks follow from each window's deadline and the measured restart time,
// so a slow restart changes which answer is right, never whether the run passes.
const stack = await startChaosStack({ linkTtl: quick ? '60s' : '120s', paymentDeadline: '20s' });
const tally = newTally();
const http = httpClient(stack.apiBase, tally);
const p0 = stack.demo.partners[0]!;
const p1 = stack.demo.partners[1]!;
const admins = [p0, p1].map((p) => ({ key: p.apiKeys.admin_agent, sales: p.apiKeys.sales_agent, customer: p.customers[0]! }));
const support = stack.demo.apiKeys.support_engineer;
const faults: Record<string, number> = { 'worker SIGKILL': 0, 'Temporal server restart': 0, 'PostgreSQL outage': 0 };
const acknowledgedOrders = new Map<string, string>();
const approvedCases = new Set<string>();
const served = new Map<string, { linkId?: string; count: number }>();
const phaseNotes: Record<string, unknown> = {};
// Partner webhooks for both partners, to one verifying receiver, through every phase.
const hooks = await watchWebhooks(stack.apiBase, admins.map((a) => a.key));
const VARIANT = { version: '2022 RTM', language: 'English', fileType: 'ISO (x64)' };

async function order(who: (typeof admins)[number], paymentMethod: string, lines = 1, productId = 'sql-server-2022-standard'): Promise<string | null> {
  const reply = await http.write('buy', `/v1/customers/${who.customer.id}/orders`, who.key, { lineItems: Array.from({ length: lines }, () => ({ productId, quantity: 1 })), paymentMethod });
  if (reply?.status !== 202) return null;
  const id = String(reply.body.orderId);
  acknowledgedOrders.set(id, paymentMethod);
  return id;
}
/** The provider settles the payment on its side, then sends its signed event (as a real one would). */
async function confirmPayment(orderId: string, type: 'payment.succeeded' | 'payment.failed') {
  await until(`payment of ${orderId} pending`, async () => Boolean((await stack.db.order.findUnique({ where: { id: orderId } }))?.paymentId), 240_000);
  const paymentId = (await stack.db.order.findUniqueOrThrow({ where: { id: orderId } })).paymentId!;
  const event = await new LocalPaymentProvider(stack.db).settle(paymentId, type);
  const raw = JSON.stringify({ eventId: event.eventId, orderId, type });
  const deadline = Date.now() + 240_000;
  for (;;) {
    const r = await http.once('webhook', 'POST', '/v1/payments/webhook', { raw, headers: { 'Payment-Signature': signPaymentWebhook(stack.webhookSecret, raw) } });
    if (r && r.status < 500) return;
    if (Date.now() > deadline) throw new Error(`the payment webhook for ${orderId} was not taken within 240 s; last answer: ${r?.status ?? 'none'}`);
    await sleep(500);
  }
}
async function openLink(who: (typeof admins)[number], subscriptionId: string, variant = VARIANT): Promise<string | null> {
  const reply = await http.write('keys-and-downloads', `/v1/customers/${who.customer.id}/software/${subscriptionId}/keys-and-downloads`, who.key, variant);
  if (reply?.status !== 200) return null;
  const download = reply.body.download as { url: string; linkId: string };
  const token = new URL(download.url).pathname.split('/').pop()!;
  if (!served.has(token)) served.set(token, { linkId: download.linkId, count: 0 });
  return token;
}
async function download(token: string): Promise<Reply | null> {
  const reply = await http.once('download', 'GET', `/v1/downloads/${token}`);
  if (reply?.status === 200) served.get(token)!.count++;
  return reply;
}
async function activeSubscriptions(who: (typeof admins)[number], lines: number): Promise<string[]> {
  const id = await order(who, 'pm_card_ok', lines);
  if (!id) throw new Error('could not place a set-up order');
  await until('set-up order active', async () => (await stack.db.order.findUnique({ where: { id } }))?.status === 'active', 120_000);
  return (await stack.db.softwareSubscription.findMany({ where: { orderId: id }, select: { id: true } })).map((s) => s.id);
}
/** Files the cancellation, waits for review, approves; retried through crashes until the case is decided. */
async function cancelAndApprove(who: (typeof admins)[number], subscriptionId: string) {
  const filed = await http.write('cancel', `/v1/customers/${who.customer.id}/software/${subscriptionId}/cancellation`, who.key, {
    customer: { domain: who.customer.domain },
    subscriptionId,
    refundReason: 'chaos: ordered by mistake',
    amountRequested: { amount: '100.00', currency: 'USD' },
    impact: 'low',
    title: 'Chaos refund',
    contact: { name: 'Chaos Monkey', email: 'chaos@example.com', phone: '+1 425 555 0100' },
  });
  if (filed?.status !== 202) throw new Error(`cancellation not filed: ${filed?.status} ${JSON.stringify(filed?.body)}`);
  const caseId = String(filed.body.refundCaseId);
  await until('case in review', async () => (await stack.db.refundCase.findUnique({ where: { id: caseId } }))?.status === 'in_review', 180_000);
  const deadline = Date.now() + 240_000;
  for (;;) {
    const r = await http.once('decide', 'POST', `/v1/refund-cases/${caseId}/decision`, { key: support, body: { decision: 'approve', approvedAmount: '80.00', note: 'chaos approval' } });
    const status = (await stack.db.refundCase.findUnique({ where: { id: caseId } }))?.status;
    if (r?.status === 200 || r?.status === 202 || status === 'approved' || status === 'completed') break;
    if (Date.now() > deadline) throw new Error(`case ${caseId} could not be approved within 240 s; last answer ${r?.status ?? 'none'}, status ${status}`);
    await sleep(500);
  }
  tally.acknowledged++;
  approvedCases.add(caseId);
}

const checks: Check[] = [];
let serviceLogs = { api: '', worker: '' };
try {
  // ---------------------------------------------------------------- 1. worker kills
  log('phase 1: worker SIGKILLs under orders, downloads and cancellations');
  const linkSubs = [...(await activeSubscriptions(admins[0]!, 10)), ...(await activeSubscriptions(admins[1]!, 10))];
  const tokens = (await Promise.all(linkSubs.map((s, i) => openLink(admins[i < 10 ? 0 : 1]!, s)))).filter((t): t is string => Boolean(t));
  if (tokens.length !== BUDGET.links) throw new Error(`only ${tokens.length} of ${BUDGET.links} links opened`);
  let stop = false;
  const methods = ['pm_card_ok', 'pm_card_declined', 'pm_async', 'pm_flaky'];
  const ordersDone = Promise.all(
    Array.from({ length: BUDGET.orders }, async (_, i) => {
      await sleep(randomInt(0, 15_000));
      const method = methods[i % methods.length]!;
      const id = await order(admins[i % 2]!, method);
      // Half of the asynchronous payments are confirmed; the rest must expire at their deadline.
      if (id && method === 'pm_async' && i % 8 < 4) await confirmPayment(id, 'payment.succeeded');
    }),
  );
  const downloaders = Promise.all(
    Array.from({ length: 4 }, async () => {
      while (!stop) {
        await download(tokens[randomInt(tokens.length)]!);
        await sleep(randomInt(20, 120));
      }
    }),
  );
  const cancellations = Promise.all(linkSubs.slice(0, BUDGET.cancellations).map((s, i) => sleep(randomInt(0, 10_000)).then(() => cancelAndApprove(admins[i < 10 ? 0 : 1]!, s))));
  const killer = (async () => {
    for (let k = 0; k < BUDGET.kills; k++) {
      await sleep(randomInt(1500, 3500));
      hooks.kills.push(Date.now());
      await stack.killWorker();
      faults['worker SIGKILL']!++;
      await sleep(randomInt(100, 1500));
      await stack.restartWorker();
    }
  })();
  // The receiver is down for a while mid-phase: its events wait, retried, behind each customer's first.
  const receiverOutage = sleep(4000).then(async () => {
    hooks.receiver.mode = 'down';
    await sleep(6000);
    hooks.receiver.mode = 'ok';
  });
  await killer;
  await receiverOutage;
  log(`phase 1: ${faults['worker SIGKILL']} kills done; waiting for orders and cases to settle`);
  await ordersDone;
  await cancellations;
  stop = true;
  await downloaders;
  await until(
    'every acknowledged order finished',
    async () => (await stack.db.order.count({ where: { id: { in: [...acknowledgedOrders.keys()] }, status: { in: ['awaiting_payment', 'provisioning'] } } })) === 0,
    240_000,
    () => unsettledOrders(),
  );
  await until('every approved case completed', async () => (await stack.db.refundCase.count({ where: { id: { in: [...approvedCases] }, status: { not: 'completed' } } })) === 0, 240_000, () =>
    stack.db.refundCase.findMany({ where: { id: { in: [...approvedCases] }, status: { not: 'completed' } }, select: { id: true, status: true } }),
  );

  // ---------------------------------------------------------------- 2. Temporal server restart
  log('phase 2: Temporal dev server restart');
  const freshSubs = await activeSubscriptions(admins[0]!, 3);
  const restartTokens = (await Promise.all(freshSubs.map((s) => openLink(admins[0]!, s)))).filter((t): t is string => Boolean(t));
  for (const t of restartTokens) for (let i = 0; i < 3; i++) await download(t);
  const before = await stack.db.downloadLink.findMany({ where: { id: { in: restartTokens.map((t) => served.get(t)!.linkId!) } }, select: { id: true, downloadsUsed: true, expiresAt: true } });
  const inFlight = await order(admins[1]!, 'pm_async');
  const stoppedAt = Date.now();
  const downProblems: string[] = [];
  await stack.stopTemporal();
  faults['Temporal server restart']!++;
  const during: number[] = [];
  const downEnd = Date.now() + BUDGET.outageSeconds * 1000;
  const firstDeadline = before.find((b) => b.id === served.get(restartTokens[0]!)!.linkId)!.expiresAt.getTime();
  while (Date.now() < downEnd) {
    const sentAt = Date.now();
    const [d, o, ready] = await Promise.all([
      http.once('download', 'GET', `/v1/downloads/${restartTokens[0]}`),
      http.once('buy', 'POST', `/v1/customers/${admins[0]!.customer.id}/orders`, { key: admins[0]!.key, body: { lineItems: [{ productId: 'sql-server-2022-standard', quantity: 1 }], paymentMethod: 'pm_card_ok' }, idempotencyKey: randomUUID() }),
      http.once('readyz', 'GET', '/readyz'),
    ]);
    during.push(d?.status ?? 0, o?.status ?? 0, ready?.status ?? 0);
    // A window whose deadline has passed is refused (410) without asking Temporal: right on a slow machine.
    const downloadNeedsTemporal = sentAt < firstDeadline;
    downProblems.push(...outageProblems('Temporal', downloadNeedsTemporal ? { download: d, 'order POST': o } : { 'order POST': o }, ready, 'temporal'));
    if (!downloadNeedsTemporal && d?.status !== 410) downProblems.push(`a download past its deadline while Temporal was down answered ${d?.status ?? 'nothing'}, not 410`);
    await sleep(500);
  }
  await stack.startTemporal();
  await until('API ready again by itself', async () => (await http.once('readyz', 'GET', '/readyz'))?.status === 200, 60_000);
  // How slow the restart was decides what the first download after it must answer: a window whose
  // deadline had not come when the answer left is served and counted once more; one whose deadline
  // had passed before the request is refused (410, by time) and counts nothing. A busy machine moves
  // links from the first kind to the second; it cannot make either answer wrong.
  const afterRestart = await Promise.all(
    restartTokens.map(async (t) => {
      const sentAt = Date.now();
      const reply = await download(t);
      return { linkId: served.get(t)!.linkId!, reply, sentAt, answeredAt: Date.now() };
    }),
  );
  if (inFlight) await confirmPayment(inFlight, 'payment.succeeded');
  const after = await stack.db.downloadLink.findMany({ where: { id: { in: before.map((b) => b.id) } }, select: { id: true, downloadsUsed: true, expiresAt: true, status: true } });
  const restartProblems: string[] = [];
  let servedAfterRestart = 0;
  for (const { linkId, reply, sentAt, answeredAt } of afterRestart) {
    const b = before.find((x) => x.id === linkId)!;
    const a = after.find((x) => x.id === linkId)!;
    const deadline = b.expiresAt.getTime();
    const status = reply?.status ?? 0;
    const expected = answeredAt < deadline ? [200] : sentAt >= deadline ? [410] : [200, 410];
    if (!expected.includes(status)) restartProblems.push(`link ${linkId}: the first download after the restart answered ${status}, expected ${expected.join(' or ')} (deadline ${deadline - answeredAt} ms after the answer)`);
    if (status === 200) servedAfterRestart++;
    const counted = status === 200 ? 1 : 0;
    if (a.downloadsUsed !== b.downloadsUsed + counted) restartProblems.push(`link ${linkId}: ${b.downloadsUsed} downloads before the restart, ${a.downloadsUsed} after a ${status}`);
    if (a.expiresAt.getTime() !== b.expiresAt.getTime()) restartProblems.push(`link ${linkId}: deadline moved`);
  }
  // The windows' timers were set before the restart; they must still fire. Read from each
  // workflow's history, not from the read model (the sweeper ends lapsed windows there by itself).
  const lastDeadline = Math.max(...before.map((b) => b.expiresAt.getTime()));
  const linkWorkflows = before.map((b) => `link-${b.id}`);
  let fired = new Map<string, number | null>();
  await until(
    'every window’s own timer fired after the restart',
    async () => {
      fired = await firstTimerFired(stack.temporalAddress, 'default', linkWorkflows);
      return [...fired.values()].every((t) => t !== null);
    },
    lastDeadline - Date.now() + 60_000,
    async () => Object.fromEntries(fired),
  );
  for (const [workflowId, at] of fired) {
    if (at! < stoppedAt) restartProblems.push(`${workflowId}: its timer fired before the restart, so the restart did not test it`);
  }
  const sweptByTime = await stack.db.downloadLink.count({ where: { id: { in: before.map((b) => b.id) }, endReason: 'time' } });
  const lags = await stack.db.downloadLink.findMany({ where: { id: { in: before.map((b) => b.id) } }, select: { expiresAt: true, endedAt: true, endReason: true } });
  checks.push({ name: 'Temporal restart: counts, deadlines, timers, 503s', checked: before.length * 3 + during.length, discrepancies: [...restartProblems, ...downProblems] });
  phaseNotes.temporalRestart = {
    answersWhileDown: countBy(during),
    restartMs: afterRestart.length ? Math.min(...afterRestart.map((r) => r.sentAt)) - stoppedAt : null,
    servedAfterRestart,
    refusedByTimeAfterRestart: afterRestart.length - servedAfterRestart,
    timersFiredAfterRestart: [...fired.values()].filter((t) => t !== null && t >= stoppedAt).length,
    timerLagMs: before.map((b) => (fired.get(`link-${b.id}`) ?? 0) - b.expiresAt.getTime()),
    // The read model's own figure, kept apart: the sweeper writes it whether or not a timer fires.
    readModelEndedByTime: sweptByTime,
    readModelLagMs: lags.map((l) => (l.endedAt ? l.endedAt.getTime() - l.expiresAt.getTime() : null)),
  };

  // ---------------------------------------------------------------- 3. database outage
  log('phase 3: PostgreSQL outage');
  const beforeOutage = await Promise.all([order(admins[0]!, 'pm_card_ok'), order(admins[1]!, 'pm_flaky')]);
  await stack.stopDatabase();
  faults['PostgreSQL outage']!++;
  const dbDuring: number[] = [];
  const dbDownProblems: string[] = [];
  const readyDuring: number[] = [];
  const dbDownEnd = Date.now() + BUDGET.outageSeconds * 1000;
  while (Date.now() < dbDownEnd) {
    const [o, ready] = await Promise.all([
      http.once('buy', 'POST', `/v1/customers/${admins[0]!.customer.id}/orders`, { key: admins[0]!.key, body: { lineItems: [{ productId: 'sql-server-2022-standard', quantity: 1 }], paymentMethod: 'pm_card_ok' }, idempotencyKey: randomUUID() }),
      http.once('readyz', 'GET', '/readyz'),
    ]);
    dbDuring.push(o?.status ?? 0);
    readyDuring.push(ready?.status ?? 0);
    dbDownProblems.push(...outageProblems('PostgreSQL', { 'order POST': o }, ready, 'database'));
    await sleep(500);
  }
  // An order sent during the outage, retried by its caller until acknowledged after it.
  const retried = order(admins[1]!, 'pm_card_ok');
  await sleep(1000);
  await stack.startDatabase();
  const afterOutage = await retried;
  await until('API ready after the outage', async () => (await http.once('readyz', 'GET', '/readyz'))?.status === 200, 60_000);
  const ids = [...beforeOutage, afterOutage].filter((x): x is string => Boolean(x));
  await until('orders around the outage finished', async () => (await stack.db.order.count({ where: { id: { in: ids }, status: 'active' } })) === ids.length, 180_000);
  const dbProblems = [
    ...dbDownProblems,
    ...(ids.length === 3 ? [] : [`only ${ids.length} of 3 orders around the outage were acknowledged`]),
  ];
  checks.push({ name: 'database outage: 503s, nothing acknowledged lost', checked: dbDuring.length + readyDuring.length + 3, discrepancies: dbProblems });
  phaseNotes.databaseOutage = { orderPostsWhileDown: countBy(dbDuring), readyzWhileDown: countBy(readyDuring) };

  // ---------------------------------------------------------------- 5. load
  log(`phase 5: ${BUDGET.loadClients} concurrent clients for ${BUDGET.loadSeconds} s`);
  const loadTally = newTally();
  const loadHttp = httpClient(stack.apiBase, loadTally);
  const pool = { subs: [...linkSubs.slice(BUDGET.cancellations), ...freshSubs], tokens: [...tokens.slice(BUDGET.cancellations)], cases: [] as string[] };
  const loadEnd = Date.now() + BUDGET.loadSeconds * 1000;
  const ops = ['buy', 'list', 'keys', 'download', 'download', 'download', 'cancel', 'decide'] as const;
  const cancelled = new Set<string>();
  await Promise.all(
    Array.from({ length: BUDGET.loadClients }, async (_, c) => {
      const who = admins[c % 2]!;
      while (Date.now() < loadEnd) {
        const op = ops[randomInt(ops.length)]!;
        if (op === 'buy') {
          const r = await loadHttp.write('buy', `/v1/customers/${who.customer.id}/orders`, who.sales, { lineItems: [{ productId: 'office-ltsc-professional-plus-2024', quantity: 1 }], paymentMethod: 'pm_card_ok' }, 30_000);
          if (r?.status === 202) acknowledgedOrders.set(String(r.body.orderId), 'pm_card_ok');
        } else if (op === 'list') {
          await loadHttp.once('list', 'GET', `/v1/customers/${who.customer.id}/software`, { key: who.sales });
        } else if (op === 'keys') {
          const sub = (await stack.db.softwareSubscription.findFirst({ where: { customerId: who.customer.id, status: 'active', productId: 'sql-server-2022-standard' }, select: { id: true }, skip: randomInt(5) })) ?? undefined;
          if (sub) {
            const r = await loadHttp.write('keys', `/v1/customers/${who.customer.id}/software/${sub.id}/keys-and-downloads`, who.key, VARIANT, 30_000);
            if (r?.status === 200) {
              const d = r.body.download as { url: string; linkId: string };
              const token = new URL(d.url).pathname.split('/').pop()!;
              if (!served.has(token)) served.set(token, { linkId: d.linkId, count: 0 });
              pool.tokens.push(token);
            }
          }
        } else if (op === 'download' && pool.tokens.length) {
          const token = pool.tokens[randomInt(pool.tokens.length)]!;
          const r = await loadHttp.once('download', 'GET', `/v1/downloads/${token}`);
          if (r?.status === 200) served.get(token)!.count++;
        } else if (op === 'cancel') {
          const sub = await stack.db.softwareSubscription.findFirst({ where: { customerId: who.customer.id, status: 'active' }, select: { id: true }, skip: randomInt(5) });
          if (sub && !cancelled.has(sub.id)) {
            cancelled.add(sub.id);
            const r = await loadHttp.write('cancel', `/v1/customers/${who.customer.id}/software/${sub.id}/cancellation`, who.key, {
              customer: { domain: who.customer.domain },
              subscriptionId: sub.id,
              refundReason: 'load test',
              amountRequested: { amount: '10.00', currency: 'USD' },
              impact: 'low',
              title: 'Load refund',
              contact: { name: 'Load', email: 'load@example.com', phone: '+1 425 555 0100' },
            }, 30_000);
            if (r?.status === 202) pool.cases.push(String(r.body.refundCaseId));
          }
        } else if (op === 'decide' && pool.cases.length) {
          const caseId = pool.cases.shift()!;
          const r = await loadHttp.once('decide', 'POST', `/v1/refund-cases/${caseId}/decision`, { key: support, body: { decision: 'approve', approvedAmount: '10.00', note: 'load approval' } });
          if (r?.status === 200 || r?.status === 202) approvedCases.add(caseId);
          else if (r?.status === 409) pool.cases.push(caseId); // not in review yet: decide later
        }
      }
    }),
  );
  log('phase 5: settling');
  await until(
    'load orders finished',
    async () => (await stack.db.order.count({ where: { id: { in: [...acknowledgedOrders.keys()] }, status: { in: ['awaiting_payment', 'provisioning'] } } })) === 0,
    240_000,
    () => unsettledOrders(),
  );
  await until('approved cases completed', async () => (await stack.db.refundCase.count({ where: { id: { in: [...approvedCases] }, status: { not: 'completed' } } })) === 0, 240_000, () =>
    stack.db.refundCase.groupBy({ by: ['status'], where: { id: { in: [...approvedCases] } }, _count: { _all: true } }),
  );
  checks.push({ name: 'load: no 5xx', checked: loadTally.attempted, discrepancies: loadTally.serverErrors.concat(loadTally.unavailable ? [`${loadTally.unavailable} answers were 503 with nothing down`] : []) });
  const loadLatency = Object.fromEntries(Object.entries(loadTally.latencies).map(([op, xs]) => [op, { n: xs.length, p50: Math.round(pct(xs, 50)), p99: Math.round(pct(xs, 99)) }]));
  phaseNotes.load = { clients: BUDGET.loadClients, seconds: BUDGET.loadSeconds, attempted: loadTally.attempted, acknowledged: loadTally.acknowledged, byStatus: loadTally.byStatus, byOperation: loadTally.byOperation, latencyMs: loadLatency };
  tally.attempted += loadTally.attempted;
  tally.acknowledged += loadTally.acknowledged;

  // ---------------------------------------------------------------- effects
  log('checking effects');
  checks.push(...(await checkOrders(stack.db, acknowledgedOrders)));
  checks.push(...(await checkCases(stack.db, approvedCases)));
  checks.push(...(await checkLinks(stack.db, stack.apiBase, served)));
  checks.push(...(await checkWebhooks(stack.db, hooks)));
  checks.push({ name: 'no 500 outside the load phase', checked: tally.attempted, discrepancies: tally.serverErrors });
} catch (err) {
  log(`the run failed: ${err instanceof Error ? err.stack : String(err)}`);
  checks.push({ name: 'the run itself', checked: 1, discrepancies: [String(err instanceof Error ? err.stack : err)] });
  // Load still in flight will now hit a stack being taken down; that is not news.
  process.on('unhandledRejection', () => undefined);
} finally {
  serviceLogs = stack.logs();
  await stack.close().catch((err: unknown) => console.error('closing the stack:', err));
  await hooks.receiver.close();
}

/**
 * While a dependency is down, what needs it answers 503 with Retry-After (never a 500, never a
 * success that was not carried out), and /readyz answers 503 naming that dependency, and only it.
 */
function outageProblems(what: string, replies: Record<string, Reply | null>, ready: Reply | null, check: 'temporal' | 'database'): string[] {
  const problems: string[] = [];
  for (const [op, r] of Object.entries(replies)) {
    if (r?.status !== 503) problems.push(`a ${op} while ${what} was down answered ${r?.status ?? 'nothing'}, not 503`);
    else if (!(Number(r.retryAfter) > 0)) problems.push(`a ${op}'s 503 while ${what} was down had no Retry-After`);
  }
  const checksNamed = (ready?.body.checks ?? {}) as Record<string, string>;
  const other = check === 'temporal' ? 'database' : 'temporal';
  if (ready?.status !== 503 || checksNamed[check] !== 'down' || checksNamed[other] !== 'up') {
    problems.push(`/readyz while ${what} was down answered ${ready?.status ?? 'nothing'} ${JSON.stringify(checksNamed)}, not 503 naming ${check} down and ${other} up`);
  }
  return problems;
}

/** The acknowledged orders still in flight, for a wait that timed out. */
function unsettledOrders() {
  return stack.db.order.findMany({ where: { id: { in: [...acknowledgedOrders.keys()] }, status: { in: ['awaiting_payment', 'provisioning'] } }, select: { id: true, status: true, paymentMethod: true }, take: 10 });
}

function countBy(xs: number[]) {
  return xs.reduce<Record<string, number>>((m, x) => ((m[x] = (m[x] ?? 0) + 1), m), {});
}

const discrepancies = checks.reduce((n, c) => n + c.discrepancies.length, 0);
const summary = {
  'faults injected': Object.values(faults).reduce((a, b) => a + b, 0),
  'operations attempted': tally.attempted,
  'operations acknowledged': tally.acknowledged,
  'effects checked': checks.reduce((n, c) => n + c.checked, 0),
  discrepancies,
};
console.table([summary]);
console.table(checks.map((c) => ({ check: c.name, checked: c.checked, discrepancies: c.discrepancies.length })));
for (const c of checks) for (const d of c.discrepancies.slice(0, 10)) console.log(`✖ ${c.name}: ${d}`);
console.log(JSON.stringify({ faults, ...phaseNotes }, null, 1));
const dir = path.join(PROJECT_ROOT, 'chaos', 'results');
mkdirSync(dir, { recursive: true });
const file = path.join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify({ at: new Date().toISOString(), quick, budget: BUDGET, seconds: Math.round((Date.now() - started) / 1000), summary, faults, checks, ...phaseNotes }, null, 2) + '\n');
console.log(`results: ${file}`);
if (discrepancies) {
  // The services' own words about what went wrong (errors and warnings only).
  const errorsOnly = (text: string) => text.split('\n').filter((l) => /"level":(40|50|60)/.test(l)).slice(-200).join('\n');
  writeFileSync(file.replace(/\.json$/, '.api.log'), errorsOnly(serviceLogs.api));
  writeFileSync(file.replace(/\.json$/, '.worker.log'), errorsOnly(serviceLogs.worker));
  console.log(`service warnings and errors: ${file.replace(/\.json$/, '.{api,worker}.log')}`);
}
process.exit(discrepancies === 0 ? 0 : 1);
