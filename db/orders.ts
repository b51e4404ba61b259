import type { OrderStatus, PurchaseInput } from '../common/domain.ts';
import { workflowIds } from '../common/messages.ts';
import type { Db } from './client.ts';

/**
 * Writes the order and its line items if they are not there yet. Both the API (so the order is
 * readable the moment it is acknowledged) and the workflow's first activity call it.
 */
export async function persistOrder(db: Db, input: PurchaseInput): Promise<void> {
  await db.order.createMany({
    data: [
      {
        id: input.orderId,
        partnerId: input.partnerId,
        customerId: input.customerId,
        createdByAgentId: input.createdByAgentId ?? null,
        status: 'awaiting_payment',
        paymentMethod: input.paymentMethod,
        totalAmount: input.total.amount,
        currency: input.total.currency,
        workflowId: workflowIds.order(input.orderId),
      },
    ],
    skipDuplicates: true,
  });
  await db.orderLineItem.createMany({
    data: input.lineItems.map((l) => ({
      id: l.lineItemId,
      orderId: input.orderId,
      position: l.position,
      productId: l.productId,
      quantity: l.quantity,
      unitPrice: l.unitPrice,
    })),
    skipDuplicates: true,
  });
  await appendOrderEvent(db, input.orderId, 'awaiting_payment', 'Order received', 'received');
}

/** Timeline entries are keyed so a retried activity writes each one once. */
export async function appendOrderEvent(db: Db, orderId: string, status: OrderStatus, detail: string, dedupeKey: string): Promise<void> {
  await db.orderEvent.createMany({ data: [{ orderId, status, detail, dedupeKey }], skipDuplicates: true });
}
