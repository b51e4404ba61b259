import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { LocalKeyAuthority, type KeyAuthority } from '../../providers/keys.ts';
import request from 'supertest';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { activeOrder, bearer, cancellationTicket, eventually, startStack, type Stack } from '../helpers/stack.ts';

Runtime.install({ logger: new DefaultLogger('ERROR') });

const VARIANT = { version: '2022 RTM', language: 'English', fileType: 'ISO (x64)' };

describe('cancellation through the API (dev server, PostgreSQL)', () => {
  let stack: Stack;
  let admin: string;
  let support: string;
  let customer: { id: string; domain: string };

  before(async () => {
    stack = await startStack('api_cancel');
    admin = stack.demo.partners[0]!.apiKeys.admin_agent;
    support = stack.demo.apiKeys.support_engineer;
    customer = stack.demo.partners[0]!.customers[0]!;
  });
  after(async () => stack?.close());

  /** An active purchase of 2 × SQL Server 2022 Standard (7890.00 USD) with an open download link. */
  async function purchase() {
    const order = await activeOrder(stack, admin, customer.id, [{ productId: 'sql-server-2022-standard', quantity: 2 }]);
    const subscriptionId = order.subscriptions[0]!;
    const link = await request(stack.app).post(`/v1/customers/${customer.id}/software/${subscriptionId}/keys-and-downloads`).set(bearer(admin)).send(VARIANT);
    assert.equal(link.status, 200);
    return { orderId: order.orderId as string, subscriptionId, downloadUrl: link.body.download.url as string };
  }

  const ticket = (over: Record<string, unknown> = {}) =>
    cancellationTicket({
      customer: { domain: customer.domain },
      amountRequested: { amount: '7890.00', currency: 'USD' },
      title: 'Refund SQL Server Standard',
      description: 'Ordered Standard, needed Enterprise.',
      attachments: [{ fileName: 'invoice.pdf', contentType: 'application/pdf', contentBase64: Buffer.from('%PDF-1.4 invoice').toString('base64') }],
      ...over,
    });
  const file = (key: string, subscriptionId: string, body: object, customerId = customer.id) =>
    request(stack.app).post(`/v1/customers/${customerId}/software/${subscriptionId}/cancellation`).set(bearer(key)).send(body);

  test('rejects a bad ticket with every wrong field at once, and creates no case', async () => {
    const { subscriptionId, orderId } = await purchase();
    const res = await file(admin, subscriptionId, {
      ...ticket({ orderId }),
      refundReason: '',
      amountRequested: { amount: '7890.00', currency: 'USD' },
      contact: { name: '', email: 'not-an-email', phone: 'x' },
    });
    assert.equal(res.status, 422);
    const paths = (res.body.errors as { path: string }[]).map((e) => e.path).sort();
    assert.deepEqual(paths, ['contact.email', 'contact.name', 'contact.phone', 'refundReason']);

    const above = await file(admin, subscriptionId, ticket({ orderId, amountRequested: { amount: '7890.01', currency: 'USD' } }));
    assert.equal(above.status, 422);
    assert.deepEqual(above.body.errors, [{ path: 'amountRequested.amount', message: 'must be at most 7890.00 USD, what was paid for this software' }]);

    const wrongDomain = await file(admin, subscriptionId, ticket({ orderId, customer: { domain: 'tailspin-toys.com' } }));
    assert.equal(wrongDomain.status, 422);
    assert.equal(wrongDomain.body.errors[0].path, 'customer');

    const otherCustomer = stack.demo.partners[0]!.customers[1]!.id;
    const mismatch = await file(admin, subscriptionId, ticket({ orderId, customer: { tenantId: otherCustomer } }), otherCustomer);
    assert.equal(mismatch.status, 404, 'the software is not that customer’s');

    const bothIds = await file(admin, subscriptionId, ticket({ orderId, subscriptionId }));
    assert.equal(bothIds.status, 422);

    assert.equal(await stack.database.db.refundCase.count({ where: { subscriptionId } }), 0);
    assert.equal((await stack.database.db.softwareSubscription.findUniqueOrThrow({ where: { id: subscriptionId } })).status, 'active');
  });

  test('refuses to cancel software whose order is still issuing its keys (409), so no key outlives a cancellation', async () => {
    // A key authority that holds the purchase between "subscription created" and "key issued".
    const real = new LocalKeyAuthority(stack.database.db);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const held: KeyAuthority = {
      async issue(request) {
        await gate;
        return real.issue(request);
      },
      revoke: (id) => real.revoke(id),
    };
    await stack.stopWorker();
    await stack.startWorker({ keys: held });
    try {
      const created = await request(stack.app).post(`/v1/customers/${customer.id}/orders`).set(bearer(admin)).send({ lineItems: [{ productId: 'sql-server-2022-standard', quantity: 1 }], paymentMethod: 'pm_card_ok' });
      assert.equal(created.status, 202);
      const sub = await eventually(
        () => stack.database.db.softwareSubscription.findFirst({ where: { orderId: created.body.orderId } }),
        (s) => s !== null,
      );
      const early = await file(admin, sub!.id, ticket({ orderId: created.body.orderId, amountRequested: { amount: '10.00', currency: 'USD' } }));
      assert.equal(early.status, 409, JSON.stringify(early.body));
      assert.match(early.body.detail, /still provisioning/);
      assert.equal(await stack.database.db.refundCase.count({ where: { subscriptionId: sub!.id } }), 0);

      release();
      await eventually(async () => (await stack.database.db.order.findUniqueOrThrow({ where: { id: created.body.orderId } })).status, (s) => s === 'active');
      const later = await file(admin, sub!.id, ticket({ orderId: created.body.orderId, amountRequested: { amount: '10.00', currency: 'USD' } }));
      assert.equal(later.status, 202, JSON.stringify(later.body));
    } finally {
      release();
      await stack.stopWorker();
      await stack.startWorker();
    }
  });

  test('refuses the cancellation to a sales agent (403) and to another partner’s admin (404)', async () => {
    const { subscriptionId, orderId } = await purchase();
    assert.equal((await file(stack.demo.partners[0]!.apiKeys.sales_agent, subscriptionId, ticket({ orderId }))).status, 403);
    assert.equal((await file(stack.demo.partners[1]!.apiKeys.admin_agent, subscriptionId, ticket({ orderId }))).status, 404);
  });

  test('a support engineer’s approval kills the download link and the software’s keys-and-downloads', async () => {
    const { subscriptionId, orderId, downloadUrl } = await purchase();
    const token = new URL(downloadUrl).pathname.split('/').pop()!;
    assert.equal((await request(stack.app).get(`/v1/downloads/${token}`)).status, 200);

    const filedFrom = Date.now();
    const filed = await file(admin, subscriptionId, ticket({ subscriptionId }));
    const filedBy = Date.now();
    assert.equal(filed.status, 202, JSON.stringify(filed.body));
    assert.equal(filed.headers.location, `/v1/refund-cases/${filed.body.refundCaseId}`);
    const caseId = filed.body.refundCaseId as string;
    assert.equal((await file(admin, subscriptionId, ticket({ subscriptionId }))).status, 409, 'one open case per software');

    const queue = await request(stack.app).get('/v1/refund-cases?status=in_review').set(bearer(support));
    assert.equal(queue.status, 200);
    const queued = await eventually(
      async () => (await request(stack.app).get('/v1/refund-cases?status=in_review').set(bearer(support))).body as { refundCaseId: string; slaDueAt: string; ageHours: number }[],
      (cases) => cases.some((c) => c.refundCaseId === caseId),
    );
    const entry = queued.find((c) => c.refundCaseId === caseId)!;
    // Due 48 h after the case was filed: between the moments before and after the filing request.
    const due = Date.parse(entry.slaDueAt);
    assert.ok(due >= filedFrom + 48 * 3600 * 1000 - 5 && due <= filedBy + 48 * 3600 * 1000 + 5, `slaDueAt ${entry.slaDueAt}`);
    assert.ok(entry.ageHours >= 0);
    const otherPartner = await request(stack.app).get('/v1/refund-cases').set(bearer(stack.demo.partners[1]!.apiKeys.admin_agent));
    assert.ok(!otherPartner.body.some((c: { refundCaseId: string }) => c.refundCaseId === caseId), 'another partner never sees the case');
    assert.equal((await request(stack.app).get(`/v1/refund-cases/${caseId}`).set(bearer(stack.demo.partners[1]!.apiKeys.admin_agent))).status, 404);

    assert.equal((await request(stack.app).post(`/v1/refund-cases/${caseId}/decision`).set(bearer(admin)).send({ decision: 'approve', note: 'x' })).status, 403);
    const decided = await request(stack.app).post(`/v1/refund-cases/${caseId}/decision`).set(bearer(support)).send({ decision: 'approve', note: 'Within policy' });
    assert.equal(decided.status, 200, JSON.stringify(decided.body));

    // The link's token is dead at once, by the read model.
    const gone = await request(stack.app).get(`/v1/downloads/${token}`);
    assert.equal(gone.status, 410);
    assert.match(gone.body.detail, /revoked/);
    assert.match(gone.body.type, /\/problems\/link-revoked$/);
    const again = await request(stack.app).post(`/v1/customers/${customer.id}/software/${subscriptionId}/keys-and-downloads`).set(bearer(admin)).send(VARIANT);
    assert.equal(again.status, 409);

    const done = await eventually(
      async () => (await request(stack.app).get(`/v1/refund-cases/${caseId}`).set(bearer(support))).body,
      (c) => c.status === 'completed',
    );
    const types = done.timeline.map((t: { type: string }) => t.type);
    assert.deepEqual(types, ['submitted', 'in_review', 'approved', 'subscription_cancelled', 'links_revoked', 'key_revoked', 'refund_issued', 'completed']);
    const approved = done.timeline.find((t: { type: string }) => t.type === 'approved');
    assert.equal(approved.actor.role, 'support_engineer');
    assert.equal(approved.note, 'Within policy');
    assert.deepEqual(done.attachments.map((a: { fileName: string; sizeBytes: number }) => [a.fileName, a.sizeBytes]), [['invoice.pdf', 16]]);
    assert.equal((await request(stack.app).get(`/v1/orders/${orderId}`).set(bearer(admin))).body.status, 'cancelled');
    const audit = await stack.database.db.auditEvent.findMany({ where: { targetId: caseId }, orderBy: { id: 'asc' } });
    assert.deepEqual(audit.map((a) => a.action), ['refund_case.file', 'refund_case.approve']);
  });

  test('a rejected case needs a note, and gives the software back', async () => {
    const { subscriptionId } = await purchase();
    const filed = await file(admin, subscriptionId, ticket({ subscriptionId }));
    const caseId = filed.body.refundCaseId as string;
    await eventually(async () => (await request(stack.app).get(`/v1/refund-cases/${caseId}`).set(bearer(support))).body.status, (s) => s === 'in_review');
    assert.equal((await request(stack.app).post(`/v1/refund-cases/${caseId}/decision`).set(bearer(support)).send({ decision: 'reject' })).status, 422);
    const asked = await request(stack.app).post(`/v1/refund-cases/${caseId}/decision`).set(bearer(support)).send({ decision: 'request_info', note: 'Proof of purchase date?' });
    assert.equal(asked.body.status, 'info_requested');
    const comment = await request(stack.app).post(`/v1/refund-cases/${caseId}/comments`).set(bearer(admin)).send({ note: 'Bought yesterday, invoice attached' });
    assert.equal(comment.status, 201);
    await eventually(async () => (await request(stack.app).get(`/v1/refund-cases/${caseId}`).set(bearer(support))).body.status, (s) => s === 'in_review');
    const rejected = await request(stack.app).post(`/v1/refund-cases/${caseId}/decision`).set(bearer(support)).send({ decision: 'reject', note: 'Outside policy' });
    assert.equal(rejected.body.status, 'rejected');
    assert.equal((await stack.database.db.softwareSubscription.findUniqueOrThrow({ where: { id: subscriptionId } })).status, 'active');
    assert.equal((await request(stack.app).post(`/v1/refund-cases/${caseId}/decision`).set(bearer(support)).send({ decision: 'approve', note: 'x' })).status, 409);
  });

  test('a decision and a comment sent again with their Idempotency-Key are recorded once, even when the first answer was lost', async () => {
    const { subscriptionId } = await purchase();
    const caseId = (await file(admin, subscriptionId, ticket({ subscriptionId }))).body.refundCaseId as string;
    await eventually(async () => (await request(stack.app).get(`/v1/refund-cases/${caseId}`).set(bearer(support))).body.status, (s) => s === 'in_review');
    const { db } = stack.database;
    // A lost answer: the first request was carried out, but the stored reply is gone (its process died before keeping it).
    const forgetReplies = () => db.idempotencyRecord.deleteMany({ where: { path: { startsWith: `/v1/refund-cases/${caseId}` } } });
    const ask = () => request(stack.app).post(`/v1/refund-cases/${caseId}/decision`).set(bearer(support)).set('Idempotency-Key', 'ask-once').send({ decision: 'request_info', note: 'Which edition?' });
    const first = await ask();
    assert.equal(first.status, 200);
    const replayed = await ask();
    assert.deepEqual([replayed.status, replayed.body.status], [200, 'info_requested'], 'the stored reply');
    await forgetReplies();
    const again = await ask();
    assert.equal(again.status, 200, `the same update, not a second decision refused with 409: ${JSON.stringify(again.body)}`);

    const answer = () => request(stack.app).post(`/v1/refund-cases/${caseId}/comments`).set(bearer(admin)).set('Idempotency-Key', 'answer-once').send({ note: 'Enterprise' });
    assert.equal((await answer()).status, 201);
    assert.equal((await answer()).status, 201);
    await forgetReplies();
    assert.equal((await answer()).status, 201);
    const events = await db.refundCaseEvent.findMany({ where: { caseId }, select: { type: true } });
    assert.equal(events.filter((e) => e.type === 'comment').length, 1, 'one comment');
    assert.equal(events.filter((e) => e.type === 'info_requested').length, 1, 'one request for information');
    const audit = await db.auditEvent.findMany({ where: { targetId: caseId, action: { in: ['refund_case.comment', 'refund_case.request_info'] } } });
    assert.equal(audit.length, 2, 'one audit entry each');
  });

  test('a case shows what the decision needs: the purchase, what was paid and refunded, and whether it was filed inside the refund window', async () => {
    const inside = await purchase();
    const item = await request(stack.app).get(`/v1/customers/${customer.id}/software/${inside.subscriptionId}`).set(bearer(admin));
    assert.equal(Date.parse(item.body.refundableUntil) - Date.parse(item.body.purchasedAt), 30 * 24 * 3600 * 1000, 'REFUND_WINDOW, 30 days by default');
    const filed = await file(admin, inside.subscriptionId, ticket({ orderId: inside.orderId }));
    const c = (await request(stack.app).get(`/v1/refund-cases/${filed.body.refundCaseId}`).set(bearer(support))).body;
    assert.deepEqual(
      { partner: c.partner.name, customer: c.customer.domain, product: c.product.id, quantity: c.quantity, paid: c.amountPaid, refunded: c.alreadyRefunded, within: c.withinRefundWindow },
      { partner: stack.demo.partners[0]!.name, customer: customer.domain, product: 'sql-server-2022-standard', quantity: 2, paid: { amount: '7890.00', currency: 'USD' }, refunded: { amount: '0.00', currency: 'USD' }, within: true },
    );
    // Bought 31 days ago: the case is filed outside the window (support still decides; the page says so).
    const late = await purchase();
    await stack.database.db.$executeRaw`UPDATE software_subscriptions SET purchased_at = now() - interval '31 days' WHERE id = ${late.subscriptionId}::uuid`;
    const lateCase = await file(admin, late.subscriptionId, ticket({ orderId: late.orderId }));
    assert.equal((await request(stack.app).get(`/v1/refund-cases/${lateCase.body.refundCaseId}`).set(bearer(support))).body.withinRefundWindow, false);
  });
});
