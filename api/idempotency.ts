import { createHash } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import type { Db } from '../db/client.ts';
import { Prisma } from '../db/client.ts';
import { idempotencyKeySchema } from '../common/schemas.ts';
import { HttpProblem, problems } from './problem.ts';

const REPLAYED_HEADERS = ['location', 'content-type'];
const WAIT_FOR_FIRST_MS = 15_000;

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
 * Idempotency-Key (API.md): the first request with a key runs and its 2xx answer is stored; the
 * same key with the same body gets that answer again, with another body 422. A concurrent
 * duplicate waits for the first to finish instead of running twice. Non-2xx answers are not kept,
 * so a corrected retry may reuse the key.
 */
export function idempotency(db: Db): RequestHandler {
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

    const claimed = await db.idempotencyRecord.createMany({
      data: [{ agentId: caller.agentId, key, method: req.method, path: req.originalUrl, requestHash: hash }],
      skipDuplicates: true,
    });
    if (claimed.count === 0) return replay(db, caller.agentId, key, hash, res, next);

    const send = res.json.bind(res);
    let settled = false;
    const release = async (status: number, body: unknown) => {
      if (settled) return;
      settled = true;
      if (status >= 200 && status < 300) {
        const headers = Object.fromEntries(REPLAYED_HEADERS.flatMap((h) => (res.getHeader(h) ? [[h, String(res.getHeader(h))]] : [])));
        await db.idempotencyRecord.update({
          where: { agentId_key: { agentId: caller.agentId, key } },
          data: { responseStatus: status, responseHeaders: headers, responseBody: (body ?? null) as Prisma.InputJsonValue, completedAt: new Date() },
        });
      } else {
        await db.idempotencyRecord.delete({ where: { agentId_key: { agentId: caller.agentId, key } } });
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

async function replay(db: Db, agentId: string, key: string, hash: string, res: Response, next: (err?: unknown) => void) {
  const deadline = Date.now() + WAIT_FOR_FIRST_MS;
  for (;;) {
    const record = await db.idempotencyRecord.findUnique({ where: { agentId_key: { agentId, key } } });
    if (!record) {
      return next(problems.conflict('The first request with this Idempotency-Key failed; send the request again.'));
    }
    if (record.requestHash !== hash) {
      return next(
        new HttpProblem(422, 'Unprocessable Content', 'This Idempotency-Key was already used with a different request body.', {
          errors: [{ path: 'Idempotency-Key', message: 'reused with a different request' }],
        }),
      );
    }
    if (record.completedAt && record.responseStatus) {
      for (const [h, v] of Object.entries((record.responseHeaders ?? {}) as Record<string, string>)) res.setHeader(h, v);
      res.setHeader('Idempotent-Replayed', 'true');
      res.status(record.responseStatus).json(record.responseBody);
      return;
    }
    if (Date.now() > deadline) {
      return next(new HttpProblem(409, 'Conflict', 'A request with this Idempotency-Key is still being processed; retry shortly.', { headers: { 'Retry-After': '1' } }));
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
