import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { RefundCaseInput } from '../../common/domain.ts';
import { commentSignal, decideUpdate, linkStateQuery, refundCaseStateQuery } from '../../common/messages.ts';
import { derivedIds, workflowIds } from '../../common/ids.ts';
import { LOCAL_PROVIDERS } from '../../common/config.ts';
import { createProviders } from '../../providers/index.ts';
import { REFUND_ISSUE_TYPE } from '../../providers/tickets.ts';
import { linkWorkflow } from '../../workflows/link.ts';
import { orderWorkflow } from '../../workflows/order.ts';
import { refundCaseWorkflow } from '../../workflows/refund-case.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { createTenant, orderInput, type Tenant } from '../helpers/fixtures.ts';
import { startTestWorker, timeSkippingEnvironment } from '../helpers/temporal.ts';

Runtime.install({ logger: new DefaultLogger('ERROR') });

const taskQueue = 'refund-test';
const HOUR = 3600 * 1000;

/** Waits (in real time, with a deadline) until the case's workflow says it is in review. */
async function inReview(handle: WorkflowHandle<typeof refundCaseWorkflow>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while ((last = (await handle.query(refundCaseStateQuery)).status) !== 'in_review') {
    if (Date.now() > deadline) throw new Error(`the case did not reach in_review within ${timeoutMs} ms; last status: ${last}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('refund case workflow (time skipping)', () => {
  let env: TestWorkflowEnvironment;
  let database: TestDatabase;
  let tenant: Tenant;
  let worker: Awaited<ReturnType<typeof startTestWorker>>;
  let supportAgentId: string;
  let adminAgentId: string;

  before(async () => {
    [env, database] = await Promise.all([timeSkippingEnvironment(), createTestDatabase('refund_wf')]);
    tenant = await createTenant(database.db);
    supportAgentId = randomUUID();
    adminAgentId = randomUUID();
    await database.db.agent.createMany({
      data: [
        { id: supportAgentId, name: 'Support', role: 'support_engineer' },
        { id: adminAgentId, partnerId: tenant.partnerId, name: 'Admin', role: 'admin_agent' },
      ],
    });
    worker = await startTestWorker(env, taskQueue, { db: database.db, ...createProviders({ providers: LOCAL_PROVIDERS }, database.db) });
  });
  after(async () => {
    await worker?.stop();
    await env?.teardown();
    await database?.drop();
  });

  /** An active purchase of one product with an open download window, then its cancellation filed as the API does. */
  async function fileCase(caseQueue = taskQueue) {
    const input = orderInput(tenant);
    input.lineItems = [input.lineItems[0]!];
    input.total = { amount: input.lineItems[0]!.unitPrice, currency: 'USD' };
    const order = await env.client.workflow.execute(orderWorkflow, { taskQueue, workflowId: workflowIds.order(input.orderId), args: [input] });
    const subscriptionId = order.subscriptionIds[0]!;
    const linkId = randomUUID();
    const variant = derivedIds.variant('windows-server-2022-standard', '2022 (21H2)', 'English', 'ISO (x64)');
    const expiresAt = new Date((await env.currentTimeMs()) + 14 * 24 * HOUR);
    await database.db.downloadLink.create({
      data: { id: linkId, subscriptionId, variantId: variant, tokenHash: linkId, workflowId: workflowIds.link(linkId), status: 'active', maxDownloads: 50, expiresAt },
    });
    const link = await env.client.workflow.start(linkWorkflow, {
      taskQueue,
      workflowId: workflowIds.link(linkId),
      args: [{ linkId, subscriptionId, variantId: variant, maxDownloads: 50, expiresAt: expiresAt.toISOString() }],
    });
    const caseId = randomUUID();
    const slaDueAt = new Date((await env.currentTimeMs()) + 48 * HOUR);
    await database.db.softwareSubscription.update({ where: { id: subscriptionId }, data: { status: 'cancellation_requested' } });
    await database.db.refundCase.create({
      data: {
        id: caseId, partnerId: tenant.partnerId, customerId: tenant.customerId, subscriptionId, orderId: input.orderId, createdByAgentId: adminAgentId,
        workflowId: workflowIds.refundCase(caseId), status: 'submitted', issueType: REFUND_ISSUE_TYPE, impact: 'medium', title: 'Bought by mistake',
        customerReference: tenant.domain, orderReference: input.orderId, refundReason: 'wrong edition', amountRequested: input.total.amount, currency: 'USD',
        contactName: 'Ana', contactEmail: 'ana@example.com', contactPhone: '+1 425 555 0100', slaDueAt,
      },
    });
    const caseInput: RefundCaseInput = { caseId, subscriptionId, orderId: input.orderId, title: 'Bought by mistake', amountRequested: input.total, paymentId: order.paymentId!, slaDueAt: slaDueAt.toISOString() };
    const handle = await env.client.workflow.start(refundCaseWorkflow, { taskQueue: caseQueue, workflowId: workflowIds.refundCase(caseId), args: [caseInput] });
    await inReview(handle);
    return { handle, caseId, subscriptionId, orderId: input.orderId, paymentId: order.paymentId!, link, amount: input.total.amount };
  }

  const decide = (handle: Awaited<ReturnType<typeof fileCase>>['handle'], decision: 'approve' | 'reject' | 'request_info', extra: { approvedAmount?: string; note?: string } = {}) =>
    handle.executeUpdate(decideUpdate, { args: [{ decision, note: extra.note ?? 'checked', approvedAmount: extra.approvedAmount, agentId: supportAgentId }] });

  test('approval revokes the links, then the key, then refunds, then completes the case', async () => {
    const c = await fileCase();
    await decide(c.handle, 'approve');
    const final = await c.handle.result();
    assert.equal(final.status, 'completed');
    assert.deepEqual(final.completedSteps, ['subscription_cancelled', 'links_revoked', 'key_revoked', 'refund_issued']);
    const events = await database.db.refundCaseEvent.findMany({ where: { caseId: c.caseId }, orderBy: { id: 'asc' } });
    assert.deepEqual(
      events.map((e) => e.type).filter((t) => ['links_revoked', 'key_revoked', 'refund_issued', 'completed'].includes(t)),
      ['links_revoked', 'key_revoked', 'refund_issued', 'completed'],
    );
    assert.equal((await c.link.result()).status, 'revoked');
    const key = await database.db.productKey.findUniqueOrThrow({ where: { subscriptionId: c.subscriptionId } });
    assert.equal(key.status, 'revoked');
    assert.equal((await database.db.authorityKey.findUniqueOrThrow({ where: { id: key.authorityKeyId } })).status, 'revoked');
    const refunds = await database.db.providerRefund.findMany({ where: { paymentId: c.paymentId } });
    assert.deepEqual(refunds.map((r) => r.amount.toFixed(2)), [c.amount]);
    assert.equal((await database.db.softwareSubscription.findUniqueOrThrow({ where: { id: c.subscriptionId } })).status, 'cancelled');
    assert.equal((await database.db.order.findUniqueOrThrow({ where: { id: c.orderId } })).status, 'cancelled');
    const ticket = await database.db.partnerTicket.findUniqueOrThrow({ where: { idempotencyKey: `refund-case:${c.caseId}` } });
    assert.deepEqual([ticket.issueType, ticket.status], [REFUND_ISSUE_TYPE, 'completed']);
  });

  test('rejection revokes nothing and gives the software back', async () => {
    const c = await fileCase();
    await decide(c.handle, 'reject', { note: 'Outside the cancellation window' });
    assert.equal((await c.handle.result()).status, 'rejected');
    assert.equal((await database.db.softwareSubscription.findUniqueOrThrow({ where: { id: c.subscriptionId } })).status, 'active');
    assert.equal((await database.db.productKey.findUniqueOrThrow({ where: { subscriptionId: c.subscriptionId } })).status, 'active');
    // Skipped time may have expired the window meanwhile; what matters is that nothing revoked it.
    assert.notEqual((await c.link.query(linkStateQuery)).status, 'revoked');
    assert.notEqual((await database.db.downloadLink.findFirstOrThrow({ where: { subscriptionId: c.subscriptionId } })).status, 'revoked');
    assert.equal(await database.db.providerRefund.count({ where: { paymentId: c.paymentId } }), 0);
    const rejected = await database.db.refundCaseEvent.findFirstOrThrow({ where: { caseId: c.caseId, type: 'rejected' } });
    assert.deepEqual([rejected.note, rejected.actorAgentId], ['Outside the cancellation window', supportAgentId]);
  });

  test('a request for information waits for the partner’s comment, then the case can be approved', async () => {
    const c = await fileCase();
    const asked = await decide(c.handle, 'request_info', { note: 'Which edition did the customer want?' });
    assert.equal(asked.status, 'info_requested');
    await assert.rejects(decide(c.handle, 'approve'), WorkflowUpdateFailedError, 'no decision while waiting for the partner');
    await c.handle.signal(commentSignal, { note: 'Datacenter, not Standard', agentId: adminAgentId, fromPartner: true });
    await inReview(c.handle);
    await decide(c.handle, 'approve');
    assert.equal((await c.handle.result()).status, 'completed');
    const types = (await database.db.refundCaseEvent.findMany({ where: { caseId: c.caseId }, orderBy: { id: 'asc' } })).map((e) => e.type);
    assert.deepEqual(types.slice(0, 5), ['in_review', 'info_requested', 'in_review', 'approved', 'subscription_cancelled']);
  });

  test('the SLA clock stops while the partner is asked for information', async () => {
    const c = await fileCase();
    const filedSla = (await database.db.refundCase.findUniqueOrThrow({ where: { id: c.caseId } })).slaDueAt.getTime();
    await env.sleep(10 * HOUR);
    await decide(c.handle, 'request_info', { note: 'Which edition?' });
    // The partner takes 30 hours to answer: without the pause the case would be overdue at 48 h.
    await env.sleep(30 * HOUR);
    await c.handle.signal(commentSignal, { note: 'Standard', agentId: adminAgentId, fromPartner: true });
    await inReview(c.handle);
    const moved = (await database.db.refundCase.findUniqueOrThrow({ where: { id: c.caseId } })).slaDueAt.getTime();
    assert.ok(Math.abs(moved - filedSla - 30 * HOUR) < 60_000, `the deadline moved by the 30 h spent waiting (${(moved - filedSla) / HOUR} h)`);
    await env.sleep(20 * HOUR); // 60 h after filing, 38 h of SLA used
    assert.equal((await c.handle.query(refundCaseStateQuery)).overdue, false);
    await env.sleep(9 * HOUR); // 69 h: still before the moved deadline at 78 h
    assert.equal((await c.handle.query(refundCaseStateQuery)).overdue, false);
    await env.sleep(10 * HOUR); // 79 h: 48 h of SLA used
    assert.equal((await c.handle.query(refundCaseStateQuery)).overdue, true);
    await decide(c.handle, 'reject', { note: 'Too late anyway' });
    await c.handle.result();
  });

  test('with no decision for 48 hours the case is overdue and escalated, and still not approved', async () => {
    const c = await fileCase();
    await env.sleep(48 * HOUR - 60_000);
    assert.equal((await c.handle.query(refundCaseStateQuery)).overdue, false);
    await env.sleep(120_000);
    const state = await c.handle.query(refundCaseStateQuery);
    assert.deepEqual([state.status, state.overdue], ['in_review', true]);
    await env.sleep(30 * 24 * HOUR);
    assert.equal((await c.handle.query(refundCaseStateQuery)).status, 'in_review', 'the clock never approves');
    const row = await database.db.refundCase.findUniqueOrThrow({ where: { id: c.caseId } });
    assert.equal(row.overdue, true);
    assert.ok(row.escalatedAt);
    assert.equal(await database.db.refundCaseEvent.count({ where: { caseId: c.caseId, type: 'escalated' } }), 1);
    assert.equal(await database.db.providerRefund.count({ where: { paymentId: c.paymentId } }), 0);
    await decide(c.handle, 'reject', { note: 'closing the test case' });
    await c.handle.result();
  });

  test('a partial approved amount refunds exactly that, and more than requested is refused', async () => {
    const c = await fileCase();
    await assert.rejects(decide(c.handle, 'approve', { approvedAmount: '999999.00' }), WorkflowUpdateFailedError);
    await decide(c.handle, 'approve', { approvedAmount: '400.50' });
    assert.equal((await c.handle.result()).approvedAmount, '400.50');
    const refunds = await database.db.providerRefund.findMany({ where: { paymentId: c.paymentId } });
    assert.deepEqual(refunds.map((r) => r.amount.toFixed(2)), ['400.50']);
    assert.equal((await database.db.refundCase.findUniqueOrThrow({ where: { id: c.caseId } })).approvedAmount?.toFixed(2), '400.50');
  });
});
