import { Prisma, type Db } from './client.ts';

/**
 * Marks windows whose deadline has passed as expired by time in the read model (all of them, or
 * one subscription's). Idempotent: only rows still active change, so the workflow that records the
 * same end when its timer fires never disagrees with it. Answers how many rows changed.
 */
export function expireLapsedWindows(db: Db, subscriptionId?: string): Promise<number> {
  const scope = subscriptionId ? Prisma.sql`AND subscription_id = ${subscriptionId}::uuid` : Prisma.empty;
  return db.$executeRaw`
    UPDATE download_links
       SET status = 'expired', end_reason = 'time', ended_at = now()
     WHERE status = 'active' AND expires_at <= now() ${scope}`;
}
