import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import type { Config } from '../common/config.ts';
import type { Logger } from '../common/logger.ts';

/** One schedule per deployment (its task queue), so deployments sharing a namespace keep their own. */
export const retentionScheduleId = (taskQueue: string) => `trail-retention-${taskQueue}`;

/**
 * The daily run of the trail's retention, as a Temporal schedule (durable, visible and pausable in
 * the Web UI, one run at a time whatever the number of workers). Created by the first worker to
 * start, and kept in step with AUDIT_RETENTION by the next ones.
 */
export async function ensureRetentionSchedule(client: Client, config: Config, logger: Logger): Promise<void> {
  const action = {
    type: 'startWorkflow' as const,
    workflowType: 'retentionWorkflow',
    taskQueue: config.temporal.taskQueue,
    args: [{ retentionMs: config.auditRetentionMs }],
  };
  const scheduleId = retentionScheduleId(config.temporal.taskQueue);
  const spec = { calendars: [{ hour: 3, minute: 17, comment: 'daily, off the hour' }] };
  try {
    await client.schedule.create({ scheduleId, spec, action, policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' } });
    logger.info({ scheduleId }, 'created the trail retention schedule');
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await client.schedule.getHandle(scheduleId).update((previous) => ({ ...previous, spec, action: { ...action, workflowId: previous.action.workflowId } }));
  }
}
