// The negative control of the replay test: a purchase workflow whose first command differs from
// the real one (it starts a timer before recording the order), as an unversioned change would.
import { proxyActivities, sleep } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.ts';
import type { PurchaseInput } from '../../common/domain.ts';

const acts = proxyActivities<Activities>({ startToCloseTimeout: '30 seconds' });

export async function purchaseWorkflow(input: PurchaseInput): Promise<void> {
  await sleep('1 second');
  await acts.recordOrder(input);
}
