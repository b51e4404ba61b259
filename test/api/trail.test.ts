import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { Client, Connection } from '@temporalio/client';
import request from 'supertest';
import { createApp } from '../../api/app.ts';
import { persistOrder } from '../../db/orders.ts';
import { orderInput } from '../helpers/fixtures.ts';
import { activeOrder, bearer, cancellationTicket, eventually, startStack, type Stack } from '../helpers/stack.ts';
import { everyPage } from '../helpers/paging.ts';

const VARIANT = { version: '2022 (21H2)', language: 'English', fileType: 'ISO (x64)' };

describe('lists, the trail and exports (dev server, PostgreSQL)', () => {
  let stack: Stack;
  let admin: string;
  let sales: string;
  let otherAdmin: string;
  let support: string;
  let operations: string;
  let customerId: string;
  let subscriptionId: string;

  before(async () => {
    stack = await startStack('api_trail');
    admin = stack.demo.partners[0]!.apiKeys.admin_agent;
    sales = stack.demo.partners[0]!.apiKeys.sales_agent;
    otherAdmin = stack.demo.partners[1]!.apiKeys.admin_agent;
    support = stack.demo.apiKeys.support_engineer;
    operations = stack.demo.apiKeys.operations;
    const created = await request(stack.app).post('/v1/customers').set(bearer(admin)).send({ domain: 'trail.example.com', companyName: 'Trail Ltd' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    customerId = created.body.id;
    subscriptionId = (await activeOrder(stack, admin, customerId, [{ productId: 'windows-server-2022-standard', quantity: 1 }])).subscriptions[0]!;
  });
  after(async () => stack?.close());

  const tenant = () => ({ partnerId: stack.demo.partners[0]!.id, customerId, domain: 'trail.example.com' });
  const addOrders = async (n: number) => {
    for (let i = 0; i < n; i++) await persistOrder(stack.database.db, orderInput(tenant()));
  };

  test('pages through a customer’s orders newest first, never repeating or skipping one, while orders are added', async () => {
    await addOrders(24);
    const existing = await stack.database.db.order.findMany({ where: { customerId }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], select: { id: true } });
    const { items, sizes } = await everyPage(stack, admin, `/v1/customers/${customerId}/orders?limit=7`, () => addOrders(2));
    assert.deepEqual(
      items.map((o) => o.orderId),
      existing.map((o) => o.id),
      'exactly the orders that existed when paging began, in order',
    );
    assert.deepEqual(sizes, [7, 7, 7, 4]);
  });

  test('every list follows its Link header to the same rows, in the same order, as one large page', async () => {
    const decline = await request(stack.app)
      .post(`/v1/customers/${customerId}/orders`)
      .set(bearer(admin))
      .send({ lineItems: [{ productId: 'windows-server-2022-standard', quantity: 1 }], paymentMethod: 'pm_async' });
    assert.equal(decline.status, 202);
    const lists: [string, string][] = [
      [admin, '/v1/products'],
      [admin, '/v1/customers'],
      [admin, `/v1/customers/${customerId}/software`],
      [admin, `/v1/customers/${customerId}/orders`],
      [admin, `/v1/customers/${customerId}/software/${subscriptionId}/links`],
      [admin, `/v1/customers/${customerId}/software/${subscriptionId}/activity`],
      [support, '/v1/refund-cases'],
      [support, '/v1/audit-events'],
      [operations, '/v1/operations/orders'],
      [operations, '/v1/operations/retrying'],
    ];
    for (const [key, path] of lists) {
      const whole = await request(stack.app).get(`${path}?limit=500`).set(bearer(key));
      assert.equal(whole.status, 200, `${path}: ${JSON.stringify(whole.body)}`);
      const paged = await everyPage(stack, key, `${path}?limit=2`);
      assert.deepEqual(paged.items, whole.body, `${path}: pages of 2 give the same rows as one page`);
    }
    const withMany = await request(stack.app).get('/v1/products?limit=2').set(bearer(admin));
    assert.match(withMany.headers.link!, /^<\/v1\/products\?limit=2&cursor=[A-Za-z0-9_-]+>; rel="next"$/);
  });

  test('refuses a bad limit or cursor with 422 and names it', async () => {
    const path = `/v1/customers/${customerId}/orders`;
    for (const query of ['limit=0', 'limit=501', 'limit=ten', 'cursor=not-a-cursor', 'cursor=WyJvcmRlcnMiXQ']) {
      const res = await request(stack.app).get(`${path}?${query}`).set(bearer(admin));
      assert.equal(res.status, 422, `${query}: ${res.status}`);
      assert.match(JSON.stringify(res.body.errors), /query\.(limit|cursor)/, query);
    }
    const customersPage = await request(stack.app).get('/v1/customers?limit=1').set(bearer(admin));
    const foreign = /cursor=([^&>]+)/.exec(customersPage.headers.link!)![1]!;
    const res = await request(stack.app).get(`${path}?cursor=${foreign}`).set(bearer(admin));
    assert.equal(res.status, 422, 'a cursor of another list');
    const damaged = Buffer.from(JSON.stringify(['customer-orders', 'yesterday', 'x'])).toString('base64url');
    assert.equal((await request(stack.app).get(`${path}?cursor=${damaged}`).set(bearer(admin))).status, 422, 'a damaged cursor never reaches the database');
  });

  test('lists a customer’s declined order with its reason, and filters by status', async () => {
    const placed = await request(stack.app)
      .post(`/v1/customers/${customerId}/orders`)
      .set(bearer(sales))
      .send({ lineItems: [{ productId: 'windows-server-2022-standard', quantity: 1 }], paymentMethod: 'pm_card_declined' });
    assert.equal(placed.status, 202);
    const failed = await eventually(
      async () => (await request(stack.app).get(`/v1/customers/${customerId}/orders?status=payment_failed`).set(bearer(sales))).body as { orderId: string; status: string; failureReason: string | null }[],
      (list) => list.some((o) => o.orderId === placed.body.orderId),
    );
    assert.ok(failed.every((o) => o.status === 'payment_failed'), 'only the status asked for');
    assert.match(failed.find((o) => o.orderId === placed.body.orderId)!.failureReason ?? '', /declined/i);
    assert.equal((await request(stack.app).get(`/v1/customers/${customerId}/orders`).set(bearer(otherAdmin))).status, 404, 'another partner’s customer');
  });

  test('exports the whole filtered set past any page limit as CSV a CSV parser reads back, and as NDJSON', async () => {
    await addOrders(110);
    const count = await stack.database.db.order.count({ where: { customerId } });
    assert.ok(count > 100, `more orders (${count}) than the default page`);
    const csv = await request(stack.app).get(`/v1/customers/${customerId}/orders?limit=5`).set(bearer(admin)).set('Accept', 'text/csv').buffer(true);
    assert.equal(csv.status, 200);
    assert.match(csv.headers['content-type']!, /^text\/csv/);
    assert.equal(csv.headers.link, undefined, 'an export is not paged');
    const rows = parse(csv.text, { columns: true }) as Record<string, string>[];
    assert.equal(rows.length, count);
    assert.deepEqual(Object.keys(rows[0]!), ['orderId', 'status', 'total', 'currency', 'lineItems', 'createdAt', 'failureReason']);
    assert.ok(rows.every((r) => /^[0-9a-f-]{36}$/.test(r.orderId!) && /^\d+\.\d{2}$/.test(r.total!)));
    assert.equal(new Set(rows.map((r) => r.orderId)).size, count, 'each order once');

    const ndjson = await request(stack.app).get(`/v1/customers/${customerId}/orders?status=payment_failed`).set(bearer(admin)).set('Accept', 'application/x-ndjson').buffer(true);
    assert.equal(ndjson.status, 200);
    const lines = ndjson.text.trim().split('\n').map((l) => JSON.parse(l) as { status: string });
    assert.ok(lines.length >= 1 && lines.every((o) => o.status === 'payment_failed'), 'the filter holds in an export');

    // More rows than an export reads at a time (1,000), so its own paging is exercised.
    await stack.database.db.auditEvent.createMany({
      data: Array.from({ length: 2100 }, (_, i) => ({ action: 'test.bulk', targetType: 'test', targetId: String(i), data: { i, note: 'a "quoted", comma\nand newline' } })),
    });
    const audit = await request(stack.app).get('/v1/audit-events').set(bearer(operations)).set('Accept', 'text/csv').buffer(true);
    const auditRows = parse(audit.text, { columns: true }) as Record<string, string>[];
    assert.equal(auditRows.length, await stack.database.db.auditEvent.count());
    const bulk = auditRows.filter((r) => r.action === 'test.bulk');
    assert.equal(new Set(bulk.map((r) => r.targetId)).size, 2100, 'every row once');
    assert.deepEqual(JSON.parse(bulk[0]!.data!), { i: Number(bulk[0]!.targetId), note: 'a "quoted", comma\nand newline' }, 'quotes, commas and newlines survive');
  });

  test('shows a subscription’s activity: the key shown by a named agent, a window, its 50 downloads, its end by downloads and a refused one', async () => {
    const opened = await request(stack.app).post(`/v1/customers/${customerId}/software/${subscriptionId}/keys-and-downloads`).set(bearer(admin)).send(VARIANT);
    assert.equal(opened.status, 200);
    const token = new URL(opened.body.download.url).pathname.split('/').pop()!;
    for (let i = 0; i < 50; i++) assert.equal((await request(stack.app).get(`/v1/downloads/${token}`).set('User-Agent', 'trail-test/1.0')).status, 200);
    assert.equal((await request(stack.app).get(`/v1/downloads/${token}`).set('User-Agent', 'late/2.0')).status, 410);

    const links = await request(stack.app).get(`/v1/customers/${customerId}/software/${subscriptionId}/links`).set(bearer(admin));
    const window = links.body.find((l: { linkId: string }) => l.linkId === opened.body.download.linkId);
    assert.equal(window.status, 'expired');
    assert.equal(window.endReason, 'downloads');
    assert.equal(window.downloadsUsed, 50);
    assert.ok(window.endedAt && window.openedAt);
    assert.equal(window.url, undefined, 'no URL once the window has ended');

    const { items } = await everyPage(stack, admin, `/v1/customers/${customerId}/software/${subscriptionId}/activity?limit=20`);
    type Entry = { at: string; type: string; actor: { name: string; role: string } | null; detail: string; client?: { address: string; userAgent: string } };
    const entries = items as unknown as Entry[];
    assert.deepEqual([...entries].sort((a, b) => a.at.localeCompare(b.at)).map((e) => e.at), entries.map((e) => e.at), 'oldest first');
    const types = entries.map((e) => e.type);
    assert.equal(types[0], 'order.placed');
    const reveal = entries.find((e) => e.type === 'key.revealed')!;
    assert.equal(reveal.actor?.role, 'admin_agent');
    assert.equal(reveal.actor?.name, `${stack.demo.partners[0]!.name} admin`);
    assert.equal(entries.find((e) => e.type === 'link.opened')?.actor?.role, 'admin_agent');
    const served = entries.filter((e) => e.type === 'download.served');
    assert.equal(served.length, 50);
    assert.ok(served.every((e) => e.actor === null && e.client?.userAgent === 'trail-test/1.0' && /^127\.0\.0\.0\/24$/.test(e.client.address)), JSON.stringify(served[0]));
    const end = entries.find((e) => e.type === 'link.expired')!;
    assert.match(end.detail, /all 50 downloads used/);
    assert.ok(types.indexOf('link.expired') > types.lastIndexOf('download.served'), 'the window ends after its last download');
    const refused = entries.find((e) => e.type === 'download.refused')!;
    assert.equal(refused.client?.userAgent, 'late/2.0');
    assert.ok(!JSON.stringify(entries).includes(token), 'no download token in the trail');
    assert.ok(!JSON.stringify(entries).includes(opened.body.productKey), 'no product key in the trail');

    const activity = `/v1/customers/${customerId}/software/${subscriptionId}/activity?limit=500`;
    assert.equal((await request(stack.app).get(activity).set(bearer(otherAdmin))).status, 404, 'another partner’s admin');
    assert.equal((await request(stack.app).get(activity).set(bearer(sales))).status, 403, 'sales agents do not see the trail');
    for (const key of [support, operations]) {
      const seen = await request(stack.app).get(activity).set(bearer(key));
      assert.equal(seen.status, 200);
      assert.deepEqual(seen.body, items, 'support and operations see the same trail');
    }

    // A person who opens the dead link in a browser reads why it ended; an API client gets problem+json.
    const inBrowser = await request(stack.app).get(`/v1/downloads/${token}`).set('Accept', 'text/html,application/xhtml+xml,*/*;q=0.8');
    assert.equal(inBrowser.status, 410);
    assert.match(inBrowser.headers['content-type']!, /^text\/html/);
    assert.match(inBrowser.text, /All of its downloads have been used/);
    assert.match(inBrowser.text, /Get keys and downloads/);
    const byClient = await request(stack.app).get(`/v1/downloads/${token}`);
    assert.match(byClient.headers['content-type']!, /^application\/problem\+json/);
    assert.equal(byClient.body.reason, 'downloads');
  });

  test('an action and its trail entry commit together: a window or a filing whose workflow cannot start leaves neither', async () => {
    const { subscriptions } = await activeOrder(stack, admin, customerId, [{ productId: 'windows-server-2022-standard', quantity: 1 }]);
    const unreachable = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1', interceptors: [] }) });
    const broken = createApp(stack.apiDeps({ config: { ...stack.config, temporal: { ...stack.config.temporal, rpcTimeoutMs: 1_000 } }, temporal: unreachable }));
    const db = stack.database.db;
    const before = await db.auditEvent.count({ where: { action: { in: ['download_link.open', 'refund_case.file'] } } });
    const window = await request(broken).post(`/v1/customers/${customerId}/software/${subscriptions[0]}/keys-and-downloads`).set(bearer(admin)).send(VARIANT);
    assert.equal(window.status, 503);
    const filing = await request(broken)
      .post(`/v1/customers/${customerId}/software/${subscriptions[0]}/cancellation`)
      .set(bearer(admin))
      .send(cancellationTicket({ customer: { domain: 'trail.example.com' }, subscriptionId: subscriptions[0] }));
    assert.equal(filing.status, 503, JSON.stringify(filing.body));
    assert.equal(await db.downloadLink.count({ where: { subscriptionId: subscriptions[0] } }), 0, 'the window was taken back');
    assert.equal(await db.refundCase.count({ where: { subscriptionId: subscriptions[0] } }), 0, 'the filing was taken back');
    assert.equal(await db.auditEvent.count({ where: { action: { in: ['download_link.open', 'refund_case.file'] } } }), before, 'and so were their entries');
    await unreachable.connection.close().catch(() => undefined);

    const opened = await request(stack.app).post(`/v1/customers/${customerId}/software/${subscriptions[0]}/keys-and-downloads`).set(bearer(admin)).send(VARIANT);
    const entries = await db.auditEvent.findMany({ where: { action: 'download_link.open', targetId: opened.body.download.linkId } });
    assert.equal(entries.length, 1, 'an open window has exactly one entry');
  });

  test('lets operations and support read the audit log by action, actor and time, and nobody else', async () => {
    const adminAgent = stack.demo.partners[0]!;
    const item = await request(stack.app).get(`/v1/customers/${customerId}/software/${subscriptionId}`).set(bearer(admin));
    assert.ok(item.body.productKey, 'the admin agent is shown the key');
    const salesView = await request(stack.app).get(`/v1/customers/${customerId}/software/${subscriptionId}`).set(bearer(sales));
    assert.equal(salesView.body.productKey, undefined);
    const reveals = await request(stack.app).get('/v1/audit-events?action=product_key.reveal&limit=500').set(bearer(support));
    assert.equal(reveals.status, 200);
    assert.ok(reveals.body.length >= 1 && reveals.body.every((e: { action: string }) => e.action === 'product_key.reveal'));
    const actorId = reveals.body[0].actor.agentId as string;
    assert.equal(reveals.body[0].target.id, subscriptionId);
    assert.equal(reveals.body[0].partnerId, adminAgent.id);
    assert.equal(reveals.body.length, 1, 'a page a sales agent sees shows no key, so it reveals none');
    const byActor = await request(stack.app).get(`/v1/audit-events?actorAgentId=${actorId}&limit=500`).set(bearer(operations));
    assert.ok(byActor.body.length >= reveals.body.length && byActor.body.every((e: { actor: { agentId: string } }) => e.actor.agentId === actorId));
    const future = await request(stack.app).get(`/v1/audit-events?from=${new Date(Date.now() + 3600_000).toISOString()}`).set(bearer(operations));
    assert.deepEqual(future.body, []);
    assert.equal((await request(stack.app).get('/v1/audit-events?from=yesterday').set(bearer(operations))).status, 422);
    for (const key of [admin, sales]) assert.equal((await request(stack.app).get('/v1/audit-events').set(bearer(key))).status, 403);
    const refused = await request(stack.app).get('/v1/audit-events').set(bearer(admin));
    assert.match(refused.body.detail, /^The admin_agent role may not call GET \/v1\/audit-events \(the audit log/, 'a refusal names what was refused in words that read');
  });
});
