// Errors that mean "a dependency is down for now", as opposed to a bug: the API answers them with
// 503 and Retry-After (callers retry with the same Idempotency-Key), never with 500.

const GRPC_UNAVAILABLE = 14;
const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_CANCELLED = 1;
// The SDK's native connection (infra/temporal-connection.ts) reports a call that outlived its
// deadline as CANCELLED "Timeout expired" (the Rust core's own timer fired), where grpc-js reports
// DEADLINE_EXCEEDED; only a deadline the server itself saw run out comes back as DEADLINE_EXCEEDED.
const NATIVE_TIMEOUT = /^Timeout expired/;
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
// PostgreSQL: admin shutdown, crash shutdown, cannot connect now, connection failures; Prisma: can't reach, timed out, closed, pool timeout.
const DATABASE_CODES = new Set(['57P01', '57P02', '57P03', '08000', '08001', '08003', '08006', 'P1001', 'P1002', 'P1017', 'P2024']);
const MESSAGES = /Can't reach database server|Connection terminated|connect ECONNREFUSED|timeout exceeded when trying to connect|Client has encountered a connection error|the database system is (shutting down|starting up)|terminating connection due to administrator command|Server is not running|No connection established/i;

export function isDependencyOutage(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 6) return false;
  const e = err as { code?: unknown; message?: unknown; cause?: unknown; name?: unknown; originalCode?: unknown; kind?: unknown };
  if (e.code === GRPC_UNAVAILABLE || e.code === GRPC_DEADLINE_EXCEEDED) return true;
  if (e.code === GRPC_CANCELLED && typeof e.message === 'string' && NATIVE_TIMEOUT.test(e.message)) return true;
  if (typeof e.code === 'string' && (NETWORK_CODES.has(e.code) || DATABASE_CODES.has(e.code))) return true;
  if (typeof e.originalCode === 'string' && DATABASE_CODES.has(e.originalCode)) return true;
  if (typeof e.message === 'string' && MESSAGES.test(e.message)) return true;
  // The Temporal call ran out of its deadline before the workflow accepted or answered it.
  if (e.name === 'ConnectionError' || e.name === 'PrismaClientInitializationError' || e.name === 'WorkflowUpdateRPCTimeoutOrCancelledError') return true;
  return isDependencyOutage(e.cause, depth + 1);
}

/** Temporal cannot be reached at all (as opposed to answering slowly): retrying at once is pointless. */
export function isUnreachable(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 6) return false;
  const e = err as { code?: unknown; cause?: unknown };
  return e.code === GRPC_UNAVAILABLE || isUnreachable(e.cause, depth + 1);
}
