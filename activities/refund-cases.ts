import type { Prisma } from '../generated/prisma/client.ts';
import type { RefundCaseStatus, SubscriptionStatus } from '../common/domain.ts';
import type { Db } from '../db/client.ts';
import { REFUND_ISSUE_TYPE, type TicketSystem } from '../providers/tickets.ts';

export interface CaseChange {
  caseId: string;
  /** Names the timeline entry so a retried activity writes it once. */
  eventKey: string;
  eventType: string;
  status?: RefundCaseStatus;
  note?: string;
  actorAgentId?: string;
  approvedAmount?: string;
  data?: Prisma.InputJsonValue;
}

export function createRefundCaseActivities({ db, tickets }: { db: Db; tickets: TicketSystem }) {
  return {
    /** Files the ticket on the partner side and remembers its id on the case. */
    async openPartnerTicket(request: { caseId: string; title: string }): Promise<{ ticketId: string }> {
      const ticket = await tickets.open({ idempotencyKey: `refund-case:${request.caseId}`, issueType: REFUND_ISSUE_TYPE, title: request.title, reference: request.caseId });
      await db.refundCase.update({ where: { id: request.caseId }, data: { externalTicketId: ticket.ticketId } });
      return ticket;
    },

    async setPartnerTicketStatus(request: { ticketId: string; status: string }): Promise<void> {
      await tickets.setStatus(request.ticketId, request.status);
    },

    /** Moves the case (optionally) and appends one timeline entry, in one transaction. */
    async recordCaseEvent(change: CaseChange): Promise<void> {
      await db.$transaction(async (tx) => {
        if (change.status || change.approvedAmount) {
          await tx.refundCase.update({
            where: { id: change.caseId },
            data: {
              ...(change.status ? { status: change.status } : {}),
              ...(change.approvedAmount ? { approvedAmount: change.approvedAmount } : {}),
              ...(change.status === 'completed' || change.status === 'rejected' ? { completedAt: new Date() } : {}),
            },
          });
        }
        await tx.refundCaseEvent.createMany({
          data: [
            {
              caseId: change.caseId,
              type: change.eventType,
              note: change.note ?? null,
              actorAgentId: change.actorAgentId ?? null,
              data: change.data ?? undefined,
              dedupeKey: change.eventKey,
            },
          ],
          skipDuplicates: true,
        });
      });
    },

    /** The SLA deadline moved (the time spent waiting on the partner does not count); setting it twice is harmless. */
    async moveCaseSla(request: { caseId: string; slaDueAt: string }): Promise<void> {
      await db.refundCase.updateMany({ where: { id: request.caseId, overdue: false }, data: { slaDueAt: new Date(request.slaDueAt) } });
    },

    /** The SLA ran out: flag the case and escalate it. It is never approved by the clock. */
    async markCaseOverdue(request: { caseId: string }): Promise<void> {
      await db.refundCase.updateMany({ where: { id: request.caseId, overdue: false }, data: { overdue: true, escalatedAt: new Date() } });
      await db.refundCaseEvent.createMany({
        data: [{ caseId: request.caseId, type: 'escalated', note: 'No decision within the SLA: escalated to the support lead.', dedupeKey: 'escalated' }],
        skipDuplicates: true,
      });
    },

    async setSubscriptionStatus(request: { subscriptionId: string; status: SubscriptionStatus }): Promise<void> {
      await db.softwareSubscription.update({
        where: { id: request.subscriptionId },
        data: { status: request.status, cancelledAt: request.status === 'cancelled' ? new Date() : null },
      });
    },

    /** The order is cancelled once every one of its subscriptions is. */
    async cancelOrderIfFullyCancelled(request: { orderId: string }): Promise<{ cancelled: boolean }> {
      const open = await db.softwareSubscription.count({ where: { orderId: request.orderId, status: { not: 'cancelled' } } });
      if (open > 0) return { cancelled: false };
      await db.order.update({ where: { id: request.orderId }, data: { status: 'cancelled' } });
      await db.orderEvent.createMany({
        data: [{ orderId: request.orderId, status: 'cancelled', detail: 'Every subscription of the order was cancelled', dedupeKey: 'cancelled' }],
        skipDuplicates: true,
      });
      return { cancelled: true };
    },
  };
}
