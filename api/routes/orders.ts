// Orders: placing one (its workflow does the rest) and reading it with its timeline.
import { z } from 'zod';
import { ACCESS } from '../../common/access.ts';
import { createOrderBody, customerOrderSchema, orderAcceptedSchema, orderSchema } from '../../common/schemas.ts';
import { fields } from '../../common/fields.ts';
import { customerOrdersQuery } from '../../common/list-queries.ts';
import { fieldColumns, listReply, listResponses, type CsvColumns } from './lists.ts';
import { customerParams } from './params.ts';
import { route, type RouteDef } from './route.ts';
import { orderAccepted } from '../services/orders.ts';

type OrderRow = z.infer<typeof customerOrderSchema>;
const ORDER_COLUMNS: CsvColumns<OrderRow> = [
  ...fieldColumns<OrderRow>('orderId', 'status'),
  { header: 'total', get: (o) => o.total.amount },
  { header: 'currency', get: (o) => o.total.currency },
  { header: 'lineItems', get: (o) => o.lineItems.map((l) => `${l.quantity} x ${l.productId}`).join('; ') },
  ...fieldColumns<OrderRow>('createdAt', 'failureReason'),
];

export const orderRoutes: RouteDef[] = [
  route({
    method: 'post',
    path: '/v1/customers/:customerId/orders',
    operationId: 'createOrder',
    summary: 'Buy products for a customer: starts the purchase workflow',
    tag: 'Orders',
    access: ACCESS.partnerStaff,
    params: customerParams,
    body: createOrderBody,
    idempotent: true,
    claimsKey: true,
    // The order's statement stores the answer before the workflow is started: a retry starts it if need be.
    beforeReplay: ({ caller, idempotencyKey, services }) => services.orders.restartIfUnstarted(caller, idempotencyKey),
    responses: { 202: { description: 'Accepted; poll the Location', schema: orderAcceptedSchema, headers: ['Location'] } },
    handler: async ({ caller, params, body, idempotencyKey, keyClaim, services }) => orderAccepted(await services.orders.create(caller, params.customerId, body, idempotencyKey, keyClaim)),
  }),
  route({
    method: 'get',
    path: '/v1/customers/:customerId/orders',
    operationId: 'listCustomerOrders',
    summary: 'The customer’s orders in every status, newest first, each with its failure reason where it has one',
    tag: 'Orders',
    access: ACCESS.partnerStaff,
    params: customerParams,
    query: customerOrdersQuery,
    responses: listResponses('Orders, newest first', z.array(customerOrderSchema), ORDER_COLUMNS),
    handler: async ({ caller, params, query, req, services }) =>
      listReply({
        req,
        page: () => services.orders.listForCustomer(caller, params.customerId, query),
        export: { name: 'orders', columns: ORDER_COLUMNS, rows: () => services.orders.everyCustomerOrder(caller, params.customerId, query) },
      }),
  }),
  route({
    method: 'get',
    path: '/v1/orders/:orderId',
    operationId: 'getOrder',
    summary: 'An order with its line items, subscriptions and timeline',
    tag: 'Orders',
    access: ACCESS.readOrders,
    params: z.object({ orderId: fields.orderId }),
    responses: { 200: { description: 'The order', schema: orderSchema } },
    handler: async ({ caller, params, services }) => ({ status: 200, body: await services.orders.get(caller, params.orderId) }),
  }),
];
