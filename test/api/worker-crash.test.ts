import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { PROJECT_ROOT } from '../../infra/paths.ts';
import pg from 'pg';
import { activeOrder, bearer, cancellationTicket, eventually, startStack, type Stack } from '../helpers/stack.ts';
import { backendsBlockedBy } from '../helpers/database.ts';

Runtime.install({ logger: new DefaultLogger('ERROR') });

describe('worker processes killed mid-flight', () => {
  let stack: Stack;
  const workers: ChildProcess[] = [];

  before(async () => {
    stack = await startStack('worker_crash', {}, { worker: false });
  });
  after(async () => {
    for (const w of workers) w.kill('SIGKILL');
    await stack?.close();
  });

  /** `npm run worker` as its own process, the way production runs it. */
  function startWorkerProcess(): ChildProcess {
    const child = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts'], {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: {
        ...process.env,
        NODE_ENV: 'test',
        LOG_LEVEL: 'warn',
        DATABASE_URL: stack.database.url,
        TEMPORAL_ADDRESS: stack.env.address,
        TEMPORAL_TASK_QUEUE: stack.config.temporal.taskQueue,
        DATA_DIR: stack.config.dataDir,
        PAYLOAD_ENCRYPTION_KEYS: stack.secrets.payloadKeys,
      },
    });
    workers.push(child);
    return child;
  }

  test('still ends active with exactly one payment capture and one key per subscription', async () => {
    const admin = stack.demo.partners[0]!.apiKeys.admin_agent;
    const customerId = stack.demo.partners[0]!.customers[0]!.id;
    const created = await request(stack.app)
      .post(`/v1/customers/${customerId}/orders`)
      .set(bearer(admin))
      .send({
        lineItems: [
          { productId: 'windows-server-2022-standard', quantity: 1 },
          { productId: 'office-ltsc-professional-plus-2024', quantity: 25 },
        ],
        paymentMethod: 'pm_flaky',
      });
    assert.equal(created.status, 202);
    const orderId = created.body.orderId as string;

    const first = startWorkerProcess();
    // The first worker gets as far as the provider's first (failed) attempt at the charge...
    await eventually(() => stack.database.db.providerPayment.findFirst({ where: { reference: orderId } }), (p) => (p?.attempts ?? 0) >= 1, 60_000);
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    // ...and a new worker process picks the order up from history and finishes it.
    startWorkerProcess();
    const order = await eventually(
      async () => (await request(stack.app).get(`/v1/orders/${orderId}`).set(bearer(admin))).body,
      (o) => o.status === 'active',
      90_000,
    );
    const payments = await stack.database.db.providerPayment.findMany({ where: { reference: orderId } });
    assert.equal(payments.length, 1, 'one charge');
    assert.equal(payments[0]!.status, 'captured');
    assert.equal(payments[0]!.attempts, 3, 'two transient failures, then the capture');
    assert.equal(order.subscriptions.length, 2);
    const keys = await stack.database.db.productKey.findMany({ where: { subscriptionId: { in: order.subscriptions } } });
    assert.equal(keys.length, 2, 'one key per subscription');
    const issued = await stack.database.db.authorityKey.count({
      where: { idempotencyKey: { in: order.subscriptions.map((s: string) => `subscription:${s}`) } },
    });
    assert.equal(issued, 2, 'the key authority issued exactly one key per subscription');
  });

  test('a worker killed between key revocation and refund still ends with one revocation and one refund', async () => {
    const admin = stack.demo.partners[0]!.apiKeys.admin_agent;
    const support = stack.demo.apiKeys.support_engineer;
    const customer = stack.demo.partners[0]!.customers[1]!;
    // Only this worker may hold the refund when it dies.
    for (const w of workers) w.kill('SIGKILL');
    const worker = startWorkerProcess();
    const order = await activeOrder(stack, admin, customer.id, [{ productId: 'sql-server-2022-enterprise', quantity: 1 }], 60_000);
    const subscriptionId = order.subscriptions[0]!;
    const filed = await request(stack.app)
      .post(`/v1/customers/${customer.id}/software/${subscriptionId}/cancellation`)
      .set(bearer(admin))
      .send(cancellationTicket({ customer: { tenantId: customer.id }, orderId: order.orderId, refundReason: 'Duplicate purchase', amountRequested: { amount: '15123.00', currency: 'USD' } }));
    const caseId = filed.body.refundCaseId as string;
    await eventually(async () => (await request(stack.app).get(`/v1/refund-cases/${caseId}`).set(bearer(support))).body.status, (s) => s === 'in_review', 60_000);

    // Hold the payment's row so the refund blocks inside the provider, after the key is revoked.
    const { paymentId } = await stack.database.db.order.findUniqueOrThrow({ where: { id: order.orderId } });
    const blocker = new pg.Client({ connectionString: stack.database.url });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('SELECT 1 FROM provider_payments WHERE id = $1 FOR UPDATE', [paymentId]);
    try {
      const decided = await request(stack.app).post(`/v1/refund-cases/${caseId}/decision`).set(bearer(support)).send({ decision: 'approve', note: 'duplicate' });
      assert.equal(decided.status, 200);
      await eventually(() => stack.database.db.refundCaseEvent.count({ where: { caseId, type: 'key_revoked' } }), (n) => n === 1, 60_000);
      await eventually(
        // A backend of this file's database waits on the row we hold: the refund is stuck inside the provider.
        () => backendsBlockedBy(blocker),
        (n) => n > 0,
        30_000,
      );
      worker.kill('SIGKILL');
      await new Promise((r) => worker.once('exit', r));
    } finally {
      await blocker.query('ROLLBACK');
      await blocker.end();
    }

    startWorkerProcess();
    await eventually(async () => (await request(stack.app).get(`/v1/refund-cases/${caseId}`).set(bearer(support))).body.status, (s) => s === 'completed', 120_000);
    const refunds = await stack.database.db.providerRefund.findMany({ where: { paymentId: paymentId! } });
    assert.deepEqual(refunds.map((r) => r.amount.toFixed(2)), ['15123.00'], 'exactly one refund');
    const key = await stack.database.db.productKey.findUniqueOrThrow({ where: { subscriptionId } });
    const authorityKey = await stack.database.db.authorityKey.findUniqueOrThrow({ where: { id: key.authorityKeyId } });
    assert.equal(authorityKey.status, 'revoked');
    assert.equal(await stack.database.db.refundCaseEvent.count({ where: { caseId, type: 'key_revoked' } }), 1, 'the key was revoked once');
    assert.equal(await stack.database.db.refundCaseEvent.count({ where: { caseId, type: 'refund_issued' } }), 1);
  });
});
