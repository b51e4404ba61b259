import { Context } from '@temporalio/activity';
import type { Money, OrderInput, OrderLineInput, OrderStatus, SubscriptionStatus } from '../common/domain.ts';
import { ErrorType } from '../common/errors.ts';
import type { Db } from '../db/client.ts';
import { appendOrderEvent, cancelOrderIfFullyCancelled, changeOrderStatus, persistOrder, setOrderPayment, type OrderStatusChange } from '../db/orders.ts';
import { cancelSubscriptions, createSubscription, findProductKeyId, markProductKeyRevoked, setSubscriptionStatus, storeProductKey } from '../db/software.ts';
import { KeyAuthorityRefusedError, type KeyAuthority } from '../providers/keys.ts';
import { PaymentDeclinedError, RefundRejectedError, type PaymentProvider } from '../providers/payments.ts';
import { businessFailure } from './failures.ts';

export interface OrderActivityDeps {
  db: Db;
  payments: PaymentProvider;
  keys: KeyAuthority;
}

export function createOrderActivities({ db, payments, keys }: OrderActivityDeps) {
  return {
    async recordOrder(input: OrderInput): Promise<void> {
      await persistOrder(db, input);
    },

    async setOrderStatus(change: OrderStatusChange): Promise<void> {
      await changeOrderStatus(db, change);
    },

    async appendTimeline(entry: { orderId: string; status: OrderStatus; detail: string; eventKey: string }): Promise<void> {
      await appendOrderEvent(db, entry);
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
        await setOrderPayment(db, request.orderId, result.paymentId);
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
      return { subscriptionId: await createSubscription(db, request) };
    },

    /**
     * Gets the subscription's key from the key authority and stores it. Only the key's id leaves
     * the activity: the key itself never enters workflow history.
     */
    async issueProductKey(request: { subscriptionId: string; productId: string }): Promise<{ productKeyId: string }> {
      // A retry may find the key an earlier attempt stored before its answer was lost, and then does
      // not ask the authority again. A first attempt has nothing to find: it skips the read, which
      // sat on every purchase's path (asking twice would be safe too: the authority answers the
      // same key for the same idempotency key, and the store keeps the first).
      if (Context.current().info.attempt > 1) {
        const stored = await findProductKeyId(db, request.subscriptionId);
        if (stored) return { productKeyId: stored };
      }
      let issued;
      try {
        issued = await keys.issue({ idempotencyKey: `subscription:${request.subscriptionId}`, productId: request.productId });
      } catch (err) {
        if (err instanceof KeyAuthorityRefusedError) throw businessFailure(ErrorType.KeyAuthorityRefused, err.message);
        throw err;
      }
      return { productKeyId: await storeProductKey(db, { subscriptionId: request.subscriptionId, authorityKeyId: issued.authorityKeyId, value: issued.value }) };
    },

    /** Revokes the subscription's key at the authority, then in the read model; a no-op when there is none. */
    async revokeProductKey(request: { subscriptionId: string }): Promise<{ revoked: boolean }> {
      const key = await db.productKey.findUnique({ where: { subscriptionId: request.subscriptionId } });
      if (!key) return { revoked: false };
      await keys.revoke(key.authorityKeyId);
      await markProductKeyRevoked(db, key.id);
      return { revoked: true };
    },

    async cancelSubscriptions(request: { subscriptionIds: string[] }): Promise<void> {
      await cancelSubscriptions(db, request.subscriptionIds);
    },

    async setSubscriptionStatus(request: { subscriptionId: string; status: SubscriptionStatus }): Promise<void> {
      await setSubscriptionStatus(db, request.subscriptionId, request.status);
    },

    /** The order is cancelled once every one of its subscriptions is (the end of a refund case). */
    async cancelOrderIfFullyCancelled(request: { orderId: string }): Promise<{ cancelled: boolean }> {
      return { cancelled: await cancelOrderIfFullyCancelled(db, request.orderId) };
    },
  };
}

export type OrderActivities = ReturnType<typeof createOrderActivities>;
