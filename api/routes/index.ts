// The one table of the API, by domain: the router, the role checks and the OpenAPI document are all
// built from it, so a route is declared once, in its domain's file.
import { catalogRoutes } from './catalog.ts';
import { customerRoutes } from './customers.ts';
import { orderRoutes } from './orders.ts';
import { softwareRoutes } from './software.ts';
import { linkRoutes } from './links.ts';
import { refundCaseRoutes } from './refund-cases.ts';
import { paymentRoutes } from './payments.ts';
import { operationRoutes } from './operations.ts';
import { codecRoutes } from './codec.ts';
import { healthRoutes } from './health.ts';
import { trailRoutes } from './trail.ts';
import { webhookRoutes } from './webhooks.ts';
import type { RouteDef } from './route.ts';

export type { Access, HandlerContext, RouteDef } from './route.ts';

export const ROUTES: RouteDef[] = [
  ...catalogRoutes,
  ...customerRoutes,
  ...orderRoutes,
  ...softwareRoutes,
  ...linkRoutes,
  ...refundCaseRoutes,
  ...trailRoutes,
  ...webhookRoutes,
  ...paymentRoutes,
  ...operationRoutes,
  ...codecRoutes,
  ...healthRoutes,
];
