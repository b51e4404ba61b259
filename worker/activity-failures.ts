import { ApplicationFailure, type Context } from '@temporalio/activity';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { businessFailure } from '../activities/failures.ts';
import { ErrorType } from '../common/errors.ts';
import type { Db } from '../db/client.ts';
import { isDataRejection } from '../infra/database-errors.ts';
import { clearActivityRetry, recordActivityRetry } from '../db/activity-retries.ts';

/** From this attempt on, an activity that fails again is shown to operations as retrying. */
export const RETRYING_FROM_ATTEMPT = 3;

/** One readable line of an error (Prisma's messages open with the code that called it). */
export function errorLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const lines = message.split('\n').map((l) => l.trim()).filter(Boolean);
  return (lines.at(-1) ?? 'unknown error').replace(/[\u0000-\u001F\u007F]/g, ' ').slice(0, 500);
}

/**
 * Wraps every activity: an error the database will give on every attempt (a data exception)
 * becomes a non-retryable business failure, so no workflow retries it forever; a transient error
 * that keeps coming back is written where operations look (GET /v1/operations/retrying), and
 * cleared once the activity succeeds.
 */
export function activityFailureInterceptor(db: Db): ActivityInterceptorsFactory {
  return (ctx: Context) => ({
    inbound: {
      async execute(input, next) {
        const info = ctx.info;
        const where = { workflowId: info.workflowExecution?.workflowId ?? `activity-${info.activityId}`, activityId: info.activityId };
        try {
          const result = await next(input);
          if (info.attempt >= RETRYING_FROM_ATTEMPT) await clearActivityRetry(db, where).catch(() => undefined);
          return result;
        } catch (err) {
          if (!(err instanceof ApplicationFailure) && isDataRejection(err)) {
            throw businessFailure(ErrorType.DataRejected, `The database refused the data of ${info.activityType}: ${errorLine(err)}`);
          }
          const retryable = !(err instanceof ApplicationFailure && err.nonRetryable);
          if (retryable && info.attempt >= RETRYING_FROM_ATTEMPT) {
            const lastError = errorLine(err);
            ctx.log.warn('activity keeps failing', { workflowId: where.workflowId, activityType: info.activityType, attempt: info.attempt, error: lastError });
            // Best effort: when the database is what fails, this write fails too, and readiness says so.
            await recordActivityRetry(db, { ...where, activityType: info.activityType, workflowType: info.workflowType ?? '(none)', attempt: info.attempt, lastError }).catch(() => undefined);
          }
          throw err;
        }
      },
    },
  });
}
