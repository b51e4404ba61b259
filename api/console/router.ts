import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import cookieParser from 'cookie-parser';
import express, { type ErrorRequestHandler, type Request } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { PostgresRateLimitStore } from '../rate-limits.ts';
import type { Config } from '../../common/config.ts';
import type { ApiKeyVerifier } from '../auth.ts';
import type { Db } from '../../db/client.ts';
import type { Logger } from '../../common/logger.ts';
import { isDependencyOutage } from '../../infra/outage.ts';
import { HttpProblem } from '../problem.ts';
import type { Services } from '../services/index.ts';
import { webhookArea } from './areas/webhooks.ts';
import { orderArea } from './areas/orders.ts';
import { customerArea } from './areas/customers.ts';
import { operationsArea } from './areas/operations.ts';
import { refundCaseArea } from './areas/refund-cases.ts';
import { field, send, session } from './kit.ts';
import { errorPage } from './pages/errors.ts';
import { signInPage } from './pages/sign-in.ts';
import { readMultipart } from './uploads.ts';
import { createSessionStore, sameToken, type ConsoleSession } from './sessions.ts';

const SESSION_COOKIE = 'csp_console';
const SIGN_IN_COOKIE = 'csp_console_signin';
const ASSETS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'assets');

declare module 'express-serve-static-core' {
  interface Locals {
    consoleSession?: ConsoleSession;
  }
}

export interface ConsoleDeps {
  config: Config;
  db: Db;
  logger: Logger;
  services: Services;
  verifier: ApiKeyVerifier;
}

/** Only paths inside the console may be a post-sign-in destination (no open redirect). */
const safeNext = (next: unknown) => (typeof next === 'string' && /^\/console(\/[A-Za-z0-9/_?&=.%-]*)?$/.test(next) ? next : '/console');

/**
 * The web console: server-rendered pages for support, operations and partner admins, calling the
 * same services as the API with the same role rules and partner scoping.
 */
export function createConsoleRouter(deps: ConsoleDeps) {
  const { config, db, logger, services } = deps;
  const sessions = createSessionStore(db, deps.verifier, config.consoleSessionTtlMs);
  const router = express.Router();
  const area = { router, config, db, services };

  router.use('/assets', express.static(ASSETS, { index: false, maxAge: '1h', fallthrough: false }));
  router.use(cookieParser());
  router.use(express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 50 }));
  router.use((_req, res, next) => {
    // Pages can show product keys and download links: never keep them in a cache.
    res.setHeader('Cache-Control', 'no-store');
    next();
  });

  const cookie = (req: Request, maxAgeMs: number) => ({ httpOnly: true, sameSite: 'strict' as const, secure: req.secure, path: '/console', maxAge: maxAgeMs });

  const signInLimiter = rateLimit({
    windowMs: 60_000,
    limit: 20,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    keyGenerator: (req) => ipKeyGenerator(req.ip ?? ''),
    store: new PostgresRateLimitStore(db, 'console-sign-in:', logger),
    // Only refused sign-ins count (a success answers 303 and is taken back): a team behind one
    // address signing in at the start of the day is not locked out as if it were guessing keys.
    skipSuccessfulRequests: true,
    passOnStoreError: true,
    handler: (req, res) => {
      res.setHeader('Retry-After', '60');
      send(res, 429, signInPage(String(req.cookies?.[SIGN_IN_COOKIE] ?? ''), { error: 'Too many failed sign-in attempts from this address. Wait a minute and try again.' }));
    },
  });

  router.get('/sign-in', async (req, res) => {
    if (await sessions.resolve(req.cookies?.[SESSION_COOKIE])) return void res.redirect(303, safeNext(req.query.next));
    // Login CSRF: the form must come from a page this browser loaded (double-submit, SameSite=Strict).
    const csrf = randomBytes(24).toString('base64url');
    res.cookie(SIGN_IN_COOKIE, csrf, cookie(req, 3600_000));
    send(res, 200, signInPage(csrf, { next: typeof req.query.next === 'string' ? safeNext(req.query.next) : undefined }));
  });

  router.post('/sign-in', signInLimiter, async (req, res) => {
    const expected = String(req.cookies?.[SIGN_IN_COOKIE] ?? '');
    if (!expected || !sameToken(field(req, '_csrf'), expected)) {
      return send(res, 403, signInPage(expected, { error: 'The sign-in form expired. Please try again.' }));
    }
    const signedIn = await sessions.signIn(field(req, 'apiKey'));
    if (!signedIn) return send(res, 401, signInPage(expected, { error: 'That API key is not valid: it is unknown, revoked or mistyped.', next: safeNext(field(req, 'next')) }));
    res.clearCookie(SIGN_IN_COOKIE, { path: '/console' });
    res.cookie(SESSION_COOKIE, signedIn.token, cookie(req, config.consoleSessionTtlMs));
    logger.info({ agentId: signedIn.session.caller.agentId, role: signedIn.session.caller.role }, 'console sign-in');
    res.redirect(303, safeNext(field(req, 'next')));
  });

  router.use(async (req, res, next) => {
    const found = await sessions.resolve(req.cookies?.[SESSION_COOKIE]);
    if (!found) {
      res.clearCookie(SESSION_COOKIE, { path: '/console' });
      if (req.method === 'GET') return void res.redirect(303, `/console/sign-in?next=${encodeURIComponent(req.originalUrl)}`);
      return send(res, 401, errorPage(undefined, 401, 'Signed out', 'Your session has ended. Sign in again to continue.'));
    }
    res.locals.consoleSession = found;
    res.locals.caller = found.caller;
    if (req.method === 'POST' && req.is('multipart/form-data')) await readMultipart(req, res);
    if (req.method === 'POST' && !sameToken(field(req, '_csrf'), found.csrfToken)) {
      return send(res, 403, errorPage(found, 403, 'Form expired', 'This form was not issued by this session. Reload the page and submit it again.'));
    }
    next();
  });

  router.post('/sign-out', async (_req, res) => {
    await sessions.signOut(session(res).id);
    res.clearCookie(SESSION_COOKIE, { path: '/console' });
    res.redirect(303, '/console/sign-in');
  });

  router.get('/', (_req, res) => {
    const role = session(res).caller.role;
    res.redirect(303, role === 'operations' ? '/console/operations' : role === 'support_engineer' ? '/console/refund-cases' : '/console/customers');
  });

  refundCaseArea(area);
  operationsArea(area);
  customerArea(area);
  webhookArea(area);
  orderArea(area);

  router.use((_req, res) => send(res, 404, errorPage(res.locals.consoleSession, 404, 'Not found', 'There is no such page in the console.')));
  const onError: ErrorRequestHandler = (err: unknown, req, res, next) => {
    if (res.headersSent) return next(err);
    if (err instanceof HttpProblem && err.status < 500) return send(res, err.status, errorPage(res.locals.consoleSession, err.status, err.title, err.detail));
    // Body-parser and static-file errors carry their own client status (413, 404 …).
    const status = (err as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return send(res, status, errorPage(res.locals.consoleSession, status, status === 413 ? 'Too large' : 'Not found', status === 413 ? 'The form is too large.' : 'There is no such page in the console.'));
    }
    if (isDependencyOutage(err)) {
      return send(res, 503, errorPage(res.locals.consoleSession, 503, 'Temporarily unavailable', 'The database or Temporal is unavailable right now, so this action may not have completed. Reload the page in a moment to see where things stand.'));
    }
    req.log.error({ err }, 'console error');
    send(res, 500, errorPage(res.locals.consoleSession, 500, 'Something went wrong', `The console could not complete this request. Request id ${String(res.locals.requestId ?? '')} identifies it in our logs.`));
  };
  router.use(onError);
  return router;
}
