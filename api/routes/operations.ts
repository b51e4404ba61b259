// What operations watches: in-flight and stuck orders, retrying activities, reconciliation, activity and the summary.
import { z } from 'zod';
import { ACCESS } from '../../common/access.ts';
import { operationsOrdersQuery } from '../../common/list-queries.ts';
import { hourlyActivitySchema, operationsOrderSchema, operationsSummarySchema, reconciliationSchema, retryingActivitySchema } from '../../common/response-schemas.ts';
import { pageQuery } from '../../common/paging.ts';
import { listReply, listResponses } from './lists.ts';
import { route, type RouteDef } from './route.ts';

export const operationRoutes: RouteDef[] = [
  route({
    method: 'get',
    path: '/v1/operations/orders',
    operationId: 'listOperationsOrders',
    summary: 'In-flight and stuck orders, oldest first, with age and workflow id',
    tag: 'Operations',
    access: ACCESS.operate,
    query: operationsOrdersQuery,
    responses: listResponses('Orders, oldest first', z.array(operationsOrderSchema)),
    handler: async ({ query, req, services }) => listReply({ req, page: () => services.operations.orders(query) }),
  }),
  route({
    method: 'get',
    path: '/v1/operations/retrying',
    operationId: 'listRetryingActivities',
    summary: 'Activities that keep failing and are being retried (from their third attempt), longest-failing first',
    tag: 'Operations',
    access: ACCESS.operate,
    query: pageQuery,
    responses: listResponses('Retrying activities, each with its workflow and last error', z.array(retryingActivitySchema)),
    handler: async ({ query, req, services }) => listReply({ req, page: () => services.operations.retrying(query) }),
  }),
  route({
    method: 'get',
    path: '/v1/operations/reconciliation',
    operationId: 'getReconciliation',
    summary: 'Orders whose database status and workflow state disagree',
    tag: 'Operations',
    access: ACCESS.operate,
    responses: { 200: { description: 'What was checked and what disagrees', schema: reconciliationSchema } },
    handler: async ({ services }) => ({ status: 200, body: await services.operations.reconciliation() }),
  }),
  route({
    method: 'get',
    path: '/v1/operations/activity',
    operationId: 'getHourlyActivity',
    summary: 'Orders placed and downloads served per hour over the last 24 hours',
    tag: 'Operations',
    access: ACCESS.operate,
    responses: { 200: { description: 'One row per hour, oldest first', schema: hourlyActivitySchema } },
    handler: async ({ services }) => ({ status: 200, body: await services.operations.activity(24) }),
  }),
  route({
    method: 'get',
    path: '/v1/operations/summary',
    operationId: 'getOperationsSummary',
    summary: 'Counts by order and case status, the oldest in-flight order, links expiring in 24 h',
    tag: 'Operations',
    access: ACCESS.operate,
    responses: { 200: { description: 'The summary', schema: operationsSummarySchema } },
    handler: async ({ services }) => ({ status: 200, body: await services.operations.summary() }),
  }),
];
