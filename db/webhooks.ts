import type { WebhookEventType } from '../common/domain.ts';
import { recordAudit, type AuditEntry } from './audit.ts';
import type { Db, Prisma } from './client.ts';
import type { WebhookEndpoint } from '../generated/prisma/client.ts';

/*
 * The one module that writes `webhook_endpoints` and `webhook_deliveries`. `webhook_events` and the
 * first row of each delivery are written by the database's triggers (migration 20261202060000), in
 * the transaction of the change they report: an order's, a window's, a case's or a key's status.
 * A delivery is
 *   pending    waiting for its attempt (next_attempt_at), behind the earlier pending deliveries of
 *              its customer at its endpoint, so a customer's events arrive in the order they happened;
 *   delivered  its receiver answered 2xx;
 *   failed     retries ran out (retry_until), the receiver answered 410 (which also disables the
 *              endpoint), or the endpoint was deleted. A redelivery makes it pending again.
 * The endpoint's delivery workflow (workflows/webhook.ts) is the only one that attempts it.
 */

type Tx = Prisma.TransactionClient;

/** Retries wait twice as long each time, but never longer than this, so a receiver back up hears within hours. */
export const MAX_RETRY_INTERVAL_MS = 6 * 3600 * 1000;

export interface NewEndpoint {
  id: string;
  partnerId: string;
  url: string;
  description: string | null;
  eventTypes: WebhookEventType[];
  secretSealed: string;
  createdByAgentId: string;
}

async function audited<T>(db: Db, audit: AuditEntry | undefined, write: (tx: Tx) => Promise<T>): Promise<T> {
  return db.$transaction(async (tx) => {
    const result = await write(tx);
    if (audit) await recordAudit(tx, audit);
    return result;
  });
}

export function createEndpoint(db: Db, endpoint: NewEndpoint, audit?: AuditEntry): Promise<WebhookEndpoint> {
  return audited(db, audit, (tx) => tx.webhookEndpoint.create({ data: { ...endpoint, status: 'enabled' } }));
}

/** Stops deliveries to the endpoint (its pending ones wait); `reason` says who or what disabled it. */
export async function disableEndpoint(db: Db, endpointId: string, reason: string, audit?: AuditEntry): Promise<void> {
  await audited(db, audit, (tx) => tx.webhookEndpoint.updateMany({ where: { id: endpointId, status: 'enabled' }, data: { status: 'disabled', disabledReason: reason } }));
}

export async function enableEndpoint(db: Db, endpointId: string, audit?: AuditEntry): Promise<void> {
  await audited(db, audit, (tx) => tx.webhookEndpoint.updateMany({ where: { id: endpointId, status: 'disabled' }, data: { status: 'enabled', disabledReason: null } }));
}

/** Removes the endpoint and its deliveries (its workflow sees it gone and ends). */
export async function deleteEndpoint(db: Db, endpointId: string, audit?: AuditEntry): Promise<void> {
  await audited(db, audit, (tx) => tx.webhookEndpoint.deleteMany({ where: { id: endpointId } }));
}

/** The new secret signs from now on; the old one signs too (a second signature) until `graceUntil`. */
export async function rotateEndpointSecret(db: Db, endpointId: string, secretSealed: string, graceUntil: Date, audit?: AuditEntry): Promise<void> {
  await audited(db, audit, async (tx) => {
    const current = await tx.webhookEndpoint.findUniqueOrThrow({ where: { id: endpointId }, select: { secretSealed: true } });
    await tx.webhookEndpoint.update({ where: { id: endpointId }, data: { secretSealed, previousSecretSealed: current.secretSealed, previousSecretExpiresAt: graceUntil } });
  });
}

/** One delivery to attempt: the head of its customer's queue at the endpoint, due now. */
export interface DueDelivery {
  id: string;
  eventId: string;
  eventType: string;
  partnerId: string;
  data: Prisma.JsonValue;
  occurredAt: Date;
  attempts: number;
  retryUntil: Date | null;
}

/**
 * The due heads of the endpoint's customer queues, oldest first, and when the earliest head that is
 * not yet due will be. A head that is waiting for its retry holds back its customer's later events
 * (their order matters) but no other customer's.
 */
export async function dueDeliveries(db: Db, endpointId: string, limit: number): Promise<{ due: DueDelivery[]; nextAttemptAt: Date | null }> {
  const rows = await db.$queryRaw<(DueDelivery & { nextAttemptAt: Date; isDue: boolean })[]>`
    WITH heads AS (
      SELECT DISTINCT ON (ordering_key) id, event_id, occurred_at, seq, attempts, retry_until, next_attempt_at
        FROM webhook_deliveries
       WHERE endpoint_id = ${endpointId}::uuid AND status = 'pending'
       ORDER BY ordering_key, occurred_at, seq
    ), due AS (
      SELECT h.*, true AS is_due FROM heads h WHERE h.next_attempt_at <= now() ORDER BY h.occurred_at, h.seq LIMIT ${limit}
    ), next AS (
      SELECT h.*, false AS is_due FROM heads h WHERE h.next_attempt_at > now() ORDER BY h.next_attempt_at LIMIT 1
    )
    SELECT d.id, d.event_id AS "eventId", e.type AS "eventType", e.partner_id::text AS "partnerId", e.data, d.occurred_at AS "occurredAt",
           d.attempts, d.retry_until AS "retryUntil", d.next_attempt_at AS "nextAttemptAt", d.is_due AS "isDue"
      FROM (SELECT * FROM due UNION ALL SELECT * FROM next) d
      JOIN webhook_events e ON e.id = d.event_id
     ORDER BY d.is_due DESC, d.occurred_at, d.seq`;
  const due = rows.filter((r) => r.isDue).map(({ nextAttemptAt: _n, isDue: _d, ...rest }) => rest);
  return { due, nextAttemptAt: rows.find((r) => !r.isDue)?.nextAttemptAt ?? null };
}

export type AttemptResult =
  | { outcome: 'delivered'; responseStatus: number; excerpt: string }
  | { outcome: 'retry'; responseStatus?: number; error?: string; excerpt?: string; nextAttemptAt: Date; retryUntil: Date }
  | { outcome: 'failed'; responseStatus?: number; error?: string; excerpt?: string; disableReason?: string };

/**
 * Records one attempt's result. Only a pending delivery changes, so an attempt recorded twice (an
 * activity retried after a crash) counts once. A 410 disables the endpoint in the same transaction.
 */
export async function recordAttempt(db: Db, endpointId: string, deliveryId: string, result: AttemptResult): Promise<void> {
  const common = {
    attempts: { increment: 1 },
    lastAttemptAt: new Date(),
    lastResponseStatus: result.responseStatus ?? null,
    lastError: result.outcome === 'delivered' ? null : (result.error ?? null),
    responseExcerpt: result.excerpt ?? null,
  };
  const data =
    result.outcome === 'delivered'
      ? { ...common, status: 'delivered' as const, deliveredAt: new Date(), nextAttemptAt: null }
      : result.outcome === 'retry'
        ? { ...common, nextAttemptAt: result.nextAttemptAt, retryUntil: result.retryUntil }
        : { ...common, status: 'failed' as const, nextAttemptAt: null };
  await db.$transaction(async (tx) => {
    await tx.webhookDelivery.updateMany({ where: { id: deliveryId, endpointId, status: 'pending' }, data });
    if (result.outcome === 'failed' && result.disableReason) {
      await tx.webhookEndpoint.updateMany({ where: { id: endpointId, status: 'enabled' }, data: { status: 'disabled', disabledReason: result.disableReason } });
    }
  });
}

/** Makes a delivery pending again, due now, with a fresh retry period. False when there is no such delivery. */
export async function redeliver(db: Db, endpointId: string, deliveryId: string, audit?: AuditEntry): Promise<boolean> {
  return audited(db, audit, async (tx) => {
    const changed = await tx.webhookDelivery.updateMany({ where: { id: deliveryId, endpointId }, data: { status: 'pending', nextAttemptAt: new Date(), retryUntil: null } });
    return changed.count > 0;
  });
}
