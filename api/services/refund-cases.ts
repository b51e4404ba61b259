import { randomUUID } from 'node:crypto';
import { WorkflowIdConflictPolicy, WorkflowNotFoundError, WorkflowUpdateFailedError, WorkflowUpdateStage, type Client } from '@temporalio/client';
import { isDependencyOutage } from '../../infra/outage.ts';
import type { z } from 'zod';
import type { Config } from '../../common/config.ts';
import type { RefundCaseInput } from '../../common/domain.ts';
import { commentSignal, decideUpdate } from '../../common/messages.ts';
import { derivedIds, workflowIds } from '../../common/ids.ts';
import { type refundCaseFilingBody, type commentBody, type decisionBody } from '../../common/schemas.ts';
import type { Caller } from '../auth.ts';
import type { Db } from '../../db/client.ts';
import { addCaseComment, recordFiling, undoFiling } from '../../db/refund-cases.ts';
import type { refundCaseWorkflow } from '../../workflows/refund-case.ts';
import { refundCaseFacts } from './refund-case-facts.ts';
import { caseView, createRefundCaseQueue } from './refund-case-queue.ts';
import type { Rpc } from './rpc.ts';
import { problems } from '../problem.ts';
import { auditEntry } from './audit.ts';
import { assertCancellable, filingOf, sameTicket, validateFiling } from './refund-case-filing.ts';
import type { CustomerService } from './customers.ts';
import { isPartnerStaff, partnerScope } from './scope.ts';

export function createRefundCaseService(deps: { db: Db; temporal: Client; config: Config; customers: CustomerService; rpc: Rpc }) {
  const { db, temporal, config, customers, rpc } = deps;
  const queue = createRefundCaseQueue(db);

  async function findCase(caller: Caller, caseId: string) {
    const found = await db.refundCase.findFirst({ where: { id: caseId, ...partnerScope(caller) } });
    if (!found) throw problems.notFound('refund case');
    return found;
  }

  return {
    list: queue.list,
    everyCase: queue.everyCase,

    /** Files the support ticket of a cancellation and starts its workflow. */
    async file(caller: Caller, customerId: string, subscriptionId: string, body: z.infer<typeof refundCaseFilingBody>, idempotencyKey: string | undefined) {
      const customer = await customers.get(caller, customerId);
      const sub = await db.softwareSubscription.findFirst({
        where: { id: subscriptionId, customerId: customer.id, partnerId: customer.partnerId },
        include: { lineItem: true, order: true },
      });
      if (!sub) throw problems.notFound('software subscription');

      const files = validateFiling(customer, sub, body);

      const caseId = idempotencyKey ? derivedIds.refundCase(caller.agentId, idempotencyKey) : randomUUID();
      const existing = await db.refundCase.findUnique({ where: { id: caseId } });
      // The case id comes from the key: the same ticket sent again (a retry, a double click) carries
      // on with its case, while a key already used for another ticket (other software, amount or
      // reason) must not answer with that earlier case. One key, one ticket.
      if (existing && !sameTicket(existing, sub.id, body)) {
        throw problems.unprocessable('This Idempotency-Key was already used with a different request body.', [{ path: 'Idempotency-Key', message: 'reused with a different request' }]);
      }
      if (!existing) assertCancellable(sub);
      const slaDueAt = new Date(Date.now() + config.refundCaseSlaMs);
      if (!existing) {
        const recorded = await recordFiling(db, filingOf({ caseId, caller, customer, sub, body, files, slaDueAt }), auditEntry(caller, 'refund_case.file', { type: 'refund_case', id: caseId }, { subscriptionId: sub.id, impact: body.impact }));
        if (recorded === 'already_open') throw problems.conflict('refund-case-open', 'A refund case is already open for this software.');
      }
      const input: RefundCaseInput = {
        caseId,
        subscriptionId: sub.id,
        orderId: sub.orderId,
        title: body.title,
        amountRequested: body.amountRequested,
        paymentId: sub.order.paymentId,
        slaDueAt: (existing?.slaDueAt ?? slaDueAt).toISOString(),
      };
      try {
        await rpc(() =>
          temporal.workflow.start<typeof refundCaseWorkflow>('refundCaseWorkflow', {
            taskQueue: config.temporal.interactiveTaskQueue,
            workflowId: workflowIds.refundCase(caseId),
            args: [input],
            workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
          }),
        );
      } catch (err) {
        if (!existing) {
          // Without its workflow nobody would ever work the case: take the filing back.
          await undoFiling(db, caseId, sub.id);
        }
        throw err;
      }
      const now = await db.refundCase.findUniqueOrThrow({ where: { id: caseId }, select: { status: true } });
      return { refundCaseId: caseId, status: now.status };
    },

    async get(caller: Caller, caseId: string) {
      const c = await findCase(caller, caseId);
      const [events, attachments] = await Promise.all([
        db.refundCaseEvent.findMany({ where: { caseId }, orderBy: { id: 'asc' } }),
        db.refundCaseAttachment.findMany({ where: { caseId }, select: { id: true, fileName: true, contentType: true, sizeBytes: true, sha256: true, createdAt: true } }),
      ]);
      const agentIds = [...new Set(events.map((e) => e.actorAgentId).filter((a): a is string => Boolean(a)))];
      const agents = new Map((await db.agent.findMany({ where: { id: { in: agentIds } } })).map((a) => [a.id, a]));
      return {
        ...caseView(c),
        ...(await refundCaseFacts(db, config, c)),
        description: c.description,
        refundReason: c.refundReason,
        customerReference: c.customerReference,
        orderReference: c.orderReference,
        externalTicketId: c.externalTicketId,
        // Contact details are for the people working the case, never for logs.
        contact: { name: c.contactName, email: c.contactEmail, phone: c.contactPhone },
        attachments: attachments.map((a) => ({ ...a, createdAt: a.createdAt.toISOString() })),
        timeline: events.map((e) => {
          const actor = e.actorAgentId ? agents.get(e.actorAgentId) : undefined;
          return {
            at: e.at.toISOString(),
            type: e.type,
            note: e.note,
            actor: actor ? { agentId: actor.id, name: actor.name, role: actor.role } : null,
          };
        }),
      };
    },

    async decide(caller: Caller, caseId: string, body: z.infer<typeof decisionBody>, idempotencyKey?: string) {
      const c = await findCase(caller, caseId);
      const approvedAmount = typeof body.approvedAmount === 'object' ? body.approvedAmount : body.approvedAmount ? { amount: body.approvedAmount, currency: c.currency } : undefined;
      if (approvedAmount && approvedAmount.currency !== c.currency) {
        throw problems.unprocessable('The approved amount is in another currency.', [{ path: 'approvedAmount.currency', message: `must be ${c.currency}` }]);
      }
      let applied: boolean;
      try {
        // Accepted means the validator passed and the decision is in the case's history: it will be
        // carried out whatever happens next. A refused decision fails here, with its reason.
        // A person is waiting on this click: under load give the case's workflow task longer to
        // run the validator than one ordinary call, rather than answer 503.
        const update = await rpc(
          () =>
            temporal.workflow.getHandle(c.workflowId).startUpdate(decideUpdate, {
              args: [{ decision: body.decision, approvedAmount: approvedAmount?.amount, note: body.note, agentId: caller.agentId }],
              waitForStage: WorkflowUpdateStage.ACCEPTED,
              // The same key, the same update: Temporal answers a retried decision with the first one's outcome.
              ...(idempotencyKey ? { updateId: derivedIds.decision(caller.agentId, idempotencyKey) } : {}),
            }),
          { times: 3 },
        );
        // An approval answers once the links are dead; under load that can outlast the deadline,
        // and the caller then learns the decision is accepted and still being carried out (202).
        applied = await rpc(() => update.result()).then(
          () => true,
          (err: unknown) => {
            if (isDependencyOutage(err)) return false; // includes the update call's own deadline
            throw err;
          },
        );
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError) throw problems.conflict('case-not-decidable', (err.cause as Error | undefined)?.message ?? 'The case cannot be decided now.');
        if (err instanceof WorkflowNotFoundError) throw problems.conflict('case-not-decidable', `The case is ${c.status} and cannot be decided now.`);
        throw err;
      }
      return { applied, refundCase: await this.get(caller, caseId) };
    },

    async comment(caller: Caller, caseId: string, body: z.infer<typeof commentBody>, idempotencyKey?: string) {
      const c = await findCase(caller, caseId);
      if (c.status === 'completed' || c.status === 'rejected') throw problems.conflict('case-closed', `The case is ${c.status}; it takes no more comments.`);
      const commentId = idempotencyKey ? derivedIds.comment(caller.agentId, idempotencyKey) : undefined;
      const event = await addCaseComment(db, caseId, caller.agentId, body.note, auditEntry(caller, 'refund_case.comment', { type: 'refund_case', id: caseId }), commentId);
      await rpc(() => temporal.workflow.getHandle(c.workflowId).signal(commentSignal, { note: body.note, agentId: caller.agentId, fromPartner: isPartnerStaff(caller) })).catch(
        (err: unknown) => {
          if (!(err instanceof WorkflowNotFoundError)) throw err;
        },
      );
      return { at: event.at.toISOString(), type: 'comment', note: event.note };
    },
  };
}

