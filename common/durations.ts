import ms from 'ms';
import { z } from 'zod';

/** An `ms`-style duration ("14d", "72h", "500ms") parsed to milliseconds; rejects zero, negatives and nonsense. */
export const durationSchema = z.string().transform((text, ctx) => {
  const value = ms(text as ms.StringValue);
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is not a positive duration such as "14d", "72h" or "30s"` });
    return z.NEVER;
  }
  return value;
});
