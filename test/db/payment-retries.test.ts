import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities/index.ts';
import { LOCAL_PROVIDERS } from '../../common/config.ts';
import { createProviders } from '../../providers/index.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { seedDemo } from '../../db/demo.ts';
import { persistOrder } from '../../db/orders.ts';
import { createSubscription } from '../../db/software.ts';
import { LocalKeyAuthority } from '../../providers/keys.ts';
import { orderInput } from '../helpers/fixtures.ts';
import { watchStatements } from '../helpers/statements.ts';

/**
 * An activity whose answer is lost after the provider committed is run again by Temporal: the
 * refund must then take effect once. (A worker killed while the provider is still
 * working rolls its transaction back, so only this case can show it.)
 */
describe('provider activities run again after a lost answer', () => {
  let database: TestDatabase;
  before(async () => {
    database = await createTestDatabase('payment_retries');
  });
  after(async () => database?.drop());

  test('a refund retried with the same business key refunds once', async () => {
    const providers = createProviders({ providers: LOCAL_PROVIDERS }, database.db);
    const acts = createActivities({ db: database.db, ...providers });
    const env = new MockActivityEnvironment();
    const first = await providers.payments.charge({ idempotencyKey: `order:${randomUUID()}`, reference: randomUUID(), method: 'pm_card_ok', amount: { amount: '100.00', currency: 'USD' } });
    // (Capturing once however often chargePayment runs is worker-crash.test.ts's claim.)
    const refund = { paymentId: first.paymentId, amount: { amount: '40.00', currency: 'USD' }, idempotencyKey: `refund-case:${randomUUID()}` };
    const r1 = (await env.run(acts.refundPayment, refund)) as { refundId: string };
    const r2 = (await new MockActivityEnvironment({ attempt: 2 }).run(acts.refundPayment, refund)) as { refundId: string };
    assert.equal(r2.refundId, r1.refundId);
    assert.equal(await database.db.providerRefund.count({ where: { paymentId: first.paymentId } }), 1, 'one refund');
    const payment = await database.db.providerPayment.findUniqueOrThrow({ where: { id: first.paymentId } });
    assert.equal(payment.refundedAmount.toFixed(2), '40.00');
  });

  test('a key is issued once: a first attempt asks the authority without reading first, a retry after a lost answer finds the stored key and does not ask again', async () => {
    const demo = await seedDemo(database.db, 'key-retries');
    const partner = demo.partners[0]!;
    const input = orderInput({ partnerId: partner.id, customerId: partner.customers[0]!.id, domain: partner.customers[0]!.domain });
    await persistOrder(database.db, input);
    const line = input.lineItems[0]!;
    const subscriptionId = await createSubscription(database.db, { orderId: input.orderId, partnerId: partner.id, customerId: partner.customers[0]!.id, line });
    const authority = new LocalKeyAuthority(database.db);
    let asked = 0;
    const keys = { issue: (r: Parameters<LocalKeyAuthority['issue']>[0]) => (asked++, authority.issue(r)), revoke: (id: string) => authority.revoke(id) };
    const acts = createActivities({ db: database.db, ...createProviders({ providers: LOCAL_PROVIDERS }, database.db), keys });
    const statements = watchStatements(database.db);
    const reads = () => statements.named('SELECT product_keys ');
    try {
      const request = { subscriptionId, productId: line.productId };
      const first = (await new MockActivityEnvironment({ attempt: 1 }).run(acts.issueProductKey, request)) as { productKeyId: string };
      assert.deepEqual([asked, reads()], [1, 0], 'a first attempt asks the authority and reads nothing first');
      const retried = (await new MockActivityEnvironment({ attempt: 2 }).run(acts.issueProductKey, request)) as { productKeyId: string };
      assert.equal(retried.productKeyId, first.productKeyId);
      assert.equal(asked, 1, 'the retry found the stored key and did not ask the authority again');
    } finally {
      statements.stop();
    }
    assert.equal(await database.db.productKey.count({ where: { subscriptionId } }), 1);
  });
});
