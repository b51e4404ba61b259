import { createHash } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import type { Db } from '../db/client.ts';
import { abandonClaim, findRecord, releaseClaim, takeOverClaim, type ClaimRequest, type IdempotencyClaim, type IdempotencyWrites, type StoredAnswer } from '../db/idempotency.ts';
import { idempotencyKeySchema } from '../common/schemas.ts';
import { HttpProblem, problems } from './problem.ts';
import type { JsonReply } from './reply.ts';

const REPLAYED_HEADERS = ['location', 'content-type'];
const WAIT_FOR_FIRST_MS = 15_000;
/**
 * How long a first request may hold its key. Every idempotent route finishes well within it (its
 * Temporal calls have 10 s deadlines). Past it, the first request's process is taken to have died
 * between claiming the key and answering, and a retry runs the request instead of waiting on it
 * forever: the routes derive what they create from the key, so running twice creates nothing twice.
 */
export const IDEMPOTENCY_LEASE_MS = 120_000;

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]));
  }
  return value;
}

function requestHash(req: Request): string {
  return createHash('sha256')
    .update(`${req.method} ${req.baseUrl}${req.path}\n${JSON.stringify(canonical(req.body ?? null))}`)
    .digest('hex');
}

/**
 * A route that claims its Idempotency-Key in its own first statement (the order's: one round trip
 * for the claim, the order and the answer) gets this instead of a claim made before it runs. Its
 * handler passes `request` to that statement with the answer it will give (`storedAnswer`), since
 * that answer is known before the rest of its work (an order's workflow started) is done; `request`
 * is undefined once the claim is held (a claim taken over: the record is then the request's own,
 * and its answer is stored as it is sent). The handler says `claimed()` when the statement took the
 * claim, and throws KeyTaken when it did not. Its route's `beforeReplay` then finishes what a first
 * request may have left undone (it failed, or its process died, after the statement) before a
 * retry is answered.
 */
export interface KeyClaim {
  readonly request: ClaimRequest | undefined;
  claimed(): void;
}

/** The answer a retry gets for `reply`, as the middleware would store it once sent. */
export function storedAnswer(reply: JsonReply): StoredAnswer {
  const headers = Object.entries(reply.headers ?? {}).map(([name, value]): [string, string] => [name.toLowerCase(), value]);
  return {
    status: reply.status,
    // What Express's res.json sets; a replay sets it back before its own res.json.
    headers: { ...Object.fromEntries(headers.filter(([name]) => REPLAYED_HEADERS.includes(name))), 'content-type': 'application/json; charset=utf-8' },
    body: reply.body ?? null,
  };
}

/** The handler's statement found the key's record: the middleware answers as for a claim refused. */
export class KeyTaken extends Error {
  constructor() {
    super('The Idempotency-Key has a record already');
  }
}

/**
 * Idempotency-Key (docs/api-guide.md): the first request with a key runs and its 2xx answer is stored; the
 * same key with the same body gets that answer again, with another body 422. A concurrent
 * duplicate waits for the first to finish instead of running twice. A 4xx answer is not kept, so
 * a corrected retry may reuse the key; after a 5xx the key stays bound to its body until a retry
 * of that same request succeeds. A claim is stamped (created_at) and only its holder may
 * settle it, so a first request that wakes up after its key was taken over changes nothing.
 * With `claimedByHandler` the claim is made by the handler's statement (KeyClaim), after the
 * request's own checks: a refusal of those with the key already recorded answers as the record says.
 */
export function idempotency(
  db: Db,
  writes: IdempotencyWrites,
  options: { stored?: (body: unknown) => unknown; claimedByHandler?: boolean; beforeReplay?: (res: Response) => Promise<void> } = {},
): RequestHandler {
  return async (req, res, next) => {
    const header = req.get('Idempotency-Key');
    if (header === undefined) return next();
    const parsed = idempotencyKeySchema.safeParse(header);
    if (!parsed.success) return next(problems.badRequest('Idempotency-Key must be 1 to 255 characters.', [{ path: 'Idempotency-Key', message: 'must be 1 to 255 characters' }]));
    const caller = res.locals.caller;
    if (!caller) return next();
    const key = parsed.data;
    const hash = requestHash(req);
    res.locals.idempotencyKey = key;

    const mine: IdempotencyClaim = { agentId: caller.agentId, key, createdAt: new Date() };
    const request: ClaimRequest = { claim: mine, method: req.method, path: req.originalUrl, requestHash: hash };
    let held = false;
    // Stored by the handler's statement with the claim: nothing is left to settle.
    let answered = false;
    const replay = async (decision: Awaited<ReturnType<typeof decide>>) => {
      if (typeof decision === 'object') await options.beforeReplay?.(res);
      return decision;
    };
    if (options.claimedByHandler) {
      res.locals.keyClaim = {
        get request() {
          return held ? undefined : request;
        },
        claimed: () => {
          held = true;
          answered = true;
        },
      };
      res.locals.keyRefused = async (err: unknown) => {
        if (held) return undefined;
        const taken = err instanceof KeyTaken;
        // Refused by the request's own checks (404, 422): the answer the record holds, if the key has one.
        if (!taken && !(err instanceof HttpProblem && err.status < 500)) return undefined;
        const decision = await replay(await decide(db, mine, hash, taken));
        if (decision === 'none') {
          if (taken) throw retryNeeded();
          return undefined;
        }
        if (decision === 'mine') held = true;
        return decision;
      };
    } else {
      held = await writes.claim(request);
      if (!held) {
        try {
          const decision = await replay(await decide(db, mine, hash, true));
          if (decision === 'none') throw retryNeeded();
          if (decision !== 'mine') return void res.status(decision.status).set(decision.headers).json(decision.body);
          held = true;
        } catch (err) {
          return next(err);
        }
      }
    }

    const send = res.json.bind(res);
    let settled = false;
    const release = async (status: number, body: unknown) => {
      if (settled || !held || answered) return;
      settled = true;
      if (status >= 200 && status < 300) {
        const headers = Object.fromEntries(REPLAYED_HEADERS.flatMap((h) => (res.getHeader(h) ? [[h, String(res.getHeader(h))]] : [])));
        await writes.complete({ claim: mine, status, headers, body: options.stored ? options.stored(body) : body });
      } else if (status < 500) {
        // The request was refused before it changed anything: a corrected retry may use the key.
        await releaseClaim(db, mine);
      } else {
        // It failed part-way (an order recorded, its workflow not started): the key stays bound to
        // this body, so only the same request can finish the job (at once: the lease is given up),
        // and another body with this key is refused instead of starting something else.
        await abandonClaim(db, mine);
      }
    };
    res.json = (body: unknown) => {
      // Store before answering, so a retry arriving right after the answer finds it.
      release(res.statusCode, body).then(
        () => send(body),
        (err: unknown) => next(err),
      );
      return res;
    };
    res.on('close', () => {
      if (!settled) void release(res.statusCode >= 200 && res.statusCode < 300 ? 500 : res.statusCode, undefined).catch(() => undefined);
    });
    next();
  };
}

declare module 'express-serve-static-core' {
  interface Locals {
    idempotencyKey?: string;
    keyClaim?: KeyClaim;
    /**
     * For a route whose handler claims its key: what to answer instead of the handler's failure
     * `err` (a stored answer; 'mine', a claim taken over: run the handler again), or undefined to
     * answer the failure itself. Throws the problems of a refused claim.
     */
    keyRefused?: (err: unknown) => Promise<JsonReply | 'mine' | undefined>;
  }
}

const retryNeeded = () => problems.conflict('idempotency-retry-needed', 'The first request with this Idempotency-Key failed; send the request again.');

/**
 * For a request whose key has a record already: the stored answer (replayed), a problem thrown, or
 * 'mine' once a claim whose lease ran out was taken over. Without `takeOver` (the request was
 * refused by its own checks, so it must not hold the key) such a claim is 'none', as is no record.
 * Waits while the first request with the key is still running.
 */
async function decide(db: Db, mine: IdempotencyClaim, hash: string, takeOver: boolean): Promise<JsonReply | 'mine' | 'none'> {
  const deadline = Date.now() + WAIT_FOR_FIRST_MS;
  for (;;) {
    const record = await findRecord(db, mine.agentId, mine.key);
    if (!record) return 'none';
    if (record.requestHash !== hash) {
      throw new HttpProblem('idempotency-key-reused', 'This Idempotency-Key was already used with a different request body.', {
        errors: [{ path: 'Idempotency-Key', message: 'reused with a different request' }],
      });
    }
    if (record.completedAt && record.responseStatus) {
      return { status: record.responseStatus, body: record.responseBody, headers: { ...record.responseHeaders, 'Idempotent-Replayed': 'true' } };
    }
    if (!record.completedAt && record.createdAt.getTime() < mine.createdAt.getTime() - IDEMPOTENCY_LEASE_MS) {
      if (!takeOver) return 'none';
      // Compare-and-set on the old stamp: of several retries, one takes the key over.
      if (await takeOverClaim(db, mine, record.createdAt)) return 'mine';
      continue;
    }
    if (Date.now() > deadline) {
      throw new HttpProblem('idempotency-key-in-flight', 'A request with this Idempotency-Key is still being processed; retry shortly.', { headers: { 'Retry-After': '1' } });
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
