import { createHash } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import type { Db } from '../db/client.ts';
import { abandonClaim, findRecord, releaseClaim, takeOverClaim, type IdempotencyClaim, type IdempotencyWrites } from '../db/idempotency.ts';
import { idempotencyKeySchema } from '../common/schemas.ts';
import { HttpProblem, problems } from './problem.ts';

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
 * Idempotency-Key (docs/api-guide.md): the first request with a key runs and its 2xx answer is stored; the
 * same key with the same body gets that answer again, with another body 422. A concurrent
 * duplicate waits for the first to finish instead of running twice. A 4xx answer is not kept, so
 * a corrected retry may reuse the key; after a 5xx the key stays bound to its body until a retry
 * of that same request succeeds. A claim is stamped (created_at) and only its holder may
 * settle it, so a first request that wakes up after its key was taken over changes nothing.
 */
export function idempotency(db: Db, writes: IdempotencyWrites, options: { stored?: (body: unknown) => unknown } = {}): RequestHandler {
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
    const claimed = await writes.claim({ claim: mine, method: req.method, path: req.originalUrl, requestHash: hash });
    if (!claimed && (await replay(db, mine, hash, res, next)) === 'answered') return;

    const send = res.json.bind(res);
    let settled = false;
    const release = async (status: number, body: unknown) => {
      if (settled) return;
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
  }
}

/** Answers from the stored record (or with an error), or takes over a claim whose lease ran out: 'mine'. */
async function replay(db: Db, mine: IdempotencyClaim, hash: string, res: Response, next: (err?: unknown) => void): Promise<'answered' | 'mine'> {
  const deadline = Date.now() + WAIT_FOR_FIRST_MS;
  for (;;) {
    const record = await findRecord(db, mine.agentId, mine.key);
    if (!record) {
      next(problems.conflict('idempotency-retry-needed', 'The first request with this Idempotency-Key failed; send the request again.'));
      return 'answered';
    }
    if (record.requestHash !== hash) {
      next(
        new HttpProblem('idempotency-key-reused', 'This Idempotency-Key was already used with a different request body.', {
          errors: [{ path: 'Idempotency-Key', message: 'reused with a different request' }],
        }),
      );
      return 'answered';
    }
    if (record.completedAt && record.responseStatus) {
      for (const [h, v] of Object.entries(record.responseHeaders ?? {})) res.setHeader(h, v);
      res.setHeader('Idempotent-Replayed', 'true');
      res.status(record.responseStatus).json(record.responseBody);
      return 'answered';
    }
    if (!record.completedAt && record.createdAt.getTime() < mine.createdAt.getTime() - IDEMPOTENCY_LEASE_MS) {
      // Compare-and-set on the old stamp: of several retries, one takes the key over.
      if (await takeOverClaim(db, mine, record.createdAt)) return 'mine';
      continue;
    }
    if (Date.now() > deadline) {
      next(new HttpProblem('idempotency-key-in-flight', 'A request with this Idempotency-Key is still being processed; retry shortly.', { headers: { 'Retry-After': '1' } }));
      return 'answered';
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
