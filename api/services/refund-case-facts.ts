import type { Config } from '../../common/config.ts';
import { moneyOf } from '../../common/money.ts';
import type { Db } from '../../db/client.ts';
import type { RefundCase } from '../../generated/prisma/client.ts';
import { temporalUiLink } from './temporal-ui.ts';

/**
 * What a decision needs beside the ticket: whose purchase it is, what and how much was bought and
 * when, what was already refunded for it, whether it was filed inside the refund window
 * (REFUND_WINDOW after the purchase), and where its workflow is in the Temporal Web UI.
 */
export async function refundCaseFacts(db: Db, config: Config, c: RefundCase) {
  const [partner, customer, sub, refunded] = await Promise.all([
    db.partner.findUniqueOrThrow({ where: { id: c.partnerId }, select: { id: true, name: true } }),
    db.customer.findUniqueOrThrow({ where: { id: c.customerId }, select: { id: true, domain: true, companyName: true } }),
    db.softwareSubscription.findUniqueOrThrow({ where: { id: c.subscriptionId }, include: { product: { select: { id: true, name: true } }, lineItem: { select: { unitPrice: true } } } }),
    db.refundCase.aggregate({ where: { subscriptionId: c.subscriptionId, status: 'completed', id: { not: c.id } }, _sum: { approvedAmount: true } }),
  ]);
  const refundableUntil = new Date(sub.purchasedAt.getTime() + config.refundWindowMs);
  return {
    partner,
    customer,
    product: sub.product,
    quantity: sub.quantity,
    amountPaid: moneyOf(sub.lineItem.unitPrice.times(sub.quantity), c.currency),
    alreadyRefunded: moneyOf(refunded._sum.approvedAmount ?? 0, c.currency),
    purchasedAt: sub.purchasedAt.toISOString(),
    refundableUntil: refundableUntil.toISOString(),
    /** Filed before the window closed. */
    withinRefundWindow: c.createdAt <= refundableUntil,
    temporalUiUrl: temporalUiLink(config, c.workflowId),
  };
}
