import type { Request, RequestHandler, Response } from 'express';
import type { ClientRateLimitInfo, Options, Store } from 'express-rate-limit';
import type { Logger } from 'pino';
import type { Db } from '../db/client.ts';
import { HttpProblem } from './problem.ts';
import { countRequest, countRequestUnlessBlocked, forgetEndedWindows, giveBackRequests, readRequests, resetRequests } from '../db/rate-limits.ts';
import { countedRequests } from './rate-counts.ts';

/**
 * express-rate-limit's counts in PostgreSQL, so a limit holds across every API process (a memory
 * store per process would let N processes take N times the limit). One statement per request.
 * No store on npm does this without bringing its own schema and migrations outside dbmate's, so
 * this one is ours: a few lines over db/rate-limits.ts.
 */
export class PostgresRateLimitStore implements Store {
  readonly localKeys = false;
  private windowMs = 60_000;
  private sweeper?: () => void;

  constructor(
    private readonly db: Db,
    /** Keeps one limiter's keys apart from another's in the shared table. */
    readonly prefix: string,
    private readonly logger?: Logger,
  ) {}

  init(options: Options): void {
    this.windowMs = options.windowMs;
  }

  async get(key: string): Promise<ClientRateLimitInfo | undefined> {
    const found = await readRequests(this.db, this.prefix + key);
    return found ? { totalHits: found.hits, resetTime: new Date(endsAt(found.endsInMs)) } : undefined;
  }

  async increment(key: string): Promise<ClientRateLimitInfo> {
    const { hits, endsInMs } = await countRequest(this.db, this.prefix + key, this.windowMs);
    this.sweep();
    return { totalHits: hits, resetTime: new Date(endsAt(endsInMs)) };
  }

  async decrement(key: string): Promise<void> {
    await giveBackRequests(this.db, this.prefix + key);
  }

  async resetKey(key: string): Promise<void> {
    await resetRequests(this.db, this.prefix + key);
  }

  private sweep(): void {
    (this.sweeper ??= windowSweeper(this.db, this.windowMs, this.logger))();
  }
}

/**
 * Forgets ended windows, so the table holds only the callers of the last minutes: at a process's
 * first count and then at most once a window, off the request's path.
 */
function windowSweeper(db: Db, windowMs: number, logger?: Logger): () => void {
  let lastSweep = 0;
  return () => {
    if (Date.now() - lastSweep < windowMs) return;
    lastSweep = Date.now();
    forgetEndedWindows(db, windowMs).catch((err: unknown) => logger?.warn({ err: (err as Error).message }, 'could not sweep ended rate-limit windows'));
  };
}

/** When a window that has `endsInMs` left ends, by this process's clock (the database's may differ). */
const endsAt = (endsInMs: number) => Date.now() + endsInMs;

/** The address's refusal while its failed authentications are at their limit (until `until`, this process's clock). */
function addressBlocked(limit: number, until: number): HttpProblem {
  const retryAfter = Math.max(1, Math.ceil((until - Date.now()) / 1000));
  return new HttpProblem('too-many-failed-authentications', `Too many failed authentications from this address (${limit} per minute); wait before trying again.`, { headers: { 'Retry-After': String(retryAfter) } });
}

export type FailedAuthGuard = ReturnType<typeof failedAuthGuard>;

/**
 * Failed authentications per address, in the same shared counts as the limiter: `blocked` answers
 * the refusal of an address that failed `limit` times in the window (checked before a key costs a
 * scrypt); `failed` counts one, before its 401 is sent, so the next request already sees it.
 */
export function failedAuthGuard(options: { db: Db; logger?: Logger; limit: number; windowMs: number; keyOf: (req: Request) => string }) {
  const key = (req: Request) => `failed-auth:${options.keyOf(req)}`;
  return {
    limit: options.limit,
    key,
    async blocked(req: Request): Promise<HttpProblem | undefined> {
      // PostgreSQL down: no count to read, so no refusal (the request then meets the outage itself).
      const found = await readRequests(options.db, key(req)).catch(() => undefined);
      return found && found.hits >= options.limit ? addressBlocked(options.limit, endsAt(found.endsInMs)) : undefined;
    },
    async failed(req: Request): Promise<void> {
      await countRequest(options.db, key(req), options.windowMs).catch((err: unknown) => options.logger?.warn({ err: (err as Error).message }, 'could not count a failed authentication'));
    },
  };
}

/**
 * Requests per window per caller (its key, or its address where no key is asked for), counted in
 * PostgreSQL so the limit holds across every API process, with the IETF draft-7 RateLimit headers.
 * Past the limit: 429 with Retry-After. With `failures`, the same statement reads the address's failed
 * authentications, and an address at that limit is refused even with a key verified earlier (its
 * request skipped the check made before a scrypt, having none to pay). express-rate-limit's stores
 * answer one key per call, so with it every request paid two statements for this; the console's
 * sign-in keeps it. Counted as api/rate-counts.ts says: a caller that keeps sending pays a statement
 * per lease of places, not per request, and an address blocked meanwhile is refused once the
 * lease's second is over. PostgreSQL down: the request goes through unlimited and meets the outage itself.
 * `close()`, once no request is left to count (the process stops), gives back what the leases did not
 * use: otherwise a caller near its limit is refused early until the window ends, after every deploy.
 */
export function requestLimiter(options: { db: Db; logger?: Logger; prefix: string; limit: number; windowMs: number; keyOf: (req: Request, res: Response) => string; failures?: FailedAuthGuard; leaseMs?: number }): RequestHandler & { close(): Promise<void> } {
  const { db, limit, windowMs } = options;
  const sweep = windowSweeper(db, windowMs, options.logger);
  const counts = countedRequests({
    limit,
    leaseMs: options.leaseMs,
    count: (key, failuresKey, n) =>
      failuresKey === undefined ? countRequest(db, key, windowMs, n) : countRequestUnlessBlocked(db, key, windowMs, { key: failuresKey, limit: options.failures!.limit }, n),
    giveBack: (key, n, resetAt) => giveBackRequests(db, key, n, resetAt),
    onGiveBackError: (err) => options.logger?.warn({ err: err.message }, 'could not give back the unused places of a rate-limit lease; they count until the window ends'),
  });
  const limiter: RequestHandler = async (req, res, next) => {
    const key = options.prefix + options.keyOf(req, res);
    const counted = await counts.count(key, options.failures?.key(req)).catch((err: unknown) => {
      options.logger?.warn({ err: (err as Error).message }, 'could not count a request against its rate limit; let through');
      return undefined;
    });
    if (!counted) return next();
    sweep();
    if ('blockedUntil' in counted) return next(addressBlocked(options.failures!.limit, counted.blockedUntil));
    const resetSeconds = Math.max(0, Math.ceil((counted.endsAt - Date.now()) / 1000));
    res.setHeader('RateLimit-Policy', `${limit};w=${Math.ceil(windowMs / 1000)}`);
    res.setHeader('RateLimit', `limit=${limit}, remaining=${Math.max(0, limit - counted.hits)}, reset=${resetSeconds}`);
    if (counted.hits > limit) return next(new HttpProblem('rate-limited', `Rate limit of ${limit} requests per minute exceeded.`, { headers: { 'Retry-After': String(Math.max(1, resetSeconds)) } }));
    next();
  };
  return Object.assign(limiter, { close: counts.close });
}
