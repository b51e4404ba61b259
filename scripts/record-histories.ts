// Records workflow histories for the replay tests (test/histories/*.json): every workflow type in
// every path that matters. A history already on disk is never overwritten: the corpus keeps what
// older workflow code wrote, so a change that would break running workflows fails the replay test
// until it is guarded with patched(). Add a new path by adding a recording; --force <name> re-records one.
//   DATABASE_URL=postgres://… npx tsx scripts/record-histories.ts
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { WorkflowHandle } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { OrderInput } from '../common/domain.ts';
import { commentSignal, countDownloadUpdate, decideUpdate, linkUsedUpSignal, orderStateQuery, paymentEventSignal, refundCaseStateQuery, revokeLinkSignal } from '../common/messages.ts';
import { derivedIds, workflowIds } from '../common/ids.ts';
import { openLink } from '../db/links.ts';
import { recordFiling } from '../db/refund-cases.ts';
import { PROJECT_ROOT } from '../infra/paths.ts';
import { LOCAL_PROVIDERS } from '../common/config.ts';
import { createProviders } from '../providers/index.ts';
import { createWorker } from '../worker/worker.ts';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { webhookWakeSignal } from '../common/messages.ts';
import { createEndpoint, deleteEndpoint } from '../db/webhooks.ts';
import { changeOrderStatus, persistOrder } from '../db/orders.ts';
import { newKeyRingSpec, parseKeyRing } from '../infra/payload-codec.ts';
import { newWebhookSecret, sealSecret } from '../infra/webhook-secrets.ts';
import { createTestDatabase } from '../test/helpers/database.ts';
import { createTenant, orderInput } from '../test/helpers/fixtures.ts';
import { timeSkippingEnvironment, workflowBundle } from '../test/helpers/temporal.ts';

Runtime.install({ logger: new DefaultLogger('ERROR') });
const { values } = parseArgs({ options: { force: { type: 'string', multiple: true, default: [] } } });
process.env.TEST_PG_ADMIN_URL ??= process.env.DATABASE_URL;
if (!process.env.TEST_PG_ADMIN_URL) throw new Error('Set DATABASE_URL to a PostgreSQL server where a scratch database may be created.');
const HOUR = 3600 * 1000;
const env = await timeSkippingEnvironment();
const database = await createTestDatabase('record');
const db = database.db;
const tenant = await createTenant(db);
const taskQueue = 'record';
const keyRing = parseKeyRing(newKeyRingSpec());
const worker = await createWorker({
  connection: env.nativeConnection,
  namespace: 'default',
  taskQueue,
  deps: { db, ...createProviders({ providers: LOCAL_PROVIDERS }, db), webhooks: { keyRing, settings: { retryInitialMs: 1000, retryForMs: 3600_000, allowPrivateUrls: true, timeoutMs: 5000 } } },
  workflowBundle: await workflowBundle(),
});
const agentId = randomUUID();
await db.agent.create({ data: { id: agentId, partnerId: tenant.partnerId, name: 'Recorder', role: 'admin_agent' } });
const waitFor = async (check: () => Promise<boolean>) => {
  while (!(await check())) await new Promise((r) => setTimeout(r, 20));
};

async function order(overrides: Partial<OrderInput> = {}) {
  const input = orderInput(tenant, overrides);
  const handle = await env.client.workflow.start('orderWorkflow', { taskQueue, workflowId: workflowIds.order(input.orderId), args: [input] });
  return { input, handle };
}
async function activeSubscription() {
  const { input, handle } = await order();
  await handle.result();
  const sub = await db.softwareSubscription.findFirstOrThrow({ where: { orderId: input.orderId } });
  return { orderId: input.orderId, subscriptionId: sub.id, paymentId: (await db.order.findUniqueOrThrow({ where: { id: input.orderId } })).paymentId! };
}
async function link(maxDownloads: number, ttlMs: number, countsInDatabase?: true) {
  const { subscriptionId } = await activeSubscription();
  const linkId = randomUUID();
  const variant = derivedIds.variant('windows-server-2022-standard', '2022 (21H2)', 'English', 'ISO (x64)');
  const expiresAt = new Date((await env.currentTimeMs()) + ttlMs);
  await openLink(db, { id: linkId, subscriptionId, variantId: variant, tokenHash: linkId, workflowId: workflowIds.link(linkId), maxDownloads, expiresAt });
  return env.client.workflow.start('linkWorkflow', { taskQueue, workflowId: workflowIds.link(linkId), args: [{ linkId, subscriptionId, variantId: variant, maxDownloads, expiresAt: expiresAt.toISOString(), countsInDatabase }] });
}
async function refundCase() {
  const s = await activeSubscription();
  const caseId = randomUUID();
  const slaDueAt = new Date((await env.currentTimeMs()) + 48 * HOUR);
  await recordFiling(db, {
    case: {
      id: caseId, partnerId: tenant.partnerId, customerId: tenant.customerId, subscriptionId: s.subscriptionId, orderId: s.orderId, createdByAgentId: agentId,
      workflowId: workflowIds.refundCase(caseId), issueType: 'CSP purchase/refund on behalf of customers', impact: 'low', title: 'recorded', description: null,
      customerReference: tenant.domain, orderReference: s.orderId, refundReason: 'recorded', amountRequested: '100.00', currency: 'USD',
      contactName: 'R', contactEmail: 'r@example.com', contactPhone: '+1 425 555 0100', slaDueAt,
    },
    attachments: [],
  });
  const handle = await env.client.workflow.start('refundCaseWorkflow', {
    taskQueue,
    workflowId: workflowIds.refundCase(caseId),
    args: [{ caseId, subscriptionId: s.subscriptionId, orderId: s.orderId, title: 'recorded', amountRequested: { amount: '100.00', currency: 'USD' }, paymentId: s.paymentId, slaDueAt: slaDueAt.toISOString() }],
  });
  await waitFor(async () => (await handle.query(refundCaseStateQuery)).status === 'in_review');
  return handle;
}
const decide = (h: WorkflowHandle, decision: 'approve' | 'reject' | 'request_info', note: string, approvedAmount?: string) =>
  h.executeUpdate(decideUpdate, { args: [{ decision, note, agentId, ...(approvedAmount ? { approvedAmount } : {}) }] });

/** An endpoint whose receiver refuses the first attempt: a delivery retried after its timer, then the endpoint deleted. */
async function webhookEndpoint() {
  let answered = 0;
  const server = createServer((req, res) => req.resume().on('end', () => res.writeHead(answered++ === 0 ? 503 : 204).end()));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const endpointId = randomUUID();
  await createEndpoint(db, { id: endpointId, partnerId: tenant.partnerId, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, description: null, eventTypes: ['order.payment_failed'], secretSealed: sealSecret(keyRing, newWebhookSecret()), createdByAgentId: agentId });
  const input = orderInput(tenant);
  await persistOrder(db, input);
  await changeOrderStatus(db, { orderId: input.orderId, status: 'payment_failed', detail: 'declined', eventKey: 'declined', failureReason: 'recorded' });
  const handle = await env.client.workflow.signalWithStart('webhookWorkflow', { taskQueue, workflowId: workflowIds.webhookEndpoint(endpointId), args: [{ endpointId }], signal: webhookWakeSignal, signalArgs: [] });
  await waitFor(async () => (await db.webhookDelivery.findFirstOrThrow({ where: { endpointId } })).status === 'delivered');
  await deleteEndpoint(db, endpointId);
  await handle.signal(webhookWakeSignal);
  server.close();
  return handle;
}

const RECORDINGS: Record<string, () => Promise<WorkflowHandle>> = {
  'webhook-retried-then-endpoint-deleted': webhookEndpoint,
  'purchase-card-ok': async () => (await order()).handle,
  // Recorded under the workflow type orderWorkflow; the purchase-* ones, before the rename, under purchaseWorkflow.
  'order-card-ok': async () => (await order({ paymentMethod: 'pm_card_ok' })).handle,
  'purchase-card-declined': async () => (await order({ paymentMethod: 'pm_card_declined' })).handle,
  'purchase-flaky-retried': async () => (await order({ paymentMethod: 'pm_flaky' })).handle,
  'purchase-async-confirmed': async () => {
    const { handle } = await order({ paymentMethod: 'pm_async' });
    await waitFor(async () => Boolean((await handle.query(orderStateQuery)).paymentId));
    await handle.signal(paymentEventSignal, { eventId: 'evt_record', type: 'payment.succeeded' });
    return handle;
  },
  'purchase-async-expired': async () => {
    const { handle } = await order({ paymentMethod: 'pm_async' });
    await waitFor(async () => Boolean((await handle.query(orderStateQuery)).paymentId));
    await env.sleep(73 * HOUR);
    return handle;
  },
  'link-downloads-cap': async () => {
    const h = await link(3, 24 * HOUR);
    for (let i = 0; i < 3; i++) await h.executeUpdate(countDownloadUpdate, { args: [{}] });
    return h;
  },
  'link-expired-by-time': async () => {
    const h = await link(50, 14 * 24 * HOUR);
    await h.executeUpdate(countDownloadUpdate, { args: [{}] });
    await env.sleep(14 * 24 * HOUR + HOUR);
    return h;
  },
  // Recorded after the end of a window became a local activity (patch 'link-end-recorded-locally').
  'link-expired-end-recorded-locally': async () => {
    const h = await link(50, 14 * 24 * HOUR);
    await env.sleep(14 * 24 * HOUR + HOUR);
    return h;
  },
  // Recorded after the end of a window became an ordinary activity again (patch 'link-end-recorded-by-activity').
  'link-expired-end-recorded-by-activity': async () => {
    const h = await link(50, 14 * 24 * HOUR);
    await h.executeUpdate(countDownloadUpdate, { args: [{}] });
    await env.sleep(14 * 24 * HOUR + HOUR);
    return h;
  },
  // Recorded after a window that runs out of time began to close at its timer (patch 'link-time-end-closes-at-once').
  'link-expired-closed-by-its-timer': async () => {
    const h = await link(50, 14 * 24 * HOUR);
    await h.executeUpdate(countDownloadUpdate, { args: [{}] });
    await env.sleep(14 * 24 * HOUR + HOUR);
    return h;
  },
  // Windows opened since downloads are counted in PostgreSQL (patch 'link-downloads-counted-in-database').
  'link-used-up-counted-in-database': async () => {
    const h = await link(3, 24 * HOUR, true);
    await h.signal(linkUsedUpSignal, { downloadsUsed: 3 });
    return h;
  },
  'link-revoked-counted-in-database': async () => {
    const h = await link(50, 14 * 24 * HOUR, true);
    await h.signal(revokeLinkSignal, { reason: 'recorded revocation' });
    return h;
  },
  'link-expired-counted-in-database': async () => {
    const h = await link(50, 14 * 24 * HOUR, true);
    await env.sleep(14 * 24 * HOUR + HOUR);
    return h;
  },
  'link-revoked': async () => {
    const h = await link(50, 14 * 24 * HOUR);
    await h.executeUpdate(countDownloadUpdate, { args: [{}] });
    await h.signal(revokeLinkSignal, { reason: 'recorded revocation' });
    return h;
  },
  'refund-case-info-then-approve': async () => {
    const h = await refundCase();
    await decide(h, 'request_info', 'which edition?');
    await h.signal(commentSignal, { note: 'Datacenter', agentId, fromPartner: true });
    await waitFor(async () => (await h.query(refundCaseStateQuery)).status === 'in_review');
    await decide(h, 'approve', 'half', '50.00');
    return h;
  },
  'refund-case-info-sla-paused': async () => {
    const h = await refundCase();
    await env.sleep(5 * HOUR);
    await decide(h, 'request_info', 'which edition?');
    await env.sleep(30 * HOUR);
    await h.signal(commentSignal, { note: 'Standard', agentId, fromPartner: true });
    await waitFor(async () => (await h.query(refundCaseStateQuery)).status === 'in_review');
    await env.sleep(50 * HOUR);
    await decide(h, 'reject', 'out of policy');
    return h;
  },
  'refund-case-rejected': async () => {
    const h = await refundCase();
    await decide(h, 'reject', 'outside the window');
    return h;
  },
  'retention-run': async () => env.client.workflow.start('retentionWorkflow', { taskQueue, workflowId: 'retention-recorded', args: [{ retentionMs: 400 * 24 * HOUR }] }),
  'refund-case-overdue-then-approved': async () => {
    const h = await refundCase();
    await env.sleep(49 * HOUR);
    await decide(h, 'approve', 'late but fine');
    return h;
  },
};

const recorded: string[] = [];
await worker.runUntil(async () => {
  for (const [name, record] of Object.entries(RECORDINGS)) {
    const file = path.join(PROJECT_ROOT, 'test', 'histories', `${name}.json`);
    if (existsSync(file) && !values.force.includes(name)) continue;
    const handle = await record();
    await handle.result();
    writeFileSync(file, JSON.stringify(await handle.fetchHistory(), null, 1) + '\n');
    recorded.push(name);
  }
});
await env.teardown();
await database.drop();
console.log(recorded.length ? `recorded: ${recorded.join(', ')}` : 'every history is already recorded');
