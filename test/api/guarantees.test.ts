import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import request from 'supertest';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { toOpenApiPath } from '../../api/openapi.ts';
import { ROUTES, type RouteDef } from '../../api/routes/index.ts';
import { noBody } from '../../common/webhook-schemas.ts';
import { signPaymentWebhook } from '../../api/services/payments.ts';
import type { Role } from '../../common/domain.ts';
import { activeOrder, bearer, cancellationTicket, eventually, startStack, type Stack } from '../helpers/stack.ts';

Runtime.install({ logger: new DefaultLogger('ERROR') });

const VARIANT = { version: '2022 (21H2)', language: 'English', fileType: 'ISO (x64)' };

describe('API guarantees: roles, partner isolation, errors, OpenAPI', () => {
  let stack: Stack;
  const ids: Record<string, string> = {};
  let counter = 0;

  before(async () => {
    // The matrix calls every route anonymously (a 401 each): more than the default 30 failed authentications a minute.
    stack = await startStack('api_guarantees', { WEBHOOK_ALLOW_PRIVATE_URLS: 'true', AUTH_FAILURES_PER_MINUTE: '10000' });
    const admin = stack.demo.partners[0]!.apiKeys.admin_agent;
    const customer = stack.demo.partners[0]!.customers[0]!;
    // An endpoint nobody listens on: its deliveries stay pending, retried, which is all the matrix needs.
    const endpoint = await request(stack.app).post('/v1/webhook-endpoints').set(bearer(admin)).send({ url: 'http://127.0.0.1:9/hooks', events: ['order.active'] });
    assert.equal(endpoint.status, 201);
    const order = await activeOrder(stack, admin, customer.id, [
      { productId: 'windows-server-2022-standard', quantity: 1 },
      { productId: 'sql-server-2022-standard', quantity: 1 },
    ]);
    const link = await request(stack.app).post(`/v1/customers/${customer.id}/software/${order.subscriptions[0]}/keys-and-downloads`).set(bearer(admin)).send(VARIANT);
    const filed = await request(stack.app)
      .post(`/v1/customers/${customer.id}/software/${order.subscriptions[1]}/cancellation`)
      .set(bearer(admin))
      .send(cancellationTicket({ customer: { domain: customer.domain }, subscriptionId: order.subscriptions[1] }));
    assert.equal(filed.status, 202);
    await eventually(async () => (await request(stack.app).get(`/v1/refund-cases/${filed.body.refundCaseId}`).set(bearer(admin))).body.status, (s) => s === 'in_review');
    Object.assign(ids, {
      customerId: customer.id,
      orderId: order.orderId,
      subscriptionId: order.subscriptions[0],
      refundCaseId: filed.body.refundCaseId,
      token: new URL(link.body.download.url).pathname.split('/').pop()!,
      endpointId: endpoint.body.id,
      deliveryId: (await eventually(() => stack.database.db.webhookDelivery.findFirst({ where: { endpointId: endpoint.body.id } }), (d) => d !== null))!.id,
    });
  });
  after(async () => stack?.close());

  function path(def: RouteDef): string {
    return def.path.replace(/:([A-Za-z]+)/g, (_m, name: string) => {
      assert.ok(ids[name], `a fixture id for :${name} of ${def.path}`);
      return ids[name]!;
    });
  }

  /** A valid body for each POST, so that only the caller decides the answer. */
  function validBody(def: RouteDef): unknown {
    counter++;
    switch (def.path) {
      case '/v1/customers':
        return { domain: `matrix-${counter}.example.com`, companyName: 'Matrix Ltd' };
      case '/v1/customers/:customerId/orders':
        return { lineItems: [{ productId: 'office-ltsc-professional-plus-2024', quantity: 1 }], paymentMethod: 'pm_card_declined' };
      case '/v1/customers/:customerId/software/:subscriptionId/keys-and-downloads':
        return VARIANT;
      case '/v1/customers/:customerId/software/:subscriptionId/cancellation':
        return cancellationTicket({ customer: { tenantId: ids.customerId }, subscriptionId: ids.subscriptionId });
      case '/v1/refund-cases/:refundCaseId/decision':
        return { decision: 'request_info', note: 'matrix' };
      case '/v1/refund-cases/:refundCaseId/comments':
        return { note: 'matrix' };
      case '/codec/decode':
      case '/codec/encode':
        return { payloads: [] };
      case '/v1/payments/webhook':
        return { eventId: `evt_matrix_${counter}`, orderId: ids.orderId, type: 'payment.succeeded' };
      case '/v1/webhook-endpoints':
        return { url: 'https://hooks.example.com/matrix', events: ['order.active'] };
      case '/v1/webhook-endpoints/:endpointId/disable':
      case '/v1/webhook-endpoints/:endpointId/enable':
      case '/v1/webhook-endpoints/:endpointId/rotate-secret':
      case '/v1/webhook-endpoints/:endpointId/deliveries/:deliveryId/redeliver':
        return {};
      default:
        assert.fail(`no valid body for ${def.path}`);
    }
  }

  async function send(def: RouteDef, key: string | undefined, body?: unknown) {
    if (def.method === 'delete') {
      // Each deletion gets an endpoint of its own, so the fixture one lives on for the other routes.
      const own = await request(stack.app).post('/v1/webhook-endpoints').set(bearer(stack.demo.partners[0]!.apiKeys.admin_agent)).send({ url: 'https://hooks.example.com/doomed', events: ['order.active'] });
      const req = request(stack.app).delete(path(def).replace(ids.endpointId!, own.body.id as string));
      return key ? req.set(bearer(key)) : req;
    }
    const req = def.method === 'get' ? request(stack.app).get(path(def)) : request(stack.app).post(path(def));
    if (key) req.set(bearer(key));
    if (def.method === 'get') return req;
    const payload = JSON.stringify(body ?? validBody(def));
    req.set('Content-Type', 'application/json');
    if (def.rawBody) req.set('Payment-Signature', signPaymentWebhook(stack.secrets.paymentWebhook, payload));
    return req.send(payload);
  }

  test('every route × every role × own and other partner answers as the route table says', async () => {
    const p0 = stack.demo.partners[0]!.apiKeys;
    const p1 = stack.demo.partners[1]!.apiKeys;
    const callers: { name: string; key?: string; role?: Role; otherPartner?: boolean }[] = [
      { name: 'anonymous' },
      { name: 'own admin', key: p0.admin_agent, role: 'admin_agent' },
      { name: 'own sales', key: p0.sales_agent, role: 'sales_agent' },
      { name: 'other admin', key: p1.admin_agent, role: 'admin_agent', otherPartner: true },
      { name: 'other sales', key: p1.sales_agent, role: 'sales_agent', otherPartner: true },
      { name: 'support', key: stack.demo.apiKeys.support_engineer, role: 'support_engineer' },
      { name: 'operations', key: stack.demo.apiKeys.operations, role: 'operations' },
    ];
    const failures: string[] = [];
    for (const def of ROUTES) {
      for (const caller of callers) {
        const res = await send(def, caller.key);
        let expected: string;
        let ok: boolean;
        if (def.access === 'public') {
          expected = 'served (not 401/403/404)';
          ok = ![401, 403, 404].includes(res.status) && res.status < 500;
        } else if (!caller.role) {
          expected = '401';
          ok = res.status === 401;
        } else if (!def.access.includes(caller.role)) {
          expected = '403';
          ok = res.status === 403;
        } else if (caller.otherPartner && def.params) {
          expected = '404';
          ok = res.status === 404;
        } else {
          expected = 'served (not 401/403/404)';
          ok = ![401, 403, 404].includes(res.status) && res.status < 500;
        }
        if (!ok) failures.push(`${def.method.toUpperCase()} ${def.path} as ${caller.name}: ${res.status}, expected ${expected} (${JSON.stringify(res.body).slice(0, 160)})`);
      }
    }
    assert.deepEqual(failures, []);
  });

  test('malformed bodies, headers and ids to every POST route: never a 500, never a state change', async () => {
    const admin = stack.demo.partners[0]!.apiKeys.admin_agent;
    const support = stack.demo.apiKeys.support_engineer;
    const db = stack.database.db;
    const snapshot = async () => ({
      customers: await db.customer.count(),
      orders: await db.order.count(),
      cases: await db.refundCase.count(),
      caseEvents: await db.refundCaseEvent.count(),
      links: await db.downloadLink.count(),
      idempotency: await db.idempotencyRecord.count(),
      webhooks: await db.processedWebhookEvent.count(),
      webhookEndpoints: await db.webhookEndpoint.findMany({ orderBy: { id: 'asc' } }),
    });
    const before = await snapshot();
    // Routes that take a body (the endpoint actions take none, and refuse one: see the matrix).
    const posts = ROUTES.filter((r) => r.method === 'post' && r.body !== noBody);
    const malformed = fc.oneof(
      fc.jsonValue(),
      fc.dictionary(fc.constantFrom('domain', 'companyName', 'lineItems', 'paymentMethod', 'version', 'decision', 'note', 'customer', 'amountRequested', 'eventId'), fc.jsonValue()),
      fc.record({ lineItems: fc.array(fc.record({ productId: fc.string(), quantity: fc.oneof(fc.integer(), fc.double(), fc.string()) })), paymentMethod: fc.string() }),
    );
    // What the server answered, per route: the fuzz must reach each route's body parsing and
    // validation (a 400 or 422), not stop at authentication or the webhook's signature check.
    const answered = new Map<string, Set<number>>();
    for (const def of posts) {
      // A caller the route admits, so the body (not the role) decides the answer.
      const key = def.access === 'public' || def.access.includes('admin_agent') ? admin : def.access.includes('support_engineer') ? support : stack.demo.apiKeys.operations;
      await fc.assert(
        fc.asyncProperty(malformed, fc.option(fc.string({ minLength: 256, maxLength: 300 })), async (body, badKey) => {
          const raw = JSON.stringify(body);
          const req = request(stack.app).post(path(def)).set(bearer(key)).set('Content-Type', 'application/json');
          if (badKey) req.set('Idempotency-Key', badKey);
          // Signed as the provider would, so the webhook's body is parsed and validated too.
          if (def.rawBody) req.set('Payment-Signature', signPaymentWebhook(stack.secrets.paymentWebhook, raw));
          const res = await req.send(raw);
          (answered.get(def.path) ?? answered.set(def.path, new Set()).get(def.path)!).add(res.status);
          assert.ok(res.status < 500, `${def.path} answered ${res.status} to ${JSON.stringify(body).slice(0, 200)}`);
          assert.ok(res.status >= 400, `${def.path} accepted ${JSON.stringify(body).slice(0, 200)}`);
          assert.match(res.headers['content-type'] ?? '', /application\/problem\+json/);
        }),
        { numRuns: 40, seed: 20261129 },
      );
      // Not JSON at all, and ids that cannot exist.
      const notJson = await request(stack.app).post(path(def)).set(bearer(key)).set('Content-Type', 'application/json').send('{"unterminated": ');
      assert.ok([400, 401].includes(notJson.status), `${def.path} not-JSON: ${notJson.status}`);
      if (def.params) {
        const badIds = await request(stack.app).post(def.path.replace(/:[A-Za-z]+/g, "'; DROP TABLE orders; --")).set(bearer(key)).send({});
        assert.equal(badIds.status, 404);
      }
    }
    const garbageAuth = await request(stack.app).post('/v1/customers').set('Authorization', 'Bearer csp_0000000000000000_' + 'A'.repeat(43)).send({ domain: 'x.example.com', companyName: 'X' });
    assert.equal(garbageAuth.status, 401);
    const tooBig = await request(stack.app).post('/v1/customers').set(bearer(admin)).set('Content-Type', 'application/json').send(JSON.stringify({ domain: 'a.example.com', companyName: 'x'.repeat(300_000) }));
    assert.equal(tooBig.status, 413);
    for (const def of posts) {
      const statuses = [...(answered.get(def.path) ?? [])];
      assert.ok(statuses.some((s) => s === 400 || s === 422), `${def.path}: the fuzz reached its body checks (answers: ${statuses.join(', ')})`);
    }
    assert.deepEqual(await snapshot(), before);
  });

  test('the OpenAPI document lists exactly the routes the router serves', async () => {
    const doc = (await request(stack.app).get('/openapi.json')).body as { openapi: string; paths: Record<string, Record<string, unknown>> };
    assert.equal(doc.openapi, '3.1.0');
    const documented = Object.entries(doc.paths).flatMap(([p, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${p}`)).sort();
    // Express 5 keeps its routes in the router stack.
    const router = (stack.app as unknown as { router: { stack: { route?: { path: string; methods: Record<string, boolean> } }[] } }).router;
    const served = router.stack
      .flatMap((layer) => (layer.route ? Object.keys(layer.route.methods).map((m) => `${m.toUpperCase()} ${toOpenApiPath(layer.route!.path)}`) : []))
      .sort();
    assert.deepEqual(documented, served);
    const docs = await request(stack.app).get('/docs');
    assert.equal(docs.status, 200);
    assert.match(docs.text, /swagger-ui/);
    assert.equal((await request(stack.app).get('/docs/assets/swagger-ui-bundle.js')).status, 200);
  });

  test('answers unknown routes, and errors in general, as problem+json without internals', async () => {
    const res = await request(stack.app).get('/v1/nothing-here');
    assert.equal(res.status, 404);
    assert.match(res.headers['content-type']!, /application\/problem\+json/);
    assert.deepEqual(Object.keys(res.body).sort(), ['detail', 'instance', 'status', 'title', 'type']);
    assert.equal(res.headers['x-powered-by'], undefined);
    assert.ok(res.headers['x-request-id']);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
  });
});
