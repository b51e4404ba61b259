import type { ActivityOptions } from '@temporalio/workflow';
import { ErrorType } from '../common/errors.ts';

/** Transient faults retry with exponential backoff; business failures (ErrorType) never do. */
export const defaultActivityOptions: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
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
