import type { ActivityOptions, LocalActivityOptions } from '@temporalio/workflow';
import { ErrorType } from '../common/errors.ts';

/** Transient faults retry with exponential backoff; business failures (ErrorType) never do. */
export const defaultActivityOptions: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  // What retrying cannot cure never gets here: activities throw business failures, and the
  // workers' interceptor turns data the database refuses into one (worker/activity-failures.ts).
  // An activity that keeps failing is listed for operations from its third attempt
  // (GET /v1/operations/retrying, csp_activities_retrying).
  // Unbounded because what is left is transient: an outage is ridden out, never a lost order or case.
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    nonRetryableErrorTypes: Object.values(ErrorType),
  },
};

/**
 * Provisioning gives up after a bounded number of attempts so that a key authority that stays
 * down ends the order in `failed` (payment refunded) instead of holding the money forever.
 */
export const provisioningActivityOptions: ActivityOptions = {
  ...defaultActivityOptions,
  retry: { ...defaultActivityOptions.retry, maximumAttempts: 8 },
};

/**
 * Short database writes that need no task of their own: run inside the workflow task, they spare
 * the server an activity task and the worker a second workflow task. Past a few local retries the
 * SDK schedules the rest with timers, so a long database outage is still ridden out.
 */
export const localWriteOptions: LocalActivityOptions = {
  startToCloseTimeout: '10 seconds',
  localRetryThreshold: '10 seconds',
  retry: defaultActivityOptions.retry,
};
