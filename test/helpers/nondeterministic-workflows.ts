// The negative control of the replay test: an order workflow whose first command differs from
// the real one (it starts a timer before recording the order), as an unversioned change would.
import { proxyActivities, sleep } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.ts';
import type { OrderInput } from '../../common/domain.ts';

const acts = proxyActivities<Activities>({ startToCloseTimeout: '30 seconds' });

export async function orderWorkflow(input: OrderInput): Promise<void> {
  await sleep('1 second');
  await acts.recordOrder(input);
}
export { orderWorkflow as purchaseWorkflow };
