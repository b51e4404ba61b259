// What must hold after any number of crashes: checked against the database, the providers'
// ledgers and the live API. Every check returns how many effects it looked at and what it found wrong.
import type { Db } from '../db/client.ts';

export interface Check {
  name: string;
  checked: number;
  discrepancies: string[];
}

const TERMINAL_ORDER = new Set(['active', 'payment_failed', 'expired', 'failed', 'cancelled']);

export async function checkOrders(db: Db, acknowledged: Map<string, string>): Promise<Check[]> {
  const orders = await db.order.findMany({ select: { id: true, status: true, paymentMethod: true, paymentId: true } });
  const byId = new Map(orders.map((o) => [o.id, o]));
  const lost = [...acknowledged.keys()].filter((id) => !byId.has(id)).map((id) => `acknowledged order ${id} is not in the database`);
  const unfinished = [...acknowledged.keys()].flatMap((id) => {
    const o = byId.get(id);
    return o && !TERMINAL_ORDER.has(o.status) ? [`order ${id} (${acknowledged.get(id)}) is still ${o.status}`] : [];
  });

  const payments = await db.providerPayment.findMany({ select: { id: true, reference: true, status: true, amount: true, refundedAmount: true } });
  const paymentsByOrder = new Map<string, typeof payments>();
  for (const p of payments) paymentsByOrder.set(p.reference, [...(paymentsByOrder.get(p.reference) ?? []), p]);
  const paymentProblems: string[] = [];
  for (const o of orders) {
    const ps = paymentsByOrder.get(o.id) ?? [];
    const captured = ps.filter((p) => p.status === 'captured');
    if (ps.length > 1) paymentProblems.push(`order ${o.id} has ${ps.length} payments`);
    const paid = o.status === 'active' || o.status === 'cancelled' || o.status === 'failed';
    if (paid && captured.length !== 1) paymentProblems.push(`${o.status} order ${o.id} has ${captured.length} captures`);
    if (!paid && captured.length > 0 && o.status !== 'provisioning') paymentProblems.push(`${o.status} order ${o.id} was captured`);
    if (o.status === 'failed' && captured[0] && !captured[0].refundedAmount.equals(captured[0].amount)) paymentProblems.push(`failed order ${o.id} was not refunded in full`);
  }

  const [subscriptions, productKeys, authorityKeys] = await Promise.all([
    db.softwareSubscription.findMany({ select: { id: true, status: true, keys: { select: { authorityKeyId: true, status: true } } } }),
    db.productKey.count(),
    db.authorityKey.findMany({ select: { id: true, status: true } }),
  ]);
  const keyProblems: string[] = [];
  for (const s of subscriptions) if (s.keys.length !== 1) keyProblems.push(`subscription ${s.id} has ${s.keys.length} keys`);
  if (authorityKeys.length !== productKeys) keyProblems.push(`the key authority issued ${authorityKeys.length} keys for ${productKeys} subscriptions with a key`);
  const authority = new Map(authorityKeys.map((k) => [k.id, k]));
  for (const s of subscriptions) {
    const key = s.keys[0];
    if (s.status === 'cancelled' && (key?.status !== 'revoked' || authority.get(key.authorityKeyId)?.status !== 'revoked')) keyProblems.push(`cancelled subscription ${s.id} still has a live key`);
  }
  return [
    { name: 'acknowledged orders recorded', checked: acknowledged.size, discrepancies: lost },
    { name: 'acknowledged orders finished', checked: acknowledged.size, discrepancies: unfinished },
    { name: 'one capture per paid order', checked: orders.length, discrepancies: paymentProblems },
    { name: 'one key per subscription', checked: subscriptions.length, discrepancies: keyProblems },
  ];
}

export async function checkCases(db: Db, approved: Set<string>): Promise<Check[]> {
  const cases = await db.refundCase.findMany({ select: { id: true, status: true, approvedAmount: true, order: { select: { paymentId: true } } } });
  const refunds = await db.providerRefund.findMany({ select: { idempotencyKey: true, amount: true, paymentId: true } });
  const problems: string[] = [];
  const byId = new Map(cases.map((c) => [c.id, c]));
  for (const id of approved) {
    const c = byId.get(id);
    if (!c) problems.push(`approved case ${id} is missing`);
    else if (c.status !== 'completed') problems.push(`approved case ${id} is ${c.status}, not completed`);
  }
  for (const c of cases.filter((x) => x.status === 'completed')) {
    const mine = refunds.filter((r) => r.idempotencyKey.includes(c.id));
    if (mine.length !== 1) problems.push(`completed case ${c.id} has ${mine.length} refunds`);
    else if (c.approvedAmount && !mine[0]!.amount.equals(c.approvedAmount)) problems.push(`case ${c.id} refunded ${mine[0]!.amount.toFixed(2)} instead of ${c.approvedAmount.toFixed(2)}`);
  }
  const unexplained = refunds.filter((r) => !cases.some((c) => r.idempotencyKey.includes(c.id)) && !/order|purchase|saga/i.test(r.idempotencyKey));
  for (const r of unexplained) problems.push(`refund ${r.idempotencyKey} belongs to no case or failed order`);
  return [{ name: 'one refund per approved case', checked: cases.length, discrepancies: problems }];
}

export async function checkLinks(db: Db, base: string, served: Map<string, { linkId?: string; count: number }>): Promise<Check[]> {
  const links = await db.downloadLink.findMany({ select: { id: true, status: true, maxDownloads: true, downloadsUsed: true, subscription: { select: { status: true } }, _count: { select: { events: true } } } });
  const overCap = links.filter((l) => l._count.events > l.maxDownloads).map((l) => `link ${l.id} served ${l._count.events} of ${l.maxDownloads}`);
  const mismatch: string[] = [];
  for (const [token, s] of served) {
    const link = s.linkId ? links.find((l) => l.id === s.linkId) : undefined;
    if (link && s.count !== link._count.events) mismatch.push(`link ${link.id}: callers got ${s.count} files, the database counted ${link._count.events} (${token.slice(0, 6)}…)`);
  }
  const revokedButOpen = links.filter((l) => l.subscription.status === 'cancelled' && l.status !== 'revoked' && l.status !== 'expired').map((l) => `link ${l.id} of a cancelled subscription is ${l.status}`);
  // Every revoked or expired link must refuse, now.
  const dead = new Set(links.filter((l) => l.status !== 'active').map((l) => l.id));
  const stillServing: string[] = [];
  for (const [token, s] of served) {
    if (!s.linkId || !dead.has(s.linkId)) continue;
    const res = await fetch(`${base}/v1/downloads/${token}`);
    await res.arrayBuffer();
    if (res.status !== 410) stillServing.push(`dead link ${s.linkId} answered ${res.status}`);
  }
  return [
    { name: 'no link over its cap', checked: links.length, discrepancies: overCap },
    { name: 'every file served was counted once', checked: served.size, discrepancies: mismatch },
    { name: 'dead links answer 410', checked: [...served.values()].filter((s) => s.linkId && dead.has(s.linkId)).length, discrepancies: [...revokedButOpen, ...stillServing] },
  ];
}
