// Liveness and readiness probes.
import { livenessSchema, readinessSchema } from '../../common/response-schemas.ts';
import { route, type RouteDef } from './route.ts';

export const healthRoutes: RouteDef[] = [
  route({
    method: 'get',
    path: '/healthz',
    operationId: 'getLiveness',
    summary: 'Liveness',
    tag: 'Health',
    access: 'public',
    responses: { 200: { description: 'The process is up', schema: livenessSchema } },
    handler: async () => ({ status: 200, body: { status: 'ok' } }),
  }),
  route({
    method: 'get',
    path: '/readyz',
    operationId: 'getReadiness',
    summary: 'Readiness: the database and Temporal answer',
    tag: 'Health',
    access: 'public',
    responses: { 200: { description: 'Ready', schema: readinessSchema }, 503: { description: 'A dependency is down: `checks` names it', schema: readinessSchema } },
    handler: async ({ services }) => {
      const report = await services.health.readiness();
      return { status: report.status === 'ready' ? 200 : 503, body: report };
    },
  }),
];
