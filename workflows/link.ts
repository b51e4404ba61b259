import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { LinkActivities } from '../activities/links.ts';
import type { LinkInput, LinkState } from '../common/domain.ts';
import { ErrorType } from '../common/errors.ts';
import { countDownloadUpdate, linkStateQuery, linkUsedUpSignal, revokeLinkSignal } from '../common/messages.ts';
import { defaultActivityOptions, localWriteOptions } from './activity-options.ts';

// A window touches only its own row: the end it records.
const acts = proxyActivities<Pick<LinkActivities, 'markLinkEnded'>>(defaultActivityOptions);
const local = proxyLocalActivities<Pick<LinkActivities, 'markLinkEnded'>>(localWriteOptions);
const LINGER_AFTER_END = '30 seconds';

/**
 * One download window: it ends when its deadline passes, when the last allowed download is
 * counted, or when it is revoked. A window opened since downloads are counted in PostgreSQL (one
 * conditional statement per download, which also records it: db/links.ts) only keeps its deadline
 * and is told of its last download by a signal. Older windows count each download here, by an
 * update whose validator refuses it once the window has ended, until they end.
 */
export async function linkWorkflow(input: LinkInput): Promise<LinkState> {
  const deadline = Date.parse(input.expiresAt);
  // Counting by an update cost every download a round trip through Temporal, a workflow task and
  // three events of history: bench scenario 3's API answered 302s at 0.62-0.79 of the rate of raw
  // updates alone, and counting in PostgreSQL at 4.0-5.5 times it.
  const countsInDatabase = input.countsInDatabase === true && patched('link-downloads-counted-in-database');
  const state: LinkState = {
    linkId: input.linkId,
    status: 'active',
    downloadsUsed: input.downloadsUsed ?? 0,
    maxDownloads: input.maxDownloads,
    expiresAt: input.expiresAt,
  };

  const endIfDue = () => {
    if (state.status === 'active' && Date.now() >= deadline) {
      state.status = 'expired';
      state.endReason = 'time';
    }
  };

  setHandler(linkStateQuery, () => state);
  setHandler(revokeLinkSignal, () => {
    if (state.status === 'active') state.status = 'revoked';
  });
  // A window counted in PostgreSQL has no update handler: an update sent to it by mistake is
  // rejected, never counted beside the row's count.
  if (countsInDatabase) {
    setHandler(linkUsedUpSignal, ({ downloadsUsed }) => {
      if (state.status !== 'active') return;
      state.downloadsUsed = downloadsUsed;
      state.status = 'expired';
      state.endReason = 'downloads';
    });
  } else {
    setHandler(
      countDownloadUpdate,
      (_request) => {
        state.downloadsUsed += 1;
        if (state.downloadsUsed >= state.maxDownloads) {
          state.status = 'expired';
          state.endReason = 'downloads';
        }
        return { sequence: state.downloadsUsed, remaining: state.maxDownloads - state.downloadsUsed };
      },
      {
        validator: (_request) => {
          endIfDue();
          if (state.status !== 'active') {
            throw ApplicationFailure.create({
              type: ErrorType.LinkEnded,
              message: state.status === 'revoked' ? 'link revoked' : `link expired (${state.endReason ?? 'time'})`,
              details: [{ status: state.status, endReason: state.endReason }],
            });
          }
        },
      },
    );
  }

  const ended = await condition(
    () => state.status !== 'active' || workflowInfo().continueAsNewSuggested,
    Math.max(deadline - Date.now(), 1),
  );
  if (!ended) endIfDue();
  if (state.status === 'active') {
    // History grew large: carry the count and the same absolute deadline into a fresh run.
    await condition(allHandlersFinished);
    return continueAsNew<typeof linkWorkflow>({ ...input, downloadsUsed: state.downloadsUsed });
  }

  // A window that ran out of time closes in the task its timer fired in. Its row is the sweeper's
  // to end (within a second of the deadline, and readers refuse a lapsed row whatever it says), so
  // recording the end here too cost each window an activity and two more tasks, and a burst of
  // windows ending together queued behind them (bench scenario 4: timer lag p99 233 s against 52 s).
  // A download that passed the API's deadline check just before is refused by the validator, or by
  // the server once the window has closed: 410 either way, so there is nothing to linger for.
  if (state.endReason === 'time' && patched('link-time-end-closes-at-once')) return state;
  // Counted in PostgreSQL: the statement that granted the last download ended the row, and a refund
  // case revokes the row before it signals; no update can be on its way to linger for.
  if (countsInDatabase) return state;

  const end = { linkId: input.linkId, status: state.status, endReason: state.endReason, downloadsUsed: state.downloadsUsed };
  // The end is recorded by an ordinary activity again. A local one saved a task per window, but
  // the read model no longer waits on it (the workers' sweeper marks lapsed windows within a
  // second), and the time-skipping test server, blind to local activities, skipped past the task's
  // timeout whenever the machine was busy. Windows that ran the local version replay it.
  if (patched('link-end-recorded-by-activity')) await acts.markLinkEnded(end);
  else if (patched('link-end-recorded-locally')) await local.markLinkEnded(end);
  else await acts.markLinkEnded(end);
  // Linger briefly so downloads already on their way get a clear refusal from the validator
  // instead of the server aborting them when the workflow closes.
  await sleep(LINGER_AFTER_END);
  await condition(allHandlersFinished);
  return state;
}
