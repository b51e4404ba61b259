// Partner webhooks: an admin's endpoints, their secrets and their deliveries (README: webhooks).
import { z } from 'zod';
import { ACCESS } from '../../common/access.ts';
import { pageQuery } from '../../common/paging.ts';
import {
  webhookDeliveriesQuery,
  webhookDeliveryParams,
  webhookDeliverySchema,
  webhookEndpointBody,
  webhookEndpointParams,
  webhookEndpointSchema,
  webhookEndpointWithSecretSchema,
  noBody,
} from '../../common/webhook-schemas.ts';
import { listReply, listResponses } from './lists.ts';
import { route, type RouteDef } from './route.ts';

const tag = 'Webhooks';
const access = ACCESS.manageWebhooks;

export const webhookRoutes: RouteDef[] = [
  route({
    method: 'post',
    path: '/v1/webhook-endpoints',
    operationId: 'createWebhookEndpoint',
    summary: 'Register a URL to receive the chosen event types, signed per Standard Webhooks; the answer shows the signing secret once',
    tag,
    access,
    body: webhookEndpointBody,
    idempotent: true,
    // The secret is shown once and never stored in plain text, not even for an Idempotency-Key replay.
    storedForReplay: (body) => ({ ...(body as object), secret: undefined }),
    responses: {
      201: { description: 'The endpoint, with its secret (shown only now; absent from an Idempotency-Key replay: rotate it to get a new one)', schema: webhookEndpointWithSecretSchema },
      409: { description: 'The partner already has the most endpoints allowed', problems: ['endpoint-limit'] },
      422: { description: 'Invalid input, or a URL that may not receive webhooks (not https, or a private or loopback address)' },
    },
    handler: async ({ caller, body, services }) => ({ status: 201, body: await services.webhooks.create(caller, body) }),
  }),
  route({
    method: 'get',
    path: '/v1/webhook-endpoints',
    operationId: 'listWebhookEndpoints',
    summary: 'The partner’s webhook endpoints, newest first',
    tag,
    access,
    query: pageQuery,
    responses: listResponses('Webhook endpoints', z.array(webhookEndpointSchema)),
    handler: async ({ caller, query, req, services }) => listReply({ req, page: () => services.webhooks.list(caller, query) }),
  }),
  route({
    method: 'get',
    path: '/v1/webhook-endpoints/:endpointId',
    operationId: 'getWebhookEndpoint',
    summary: 'One webhook endpoint',
    tag,
    access,
    params: webhookEndpointParams,
    responses: { 200: { description: 'The endpoint', schema: webhookEndpointSchema } },
    handler: async ({ caller, params, services }) => ({ status: 200, body: await services.webhooks.get(caller, params.endpointId) }),
  }),
  route({
    method: 'delete',
    path: '/v1/webhook-endpoints/:endpointId',
    operationId: 'deleteWebhookEndpoint',
    summary: 'Delete a webhook endpoint and its deliveries',
    tag,
    access,
    params: webhookEndpointParams,
    responses: { 204: { description: 'Deleted' } },
    handler: async ({ caller, params, services }) => {
      await services.webhooks.remove(caller, params.endpointId);
      return { status: 204 };
    },
  }),
  route({
    method: 'post',
    path: '/v1/webhook-endpoints/:endpointId/disable',
    operationId: 'disableWebhookEndpoint',
    summary: 'Stop deliveries to an endpoint; its pending deliveries wait until it is enabled again',
    tag,
    access,
    params: webhookEndpointParams,
    body: noBody,
    responses: { 200: { description: 'The endpoint, disabled', schema: webhookEndpointSchema } },
    handler: async ({ caller, params, services }) => ({ status: 200, body: await services.webhooks.disable(caller, params.endpointId) }),
  }),
  route({
    method: 'post',
    path: '/v1/webhook-endpoints/:endpointId/enable',
    operationId: 'enableWebhookEndpoint',
    summary: 'Resume deliveries to a disabled endpoint (one disabled by a 410 too)',
    tag,
    access,
    params: webhookEndpointParams,
    body: noBody,
    responses: { 200: { description: 'The endpoint, enabled', schema: webhookEndpointSchema } },
    handler: async ({ caller, params, services }) => ({ status: 200, body: await services.webhooks.enable(caller, params.endpointId) }),
  }),
  route({
    method: 'post',
    path: '/v1/webhook-endpoints/:endpointId/rotate-secret',
    operationId: 'rotateWebhookSecret',
    summary: 'A new signing secret, shown once; the old one still signs (a second signature) for 24 hours',
    tag,
    access,
    params: webhookEndpointParams,
    body: noBody,
    responses: { 200: { description: 'The endpoint with its new secret', schema: webhookEndpointWithSecretSchema } },
    handler: async ({ caller, params, services }) => ({ status: 200, body: await services.webhooks.rotateSecret(caller, params.endpointId) }),
  }),
  route({
    method: 'get',
    path: '/v1/webhook-endpoints/:endpointId/deliveries',
    operationId: 'listWebhookDeliveries',
    summary: 'The endpoint’s deliveries, newest first: status, attempts, last answer and next attempt',
    tag,
    access,
    params: webhookEndpointParams,
    query: webhookDeliveriesQuery,
    responses: listResponses('Deliveries', z.array(webhookDeliverySchema)),
    handler: async ({ caller, params, query, req, services }) => listReply({ req, page: () => services.webhooks.deliveries(caller, params.endpointId, query) }),
  }),
  route({
    method: 'post',
    path: '/v1/webhook-endpoints/:endpointId/deliveries/:deliveryId/redeliver',
    operationId: 'redeliverWebhook',
    summary: 'Send a delivery again now (same event id), with a fresh retry period',
    tag,
    access,
    params: webhookDeliveryParams,
    body: noBody,
    responses: { 202: { description: 'The delivery, pending again', schema: webhookDeliverySchema } },
    handler: async ({ caller, params, services }) => ({ status: 202, body: await services.webhooks.redeliver(caller, params.endpointId, params.deliveryId) }),
  }),
];
