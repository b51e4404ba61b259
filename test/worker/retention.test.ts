import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { createLogger } from '../../common/logger.ts';
import { ensureRetentionSchedule, retentionScheduleId } from '../../infra/retention-schedule.ts';
import { activeOrder, bearer, startStack, type Stack } from '../helpers/stack.ts';

const DAY = 24 * 3600 * 1000;

describe('the trail’s retention schedule (dev server, PostgreSQL)', () => {
  let stack: Stack;
  let linkId: string;

  before(async () => {
    stack = await startStack('worker_retention');
    const admin = stack.demo.partners[0]!.apiKeys.admin_agent;
    const customerId = stack.demo.partners[0]!.customers[0]!.id;
    const { subscriptions } = await activeOrder(stack, admin, customerId, [{ productId: 'windows-server-2022-standard', quantity: 1 }]);
    const opened = await request(stack.app)
      .post(`/v1/customers/${customerId}/software/${subscriptions[0]}/keys-and-downloads`)
      .set(bearer(admin))
      .send({ version: '2022 (21H2)', language: 'English', fileType: 'ISO (x64)' });
    linkId = opened.body.download.linkId;
  });
  after(async () => stack?.close());

  test('a run of the schedule removes download and audit events older than AUDIT_RETENTION, and only those', async () => {
    const db = stack.database.db;
    const now = Date.now();
    const at = (days: number) => new Date(now - days * DAY);
    await db.auditEvent.createMany({ data: [401, 402, 900, 399, 1].map((d, i) => ({ action: 'test.retention', targetType: 'test', targetId: `age-${d}-${i}`, at: at(d) })) });
    await db.downloadEvent.createMany({ data: [401, 500, 399, 0].map((d, i) => ({ linkId, sequence: 1000 + i, at: at(d) })) });
    // Webhook events: old and delivered (removed), old and still pending (kept), recent (kept).
    const partnerId = stack.demo.partners[0]!.id;
    const endpoint = await db.webhookEndpoint.create({ data: { id: crypto.randomUUID(), partnerId, url: 'https://hooks.example.com/', eventTypes: ['order.active'], secretSealed: 'k.x' } });
    for (const [id, days, status] of [['evt_old_done', 401, 'delivered'], ['evt_old_pending', 401, 'pending'], ['evt_recent', 399, 'delivered']] as const) {
      const e = await db.webhookEvent.create({ data: { id, partnerId, type: 'order.active', orderingKey: 'c', targetType: 'order', targetId: id, data: {}, occurredAt: at(days) } });
      await db.webhookDelivery.create({ data: { endpointId: endpoint.id, eventId: id, eventType: e.type, orderingKey: 'c', occurredAt: e.occurredAt, seq: e.seq, status } });
    }

    const config = { ...stack.config, auditRetentionMs: 400 * DAY };
    const logger = createLogger({ level: 'silent' });
    await ensureRetentionSchedule(stack.client, config, logger);
    await ensureRetentionSchedule(stack.client, config, logger); // a second worker starting changes nothing
    const schedule = stack.client.schedule.getHandle(retentionScheduleId(config.temporal.taskQueue));
    const described = await schedule.describe();
    assert.equal(described.spec.calendars?.[0]?.hour?.[0]?.start, 3, 'runs daily at 03:17 UTC');

    await schedule.trigger();
    let workflowId: string | undefined;
    for (const deadline = Date.now() + 30_000; !workflowId && Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
      workflowId = (await schedule.describe()).info.recentActions[0]?.action.workflow.workflowId;
    }
    assert.ok(workflowId, 'the schedule started a run');
    const result = (await stack.client.workflow.getHandle(workflowId).result()) as { downloadEvents: number; auditEvents: number; webhookEvents: number };
    assert.deepEqual({ downloadEvents: result.downloadEvents, auditEvents: result.auditEvents, webhookEvents: result.webhookEvents }, { downloadEvents: 2, auditEvents: 3, webhookEvents: 1 });
    assert.deepEqual((await db.webhookEvent.findMany({ where: { id: { startsWith: 'evt_' } }, orderBy: { id: 'asc' } })).map((e) => e.id), ['evt_old_pending', 'evt_recent']);

    const audit = await db.auditEvent.findMany({ where: { action: 'test.retention' }, select: { targetId: true } });
    assert.deepEqual(audit.map((a) => a.targetId).sort(), ['age-1-4', 'age-399-3']);
    const downloads = await db.downloadEvent.findMany({ where: { linkId, sequence: { gte: 1000 } }, select: { sequence: true } });
    assert.deepEqual(downloads.map((d) => d.sequence).sort(), [1002, 1003]);
    assert.ok((await db.auditEvent.count({ where: { action: 'order.create' } })) > 0, 'this morning’s trail is kept');
  });
});
