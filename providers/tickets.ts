import { randomUUID } from 'node:crypto';
import type { Db } from '../db/client.ts';
import { isUniqueViolation } from '../db/client.ts';

export const REFUND_ISSUE_TYPE = 'CSP purchase/refund on behalf of customers';

export interface TicketSystem {
  /** Opens a ticket; the same idempotency key returns the same ticket. */
  open(request: { idempotencyKey: string; issueType: string; title: string; reference: string }): Promise<{ ticketId: string }>;
  /** Records the outcome on the partner side; updating to the same status twice is fine. */
  setStatus(ticketId: string, status: string): Promise<void>;
}

/** The partner-side ticket system, kept locally in PostgreSQL. Contact details stay in our database only. */
export class LocalTicketSystem implements TicketSystem {
  constructor(private readonly db: Db) {}

  async open(request: { idempotencyKey: string; issueType: string; title: string; reference: string }): Promise<{ ticketId: string }> {
    const existing = await this.db.partnerTicket.findUnique({ where: { idempotencyKey: request.idempotencyKey } });
    if (existing) return { ticketId: existing.id };
    try {
      const ticket = await this.db.partnerTicket.create({
        data: {
          id: `tkt_${randomUUID().replace(/-/g, '').slice(0, 20)}`,
          idempotencyKey: request.idempotencyKey,
          issueType: request.issueType,
          title: request.title,
          status: 'open',
          payload: { reference: request.reference },
        },
      });
      return { ticketId: ticket.id };
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      return { ticketId: (await this.db.partnerTicket.findUniqueOrThrow({ where: { idempotencyKey: request.idempotencyKey } })).id };
    }
  }

  async setStatus(ticketId: string, status: string): Promise<void> {
    await this.db.partnerTicket.update({ where: { id: ticketId }, data: { status } });
  }
}
