import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { RetentionActivities } from '../activities/retention.ts';

const acts = proxyActivities<Pick<RetentionActivities, 'pruneTrail'>>({
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '2 minutes',
  // Bounded: the next day's run picks up whatever a failed one left.
  retry: { initialInterval: '10 seconds', maximumInterval: '5 minutes', maximumAttempts: 10 },
});

/**
 * One run of the trail's retention, started by the `trail-retention` schedule: removes download
 * and audit events older than `retentionMs` before the run's scheduled time.
 */
export async function retentionWorkflow(input: { retentionMs: number }): Promise<{ downloadEvents: number; auditEvents: number; webhookEvents?: number; before: string }> {
  const before = new Date(workflowInfo().startTime.getTime() - input.retentionMs).toISOString();
  return { ...(await acts.pruneTrail({ before })), before };
}
