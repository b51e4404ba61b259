import type { z } from 'zod';
import { HttpProblem, zodErrors } from '../problem.ts';
import type { Request, RequestHandler, Response, Router } from 'express';
import type { Config } from '../../common/config.ts';
import type { Role } from '../../common/domain.ts';
import type { Db } from '../../db/client.ts';
import type { Services } from '../services/index.ts';
import type { Html } from './html.ts';
import { ROLE_NAMES } from './layout.ts';
import { errorPage } from './pages/errors.ts';

// What every area of the console (api/console/areas/) uses to answer: the page writer, the
// signed-in session, form fields and the role check.

/** What an area's routes are given: the router to add to and what its pages need. */
export interface ConsoleArea {
  router: Router;
  config: Config;
  db: Db;
  services: Services;
}

export const send = (res: Response, status: number, body: Html) => void res.status(status).type('html').send(body.value);
export const session = (res: Response) => res.locals.consoleSession!;
/** Form fields arrive as strings (or arrays when repeated); anything else is treated as absent. */
export const field = (req: Request, name: string): string => {
  const v: unknown = (req.body as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? v : '';
};
export const fields = (req: Request, names: string[]) => Object.fromEntries(names.map((n) => [n, field(req, n)]));

/** The same role rules as the API (common/access.ts), answered with a page. */
export const allow =
  (roles: readonly Role[], what: string): RequestHandler =>
  (_req, res, next) => {
    const role = session(res).caller.role;
    if (roles.includes(role)) return next();
    send(res, 403, errorPage(session(res), 403, 'Not allowed', `The ${ROLE_NAMES[role]} role may not ${what}.`));
  };

/** A list page's query as the form sent it, without the fields left empty. */
export const filledQuery = (req: Request) => Object.fromEntries(Object.entries(req.query).filter(([, v]) => v !== ''));

/**
 * A list's filters from its query: the valid ones kept, each invalid one left out and said in
 * `invalid` (never silently ignored, and never taking the valid filters and the sort down with it).
 */
export function listFilters<T>(schema: z.ZodType<T>, query: Record<string, unknown>): { filters: T; invalid?: string } {
  const parsed = schema.safeParse(query);
  if (parsed.success) return { filters: parsed.data };
  const errors = zodErrors(parsed.error, 'query');
  const wrong = new Set(parsed.error.issues.flatMap((i) => (i.code === 'unrecognized_keys' ? i.keys : [String(i.path[0])])));
  const kept = schema.safeParse(Object.fromEntries(Object.entries(query).filter(([k]) => !wrong.has(k))));
  const words = `These filters are not valid and were left out: ${errors.map((e) => `${e.path.replace('query.', '')} (${e.message})`).join('; ')}.`;
  return { filters: kept.success ? kept.data : schema.parse({}), invalid: words };
}

/** The list's first page when its cursor no longer fits it (a link from before a change of sort). */
export async function firstPageIfStale<Q extends { cursor?: unknown }, T>(query: Q, list: (q: Q) => Promise<T>): Promise<{ found: T; stale: boolean }> {
  try {
    return { found: await list(query), stale: false };
  } catch (err) {
    if (!(err instanceof HttpProblem && err.status === 422 && query.cursor)) throw err;
    return { found: await list({ ...query, cursor: undefined }), stale: true };
  }
}
export const STALE_PAGE = 'That page link does not belong to this list any more; here is its first page.';

