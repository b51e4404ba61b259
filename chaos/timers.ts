import { Connection } from '@temporalio/client';
import proto from '@temporalio/proto';

const TIMER_FIRED = proto.temporal.api.enums.v1.EventType.EVENT_TYPE_TIMER_FIRED;

/**
 * When each workflow's first timer fired, read from its history on the server (null if it has not
 * fired yet). This is the workflow's own timer, not the read model, which the link sweeper writes
 * whether or not any timer fires.
 */
export async function firstTimerFired(address: string, namespace: string, workflowIds: string[]): Promise<Map<string, number | null>> {
  const connection = await Connection.connect({ address });
  try {
    const fired = new Map<string, number | null>();
    for (const workflowId of workflowIds) {
      const history = await connection.workflowService.getWorkflowExecutionHistory({ namespace, execution: { workflowId } });
      const event = history.history?.events?.find((e) => e.eventType === TIMER_FIRED);
      fired.set(workflowId, event?.eventTime ? Number(event.eventTime.seconds ?? 0) * 1000 + Math.floor((event.eventTime.nanos ?? 0) / 1e6) : null);
    }
    return fired;
  } finally {
    await connection.close();
  }
}
