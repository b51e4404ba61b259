import { ApplicationFailure } from '@temporalio/activity';
import type { ErrorType } from '../common/errors.ts';

/** A business failure: retrying cannot change the answer, so the workflow sees it at once. */
export function businessFailure(type: ErrorType, message: string, details?: unknown): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true, details: details === undefined ? undefined : [details] });
}
