import { condition, continueAsNew, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { WebhookActivities } from '../activities/webhooks.ts';
import { webhookWakeSignal } from '../common/messages.ts';

const acts = proxyActivities<Pick<WebhookActivities, 'deliverWebhooks'>>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '30 seconds',
  // Unbounded: a receiver's failures are recorded as attempts and never fail the activity; what is
  // left is the database or the worker being away, and the deliveries wait in their table meanwhile.
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

const MIN_IDLE_WAIT_MS = 1000;
/** Rounds a run drains before it continues as new, so its history stays short whatever the traffic. */
const ROUNDS_PER_RUN = 200;

/**
 * One workflow per partner endpoint (`webhook-endpoint-<id>`), however many events it receives:
 * each round delivers what is due (activities/webhooks.ts), then sleeps until the next retry is due
 * or it is woken (new deliveries, a redelivery, the endpoint enabled again). Deliveries live in
 * PostgreSQL, not in this history, so a million events a day cost rounds, not workflows; and an
 * endpoint that is down waits on its own timer without delaying any other endpoint's workflow.
 */
export async function webhookWorkflow(input: { endpointId: string }): Promise<void> {
  let woken = false;
  setHandler(webhookWakeSignal, () => {
    woken = true;
  });
  for (let round = 0; round < ROUNDS_PER_RUN; round++) {
    woken = false;
    const result = await acts.deliverWebhooks({ endpointId: input.endpointId });
    if (result.endpoint === 'gone') return;
    // Disabled, or nothing pending: nothing is due until a wake-up (new deliveries, enabled again).
    if (result.endpoint === 'disabled' || result.nextAttemptAt === null) await condition(() => woken);
    else {
      // The retry time is the worker's clock; this is the server's. A round that found nothing due
      // yet (the clocks disagree) waits at least a second, so skew never turns into a busy loop.
      const waitMs = Math.max(Date.parse(result.nextAttemptAt) - Date.now(), result.attempted === 0 ? MIN_IDLE_WAIT_MS : 0);
      if (waitMs > 0) await condition(() => woken, waitMs);
    }
    if (workflowInfo().continueAsNewSuggested) break;
  }
  await continueAsNew<typeof webhookWorkflow>(input);
}
