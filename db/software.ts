import { randomUUID } from 'node:crypto';
import type { OrderLineInput, SubscriptionStatus } from '../common/domain.ts';
import { Prisma, type Db } from './client.ts';
import { insertOnce, queryRows } from './statements.ts';

/*
 * The one module that writes `software_subscriptions` and `product_keys`: what a customer bought
 * (one subscription per line item) and the key it holds. A subscription is
 *   active                  provisioned by its order's workflow (createSubscription);
 *   cancellation_requested  a refund case was filed for it (requestCancellation, in the filing's
 *                           transaction), and back to active if the case is rejected or the filing
 *                           is taken back (setSubscriptionStatus, withdrawCancellationRequest);
 *   cancelled               the case was approved, or the order failed after provisioning.
 */

type Tx = Prisma.TransactionClient;

/** One subscription per line item; the line item is the idempotency key. One statement, run by every order. */
export async function createSubscription(db: Db, request: { orderId: string; partnerId: string; customerId: string; line: OrderLineInput }): Promise<string> {
  const row = await insertOnce<{ id: string }>(
    db,
    Prisma.sql`
    INSERT INTO software_subscriptions (id, order_id, line_item_id, partner_id, customer_id, product_id, quantity, status)
    VALUES (${randomUUID()}::uuid, ${request.orderId}::uuid, ${request.line.lineItemId}::uuid, ${request.partnerId}::uuid, ${request.customerId}::uuid,
            ${request.line.productId}, ${request.line.quantity}::int, 'active')
    ON CONFLICT (line_item_id) DO NOTHING
    RETURNING id::text`,
    Prisma.sql`SELECT id::text FROM software_subscriptions WHERE line_item_id = ${request.line.lineItemId}::uuid`,
  );
  if (!row) throw new Error(`subscription for line item ${request.line.lineItemId} could not be recorded`);
  return row.id;
}

export async function setSubscriptionStatus(db: Db, subscriptionId: string, status: SubscriptionStatus): Promise<void> {
  await db.softwareSubscription.update({ where: { id: subscriptionId }, data: { status, cancelledAt: status === 'cancelled' ? new Date() : null } });
}

export async function cancelSubscriptions(db: Db, subscriptionIds: string[]): Promise<void> {
  await db.softwareSubscription.updateMany({ where: { id: { in: subscriptionIds }, status: { not: 'cancelled' } }, data: { status: 'cancelled', cancelledAt: new Date() } });
}

/** Marks an active subscription as having a cancellation under way; false when it is not active (a case is already open). */
export async function requestCancellation(tx: Tx, subscriptionId: string): Promise<boolean> {
  const marked = await tx.softwareSubscription.updateMany({ where: { id: subscriptionId, status: 'active' }, data: { status: 'cancellation_requested' } });
  return marked.count > 0;
}

/** A filing taken back: the subscription is active again. */
export async function withdrawCancellationRequest(tx: Tx, subscriptionId: string): Promise<void> {
  await tx.softwareSubscription.updateMany({ where: { id: subscriptionId, status: 'cancellation_requested' }, data: { status: 'active' } });
}

/** The id of the key a subscription holds, if it has one yet (read on every order's provisioning). */
export async function findProductKeyId(db: Db, subscriptionId: string): Promise<string | undefined> {
  const [row] = await queryRows<{ id: string }>(db, Prisma.sql`SELECT id::text FROM product_keys WHERE subscription_id = ${subscriptionId}::uuid`);
  return row?.id;
}

/** Stores the key the authority issued for a subscription; a second call keeps the first. One statement. */
export async function storeProductKey(db: Db, key: { subscriptionId: string; authorityKeyId: string; value: string }): Promise<string> {
  const row = await insertOnce<{ id: string }>(
    db,
    Prisma.sql`
    INSERT INTO product_keys (id, subscription_id, authority_key_id, value, status)
    VALUES (${randomUUID()}::uuid, ${key.subscriptionId}::uuid, ${key.authorityKeyId}, ${key.value}, 'active')
    ON CONFLICT (subscription_id) DO NOTHING
    RETURNING id::text`,
    Prisma.sql`SELECT id::text FROM product_keys WHERE subscription_id = ${key.subscriptionId}::uuid`,
  );
  if (!row) throw new Error(`the key of subscription ${key.subscriptionId} could not be stored`);
  return row.id;
}

export async function markProductKeyRevoked(db: Db, keyId: string): Promise<void> {
  await db.productKey.updateMany({ where: { id: keyId, status: { not: 'revoked' } }, data: { status: 'revoked', revokedAt: new Date() } });
}
