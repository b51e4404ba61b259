import { createHmac, timingSafeEqual } from 'node:crypto';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { paymentEventSignal } from '../../common/messages.ts';
import { workflowIds } from '../../common/ids.ts';
import { paymentWebhookBody } from '../../common/schemas.ts';
import { isUniqueViolation, type Db } from '../../db/client.ts';
import { HttpProblem, problems, zodErrors } from '../problem.ts';
import type { Rpc } from './rpc.ts';

export function signPaymentWebhook(secret: string, rawBody: Buffer | string): string {
  return createHmac('sha256', secret).update(rawBody).digest('hex');
}

function signatureMatches(secret: string, rawBody: Buffer, header: string | undefined): boolean {
  if (!header) return false;
  const presented = header.trim().replace(/^sha256=/, '');
  if (!/^[a-f0-9]{64}$/i.test(presented)) return false;
  const expected = Buffer.from(signPaymentWebhook(secret, rawBody), 'hex');
  return timingSafeEqual(expected, Buffer.from(presented, 'hex'));
}

export function createPaymentService(deps: { db: Db; temporal: Client; secret: string; rpc: Rpc }) {
  const { db, temporal, secret, rpc } = deps;
  return {
    /** Verifies, deduplicates by eventId, then hands the event to the order's workflow. */
    async paymentEvent(rawBody: Buffer, signature: string | undefined) {
      if (!signatureMatches(secret, rawBody, signature)) {
        throw new HttpProblem('bad-signature', 'The Payment-Signature header is missing or does not match the body.');
      }
      let json: unknown;
      try {
        json = JSON.parse(rawBody.toString('utf8'));
      } catch {
        throw problems.badRequest('The request body is not valid JSON.');
      }
      const parsed = paymentWebhookBody.safeParse(json);
      if (!parsed.success) throw problems.unprocessable('The payment event is malformed.', zodErrors(parsed.error));
      const event = parsed.data;
      const order = await db.order.findUnique({ where: { id: event.orderId }, select: { id: true } });
      if (!order) throw problems.notFound('order');
      try {
        await db.processedWebhookEvent.create({ data: { eventId: event.eventId, orderId: event.orderId, type: event.type } });
      } catch (err) {
        if (isUniqueViolation(err)) return { received: true, duplicate: true };
        throw err;
      }
      try {
        await rpc(() =>
          temporal.workflow.getHandle(workflowIds.order(event.orderId)).signal(paymentEventSignal, { eventId: event.eventId, type: event.type }),
        );
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return { received: true, duplicate: false, note: 'the order is no longer waiting for payment' };
        // Not delivered: forget the event so the provider's retry is processed.
        await db.processedWebhookEvent.delete({ where: { eventId: event.eventId } });
        throw err;
      }
      return { received: true, duplicate: false };
    },
  };
}
