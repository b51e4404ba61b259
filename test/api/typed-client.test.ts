import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import createClient from 'openapi-fetch';
import type { paths } from '../../generated/api.ts';
import { eventually, startStack, type Stack } from '../helpers/stack.ts';

Runtime.install({ logger: new DefaultLogger('ERROR') });

/**
 * A caller's first purchase through the client generated from /openapi.json (openapi-typescript
 * types, openapi-fetch): if the document and the server drift apart, this either stops compiling
 * (a route, field or parameter renamed) or fails (an answer that does not match).
 */
describe('the typed client, generated from the OpenAPI document, buys and downloads (dev server, PostgreSQL)', () => {
  let stack: Stack;
  let server: Server;
  let api: ReturnType<typeof createClient<paths>>;

  before(async () => {
    stack = await startStack('api_typed_client');
    server = stack.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as { port: number };
    api = createClient<paths>({ baseUrl: `http://127.0.0.1:${port}`, headers: { Authorization: `Bearer ${stack.demo.partners[0]!.apiKeys.admin_agent}` } });
  });
  after(async () => {
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    await stack?.close();
  });

  test('create a customer, buy, watch the order become active, get keys and a download link', async () => {
    const created = await api.POST('/v1/customers', { body: { domain: 'typed-client.example.com', companyName: 'Typed Client Ltd' }, params: { header: { 'Idempotency-Key': 'typed-customer' } } });
    assert.equal(created.response.status, 201, JSON.stringify(created.error));
    const customerId = created.data!.id;
    assert.equal(created.response.headers.get('Location'), `/v1/customers/${customerId}`);

    const { data: products } = await api.GET('/v1/products');
    const product = products!.find((p) => p.id === 'windows-server-2022-standard')!;
    const bought = await api.POST('/v1/customers/{customerId}/orders', {
      params: { path: { customerId }, header: { 'Idempotency-Key': 'typed-first-order' } },
      body: { lineItems: [{ productId: product.id, quantity: 1 }], paymentMethod: 'pm_card_ok' },
    });
    assert.equal(bought.response.status, 202, JSON.stringify(bought.error));
    const orderId = bought.data!.orderId;

    const order = await eventually(async () => (await api.GET('/v1/orders/{orderId}', { params: { path: { orderId } } })).data!, (o) => o.status === 'active');
    const subscriptionId = order.subscriptions[0]!;
    const variant = product.variants[0]!;
    const keys = await api.POST('/v1/customers/{customerId}/software/{subscriptionId}/keys-and-downloads', {
      params: { path: { customerId, subscriptionId } },
      body: { version: variant.version, language: variant.language, fileType: variant.fileType },
    });
    assert.equal(keys.response.status, 200, JSON.stringify(keys.error));
    assert.match(keys.data!.productKey, /^[A-Z0-9]{5}(-[A-Z0-9]{5}){4}$/);
    assert.deepEqual([keys.data!.download.downloadsUsed, keys.data!.download.maxDownloads], [0, 50]);

    const windows = await api.GET('/v1/customers/{customerId}/software/{subscriptionId}/links', { params: { path: { customerId, subscriptionId }, query: { limit: 10 } } });
    assert.deepEqual(windows.data!.map((w) => w.linkId), [keys.data!.download.linkId]);

    // An error is typed too: the problem, with its type.
    const missing = await api.GET('/v1/orders/{orderId}', { params: { path: { orderId: '00000000-0000-4000-8000-000000000000' } } });
    assert.equal(missing.response.status, 404);
    assert.match(String((missing.error as { type?: string } | undefined)?.type), /\/problems\/not-found$/);
  });
});
