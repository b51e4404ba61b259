import type { Db } from './client.ts';

/** Rows removed per statement: short statements, so readers and writers of the tables never wait long. */
export const PRUNE_BATCH = 5000;

/**
 * Removes one batch of download events, one of audit events and one of webhook events older than `before`, each by
 * primary key from an index-ordered scan (no table lock, no long transaction). Answers how many of
 * each went; the caller repeats until both are 0. The trail's retention (AUDIT_RETENTION): the only
 * deletes these tables see, beside db/links.ts and db/audit.ts, their writers.
 */
export async function pruneTrailBatch(db: Db, before: Date, batch = PRUNE_BATCH): Promise<{ downloadEvents: number; auditEvents: number; webhookEvents: number }> {
  const downloadEvents = await db.$executeRaw`
    DELETE FROM download_events WHERE id IN (SELECT id FROM download_events WHERE at < ${before} ORDER BY id LIMIT ${batch})`;
  const auditEvents = await db.$executeRaw`
    DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events WHERE at < ${before} ORDER BY at, id LIMIT ${batch})`;
  // Webhook events go with their deliveries (ON DELETE CASCADE), but never while one is still pending.
  const webhookEvents = await db.$executeRaw`
    DELETE FROM webhook_events WHERE id IN (
      SELECT e.id FROM webhook_events e
       WHERE e.occurred_at < ${before} AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id AND d.status = 'pending')
       ORDER BY e.occurred_at LIMIT ${batch})`;
  return { downloadEvents, auditEvents, webhookEvents };
}
