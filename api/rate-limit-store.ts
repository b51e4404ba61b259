import type { Request, RequestHandler } from 'express';
import type { ClientRateLimitInfo, Options, Store } from 'express-rate-limit';
import type { Logger } from 'pino';
import type { Db } from '../db/client.ts';
import { HttpProblem } from './problem.ts';
import { countRequest, forgetEndedWindows, readRequests, resetRequests, uncountRequest } from '../db/rate-limits.ts';

/**
 * express-rate-limit's counts in PostgreSQL, so a limit holds across every API process (a memory
 * store per process would let N processes take N times the limit). One statement per request.
 * No store on npm does this without bringing its own schema and migrations outside dbmate's, so
 * this one is ours: a few lines over db/rate-limits.ts.
 */
export class PostgresRateLimitStore implements Store {
  readonly localKeys = false;
  private windowMs = 60_000;
  private lastSweep = Date.now();

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
    return found ? { totalHits: found.hits, resetTime: found.resetAt } : undefined;
  }

  async increment(key: string): Promise<ClientRateLimitInfo> {
    const { hits, resetAt } = await countRequest(this.db, this.prefix + key, this.windowMs);
    this.sweep();
    return { totalHits: hits, resetTime: resetAt };
  }

  async decrement(key: string): Promise<void> {
    await uncountRequest(this.db, this.prefix + key);
  }

  async resetKey(key: string): Promise<void> {
    await resetRequests(this.db, this.prefix + key);
  }

  /** At most once a window per process, off the request's path: ended windows go. */
  private sweep(): void {
    if (Date.now() - this.lastSweep < this.windowMs) return;
    this.lastSweep = Date.now();
    forgetEndedWindows(this.db, this.windowMs).catch((err: unknown) => this.logger?.warn({ err }, 'could not sweep ended rate-limit windows'));
  }
}

/**
 * Failed authentications per address, in the same shared counts as the limiter: `check` refuses an
 * address that failed `limit` times in the window, before its key is checked; `failed` counts one,
 * before its 401 is sent, so the next request already sees it.
 */
export function failedAuthGuard(options: { db: Db; logger?: Logger; limit: number; windowMs: number; keyOf: (req: Request) => string }) {
  const key = (req: Request) => `failed-auth:${options.keyOf(req)}`;
  const check: RequestHandler = async (req, _res, next) => {
    // PostgreSQL down: no count to read, so no refusal (the request then meets the outage itself).
    const found = await readRequests(options.db, key(req)).catch(() => undefined);
    if (found && found.hits >= options.limit) {
      const retryAfter = Math.max(1, Math.ceil((found.resetAt.getTime() - Date.now()) / 1000));
      return next(new HttpProblem('too-many-failed-authentications', `Too many failed authentications from this address (${options.limit} per minute); wait before trying again.`, { headers: { 'Retry-After': String(retryAfter) } }));
    }
    next();
  };
  const failed = async (req: Request) => {
    await countRequest(options.db, key(req), options.windowMs).catch((err: unknown) => options.logger?.warn({ err: (err as Error).message }, 'could not count a failed authentication'));
  };
  return { check, failed };
}
