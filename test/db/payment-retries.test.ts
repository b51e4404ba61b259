import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities/index.ts';
import { LOCAL_PROVIDERS } from '../../common/config.ts';
import { createProviders } from '../../providers/index.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';

/**
 * An activity whose answer is lost after the provider committed is run again by Temporal: the
 * refund must then take effect once. (A worker killed while the provider is still
 * working rolls its transaction back, so only this case can show it.)
 */
describe('payment activities run again after a lost answer', () => {
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
});
