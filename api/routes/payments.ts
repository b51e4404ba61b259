// The payment provider's webhook.
import { paymentWebhookReplySchema } from '../../common/response-schemas.ts';
import { paymentWebhookBody } from '../../common/schemas.ts';
import { route, type RouteDef } from './route.ts';

export const paymentRoutes: RouteDef[] = [
  route({
    method: 'post',
    path: '/v1/payments/webhook',
    operationId: 'receivePaymentEvent',
    summary: 'Payment provider events (signed: Payment-Signature is the hex HMAC-SHA256 of the raw body)',
    tag: 'Payments',
    access: 'public',
    rawBody: true,
    rawBodySchema: paymentWebhookBody,
    responses: {
      200: { description: 'Received (also for a duplicate eventId, which changes nothing)', schema: paymentWebhookReplySchema },
      401: { description: 'Missing or wrong signature', problems: ['bad-signature'] },
      422: { description: 'A signed body that is not a payment event' },
    },
    handler: async ({ req, services }) => ({
      status: 200,
      body: await services.payments.paymentEvent(req.body as Buffer, req.get('Payment-Signature')),
    }),
  }),
];
