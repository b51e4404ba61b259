// Phases 2 and 3 of the chaos run: the Temporal server restarted, PostgreSQL stopped. While each is
// down, what needs it answers 503 with Retry-After; after it, nothing acknowledged is lost. A download
// does not need Temporal (its window's row counts it): it is served through the restart.
import { randomUUID } from 'node:crypto';
import { sleep, until } from '../infra/waiting.ts';
import { countBy, outageProblems, type Run } from './run-context.ts';
import { firstTimerFired } from './timers.ts';

/** Phase 2: answers the subscriptions it bought, which the load phase reuses. */
export async function temporalRestart(run: Run, budget: { outageSeconds: number }): Promise<string[]> {
  const { stack, log, http, admins, served, faults, checks, phaseNotes, order, download, openLink, confirmPayment, activeSubscriptions } = run;
  log('phase 2: Temporal dev server restart');
  const freshSubs = await activeSubscriptions(admins[0]!, 3);
  const restartTokens = (await Promise.all(freshSubs.map((s) => openLink(admins[0]!, s)))).filter((t): t is string => Boolean(t));
  for (const t of restartTokens) for (let i = 0; i < 3; i++) await download(t);
  const before = await stack.db.downloadLink.findMany({ where: { id: { in: restartTokens.map((t) => served.get(t)!.linkId!) } }, select: { id: true, downloadsUsed: true, maxDownloads: true, expiresAt: true } });
  const inFlight = await order(admins[1]!, 'pm_async');
  const stoppedAt = Date.now();
  const downProblems: string[] = [];
  run.disruptions.push(stoppedAt);
  await stack.stopTemporal();
  faults['Temporal server restart']!++;
  const during: number[] = [];
  const downEnd = Date.now() + budget.outageSeconds * 1000;
  const first = before.find((b) => b.id === served.get(restartTokens[0]!)!.linkId)!;
  const firstDeadline = first.expiresAt.getTime();
  let servedWhileDown = 0;
  while (Date.now() < downEnd) {
    const sentAt = Date.now();
    const usedUp = first.downloadsUsed + servedWhileDown >= first.maxDownloads;
    const [d, o, ready] = await Promise.all([
      download(restartTokens[0]!),
      http.once('buy', 'POST', `/v1/customers/${admins[0]!.customer.id}/orders`, { key: admins[0]!.key, body: { lineItems: [{ productId: 'sql-server-2022-standard', quantity: 1 }], paymentMethod: 'pm_card_ok' }, idempotencyKey: randomUUID() }),
      http.once('readyz', 'GET', '/readyz'),
    ]);
    const answeredAt = Date.now();
    during.push(d?.status ?? 0, o?.status ?? 0, ready?.status ?? 0);
    downProblems.push(...outageProblems('Temporal', { 'order POST': o }, ready, 'temporal'));
    // Served while its window lasts (to its deadline, by the database's clock, and its cap); refused
    // (410) after. Which one a request sent just before the deadline gets depends on the machine.
    const expected = usedUp || sentAt >= firstDeadline ? [410] : answeredAt < firstDeadline ? [200] : [200, 410];
    if (!expected.includes(d?.status ?? 0)) downProblems.push(`a download while Temporal was down answered ${d?.status ?? 'nothing'}, expected ${expected.join(' or ')}`);
    if (d?.status === 200) servedWhileDown++;
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
    const whileDown = b.id === first.id ? servedWhileDown : 0;
    const expected = b.downloadsUsed + whileDown >= b.maxDownloads || sentAt >= deadline ? [410] : answeredAt < deadline ? [200] : [200, 410];
    if (!expected.includes(status)) restartProblems.push(`link ${linkId}: the first download after the restart answered ${status}, expected ${expected.join(' or ')} (deadline ${deadline - answeredAt} ms after the answer)`);
    if (status === 200) servedAfterRestart++;
    const counted = whileDown + (status === 200 ? 1 : 0);
    if (a.downloadsUsed !== b.downloadsUsed + counted) restartProblems.push(`link ${linkId}: ${b.downloadsUsed} downloads before the restart, ${whileDown} served during it, ${a.downloadsUsed} after a ${status}`);
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
    downloadsServedWhileDown: servedWhileDown,
    restartMs: afterRestart.length ? Math.min(...afterRestart.map((r) => r.sentAt)) - stoppedAt : null,
    servedAfterRestart,
    refusedByTimeAfterRestart: afterRestart.length - servedAfterRestart,
    timersFiredAfterRestart: [...fired.values()].filter((t) => t !== null && t >= stoppedAt).length,
    timerLagMs: before.map((b) => (fired.get(`link-${b.id}`) ?? 0) - b.expiresAt.getTime()),
    // The read model's own figure, kept apart: the sweeper writes it whether or not a timer fires.
    readModelEndedByTime: sweptByTime,
    readModelLagMs: lags.map((l) => (l.endedAt ? l.endedAt.getTime() - l.expiresAt.getTime() : null)),
  };

  return freshSubs;
}

/** Phase 3. */
export async function databaseOutage(run: Run, budget: { outageSeconds: number }): Promise<void> {
  const { stack, log, http, admins, faults, checks, phaseNotes, order } = run;
  log('phase 3: PostgreSQL outage');
  const beforeOutage = await Promise.all([order(admins[0]!, 'pm_card_ok'), order(admins[1]!, 'pm_flaky')]);
  run.disruptions.push(Date.now());
  await stack.stopDatabase();
  faults['PostgreSQL outage']!++;
  const dbDuring: number[] = [];
  const dbDownProblems: string[] = [];
  const readyDuring: number[] = [];
  const dbDownEnd = Date.now() + budget.outageSeconds * 1000;
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
}
