import type { Db } from '../db/client.ts';
import { markCaseOverdue, moveCaseSla, recordCaseEvent, setPartnerTicket, type CaseChange } from '../db/refund-cases.ts';
import { REFUND_ISSUE_TYPE, type TicketSystem } from '../providers/tickets.ts';

export function createRefundCaseActivities({ db, tickets }: { db: Db; tickets: TicketSystem }) {
  return {
    /** Files the ticket on the partner side and remembers its id on the case. */
    async openPartnerTicket(request: { caseId: string; title: string }): Promise<{ ticketId: string }> {
      const ticket = await tickets.open({ idempotencyKey: `refund-case:${request.caseId}`, issueType: REFUND_ISSUE_TYPE, title: request.title, reference: request.caseId });
      await setPartnerTicket(db, request.caseId, ticket.ticketId);
      return ticket;
    },

    async setPartnerTicketStatus(request: { ticketId: string; status: string }): Promise<void> {
      await tickets.setStatus(request.ticketId, request.status);
    },

    async recordCaseEvent(change: CaseChange): Promise<void> {
      await recordCaseEvent(db, change);
    },

    async moveCaseSla(request: { caseId: string; slaDueAt: string }): Promise<void> {
      await moveCaseSla(db, request.caseId, new Date(request.slaDueAt));
    },

    async markCaseOverdue(request: { caseId: string }): Promise<void> {
      await markCaseOverdue(db, request.caseId);
    },
  };
}

export type { CaseChange };
export type RefundCaseActivities = ReturnType<typeof createRefundCaseActivities>;
