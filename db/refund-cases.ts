import { createHash, randomUUID } from 'node:crypto';
import type { Decision, Impact, RefundCaseStatus } from '../common/domain.ts';
import { forgetAudit, recordAudit, type AuditEntry } from './audit.ts';
import { isUniqueViolation, type Db, type Prisma } from './client.ts';
import { requestCancellation, withdrawCancellationRequest } from './software.ts';

/*
 * The one module that writes `refund_cases`, `refund_case_events` (a case's timeline) and
 * `refund_case_attachments`. The API files a case (recordFiling) and takes the filing back when its
 * workflow cannot be started (undoFiling); from then on its workflow moves it (recordCaseEvent,
 * moveCaseSla, markCaseOverdue, setPartnerTicket) and agents add comments (addCaseComment).
 * Timeline entries the workflow writes are keyed, so a retried activity writes each one once.
 */

export interface CaseFiling {
  case: {
    id: string;
    partnerId: string;
    customerId: string;
    subscriptionId: string;
    orderId: string;
    createdByAgentId: string;
    workflowId: string;
    issueType: string;
    impact: Impact;
    title: string;
    description: string | null;
    customerReference: string;
    orderReference: string;
    refundReason: string;
    amountRequested: string;
    currency: string;
    contactName: string;
    contactEmail: string;
    contactPhone: string;
    slaDueAt: Date;
  };
  attachments: { fileName: string; contentType: string; content: Buffer<ArrayBuffer> }[];
}

/**
 * Records a filed case in one transaction: the subscription marked as having a cancellation under
 * way, the case in `submitted`, its attachments and its first timeline entry. Answers
 * `already_open` (and writes nothing) when the subscription already has an open case.
 */
export async function recordFiling(db: Db, filing: CaseFiling, audit?: AuditEntry): Promise<'recorded' | 'already_open'> {
  const c = filing.case;
  try {
    return await db.$transaction(async (tx) => {
      if (!(await requestCancellation(tx, c.subscriptionId))) return 'already_open';
      await tx.refundCase.create({ data: { ...c, status: 'submitted' } });
      if (filing.attachments.length) {
        await tx.refundCaseAttachment.createMany({
          data: filing.attachments.map((f) => ({
            id: randomUUID(),
            caseId: c.id,
            fileName: f.fileName,
            contentType: f.contentType,
            sizeBytes: f.content.length,
            sha256: createHash('sha256').update(f.content).digest('hex'),
            content: f.content,
          })),
        });
      }
      await tx.refundCaseEvent.create({
        data: { caseId: c.id, type: 'submitted', actorAgentId: c.createdByAgentId, note: c.refundReason, dedupeKey: 'submitted', data: { attachments: filing.attachments.length } },
      });
      if (audit) await recordAudit(tx, audit);
      return 'recorded';
    });
  } catch (err) {
    if (isUniqueViolation(err)) return 'already_open';
    throw err;
  }
}

/** Takes a filing back entirely (its workflow never started, so nobody would work the case). */
export async function undoFiling(db: Db, caseId: string, subscriptionId: string): Promise<void> {
  await db.$transaction(async (tx) => {
    await forgetAudit(tx, { type: 'refund_case', id: caseId }, 'refund_case.file');
    await tx.refundCaseEvent.deleteMany({ where: { caseId } });
    await tx.refundCaseAttachment.deleteMany({ where: { caseId } });
    await tx.refundCase.delete({ where: { id: caseId } });
    await withdrawCancellationRequest(tx, subscriptionId);
  });
}

export async function setPartnerTicket(db: Db, caseId: string, ticketId: string): Promise<void> {
  await db.refundCase.update({ where: { id: caseId }, data: { externalTicketId: ticketId } });
}

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

/** Moves the case (optionally) and appends one timeline entry, in one transaction. */
export async function recordCaseEvent(db: Db, change: CaseChange): Promise<void> {
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
    const { count } = await tx.refundCaseEvent.createMany({
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
    // A support engineer's decision enters the audit log with the move it made, once (a retried
    // activity finds its entry already written and adds nothing).
    const decision = DECISION_OF[change.eventType];
    if (count === 1 && decision && change.actorAgentId) {
      await recordAudit(tx, {
        agentId: change.actorAgentId,
        partnerId: null,
        action: `refund_case.${decision}`,
        target: { type: 'refund_case', id: change.caseId },
        data: change.approvedAmount ? { approvedAmount: change.approvedAmount } : undefined,
      });
    }
  });
}

/** The decision behind each timeline entry a decision writes. */
const DECISION_OF: Record<string, Decision> = { approved: 'approve', rejected: 'reject', info_requested: 'request_info' };

/** The SLA deadline moved (the time spent waiting on the partner does not count); setting it twice is harmless. */
export async function moveCaseSla(db: Db, caseId: string, slaDueAt: Date): Promise<void> {
  await db.refundCase.updateMany({ where: { id: caseId, overdue: false }, data: { slaDueAt } });
}

/** The SLA ran out: flag the case and escalate it. It is never approved by the clock. */
export async function markCaseOverdue(db: Db, caseId: string): Promise<void> {
  await db.refundCase.updateMany({ where: { id: caseId, overdue: false }, data: { overdue: true, escalatedAt: new Date() } });
  await db.refundCaseEvent.createMany({
    data: [{ caseId, type: 'escalated', note: 'No decision within the SLA: escalated to the support lead.', dedupeKey: 'escalated' }],
    skipDuplicates: true,
  });
}

/** A comment by an agent (support, or the partner answering a request for information). */
/** Records a comment once per `commentId` (one derived from an Idempotency-Key): the same comment sent again is the first one. */
export async function addCaseComment(db: Db, caseId: string, agentId: string, note: string, audit?: AuditEntry, commentId: string = randomUUID()) {
  const dedupeKey = `comment-${commentId}`;
  return db.$transaction(async (tx) => {
    // ON CONFLICT DO NOTHING: the same comment sent twice at once waits for the first and adds nothing.
    const { count } = await tx.refundCaseEvent.createMany({ data: [{ caseId, type: 'comment', actorAgentId: agentId, note, dedupeKey }], skipDuplicates: true });
    if (count === 1 && audit) await recordAudit(tx, audit);
    return tx.refundCaseEvent.findUniqueOrThrow({ where: { caseId_dedupeKey: { caseId, dedupeKey } } });
  });
}
