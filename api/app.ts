import { randomUUID } from 'node:crypto';
import { context, propagation } from '@opentelemetry/api';
import express, { type Request, type RequestHandler, type Response } from 'express';
import cors from 'cors';
import { mountProblemPages } from './problem-pages.ts';
import { failedAuthGuard, requestLimiter } from './rate-limits.ts';
import { ipKeyGenerator } from 'express-rate-limit';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import { ApiKeyVerifier } from './auth.ts';
import type { ApiDeps } from './context.ts';
import { idempotency } from './idempotency.ts';
import { createIdempotencyWrites } from '../db/idempotency.ts';
import { errorHandler, notFoundRoute, problems, zodErrors } from './problem.ts';
import { mountDocs } from './docs.ts';
import { metricsHandler } from './metrics.ts';
import { buildOpenApiDocument } from './openapi.ts';
import { writeReply, type Reply } from './reply.ts';
import { ROUTES, type RouteDef } from './routes/index.ts';
import { createServices } from './services/index.ts';
import { createConsoleRouter } from './console/router.ts';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,100}$/;

/**
 * The URL as logged: a download path's token and every query value are secrets or may be (a key
 * sent as `?api_key=` must not land in the log), so only the route and the query's names remain.
 */
export function loggedUrl(url: string): string {
  const [path = '', query] = url.split(/\?(.*)/s, 2);
  const route = path.replace(/\/v1\/downloads\/[^/]+/, '/v1/downloads/[token]');
  if (query === undefined) return route;
  const names = query.split('&').filter(Boolean).map((pair) => `${pair.split('=')[0]!.slice(0, 40)}=[redacted]`);
  return `${route}?${names.join('&')}`;
}

const callerOf = (res: Response) => ({ partnerId: res.locals.caller?.partnerId ?? undefined, agentId: res.locals.caller?.agentId });

export function createApp(deps: ApiDeps) {
  const { config, db, logger, metrics } = deps;
  const services = createServices(deps);
  const verifier = new ApiKeyVerifier(db, deps.keyChanges);
  const app = express();
  app.disable('x-powered-by');
  // Problem types are URLs under the API's public address (api/problem.ts).
  app.locals.publicBaseUrl = config.publicBaseUrl;
  // Only a configured proxy's X-Forwarded-For is believed (TRUST_PROXY); otherwise the peer address is the client.
  app.set('trust proxy', config.trustProxy);

  app.use((req, res, next) => {
    const incoming = req.get('X-Request-Id');
    res.locals.requestId = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.setHeader('X-Request-Id', res.locals.requestId);
    // With tracing on, the request's trace in W3C form, so a caller can hand us the trace itself.
    propagation.inject(context.active(), res, { set: (carrier, key, value) => carrier.setHeader(key, value) });
    next();
  });
  app.use(
    pinoHttp({
      logger,
      genReqId: (_req, res) => String(res.getHeader('X-Request-Id')),
      // Who called, on the access line: known only once the request is answered. (As customProps it
      // cost two child loggers a request, built even when the level logs no access line: ~2 % of
      // the API's CPU on an order.)
      customSuccessObject: (_req, res, line: object) => ({ ...line, ...callerOf(res) }),
      customErrorObject: (_req, res, _err, line: object) => ({ ...line, ...callerOf(res) }),
      serializers: {
        req: (req: { method: string; url: string; id: string }) => ({ id: req.id, method: req.method, url: loggedUrl(req.url) }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    }),
  );
  app.use(helmet());
  app.use((req, res, next) => {
    const stop = metrics.httpDuration.startTimer();
    res.on('finish', () => {
      const route = req.route ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      const labels = { method: req.method, route, status: String(res.statusCode) };
      metrics.httpRequests.inc(labels);
      stop(labels);
      if (req.route) deps.onAnswered?.(req.method, route, res.statusCode);
    });
    next();
  });

  // The Temporal Web UI calls the codec server from the browser: allow its origin, and let the
  // preflight through without a key (the real request still needs an operations or support key).
  const uiOrigin = config.temporal.uiUrl ? new URL(config.temporal.uiUrl).origin : undefined;
  app.use('/codec', cors({ origin: uiOrigin ? [uiOrigin] : false, credentials: true, allowedHeaders: ['Authorization', 'Content-Type', 'X-Namespace'], methods: ['POST'] }));
  const openApi = buildOpenApiDocument(ROUTES);
  app.get('/openapi.json', (_req, res) => {
    res.json(openApi);
  });
  mountDocs(app);
  mountProblemPages(app);

  // In production /metrics belongs on an internal port (METRICS_ADDRESS, see server.ts).
  if (!config.metricsAddress) app.get('/metrics', metricsHandler(metrics));

  // Failed authentications per client address: past the limit the address is answered 429 before
  // any key is checked, so guessing keys cannot be used to burn the scrypt CPU. Only a 401 counts
  // (express-rate-limit counts every request first and takes successes back after, so a burst of
  // good requests from one address was refused as if they had failed).
  const addressOf = (req: Request) => ipKeyGenerator(req.ip ?? '');
  const authFailures = failedAuthGuard({ db, logger, limit: config.authFailuresPerMinute, windowMs: 60_000, keyOf: addressOf });

  const authenticate: RequestHandler = async (req, res, next) => {
    const header = req.get('Authorization') ?? '';
    const presented = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
    // A key verified before costs no scrypt: its address is checked by the limiter's statement.
    let caller = presented ? verifier.known(presented) : null;
    if (!caller) {
      const blocked = await authFailures.blocked(req);
      if (blocked) return next(blocked);
      caller = presented ? await verifier.verify(presented) : null;
    }
    if (!caller) {
      await authFailures.failed(req);
      return next(problems.unauthorized());
    }
    res.locals.caller = caller;
    next();
  };

  // Counted in PostgreSQL, so the limit holds however many API processes share the traffic.
  const limits = { db, logger, prefix: 'requests:', limit: config.rateLimitPerMinute, windowMs: 60_000, leaseMs: deps.rateLimitLeaseMs };
  const callerLimiter = requestLimiter({ ...limits, keyOf: (_req, res) => res.locals.caller!.keyPrefix, failures: authFailures });
  const addressLimiter = requestLimiter({ ...limits, keyOf: (req) => `ip:${addressOf(req)}` });

  // One per process: the claims and completions of every idempotent route share their statements.
  const idempotencyWrites = createIdempotencyWrites(db);
  const rawBody = express.raw({ type: () => true, limit: '64kb' });

  for (const def of ROUTES) app[def.method](def.path, ...pipeline(def));

  function pipeline(def: RouteDef): RequestHandler[] {
    const steps: RequestHandler[] = [];
    if (def.access !== 'public') {
      steps.push(authenticate, callerLimiter);
      const allowed = def.access;
      steps.push((_req, res, next) => {
        const role = res.locals.caller!.role;
        next(allowed.includes(role) ? undefined : problems.forbidden(`The ${role} role may not call ${def.method.toUpperCase()} ${def.path} (${def.summary.charAt(0).toLowerCase()}${def.summary.slice(1)}).`));
      });
    } else {
      steps.push(addressLimiter);
    }
    if (def.method === 'post') steps.push(def.rawBody ? rawBody : express.json({ limit: def.bodyLimit ?? '256kb', strict: true }));
    if (def.idempotent) {
      const beforeReplay = def.beforeReplay && ((res: Response) => def.beforeReplay!({ caller: res.locals.caller!, idempotencyKey: res.locals.idempotencyKey!, services }));
      steps.push(idempotency(db, idempotencyWrites, { stored: def.storedForReplay, claimedByHandler: def.claimsKey, beforeReplay }));
    }
    const run = async (req: Request, res: Response): Promise<Reply> => {
      const params = def.params ? def.params.safeParse(req.params) : { success: true as const, data: req.params };
      // A malformed id cannot name anything: answer as for an unknown one.
      if (!params.success) throw problems.notFound(Object.keys(req.params).join('/') || 'resource');
      const query = def.query ? def.query.safeParse(req.query) : { success: true as const, data: req.query };
      if (!query.success) throw problems.unprocessable('The query string is invalid.', zodErrors(query.error, 'query'));
      let body: unknown = req.body;
      if (def.body) {
        const parsed = def.body.safeParse(req.body ?? {});
        if (!parsed.success) throw problems.unprocessable('The request body is invalid.', zodErrors(parsed.error));
        body = parsed.data;
      }
      return def.handler({
        caller: res.locals.caller!,
        params: params.data,
        query: query.data,
        body,
        idempotencyKey: res.locals.idempotencyKey,
        keyClaim: res.locals.keyClaim,
        req,
        services,
      });
    };
    steps.push(async (req, res) => {
      const refused = res.locals.keyRefused;
      let reply: Reply | undefined;
      while (!reply) {
        reply = await run(req, res).catch(async (err: unknown) => {
          // A route that claims its key itself may find it taken, or refuse a request whose key is recorded: the record answers.
          const instead = refused && (await refused(err));
          if (!instead) throw err;
          return instead === 'mine' ? undefined : instead;
        });
      }
      await writeReply(res, reply);
    });
    return steps;
  }

  app.use('/console', createConsoleRouter({ config, db, logger, services, verifier }));

  app.use(notFoundRoute);
  app.use(errorHandler((err, req) => req.log.error({ err }, 'unhandled error')));
  return Object.assign(app, {
    /** What the app holds in the shared database beyond its requests (its limiters' leases), given back once its server has stopped taking requests. */
    async shutdown(): Promise<void> {
      await Promise.all([callerLimiter.close(), addressLimiter.close()]);
    },
  });
}
