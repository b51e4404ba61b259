// The shape of a route of the API's one table (api/routes/index.ts): path, who may call it, what
// it takes and answers. The router, the role checks and the OpenAPI document are built from it.
import type { ResponseHeader } from '../openapi-parts.ts';
import type { Request } from 'express';
import { z } from 'zod';
import type { Role } from '../../common/domain.ts';
import type { ProblemType } from '../../common/problem-types.ts';
import type { Caller } from '../auth.ts';
import type { KeyClaim } from '../idempotency.ts';
import type { Reply } from '../reply.ts';
import type { Services } from '../services/index.ts';

export type Access = readonly Role[] | 'public';

export interface HandlerContext<P, Q, B> {
  caller: Caller;
  params: P;
  query: Q;
  body: B;
  idempotencyKey: string | undefined;
  /** On a route whose handler claims its key (`claimsKey`), the claim to make in its statement. */
  keyClaim: KeyClaim | undefined;
  /** Read only: handlers answer with a Reply and never write the response themselves. */
  req: Request;
  services: Services;
}


export interface RouteDef<P = unknown, Q = unknown, B = unknown> {
  method: 'get' | 'post' | 'delete';
  path: string;
  /** The operation's name in the OpenAPI document and in clients generated from it. */
  operationId: string;
  summary: string;
  tag: string;
  access: Access;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  /** Takes an Idempotency-Key (every POST that creates or starts something). */
  idempotent?: boolean;
  /**
   * The handler claims the Idempotency-Key in its own first statement (api/idempotency.ts KeyClaim)
   * instead of the middleware in a statement before it: one round trip less on the hottest POST.
   */
  claimsKey?: boolean;
  /**
   * With `claimsKey`: what to finish before a retry gets the answer stored with the claim (the
   * handler stores it before its work is done, which may then have failed or been cut short).
   */
  beforeReplay?: (ctx: { caller: Caller; idempotencyKey: string; services: Services }) => Promise<void>;
  /** What of a 2xx answer is kept for replays, when not all of it may be stored (a secret shown once). */
  storedForReplay?: (body: unknown) => unknown;
  /** Largest body accepted (default 256kb); larger answers 413. */
  bodyLimit?: string;
  /** The handler needs the exact bytes of the body (signature checks); `body` is then a Buffer. */
  rawBody?: boolean;
  /** For a raw body: what it holds, for the OpenAPI document (the handler checks it itself, after the signature). */
  rawBodySchema?: z.ZodType;
  /**
   * Each answer's description, body schema and the headers it carries beyond those of every answer;
   * for an error the route answers itself, its problem types (the document shows an example of each).
   */
  responses: Record<
    number,
    {
      description: string;
      schema?: z.ZodType;
      headers?: readonly ResponseHeader[];
      problems?: readonly ProblemType[];
      /** A list that exports: its example page in each export format, by media type. */
      exports?: (example: unknown) => Record<string, string>;
    }
  >;
  handler: (ctx: HandlerContext<P, Q, B>) => Promise<Reply>;
}

export function route<P, Q, B>(def: RouteDef<P, Q, B>): RouteDef {
  return def as unknown as RouteDef;
}
