import { Context } from '@temporalio/activity';
import type { Db } from '../db/client.ts';
import { pruneTrailBatch } from '../db/retention.ts';

export function createRetentionActivities({ db }: { db: Db }) {
  return {
    /**
     * Removes the trail's rows older than `before` in batches, heartbeating between them, so a long
     * backlog is worked off in short statements and a retry resumes where the last one stopped.
     * Idempotent: what is gone stays gone.
     */
    async pruneTrail(request: { before: string }): Promise<{ downloadEvents: number; auditEvents: number; webhookEvents: number }> {
      const before = new Date(request.before);
      const total = { downloadEvents: 0, auditEvents: 0, webhookEvents: 0 };
      for (;;) {
        const removed = await pruneTrailBatch(db, before);
        total.downloadEvents += removed.downloadEvents;
        total.auditEvents += removed.auditEvents;
        total.webhookEvents += removed.webhookEvents;
        Context.current().heartbeat(total);
        if (removed.downloadEvents === 0 && removed.auditEvents === 0 && removed.webhookEvents === 0) return total;
      }
    },
  };
}

export type RetentionActivities = ReturnType<typeof createRetentionActivities>;
