// Which database errors retrying cannot cure. A data exception (SQLSTATE class 22: a NUL in text,
// a value out of range) or a violated NOT NULL / CHECK constraint fails the same way every time, so
// an activity that hits one must fail at once (non-retryable) instead of retrying forever; a lost
// connection or a shutdown (infra/outage.ts) is transient and is retried.

// Prisma's own codes for values the database refused: too long, invalid, null in a required
// column, out of range, input error, number too large.
const PRISMA_DATA_CODES = new Set(['P2000', 'P2005', 'P2006', 'P2007', 'P2011', 'P2012', 'P2019', 'P2020', 'P2033']);
const SQLSTATE_REFUSALS = new Set(['23502', '23514']);

function sqlState(err: { meta?: unknown; originalCode?: unknown; code?: unknown; cause?: unknown }): string | undefined {
  const meta = err.meta as { driverAdapterError?: { cause?: { originalCode?: unknown } } } | undefined;
  const fromAdapter = meta?.driverAdapterError?.cause?.originalCode;
  if (typeof fromAdapter === 'string') return fromAdapter;
  if (typeof err.originalCode === 'string') return err.originalCode;
  if (typeof err.code === 'string' && /^[0-9A-Z]{5}$/.test(err.code)) return err.code;
  return undefined;
}

export function isDataRejection(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 6) return false;
  const e = err as { name?: unknown; code?: unknown; meta?: unknown; originalCode?: unknown; cause?: unknown };
  // The query itself was malformed for the schema: a bug, and the same on every attempt.
  if (e.name === 'PrismaClientValidationError') return true;
  if (typeof e.code === 'string' && PRISMA_DATA_CODES.has(e.code)) return true;
  const state = sqlState(e);
  if (state && (state.startsWith('22') || SQLSTATE_REFUSALS.has(state))) return true;
  return isDataRejection(e.cause, depth + 1);
}
