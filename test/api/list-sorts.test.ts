import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { IMPACTS, ORDER_STATUSES, REFUND_CASE_STATUSES } from '../../common/domain.ts';
import { OPERATIONS_ORDER_SORTS, REFUND_CASE_SORTS } from '../../common/list-queries.ts';
import { persistOrder } from '../../db/orders.ts';
import { orderInput } from '../helpers/fixtures.ts';
import { everyPage } from '../helpers/paging.ts';
import { bearer, startStack, type Stack } from '../helpers/stack.ts';

const HOUR = 3600_000;
const pick = <T>(list: readonly T[], i: number): T => list[i % list.length]!;

describe('lists sorted by any column, paged by keyset (PostgreSQL, no worker)', () => {
  let stack: Stack;
  let support: string;
  let operations: string;
  const caseIds: string[] = [];
  const orderIds: string[] = [];

  before(async () => {
    stack = await startStack('api_sorts', {}, { worker: false });
    support = stack.demo.apiKeys.support_engineer;
    operations = stack.demo.apiKeys.operations;
    const { db } = stack.database;
    const agent = await db.agent.findFirstOrThrow({ where: { partnerId: stack.demo.partners[0]!.id } });
    // Two partners, three customers, two products: relation columns with ties, enums with ties,
    // amounts and titles that repeat, so every sort leans on its id tiebreak somewhere.
    const tenants = [
      { partnerId: stack.demo.partners[0]!.id, domain: 'beta.example.com' },
      { partnerId: stack.demo.partners[0]!.id, domain: 'alpha.example.com' },
      { partnerId: stack.demo.partners[1]!.id, domain: 'gamma.example.com' },
    ];
    const customers = [];
    for (const t of tenants) {
      const customerId = randomUUID();
      await db.customer.create({ data: { id: customerId, partnerId: t.partnerId, domain: t.domain, companyName: t.domain } });
      customers.push({ ...t, customerId });
    }
    for (let i = 0; i < 18; i++) {
      const tenant = pick(customers, i);
      const input = orderInput(tenant, { total: { amount: pick(['10.00', '250.50', '99.99', '10.00'], i), currency: 'USD' } });
      await persistOrder(db, input);
      orderIds.push(input.orderId);
      await db.order.update({
        where: { id: input.orderId },
        data: { createdAt: new Date(Date.now() - (i % 5) * HOUR), status: pick(['awaiting_payment', 'provisioning'] as const, i), paymentMethod: pick(['pm_card_ok', 'pm_async', 'pm_card_ok'], i) },
      });
      const line = pick(input.lineItems, i);
      const subscriptionId = randomUUID();
      await db.softwareSubscription.create({
        data: { id: subscriptionId, orderId: input.orderId, lineItemId: line.lineItemId, partnerId: tenant.partnerId, customerId: tenant.customerId, productId: line.productId, quantity: line.quantity, status: 'cancellation_requested' },
      });
      const caseId = randomUUID();
      await db.refundCase.create({
        data: {
          id: caseId, partnerId: tenant.partnerId, customerId: tenant.customerId, subscriptionId, orderId: input.orderId, createdByAgentId: agent.id, workflowId: `sorts-${caseId}`,
          status: pick(REFUND_CASE_STATUSES, i), impact: pick(IMPACTS, i * 7), issueType: 'CSP purchase/refund on behalf of customers', title: pick(['Wrong edition', 'Duplicate order', 'Not needed'], i),
          customerReference: tenant.domain, orderReference: input.orderId, refundReason: 'r', amountRequested: pick(['10.00', '5.25', '120.00', '5.25'], i), currency: 'USD',
          contactName: 'n', contactEmail: 'e@x.example', contactPhone: '+1 555 0100', slaDueAt: new Date(Date.now() + (i % 4) * HOUR), createdAt: new Date(Date.now() - (i % 6) * HOUR),
        },
      });
      caseIds.push(caseId);
    }
  });
  after(async () => stack?.close());

  test('the enums sort in PostgreSQL in the order the code declares them (the keyset on enums relies on it)', async () => {
    const labels = async (type: string) =>
      (await stack.database.db.$queryRawUnsafe<{ label: string }[]>(`SELECT enumlabel AS label FROM pg_enum WHERE enumtypid = '${type}'::regtype ORDER BY enumsortorder`)).map((r) => r.label);
    assert.deepEqual(await labels('refund_case_status'), [...REFUND_CASE_STATUSES]);
    assert.deepEqual(await labels('impact'), [...IMPACTS]);
    assert.deepEqual(await labels('order_status'), [...ORDER_STATUSES]);
  });

  test('the refund-case queue pages through every sort, both ways, in the database’s order, never repeating or skipping a case', async () => {
    const { db } = stack.database;
    const nested: Record<(typeof REFUND_CASE_SORTS)[number], (d: 'asc' | 'desc') => object> = {
      createdAt: (d) => ({ createdAt: d }),
      title: (d) => ({ title: d }),
      partner: (d) => ({ partner: { name: d } }),
      customer: (d) => ({ customer: { domain: d } }),
      product: (d) => ({ subscription: { product: { name: d } } }),
      status: (d) => ({ status: d }),
      impact: (d) => ({ impact: d }),
      amountRequested: (d) => ({ amountRequested: d }),
      slaDueAt: (d) => ({ slaDueAt: d }),
    };
    for (const column of REFUND_CASE_SORTS) {
      for (const direction of ['asc', 'desc'] as const) {
        const sort = direction === 'asc' ? column : `-${column}`;
        const { items } = await everyPage(stack, support, `/v1/refund-cases?sort=${sort}&limit=4`);
        const expected = await db.refundCase.findMany({ where: { id: { in: caseIds } }, orderBy: [nested[column](direction), { id: direction }], select: { id: true } });
        assert.deepEqual(
          items.map((c) => c.refundCaseId).filter((id) => caseIds.includes(id as string)),
          expected.map((c) => c.id),
          `sort=${sort}`,
        );
      }
    }
  });

  test('a sort reads the way it says: amounts descending, impact by severity, status in the case’s order', async () => {
    const amounts = (await everyPage(stack, support, '/v1/refund-cases?sort=-amountRequested&limit=5')).items.map((c) => Number((c.amountRequested as { amount: string }).amount));
    assert.deepEqual(amounts, [...amounts].sort((a, b) => b - a));
    const impacts = (await everyPage(stack, support, '/v1/refund-cases?sort=impact&limit=5')).items.map((c) => IMPACTS.indexOf(c.impact as (typeof IMPACTS)[number]));
    assert.deepEqual(impacts, [...impacts].sort((a, b) => a - b));
    const statuses = (await everyPage(stack, support, '/v1/refund-cases?sort=-status&limit=5')).items.map((c) => REFUND_CASE_STATUSES.indexOf(c.status as (typeof REFUND_CASE_STATUSES)[number]));
    assert.deepEqual(statuses, [...statuses].sort((a, b) => b - a));
  });

  test('the operations order list pages through every sort, both ways, never repeating or skipping an order', async () => {
    const { db } = stack.database;
    const nested = (column: (typeof OPERATIONS_ORDER_SORTS)[number], d: 'asc' | 'desc') => (column === 'partner' ? { partner: { name: d } } : { [column]: d });
    for (const column of OPERATIONS_ORDER_SORTS) {
      for (const direction of ['asc', 'desc'] as const) {
        const sort = direction === 'asc' ? column : `-${column}`;
        const { items } = await everyPage(stack, operations, `/v1/operations/orders?sort=${sort}&limit=5`);
        const expected = await db.order.findMany({ where: { id: { in: orderIds } }, orderBy: [nested(column, direction), { id: direction }], select: { id: true } });
        assert.deepEqual(
          items.map((o) => o.orderId).filter((id) => orderIds.includes(id as string)),
          expected.map((o) => o.id),
          `sort=${sort}`,
        );
      }
    }
  });

  test('an unknown sort, or a cursor made under another sort, is a 422 that says why', async () => {
    const bad = await request(stack.app).get('/v1/refund-cases?sort=colour').set(bearer(support));
    assert.equal(bad.status, 422);
    assert.match(JSON.stringify(bad.body.errors), /query\.sort.*one of createdAt, title, partner/);
    const first = await request(stack.app).get('/v1/refund-cases?sort=title&limit=2').set(bearer(support));
    const cursor = new URL(`http://x${/^<([^>]+)>/.exec(first.headers.link as string)![1]}`).searchParams.get('cursor')!;
    const crossed = await request(stack.app).get(`/v1/refund-cases?sort=-amountRequested&limit=2&cursor=${cursor}`).set(bearer(support));
    assert.equal(crossed.status, 422);
    assert.match(crossed.body.detail, /another list/);
  });
});
