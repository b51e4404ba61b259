import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createWebhookActivities, type DrainResult, type WebhookDeliverySettings } from '../../activities/webhooks.ts';
import { changeOrderStatus, persistOrder } from '../../db/orders.ts';
import { createEndpoint } from '../../db/webhooks.ts';
import { newKeyRingSpec, parseKeyRing } from '../../infra/payload-codec.ts';
import { newWebhookSecret, sealSecret, unsealSecret } from '../../infra/webhook-secrets.ts';
import { WEBHOOK_CHANNEL } from '../../worker/webhook-relay.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { createTenant, orderInput, type Tenant } from '../helpers/fixtures.ts';

/** The outbox the triggers write, and the delivery activity on it, against a real PostgreSQL. */
describe('webhook outbox and delivery activity', () => {
  let database: TestDatabase;
  let server: Server;
  let url: string;
  /** Orders whose events the receiver refuses (503). */
  const refused = new Set<string>();
  const arrived: string[] = [];
  const ring = parseKeyRing(newKeyRingSpec());

  before(async () => {
    database = await createTestDatabase('webhook_outbox');
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const event = JSON.parse(body) as { data: { orderId: string } };
        if (refused.has(event.data.orderId)) return void res.writeHead(503).end();
        arrived.push(event.data.orderId);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  after(async () => {
    server?.close();
    await database?.drop();
  });

  const endpointFor = async (partnerId: string) =>
    createEndpoint(database.db, { id: randomUUID(), partnerId, url, description: null, eventTypes: ['order.payment_failed', 'order.active'], secretSealed: sealSecret(ring, newWebhookSecret()), createdByAgentId: randomUUID() });
  const decline = async (t: Tenant) => {
    const input = orderInput(t);
    await persistOrder(database.db, input);
    await changeOrderStatus(database.db, { orderId: input.orderId, status: 'payment_failed', detail: 'declined', eventKey: 'declined', failureReason: 'card declined' });
    return input.orderId;
  };
  const activities = (settings: Partial<WebhookDeliverySettings> = {}) =>
    createWebhookActivities({ db: database.db, keyRing: ring, settings: { retryInitialMs: 100, retryForMs: 60_000, allowPrivateUrls: true, timeoutMs: 5_000, ...settings } });
  const drain = (endpointId: string, settings?: Partial<WebhookDeliverySettings>): Promise<DrainResult> =>
    new MockActivityEnvironment().run(activities(settings).deliverWebhooks, { endpointId });

  test('a sealed secret opens only with its key ring', () => {
    const secret = newWebhookSecret();
    const sealed = sealSecret(ring, secret);
    assert.ok(!sealed.includes(secret.slice(6)));
    assert.equal(unsealSecret(ring, sealed), secret);
    assert.throws(() => unsealSecret(parseKeyRing(newKeyRingSpec()), sealed), /no longer holds/);
  });

  test('a change that rolls back announces nothing; one that commits is announced once it commits', async () => {
    const t = await createTenant(database.db, 'Outbox partner');
    const endpoint = await endpointFor(t.partnerId);
    const listener = new pg.Client({ connectionString: database.url });
    await listener.connect();
    const notices: string[] = [];
    listener.on('notification', (m) => notices.push(m.payload ?? ''));
    await listener.query(`LISTEN ${WEBHOOK_CHANNEL}`);
    const input = orderInput(t);
    await persistOrder(database.db, input);
    await assert.rejects(
      database.db.$transaction(async (tx) => {
        await tx.order.update({ where: { id: input.orderId }, data: { status: 'active' } });
        throw new Error('rolled back');
      }),
    );
    assert.equal(await database.db.webhookEvent.count({ where: { partnerId: t.partnerId } }), 0);
    await changeOrderStatus(database.db, { orderId: input.orderId, status: 'active', detail: 'ok', eventKey: 'active' });
    const events = await database.db.webhookEvent.findMany({ where: { partnerId: t.partnerId } });
    assert.deepEqual(events.map((e) => e.type), ['order.active']);
    assert.equal(await database.db.webhookDelivery.count({ where: { endpointId: endpoint.id } }), 1);
    for (let i = 0; i < 50 && notices.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(notices, [endpoint.id]);
    await listener.end();
  });

  test('a failing head holds back its customer’s later events, and no other customer’s', async () => {
    const t = await createTenant(database.db, 'Ordering partner');
    const other = { ...t, customerId: randomUUID() };
    await database.db.customer.create({ data: { id: other.customerId, partnerId: t.partnerId, domain: 'other.example.com', companyName: 'Other' } });
    const endpoint = await endpointFor(t.partnerId);
    const head = await decline(t);
    const behind = await decline(t);
    const elsewhere = await decline(other);
    refused.add(head);
    // A retry a minute away, so however slow the machine, this drain attempts the head once.
    const first = await drain(endpoint.id, { retryInitialMs: 60_000 });
    assert.equal(first.delivered, 1);
    assert.deepEqual(arrived.filter((o) => [head, behind, elsewhere].includes(o)), [elsewhere]);
    const rows = await database.db.webhookDelivery.findMany({ where: { endpointId: endpoint.id }, include: { event: true }, orderBy: { seq: 'asc' } });
    assert.deepEqual(rows.map((r) => [r.status, r.attempts]), [['pending', 1], ['pending', 0], ['delivered', 1]]);
    assert.ok(first.nextAttemptAt && Date.parse(first.nextAttemptAt) > Date.now() + 30_000, 'the workflow is told when the retry is due');
    refused.delete(head);
    // The minute passes (the row's retry time brought forward, as time skipping would).
    await database.db.webhookDelivery.updateMany({ where: { endpointId: endpoint.id, status: 'pending', attempts: 1 }, data: { nextAttemptAt: new Date() } });
    const second = await drain(endpoint.id);
    assert.equal(second.delivered, 2);
    assert.deepEqual(arrived.filter((o) => [head, behind].includes(o)), [head, behind]);
    assert.equal(second.nextAttemptAt, null);
  });

  test('retries stop after WEBHOOK_RETRY_FOR: the delivery is failed, with why', async () => {
    const t = await createTenant(database.db, 'Retry partner');
    const endpoint = await endpointFor(t.partnerId);
    const orderId = await decline(t);
    refused.add(orderId);
    const settings = { retryInitialMs: 200, retryForMs: 500 };
    // Bounded, so that retries which never stop fail the test instead of hanging it.
    for (const giveUp = Date.now() + 20_000; Date.now() < giveUp; ) {
      const result = await drain(endpoint.id, settings);
      if (result.failed) break;
      await new Promise((r) => setTimeout(r, Math.min(1_000, Math.max(0, Date.parse(result.nextAttemptAt!) - Date.now()))));
    }
    const [row] = await database.db.webhookDelivery.findMany({ where: { endpointId: endpoint.id } });
    assert.equal(row!.status, 'failed');
    // 1st attempt → retry in 200 ms; 2nd → the next (400 ms later) would fall past the 500 ms period.
    assert.equal(row!.attempts, 2);
    assert.match(row!.lastError!, /answered 503; no retry left/);
    assert.equal(row!.nextAttemptAt, null);
  });

  test('a customer’s second change waits for its first to commit, so no drain sees the later event first', async () => {
    const t = await createTenant(database.db, 'Commit order partner');
    await endpointFor(t.partnerId);
    const [a, b] = [orderInput(t), orderInput(t)];
    await persistOrder(database.db, a);
    await persistOrder(database.db, b);
    let firstCommitted = 0;
    let holding!: () => void;
    const firstHolds = new Promise<void>((resolve) => (holding = resolve));
    const first = database.db
      .$transaction(async (tx) => {
        await tx.order.update({ where: { id: a.orderId }, data: { status: 'active' } });
        holding();
        await tx.$executeRaw`SELECT pg_sleep(0.5)`;
      })
      .then(() => (firstCommitted = Date.now()));
    // The second starts once the first has written its event and holds it uncommitted.
    await firstHolds;
    await database.db.order.update({ where: { id: b.orderId }, data: { status: 'active' } });
    const secondCommitted = Date.now();
    await first;
    assert.ok(secondCommitted >= firstCommitted, `the second change committed ${firstCommitted - secondCommitted} ms before the first`);
    const events = await database.db.webhookEvent.findMany({ where: { partnerId: t.partnerId }, orderBy: { seq: 'asc' } });
    assert.deepEqual(events.map((e) => (e.data as { orderId: string }).orderId), [a.orderId, b.orderId]);
  });
});
