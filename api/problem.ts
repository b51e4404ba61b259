import type { ErrorRequestHandler, RequestHandler } from 'express';
import { z } from 'zod';
import { isDependencyOutage } from '../infra/outage.ts';
import { Html } from './console/html.ts';
import { PROBLEM_TYPES, problemTypeUrl, type ProblemType, type ProblemTypeOf } from '../common/problem-types.ts';

export interface FieldError {
  path: string;
  message: string;
}

/** An RFC 9457 problem of one of the kinds in common/problem-types.ts. Handlers throw these; one error handler turns them into responses. */
export class HttpProblem extends Error {
  readonly status: number;
  readonly title: string;
  constructor(
    readonly type: ProblemType,
    readonly detail: string,
    readonly extra: { errors?: FieldError[]; headers?: Record<string, string>; [k: string]: unknown } = {},
  ) {
    super(detail);
    this.status = PROBLEM_TYPES[type].status;
    this.title = PROBLEM_TYPES[type].title;
  }
}

export const problems = {
  badRequest: (detail: string, errors?: FieldError[]) => new HttpProblem('bad-request', detail, { errors }),
  unauthorized: () =>
    new HttpProblem('unauthorized', 'A valid API key is required: send `Authorization: Bearer <api key>`.', {
      headers: { 'WWW-Authenticate': 'Bearer realm="csp-onprem"' },
    }),
  forbidden: (detail = 'Your role may not do this.') => new HttpProblem('forbidden', detail),
  notFound: (what = 'resource') => new HttpProblem('not-found', `No such ${what}.`),
  /** The state forbids it now: each condition its own type, so a caller can tell a retryable one from a final one. */
  conflict: (type: ProblemTypeOf<409>, detail: string, extra: HttpProblem['extra'] = {}) => new HttpProblem(type, detail, extra),
  gone: (type: ProblemTypeOf<410>, detail: string, extra: Record<string, unknown> = {}) => new HttpProblem(type, detail, extra),
  unprocessable: (detail: string, errors?: FieldError[]) => new HttpProblem('validation-failed', detail, { errors }),
  unavailable: (detail: string) => new HttpProblem('unavailable', detail, { headers: { 'Retry-After': '5' } }),
};

export function zodErrors(error: z.ZodError, prefix = ''): FieldError[] {
  return error.issues.map((i) => ({
    path: [prefix, ...i.path.map(String)].filter(Boolean).join('.') || '(body)',
    message: i.message,
  }));
}

/** Where the API is reached: app.locals.publicBaseUrl (PUBLIC_BASE_URL), else the request's own origin. */
function publicBase(res: Parameters<RequestHandler>[1]): string {
  const configured: unknown = res.app.locals.publicBaseUrl;
  return typeof configured === 'string' ? configured : `${res.req.protocol}://${res.req.get('Host') ?? 'localhost'}`;
}

export function sendProblem(res: Parameters<RequestHandler>[1], problem: HttpProblem): void {
  const { headers, errors, page, ...rest } = problem.extra;
  for (const [k, v] of Object.entries(headers ?? {})) res.setHeader(k, v);
  // A person's browser gets the problem as a page, with the same status; API clients get problem+json.
  if (page instanceof Html && res.req.accepts(['application/problem+json', 'application/json', 'text/html']) === 'text/html') {
    res.vary('Accept');
    return void res.status(problem.status).type('html').send(page.value);
  }
  if (page) res.vary('Accept');
  res
    .status(problem.status)
    .type('application/problem+json')
    .json({
      // The type's page is served by this API (api/problem-pages.ts); PUBLIC_BASE_URL is its address.
      type: problemTypeUrl(publicBase(res), problem.type),
      title: problem.title,
      status: problem.status,
      detail: problem.detail,
      instance: res.req.originalUrl,
      ...(errors && errors.length ? { errors } : {}),
      ...rest,
    });
}

export const notFoundRoute: RequestHandler = (req, _res, next) => {
  next(new HttpProblem('not-found', `No route for ${req.method} ${req.path}.`));
};

interface BodyParserError {
  type?: string;
  status?: number;
  expose?: boolean;
}

/** The one error handler: problems as they are, body-parser errors mapped, anything else a 500 that leaks nothing. */
export function errorHandler(log: (err: unknown, req: Parameters<RequestHandler>[0]) => void): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) return next(err);
    if (err instanceof HttpProblem) return sendProblem(res, err);
    const parserError = err as BodyParserError;
    if (parserError?.type === 'entity.too.large') {
      return sendProblem(res, new HttpProblem('content-too-large', 'The request body is larger than this endpoint accepts.'));
    }
    // A path whose percent-encoding does not decode (`/v1/orders/%`) names nothing: the client's
    // mistake, logged as one short line at most, never with the path (it may hold a token).
    if (err instanceof URIError) {
      req.log.info({ problem: 'malformed percent-encoding' }, 'bad request URL');
      return sendProblem(res, problems.badRequest('The request URL is not valid percent-encoding.'));
    }
    if (parserError?.type === 'entity.parse.failed') {
      return sendProblem(res, problems.badRequest('The request body is not valid JSON.'));
    }
    if (parserError?.expose && typeof parserError.status === 'number' && parserError.status < 500) {
      // body-parser's 400 (e.g. a bad Content-Length) and 415 (a charset or encoding it cannot read).
      return sendProblem(res, parserError.status === 415 ? new HttpProblem('unsupported-media-type', 'The body’s charset or encoding is not supported: send UTF-8 JSON.') : new HttpProblem('bad-request', 'The request could not be read.'));
    }
    if (isDependencyOutage(err)) {
      req.log.warn({ err: (err as Error).message }, 'dependency unavailable');
      return sendProblem(res, problems.unavailable('A service this request needs (database or Temporal) is unavailable right now; retry shortly with the same Idempotency-Key.'));
    }
    log(err, req);
    return sendProblem(res, new HttpProblem('internal-error', 'Something went wrong on our side; the request id identifies it in our logs.'));
  };
}
