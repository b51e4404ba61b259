import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { Runtime, DefaultLogger } from '@temporalio/worker';
import { orderStateQuery, paymentEventSignal } from '../../common/messages.ts';
import { workflowIds } from '../../common/ids.ts';
import { LocalKeyAuthority, PRODUCT_KEY_PATTERN } from '../../providers/keys.ts';
import { LOCAL_PROVIDERS } from '../../common/config.ts';
import { createProviders } from '../../providers/index.ts';
import { createWorker } from '../../worker/worker.ts';
import { orderWorkflow } from '../../workflows/order.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { createTenant, orderInput, type Tenant } from '../helpers/fixtures.ts';
import { timeSkippingEnvironment, workflowBundle } from '../helpers/temporal.ts';

Runtime.install({ logger: new DefaultLogger('WARN') });

const taskQueue = 'purchase-test';
const REFUSED_PRODUCT = 'sql-server-2022-standard';

describe('purchase workflow (time skipping)', () => {
  let env: TestWorkflowEnvironment;
  let database: TestDatabase;
  let tenant: Tenant;

  before(async () => {
    [env, database] = await Promise.all([timeSkippingEnvironment(), createTestDatabase('purchase_wf')]);
    tenant = await createTenant(database.db);
  });
  after(async () => {
    await env?.teardown();
    await database?.drop();
  });

  async function withWorker<T>(fn: () => Promise<T>, keys = new LocalKeyAuthority(database.db)): Promise<T> {
    const worker: Worker = await createWorker({
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      taskQueue,
      deps: { ...createProviders({ providers: LOCAL_PROVIDERS }, database.db), db: database.db, keys },
      workflowBundle: await workflowBundle(),
    });
    return worker.runUntil(fn);
  }

  function start(input: ReturnType<typeof orderInput>) {
    return env.client.workflow.start(orderWorkflow, { taskQueue, workflowId: workflowIds.order(input.orderId), args: [input] });
  }

  test('activates the order with one subscription and one well-formed key per line item', async () => {
    const input = orderInput(tenant);
    const result = await withWorker(() => start(input).then((h) => h.result()));
    assert.equal(result.status, 'active');
    assert.equal(result.subscriptionIds.length, 2);
    const order = await database.db.order.findUniqueOrThrow({ where: { id: input.orderId }, include: { events: { orderBy: { id: 'asc' } } } });
    assert.equal(order.status, 'active');
    assert.deepEqual(order.events.map((e) => e.status), ['awaiting_payment', 'provisioning', 'active']);
    const keys = await database.db.productKey.findMany({ where: { subscriptionId: { in: result.subscriptionIds } } });
    assert.equal(keys.length, 2);
    for (const k of keys) assert.match(k.value, PRODUCT_KEY_PATTERN);
    assert.notEqual(keys[0]!.value, keys[1]!.value);
    const payments = await database.db.providerPayment.findMany({ where: { reference: input.orderId } });
    assert.equal(payments.length, 1);
    assert.equal(payments[0]!.status, 'captured');
  });

  test('ends in payment_failed when the card is declined, with nothing provisioned', async () => {
    const input = orderInput(tenant, { paymentMethod: 'pm_card_declined' });
    const result = await withWorker(() => start(input).then((h) => h.result()));
    assert.equal(result.status, 'payment_failed');
    assert.equal(await database.db.softwareSubscription.count({ where: { orderId: input.orderId } }), 0);
    const order = await database.db.order.findUniqueOrThrow({ where: { id: input.orderId } });
    assert.equal(order.status, 'payment_failed');
    assert.match(order.failureReason ?? '', /declined/);
  });

  test('activates a pm_async order once the provider confirms it by webhook', async () => {
    const input = orderInput(tenant, { paymentMethod: 'pm_async' });
    const result = await withWorker(async () => {
      const handle = await start(input);
      // Wait until the charge is pending at the provider, as a real webhook would.
      for (let i = 0; i < 200; i++) {
        const state = await handle.query(orderStateQuery);
        if (state.paymentId) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      await env.sleep('5 hours');
      assert.equal((await handle.query(orderStateQuery)).status, 'awaiting_payment');
      await handle.signal(paymentEventSignal, { eventId: 'evt_1', type: 'payment.succeeded' });
      return handle.result();
    });
    assert.equal(result.status, 'active');
  });

  test('expires a pm_async order never confirmed before the deadline and voids the authorization', async () => {
    const input = orderInput(tenant, { paymentMethod: 'pm_async' });
    const skippedFrom = await env.currentTimeMs();
    const result = await withWorker(() => start(input).then((h) => h.result()));
    assert.equal(result.status, 'expired');
    const payment = await database.db.providerPayment.findFirstOrThrow({ where: { reference: input.orderId } });
    assert.equal(payment.status, 'voided');
    const order = await database.db.order.findUniqueOrThrow({ where: { id: input.orderId } });
    assert.equal(order.status, 'expired');
    // The deadline passed on the server's (skipped) clock; nobody waited 72 real hours.
    assert.ok((await env.currentTimeMs()) - skippedFrom >= input.paymentConfirmationDeadlineMs, 'the payment deadline elapsed in skipped time');
  });

  test('revokes issued keys, refunds the payment and ends failed when provisioning fails', async () => {
    const input = orderInput(tenant);
    const refusing = new LocalKeyAuthority(database.db, (productId) => productId === REFUSED_PRODUCT);
    const result = await withWorker(() => start(input).then((h) => h.result()), refusing);
    assert.equal(result.status, 'failed');
    assert.match(result.failureReason ?? '', /no keys available/);
    const keys = await database.db.productKey.findMany({ where: { subscriptionId: { in: result.subscriptionIds } } });
    assert.equal(keys.length, 1, 'the first line item got its key before the second failed');
    assert.equal(keys[0]!.status, 'revoked');
    const authority = await database.db.authorityKey.findUniqueOrThrow({ where: { id: keys[0]!.authorityKeyId } });
    assert.equal(authority.status, 'revoked');
    const payment = await database.db.providerPayment.findFirstOrThrow({ where: { reference: input.orderId } });
    assert.equal(payment.refundedAmount.toFixed(2), input.total.amount);
    const subs = await database.db.softwareSubscription.findMany({ where: { orderId: input.orderId } });
    assert.ok(subs.length > 0 && subs.length === result.subscriptionIds.length, `the order's subscriptions are the workflow's (${subs.length})`);
    assert.deepEqual(subs.map((s) => s.status), subs.map(() => 'cancelled'));
  });

  test('activates a pm_flaky order after transient failures, with the retries in history', async () => {
    const input = orderInput(tenant, { paymentMethod: 'pm_flaky' });
    const { result, history } = await withWorker(async () => {
      const handle = await start(input);
      const result = await handle.result();
      return { result, history: await handle.fetchHistory() };
    });
    assert.equal(result.status, 'active');
    const chargeStarts = (history.events ?? []).filter(
      (e) => e.activityTaskStartedEventAttributes && e.activityTaskStartedEventAttributes.attempt === 3,
    );
    assert.equal(chargeStarts.length, 1, 'the charge succeeded on its third attempt');
    const payment = await database.db.providerPayment.findFirstOrThrow({ where: { reference: input.orderId } });
    assert.equal(payment.attempts, 3);
    assert.equal(payment.status, 'captured');
  });
});
