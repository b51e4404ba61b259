import type { Db } from './client.ts';

// activity_retries: one row per activity retrying a transient failure (attempt 3 and on).
// Written only by the worker's activity interceptor (worker/activity-failures.ts): a failed
// attempt inserts or moves the row, a successful attempt deletes it. Read by operations.

export interface ActivityRetryKey {
  workflowId: string;
  activityId: string;
}

export async function recordActivityRetry(db: Db, row: ActivityRetryKey & { activityType: string; workflowType: string; attempt: number; lastError: string }): Promise<void> {
  const now = new Date();
  await db.activityRetry.upsert({
    where: { workflowId_activityId: { workflowId: row.workflowId, activityId: row.activityId } },
    create: { ...row, firstFailedAt: now, lastFailedAt: now },
    update: { attempt: row.attempt, lastError: row.lastError, lastFailedAt: now },
  });
}

export async function clearActivityRetry(db: Db, key: ActivityRetryKey): Promise<void> {
  await db.activityRetry.deleteMany({ where: key });
}
