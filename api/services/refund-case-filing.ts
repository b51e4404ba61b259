import { Prisma } from '../../db/client.ts';
import type { z } from 'zod';
import { workflowIds } from '../../common/ids.ts';
import { MAX_ATTACHMENT_BYTES, type refundCaseFilingBody } from '../../common/schemas.ts';
import type { CaseFiling } from '../../db/refund-cases.ts';
import type { Customer, OrderLineItem, Order, RefundCase, SoftwareSubscription } from '../../generated/prisma/client.ts';
import { REFUND_ISSUE_TYPE } from '../../providers/tickets.ts';
import type { Caller } from '../auth.ts';
import { problems, type FieldError } from '../problem.ts';

// Filing a cancellation, in the steps refund-cases.ts#file takes: validate the ticket against the
// software it names, check the Idempotency-Key still names this ticket, then record the filing.

type Filing = z.infer<typeof refundCaseFilingBody>;
type Bought = SoftwareSubscription & { lineItem: OrderLineItem; order: Order };

/** The ticket's references and amount checked against the software; answers its attachments, decoded. */
export function validateFiling(customer: Customer, sub: Bought, body: Filing) {
  const errors: FieldError[] = [];
  const ref = body.customer;
  if ('domain' in ref ? ref.domain !== customer.domain.toLowerCase() : ref.tenantId !== customer.id) {
    errors.push({ path: 'customer', message: `does not match the customer of this software (${customer.domain})` });
  }
  if (body.orderId && body.orderId !== sub.orderId) errors.push({ path: 'orderId', message: 'is not the order this software was bought in' });
  if (body.subscriptionId && body.subscriptionId !== sub.id) errors.push({ path: 'subscriptionId', message: 'is not this software' });
  const paid = sub.lineItem.unitPrice.times(sub.lineItem.quantity);
  if (body.amountRequested.currency !== sub.order.currency) {
    errors.push({ path: 'amountRequested.currency', message: `must be ${sub.order.currency}, the currency of the order` });
  } else if (new Prisma.Decimal(body.amountRequested.amount).greaterThan(paid)) {
    errors.push({ path: 'amountRequested.amount', message: `must be at most ${paid.toFixed(2)} ${sub.order.currency}, what was paid for this software` });
  }
  const files = (body.attachments ?? []).map((a, i) => {
    const content = Buffer.from(a.contentBase64, 'base64');
    if (content.length > MAX_ATTACHMENT_BYTES) errors.push({ path: `attachments.${i}.contentBase64`, message: 'the file is larger than 2 MiB' });
    return { ...a, content };
  });
  if (errors.length) throw problems.unprocessable('The cancellation request has errors.', errors);
  return files;
}

/** Whether a new case may be opened for this software now (409 with the reason otherwise). */
export function assertCancellable(sub: { status: string; order: { status: string; paymentId: string | null } }): void {
  if (sub.status === 'cancellation_requested') throw problems.conflict('refund-case-open', 'A refund case is already open for this software.');
  if (sub.status !== 'active') throw problems.conflict('not-cancellable', `This software is already ${sub.status}.`);
  // Until the order is active its keys are still being issued: a key issued after this case
  // revoked "all the keys" would outlive the cancellation.
  if (sub.order.status !== 'active') throw problems.conflict('not-cancellable', `This purchase is still ${sub.order.status.replace('_', ' ')}; it can be cancelled once the order is active.`);
  if (!sub.order.paymentId) throw problems.conflict('not-cancellable', 'This software has no captured payment to refund.');
}

export function sameTicket(c: RefundCase, subscriptionId: string, body: Filing): boolean {
  return (
    c.subscriptionId === subscriptionId &&
    c.title === body.title &&
    c.refundReason === body.refundReason &&
    c.impact === body.impact &&
    c.amountRequested.equals(body.amountRequested.amount) &&
    (c.description ?? undefined) === body.description
  );
}

/** What recordFiling stores for a validated ticket. */
export function filingOf(f: { caseId: string; caller: Caller; customer: Customer; sub: Bought; body: Filing; files: CaseFiling['attachments']; slaDueAt: Date }): CaseFiling {
  const { caseId, caller, customer, sub, body } = f;
  const ref = body.customer;
  return {
    case: {
      id: caseId,
      partnerId: customer.partnerId,
      customerId: customer.id,
      subscriptionId: sub.id,
      orderId: sub.orderId,
      createdByAgentId: caller.agentId,
      workflowId: workflowIds.refundCase(caseId),
      issueType: REFUND_ISSUE_TYPE,
      impact: body.impact,
      title: body.title,
      description: body.description ?? null,
      customerReference: 'domain' in ref ? ref.domain : ref.tenantId,
      orderReference: body.orderId ?? body.subscriptionId!,
      refundReason: body.refundReason,
      amountRequested: body.amountRequested.amount,
      currency: body.amountRequested.currency,
      contactName: body.contact.name,
      contactEmail: body.contact.email,
      contactPhone: body.contact.phone,
      slaDueAt: f.slaDueAt,
    },
    attachments: f.files,
  };
}
