// How an API process counts its callers' requests in the windows every process shares
// (db/rate-limits.ts): coalesced while a count is on its way, and leased in steady streams.

/**
 * A request's place in its key's window: `resetAt` names the window (the database's clock),
 * `endsAt` is when it ends by this process's clock (`now()`); or the address is blocked until then.
 */
export type Counted = { hits: number; resetAt: Date; endsAt: number } | { blockedUntil: number };

/**
 * One statement: counts `n` places in the key's window (or finds the address blocked and counts
 * none). It answers how long the window (or the block) has left, not when it ends: the database's
 * clock may be seconds off this process's, and a lease near the window's end is not taken.
 */
export type CountStatement = (key: string, failuresKey: string | undefined, n: number) => Promise<{ hits: number; resetAt: Date; endsInMs: number } | { blockedForMs: number }>;
/** Gives `n` counted places back to the key's window ending at `resetAt` (nothing if it has ended). */
export type GiveBackStatement = (key: string, n: number, resetAt: Date) => Promise<void>;

/**
 * How much a lease may hold. `ms`: its life, so an address blocked for failed sign-ins is refused
 * within it even on a key that holds places; `share`: it takes at most 1/share of what is left of
 * the limit, so another process's requests find the rest; `maxSpare`: at most this many places.
 */
export const LEASE = { ms: 1_000, share: 10, maxSpare: 100 };

interface Lease {
  /** Its places are (base, base + spare], in the window ending at resetAt; `used` of them handed out. */
  base: number;
  spare: number;
  used: number;
  resetAt: Date;
  endsAt: number;
  expiresAt: number;
  timer?: NodeJS.Timeout;
}

interface KeyCounts {
  key: string;
  failuresKey: string | undefined;
  waiting: ((counted: Counted | Error) => void)[];
  counting: boolean;
  lease?: Lease;
  /** What the last statement answered, and the requests that arrived since it was sent. */
  last?: { hits: number; resetAt: Date; endsAt: number };
  since: number;
  arrivals: number;
}

/**
 * Counts a key's requests against its limit in as few statements as keep the limit exact:
 *
 * - Requests that arrive while the key's last count is on its way wait for it and are counted
 *   together (`n` at once), each with its own place in the window, as if counted alone.
 * - A key that keeps sending takes a lease: its statement counts, beyond the requests waiting, as
 *   many places as the key sent in the last lease's life (at most `LEASE.maxSpare`, and at most a
 *   `LEASE.share`th of what is left of its limit), and the key's next requests take those places
 *   here without a statement, until they are used or `LEASE.ms` has passed. What a lease did not use
 *   is given back to the window when it ends. The shared count never passes the limit's places
 *   actually handed out: a lease's places are counted before any is used, so the limit still
 *   holds across processes; with a small limit (under `LEASE.share` left) no lease is taken at all.
 *
 * Under load most requests then pay no statement: each costs this process a round trip and
 * PostgreSQL a commit, on the cores that serve the requests. `failuresKey` is part of the key:
 * requests from another address are counted apart, since they may be blocked apart.
 */
export function countedRequests(options: { count: CountStatement; giveBack: GiveBackStatement; limit: number; leaseMs?: number; now?: () => number; onGiveBackError?: (err: Error) => void }) {
  const { count, giveBack, limit } = options;
  const leaseMs = options.leaseMs ?? LEASE.ms;
  const now = options.now ?? Date.now;
  const keys = new Map<string, KeyCounts>();
  let lastSweep = now();

  const givingBack = new Set<Promise<void>>();
  const giveBackPlaces = async (k: KeyCounts, n: number, resetAt: Date): Promise<void> => {
    if (n <= 0) return;
    const given = giveBack(k.key, n, resetAt).catch((err: unknown) => options.onGiveBackError?.(err instanceof Error ? err : new Error(String(err))));
    givingBack.add(given);
    await given.finally(() => givingBack.delete(given));
  };
  const endLease = async (k: KeyCounts): Promise<void> => {
    const lease = k.lease;
    if (!lease) return;
    k.lease = undefined;
    clearTimeout(lease.timer);
    await giveBackPlaces(k, lease.spare - lease.used, lease.resetAt);
  };

  /** The places to lease with this statement: none until the window is known, or too near its end. */
  const spareFor = (k: KeyCounts, at: number) => {
    if (!k.last || k.last.endsAt - at < 2 * leaseMs) return 0;
    const rate = Math.floor((k.arrivals * leaseMs) / Math.max(at - k.since, leaseMs / 10));
    return Math.max(0, Math.min(LEASE.maxSpare, rate, Math.floor((limit - k.last.hits) / LEASE.share)));
  };

  const drain = async (k: KeyCounts) => {
    k.counting = true;
    while (k.waiting.length) {
      const batch = k.waiting;
      k.waiting = [];
      void endLease(k);
      const at = now();
      const n = batch.length;
      const spare = spareFor(k, at);
      [k.since, k.arrivals] = [at, 0];
      const counted = await count(k.key, k.failuresKey, n + spare).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
      if (counted instanceof Error || 'blockedForMs' in counted) {
        // Durations are read from when the statement was sent: a little early, never late.
        const answer = counted instanceof Error ? counted : { blockedUntil: at + counted.blockedForMs };
        batch.forEach((settle) => settle(answer));
        continue;
      }
      const endsAt = at + counted.endsInMs;
      // The batch's places, then the lease's, are the last the statement counted. (An ended lease's
      // give-back may land after it: the places are then as many too high, which can only refuse
      // early, never let more through, and the window's count is exact either way.)
      const first = counted.hits - spare - n;
      batch.forEach((settle, i) => settle({ hits: first + 1 + i, resetAt: counted.resetAt, endsAt }));
      // Other processes may have counted since this one last looked: places past the limit would
      // only be refused, so they go back at once and the lease holds the rest.
      const usable = Math.max(0, Math.min(spare, limit - (first + n)));
      void giveBackPlaces(k, spare - usable, counted.resetAt);
      k.last = { hits: counted.hits - (spare - usable), resetAt: counted.resetAt, endsAt };
      if (usable > 0) {
        const lease: Lease = { base: first + n, spare: usable, used: 0, resetAt: counted.resetAt, endsAt, expiresAt: now() + leaseMs };
        // A key that stops sending gives its places back when the lease's life ends.
        lease.timer = setTimeout(() => k.lease === lease && void endLease(k), leaseMs).unref();
        k.lease = lease;
      }
    }
    k.counting = false;
  };

  /** Forgets keys that sent nothing for a lease's life, so the map holds only current callers. */
  const sweep = (at: number) => {
    if (at - lastSweep < leaseMs) return;
    lastSweep = at;
    for (const [id, k] of keys) if (!k.counting && !k.lease && at - k.since > leaseMs) keys.delete(id);
  };

  return {
    count(key: string, failuresKey?: string): Promise<Counted> {
      const at = now();
      sweep(at);
      const id = `${key}\n${failuresKey ?? ''}`;
      let k = keys.get(id);
      if (!k) keys.set(id, (k = { key, failuresKey, waiting: [], counting: false, since: at, arrivals: 0 }));
      k.arrivals++;
      const lease = k.lease;
      if (lease && lease.used < lease.spare && at < lease.expiresAt) {
        lease.used++;
        return Promise.resolve({ hits: lease.base + lease.used, resetAt: lease.resetAt, endsAt: lease.endsAt });
      }
      return new Promise((resolve, reject) => {
        k.waiting.push((counted) => (counted instanceof Error ? reject(counted) : resolve(counted)));
        if (!k.counting) void drain(k);
      });
    },
    /** Answers once every give-back under way has been written. */
    async settled(): Promise<void> {
      await Promise.all(givingBack);
    },
    /** Ends every lease and answers once what each did not use is given back (a process that stops). */
    async close(): Promise<void> {
      await Promise.all([...[...keys.values()].map(endLease), ...givingBack]);
    },
  };
}
