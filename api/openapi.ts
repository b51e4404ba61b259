import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import type { RouteDef } from './routes.ts';

const problemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number(),
  detail: z.string(),
  instance: z.string().optional(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

/** Express `:param` paths to OpenAPI `{param}` paths. */
export const toOpenApiPath = (path: string) => path.replace(/:([A-Za-z]+)/g, '{$1}');

/** The OpenAPI 3.1 document, generated from the same route table and zod schemas the router uses. */
export function buildOpenApiDocument(routes: RouteDef[]) {
  const registry = new OpenAPIRegistry();
  const bearer = registry.registerComponent('securitySchemes', 'bearerApiKey', { type: 'http', scheme: 'bearer', description: 'An agent’s API key' });
  for (const def of routes) {
    const errors: Record<number, string> = {
      ...(def.access !== 'public' ? { 401: 'Missing or unknown API key', 403: 'The role may not do this', 429: 'Rate-limited (see Retry-After)' } : {}),
      ...(def.method === 'post' ? { 413: 'The body is too large', 422: 'Invalid input (see `errors`)' } : {}),
      ...(def.params ? { 404: 'Unknown, or another partner’s' } : {}),
    };
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
          .map(([status, description]) => [status, { description, content: { 'application/problem+json': { schema: problemSchema } } }]),
      ]),
    });
  }
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'CSP on-premises orchestrator API',
      version: '1.0.0',
      description: 'Buy on-premises software for a customer, get product keys and expiring download links, cancel through a refund case.',
    },
    servers: [{ url: '/' }],
  });
}
