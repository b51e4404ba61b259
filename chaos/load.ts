// Phase 5 of the chaos run: 200 concurrent clients buying, listing, getting keys, downloading,
// cancelling and deciding; no answer may be a 5xx, and every order and approved case must settle.
import { randomInt } from 'node:crypto';
import { pct } from '../infra/waiting.ts';
import { httpClient, newTally } from './http.ts';
import { VARIANT, type Run } from './run-context.ts';

/** Phase 5, on the subscriptions and windows the earlier phases left (less those cancelled in phase 1). */
export async function load(run: Run, budget: { loadClients: number; loadSeconds: number; cancellations: number }, from: { linkSubs: string[]; tokens: string[]; freshSubs: string[] }): Promise<void> {
  const { linkSubs, tokens, freshSubs } = from;
  const { stack, log, tally, admins, support, served, checks, phaseNotes, acknowledgedOrders, approvedCases } = run;
  log(`phase 5: ${budget.loadClients} concurrent clients for ${budget.loadSeconds} s`);
  const loadTally = newTally();
  const loadHttp = httpClient(stack.apiBase, loadTally);
  const pool = { subs: [...linkSubs.slice(budget.cancellations), ...freshSubs], tokens: [...tokens.slice(budget.cancellations)], cases: [] as string[] };
  const loadEnd = Date.now() + budget.loadSeconds * 1000;
  const ops = ['buy', 'list', 'keys', 'download', 'download', 'download', 'cancel', 'decide'] as const;
  const cancelled = new Set<string>();
  await Promise.all(
    Array.from({ length: budget.loadClients }, async (_, c) => {
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
  await run.settle('load');
  checks.push({ name: 'load: no 5xx', checked: loadTally.attempted, discrepancies: loadTally.serverErrors.concat(loadTally.unavailable ? [`${loadTally.unavailable} answers were 503 with nothing down`] : []) });
  const loadLatency = Object.fromEntries(Object.entries(loadTally.latencies).map(([op, xs]) => [op, { n: xs.length, p50: Math.round(pct(xs, 50)), p99: Math.round(pct(xs, 99)) }]));
  phaseNotes.load = { clients: budget.loadClients, seconds: budget.loadSeconds, attempted: loadTally.attempted, acknowledged: loadTally.acknowledged, byStatus: loadTally.byStatus, byOperation: loadTally.byOperation, latencyMs: loadLatency };
  tally.attempted += loadTally.attempted;
  tally.acknowledged += loadTally.acknowledged;

}
