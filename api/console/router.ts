import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import cookieParser from 'cookie-parser';
import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { z } from 'zod';
import { ACCESS } from '../../common/access.ts';
import type { Config } from '../../common/config.ts';
import type { Role } from '../../common/domain.ts';
import { refundCaseFilingBody, decisionBody, keysAndDownloadsBody, refundCaseListQuery, uuidSchema } from '../../common/schemas.ts';
import type { ApiKeyVerifier } from '../auth.ts';
import type { Db } from '../../db/client.ts';
import type { Logger } from '../../common/logger.ts';
import { isDependencyOutage } from '../../infra/outage.ts';
import { HttpProblem, problems, zodErrors, type FieldError } from '../problem.ts';
import type { Services } from '../services/index.ts';
import type { Html } from './html.ts';
import { ROLE_NAMES } from './layout.ts';
import { errorPage } from './pages/errors.ts';
import { dashboardPage } from './pages/operations.ts';
import { casePage, queuePage } from './pages/refund-cases.ts';
import { signInPage } from './pages/sign-in.ts';
import { refundCaseFilingPage, customersPage, softwareItemPage, softwareListPage } from './pages/software.ts';
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

const send = (res: Response, status: number, body: Html) => void res.status(status).type('html').send(body.value);
const session = (res: Response) => res.locals.consoleSession!;
/** Form fields arrive as strings (or arrays when repeated); anything else is treated as absent. */
const field = (req: Request, name: string): string => {
  const v: unknown = (req.body as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? v : '';
};
const fields = (req: Request, names: string[]) => Object.fromEntries(names.map((n) => [n, field(req, n)]));
/** Only paths inside the console may be a post-sign-in destination (no open redirect). */
const safeNext = (next: unknown) => (typeof next === 'string' && /^\/console(\/[A-Za-z0-9/_?&=.%-]*)?$/.test(next) ? next : '/console');
const idParams = z.object({ id: uuidSchema });
const subParams = z.object({ customerId: uuidSchema, subscriptionId: uuidSchema });

/**
 * The web console: server-rendered pages for support, operations and partner admins, calling the
 * same services as the API with the same role rules and partner scoping.
 */
export function createConsoleRouter(deps: ConsoleDeps) {
  const { config, db, logger, services } = deps;
  const sessions = createSessionStore(db, deps.verifier, config.consoleSessionTtlMs);
  const router = express.Router();

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
    handler: (req, res) => {
      res.setHeader('Retry-After', '60');
      send(res, 429, signInPage(String(req.cookies?.[SIGN_IN_COOKIE] ?? ''), { error: 'Too many sign-in attempts from this address. Wait a minute and try again.' }));
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
    if (req.method === 'POST' && !sameToken(field(req, '_csrf'), found.csrfToken)) {
      return send(res, 403, errorPage(found, 403, 'Form expired', 'This form was not issued by this session. Reload the page and submit it again.'));
    }
    next();
  });

  const allow =
    (roles: readonly Role[], what: string): RequestHandler =>
    (_req, res, next) => {
      const role = session(res).caller.role;
      if (roles.includes(role)) return next();
      send(res, 403, errorPage(session(res), 403, 'Not allowed', `The ${ROLE_NAMES[role]} role may not ${what}.`));
    };

  router.post('/sign-out', async (_req, res) => {
    await sessions.signOut(session(res).id);
    res.clearCookie(SESSION_COOKIE, { path: '/console' });
    res.redirect(303, '/console/sign-in');
  });

  router.get('/', (_req, res) => {
    const role = session(res).caller.role;
    res.redirect(303, role === 'operations' ? '/console/operations' : role === 'support_engineer' ? '/console/refund-cases' : '/console/customers');
  });

  // ---- support: the refund-case queue and the case page ----
  router.get('/refund-cases', allow(ACCESS.readRefundCases, 'open the refund-case queue'), async (req, res) => {
    const raw = Object.fromEntries(Object.entries(req.query).filter(([, v]) => v !== ''));
    const parsed = refundCaseListQuery.safeParse(raw);
    const filters = parsed.success ? parsed.data : {};
    const caller = session(res).caller;
    const [cases, partners] = await Promise.all([
      services.refundCases.list(caller, filters),
      caller.partnerId ? Promise.resolve([]) : db.partner.findMany({ orderBy: { name: 'asc' }, select: { id: true, name: true } }),
    ]);
    send(res, parsed.success ? 200 : 422, queuePage(session(res), cases, filters, partners));
  });

  const caseId = (req: Request) => {
    const p = idParams.safeParse(req.params);
    if (!p.success) throw problems.notFound('refund case');
    return p.data.id;
  };

  router.get('/refund-cases/:id', allow(ACCESS.readRefundCases, 'open refund cases'), async (req, res) => {
    const c = await services.refundCases.get(session(res).caller, caseId(req));
    const done = typeof req.query.done === 'string' ? req.query.done : undefined;
    const notice = done === 'filed' ? 'The cancellation ticket is filed.' : done === 'comment' ? 'Comment added.' : done ? `Decision recorded: ${done.replaceAll('_', ' ')}.` : undefined;
    send(res, 200, casePage(session(res), c, { notice: notice ? { kind: 'success', text: notice } : undefined }));
  });

  router.post('/refund-cases/:id/decision', allow(ACCESS.decideRefundCases, 'decide refund cases'), async (req, res) => {
    const id = caseId(req);
    const values = fields(req, ['decision', 'approvedAmount', 'note']);
    const body = decisionBody.safeParse({
      decision: values.decision,
      note: values.note,
      ...(values.decision === 'approve' && values.approvedAmount!.trim() ? { approvedAmount: values.approvedAmount!.trim() } : {}),
    });
    const caller = session(res).caller;
    const again = async (status: number, errors: FieldError[], text: string) =>
      send(res, status, casePage(session(res), await services.refundCases.get(caller, id), { errors, values, notice: { kind: 'error', text } }));
    if (!body.success) return again(422, zodErrors(body.error), 'The decision was not recorded: please correct the form.');
    try {
      await services.refundCases.decide(caller, id, body.data);
    } catch (err) {
      if (err instanceof HttpProblem && err.status < 500 && err.status !== 404) return again(err.status, err.extra.errors ?? [], `The decision was not recorded: ${err.detail}`);
      throw err;
    }
    res.redirect(303, `/console/refund-cases/${id}?done=${body.data.decision}`);
  });

  router.post('/refund-cases/:id/comments', allow(ACCESS.commentOnRefundCases, 'comment on refund cases'), async (req, res) => {
    const id = caseId(req);
    const caller = session(res).caller;
    const note = field(req, 'note').trim();
    try {
      if (!note) throw problems.unprocessable('The comment is empty.', [{ path: 'note', message: 'write a comment' }]);
      await services.refundCases.comment(caller, id, { note: note.slice(0, 2000) });
    } catch (err) {
      if (err instanceof HttpProblem && err.status < 500 && err.status !== 404) {
        return send(res, err.status, casePage(session(res), await services.refundCases.get(caller, id), { notice: { kind: 'error', text: `The comment was not added: ${err.detail}` } }));
      }
      throw err;
    }
    res.redirect(303, `/console/refund-cases/${id}?done=comment`);
  });

  // ---- operations: the dashboard ----
  router.get('/operations', allow(ACCESS.operate, 'open the operations dashboard'), async (req, res) => {
    const requested = z.coerce.number().int().min(0).max(100_000).safeParse(req.query.stuckAfterMinutes);
    const stuckAfterMinutes = requested.success && req.query.stuckAfterMinutes !== '' ? requested.data : Math.round(config.stuckOrderAfterMs / 60_000);
    const stuckAfterMs = stuckAfterMinutes * 60_000;
    const [summary, stuck, inFlight, activity] = await Promise.all([
      services.operations.summary(),
      services.operations.orders({ stuck: 'true' }, stuckAfterMs),
      services.operations.orders({}, stuckAfterMs),
      services.operations.activity(24),
    ]);
    send(res, 200, dashboardPage(session(res), { summary, stuck, inFlight, activity, stuckAfterMinutes }));
  });

  // ---- partner agents: customers, their Software list, keys and downloads, cancel ----
  const customerOf = async (res: Response, customerId: string) => {
    if (!uuidSchema.safeParse(customerId).success) throw problems.notFound('customer');
    return services.customers.view(await services.customers.get(session(res).caller, customerId));
  };
  const itemOf = async (req: Request, res: Response) => {
    const p = subParams.safeParse(req.params);
    if (!p.success) throw problems.notFound('software subscription');
    const customer = await customerOf(res, p.data.customerId);
    const item = await services.software.get(session(res).caller, customer.id, p.data.subscriptionId);
    return { customer, item };
  };

  router.get('/customers', allow(ACCESS.partnerStaff, 'open the customer list'), async (_req, res) => {
    send(res, 200, customersPage(session(res), await services.customers.list(session(res).caller)));
  });

  router.get('/customers/:customerId', allow(ACCESS.partnerStaff, 'open a customer’s Software list'), async (req, res) => {
    const customer = await customerOf(res, String(req.params.customerId));
    send(res, 200, softwareListPage(session(res), customer, await services.software.list(session(res).caller, customer.id)));
  });

  router.get('/customers/:customerId/software/:subscriptionId', allow(ACCESS.partnerStaff, 'open software'), async (req, res) => {
    const { customer, item } = await itemOf(req, res);
    send(res, 200, softwareItemPage(session(res), customer, item));
  });

  router.post('/customers/:customerId/software/:subscriptionId/keys-and-downloads', allow(ACCESS.keysAndDownloads, 'get keys and downloads'), async (req, res) => {
    const { customer, item } = await itemOf(req, res);
    const values = fields(req, ['version', 'language', 'fileType']);
    const body = keysAndDownloadsBody.safeParse(values);
    if (!body.success) return send(res, 422, softwareItemPage(session(res), customer, item, { values, errors: zodErrors(body.error) }));
    try {
      const result = await services.software.keysAndDownloads(session(res).caller, customer.id, item.subscriptionId, body.data);
      const fresh = await services.software.get(session(res).caller, customer.id, item.subscriptionId);
      send(res, 200, softwareItemPage(session(res), customer, fresh, { values, result, notice: { kind: 'success', text: 'Here are the key and the download link.' } }));
    } catch (err) {
      if (err instanceof HttpProblem && (err.status === 409 || err.status === 422)) {
        return send(res, err.status, softwareItemPage(session(res), customer, item, { values, errors: err.extra.errors, notice: { kind: 'error', text: err.detail } }));
      }
      throw err;
    }
  });

  const currencyOf = async (orderId: string) => (await db.order.findUniqueOrThrow({ where: { id: orderId }, select: { currency: true } })).currency;
  const CANCEL_FIELDS = ['title', 'impact', 'refundReason', 'amount', 'description', 'contactName', 'contactEmail', 'contactPhone'];

  router.get('/customers/:customerId/software/:subscriptionId/cancel', allow(ACCESS.cancel, 'cancel purchases'), async (req, res) => {
    const { customer, item } = await itemOf(req, res);
    send(res, 200, refundCaseFilingPage(session(res), customer, item, await currencyOf(item.orderId), randomUUID()));
  });

  router.post('/customers/:customerId/software/:subscriptionId/cancel', allow(ACCESS.cancel, 'cancel purchases'), async (req, res) => {
    const { customer, item } = await itemOf(req, res);
    const currency = await currencyOf(item.orderId);
    const values = fields(req, CANCEL_FIELDS);
    const idempotencyKey = field(req, 'idempotencyKey');
    const again = (status: number, errors: FieldError[] | undefined, text: string) =>
      send(res, status, refundCaseFilingPage(session(res), customer, item, currency, /^[A-Za-z0-9-]{1,255}$/.test(idempotencyKey) ? idempotencyKey : randomUUID(), { values, errors, notice: { kind: 'error', text } }));
    const body = refundCaseFilingBody.safeParse({
      customer: { domain: customer.domain },
      subscriptionId: item.subscriptionId,
      refundReason: values.refundReason,
      amountRequested: { amount: values.amount!.trim(), currency },
      impact: values.impact,
      title: values.title,
      ...(values.description!.trim() ? { description: values.description } : {}),
      contact: { name: values.contactName, email: values.contactEmail, phone: values.contactPhone },
    });
    if (!body.success) return again(422, zodErrors(body.error), 'The ticket was not filed: please correct the form.');
    if (!/^[A-Za-z0-9-]{1,255}$/.test(idempotencyKey)) return again(422, [], 'The form is incomplete; it has been renewed, please submit it again.');
    try {
      const filed = await services.refundCases.file(session(res).caller, customer.id, item.subscriptionId, body.data, `console:${idempotencyKey}`);
      res.redirect(303, `/console/refund-cases/${filed.refundCaseId}?done=filed`);
    } catch (err) {
      if (err instanceof HttpProblem && (err.status === 409 || err.status === 422)) return again(err.status, err.extra.errors, `The ticket was not filed: ${err.detail}`);
      throw err;
    }
  });

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
