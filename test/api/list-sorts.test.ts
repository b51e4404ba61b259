import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { IMPACTS, ORDER_STATUSES, REFUND_CASE_STATUSES } from '../../common/domain.ts';
import { OPERATIONS_ORDER_SORTS, REFUND_CASE_SORTS } from '../../common/list-queries.ts';
import { seedListRows } from '../helpers/list-rows.ts';
import { everyPage } from '../helpers/paging.ts';
import { bearer, startStack, type Stack } from '../helpers/stack.ts';

describe('lists sorted by any column, paged by keyset (PostgreSQL, no worker)', () => {
  let stack: Stack;
  let support: string;
  let operations: string;
  let caseIds: string[] = [];
  let orderIds: string[] = [];

  before(async () => {
    stack = await startStack('api_sorts', {}, { worker: false });
    support = stack.demo.apiKeys.support_engineer;
    operations = stack.demo.apiKeys.operations;
    ({ caseIds, orderIds } = await seedListRows(stack, 18));
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
