import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { PROJECT_ROOT } from '../../infra/paths.ts';
import { bearer, eventually, startStack, type Stack } from '../helpers/stack.ts';

Runtime.install({ logger: new DefaultLogger('ERROR') });

describe('a worker process killed while an order is in flight', () => {
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
});
