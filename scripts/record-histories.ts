// Records workflow histories for the replay tests (test/histories/*.json). Run it when a workflow
// change is meant to be incompatible (and version it with patching), never to paper over a failure:
//   DATABASE_URL=postgres://… npx tsx scripts/record-histories.ts
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { commentSignal, countDownloadUpdate, decideUpdate, orderStateQuery, paymentEventSignal, refundCaseStateQuery, workflowIds } from '../common/messages.ts';
import { variantId } from '../db/catalog.ts';
import { PROJECT_ROOT } from '../infra/paths.ts';
import { createProviders } from '../providers/index.ts';
import { createWorker } from '../worker/worker.ts';
import { createTestDatabase } from '../test/helpers/database.ts';
import { createTenant, purchaseInput } from '../test/helpers/fixtures.ts';
import { timeSkippingEnvironment, workflowBundle } from '../test/helpers/temporal.ts';

Runtime.install({ logger: new DefaultLogger('ERROR') });
process.env.TEST_PG_ADMIN_URL ??= process.env.DATABASE_URL;
const env = await timeSkippingEnvironment();
const database = await createTestDatabase('record');
const tenant = await createTenant(database.db);
const taskQueue = 'record';
const worker = await createWorker({
  connection: env.nativeConnection,
  namespace: 'default',
  taskQueue,
  deps: { db: database.db, ...createProviders(database.db) },
  workflowBundle: await workflowBundle(),
});
// Fetched histories are protobuf messages whose toJSON gives the proto3 JSON that historyFromJSON reads.
const out = (name: string, history: unknown) =>
  writeFileSync(path.join(PROJECT_ROOT, 'test', 'histories', `${name}.json`), JSON.stringify(history, null, 1) + '\n');

await worker.runUntil(async () => {
  const card = purchaseInput(tenant);
  const h1 = await env.client.workflow.start('purchaseWorkflow', { taskQueue, workflowId: workflowIds.order(card.orderId), args: [card] });
  await h1.result();
  out('purchase-card-ok', await h1.fetchHistory());

  const asyncInput = purchaseInput(tenant, { paymentMethod: 'pm_async' });
  const h2 = await env.client.workflow.start('purchaseWorkflow', { taskQueue, workflowId: workflowIds.order(asyncInput.orderId), args: [asyncInput] });
  while (!(await h2.query(orderStateQuery)).paymentId) await new Promise((r) => setTimeout(r, 50));
  await h2.signal(paymentEventSignal, { eventId: 'evt_record', type: 'payment.succeeded' });
  await h2.result();
  out('purchase-async-confirmed', await h2.fetchHistory());

  const sub = (await database.db.softwareSubscription.findFirstOrThrow({ where: { orderId: card.orderId } })).id;
  const linkId = randomUUID();
  const variant = variantId('windows-server-2022-standard', '2022 (21H2)', 'English', 'ISO (x64)');
  await database.db.downloadLink.create({
    data: { id: linkId, subscriptionId: sub, variantId: variant, tokenHash: linkId, workflowId: workflowIds.link(linkId), status: 'active', maxDownloads: 3, expiresAt: new Date(Date.now() + 86400000) },
  });
  const h3 = await env.client.workflow.start('linkWorkflow', {
    taskQueue,
    workflowId: workflowIds.link(linkId),
    args: [{ linkId, subscriptionId: sub, variantId: variant, maxDownloads: 3, expiresAt: new Date((await env.currentTimeMs()) + 86400000).toISOString() }],
  });
  for (let i = 0; i < 3; i++) await h3.executeUpdate(countDownloadUpdate, { args: [{}] });
  await h3.result();
  out('link-downloads-cap', await h3.fetchHistory());

  // A refund case: request for information, the partner's answer, then approval.
  const caseId = randomUUID();
  const agentId = randomUUID();
  await database.db.agent.create({ data: { id: agentId, partnerId: tenant.partnerId, name: 'Recorder', role: 'admin_agent' } });
  const slaDueAt = new Date((await env.currentTimeMs()) + 48 * 3600 * 1000);
  await database.db.refundCase.create({
    data: {
      id: caseId, partnerId: tenant.partnerId, customerId: tenant.customerId, subscriptionId: sub, orderId: card.orderId, createdByAgentId: agentId,
      workflowId: workflowIds.refundCase(caseId), status: 'submitted', issueType: 'CSP purchase/refund on behalf of customers', impact: 'low', title: 'recorded',
      customerReference: tenant.domain, orderReference: card.orderId, refundReason: 'recorded', amountRequested: '100.00', currency: 'USD',
      contactName: 'R', contactEmail: 'r@example.com', contactPhone: '+1 425 555 0100', slaDueAt,
    },
  });
  const h4 = await env.client.workflow.start('refundCaseWorkflow', {
    taskQueue,
    workflowId: workflowIds.refundCase(caseId),
    args: [{ caseId, subscriptionId: sub, orderId: card.orderId, title: 'recorded', amountRequested: { amount: '100.00', currency: 'USD' }, paymentId: (await database.db.order.findUniqueOrThrow({ where: { id: card.orderId } })).paymentId, slaDueAt: slaDueAt.toISOString() }],
  });
  while ((await h4.query(refundCaseStateQuery)).status !== 'in_review') await new Promise((r) => setTimeout(r, 20));
  await h4.executeUpdate(decideUpdate, { args: [{ decision: 'request_info', note: 'which edition?', agentId }] });
  await h4.signal(commentSignal, { note: 'Datacenter', agentId, fromPartner: true });
  while ((await h4.query(refundCaseStateQuery)).status !== 'in_review') await new Promise((r) => setTimeout(r, 20));
  await h4.executeUpdate(decideUpdate, { args: [{ decision: 'approve', approvedAmount: '50.00', note: 'half', agentId }] });
  await h4.result();
  out('refund-case-info-then-approve', await h4.fetchHistory());
});
await env.teardown();
await database.drop();
console.log('recorded 4 histories');
