import type { Client } from '@temporalio/client';
import { workflowIds } from '../common/ids.ts';
import { webhookTaskQueue, webhookWakeSignal } from '../common/messages.ts';

/**
 * Wakes an endpoint's delivery workflow, starting it if it is not running (its first event, or
 * after it ended because the endpoint was deleted and created again under the same id).
 */
export async function wakeWebhookEndpoint(client: Client, taskQueue: string, endpointId: string): Promise<void> {
  await client.workflow.signalWithStart('webhookWorkflow', {
    workflowId: workflowIds.webhookEndpoint(endpointId),
    taskQueue: webhookTaskQueue(taskQueue),
    args: [{ endpointId }],
    signal: webhookWakeSignal,
    signalArgs: [],
  });
}
