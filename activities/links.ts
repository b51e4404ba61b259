import type { LinkEndReason, LinkStatus } from '../common/domain.ts';
import type { Db } from '../db/client.ts';

export function createLinkActivities({ db }: { db: Db }) {
  return {
    /** Writes the end of a window to the read model; only an active row changes, so a retry is harmless. */
    async markLinkEnded(request: { linkId: string; status: Exclude<LinkStatus, 'active'>; endReason?: LinkEndReason; downloadsUsed: number }): Promise<void> {
      await db.$executeRaw`
        UPDATE download_links
           SET status = ${request.status}::link_status,
               end_reason = ${request.endReason ?? null}::link_end_reason,
               downloads_used = GREATEST(downloads_used, ${request.downloadsUsed}),
               ended_at = COALESCE(ended_at, now())
         WHERE id = ${request.linkId}::uuid AND status = 'active'`;
    },
  };
}
