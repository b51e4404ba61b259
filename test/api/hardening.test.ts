import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Client, Connection, WorkflowUpdateFailedError } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import request from 'supertest';
import { createApp } from '../../api/app.ts';
import { ROUTES } from '../../api/routes/index.ts';
import { createServices } from '../../api/services/index.ts';
import { decideUpdate } from '../../common/messages.ts';
import { activeOrder, bearer, cancellationTicket, eventually, startStack, type Stack } from '../helpers/stack.ts';

Runtime.install({ logger: new DefaultLogger('ERROR') });

const NUL = 'a\u0000b';
const MAX = 5;
const VARIANT = { version: '2022 (21H2)', language: 'English', fileType: 'ISO (x64)' };

const binary = (res: request.Response, cb: (err: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
};

describe('hardening: bad input is refused before it can break anything', () => {
  let stack: Stack;
  let admin: string;
  let support: string;
  let customerId: string;
  let subscriptions: string[];

  before(async () => {
    stack = await startStack('api_hardening', { DOWNLOAD_LINK_MAX_DOWNLOADS: String(MAX) });
    admin = stack.demo.partners[0]!.apiKeys.admin_agent;
    support = stack.demo.apiKeys.support_engineer;
    customerId = stack.demo.partners[0]!.customers[0]!.id;
    subscriptions = (await activeOrder(stack, admin, customerId, [{ productId: 'windows-server-2022-standard', quantity: 1 }, { productId: 'project-professional-2024', quantity: 1 }, { productId: 'windows-server-2025-datacenter', quantity: 1 }])).subscriptions;
  });
  after(async () => stack?.close());

  const software = (sub: string) => `/v1/customers/${customerId}/software/${sub}`;
  const linkFor = async (language: string) => {
    const res = await request(stack.app).post(`${software(subscriptions[0]!)}/keys-and-downloads`).set(bearer(admin)).send({ ...VARIANT, language });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return { linkId: res.body.download.linkId as string, path: new URL(res.body.download.url).pathname };
  };
  const fileCase = async (sub: string, key: string, overrides: Record<string, unknown> = {}) =>
    request(stack.app).post(`${software(sub)}/cancellation`).set(bearer(admin)).set('Idempotency-Key', key).send(cancellationTicket({ customer: { tenantId: customerId }, subscriptionId: sub, ...overrides }));

  test('refuses text the database cannot store with a 422 naming each field, and changes nothing', async () => {
    const db = stack.database.db;
    const before = { customers: await db.customer.count(), orders: await db.order.count(), cases: await db.refundCase.count() };
    const expect422 = async (res: request.Response, paths: string[]) => {
      assert.equal(res.status, 422, JSON.stringify(res.body));
      assert.deepEqual(res.body.errors.map((e: { path: string }) => e.path).sort(), paths.sort());
      assert.match(res.body.errors[0].message, /control characters/);
    };
    await expect422(await request(stack.app).post('/v1/customers').set(bearer(admin)).send({ domain: 'nul.example', companyName: NUL }), ['companyName']);
    await expect422(
      await request(stack.app).post(`/v1/customers/${customerId}/orders`).set(bearer(admin)).send({ lineItems: [{ productId: NUL, quantity: 1 }], paymentMethod: 'pm_card_ok' }),
      ['lineItems.0.productId'],
    );
    await expect422(await request(stack.app).post(`${software(subscriptions[0]!)}/keys-and-downloads`).set(bearer(admin)).send({ ...VARIANT, version: 'x\u0001' }), ['version']);
    await expect422(
      await fileCase(subscriptions[0]!, 'nul-ticket', { title: NUL, refundReason: NUL, description: `x${NUL}`, contact: { name: NUL, email: 'a@example.com', phone: '+1 425 555 0100' } }),
      ['title', 'refundReason', 'description', 'contact.name'],
    );
    assert.deepEqual({ customers: await db.customer.count(), orders: await db.order.count(), cases: await db.refundCase.count() }, before);
  });

  test('a decision or comment whose note holds a NUL is refused (422, and by the workflow too) and the case stays decidable', async () => {
    const filed = await fileCase(subscriptions[1]!, 'nul-note-case');
    assert.equal(filed.status, 202, JSON.stringify(filed.body));
    const caseId = filed.body.refundCaseId as string;
    const c = await eventually(async () => (await request(stack.app).get(`/v1/refund-cases/${caseId}`).set(bearer(support))).body, (b) => b.status === 'in_review');
    const bad = await request(stack.app).post(`/v1/refund-cases/${caseId}/decision`).set(bearer(support)).send({ decision: 'request_info', note: NUL });
    assert.equal(bad.status, 422);
    assert.equal(bad.body.errors[0].path, 'note');
    const comment = await request(stack.app).post(`/v1/refund-cases/${caseId}/comments`).set(bearer(admin)).send({ note: NUL });
    assert.equal(comment.status, 422);
    // The workflow's own validator refuses it as well, so nothing bad reaches history by another way in.
    const direct = stack.client.workflow.getHandle(c.workflowId).executeUpdate(decideUpdate, { args: [{ decision: 'request_info', note: NUL, agentId: 'x' }] });
    await assert.rejects(direct, (err: unknown) => err instanceof WorkflowUpdateFailedError && /control characters/.test(String((err.cause as Error).message)));
    const decided = await request(stack.app).post(`/v1/refund-cases/${caseId}/decision`).set(bearer(support)).send({ decision: 'reject', note: 'Outside policy' });
    assert.equal(decided.status, 200, JSON.stringify(decided.body));
    assert.equal(decided.body.status, 'rejected');
  });

  test('answers 400, never 500, to a malformed percent-encoding in every path parameter, without a key, and logs no token', async () => {
    const link = await linkFor('German');
    const token = link.path.split('/').pop()!;
    const paths = ROUTES.filter((r) => r.path.includes(':')).map((r) => ({ method: r.method, path: r.path.replace(/:[A-Za-z]+/g, '%') }));
    assert.ok(paths.length >= 10, `routes with parameters: ${paths.length}`);
    paths.push({ method: 'get', path: `${link.path}%` });
    const before = stack.logLines.length;
    for (const p of paths) {
      const res = await request(stack.app)[p.method](p.path);
      assert.equal(res.status, 400, `${p.method} ${p.path}: ${res.status}`);
      assert.match(res.headers['content-type']!, /application\/problem\+json/);
    }
    const logged = stack.logLines.slice(before).join('\n');
    assert.ok(!logged.includes(token), 'the raw token is not logged');
    assert.ok(!/unhandled error|"stack"/.test(logged), 'no stack trace is logged');
  });

  test('HEAD answers the headers of a download and counts nothing', async () => {
    const link = await linkFor('Japanese');
    const head = await request(stack.app).head(link.path);
    assert.equal(head.status, 200);
    assert.equal(head.headers['accept-ranges'], 'bytes');
    assert.equal(head.headers['x-downloads-remaining'], String(MAX));
    assert.ok(Number(head.headers['content-length']) > 0);
    assert.equal(await stack.database.db.downloadEvent.count({ where: { linkId: link.linkId } }), 0);
    assert.equal((await stack.database.db.downloadLink.findUniqueOrThrow({ where: { id: link.linkId } })).downloadsUsed, 0);
  });

  test('a resumed download (Range past byte 0) is not counted, and ranges cannot get around the cap', async () => {
    const link = await linkFor('French');
    const whole = await request(stack.app).get(link.path).buffer(true).parse(binary);
    assert.equal(whole.status, 200);
    assert.equal(whole.headers['x-downloads-remaining'], String(MAX - 1));
    const file = whole.body as Buffer;
    // The download breaks off after 1,000 bytes and resumes: the rest comes as 206 and counts nothing.
    const rest = await request(stack.app).get(link.path).set('Range', 'bytes=1000-').buffer(true).parse(binary);
    assert.equal(rest.status, 206);
    assert.equal(rest.headers['content-range'], `bytes 1000-${file.length - 1}/${file.length}`);
    assert.equal(rest.headers['x-downloads-remaining'], String(MAX - 1), 'the resume is not counted');
    assert.equal(createHash('sha256').update(Buffer.concat([file.subarray(0, 1000), rest.body as Buffer])).digest('hex'), whole.headers['x-checksum-sha256']);

    // Each counted download pays for one file's worth of resumed bytes; asking for nearly the whole
    // file again and again by ranges is counted every other time, and ends at the cap.
    const statuses: number[] = [];
    const remaining: string[] = [];
    for (let i = 0; i < 2 * MAX; i++) {
      const res = await request(stack.app).get(link.path).set('Range', 'bytes=1-');
      statuses.push(res.status);
      remaining.push(String(res.headers['x-downloads-remaining'] ?? '-'));
    }
    const row = await stack.database.db.downloadLink.findUniqueOrThrow({ where: { id: link.linkId } });
    assert.equal(row.downloadsUsed, MAX, `remaining after each: ${remaining.join(',')}`);
    assert.ok(row.resumedBytes <= BigInt(row.downloadsUsed) * BigInt(file.length), 'resumes never take more than the counted downloads paid for');
    assert.equal(await stack.database.db.downloadEvent.count({ where: { linkId: link.linkId } }), MAX);
    assert.ok(statuses.includes(410), `statuses: ${statuses.join(',')}`);
    assert.equal(row.endReason, 'downloads');
    const refusedHead = await request(stack.app).head(link.path);
    assert.equal(refusedHead.status, 410);
  });

  test('answers 416 to a range outside the file and counts nothing', async () => {
    const link = await linkFor('English');
    const res = await request(stack.app).get(link.path).set('Range', 'bytes=999999999-');
    assert.equal(res.status, 416);
    assert.match(res.headers['content-range']!, /^bytes \*\/\d+$/);
    assert.equal(await stack.database.db.downloadEvent.count({ where: { linkId: link.linkId } }), 0);
  });

  test('believes X-Forwarded-For only from a configured proxy (TRUST_PROXY)', async () => {
    const link = await linkFor('German');
    await request(stack.app).get(link.path).set('X-Forwarded-For', '203.0.113.7');
    const behindProxy = createApp(stack.apiDeps({ config: { ...stack.config, trustProxy: 'loopback' } }));
    await request(behindProxy).get(link.path).set('X-Forwarded-For', '203.0.113.8');
    const events = await stack.database.db.downloadEvent.findMany({ where: { linkId: link.linkId }, orderBy: { sequence: 'asc' } });
    assert.equal(events.length, 2);
    assert.notEqual(events[0]!.clientAddress, '203.0.113.7', 'a client cannot choose its recorded address');
    assert.match(events[0]!.clientAddress!, /127\.0\.0\.1|::1/);
    assert.equal(events[1]!.clientAddress, '203.0.113.8');
  });

  test('logs query strings with their values redacted', async () => {
    const before = stack.logLines.length;
    await request(stack.app).get('/v1/refund-cases?api_key=csp_0123456789abcdef_leaked&status=in_review').set(bearer(support));
    const logged = stack.logLines.slice(before).join('\n');
    assert.ok(logged.includes('/v1/refund-cases?api_key=[redacted]&status=[redacted]'), logged);
    assert.ok(!logged.includes('leaked'));
  });

  test('a retry of an order whose workflow failed to start cannot change its lines: same key, other body → 422', async () => {
    // An API whose Temporal is unreachable records the order, then fails to start its workflow (503).
    // No retry interceptor: calls fail at once, so none is still retrying when the connection closes.
    const unreachable = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1', interceptors: [] }) });
    const broken = createApp(stack.apiDeps({ config: { ...stack.config, temporal: { ...stack.config.temporal, rpcTimeoutMs: 2_000 } }, temporal: unreachable }));
    const body = { lineItems: [{ productId: 'project-professional-2024', quantity: 1 }], paymentMethod: 'pm_card_ok' };
    const first = await request(broken).post(`/v1/customers/${customerId}/orders`).set(bearer(admin)).set('Idempotency-Key', 'half-done').send(body);
    assert.equal(first.status, 503, JSON.stringify(first.body));
    assert.ok(Number(first.headers['retry-after']) > 0, 'a 503 says when to retry');
    assert.match(first.headers['content-type']!, /application\/problem\+json/);
    const ready = await request(broken).get('/readyz');
    assert.equal(ready.status, 503);
    assert.deepEqual(ready.body, { status: 'not_ready', checks: { database: 'up', temporal: 'down' } }, '/readyz names the dependency that is down, and only it');
    const other = await request(stack.app)
      .post(`/v1/customers/${customerId}/orders`)
      .set(bearer(admin))
      .set('Idempotency-Key', 'half-done')
      .send({ ...body, lineItems: [{ productId: 'project-professional-2024', quantity: 40 }] });
    assert.equal(other.status, 422, JSON.stringify(other.body));
    const same = await request(stack.app).post(`/v1/customers/${customerId}/orders`).set(bearer(admin)).set('Idempotency-Key', 'half-done').send(body);
    assert.equal(same.status, 202);
    const order = await eventually(async () => (await request(stack.app).get(`/v1/orders/${same.body.orderId}`).set(bearer(admin))).body, (o) => o.status === 'active');
    assert.deepEqual(order.lineItems.map((l: { quantity: number }) => l.quantity), [1]);
    await unreachable.connection.close().catch(() => undefined);
  });

  test('a retry of a placed order gets its first answer even once the order would be refused (its product withdrawn since)', async () => {
    await stack.database.db.product.create({ data: { id: 'visio-2024-withdrawn', name: 'Visio 2024 (withdrawn)', description: 'Sold, then withdrawn', unitPrice: '580.00', currency: 'USD' } });
    const body = { lineItems: [{ productId: 'visio-2024-withdrawn', quantity: 1 }], paymentMethod: 'pm_card_ok' };
    const place = (app: typeof stack.app, key: string) => request(app).post(`/v1/customers/${customerId}/orders`).set(bearer(admin)).set('Idempotency-Key', key).send(body);
    const first = await place(stack.app, 'placed-then-withdrawn');
    assert.equal(first.status, 202, JSON.stringify(first.body));
    await stack.database.db.product.update({ where: { id: 'visio-2024-withdrawn' }, data: { sellable: false } });
    // A fresh API process: nothing of the product kept in memory.
    const fresh = createApp(stack.apiDeps());
    const refused = await place(fresh, 'a-new-key');
    assert.equal(refused.status, 422, 'a new order of it is refused');
    const retried = await place(fresh, 'placed-then-withdrawn');
    assert.equal(retried.status, 202, JSON.stringify(retried.body));
    assert.deepEqual(retried.body, first.body);
    assert.equal(retried.headers['idempotent-replayed'], 'true');
    const other = await request(fresh).post(`/v1/customers/${customerId}/orders`).set(bearer(admin)).set('Idempotency-Key', 'placed-then-withdrawn').send({ ...body, paymentMethod: 'pm_async' });
    assert.equal(other.status, 422);
    assert.equal(other.body.type.endsWith('idempotency-key-reused'), true, JSON.stringify(other.body));
    // Another body that is not an order at all, with the same key: the key's answer too.
    const malformed = await request(fresh).post(`/v1/customers/${customerId}/orders`).set(bearer(admin)).set('Idempotency-Key', 'placed-then-withdrawn').send({ lineItems: [] });
    assert.equal(malformed.status, 422);
    assert.equal(malformed.body.type.endsWith('idempotency-key-reused'), true, JSON.stringify(malformed.body));
  });

  test('a cancellation key reused for other software answers 422, not the earlier case (the console files with such keys)', async () => {
    const services = createServices(stack.apiDeps());
    const agent = await stack.database.db.agent.findFirstOrThrow({ where: { role: 'admin_agent', partnerId: stack.demo.partners[0]!.id } });
    const caller = { agentId: agent.id, partnerId: agent.partnerId, role: agent.role, keyPrefix: 'console' };
    const ticket = (sub: string) => ({ ...(cancellationTicket({ customer: { tenantId: customerId }, subscriptionId: sub }) as Parameters<typeof services.refundCases.file>[3]) });
    const first = await services.refundCases.file(caller, customerId, subscriptions[2]!, ticket(subscriptions[2]!), 'console:form-1');
    const again = await services.refundCases.file(caller, customerId, subscriptions[2]!, ticket(subscriptions[2]!), 'console:form-1');
    assert.equal(again.refundCaseId, first.refundCaseId, 'the same form sent twice files one case');
    await assert.rejects(services.refundCases.file(caller, customerId, subscriptions[0]!, ticket(subscriptions[0]!), 'console:form-1'), (err: { status?: number }) => err.status === 422);
    assert.equal((await stack.database.db.softwareSubscription.findUniqueOrThrow({ where: { id: subscriptions[0]! } })).status, 'active');
  });
});
