import { randomUUID } from 'node:crypto';
import { IMPACTS, REFUND_CASE_STATUSES } from '../../common/domain.ts';
import { persistOrder } from '../../db/orders.ts';
import { orderInput } from './fixtures.ts';
import type { Stack } from './stack.ts';

const HOUR = 3600_000;
const pick = <T>(list: readonly T[], i: number): T => list[i % list.length]!;

export interface ListRows {
  caseIds: string[];
  orderIds: string[];
  subscriptionIds: string[];
}

/**
 * Rows for sorted lists, written straight to the database (no workflow needed to read a list):
 * `n` in-flight orders, each with one subscription and one refund case. Two partners, three
 * customers, two products; statuses, impacts, amounts and titles repeat, so every sort has ties
 * for its id tiebreak. `stuckHoursAgo` makes the orders' last change that old (stuck orders).
 */
export async function seedListRows(stack: Stack, n: number, options: { prefix?: string; stuckHoursAgo?: number } = {}): Promise<ListRows> {
  const { db } = stack.database;
  const prefix = options.prefix ?? 'sorts';
  const agent = await db.agent.findFirstOrThrow({ where: { partnerId: stack.demo.partners[0]!.id } });
  const customers = [];
  for (const [partner, name] of [[0, 'beta'], [0, 'alpha'], [1, 'gamma']] as const) {
    const customerId = randomUUID();
    const domain = `${name}-${prefix}.example.com`;
    await db.customer.create({ data: { id: customerId, partnerId: stack.demo.partners[partner]!.id, domain, companyName: domain } });
    customers.push({ partnerId: stack.demo.partners[partner]!.id, customerId, domain });
  }
  const rows: ListRows = { caseIds: [], orderIds: [], subscriptionIds: [] };
  for (let i = 0; i < n; i++) {
    const tenant = pick(customers, i);
    const input = orderInput(tenant, { total: { amount: pick(['10.00', '250.50', '99.99', '10.00'], i), currency: 'USD' } });
    await persistOrder(db, input);
    const changed = new Date(Date.now() - (options.stuckHoursAgo ?? 0) * HOUR);
    // (Raw SQL: Prisma's @updatedAt would stamp the update with now.)
    await db.$executeRaw`UPDATE orders SET created_at = ${new Date(Date.now() - ((i % 5) + (options.stuckHoursAgo ?? 0)) * HOUR)}, updated_at = ${changed},
      status = ${pick(['awaiting_payment', 'provisioning'], i)}::order_status, payment_method = ${pick(['pm_card_ok', 'pm_async', 'pm_card_ok'], i)} WHERE id = ${input.orderId}::uuid`;
    const line = pick(input.lineItems, i);
    const subscriptionId = randomUUID();
    await db.softwareSubscription.create({
      data: { id: subscriptionId, orderId: input.orderId, lineItemId: line.lineItemId, partnerId: tenant.partnerId, customerId: tenant.customerId, productId: line.productId, quantity: line.quantity, status: 'cancellation_requested' },
    });
    const caseId = randomUUID();
    await db.refundCase.create({
      data: {
        id: caseId, partnerId: tenant.partnerId, customerId: tenant.customerId, subscriptionId, orderId: input.orderId, createdByAgentId: agent.id, workflowId: `${prefix}-${caseId}`,
        status: pick(REFUND_CASE_STATUSES, i), impact: pick(IMPACTS, i * 7), issueType: 'CSP purchase/refund on behalf of customers', title: pick(['Wrong edition', 'Duplicate order', 'Not needed'], i),
        customerReference: tenant.domain, orderReference: input.orderId, refundReason: 'r', amountRequested: pick(['10.00', '5.25', '120.00', '5.25'], i), currency: 'USD',
        contactName: 'n', contactEmail: 'e@x.example', contactPhone: '+1 555 0100', slaDueAt: new Date(Date.now() + (i % 4) * HOUR), createdAt: new Date(Date.now() - (i % 6) * HOUR),
      },
    });
    rows.orderIds.push(input.orderId);
    rows.subscriptionIds.push(subscriptionId);
    rows.caseIds.push(caseId);
  }
  return rows;
}
