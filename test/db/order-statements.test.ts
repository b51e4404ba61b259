import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import { poolOf } from '../../db/client.ts';
import { nameOf } from '../../db/statements.ts';
import { changeOrderStatus, createOrderWrites, persistOrder } from '../../db/orders.ts';
import { createSubscription, storeProductKey } from '../../db/software.ts';
import { seedDemo } from '../../db/demo.ts';
import { LocalKeyAuthority, KeyAuthorityRefusedError } from '../../providers/keys.ts';
import { LocalPaymentProvider, PaymentDeclinedError, PaymentUnavailableError } from '../../providers/payments.ts';
import { againstAnotherWriter, createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { orderInput } from '../helpers/fixtures.ts';
import { watchStatements } from '../helpers/statements.ts';

/**
 * The writes every order makes run as single prepared statements (db/statements.ts): each must
 * still be idempotent on its business key, hold under concurrent calls, and refuse what the
 * multi-step versions refused.
 */
describe('an order’s writes, one statement each', () => {
  let database: TestDatabase;
  let demo: Awaited<ReturnType<typeof seedDemo>>;
  before(async () => {
    database = await createTestDatabase('order_statements');
    demo = await seedDemo(database.db, 'order-statements');
  });
  after(async () => database?.drop());

  const charge = (idempotencyKey: string, method = 'pm_card_ok', amount = '100.00') =>
    new LocalPaymentProvider(database.db).charge({ idempotencyKey, reference: idempotencyKey, method, amount: { amount, currency: 'USD' } });

  test('a charge is taken once per key, however often and however concurrently it is asked for', async () => {
    const key = `order:${randomUUID()}`;
    const answers = await Promise.all(Array.from({ length: 8 }, () => charge(key)));
    assert.equal(new Set(answers.map((a) => a.paymentId)).size, 1);
    assert.deepEqual(new Set(answers.map((a) => a.status)), new Set(['captured']));
    assert.equal(await database.db.providerPayment.count({ where: { idempotencyKey: key } }), 1);
  });

  test('a flaky charge fails twice, then captures; a declined one stays declined; another amount for the key is refused', async () => {
    const flaky = `order:${randomUUID()}`;
    await assert.rejects(charge(flaky, 'pm_flaky'), PaymentUnavailableError);
    await assert.rejects(charge(flaky, 'pm_flaky'), PaymentUnavailableError);
    assert.equal((await charge(flaky, 'pm_flaky')).status, 'captured');
    assert.equal((await database.db.providerPayment.findUniqueOrThrow({ where: { idempotencyKey: flaky } })).attempts, 3);

    const declined = `order:${randomUUID()}`;
    await assert.rejects(charge(declined, 'pm_card_declined'), PaymentDeclinedError);
    await assert.rejects(charge(declined, 'pm_card_declined'), /is declined/);

    const reused = `order:${randomUUID()}`;
    await charge(reused);
    await assert.rejects(charge(reused, 'pm_card_ok', '99.00'), /different amount/);
  });

  test('the key authority issues one key per idempotency key, also to concurrent calls, and refuses only new ones', async () => {
    const authority = new LocalKeyAuthority(database.db);
    const key = `subscription:${randomUUID()}`;
    const issued = await Promise.all(Array.from({ length: 8 }, () => authority.issue({ idempotencyKey: key, productId: 'windows-server-2022-standard' })));
    assert.equal(new Set(issued.map((k) => `${k.authorityKeyId} ${k.value}`)).size, 1);
    assert.equal(await database.db.authorityKey.count({ where: { idempotencyKey: key } }), 1);

    const refusing = new LocalKeyAuthority(database.db, () => true);
    assert.deepEqual(await refusing.issue({ idempotencyKey: key, productId: 'windows-server-2022-standard' }), issued[0]);
    await assert.rejects(refusing.issue({ idempotencyKey: `subscription:${randomUUID()}`, productId: 'windows-server-2022-standard' }), KeyAuthorityRefusedError);
  });

  test('a subscription and its key are stored once; a status change moves the order and adds one timeline entry', async () => {
    const partner = demo.partners[0]!;
    const orderId = randomUUID();
    const line = { lineItemId: randomUUID(), position: 1, productId: 'windows-server-2022-standard', quantity: 2, unitPrice: '10.00' };
    await persistOrder(database.db, {
      orderId,
      partnerId: partner.id,
      customerId: partner.customers[0]!.id,
      paymentMethod: 'pm_card_ok',
      total: { amount: '20.00', currency: 'USD' },
      lineItems: [line],
      paymentConfirmationDeadlineMs: 60_000,
    });
    const request = { orderId, partnerId: partner.id, customerId: partner.customers[0]!.id, line };
    const subscriptions = await Promise.all(Array.from({ length: 4 }, () => createSubscription(database.db, request)));
    assert.equal(new Set(subscriptions).size, 1);
    const subscription = await database.db.softwareSubscription.findUniqueOrThrow({ where: { id: subscriptions[0]! } });
    assert.deepEqual({ quantity: subscription.quantity, status: subscription.status, orderId: subscription.orderId }, { quantity: 2, status: 'active', orderId });

    const first = await storeProductKey(database.db, { subscriptionId: subscription.id, authorityKeyId: `key_${randomUUID()}`, value: 'AAAAA' });
    const second = await storeProductKey(database.db, { subscriptionId: subscription.id, authorityKeyId: `key_${randomUUID()}`, value: 'BBBBB' });
    assert.equal(second, first);
    assert.equal((await database.db.productKey.findUniqueOrThrow({ where: { id: first } })).value, 'AAAAA', 'the first key is kept');

    const before = await database.db.order.findUniqueOrThrow({ where: { id: orderId } });
    const change = { orderId, status: 'provisioning' as const, detail: 'captured', eventKey: 'provisioning', paymentId: 'pay_1' };
    await changeOrderStatus(database.db, change);
    await changeOrderStatus(database.db, change);
    const moved = await database.db.order.findUniqueOrThrow({ where: { id: orderId }, include: { events: true } });
    assert.equal(moved.status, 'provisioning');
    assert.equal(moved.paymentId, 'pay_1');
    assert.ok(moved.updatedAt > before.updatedAt, 'updated_at moves with the status');
    assert.deepEqual(moved.events.map((e) => e.dedupeKey).sort(), ['provisioning', 'received']);
    await changeOrderStatus(database.db, { orderId, status: 'failed', detail: 'x', eventKey: 'failed', failureReason: 'provisioning failed' });
    assert.equal((await database.db.order.findUniqueOrThrow({ where: { id: orderId } })).paymentId, 'pay_1', 'a change without a payment id keeps the one recorded');

    await assert.rejects(changeOrderStatus(database.db, { ...change, orderId: randomUUID() }), /not found/);

    // A first call that commits while a second waits on its row: the second's statement cannot see
    // the row (its snapshot is older), and must still answer the first one's subscription.
    const racing = { ...line, lineItemId: randomUUID(), position: 2 };
    await database.db.orderLineItem.create({ data: { id: racing.lineItemId, orderId, position: 2, productId: racing.productId, quantity: 1, unitPrice: '10.00' } });
    const holder = await poolOf(database.db).connect();
    try {
      await holder.query('BEGIN');
      const winner = randomUUID();
      await holder.query(
        `INSERT INTO software_subscriptions (id, order_id, line_item_id, partner_id, customer_id, product_id, quantity, status) VALUES ($1, $2, $3, $4, $5, $6, 1, 'active')`,
        [winner, orderId, racing.lineItemId, partner.id, partner.customers[0]!.id, racing.productId],
      );
      const second = createSubscription(database.db, { ...request, line: racing });
      await new Promise((r) => setTimeout(r, 300));
      await holder.query('COMMIT');
      assert.equal(await second, winner);
    } finally {
      holder.release();
    }
  });

  test('orders recorded together take fewer statements than orders, each with its lines, first entry and one audit entry; a bad one fails alone', async () => {
    const partner = demo.partners[0]!;
    const tenant = { partnerId: partner.id, customerId: partner.customers[0]!.id, domain: partner.customers[0]!.domain };
    const agentId = (await database.db.agent.findFirstOrThrow({ where: { partnerId: partner.id } })).id;
    const record = createOrderWrites(database.db).record;
    const inputs = Array.from({ length: 12 }, () => orderInput(tenant));
    // Recorded before: its status as it stands now is the answer, and nothing is written again.
    const earlier = inputs[11]!;
    await persistOrder(database.db, earlier);
    await changeOrderStatus(database.db, { orderId: earlier.orderId, status: 'provisioning', detail: 'test', eventKey: 'provisioning' });
    const watched = watchStatements(database.db);
    const audit = { agentId, partnerId: partner.id, data: { lines: 2 } };
    let answers: (string | undefined)[];
    try {
      // An order twice in one batch (the first call goes alone, the rest wait for it): both calls answer it.
      answers = (await Promise.all([...inputs, inputs[5]!].map((input) => record({ input, audit })))).map((r) => r.status);
    } finally {
      watched.stop();
    }
    const statements = watched.named('INSERT orders ');
    assert.deepEqual(answers, [...Array(11).fill('awaiting_payment'), 'provisioning', 'awaiting_payment']);
    assert.ok(statements < 13, `${statements} statements for 13 orders`);
    // An order that cannot be stored (its customer does not exist) fails alone.
    const [good1, bad, good2] = [orderInput(tenant), orderInput({ ...tenant, customerId: randomUUID() }), orderInput(tenant)];
    const settled = await Promise.allSettled([good1, bad, good2].map((input) => record({ input, audit })));
    assert.deepEqual(settled.map((a) => (a.status === 'fulfilled' ? a.value.status : 'rejected')), ['awaiting_payment', 'rejected', 'awaiting_payment']);
    assert.equal(await database.db.order.count({ where: { id: { in: [good1.orderId, bad.orderId, good2.orderId] } } }), 2);
    const ids = inputs.map((i) => i.orderId);
    const stored = await database.db.order.findMany({ where: { id: { in: ids } }, include: { lineItems: true, events: true } });
    assert.equal(stored.length, 12);
    for (const o of stored) {
      const input = inputs.find((i) => i.orderId === o.id)!;
      assert.deepEqual(o.lineItems.map((l) => `${l.position} ${l.productId} ${l.quantity} ${l.unitPrice.toFixed(2)}`).sort(), input.lineItems.map((l) => `${l.position} ${l.productId} ${l.quantity} ${l.unitPrice}`).sort());
      assert.equal(o.totalAmount.toFixed(2), input.total.amount);
      assert.equal(o.events.filter((e) => e.dedupeKey === 'received').length, 1);
    }
    const audits = await database.db.auditEvent.findMany({ where: { action: 'order.create', targetId: { in: ids } } });
    assert.deepEqual(audits.map((a) => a.targetId).sort(), [...ids].sort(), 'one audit entry per order, the one recorded earlier included');
    assert.ok(audits.every((a) => a.agentId === agentId && a.partnerId === partner.id));
  });

  test('two writers recording the same orders at once wait on each other instead of deadlocking: rows are locked in one order', async () => {
    const partner = demo.partners[0]!;
    const tenant = { partnerId: partner.id, customerId: partner.customers[0]!.id, domain: partner.customers[0]!.domain };
    const pair = [orderInput(tenant), orderInput(tenant)].sort((a, b) => a.orderId.localeCompare(b.orderId));
    const [first, second] = [pair[0]!, pair[1]!];
    const record = createOrderWrites(database.db).record;
    const insert = (writer: pg.ClientBase, order: typeof first) =>
      writer.query(`INSERT INTO orders (id, partner_id, customer_id, status, payment_method, total_amount, currency, workflow_id) VALUES ($1, $2, $3, 'awaiting_payment', 'pm_card_ok', 1, 'USD', $4) ON CONFLICT DO NOTHING`, [order.orderId, partner.id, tenant.customerId, `wf-${order.orderId}`]);
    // Another writer holds the first order; the batch, given the orders last first, must wait on it
    // before it takes the second, or the other writer's insert of the second would deadlock with it.
    const answers = await againstAnotherWriter(database.db, {
      hold: (writer) => insert(writer, first),
      // A lone order goes at once; the two that arrive while it is on its way go together.
      batch: () => Promise.all([record({ input: orderInput(tenant) }), Promise.all([record({ input: second }), record({ input: first })])]).then(([, both]) => both.map((r) => r.status)),
      takeRest: (writer) => insert(writer, second),
    });
    assert.deepEqual(answers, ['awaiting_payment', 'awaiting_payment']);
  });

  test('a prepared statement is named for what it does to which table (what its span in a trace shows), and no two share a name', async () => {
    // Every statement an order's writes send, as they send it.
    const watched = watchStatements(database.db);
    try {
      const partner = demo.partners[0]!;
      const input = orderInput({ partnerId: partner.id, customerId: partner.customers[0]!.id, domain: partner.customers[0]!.domain });
      const { orderId } = input;
      await persistOrder(database.db, input);
      await changeOrderStatus(database.db, { orderId, status: 'provisioning', detail: 'test', eventKey: 'provisioning' });
      await charge(`order:${orderId}`);
    } finally {
      watched.stop();
    }
    const seen = new Set(watched.seen.flatMap((st) => (st.name ? [`${st.name}\u0000${st.text}`] : [])));
    const named = [...seen].map((entry) => entry.split('\u0000') as [string, string]);
    assert.ok(named.length >= 3, `statements seen: ${named.map(([n]) => n).join(', ')}`);
    for (const [name] of named) assert.match(name, /^(SELECT|INSERT|UPDATE|DELETE) [a-z_]+ [0-9a-f]{12}$/, name);
    assert.ok(named.some(([name]) => name.startsWith('INSERT orders ')), named.map(([n]) => n).join(', '));
    assert.ok(named.some(([name]) => name.startsWith('UPDATE orders ')), named.map(([n]) => n).join(', '));
    assert.notEqual(nameOf('SELECT 1 FROM orders WHERE id = $1'), nameOf('SELECT 2 FROM orders WHERE id = $1'), 'two statements on one table keep apart');
    // A WITH that reads its input before it writes is named for the write, not for the read.
    const named2 = (text: string) => nameOf(text).split(' ').slice(0, 2).join(' ');
    assert.equal(named2('WITH input AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(a int)), e AS (INSERT INTO download_events (a) SELECT a FROM input) UPDATE download_links SET a = 1'), 'INSERT download_events');
    assert.equal(named2('WITH recent AS (SELECT id FROM orders) SELECT * FROM recent'), 'SELECT orders');
    assert.equal(new Set(named.map(([name]) => name)).size, named.length);
  });
});
