import { randomUUID } from 'node:crypto';
import type { OrderLineInput, SubscriptionStatus } from '../common/domain.ts';
import { isUniqueViolation, type Db, type Prisma } from './client.ts';

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

/** One subscription per line item; the line item is the idempotency key. */
export async function createSubscription(db: Db, request: { orderId: string; partnerId: string; customerId: string; line: OrderLineInput }): Promise<string> {
  const existing = await db.softwareSubscription.findUnique({ where: { lineItemId: request.line.lineItemId } });
  if (existing) return existing.id;
  try {
    const created = await db.softwareSubscription.create({
      data: {
        id: randomUUID(),
        orderId: request.orderId,
        lineItemId: request.line.lineItemId,
        partnerId: request.partnerId,
        customerId: request.customerId,
        productId: request.line.productId,
        quantity: request.line.quantity,
        status: 'active',
      },
    });
    return created.id;
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    return (await db.softwareSubscription.findUniqueOrThrow({ where: { lineItemId: request.line.lineItemId } })).id;
  }
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

/** Stores the key the authority issued for a subscription; a second call keeps the first. */
export async function storeProductKey(db: Db, key: { subscriptionId: string; authorityKeyId: string; value: string }): Promise<string> {
  const row = await db.productKey.upsert({ where: { subscriptionId: key.subscriptionId }, create: { id: randomUUID(), ...key, status: 'active' }, update: {} });
  return row.id;
}

export async function markProductKeyRevoked(db: Db, keyId: string): Promise<void> {
  await db.productKey.updateMany({ where: { id: keyId, status: { not: 'revoked' } }, data: { status: 'revoked', revokedAt: new Date() } });
}
