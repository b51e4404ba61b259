import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import type { RouteDef } from './routes/index.ts';
import { RESPONSE_HEADERS, TAGS, type ResponseHeader } from './openapi-parts.ts';
import { PROBLEM_TYPE_NAMES, PROBLEM_TYPES, type ProblemType } from '../common/problem-types.ts';
import { EXAMPLES, problemExamples, samplePath } from './examples/index.ts';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../infra/paths.ts';

const PACKAGE_VERSION = z.object({ version: z.string() }).parse(JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8'))).version;

const problemSchema = z.object({
  type: z.string().describe(`The kind of failure: <API address>/problems/<name>, where name is one of ${PROBLEM_TYPE_NAMES.join(', ')}. Each is documented at its URL and under x-problem-types.`),
  title: z.string().describe('The type’s title, the same for every answer of that type'),
  status: z.number().int().describe('The HTTP status, repeated'),
  detail: z.string().describe('What went wrong in this request, for a person (branch on type, not on this)'),
  instance: z.string().optional().describe('The request’s path'),
  errors: z
    .array(z.object({ path: z.string().describe('The field, e.g. body.lineItems.0.quantity or query.limit'), message: z.string().describe('What is wrong with it') }))
    .optional()
    .describe('validation-failed and idempotency-key-reused: each field that is wrong'),
}).catchall(z.unknown()).meta({ id: 'Problem', description: 'An RFC 9457 problem: every error answer. Some types carry more members (x-problem-types lists them), e.g. linkStatus and reason on a 410.' });

/** Documents the service serves next to the API (not in the route table, but documented too). */
export const SERVICE_DOCUMENTS: [path: string, summary: string, type: string, example: unknown][] = [
  ['/openapi.json', 'This OpenAPI document', 'application/json', { openapi: '3.1.0', info: { title: 'CSP on-premises orchestrator API', version: PACKAGE_VERSION }, paths: {} }],
  ['/docs', 'The API reference, rendered', 'text/html', '<!doctype html>\n<html lang="en">\n<head>\n  <meta charset="utf-8">\n  <title>CSP on-premises orchestrator — API</title>…'],
  ['/docs/init.js', 'Script of the API reference page', 'application/javascript', "window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui' });\n"],
  ['/metrics', 'Prometheus metrics (bind to an internal port in production)', 'text/plain', '# HELP csp_http_requests_total HTTP requests by method, route and status\n# TYPE csp_http_requests_total counter\ncsp_http_requests_total{method="POST",route="/v1/customers/:customerId/orders",status="202"} 412\n'],
  ['/problems', 'The problem types: what each means and whether to retry (JSON with Accept: application/json)', 'text/html', '<!doctype html><html lang="en"><head><title>Problem types</title>…'],
];

/**
 * What the shared pipeline (app.ts) can answer on a route besides the route's own answers: the
 * rate limits, authentication and roles, body and path parsing, query validation, Idempotency-Key
 * rules, and 503 while the database or Temporal is down.
 */
export function answersOfEveryRoute(def: RouteDef): Record<string, string> {
  const errors: Record<string, string> = { 429: 'Rate-limited, or too many failed authentications from this address (see Retry-After)' };
  if (def.access !== 'public') Object.assign(errors, { 401: 'Missing or unknown API key (see WWW-Authenticate)', 403: 'The role may not do this' });
  if (def.method === 'post') Object.assign(errors, { 413: 'The body is too large', 422: 'Invalid input (see `errors`)' });
  if (def.method === 'post' && !def.rawBody) Object.assign(errors, { 400: 'The body is not valid JSON', 415: 'The body’s charset or encoding is not supported (send UTF-8 JSON)' });
  if (def.params) Object.assign(errors, { 400: errors[400] ? 'The body is not valid JSON, or the URL is not valid percent-encoding' : 'The URL is not valid percent-encoding', 404: 'Unknown, or another partner’s' });
  if (def.query) errors[422] = 'Invalid query string (see `errors`)';
  if (def.idempotent) {
    Object.assign(errors, {
      400: 'The body is not valid JSON, the URL is not valid percent-encoding, or the Idempotency-Key is not 1–255 characters',
      409: 'A request with this Idempotency-Key is still being processed (retry after Retry-After), or the state forbids it',
      422: 'Invalid input (see `errors`), or this Idempotency-Key was used with another body',
    });
  }
  if (def.path !== '/healthz') errors[503] = 'The database or Temporal is unavailable right now; retry after Retry-After (with the same Idempotency-Key)';
  return errors;
}

/**
 * The problem types an error answer of this route can carry: those the route declares, and those
 * of the shared pipeline at that status.
 */
export function problemTypesOf(def: RouteDef, status: number): ProblemType[] {
  const shared: Record<number, ProblemType[]> = {
    400: ['bad-request'],
    401: [def.rawBody ? 'bad-signature' : 'unauthorized'],
    403: ['forbidden'],
    404: ['not-found'],
    409: def.idempotent ? ['idempotency-key-in-flight', 'idempotency-retry-needed'] : [],
    413: ['content-too-large'],
    415: ['unsupported-media-type'],
    416: ['range-not-satisfiable'],
    422: def.idempotent ? ['validation-failed', 'idempotency-key-reused'] : ['validation-failed'],
    429: def.access === 'public' ? ['rate-limited'] : ['rate-limited', 'too-many-failed-authentications'],
    503: ['unavailable'],
  };
  const declared = def.responses[status]?.problems ?? [];
  return [...new Set([...declared, ...(declared.length && status === 401 ? [] : (shared[status] ?? []))])];
}

/** Express `:param` paths to OpenAPI `{param}` paths. */
export const toOpenApiPath = (path: string) => path.replace(/:([A-Za-z]+)/g, '{$1}');

/** The OpenAPI 3.1 document, generated from the same route table and zod schemas the router uses. */
export function buildOpenApiDocument(routes: RouteDef[]) {
  const registry = new OpenAPIRegistry();
  const problem = problemSchema;
  const bearer = registry.registerComponent('securitySchemes', 'bearerApiKey', { type: 'http', scheme: 'bearer', description: 'An agent’s API key: `csp_<16 hex>_<secret>`' });
  for (const [name, description] of Object.entries(RESPONSE_HEADERS)) registry.registerComponent('headers', name, { description, schema: { type: 'string' } });
  const headers = (names: readonly ResponseHeader[]) => Object.fromEntries(names.map((n) => [n, { $ref: `#/components/headers/${n}` }]));
  for (const def of routes) {
    const errors = answersOfEveryRoute(def);
    const examples = EXAMPLES[def.operationId];
    const example = (value: unknown) => (value === undefined ? {} : { example: value });
    const problemContent = (status: number) => ({ 'application/problem+json': { schema: problem, examples: problemExamples(problemTypesOf(def, status), samplePath(def.path)) } });
    // Every answer carries its request id and the key's rate limit; some carry more.
    const always: ResponseHeader[] = ['X-Request-Id', 'RateLimit', 'RateLimit-Policy'];
    const extra = (status: number): ResponseHeader[] => [
      ...(status === 429 || status === 503 || (status === 409 && def.idempotent) ? (['Retry-After'] as const) : []),
      ...(status === 401 ? (['WWW-Authenticate'] as const) : []),
      ...(def.idempotent && status >= 200 && status < 300 ? (['Idempotent-Replayed'] as const) : []),
      ...(def.responses[status]?.headers ?? []),
    ];
    registry.registerPath({
      method: def.method,
      path: toOpenApiPath(def.path),
      operationId: def.operationId,
      summary: def.summary,
      tags: [def.tag],
      // A public route says so: the document's default is the API key.
      ...(def.access !== 'public'
        ? { security: [{ [bearer.name]: [] }], description: `${def.summary}. Roles: ${def.access.join(', ')}.` }
        : { security: [], description: `${def.summary}. No API key: ${def.path.startsWith('/v1/downloads') ? 'the token in the URL is the credential' : def.path.startsWith('/v1/payments') ? 'the body is signed with Payment-Signature instead' : 'a probe for load balancers and orchestrators'}.` }),
      request: {
        ...(def.params ? { params: def.params as z.ZodObject } : {}),
        ...(def.query ? { query: def.query as z.ZodObject } : {}),
        ...(def.idempotent ? { headers: z.object({ 'Idempotency-Key': z.string().min(1).max(255).optional().describe('Makes a retry of this request safe: the same key and body answer as the first time and do nothing again (docs/api-guide.md)') }) } : {}),
        ...(def.body ? { body: { content: { 'application/json': { schema: def.body, ...example(examples?.request) } } } } : {}),
        ...(def.rawBodySchema ? { headers: z.object({ 'Payment-Signature': z.string().describe('Hex HMAC-SHA256 of the raw body with PAYMENT_WEBHOOK_SECRET') }), body: { content: { 'application/json': { schema: def.rawBodySchema, ...example(examples?.request) } } } } : {}),
      },
      responses: Object.fromEntries([
        ...Object.entries(def.responses).map(([status, r]) => {
          const body = examples?.responses[Number(status)];
          const exported = r.exports && body !== undefined ? Object.entries(r.exports(body)).map(([type, text]) => [type, { schema: z.string(), example: text }]) : [];
          const content = r.schema
            ? { content: { 'application/json': { schema: r.schema, ...example(body) }, ...Object.fromEntries(exported) } }
            : Number(status) >= 400 ? { content: problemContent(Number(status)) } : {};
          return [status, { description: r.description, headers: headers([...always, ...extra(Number(status))]), ...content }];
        }),
        ...Object.entries(errors)
          .filter(([status]) => !(status in def.responses))
          .map(([status, description]) => [status, { description, headers: headers([...always, ...extra(Number(status))]), content: problemContent(Number(status)) }]),
      ]),
    });
  }
  for (const [path, summary, type, example] of SERVICE_DOCUMENTS) {
    registry.registerPath({ method: 'get', path, description: `${summary}. Public.`, operationId: `get${path.replace(/[^a-z]+(.)?/gi, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`, summary, tags: ['Service'], security: [],
      responses: {
        200: { description: summary, content: { [type]: { schema: typeof example === 'string' ? z.string() : z.record(z.string(), z.unknown()), example } } },
        ...(path === '/metrics' ? { 404: { description: 'Not served here: METRICS_ADDRESS puts the metrics on an internal port', content: { 'application/problem+json': { schema: problem, examples: problemExamples(['not-found'], path) } } } } : {}),
      },
    });
  }
  registry.registerPath({
    method: 'get',
    path: '/problems/{name}',
    operationId: 'getProblemType',
    security: [],
    description: 'What a problem type means, the members it carries beyond the standard ones, and whether to retry. Public.',
    summary: 'One problem type: what it means, its extra members, whether to retry',
    tags: ['Service'],
    request: { params: z.object({ name: z.enum(PROBLEM_TYPE_NAMES).describe('The last segment of a problem’s type URL') }) },
    responses: {
      200: { description: 'The problem type’s page (JSON with Accept: application/json)', content: { 'text/html': { schema: z.string(), example: '<!doctype html><html lang="en"><head><title>Link Expired</title>…' } } },
      404: { description: 'No such problem type', content: { 'application/problem+json': { schema: problem, examples: problemExamples(['not-found'], '/problems/teapot') } } },
    },
  });
  const document = new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'CSP on-premises orchestrator API',
      // The API's version is the package's (docs/versioning.md: its major is the path's /v1).
      version: PACKAGE_VERSION,
      description: 'Buy on-premises software for a customer, get product keys and expiring download links, cancel through a refund case. The rules every route shares (authentication, idempotency, errors, paging, webhooks, rate limits) are in docs/api-guide.md.',
      contact: { name: 'The operators of this deployment (README: For operations and support)' },
      license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
    },
    servers: [{ url: '/' }],
    security: [{ [bearer.name]: [] }],
    tags: TAGS,
  });
  return { ...document, 'x-problem-types': PROBLEM_TYPES };
}
