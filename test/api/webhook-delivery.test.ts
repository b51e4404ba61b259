import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { Webhook } from 'standardwebhooks';
import { bearer, eventually, startStack, type Stack } from '../helpers/stack.ts';
import { startReceiver } from '../helpers/webhook-receiver.ts';

Runtime.install({ logger: new DefaultLogger('ERROR') });

type Receiver = Awaited<ReturnType<typeof startReceiver>>;

describe('partner webhook delivery: retries, order, isolation, redelivery, rotation (dev server, PostgreSQL)', () => {
  let stack: Stack;
  let admin: string;
  const receivers: Receiver[] = [];

  before(async () => {
    // Retries come quickly here; a hanging receiver is held far longer than any step of a test.
    stack = await startStack('webhook_delivery', { WEBHOOK_ALLOW_PRIVATE_URLS: 'true', WEBHOOK_RETRY_INITIAL_INTERVAL: '300ms', WEBHOOK_TIMEOUT: '120s' });
    admin = stack.demo.partners[0]!.apiKeys.admin_agent;
  });
  after(async () => {
    for (const r of receivers) await r.close();
    await stack?.close();
  });

  async function endpoint(events = ['order.payment_failed']): Promise<{ id: string; secret: string; receiver: Receiver }> {
    const receiver = await startReceiver();
    receivers.push(receiver);
    const res = await request(stack.app).post('/v1/webhook-endpoints').set(bearer(admin)).send({ url: receiver.url, events });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    receiver.secrets = [res.body.secret];
    return { id: res.body.id, secret: res.body.secret, receiver };
  }
  /** One order.payment_failed event for the customer: a declined card. */
  const decline = async (customerId: string) => {
    const res = await request(stack.app)
      .post(`/v1/customers/${customerId}/orders`)
      .set(bearer(admin))
      .send({ lineItems: [{ productId: 'sql-server-2022-standard', quantity: 1 }], paymentMethod: 'pm_card_declined' });
    assert.equal(res.status, 202);
    // Its workflow declines it a moment later; wait, so each test's events are its own.
    await eventually(() => stack.database.db.order.findUniqueOrThrow({ where: { id: res.body.orderId as string } }), (o) => o.status === 'payment_failed');
    return res.body.orderId as string;
  };
  const deliveries = async (endpointId: string) =>
    (await request(stack.app).get(`/v1/webhook-endpoints/${endpointId}/deliveries?limit=500`).set(bearer(admin))).body as {
      id: string;
      eventId: string;
      status: string;
      attempts: number;
      lastResponseStatus: number | null;
      lastError: string | null;
      nextAttemptAt: string | null;
    }[];
  const customers = () => stack.demo.partners[0]!.customers.map((c) => c.id);

  test('a receiver down for a while, then up: every event arrives, in order per customer, each id once', async () => {
    const { id, receiver } = await endpoint();
    receiver.mode = 'down';
    const [c1, c2] = customers() as [string, string];
    const orders: Record<string, string[]> = { [c1]: [], [c2]: [] };
    for (let i = 0; i < 4; i++) for (const c of [c1, c2]) orders[c]!.push(await decline(c));
    // Every event waits behind its customer's first, which is being retried with backoff.
    await eventually(() => deliveries(id), (list) => list.length === 8 && list.filter((d) => d.attempts >= 2 && d.lastResponseStatus === 503).length >= 2, 30_000);
    const waiting = await deliveries(id);
    // Operations see it too: a failing endpoint and a backlog behind it.
    const during = (await request(stack.app).get('/metrics')).text;
    assert.match(during, /^csp_webhook_endpoints_failing [1-9]/m);
    assert.match(during, /^csp_webhook_backlog\{state="(due|scheduled)"\} [1-9]/m);
    assert.match(during, /^csp_webhook_deliveries_recent\{outcome="retrying"\} [1-9]/m);
    assert.ok(waiting.every((d) => d.status === 'pending'));
    assert.ok(waiting.filter((d) => d.attempts > 0).every((d) => d.nextAttemptAt && d.lastError === 'answered 503'), JSON.stringify(waiting));
    // Up again, but it chokes twice more on the first customer's first event: the rest of that
    // customer's events wait behind it, the other customer's flow.
    const firstOfC1 = (await stack.database.db.webhookDelivery.findFirstOrThrow({ where: { endpointId: id, orderingKey: c1 }, orderBy: [{ occurredAt: 'asc' }, { seq: 'asc' }] })).eventId;
    let choked = 0;
    receiver.refuse = (e) => e.id === firstOfC1 && choked++ < 2;
    receiver.mode = 'ok';
    await eventually(() => deliveries(id), (list) => list.every((d) => d.status === 'delivered'), 30_000);
    assert.equal(choked, 3, 'the choked event was retried until taken');
    // The declines happen in their workflows' order, not the order they were placed: the outbox's order.
    for (const c of [c1, c2]) {
      const happened = await stack.database.db.webhookDelivery.findMany({ where: { endpointId: id, orderingKey: c }, orderBy: [{ occurredAt: 'asc' }, { seq: 'asc' }], select: { eventId: true } });
      assert.deepEqual(receiver.events.filter((e) => e.data.customerId === c).map((e) => e.id), happened.map((h) => h.eventId), 'in the order they happened');
      assert.deepEqual(receiver.events.filter((e) => e.data.customerId === c).map((e) => e.data.orderId).sort(), [...orders[c]!].sort());
    }
    assert.equal(new Set(receiver.events.map((e) => e.id)).size, 8);
    const afterwards = (await request(stack.app).get('/metrics')).text;
    assert.match(afterwards, /^csp_webhook_deliveries_recent\{outcome="delivered"\} [1-9]/m);
    assert.match(afterwards, /^csp_webhook_delivery_lag_seconds\{quantile="0.99"\} [0-9.]+$/m);
    assert.equal(receiver.events.length, 8);
  });

  test('an endpoint that hangs delays no other endpoint’s deliveries', async () => {
    const slow = await endpoint();
    const fast = await endpoint();
    slow.receiver.mode = 'hang';
    const orderId = await decline(customers()[0]!);
    await eventually(async () => fast.receiver.events.filter((e) => e.data.orderId === orderId), (l) => l.length === 1, 30_000);
    // The slow receiver still holds its request (120 s timeout): nothing of it has come back yet.
    const held = await deliveries(slow.id);
    assert.equal(held.find((d) => d.status !== 'pending'), undefined);
    assert.equal(held.filter((d) => d.attempts > 0).length, 0, 'its first attempt is still in flight');
    await request(stack.app).delete(`/v1/webhook-endpoints/${slow.id}`).set(bearer(admin)).expect(204);
    assert.equal((await request(stack.app).get(`/v1/webhook-endpoints/${slow.id}`).set(bearer(admin))).status, 404);
    await request(stack.app).post(`/v1/webhook-endpoints/${fast.id}/disable`).set(bearer(admin)).expect(200);
  });

  test('a 410 from the receiver disables the endpoint; enabling it resumes its pending deliveries', async () => {
    const { id, receiver } = await endpoint();
    receiver.mode = 'gone';
    await decline(customers()[0]!);
    const disabled = await eventually(async () => (await request(stack.app).get(`/v1/webhook-endpoints/${id}`).set(bearer(admin))).body, (e) => e.status === 'disabled', 30_000);
    assert.equal(disabled.disabledReason, 'The receiver answered 410 Gone');
    assert.equal((await deliveries(id))[0]!.status, 'failed');
    assert.equal((await deliveries(id))[0]!.lastResponseStatus, 410);
    // Disabled: new events are not announced to it.
    await decline(customers()[0]!);
    assert.equal((await deliveries(id)).length, 1);
    receiver.mode = 'ok';
    await request(stack.app).post(`/v1/webhook-endpoints/${id}/enable`).set(bearer(admin)).expect(200);
    const [failed] = await deliveries(id);
    const again = await request(stack.app).post(`/v1/webhook-endpoints/${id}/deliveries/${failed!.id}/redeliver`).set(bearer(admin));
    assert.equal(again.status, 202);
    await eventually(() => deliveries(id), (l) => l[0]!.status === 'delivered', 30_000);
    await request(stack.app).post(`/v1/webhook-endpoints/${id}/disable`).set(bearer(admin)).expect(200);
  });

  test('redelivery sends the same event again under the same id', async () => {
    const { id, receiver } = await endpoint();
    await decline(customers()[0]!);
    const [first] = await eventually(() => deliveries(id), (l) => l.length === 1 && l[0]!.status === 'delivered', 30_000);
    const res = await request(stack.app).post(`/v1/webhook-endpoints/${id}/deliveries/${first!.id}/redeliver`).set(bearer(admin));
    assert.equal(res.status, 202);
    assert.equal(res.body.status, 'pending');
    await eventually(async () => receiver.events.length, (n) => n === 2, 30_000);
    assert.equal(receiver.events[0]!.id, receiver.events[1]!.id);
    assert.equal(receiver.events[1]!.headers['webhook-id'], first!.eventId);
    assert.equal((await request(stack.app).post(`/v1/webhook-endpoints/${id}/deliveries/${crypto.randomUUID()}/redeliver`).set(bearer(admin))).status, 404);
    const other = stack.demo.partners[1]!.apiKeys.admin_agent;
    assert.equal((await request(stack.app).post(`/v1/webhook-endpoints/${id}/deliveries/${first!.id}/redeliver`).set(bearer(other))).status, 404);
    await request(stack.app).post(`/v1/webhook-endpoints/${id}/disable`).set(bearer(admin)).expect(200);
  });

  test('after a rotation both secrets verify for the grace period: a receiver on either accepts', async () => {
    const { id, secret: old, receiver } = await endpoint();
    const rotated = await request(stack.app).post(`/v1/webhook-endpoints/${id}/rotate-secret`).set(bearer(admin));
    assert.equal(rotated.status, 200);
    const fresh = rotated.body.secret as string;
    assert.notEqual(fresh, old);
    assert.ok(Date.parse(rotated.body.previousSecretExpiresAt) - Date.now() > 23 * 3600 * 1000);
    receiver.secrets = [old];
    await decline(customers()[0]!);
    await eventually(async () => receiver.events.length, (n) => n === 1, 30_000);
    const { headers } = receiver.events[0]!;
    assert.equal(headers['webhook-signature']!.split(' ').length, 2, 'two v1 signatures');
    const body = JSON.stringify(Object.fromEntries(Object.entries(receiver.events[0]!).filter(([k]) => !['at', 'headers'].includes(k))));
    assert.ok(new Webhook(fresh).verify(body, headers), 'the new secret verifies the same request');
    // Once the grace period is over, only the new secret signs.
    await stack.database.db.webhookEndpoint.update({ where: { id }, data: { previousSecretExpiresAt: new Date(Date.now() - 1000) } });
    receiver.secrets = [fresh];
    await decline(customers()[0]!);
    await eventually(async () => receiver.events.length, (n) => n === 2, 30_000);
    assert.equal(receiver.events[1]!.headers['webhook-signature']!.split(' ').length, 1);
    assert.equal(receiver.rejected, 0);
  });
});
