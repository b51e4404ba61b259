// What every phase of the chaos run shares: the stack, the counted HTTP client, the agents, what
// callers were told (acknowledged orders, approved cases, files served), and the journeys that
// drive the service as its callers do, retried through crashes.
import { signPaymentWebhook } from '../api/services/payments.ts';
import { LocalPaymentProvider } from '../providers/payments.ts';
import { sleep, until } from '../infra/waiting.ts';
import type { Check } from './checks.ts';
import { httpClient, newTally, type Reply } from './http.ts';
import type { startChaosStack } from './stack.ts';

export type ChaosStack = Awaited<ReturnType<typeof startChaosStack>>;
export type Run = ReturnType<typeof createRun>;
export const VARIANT = { version: '2022 RTM', language: 'English', fileType: 'ISO (x64)' };

export function createRun(stack: ChaosStack, log: (msg: string) => void) {
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
  /** When a worker was killed or Temporal or PostgreSQL went down: a delivery answered just before may be sent again. */
  const disruptions: number[] = [];
  const checks: Check[] = [];

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
  /** The acknowledged orders still in flight, for a wait that timed out. */
  function unsettledOrders() {
    return stack.db.order.findMany({ where: { id: { in: [...acknowledgedOrders.keys()] }, status: { in: ['awaiting_payment', 'provisioning'] } }, select: { id: true, status: true, paymentMethod: true }, take: 10 });
  }

  /** Waits until every order acknowledged so far has finished and every approved case has completed. */
  async function settle(phase: string) {
    await until(
      `${phase}: every acknowledged order finished`,
      async () => (await stack.db.order.count({ where: { id: { in: [...acknowledgedOrders.keys()] }, status: { in: ['awaiting_payment', 'provisioning'] } } })) === 0,
      240_000,
      () => unsettledOrders(),
    );
    await until(`${phase}: every approved case completed`, async () => (await stack.db.refundCase.count({ where: { id: { in: [...approvedCases] }, status: { not: 'completed' } } })) === 0, 240_000, () =>
      stack.db.refundCase.findMany({ where: { id: { in: [...approvedCases] }, status: { not: 'completed' } }, select: { id: true, status: true } }),
    );
  }
  return { stack, log, tally, http, admins, support, faults, acknowledgedOrders, approvedCases, served, phaseNotes, disruptions, checks, order, confirmPayment, openLink, download, activeSubscriptions, cancelAndApprove, unsettledOrders, settle };
}
/**
 * While a dependency is down, what needs it answers 503 with Retry-After (never a 500, never a
 * success that was not carried out), and /readyz answers 503 naming that dependency, and only it.
 */
export function outageProblems(what: string, replies: Record<string, Reply | null>, ready: Reply | null, check: 'temporal' | 'database'): string[] {
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


export function countBy(xs: number[]) {
  return xs.reduce<Record<string, number>>((m, x) => ((m[x] = (m[x] ?? 0) + 1), m), {});
}
