import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { createApp } from '../../api/app.ts';
import { WEBHOOK_EVENT_TYPES } from '../../common/domain.ts';
import { expireLapsedLinks } from '../../db/links.ts';
import { LocalKeyAuthority } from '../../providers/keys.ts';
import { activeOrder, bearer, cancellationTicket, eventually, startStack, type Stack } from '../helpers/stack.ts';
import { startReceiver } from '../helpers/webhook-receiver.ts';

Runtime.install({ logger: new DefaultLogger('ERROR') });

const VARIANT = { version: '2022 RTM', language: 'English', fileType: 'ISO (x64)' };
const REFUSED_PRODUCT = 'project-professional-2024';
// Each window's link.expiring falls due 4 s after it opens (its 14 days less the notice).
const NOTICE_LEAD_MS = 4_000;

describe('partner webhooks: every event type reaches a verifying receiver (dev server, PostgreSQL)', () => {
  let stack: Stack;
  let admin: string;
  let support: string;
  let customer: { id: string; domain: string };
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  before(async () => {
    stack = await startStack(
      'webhooks',
      { WEBHOOK_ALLOW_PRIVATE_URLS: 'true', DOWNLOAD_LINK_MAX_DOWNLOADS: '2', PAYMENT_CONFIRMATION_DEADLINE: '2s', LINK_EXPIRING_NOTICE: `${14 * 24 * 3600 * 1000 - NOTICE_LEAD_MS}ms` },
      { worker: false },
    );
    // The key authority has no keys for one product, so its orders end `failed`.
    await stack.startWorker({ keys: new LocalKeyAuthority(stack.database.db, (p) => p === REFUSED_PRODUCT) });
    admin = stack.demo.partners[0]!.apiKeys.admin_agent;
    support = stack.demo.apiKeys.support_engineer;
    customer = stack.demo.partners[0]!.customers[0]!;
    receiver = await startReceiver();
  });
  after(async () => {
    await receiver?.close();
    await stack?.close();
  });

  const register = (key: string, body: object) => request(stack.app).post('/v1/webhook-endpoints').set(bearer(key)).send(body);
  const received = (type: string, match: (d: Record<string, unknown>) => boolean = () => true) =>
    eventually(async () => receiver.events.filter((e) => e.type === type && match(e.data)), (list) => list.length > 0, 30_000);

  test('refuses a private, loopback or plain-http URL without WEBHOOK_ALLOW_PRIVATE_URLS, and writes nothing', async () => {
    const strict = createApp(stack.apiDeps({ config: { ...stack.config, webhooks: { ...stack.config.webhooks, allowPrivateUrls: false } } }));
    for (const url of ['http://127.0.0.1:9/hooks', 'https://127.0.0.1/hooks', 'https://10.1.2.3/x', 'https://[::1]/x', 'https://169.254.169.254/latest', 'https://localhost/x', 'http://example.com/x']) {
      const res = await request(strict).post('/v1/webhook-endpoints').set(bearer(admin)).send({ url, events: ['order.active'] });
      assert.equal(res.status, 422, url);
      assert.equal(res.body.errors[0].path, 'url', url);
    }
    assert.equal(await stack.database.db.webhookEndpoint.count(), 0);
    assert.equal((await register(admin, { url: receiver.url, events: ['order.nope'] })).status, 422);
    assert.equal((await register(stack.demo.partners[0]!.apiKeys.sales_agent, { url: receiver.url, events: ['order.active'] })).status, 403);
  });

  test('every event type is produced by the journey that causes it, signed, in order, with no key or token in it', async () => {
    const created = await register(admin, { url: receiver.url, events: [...WEBHOOK_EVENT_TYPES], description: 'ERP' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.match(created.body.secret, /^whsec_[A-Za-z0-9+/=]{32}$/);
    receiver.secrets = [created.body.secret];
    const listed = await request(stack.app).get('/v1/webhook-endpoints').set(bearer(admin));
    assert.deepEqual(listed.body.map((e: { id: string }) => e.id), [created.body.id]);
    assert.equal((await request(stack.app).get('/v1/webhook-endpoints').set(bearer(stack.demo.partners[1]!.apiKeys.admin_agent))).body.length, 0, 'another partner sees none');
    const shown = await request(stack.app).get(`/v1/webhook-endpoints/${created.body.id}`).set(bearer(admin));
    assert.equal(shown.body.secret, undefined, 'the secret is shown once');
    assert.equal((await request(stack.app).get(`/v1/webhook-endpoints/${created.body.id}`).set(bearer(stack.demo.partners[1]!.apiKeys.admin_agent))).status, 404);
    assert.doesNotMatch(JSON.stringify(await stack.database.db.webhookEndpoint.findMany()), new RegExp(created.body.secret.slice(6, 20).replace(/[+/]/g, '.')), 'stored sealed');

    const order = await activeOrder(stack, admin, customer.id, [{ productId: 'sql-server-2022-standard', quantity: 1 }, { productId: 'windows-server-2022-standard', quantity: 1 }]);
    const [active] = await received('order.active', (d) => d.orderId === order.orderId);
    assert.deepEqual([...(active!.data.subscriptionIds as string[])].sort(), [...order.subscriptions].sort());

    const place = (paymentMethod: string, productId = 'sql-server-2022-standard') =>
      request(stack.app).post(`/v1/customers/${customer.id}/orders`).set(bearer(admin)).send({ lineItems: [{ productId, quantity: 1 }], paymentMethod });
    const declined = await place('pm_card_declined');
    const expired = await place('pm_async');
    const failed = await place('pm_card_ok', REFUSED_PRODUCT);
    assert.ok((await received('order.payment_failed', (d) => d.orderId === declined.body.orderId))[0]!.data.failureReason);
    await received('order.expired', (d) => d.orderId === expired.body.orderId);
    await received('order.failed', (d) => d.orderId === failed.body.orderId);

    // A window that ends by its downloads before its notice is due: its link.expiring is taken back.
    const subs = await stack.database.db.softwareSubscription.findMany({ where: { orderId: order.orderId, productId: 'sql-server-2022-standard' } });
    const [s1] = order.subscriptions.filter((id) => id === subs[0]!.id) as [string];
    // The other one is Windows Server: its window opens on its own variant.
    const s2 = order.subscriptions.find((id) => id !== s1)!;
    const openWindow = async (subscriptionId: string, variant = VARIANT) => {
      const res = await request(stack.app).post(`/v1/customers/${customer.id}/software/${subscriptionId}/keys-and-downloads`).set(bearer(admin)).send(variant);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body as { productKey: string; download: { linkId: string; url: string } };
    };
    const first = await openWindow(s1);
    for (let i = 0; i < 2; i++) assert.equal((await request(stack.app).get(new URL(first.download.url).pathname)).status, 200);
    const [byDownloads] = await received('link.expired', (d) => d.linkId === first.download.linkId);
    assert.equal(byDownloads!.data.endReason, 'downloads');
    const firstRow = await stack.database.db.downloadLink.findUniqueOrThrow({ where: { id: first.download.linkId } });

    // The next window's notice arrives when due; then its deadline passes (as the sweeper marks it).
    const second = await openWindow(s1);
    const [expiring] = await received('link.expiring', (d) => d.linkId === second.download.linkId);
    const secondRow = await stack.database.db.downloadLink.findUniqueOrThrow({ where: { id: second.download.linkId } });
    assert.equal(secondRow.expiresAt.getTime() - secondRow.expiryNoticeAt!.getTime(), 14 * 24 * 3600 * 1000 - NOTICE_LEAD_MS);
    assert.ok(expiring!.at >= secondRow.expiryNoticeAt!.getTime(), 'not before its notice time');
    await stack.database.db.$executeRaw`UPDATE download_links SET expires_at = now() WHERE id = ${second.download.linkId}::uuid`;
    await expireLapsedLinks(stack.database.db, s1);
    assert.equal((await received('link.expired', (d) => d.linkId === second.download.linkId))[0]!.data.endReason, 'time');
    if (firstRow.endedAt! < firstRow.expiryNoticeAt!) {
      assert.equal(receiver.events.filter((e) => e.type === 'link.expiring' && e.data.linkId === first.download.linkId).length, 0, 'an ended window announces no expiry');
    }

    // Cancellation: submitted, info requested, approved, the open window and the key revoked, completed.
    const third = await openWindow(s2, { version: '2022 (21H2)', language: 'English', fileType: 'ISO (x64)' });
    const filed = await request(stack.app)
      .post(`/v1/customers/${customer.id}/software/${s2}/cancellation`)
      .set(bearer(admin))
      .send(cancellationTicket({ customer: { domain: customer.domain }, orderId: order.orderId, amountRequested: { amount: '1.00', currency: 'USD' } }));
    assert.equal(filed.status, 202, JSON.stringify(filed.body));
    const caseId = filed.body.refundCaseId as string;
    await received('refund_case.submitted', (d) => d.refundCaseId === caseId);
    const inReview = () => eventually(async () => (await request(stack.app).get(`/v1/refund-cases/${caseId}`).set(bearer(support))).body.status, (s) => s === 'in_review');
    await inReview();
    await request(stack.app).post(`/v1/refund-cases/${caseId}/decision`).set(bearer(support)).send({ decision: 'request_info', note: 'Invoice?' });
    await received('refund_case.info_requested', (d) => d.refundCaseId === caseId);
    await request(stack.app).post(`/v1/refund-cases/${caseId}/comments`).set(bearer(admin)).send({ note: 'Attached' });
    await inReview();
    assert.equal((await request(stack.app).post(`/v1/refund-cases/${caseId}/decision`).set(bearer(support)).send({ decision: 'approve', note: 'ok' })).status, 200);
    await received('refund_case.approved', (d) => d.refundCaseId === caseId);
    await received('link.revoked', (d) => d.linkId === third.download.linkId);
    const [revoked] = await received('key.revoked', (d) => d.subscriptionId === s2);
    await received('refund_case.completed', (d) => d.refundCaseId === caseId);

    const other = await activeOrder(stack, admin, customer.id, [{ productId: 'sql-server-2022-standard', quantity: 1 }]);
    const rejectedCase = await request(stack.app)
      .post(`/v1/customers/${customer.id}/software/${other.subscriptions[0]}/cancellation`)
      .set(bearer(admin))
      .send(cancellationTicket({ customer: { domain: customer.domain }, orderId: other.orderId }));
    const otherCase = rejectedCase.body.refundCaseId as string;
    await eventually(async () => (await request(stack.app).get(`/v1/refund-cases/${otherCase}`).set(bearer(support))).body.status, (s) => s === 'in_review');
    await request(stack.app).post(`/v1/refund-cases/${otherCase}/decision`).set(bearer(support)).send({ decision: 'reject', note: 'Outside policy' });
    await received('refund_case.rejected', (d) => d.refundCaseId === otherCase);

    assert.deepEqual(WEBHOOK_EVENT_TYPES.filter((t) => !receiver.types().includes(t)), [], 'every event type arrived');
    assert.equal(receiver.rejected, 0, 'every request verified');
    assert.equal(revoked!.data.status, 'revoked');
    const everything = JSON.stringify(receiver.events.map(({ headers: _h, ...e }) => e));
    for (const secret of [first.productKey, third.productKey, new URL(first.download.url).pathname.split('/').pop()!]) assert.ok(!everything.includes(secret), 'no product key or download token');
    for (const e of receiver.events) assert.equal(e.partnerId, stack.demo.partners[0]!.id);

    // One customer's events arrived in the order they happened (the outbox's order), each once.
    const ids = receiver.events.map((e) => e.id);
    assert.equal(new Set(ids).size, ids.length, 'no event twice');
    const outbox = await stack.database.db.webhookEvent.findMany({ where: { orderingKey: customer.id }, orderBy: [{ occurredAt: 'asc' }, { seq: 'asc' }], select: { id: true } });
    assert.deepEqual(ids, outbox.map((e) => e.id).filter((id) => ids.includes(id)));
    assert.equal(outbox.length, ids.length, 'every recorded event was delivered');
  });

  test('a create retried with its Idempotency-Key answers the same endpoint, and the secret is stored nowhere in plain text', async () => {
    const send = () => request(stack.app).post('/v1/webhook-endpoints').set(bearer(admin)).set('Idempotency-Key', 'erp-hook-1').send({ url: receiver.url, events: ['order.active'] });
    const first = await send();
    const again = await send();
    assert.equal(first.status, 201);
    assert.equal(again.status, 201);
    assert.equal(again.headers['idempotent-replayed'], 'true');
    assert.equal(again.body.id, first.body.id);
    assert.equal(again.body.secret, undefined, 'shown once');
    const text = (rows: unknown) => JSON.stringify(rows, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    const stored = text(await stack.database.db.idempotencyRecord.findMany()) + text(await stack.database.db.auditEvent.findMany({ where: { targetType: 'webhook_endpoint' } }));
    assert.match(stored, /webhook_endpoint\.create/, 'the records read are the right ones');
    assert.ok(!stored.includes(first.body.secret.slice(6)), 'not in the idempotency records or the audit log');
    // The actions take no body: one with fields is refused, and changes nothing.
    const odd = await request(stack.app).post(`/v1/webhook-endpoints/${first.body.id}/disable`).set(bearer(admin)).send({ reason: 'x' });
    assert.equal(odd.status, 422);
    assert.equal((await request(stack.app).get(`/v1/webhook-endpoints/${first.body.id}`).set(bearer(admin))).body.status, 'enabled');
    await request(stack.app).delete(`/v1/webhook-endpoints/${first.body.id}`).set(bearer(admin)).expect(204);
  });
});
