import type { OrderStatus, OrderInput } from '../common/domain.ts';
import { workflowIds } from '../common/ids.ts';
import { auditOnceSql } from './audit.ts';
import { Prisma, type Db } from './client.ts';
import { batchRows, execute, queryRows } from './statements.ts';
import { batchedWrites } from './batches.ts';
import { claimOnceSql, type ClaimRequest } from './idempotency.ts';

/*
 * The one module that writes `orders`, `order_line_items` and `order_events` (the timeline). An
 * order is recorded once (persistOrder, by the API and again by its workflow's first activity);
 * after that only its workflow moves it (changeOrderStatus), and a refund case cancels it once
 * every subscription it bought is cancelled (cancelOrderIfFullyCancelled). Timeline entries are
 * keyed, so a retried write adds each one once.
 */

/** Who placed an order, for the audit log: written with the order, once. */
export interface OrderAudit {
  agentId: string;
  partnerId: string | null;
  data: Record<string, unknown>;
}

export interface OrderStatusChange {
  orderId: string;
  status: OrderStatus;
  detail: string;
  /** Names the timeline entry, so a retry does not add it twice. */
  eventKey: string;
  paymentId?: string;
  failureReason?: string;
}

/** An order to record, with (from the API) who placed it and the Idempotency-Key it claims. */
export interface OrderRecord {
  input: OrderInput;
  audit?: OrderAudit;
  /** Recorded only if this claim is taken in the same statement (api/idempotency.ts), with its answer. */
  claim?: ClaimRequest;
}

/**
 * The order's status as it now stands, and whether the record's claim was taken. A claim not taken
 * (the key's record exists) records nothing, and the status is that of the order already recorded
 * with the key, if there is one.
 */
export interface RecordedOrder {
  status: OrderStatus | undefined;
  claimed: boolean;
}

/**
 * Records an order, its lines, its first timeline entry and (from the API) its audit entry in one
 * statement: each statement costs the API process and PostgreSQL CPU on every order. Idempotent: a
 * second call writes nothing. Both the API (so the order is readable the moment it is acknowledged)
 * and the workflow's first activity call it, in either order, so the audit entry is keyed on the
 * order rather than on who inserted it. Answers the order's status as it now stands.
 */
export async function persistOrder(db: Db, input: OrderInput, audit?: OrderAudit): Promise<OrderStatus> {
  const [recorded] = await persistOrders(db, [{ input, audit }]);
  return recorded!.status!;
}

/**
 * The API's orders: those that arrive while one statement is on its way are recorded together in
 * the next (db/batches.ts), as persistOrder records one, each with the claim of its key and the
 * answer a retry with the key gets: one commit per order, or fewer under load.
 */
export function createOrderWrites(db: Db) {
  const write = batchedWrites((orders: OrderRecord[]) => persistOrders(db, orders));
  return { record: (order: OrderRecord): Promise<RecordedOrder> => write(order) };
}

/** The status an order is recorded in, and a new order's answer says. */
export const FIRST_ORDER_STATUS: OrderStatus = 'awaiting_payment';

async function persistOrders(db: Db, orders: OrderRecord[]): Promise<RecordedOrder[]> {
  // One order twice in one batch (its key sent twice at once): the first records it and claims the key.
  const first = new Map<string, OrderRecord>();
  for (const o of orders) if (!first.has(o.input.orderId)) first.set(o.input.orderId, o);
  const unique = [...first.values()];
  const claims = unique.flatMap((o) => (o.claim ? [o.claim] : []));
  const rows = unique.map(({ input, claim }) => ({
    id: input.orderId,
    partner_id: input.partnerId,
    customer_id: input.customerId,
    created_by: input.createdByAgentId ?? null,
    payment_method: input.paymentMethod,
    amount: input.total.amount,
    currency: input.total.currency,
    workflow_id: workflowIds.order(input.orderId),
    lines: input.lineItems.map((l) => ({ id: l.lineItemId, position: l.position, product_id: l.productId, quantity: l.quantity, unit_price: l.unitPrice })),
    claim_agent: claim?.claim.agentId ?? null,
    claim_key: claim?.claim.key ?? null,
  }));
  const audits = unique.flatMap(({ input, audit }) =>
    audit ? [{ agentId: audit.agentId, partnerId: audit.partnerId, action: 'order.create', target: { type: 'order', id: input.orderId }, data: audit.data as Prisma.InputJsonValue }] : [],
  );
  // The workflow's first activity finds the order the API recorded: the statement answers its status
  // itself; only an order whose insert raced another's is read again.
  const found = await queryRows<{ id: string; status: OrderStatus | null; claimed: boolean }>(
    db,
    Prisma.sql`
    WITH input AS (${batchRows(rows, 'id uuid, partner_id uuid, customer_id uuid, created_by uuid, payment_method text, amount numeric, currency text, workflow_id text, lines jsonb, claim_agent uuid, claim_key text')}
    ), claimed AS (${claimOnceSql(claims)}
    ), recordable AS (
      -- An order that claims a key is recorded only if its claim was taken.
      SELECT * FROM input i WHERE i.claim_key IS NULL OR EXISTS (SELECT 1 FROM claimed c WHERE c.agent_id = i.claim_agent AND c.key = i.claim_key)
    ), new_order AS (
      INSERT INTO orders (id, partner_id, customer_id, created_by_agent_id, status, payment_method, total_amount, currency, workflow_id)
      SELECT id, partner_id, customer_id, created_by, ${FIRST_ORDER_STATUS}::order_status, payment_method, amount, currency, workflow_id FROM recordable
      -- Rows locked in one order by every writer: two processes recording the same orders at once
      -- wait on each other instead of deadlocking.
      ORDER BY id
      ON CONFLICT (id) DO NOTHING
      RETURNING id, status
    ), new_lines AS (
      INSERT INTO order_line_items (id, order_id, position, product_id, quantity, unit_price)
      SELECT l.id, o.id, l.position, l.product_id, l.quantity, l.unit_price
        FROM new_order o JOIN input i ON i.id = o.id,
             jsonb_to_recordset(i.lines) AS l(id uuid, position int, product_id text, quantity int, unit_price numeric)
      ON CONFLICT DO NOTHING
    ), first_event AS (
      INSERT INTO order_events (order_id, status, detail, dedupe_key)
      SELECT id, ${FIRST_ORDER_STATUS}::order_status, 'Order received', 'received' FROM new_order
      ON CONFLICT DO NOTHING
    -- Not by a duplicate whose claim was refused: its statement may have begun before the first
    -- committed, and then its own check cannot see the first's entry.
    ), audit AS (${auditOnceSql(audits, Prisma.sql`SELECT id::text FROM recordable`)}
    )
    SELECT i.id::text AS id, coalesce(n.status, o.status)::text AS status, c.key IS NOT NULL AS claimed
      FROM input i
      LEFT JOIN new_order n ON n.id = i.id
      LEFT JOIN orders o ON o.id = i.id AND n.id IS NULL
      LEFT JOIN claimed c ON c.agent_id = i.claim_agent AND c.key = i.claim_key`,
    'INSERT orders',
  );
  const recorded = new Map(found.map((r) => [r.id.toLowerCase(), r]));
  return Promise.all(
    orders.map(async (order) => {
      const row = recorded.get(order.input.orderId.toLowerCase());
      if (order.claim && !(first.get(order.input.orderId) === order && row?.claimed)) return { status: row?.status ?? undefined, claimed: false };
      const status = row?.status ?? (await readStatus(db, order.input.orderId));
      if (!status) throw new Error(`order ${order.input.orderId} could not be recorded`);
      return { status, claimed: order.claim !== undefined };
    }),
  );
}

/**
 * A statement of its own: when a concurrent first insert commits while ours waits on its conflict,
 * our statement's snapshot is older than that commit and no part of it can see the row.
 */
async function readStatus(db: Db, orderId: string): Promise<OrderStatus | undefined> {
  const [row] = await queryRows<{ status: OrderStatus }>(db, Prisma.sql`SELECT status::text AS status FROM orders WHERE id = ${orderId}::uuid`);
  return row?.status;
}

/** A timeline entry that does not move the order (a payment retried, a step of provisioning). */
export async function appendOrderEvent(db: Db, entry: { orderId: string; status: OrderStatus; detail: string; eventKey: string }): Promise<void> {
  await db.orderEvent.createMany({ data: [{ orderId: entry.orderId, status: entry.status, detail: entry.detail, dedupeKey: entry.eventKey }], skipDuplicates: true });
}

/**
 * Moves the order and adds its timeline entry, together: one statement (both writes commit or
 * neither does), run twice by every order's workflow. An order that does not exist fails the
 * activity (retried) instead of passing silently.
 */
export async function changeOrderStatus(db: Db, change: OrderStatusChange): Promise<void> {
  const [row] = await queryRows<{ moved: number }>(
    db,
    Prisma.sql`
    WITH moved AS (
      UPDATE orders
         SET status = ${change.status}::order_status,
             payment_id = coalesce(${change.paymentId ?? null}::text, payment_id),
             failure_reason = coalesce(${change.failureReason ?? null}::text, failure_reason),
             updated_at = now()
       WHERE id = ${change.orderId}::uuid
      RETURNING id
    ), entry AS (
      INSERT INTO order_events (order_id, status, detail, dedupe_key)
      SELECT id, ${change.status}::order_status, ${change.detail}, ${change.eventKey} FROM moved
      ON CONFLICT DO NOTHING
    )
    SELECT count(*)::int AS moved FROM moved`,
  );
  if (!row?.moved) throw new Error(`order ${change.orderId} not found`);
}

/** The payment taken for the order, remembered as soon as the provider answers. */
export async function setOrderPayment(db: Db, orderId: string, paymentId: string): Promise<void> {
  const updated = await execute(db, Prisma.sql`UPDATE orders SET payment_id = ${paymentId}, updated_at = now() WHERE id = ${orderId}::uuid`);
  if (updated !== 1) throw new Error(`order ${orderId} not found`);
}

/** The order is cancelled once every one of its subscriptions is. */
export async function cancelOrderIfFullyCancelled(db: Db, orderId: string): Promise<boolean> {
  const open = await db.softwareSubscription.count({ where: { orderId, status: { not: 'cancelled' } } });
  if (open > 0) return false;
  await changeOrderStatus(db, { orderId, status: 'cancelled', detail: 'Every subscription of the order was cancelled', eventKey: 'cancelled' });
  return true;
}
