import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import type { RouteDef } from './routes/index.ts';
import { PROBLEM_TYPE_NAMES, PROBLEM_TYPES } from '../common/problem-types.ts';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../infra/paths.ts';

const PACKAGE_VERSION = z.object({ version: z.string() }).parse(JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8'))).version;

const problemSchema = z.object({
  type: z.string().describe(`The kind of failure: <API address>/problems/<name>, where name is one of ${PROBLEM_TYPE_NAMES.join(', ')}. Each is documented at its URL and under x-problem-types.`),
  title: z.string(),
  status: z.number(),
  detail: z.string(),
  instance: z.string().optional(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
}).meta({ id: 'Problem', description: 'An RFC 9457 problem: every error answer' });

/** Documents the service serves next to the API (not in the route table, but documented too). */
export const SERVICE_DOCUMENTS: [string, string, string][] = [
  ['/openapi.json', 'This OpenAPI document', 'application/json'],
  ['/docs', 'The API reference, rendered', 'text/html'],
  ['/docs/init.js', 'Script of the API reference page', 'application/javascript'],
  ['/metrics', 'Prometheus metrics (bind to an internal port in production)', 'text/plain'],
  ['/problems', 'The problem types: what each means and whether to retry (JSON with Accept: application/json)', 'text/html'],
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
  if (def.method === 'post' && !def.rawBody) errors[400] = 'The body is not valid JSON';
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

/** Express `:param` paths to OpenAPI `{param}` paths. */
export const toOpenApiPath = (path: string) => path.replace(/:([A-Za-z]+)/g, '{$1}');

/** The OpenAPI 3.1 document, generated from the same route table and zod schemas the router uses. */
export function buildOpenApiDocument(routes: RouteDef[]) {
  const registry = new OpenAPIRegistry();
  const problem = problemSchema;
  const bearer = registry.registerComponent('securitySchemes', 'bearerApiKey', { type: 'http', scheme: 'bearer', description: 'An agent’s API key' });
  for (const def of routes) {
    const errors = answersOfEveryRoute(def);
    registry.registerPath({
      method: def.method,
      path: toOpenApiPath(def.path),
      summary: def.summary,
      tags: [def.tag],
      ...(def.access !== 'public' ? { security: [{ [bearer.name]: [] }], description: `Roles: ${def.access.join(', ')}` } : {}),
      request: {
        ...(def.params ? { params: def.params as z.ZodObject } : {}),
        ...(def.query ? { query: def.query as z.ZodObject } : {}),
        ...(def.idempotent ? { headers: z.object({ 'Idempotency-Key': z.string().min(1).max(255).optional() }) } : {}),
        ...(def.body ? { body: { content: { 'application/json': { schema: def.body } } } } : {}),
      },
      responses: Object.fromEntries([
        ...Object.entries(def.responses).map(([status, r]) => [
          status,
          { description: r.description, ...(r.schema ? { content: { 'application/json': { schema: r.schema } } } : {}) },
        ]),
        ...Object.entries(errors)
          .filter(([status]) => !(status in def.responses))
          .map(([status, description]) => [status, { description, content: { 'application/problem+json': { schema: problem } } }]),
      ]),
    });
  }
  for (const [path, summary, type] of SERVICE_DOCUMENTS) {
    registry.registerPath({ method: 'get', path, summary, tags: ['Service'], responses: { 200: { description: summary, content: { [type]: { schema: z.string() } } } } });
  }
  registry.registerPath({
    method: 'get',
    path: '/problems/{name}',
    summary: 'One problem type: what it means, its extra members, whether to retry',
    tags: ['Service'],
    request: { params: z.object({ name: z.enum(PROBLEM_TYPE_NAMES) }) },
    responses: { 200: { description: 'The problem type’s page (JSON with Accept: application/json)', content: { 'text/html': { schema: z.string() } } }, 404: { description: 'No such problem type', content: { 'application/problem+json': { schema: problem } } } },
  });
  const document = new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'CSP on-premises orchestrator API',
      // The API's version is the package's (docs/versioning.md: its major is the path's /v1).
      version: PACKAGE_VERSION,
      description: 'Buy on-premises software for a customer, get product keys and expiring download links, cancel through a refund case.',
    },
    servers: [{ url: '/' }],
  });
  return { ...document, 'x-problem-types': PROBLEM_TYPES };
}
