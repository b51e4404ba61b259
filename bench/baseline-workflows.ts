// Baselines for `npm run bench`: the least a workflow can do for the same job, on the same server.
import { condition, defineUpdate, proxyActivities, setHandler, sleep } from '@temporalio/workflow';

export const incrementUpdate = defineUpdate<number>('increment');

/** A bare counter behind an update, capped like a download window, with nothing else around it. */
export async function counterWorkflow(cap: number): Promise<number> {
  let count = 0;
  setHandler(incrementUpdate, () => ++count, {
    validator: () => {
      if (count >= cap) throw new Error('cap reached');
    },
  });
  await condition(() => count >= cap);
  return count;
}

const { noop } = proxyActivities<{ noop(): Promise<void> }>({ startToCloseTimeout: '30 seconds' });

/** `activities` no-op activities one after the other: a purchase's shape without its work. */
export async function noopActivitiesWorkflow(activities: number): Promise<number> {
  for (let i = 0; i < activities; i++) await noop();
  return activities;
}

/** A bare timer: sleeps until `deadlineMs` (epoch ms), as a download window waits for its expiry, and ends. */
export async function timerWorkflow(deadlineMs: number): Promise<void> {
  await sleep(Math.max(1, deadlineMs - Date.now()));
}
