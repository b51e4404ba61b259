import type { Money, OrderLineInput, OrderStatus, PurchaseInput } from '../common/domain.ts';
import { ErrorType } from '../common/errors.ts';
import type { Db } from '../db/client.ts';
import { isUniqueViolation } from '../db/client.ts';
import { appendOrderEvent, persistOrder } from '../db/orders.ts';
import { KeyAuthorityRefusedError, type KeyAuthority } from '../providers/keys.ts';
import { PaymentDeclinedError, RefundRejectedError, type PaymentProvider } from '../providers/payments.ts';
import { businessFailure } from './failures.ts';
import { randomUUID } from 'node:crypto';

export interface OrderActivityDeps {
  db: Db;
  payments: PaymentProvider;
  keys: KeyAuthority;
}

export interface StatusChange {
  orderId: string;
  status: OrderStatus;
  detail: string;
  /** Names the timeline entry, so a retry does not add it twice. */
  eventKey: string;
  paymentId?: string;
  failureReason?: string;
}

export function createOrderActivities({ db, payments, keys }: OrderActivityDeps) {
  return {
    async recordOrder(input: PurchaseInput): Promise<void> {
      await persistOrder(db, input);
    },

    async setOrderStatus(change: StatusChange): Promise<void> {
      await db.$transaction(async (tx) => {
        await tx.order.update({
          where: { id: change.orderId },
          data: {
            status: change.status,
            ...(change.paymentId ? { paymentId: change.paymentId } : {}),
            ...(change.failureReason ? { failureReason: change.failureReason } : {}),
          },
        });
        await tx.orderEvent.createMany({
          data: [{ orderId: change.orderId, status: change.status, detail: change.detail, dedupeKey: change.eventKey }],
          skipDuplicates: true,
        });
      });
    },

    async appendTimeline(entry: { orderId: string; status: OrderStatus; detail: string; eventKey: string }): Promise<void> {
      await appendOrderEvent(db, entry.orderId, entry.status, entry.detail, entry.eventKey);
    },

    /** One charge per order, whatever the number of attempts: the provider's idempotency key is the order id. */
    async chargePayment(request: { orderId: string; method: string; amount: Money }) {
      try {
        const result = await payments.charge({
          idempotencyKey: `order:${request.orderId}`,
          reference: request.orderId,
          method: request.method,
          amount: request.amount,
        });
        await db.order.update({ where: { id: request.orderId }, data: { paymentId: result.paymentId } });
        return result;
      } catch (err) {
        if (err instanceof PaymentDeclinedError) throw businessFailure(ErrorType.PaymentDeclined, err.message);
        throw err;
      }
    },

    async voidPayment(request: { paymentId: string }): Promise<void> {
      await payments.void(request.paymentId);
    },

    async refundPayment(request: { paymentId: string; amount: Money; idempotencyKey: string }): Promise<{ refundId: string }> {
      try {
        return await payments.refund(request);
      } catch (err) {
        if (err instanceof RefundRejectedError) throw businessFailure(ErrorType.RefundExceedsPayment, err.message);
        throw err;
      }
    },

    /** One subscription per line item; the line item id is the idempotency key. */
    async provisionSubscription(request: { orderId: string; partnerId: string; customerId: string; line: OrderLineInput }): Promise<{ subscriptionId: string }> {
      const existing = await db.softwareSubscription.findUnique({ where: { lineItemId: request.line.lineItemId } });
      if (existing) return { subscriptionId: existing.id };
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
        return { subscriptionId: created.id };
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
        const raced = await db.softwareSubscription.findUniqueOrThrow({ where: { lineItemId: request.line.lineItemId } });
        return { subscriptionId: raced.id };
      }
    },

    /**
     * Gets the subscription's key from the key authority and stores it. Only the key's id leaves
     * the activity: the key itself never enters workflow history.
     */
    async issueProductKey(request: { subscriptionId: string; productId: string }): Promise<{ productKeyId: string }> {
      const stored = await db.productKey.findUnique({ where: { subscriptionId: request.subscriptionId } });
      if (stored) return { productKeyId: stored.id };
      let issued;
      try {
        issued = await keys.issue({ idempotencyKey: `subscription:${request.subscriptionId}`, productId: request.productId });
      } catch (err) {
        if (err instanceof KeyAuthorityRefusedError) throw businessFailure(ErrorType.KeyAuthorityRefused, err.message);
        throw err;
      }
      const row = await db.productKey.upsert({
        where: { subscriptionId: request.subscriptionId },
        create: { id: randomUUID(), subscriptionId: request.subscriptionId, authorityKeyId: issued.authorityKeyId, value: issued.value, status: 'active' },
        update: {},
      });
      return { productKeyId: row.id };
    },

    /** Revokes the subscription's key at the authority, then in the read model; a no-op when there is none. */
    async revokeProductKey(request: { subscriptionId: string }): Promise<{ revoked: boolean }> {
      const key = await db.productKey.findUnique({ where: { subscriptionId: request.subscriptionId } });
      if (!key) return { revoked: false };
      await keys.revoke(key.authorityKeyId);
      if (key.status !== 'revoked') {
        await db.productKey.update({ where: { id: key.id }, data: { status: 'revoked', revokedAt: new Date() } });
      }
      return { revoked: true };
    },

    async cancelSubscriptions(request: { subscriptionIds: string[] }): Promise<void> {
      await db.softwareSubscription.updateMany({
        where: { id: { in: request.subscriptionIds }, status: { not: 'cancelled' } },
        data: { status: 'cancelled', cancelledAt: new Date() },
      });
    },
  };
}
