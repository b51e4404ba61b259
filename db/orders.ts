import type { OrderStatus, PurchaseInput } from '../common/domain.ts';
import { workflowIds } from '../common/messages.ts';
import type { Db } from './client.ts';

/** Who placed an order, for the audit log: written with the order, once. */
export interface OrderAudit {
  agentId: string;
  partnerId: string | null;
  data: Record<string, unknown>;
}

/**
 * Records an order, its lines, its first timeline entry and (from the API) its audit entry in one
 * statement: each statement costs the API process and PostgreSQL CPU on every order. Idempotent: a
 * second call writes nothing. Both the API (so the order is readable the moment it is acknowledged)
 * and the workflow's first activity call it, in either order, so the audit entry is keyed on the
 * order rather than on who inserted it. Answers the order's status as it now stands.
 */
export async function persistOrder(db: Db, input: PurchaseInput, audit?: OrderAudit): Promise<OrderStatus> {
  const lines = JSON.stringify(input.lineItems.map((l) => ({ id: l.lineItemId, position: l.position, product_id: l.productId, quantity: l.quantity, unit_price: l.unitPrice })));
  const [row] = await db.$queryRaw<{ status: OrderStatus }[]>`
    WITH new_order AS (
      INSERT INTO orders (id, partner_id, customer_id, created_by_agent_id, status, payment_method, total_amount, currency, workflow_id)
      VALUES (${input.orderId}::uuid, ${input.partnerId}::uuid, ${input.customerId}::uuid, ${input.createdByAgentId ?? null}::uuid, 'awaiting_payment',
              ${input.paymentMethod}, ${input.total.amount}::numeric, ${input.total.currency}, ${workflowIds.order(input.orderId)})
      ON CONFLICT (id) DO NOTHING
      RETURNING id, status
    ), new_lines AS (
      INSERT INTO order_line_items (id, order_id, position, product_id, quantity, unit_price)
      SELECT l.id, o.id, l.position, l.product_id, l.quantity, l.unit_price
        FROM new_order o, jsonb_to_recordset(${lines}::jsonb) AS l(id uuid, position int, product_id text, quantity int, unit_price numeric)
      ON CONFLICT DO NOTHING
    ), first_event AS (
      INSERT INTO order_events (order_id, status, detail, dedupe_key)
      SELECT id, 'awaiting_payment', 'Order received', 'received' FROM new_order
      ON CONFLICT DO NOTHING
    ), audit AS (
      INSERT INTO audit_events (agent_id, partner_id, action, target_type, target_id, data)
      SELECT ${audit?.agentId ?? null}::uuid, ${audit?.partnerId ?? null}::uuid, 'order.create', 'order', ${input.orderId}, ${JSON.stringify(audit?.data ?? null)}::jsonb
       WHERE ${audit !== undefined}::boolean
         AND NOT EXISTS (SELECT 1 FROM audit_events WHERE target_type = 'order' AND target_id = ${input.orderId} AND action = 'order.create')
    )
    SELECT status::text AS status FROM new_order
    UNION ALL
    SELECT status::text FROM orders WHERE id = ${input.orderId}::uuid AND NOT EXISTS (SELECT 1 FROM new_order)`;
  if (!row) throw new Error(`order ${input.orderId} could not be recorded`);
  return row.status;
}

/** Timeline entries are keyed so a retried activity writes each one once. */
export async function appendOrderEvent(db: Db, orderId: string, status: OrderStatus, detail: string, dedupeKey: string): Promise<void> {
  await db.orderEvent.createMany({ data: [{ orderId, status, detail, dedupeKey }], skipDuplicates: true });
}
