import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import request from 'supertest';
import { createApp } from '../../api/app.ts';
import { workflowIds } from '../../common/ids.ts';
import { bearer, eventually, startStack, type Stack } from '../helpers/stack.ts';

Runtime.install({ logger: new DefaultLogger('ERROR') });

/**
 * An order's statement stores the answer a retry with its key gets, before its workflow is started.
 * So a retry must not be answered 202 for an order whose workflow the first request never started
 * (Temporal was unreachable, or the API process died in between) without starting it first.
 */
describe('retries of an order whose first request recorded it but did not start its workflow', () => {
  let stack: Stack;
  let admin: string;
  let customerId: string;
  let unreachable: Client;
  let broken: ReturnType<typeof createApp>;
  before(async () => {
    stack = await startStack('api_order_retries');
    admin = stack.demo.partners[0]!.apiKeys.admin_agent;
    customerId = stack.demo.partners[0]!.customers[0]!.id;
    // An API whose Temporal is unreachable records the order, then fails to start its workflow (503).
    unreachable = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1', interceptors: [] }) });
    broken = createApp(stack.apiDeps({ config: { ...stack.config, temporal: { ...stack.config.temporal, rpcTimeoutMs: 1_000 } }, temporal: unreachable }));
  });
  after(async () => {
    await unreachable?.connection.close().catch(() => undefined);
    await stack?.close();
  });

  const body = { lineItems: [{ productId: 'project-professional-2024', quantity: 2 }], paymentMethod: 'pm_card_ok' };
  const place = (app: typeof stack.app, key: string) => request(app).post(`/v1/customers/${customerId}/orders`).set(bearer(admin)).set('Idempotency-Key', key).send(body);
  const started = async (orderId: string) =>
    stack.client.workflow
      .getHandle(workflowIds.order(orderId))
      .describe()
      .then(
        () => true,
        (err: Error) => (err.name === 'WorkflowNotFoundError' ? false : Promise.reject(err)),
      );

  test('while Temporal is still unreachable a retry is answered 503, not the stored 202; once it is back, the retry starts the order and gets the first answer', async () => {
    const first = await place(broken, 'unstarted-then-retried');
    assert.equal(first.status, 503, JSON.stringify(first.body));
    const order = await stack.database.db.order.findFirstOrThrow({ where: { customerId }, orderBy: { createdAt: 'desc' } });
    assert.equal(await started(order.id), false);
    const again = await place(broken, 'unstarted-then-retried');
    assert.equal(again.status, 503, 'the answer on record waits until the workflow it promises is started');
    const retried = await place(stack.app, 'unstarted-then-retried');
    assert.equal(retried.status, 202, JSON.stringify(retried.body));
    assert.equal(retried.headers['idempotent-replayed'], 'true');
    assert.deepEqual(retried.body, { orderId: order.id, status: 'awaiting_payment' });
    assert.equal(retried.headers.location, `/v1/orders/${order.id}`);
    assert.match(retried.headers['content-type']!, /^application\/json/);
    await eventually(async () => (await request(stack.app).get(`/v1/orders/${order.id}`).set(bearer(admin))).body.status, (s) => s === 'active');
    // And from then on, retries are answers only: the workflow ran once.
    assert.equal((await place(stack.app, 'unstarted-then-retried')).status, 202);
    const runs = [];
    for await (const wf of stack.client.workflow.list({ query: `WorkflowId = '${workflowIds.order(order.id)}'` })) runs.push(wf);
    assert.equal(runs.length, 1);
  });

  test('a retry of such an order placed more than 12 hours ago gets its answer and starts nothing', async () => {
    const first = await place(broken, 'unstarted-long-ago');
    assert.equal(first.status, 503);
    const order = await stack.database.db.order.findFirstOrThrow({ where: { customerId }, orderBy: { createdAt: 'desc' } });
    await stack.database.db.order.update({ where: { id: order.id }, data: { createdAt: new Date(Date.now() - 13 * 60 * 60_000) } });
    const retried = await place(stack.app, 'unstarted-long-ago');
    assert.equal(retried.status, 202);
    assert.equal(await started(order.id), false, 'an order this old may have had a workflow Temporal has since forgotten');
  });
});
