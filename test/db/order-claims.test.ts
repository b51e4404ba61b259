import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createIdempotencyWrites, type ClaimRequest } from '../../db/idempotency.ts';
import { createOrderWrites } from '../../db/orders.ts';
import { seedDemo } from '../../db/demo.ts';
import { againstAnotherWriter, createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { orderInput } from '../helpers/fixtures.ts';
import { watchStatements } from '../helpers/statements.ts';

/**
 * The order POST claims its Idempotency-Key in the order's own statement (db/orders.ts with
 * claimOnceSql): the order is recorded if and only if the claim is taken, in one round trip.
 */
describe('an order and its Idempotency-Key, claimed in one statement', () => {
  let database: TestDatabase;
  let demo: Awaited<ReturnType<typeof seedDemo>>;
  let agentId: string;
  before(async () => {
    database = await createTestDatabase('order_claims');
    demo = await seedDemo(database.db, 'order-claims');
    agentId = (await database.db.agent.findFirstOrThrow({ where: { partnerId: demo.partners[0]!.id } })).id;
  });
  after(async () => database?.drop());

  const tenant = () => ({ partnerId: demo.partners[0]!.id, customerId: demo.partners[0]!.customers[0]!.id, domain: demo.partners[0]!.customers[0]!.domain });
  const claimOf = (key: string, requestHash: string, createdAt = new Date()): ClaimRequest => ({ claim: { agentId, key, createdAt }, method: 'POST', path: '/v1/customers/x/orders', requestHash });
  const audit = () => ({ agentId, partnerId: demo.partners[0]!.id, data: { lines: 2 } });
  const audits = (orderId: string) => database.db.auditEvent.count({ where: { action: 'order.create', targetId: orderId } });

  test('records the order with its claim in one statement; a second claim of the key records nothing and answers the order as it stands', async () => {
    const record = createOrderWrites(database.db).record;
    const input = orderInput(tenant());
    const key = `k-${randomUUID()}`;
    const watched = watchStatements(database.db);
    let first;
    try {
      first = await record({ input, audit: audit(), claim: claimOf(key, 'hash-1') });
    } finally {
      watched.stop();
    }
    assert.deepEqual(first, { status: 'awaiting_payment', claimed: true });
    assert.equal(watched.seen.length, 1, `one statement for the claim and the order: ${watched.seen.map((s) => s.name).join(', ')}`);
    assert.ok(watched.seen[0]!.name?.startsWith('INSERT orders '), `named for the order: ${watched.seen[0]!.name}`);
    const held = await database.db.idempotencyRecord.findUniqueOrThrow({ where: { agentId_key: { agentId, key } } });
    assert.equal(held.requestHash, 'hash-1');

    // The same key again, with another body (the order id is the key's, so it is the same order).
    const again = await record({ input: { ...input, paymentMethod: 'pm_async' }, audit: audit(), claim: claimOf(key, 'hash-2', new Date(Date.now() + 5)) });
    assert.deepEqual(again, { status: 'awaiting_payment', claimed: false });
    const order = await database.db.order.findUniqueOrThrow({ where: { id: input.orderId } });
    assert.equal(order.paymentMethod, 'pm_card_ok');
    assert.equal((await database.db.idempotencyRecord.findUniqueOrThrow({ where: { agentId_key: { agentId, key } } })).requestHash, 'hash-1');
    assert.equal(await audits(input.orderId), 1);
  });

  test('a claim with its answer is completed in the order’s own statement: one commit, and the record replays at once', async () => {
    const writes = createOrderWrites(database.db);
    const [a, b] = [orderInput(tenant()), orderInput(tenant())];
    const [keyA, keyB] = [`k-${randomUUID()}`, `k-${randomUUID()}`];
    const answer = { status: 202, headers: { location: `/v1/orders/${a.orderId}`, 'content-type': 'application/json; charset=utf-8' }, body: { orderId: a.orderId, status: 'awaiting_payment' } };
    const watched = watchStatements(database.db);
    try {
      assert.equal((await writes.record({ input: a, audit: audit(), claim: { ...claimOf(keyA, 'hash-a'), answer } })).claimed, true);
    } finally {
      watched.stop();
    }
    assert.deepEqual(
      watched.seen.map((st) => st.name?.split(' ').slice(0, 2).join(' ')),
      ['INSERT orders'],
      'one statement for the claim, the order and the answer',
    );
    const stored = await database.db.idempotencyRecord.findUniqueOrThrow({ where: { agentId_key: { agentId, key: keyA } } });
    assert.ok(stored.completedAt, 'completed as it was claimed');
    assert.equal(stored.responseStatus, 202);
    assert.deepEqual(stored.responseHeaders, answer.headers);
    assert.deepEqual(stored.responseBody, answer.body);
    // A claim without an answer (the answer stored once sent) stays open until then.
    await writes.record({ input: b, audit: audit(), claim: claimOf(keyB, 'hash-b') });
    const open = await database.db.idempotencyRecord.findUniqueOrThrow({ where: { agentId_key: { agentId, key: keyB } } });
    assert.deepEqual([open.completedAt, open.responseStatus, open.responseBody], [null, null, null]);
  });

  test('an order whose key was claimed apart (by the middleware, for another route) is not recorded', async () => {
    const key = `k-${randomUUID()}`;
    assert.equal(await createIdempotencyWrites(database.db).claim(claimOf(key, 'hash-1')), true);
    const input = orderInput(tenant());
    const answer = await createOrderWrites(database.db).record({ input, audit: audit(), claim: claimOf(key, 'hash-1', new Date(Date.now() + 5)) });
    assert.deepEqual(answer, { status: undefined, claimed: false });
    assert.equal(await database.db.order.count({ where: { id: input.orderId } }), 0);
    assert.equal(await audits(input.orderId), 0);
  });

  test('a duplicate whose statement began before the first committed records nothing and adds no second audit entry', async () => {
    const input = orderInput(tenant());
    const key = `k-${randomUUID()}`;
    // Another API process's statement for the same key, not yet committed: its claim, its order and its audit entry.
    const answer = await againstAnotherWriter(database.db, {
      hold: async (writer) => {
        await writer.query(`INSERT INTO idempotency_records (agent_id, key, method, path, request_hash) VALUES ($1, $2, 'POST', '/x', 'hash-1')`, [agentId, key]);
        await writer.query(
          `INSERT INTO orders (id, partner_id, customer_id, status, payment_method, total_amount, currency, workflow_id) VALUES ($1, $2, $3, 'awaiting_payment', 'pm_card_ok', 1, 'USD', $4)`,
          [input.orderId, input.partnerId, input.customerId, `wf-${input.orderId}`],
        );
        await writer.query(`INSERT INTO audit_events (agent_id, partner_id, action, target_type, target_id) VALUES ($1, $2, 'order.create', 'order', $3)`, [agentId, input.partnerId, input.orderId]);
      },
      batch: () => createOrderWrites(database.db).record({ input, audit: audit(), claim: claimOf(key, 'hash-1') }),
      takeRest: async () => undefined,
    });
    assert.equal(answer.claimed, false);
    assert.equal(await audits(input.orderId), 1);
    assert.equal(await database.db.orderLineItem.count({ where: { orderId: input.orderId } }), 0, 'the duplicate wrote no lines');
  });
});
