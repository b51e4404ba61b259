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

/** A filter that is not valid is said (and the list shown without it) rather than silently ignored. */
export const invalidFilters = (error: z.ZodError) =>
  `These filters are not valid and were left out: ${zodErrors(error, 'query').map((e) => `${e.path.replace('query.', '')} (${e.message})`).join('; ')}.`;

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

