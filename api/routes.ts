// The one table of the API: path, who may call it, what it takes and answers. The router, the
// role checks and the OpenAPI document are all built from it.
import type { Request, Response } from 'express';
import { z } from 'zod';
import { ACCESS } from '../common/access.ts';
import type { Role } from '../common/domain.ts';
import {
  operationsOrdersQuery,
  refundCaseFilingBody,
  commentBody,
  decisionBody,
  refundCaseAcceptedSchema,
  refundCaseListQuery,
  refundCaseSchema,
  createCustomerBody,
  createOrderBody,
  customerSchema,
  keysAndDownloadsBody,
  keysAndDownloadsSchema,
  orderAcceptedSchema,
  orderSchema,
  productSchema,
  softwareItemSchema,
  softwareListItemSchema,
  uuidSchema,
} from '../common/schemas.ts';
import {
  commentSchema,
  hourlyActivitySchema,
  livenessSchema,
  operationsOrderSchema,
  operationsSummarySchema,
  paymentWebhookReplySchema,
  readinessSchema,
  reconciliationSchema,
  refundCaseDetailSchema,
  retryingActivitySchema,
} from '../common/response-schemas.ts';
import type { Caller } from '../db/api-keys.ts';
import type { Services } from './services/index.ts';

export type Access = readonly Role[] | 'public';

export interface HandlerContext<P, Q, B> {
  caller: Caller;
  params: P;
  query: Q;
  body: B;
  idempotencyKey: string | undefined;
  req: Request;
  res: Response;
  services: Services;
}

/** What a handler answers; `undefined` when it wrote the response itself (file streaming). */
export type Reply = { status: number; body?: unknown; headers?: Record<string, string> } | undefined;

export interface RouteDef<P = unknown, Q = unknown, B = unknown> {
  method: 'get' | 'post';
  path: string;
  summary: string;
  tag: string;
  access: Access;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  /** Takes an Idempotency-Key (every POST that creates or starts something). */
  idempotent?: boolean;
  /** Largest body accepted (default 256kb); larger answers 413. */
  bodyLimit?: string;
  /** The handler needs the exact bytes of the body (signature checks); `body` is then a Buffer. */
  rawBody?: boolean;
  responses: Record<number, { description: string; schema?: z.ZodType }>;
  handler: (ctx: HandlerContext<P, Q, B>) => Promise<Reply>;
}

function route<P, Q, B>(def: RouteDef<P, Q, B>): RouteDef {
  return def as unknown as RouteDef;
}


const customerParams = z.object({ customerId: uuidSchema });
const subscriptionParams = z.object({ customerId: uuidSchema, subscriptionId: uuidSchema });
const refundCaseParams = z.object({ refundCaseId: uuidSchema });
const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64');
const codecBody = z.object({
  payloads: z.array(z.object({ metadata: z.record(z.string(), base64).optional(), data: base64.optional() })).max(10_000),
});

export const ROUTES: RouteDef[] = [
  route({
    method: 'get',
    path: '/v1/products',
    summary: 'The catalog, with each product’s variants and unit price',
    tag: 'Catalog',
    access: ACCESS.readCatalog,
    responses: { 200: { description: 'The catalog', schema: z.array(productSchema) } },
    handler: async ({ services }) => ({ status: 200, body: await services.catalog.list() }),
  }),
  route({
    method: 'post',
    path: '/v1/customers',
    summary: 'Create a customer of the caller’s partner',
    tag: 'Customers',
    access: ACCESS.partnerStaff,
    body: createCustomerBody,
    idempotent: true,
    responses: { 201: { description: 'Created', schema: customerSchema }, 409: { description: 'The partner already has a customer with this domain' } },
    handler: async ({ caller, body, services }) => {
      const customer = await services.customers.create(caller, body);
      return { status: 201, body: customer, headers: { Location: `/v1/customers/${customer.id}` } };
    },
  }),
  route({
    method: 'get',
    path: '/v1/customers',
    summary: 'The caller’s partner’s customers, by domain',
    tag: 'Customers',
    access: ACCESS.partnerStaff,
    responses: { 200: { description: 'Customers', schema: z.array(customerSchema) } },
    handler: async ({ caller, services }) => ({ status: 200, body: await services.customers.list(caller) }),
  }),
  route({
    method: 'get',
    path: '/v1/customers/:customerId',
    summary: 'One customer',
    tag: 'Customers',
    access: ACCESS.partnerStaff,
    params: customerParams,
    responses: { 200: { description: 'The customer', schema: customerSchema } },
    handler: async ({ caller, params, services }) => ({
      status: 200,
      body: services.customers.view(await services.customers.get(caller, params.customerId)),
    }),
  }),
  route({
    method: 'post',
    path: '/v1/customers/:customerId/orders',
    summary: 'Buy products for a customer: starts the purchase workflow',
    tag: 'Orders',
    access: ACCESS.partnerStaff,
    params: customerParams,
    body: createOrderBody,
    idempotent: true,
    responses: { 202: { description: 'Accepted; poll the Location', schema: orderAcceptedSchema } },
    handler: async ({ caller, params, body, idempotencyKey, services }) => {
      const accepted = await services.orders.create(caller, params.customerId, body, idempotencyKey);
      return { status: 202, body: accepted, headers: { Location: `/v1/orders/${accepted.orderId}` } };
    },
  }),
  route({
    method: 'get',
    path: '/v1/orders/:orderId',
    summary: 'An order with its line items, subscriptions and timeline',
    tag: 'Orders',
    access: ACCESS.readOrders,
    params: z.object({ orderId: uuidSchema }),
    responses: { 200: { description: 'The order', schema: orderSchema } },
    handler: async ({ caller, params, services }) => ({ status: 200, body: await services.orders.get(caller, params.orderId) }),
  }),
  route({
    method: 'get',
    path: '/v1/customers/:customerId/software',
    summary: 'The customer’s Software list: everything bought for it',
    tag: 'Software',
    access: ACCESS.partnerStaff,
    params: customerParams,
    responses: { 200: { description: 'The software list', schema: z.array(softwareListItemSchema) } },
    handler: async ({ caller, params, services }) => ({ status: 200, body: await services.software.list(caller, params.customerId) }),
  }),
  route({
    method: 'get',
    path: '/v1/customers/:customerId/software/:subscriptionId',
    summary: 'One piece of software with its options and open download links (key for admin agents only)',
    tag: 'Software',
    access: ACCESS.partnerStaff,
    params: subscriptionParams,
    responses: { 200: { description: 'The software', schema: softwareItemSchema } },
    handler: async ({ caller, params, services }) => ({
      status: 200,
      body: await services.software.get(caller, params.customerId, params.subscriptionId),
    }),
  }),
  route({
    method: 'post',
    path: '/v1/customers/:customerId/software/:subscriptionId/keys-and-downloads',
    summary: 'Get keys and downloads: the product key and a download link for one variant',
    tag: 'Software',
    access: ACCESS.keysAndDownloads,
    params: subscriptionParams,
    body: keysAndDownloadsBody,
    responses: {
      200: { description: 'The key and the open download window', schema: keysAndDownloadsSchema },
      409: { description: 'The software is cancelled or being cancelled' },
      422: { description: 'The variant is not offered; the allowed values are listed' },
    },
    handler: async ({ caller, params, body, services }) => ({
      status: 200,
      body: await services.software.keysAndDownloads(caller, params.customerId, params.subscriptionId, body),
    }),
  }),
  route({
    method: 'get',
    path: '/v1/downloads/:token',
    summary: 'Download the file behind a link: counts one download from its first byte; HEAD counts nothing; a Range that starts later resumes',
    tag: 'Downloads',
    access: 'public',
    params: z.object({ token: z.string().max(200) }),
    responses: {
      200: { description: 'The file (HEAD: its headers only, counting nothing)' },
      206: { description: 'The requested range of the file (a resumed download is not counted; see the README for the rule)' },
      302: { description: 'Redirect to the file in object storage' },
      404: { description: 'Unknown link' },
      410: { description: 'The link expired (time or downloads) or was revoked' },
      416: { description: 'The range lies outside the file' },
    },
    handler: async ({ params, req, res, services }) => {
      await services.links.download(params.token, { address: req.ip, userAgent: req.get('user-agent') }, req, res);
      return undefined;
    },
  }),
  route({
    method: 'post',
    path: '/v1/customers/:customerId/software/:subscriptionId/cancellation',
    summary: 'Cancel a purchase: file the support ticket (refund case) that ends with the key revoked',
    tag: 'Refund cases',
    access: ACCESS.cancel,
    params: subscriptionParams,
    body: refundCaseFilingBody,
    idempotent: true,
    bodyLimit: '15mb',
    responses: {
      202: { description: 'Filed; follow the Location', schema: refundCaseAcceptedSchema },
      409: { description: 'A case is already open for this software, or it is cancelled' },
      422: { description: 'Every missing or wrong field, at once' },
    },
    handler: async ({ caller, params, body, idempotencyKey, services }) => {
      const filed = await services.refundCases.file(caller, params.customerId, params.subscriptionId, body, idempotencyKey);
      return { status: 202, body: filed, headers: { Location: `/v1/refund-cases/${filed.refundCaseId}` } };
    },
  }),
  route({
    method: 'get',
    path: '/v1/refund-cases',
    summary: 'The refund-case queue, oldest first, with age and SLA',
    tag: 'Refund cases',
    access: ACCESS.readRefundCases,
    query: refundCaseListQuery,
    responses: { 200: { description: 'Cases', schema: z.array(refundCaseSchema) } },
    handler: async ({ caller, query, services }) => ({ status: 200, body: await services.refundCases.list(caller, query) }),
  }),
  route({
    method: 'get',
    path: '/v1/refund-cases/:refundCaseId',
    summary: 'One refund case with its full timeline of decisions and notes',
    tag: 'Refund cases',
    access: ACCESS.readRefundCases,
    params: refundCaseParams,
    responses: { 200: { description: 'The case', schema: refundCaseDetailSchema } },
    handler: async ({ caller, params, services }) => ({ status: 200, body: await services.refundCases.get(caller, params.refundCaseId) }),
  }),
  route({
    method: 'post',
    path: '/v1/refund-cases/:refundCaseId/decision',
    summary: 'Decide a refund case: approve (optionally a lower amount), reject, or request information',
    tag: 'Refund cases',
    access: ACCESS.decideRefundCases,
    params: refundCaseParams,
    body: decisionBody,
    responses: {
      200: { description: 'The case after the decision was carried out', schema: refundCaseDetailSchema },
      202: { description: 'The decision is accepted and recorded; it is still being carried out (the case shows its progress)', schema: refundCaseDetailSchema },
      409: { description: 'The case is not in review' },
    },
    handler: async ({ caller, params, body, services }) => {
      const { applied, refundCase } = await services.refundCases.decide(caller, params.refundCaseId, body);
      return { status: applied ? 200 : 202, body: refundCase, headers: { Location: `/v1/refund-cases/${params.refundCaseId}` } };
    },
  }),
  route({
    method: 'post',
    path: '/v1/refund-cases/:refundCaseId/comments',
    summary: 'Comment on a refund case (answers a request for information)',
    tag: 'Refund cases',
    access: ACCESS.commentOnRefundCases,
    params: refundCaseParams,
    body: commentBody,
    responses: { 201: { description: 'The comment', schema: commentSchema }, 409: { description: 'The case is closed' } },
    handler: async ({ caller, params, body, services }) => ({ status: 201, body: await services.refundCases.comment(caller, params.refundCaseId, body) }),
  }),
  route({
    method: 'post',
    path: '/v1/payments/webhook',
    summary: 'Payment provider events (signed: Payment-Signature is the hex HMAC-SHA256 of the raw body)',
    tag: 'Payments',
    access: 'public',
    rawBody: true,
    responses: {
      200: { description: 'Received (also for a duplicate eventId, which changes nothing)', schema: paymentWebhookReplySchema },
      401: { description: 'Missing or wrong signature' },
      422: { description: 'A signed body that is not a payment event' },
    },
    handler: async ({ req, services }) => ({
      status: 200,
      body: await services.webhooks.paymentEvent(req.body as Buffer, req.get('Payment-Signature')),
    }),
  }),
  route({
    method: 'get',
    path: '/v1/operations/orders',
    summary: 'In-flight and stuck orders, oldest first, with age and workflow id',
    tag: 'Operations',
    access: ACCESS.operate,
    query: operationsOrdersQuery,
    responses: { 200: { description: 'Orders', schema: z.array(operationsOrderSchema) } },
    handler: async ({ query, services }) => ({ status: 200, body: await services.operations.orders(query) }),
  }),
  route({
    method: 'get',
    path: '/v1/operations/retrying',
    summary: 'Activities that keep failing and are being retried (from their third attempt), longest-failing first',
    tag: 'Operations',
    access: ACCESS.operate,
    responses: { 200: { description: 'Retrying activities, each with its workflow and last error', schema: z.array(retryingActivitySchema) } },
    handler: async ({ services }) => ({ status: 200, body: await services.operations.retrying() }),
  }),
  route({
    method: 'get',
    path: '/v1/operations/reconciliation',
    summary: 'Orders whose database status and workflow state disagree',
    tag: 'Operations',
    access: ACCESS.operate,
    responses: { 200: { description: 'What was checked and what disagrees', schema: reconciliationSchema } },
    handler: async ({ services }) => ({ status: 200, body: await services.operations.reconciliation() }),
  }),
  route({
    method: 'get',
    path: '/v1/operations/activity',
    summary: 'Orders placed and downloads served per hour over the last 24 hours',
    tag: 'Operations',
    access: ACCESS.operate,
    responses: { 200: { description: 'One row per hour, oldest first', schema: hourlyActivitySchema } },
    handler: async ({ services }) => ({ status: 200, body: await services.operations.activity(24) }),
  }),
  route({
    method: 'get',
    path: '/v1/operations/summary',
    summary: 'Counts by order and case status, the oldest in-flight order, links expiring in 24 h',
    tag: 'Operations',
    access: ACCESS.operate,
    responses: { 200: { description: 'The summary', schema: operationsSummarySchema } },
    handler: async ({ services }) => ({ status: 200, body: await services.operations.summary() }),
  }),
  ...(
    [
      // Encoding writes payloads a workflow would trust: only support, who may act on cases, gets it.
      ['decode', ACCESS.decodePayloads],
      ['encode', ACCESS.encodePayloads],
    ] as const
  ).map(([direction, access]) =>
    route({
      method: 'post',
      path: `/codec/${direction}`,
      summary: `Codec server: ${direction} Temporal payloads (for the Web UI; ${access.length === 2 ? 'operations and support' : 'support'} only)`,
      tag: 'Codec server',
      access,
      body: codecBody,
      bodyLimit: '8mb',
      responses: {
        200: { description: `The ${direction}d payloads`, schema: codecBody },
        400: { description: `A payload could not be ${direction}d; each one is named` },
      },
      handler: async ({ body, services }) => ({ status: 200, body: await services.codec[direction](body.payloads) }),
    }),
  ),
  route({
    method: 'get',
    path: '/healthz',
    summary: 'Liveness',
    tag: 'Health',
    access: 'public',
    responses: { 200: { description: 'The process is up', schema: livenessSchema } },
    handler: async () => ({ status: 200, body: { status: 'ok' } }),
  }),
  route({
    method: 'get',
    path: '/readyz',
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
