import type { ErrorRequestHandler, RequestHandler } from 'express';
import { z } from 'zod';
import { isDependencyOutage } from '../infra/outage.ts';
import { Html } from './console/html.ts';

export interface FieldError {
  path: string;
  message: string;
}

/** An RFC 9457 problem. Handlers throw these; one error handler turns them into responses. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly extra: { errors?: FieldError[]; type?: string; headers?: Record<string, string>; [k: string]: unknown } = {},
  ) {
    super(detail);
  }
}

export const problems = {
  badRequest: (detail: string, errors?: FieldError[]) => new HttpProblem(400, 'Bad Request', detail, { errors }),
  unauthorized: () =>
    new HttpProblem(401, 'Unauthorized', 'A valid API key is required: send `Authorization: Bearer <api key>`.', {
      headers: { 'WWW-Authenticate': 'Bearer realm="csp-onprem"' },
    }),
  forbidden: (detail = 'Your role may not do this.') => new HttpProblem(403, 'Forbidden', detail),
  notFound: (what = 'resource') => new HttpProblem(404, 'Not Found', `No such ${what}.`),
  conflict: (detail: string) => new HttpProblem(409, 'Conflict', detail),
  gone: (detail: string, extra: Record<string, unknown> = {}) => new HttpProblem(410, 'Gone', detail, extra),
  unprocessable: (detail: string, errors?: FieldError[]) => new HttpProblem(422, 'Unprocessable Content', detail, { errors }),
  unavailable: (detail: string) => new HttpProblem(503, 'Service Unavailable', detail, { headers: { 'Retry-After': '5' } }),
};

export function zodErrors(error: z.ZodError, prefix = ''): FieldError[] {
  return error.issues.map((i) => ({
    path: [prefix, ...i.path.map(String)].filter(Boolean).join('.') || '(body)',
    message: i.message,
  }));
}

const PROBLEM_TYPE_BASE = 'https://docs.csp-onprem.example/problems/';

function slug(title: string) {
  return title.toLowerCase().replace(/[^a-z0-9]+/g, '-');
}

export function sendProblem(res: Parameters<RequestHandler>[1], problem: HttpProblem): void {
  const { headers, errors, type, page, ...rest } = problem.extra;
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
      type: type ?? PROBLEM_TYPE_BASE + slug(problem.title),
      title: problem.title,
      status: problem.status,
      detail: problem.detail,
      instance: res.req.originalUrl,
      ...(errors && errors.length ? { errors } : {}),
      ...rest,
    });
}

export const notFoundRoute: RequestHandler = (req, _res, next) => {
  next(new HttpProblem(404, 'Not Found', `No route for ${req.method} ${req.path}.`));
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
      return sendProblem(res, new HttpProblem(413, 'Content Too Large', 'The request body is larger than this endpoint accepts.'));
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
      return sendProblem(res, new HttpProblem(parserError.status, 'Bad Request', 'The request could not be read.'));
    }
    if (isDependencyOutage(err)) {
      req.log.warn({ err: (err as Error).message }, 'dependency unavailable');
      return sendProblem(res, problems.unavailable('A service this request needs (database or Temporal) is unavailable right now; retry shortly with the same Idempotency-Key.'));
    }
    log(err, req);
    return sendProblem(res, new HttpProblem(500, 'Internal Server Error', 'Something went wrong on our side; the request id identifies it in our logs.'));
  };
}
