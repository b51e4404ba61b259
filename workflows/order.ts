import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { OrderActivities } from '../activities/orders.ts';
import type { OrderState, OrderStatus, OrderInput } from '../common/domain.ts';
import { ErrorType } from '../common/errors.ts';
import { orderSearchAttributes, orderStateQuery, paymentEventSignal, searchAttributes, type PaymentEvent } from '../common/messages.ts';
import { defaultActivityOptions, provisioningActivityOptions } from './activity-options.ts';

// What an order touches: its own activities only.
const acts = proxyActivities<
  Pick<OrderActivities, 'recordOrder' | 'setOrderStatus' | 'appendTimeline' | 'chargePayment' | 'voidPayment' | 'revokeProductKey' | 'cancelSubscriptions' | 'refundPayment'>
>(defaultActivityOptions);
const provisioning = proxyActivities<Pick<OrderActivities, 'provisionSubscription' | 'issueProductKey'>>(provisioningActivityOptions);

function failureType(err: unknown): string | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof ApplicationFailure ? (cause.type ?? undefined) : undefined;
}

function failureMessage(err: unknown): string {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof Error ? cause.message : String(cause);
}

/**
 * Purchase to activation: record the order, take payment (waiting up to the confirmation deadline
 * for an asynchronous one), provision one subscription and key per line item, and on a
 * provisioning failure undo it all (revoke keys, refund) before ending in `failed`.
 */
export async function orderWorkflow(input: OrderInput): Promise<OrderState> {
  const state: OrderState = { orderId: input.orderId, status: 'awaiting_payment', subscriptionIds: [] };
  let paymentEvent: PaymentEvent | undefined;

  setHandler(orderStateQuery, () => state);
  setHandler(paymentEventSignal, (event) => {
    // The first settlement wins; the provider's retries of the same webhook change nothing.
    paymentEvent ??= event;
  });
  upsertSearchAttributes(orderSearchAttributes(input));

  async function transition(status: OrderStatus, detail: string, extra: { failureReason?: string } = {}) {
    state.status = status;
    upsertSearchAttributes([{ key: searchAttributes.orderStatus, value: status }]);
    await acts.setOrderStatus({
      orderId: input.orderId,
      status,
      detail,
      eventKey: status,
      paymentId: state.paymentId,
      ...extra,
    });
  }

  await acts.recordOrder(input);

  let charge;
  try {
    charge = await acts.chargePayment({ orderId: input.orderId, method: input.paymentMethod, amount: input.total });
  } catch (err) {
    if (failureType(err) !== ErrorType.PaymentDeclined) throw err;
    state.failureReason = failureMessage(err);
    await transition('payment_failed', `Payment declined: ${state.failureReason}`, { failureReason: state.failureReason });
    return state;
  }
  state.paymentId = charge.paymentId;

  if (charge.status === 'pending') {
    await acts.appendTimeline({
      orderId: input.orderId,
      status: 'awaiting_payment',
      detail: `Payment ${charge.paymentId} pending: waiting for the provider's confirmation`,
      eventKey: 'payment-pending',
    });
    const settled = await condition(() => paymentEvent !== undefined, input.paymentConfirmationDeadlineMs);
    if (!settled) {
      await acts.voidPayment({ paymentId: charge.paymentId });
      state.failureReason = 'payment was not confirmed before the deadline';
      await transition('expired', 'Payment not confirmed before the deadline; authorization voided', {
        failureReason: state.failureReason,
      });
      return state;
    }
    if (paymentEvent?.type === 'payment.failed') {
      state.failureReason = `payment failed (provider event ${paymentEvent.eventId})`;
      await transition('payment_failed', `Payment failed: provider event ${paymentEvent.eventId}`, { failureReason: state.failureReason });
      return state;
    }
  }

  await transition('provisioning', `Payment ${charge.paymentId} captured; provisioning ${input.lineItems.length} item(s)`);

  try {
    for (const line of input.lineItems) {
      const { subscriptionId } = await provisioning.provisionSubscription({
        orderId: input.orderId,
        partnerId: input.partnerId,
        customerId: input.customerId,
        line,
      });
      state.subscriptionIds.push(subscriptionId);
      await provisioning.issueProductKey({ subscriptionId, productId: line.productId });
    }
  } catch (err) {
    // Saga: undo in reverse order. Each step is idempotent, so a crash here resumes safely.
    const reason = failureMessage(err);
    for (const subscriptionId of [...state.subscriptionIds].reverse()) {
      await acts.revokeProductKey({ subscriptionId });
    }
    await acts.cancelSubscriptions({ subscriptionIds: state.subscriptionIds });
    await acts.refundPayment({ paymentId: charge.paymentId, amount: input.total, idempotencyKey: `order:${input.orderId}:compensation` });
    state.failureReason = `provisioning failed: ${reason}`;
    await transition('failed', `Provisioning failed (${reason}); issued keys revoked and payment refunded`, {
      failureReason: state.failureReason,
    });
    return state;
  }

  await transition('active', `${state.subscriptionIds.length} subscription(s) active with product keys`);
  return state;
}
