import type { Client } from '@temporalio/client';

/**
 * A call to Temporal that gives up after TEMPORAL_RPC_TIMEOUT (`times` of it where a person waits
 * on a slower step), or at `notAfter` if that comes first, so a request never hangs on a slow or
 * unreachable server: it answers 503 instead.
 */
export type Rpc = <T>(call: () => Promise<T>, options?: { times?: number; notAfter?: number }) => Promise<T>;

export function createRpc(temporal: Client, timeoutMs: number): Rpc {
  return (call, options = {}) => temporal.withDeadline(Math.min(Date.now() + timeoutMs * (options.times ?? 1), options.notAfter ?? Infinity), call);
}
