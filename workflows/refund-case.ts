import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  getExternalWorkflowHandle,
  patched,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import type { LinkActivities } from '../activities/links.ts';
import type { OrderActivities } from '../activities/orders.ts';
import type { CaseChange, RefundCaseActivities } from '../activities/refund-cases.ts';
import type { DecisionRequest, RefundCaseInput, RefundCaseState } from '../common/domain.ts';
import { ErrorType } from '../common/errors.ts';
import { commentSignal, decideUpdate, refundCaseStateQuery, revokeLinkSignal } from '../common/messages.ts';
import { toCents } from '../common/money.ts';
import { isStorableText, UNSTORABLE_TEXT_MESSAGE } from '../common/text.ts';
import { defaultActivityOptions } from './activity-options.ts';

// What a refund case touches: its own case and ticket, its order's subscription, key and payment,
// and the subscription's download windows.
const cases = proxyActivities<
  Pick<RefundCaseActivities, 'openPartnerTicket' | 'setPartnerTicketStatus' | 'recordCaseEvent' | 'moveCaseSla' | 'markCaseOverdue'>
>(defaultActivityOptions);
const orders = proxyActivities<Pick<OrderActivities, 'setSubscriptionStatus' | 'revokeProductKey' | 'refundPayment' | 'cancelOrderIfFullyCancelled'>>(defaultActivityOptions);
const links = proxyActivities<Pick<LinkActivities, 'revokeSubscriptionLinks'>>(defaultActivityOptions);

function refuse(message: string): never {
  throw ApplicationFailure.create({ type: ErrorType.CaseNotDecidable, message });
}

/**
 * A cancellation is a support ticket: the case waits for a support engineer's decision (an SLA
 * timer escalates it, never approves it). Approval cancels the subscription, revokes its download
 * links and its product key, refunds the approved amount and completes the case, in that order.
 */
export async function refundCaseWorkflow(input: RefundCaseInput): Promise<RefundCaseState> {
  const state: RefundCaseState = { caseId: input.caseId, status: 'submitted', overdue: false, completedSteps: [] };
  let pending: DecisionRequest | undefined;
  let partnerReplied = false;
  let decisions = 0;
  let slaDueAt = Date.parse(input.slaDueAt);

  setHandler(refundCaseStateQuery, () => state);
  setHandler(commentSignal, (comment) => {
    if (comment.fromPartner && state.status === 'info_requested') partnerReplied = true;
  });
  setHandler(
    decideUpdate,
    async (request) => {
      pending = request;
      // Answer once the decision is recorded, so the caller sees the case's new status.
      await condition(() => pending === undefined);
      return state;
    },
    {
      validator: (request) => {
        if (pending) refuse('Another decision on this case is being recorded.');
        if (state.status !== 'in_review') refuse(`The case is ${state.status.replace('_', ' ')} and cannot be decided now.`);
        if (request.decision === 'reject' && !request.note.trim()) refuse('A rejection needs a note.');
        // Text the database cannot store would fail its recording on every attempt: refuse it here,
        // before it reaches history, so the case stays decidable.
        if (!isStorableText(request.note)) refuse(`The note ${UNSTORABLE_TEXT_MESSAGE}.`);
        if (request.decision === 'approve' && request.approvedAmount !== undefined) {
          const cents = toCents(request.approvedAmount);
          if (cents <= 0 || cents > toCents(input.amountRequested.amount)) {
            refuse(`The approved amount must be above 0 and at most the ${input.amountRequested.amount} ${input.amountRequested.currency} requested.`);
          }
        }
      },
    },
  );

  const record = (eventKey: string, eventType: string, extra: Omit<CaseChange, 'caseId' | 'eventKey' | 'eventType'> = {}) =>
    cases.recordCaseEvent({ caseId: input.caseId, eventKey, eventType, ...extra });

  /** The ticket on the partner side; the case is then in review. */
  async function openTicket(): Promise<string> {
    const { ticketId } = await cases.openPartnerTicket({ caseId: input.caseId, title: input.title });
    state.status = 'in_review';
    await record('in_review', 'in_review', { status: 'in_review', note: `Partner ticket ${ticketId} opened; waiting for a support decision.` });
    return ticketId;
  }

  /**
   * Waits for support to approve or reject: the SLA timer flags the case overdue (and never decides
   * it); a request for information waits for the partner's answer, then the case is back in review.
   */
  async function untilDecided(): Promise<'approved' | 'rejected'> {
    for (;;) {
      const decided = state.overdue
        ? (await condition(() => pending !== undefined), true)
        : await condition(() => pending !== undefined, Math.max(slaDueAt - Date.now(), 1));
      if (!decided) {
        state.overdue = true;
        await cases.markCaseOverdue({ caseId: input.caseId });
        continue;
      }
      const decision = pending!;
      const key = `decision-${++decisions}`;
      if (decision.decision === 'request_info') {
        await waitForPartner(decision, key);
        continue;
      }
      if (decision.decision === 'reject') {
        state.status = 'rejected';
        await record(key, 'rejected', { status: 'rejected', note: decision.note, actorAgentId: decision.agentId });
        pending = undefined;
        return 'rejected';
      }
      state.status = 'approved';
      state.approvedAmount = decision.approvedAmount ?? input.amountRequested.amount;
      await record(key, 'approved', {
        status: 'approved',
        note: decision.note,
        actorAgentId: decision.agentId,
        approvedAmount: state.approvedAmount,
        data: { approvedAmount: state.approvedAmount, currency: input.amountRequested.currency },
      });
      return 'approved';
    }
  }

  async function waitForPartner(decision: DecisionRequest, key: string): Promise<void> {
    state.status = 'info_requested';
    partnerReplied = false;
    const askedAt = Date.now();
    await record(key, 'info_requested', { status: 'info_requested', note: decision.note, actorAgentId: decision.agentId });
    pending = undefined;
    await condition(() => partnerReplied);
    state.status = 'in_review';
    // Support cannot decide while it waits on the partner, so that time does not count against
    // its SLA. Added after cases were already running: histories without it replay unchanged.
    if (patched('sla-paused-while-info-requested') && !state.overdue) {
      slaDueAt += Date.now() - askedAt;
      await cases.moveCaseSla({ caseId: input.caseId, slaDueAt: new Date(slaDueAt).toISOString() });
    }
    await record(`${key}-answered`, 'in_review', { status: 'in_review', note: 'The partner answered; back in review.' });
  }

  /** A rejection keeps the software: it is active again, and the partner's ticket says so. */
  async function closeRejected(ticketId: string): Promise<void> {
    await orders.setSubscriptionStatus({ subscriptionId: input.subscriptionId, status: 'active' });
    await cases.setPartnerTicketStatus({ ticketId, status: 'rejected' });
  }

  /**
   * An approval, step by step: the subscription cancelled, its links revoked, its key revoked, the
   * approved amount refunded, then the case completed. Each step is idempotent, so a worker lost
   * midway resumes without doing anything twice.
   */
  async function carryOutApproval(ticketId: string): Promise<void> {
    const step = async (name: string, detail: string, run: () => Promise<unknown>) => {
      await run();
      state.completedSteps.push(name);
      await record(name, name, { note: detail });
    };
    await step('subscription_cancelled', 'The subscription is cancelled.', () =>
      orders.setSubscriptionStatus({ subscriptionId: input.subscriptionId, status: 'cancelled' }),
    );
    await step('links_revoked', 'Every download link of the software is revoked.', async () => {
      const { linkWorkflowIds } = await links.revokeSubscriptionLinks({ subscriptionId: input.subscriptionId });
      for (const workflowId of linkWorkflowIds) {
        // A window that already ended has no workflow to tell; its token is dead in the read model.
        await getExternalWorkflowHandle(workflowId)
          .signal(revokeLinkSignal, { reason: `refund case ${input.caseId} approved` })
          .catch(() => undefined);
      }
    });
    // The approval answers once the software and its links are dead, so the caller can rely on it.
    pending = undefined;
    await step('key_revoked', 'The product key is revoked at the key authority.', () => orders.revokeProductKey({ subscriptionId: input.subscriptionId }));
    if (input.paymentId) {
      const paymentId = input.paymentId;
      await step('refund_issued', `Refund of ${state.approvedAmount} ${input.amountRequested.currency} issued.`, () =>
        orders.refundPayment({
          paymentId,
          amount: { amount: state.approvedAmount!, currency: input.amountRequested.currency },
          idempotencyKey: `refund-case:${input.caseId}`,
        }),
      );
    }
    await orders.cancelOrderIfFullyCancelled({ orderId: input.orderId });
    state.status = 'completed';
    await record('completed', 'completed', { status: 'completed', note: 'Cancellation complete: key revoked, links revoked, refund issued.' });
    await cases.setPartnerTicketStatus({ ticketId, status: 'completed' });
  }

  const ticketId = await openTicket();
  if ((await untilDecided()) === 'rejected') await closeRejected(ticketId);
  else await carryOutApproval(ticketId);
  await condition(allHandlersFinished);
  return state;
}
