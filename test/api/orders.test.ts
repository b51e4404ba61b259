import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { IDEMPOTENCY_LEASE_MS } from '../../api/idempotency.ts';
import { signPaymentWebhook } from '../../api/services/payments.ts';
import { Prisma } from '../../db/client.ts';
import { workflowIds } from '../../common/ids.ts';
import { searchAttributes } from '../../common/messages.ts';
import { PRODUCT_KEY_PATTERN } from '../../providers/keys.ts';
import { LocalPaymentProvider } from '../../providers/payments.ts';
import { bearer, eventually, startStack, type Stack } from '../helpers/stack.ts';

Runtime.install({ logger: new DefaultLogger('ERROR') });

describe('purchase through the API (dev server, PostgreSQL)', () => {
  let stack: Stack;
  let admin: string;
  let sales: string;
  let otherSales: string;
  let ops: string;

  before(async () => {
    stack = await startStack('api_purchase');
    admin = stack.demo.partners[0]!.apiKeys.admin_agent;
    sales = stack.demo.partners[0]!.apiKeys.sales_agent;
    otherSales = stack.demo.partners[1]!.apiKeys.sales_agent;
    ops = stack.demo.apiKeys.operations;
  });
  after(async () => stack?.close());

  const orderBody = {
    lineItems: [
      { productId: 'windows-server-2022-standard', quantity: 2 },
      { productId: 'sql-server-2022-standard', quantity: 1 },
    ],
    paymentMethod: 'pm_card_ok',
  };

  async function newCustomer(key: string, domain: string) {
    const res = await request(stack.app).post('/v1/customers').set(bearer(key)).send({ domain, companyName: 'Woodgrove Bank' });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.id as string;
  }

  test('takes an order from customer creation to active software with keys', async () => {
    const customerId = await newCustomer(sales, 'woodgrove-bank.com');
    const created = await request(stack.app)
      .post(`/v1/customers/${customerId}/orders`)
      .set(bearer(sales))
      .set('Idempotency-Key', 'order-1')
      .send(orderBody);
    assert.equal(created.status, 202, JSON.stringify(created.body));
    assert.equal(created.headers.location, `/v1/orders/${created.body.orderId}`);
    assert.equal(created.body.status, 'awaiting_payment');

    const order = await eventually(
      async () => (await request(stack.app).get(created.headers.location!).set(bearer(sales))).body,
      (o) => o.status === 'active',
    );
    assert.equal(order.total.amount, '6083.00');
    assert.deepEqual(order.timeline.map((t: { status: string }) => t.status), ['awaiting_payment', 'provisioning', 'active']);
    assert.equal(order.subscriptions.length, 2);

    const software = await request(stack.app).get(`/v1/customers/${customerId}/software`).set(bearer(sales));
    assert.equal(software.status, 200);
    assert.deepEqual(software.body.map((s: { subscriptionId: string }) => s.subscriptionId).sort(), [...order.subscriptions].sort());
    assert.deepEqual(software.body.map((s: { productName: string }) => s.productName).sort(), ['SQL Server 2022 Standard', 'Windows Server 2022 Standard']);

    const item = await request(stack.app).get(`/v1/customers/${customerId}/software/${order.subscriptions[0]}`).set(bearer(admin));
    assert.equal(item.status, 200);
    assert.match(item.body.productKey, PRODUCT_KEY_PATTERN);
    assert.ok(item.body.options.versions.length > 0 && item.body.options.languages.length > 0 && item.body.options.fileTypes.length > 0);
    const forSales = await request(stack.app).get(`/v1/customers/${customerId}/software/${order.subscriptions[0]}`).set(bearer(sales));
    assert.equal(forSales.body.productKey, undefined, 'sales agents never see keys');

    const asOps = await request(stack.app).get(created.headers.location!).set(bearer(ops));
    assert.equal(asOps.status, 200, 'operations read every partner’s orders');
    // What the Web UI finds it by (its workflow sets them).
    const attributes = (await stack.client.workflow.getHandle(workflowIds.order(created.body.orderId)).describe()).typedSearchAttributes;
    assert.deepEqual([attributes.get(searchAttributes.orderStatus), attributes.get(searchAttributes.partnerId), attributes.get(searchAttributes.customerId)], ['active', stack.demo.partners[0]!.id, customerId]);
  });

  test('replays the same Idempotency-Key: one workflow, one payment, the identical response', async () => {
    const customerId = await newCustomer(admin, 'contoso-pharma.com');
    const send = () =>
      request(stack.app).post(`/v1/customers/${customerId}/orders`).set(bearer(admin)).set('Idempotency-Key', 'retry-me').send(orderBody);
    const [first, concurrent] = await Promise.all([send(), send()]);
    const again = await send();
    assert.equal(first.status, 202);
    assert.deepEqual(concurrent.body, first.body);
    assert.deepEqual(again.body, first.body);
    assert.equal(again.headers.location, first.headers.location);
    const orderId = first.body.orderId as string;
    await eventually(
      async () => (await request(stack.app).get(`/v1/orders/${orderId}`).set(bearer(admin))).body.status,
      (s) => s === 'active',
    );
    const runs = [];
    for await (const wf of stack.client.workflow.list({ query: `WorkflowId = '${workflowIds.order(orderId)}'` })) runs.push(wf);
    assert.equal(runs.length, 1, 'exactly one workflow run');
    assert.equal(await stack.database.db.order.count({ where: { customerId } }), 1);
    assert.equal(await stack.database.db.providerPayment.count({ where: { reference: orderId } }), 1);
    // The API and the workflow both record the order; its creation is audited once, with who did it.
    const audits = await stack.database.db.auditEvent.findMany({ where: { action: 'order.create', targetId: orderId } });
    assert.equal(audits.length, 1);
    const adminKey = await stack.database.db.apiKey.findUniqueOrThrow({ where: { prefix: admin.split('_')[1]! } });
    assert.equal(audits[0]!.agentId, adminKey.agentId);
    assert.deepEqual(audits[0]!.data, { customerId, total: { amount: '6083.00', currency: 'USD' }, lines: 2 });

    const changed = await request(stack.app)
      .post(`/v1/customers/${customerId}/orders`)
      .set(bearer(admin))
      .set('Idempotency-Key', 'retry-me')
      .send({ ...orderBody, paymentMethod: 'pm_async' });
    assert.equal(changed.status, 422);
    assert.equal(changed.headers['content-type'], 'application/problem+json; charset=utf-8');
  });

  test('a retry takes over an Idempotency-Key whose first request died before answering, and places the order once', async () => {
    const customerId = await newCustomer(admin, 'adatum-crash.com');
    const send = () => request(stack.app).post(`/v1/customers/${customerId}/orders`).set(bearer(admin)).set('Idempotency-Key', 'died-mid-way').send(orderBody);
    const first = await send();
    assert.equal(first.status, 202);
    // What an API process killed after starting the workflow but before storing its answer leaves behind.
    const adminKey = await stack.database.db.apiKey.findUniqueOrThrow({ where: { prefix: admin.split('_')[1]! } });
    const where = { agentId_key: { agentId: adminKey.agentId, key: 'died-mid-way' } };
    await stack.database.db.idempotencyRecord.update({
      where,
      data: { completedAt: null, responseStatus: null, responseBody: Prisma.DbNull, responseHeaders: Prisma.DbNull, createdAt: new Date(Date.now() - IDEMPOTENCY_LEASE_MS - 1000) },
    });
    const retried = await send();
    assert.equal(retried.status, 202, JSON.stringify(retried.body));
    assert.equal(retried.body.orderId, first.body.orderId);
    assert.equal(retried.headers.location, first.headers.location);
    const record = await stack.database.db.idempotencyRecord.findUniqueOrThrow({ where });
    assert.ok(record.completedAt, 'the retry stored its answer');
    assert.equal(await stack.database.db.order.count({ where: { customerId } }), 1);
    const runs = [];
    for await (const wf of stack.client.workflow.list({ query: `WorkflowId = '${workflowIds.order(first.body.orderId)}'` })) runs.push(wf);
    assert.equal(runs.length, 1, 'exactly one workflow run');
  });

  test('answers 404 to another partner’s agent, for the customer and for the order', async () => {
    const customerId = await newCustomer(sales, 'fourth-coffee.com');
    const created = await request(stack.app).post(`/v1/customers/${customerId}/orders`).set(bearer(sales)).send(orderBody);
    assert.equal(created.status, 202);
    const theirs = await request(stack.app).post(`/v1/customers/${customerId}/orders`).set(bearer(otherSales)).send(orderBody);
    assert.equal(theirs.status, 404);
    assert.equal((await request(stack.app).get(`/v1/orders/${created.body.orderId}`).set(bearer(otherSales))).status, 404);
    assert.equal((await request(stack.app).get(`/v1/customers/${customerId}/software`).set(bearer(otherSales))).status, 404);
    assert.equal((await request(stack.app).get(`/v1/customers/${customerId}`).set(bearer(otherSales))).status, 404);
  });

  test('takes orders for a product added to the catalog a moment ago', async () => {
    const customerId = stack.demo.partners[0]!.customers[0]!.id;
    const unknown = await request(stack.app).post(`/v1/customers/${customerId}/orders`).set(bearer(admin)).send({ lineItems: [{ productId: 'visio-2024-new', quantity: 1 }], paymentMethod: 'pm_card_ok' });
    assert.equal(unknown.status, 422);
    await stack.database.db.product.create({ data: { id: 'visio-2024-new', name: 'Visio 2024 (new)', description: 'Added while the API runs', unitPrice: '580.00', currency: 'USD' } });
    const ordered = await request(stack.app).post(`/v1/customers/${customerId}/orders`).set(bearer(admin)).send({ lineItems: [{ productId: 'visio-2024-new', quantity: 2 }], paymentMethod: 'pm_card_ok' });
    assert.equal(ordered.status, 202, JSON.stringify(ordered.body));
    const order = await stack.database.db.order.findUniqueOrThrow({ where: { id: ordered.body.orderId } });
    assert.equal(order.totalAmount.toFixed(2), '1160.00');
  });

  test('rejects unknown products with a 422 naming each bad line, and orders nothing', async () => {
    const customerId = stack.demo.partners[0]!.customers[0]!.id;
    const before = await stack.database.db.order.count();
    const res = await request(stack.app)
      .post(`/v1/customers/${customerId}/orders`)
      .set(bearer(admin))
      .send({ lineItems: [{ productId: 'windows-server-2022-standard', quantity: 1 }, { productId: 'no-such-thing', quantity: 1 }], paymentMethod: 'pm_card_ok' });
    assert.equal(res.status, 422);
    assert.deepEqual(res.body.errors, [{ path: 'lineItems.1.productId', message: 'unknown product "no-such-thing"' }]);
    assert.equal(await stack.database.db.order.count(), before);
  });

  test('activates a pm_async order when the signed webhook arrives, and ignores its duplicate', async () => {
    const customerId = stack.demo.partners[0]!.customers[1]!.id;
    const created = await request(stack.app)
      .post(`/v1/customers/${customerId}/orders`)
      .set(bearer(admin))
      .send({ ...orderBody, paymentMethod: 'pm_async' });
    const orderId = created.body.orderId as string;
    const order = await eventually(
      () => stack.database.db.order.findUniqueOrThrow({ where: { id: orderId } }),
      (o) => o.paymentId !== null,
    );
    // The provider settles the payment on its side, then sends the signed event.
    const event = await new LocalPaymentProvider(stack.database.db).settle(order.paymentId!, 'payment.succeeded');
    const body = JSON.stringify({ eventId: event.eventId, orderId, type: event.type });
    const unsigned = await request(stack.app).post('/v1/payments/webhook').set('Content-Type', 'application/json').send(body);
    assert.equal(unsigned.status, 401);
    const post = () =>
      request(stack.app)
        .post('/v1/payments/webhook')
        .set('Content-Type', 'application/json')
        .set('Payment-Signature', signPaymentWebhook(stack.secrets.paymentWebhook, body))
        .send(body);
    const first = await post();
    assert.equal(first.status, 200);
    assert.equal(first.body.duplicate, false);
    const second = await post();
    assert.equal(second.body.duplicate, true);
    await eventually(
      async () => (await request(stack.app).get(`/v1/orders/${orderId}`).set(bearer(admin))).body.status,
      (s) => s === 'active',
    );
    assert.equal(await stack.database.db.processedWebhookEvent.count({ where: { orderId } }), 1);
  });

  test('shows operations a pm_async order waiting for payment, and summary counts that match the orders', async () => {
    const customerId = stack.demo.partners[1]!.customers[0]!.id;
    const created = await request(stack.app)
      .post(`/v1/customers/${customerId}/orders`)
      .set(bearer(stack.demo.partners[1]!.apiKeys.admin_agent))
      .send({ ...orderBody, paymentMethod: 'pm_async' });
    const orderId = created.body.orderId as string;
    const stuck = await eventually(
      async () => (await request(stack.app).get('/v1/operations/orders?status=awaiting_payment').set(bearer(ops))).body as { orderId: string; workflowId: string; ageMinutes: number; partnerName: string }[],
      (orders) => orders.some((o) => o.orderId === orderId),
    );
    const entry = stuck.find((o) => o.orderId === orderId)!;
    assert.equal(entry.workflowId, `order-${orderId}`);
    assert.equal(entry.partnerName, 'Fabrikam Solutions');
    assert.ok(entry.ageMinutes >= 0);
    assert.equal((await request(stack.app).get('/v1/operations/orders').set(bearer(sales))).status, 403);
    assert.equal((await request(stack.app).get('/v1/operations/orders?olderThanMinutes=-1').set(bearer(ops))).status, 422);

    // Orders placed by earlier tests may still be moving: compare only a summary taken between two
    // identical reads of the counts, so the summary and the database speak of the same moment.
    const byStatus = async () => Object.fromEntries((await stack.database.db.order.groupBy({ by: ['status'], _count: { _all: true } })).map((r) => [r.status, r._count._all]));
    const { summary, counts } = await eventually(
      async () => {
        const before = await byStatus();
        const read = (await request(stack.app).get('/v1/operations/summary').set(bearer(ops))).body;
        return { summary: read, counts: before, stable: JSON.stringify(before) === JSON.stringify(await byStatus()) };
      },
      (r) => r.stable,
    );
    for (const [status, n] of Object.entries(counts)) assert.equal(summary.ordersByStatus[status], n, status);
    assert.ok(summary.ordersByStatus.awaiting_payment >= 1);
    assert.ok(summary.oldestInFlightOrder);
  });

  test('reconciliation reports an order whose database status disagrees with its workflow', async () => {
    // Orders still moving may disagree for a moment (workflow first, then its activity): settle first.
    const clean = await eventually(
      async () => (await request(stack.app).get('/v1/operations/reconciliation').set(bearer(ops))).body,
      (r) => r.mismatches.length === 0,
    );
    assert.ok(clean.checked > 0);
    const active = await stack.database.db.order.findFirstOrThrow({ where: { status: 'active' } });
    await stack.database.db.order.update({ where: { id: active.id }, data: { status: 'provisioning' } });
    try {
      const report = (await request(stack.app).get('/v1/operations/reconciliation').set(bearer(ops))).body;
      assert.deepEqual(report.mismatches, [{ orderId: active.id, workflowId: active.workflowId, database: 'provisioning', workflow: 'active' }]);
    } finally {
      await stack.database.db.order.update({ where: { id: active.id }, data: { status: 'active' } });
    }
  });
});
