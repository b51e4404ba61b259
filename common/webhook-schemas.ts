// The partner webhook domain's requests and answers: endpoints and their deliveries. The routes
// validate with these and document them (OpenAPI); the service builds the answers.
import { z } from 'zod';
import { WEBHOOK_DELIVERY_STATUSES, WEBHOOK_ENDPOINT_STATUSES, WEBHOOK_EVENT_TYPES } from './domain.ts';
import { pageShape } from './paging.ts';
import { instant } from './schemas.ts';

const eventType = z.enum(WEBHOOK_EVENT_TYPES, { error: () => `not an event type; one of ${WEBHOOK_EVENT_TYPES.join(', ')}` });

export const webhookEndpointBody = z.strictObject({
  // The form here; whether the address may receive webhooks is the service's to say (infra/webhook-address.ts).
  url: z
    .string()
    .trim()
    .min(1, 'give the URL that receives the events')
    .max(2000)
    .refine((u) => URL.canParse(u) && ['http:', 'https:'].includes(new URL(u).protocol), 'must be an absolute https (or http) URL'),
  events: z
    .array(eventType)
    .min(1, 'choose at least one event type')
    .refine((list) => new Set(list).size === list.length, 'each event type once'),
  description: z.string().trim().max(500).optional(),
});

export const webhookEndpointSchema = z.object({
  id: z.uuid(),
  url: z.string(),
  events: z.array(z.enum(WEBHOOK_EVENT_TYPES)),
  description: z.string().nullable(),
  status: z.enum(WEBHOOK_ENDPOINT_STATUSES),
  disabledReason: z.string().nullable(),
  /** Until when the secret before the last rotation still signs (a second signature). */
  previousSecretExpiresAt: instant.nullable(),
  createdAt: instant,
  updatedAt: instant,
});

/** Shown once: on creation and on rotation (an Idempotency-Key replay of the creation leaves it out). */
export const webhookEndpointWithSecretSchema = webhookEndpointSchema.extend({ secret: z.string().startsWith('whsec_').optional() });

export const webhookDeliverySchema = z.object({
  id: z.uuid(),
  eventId: z.string(),
  eventType: z.enum(WEBHOOK_EVENT_TYPES),
  status: z.enum(WEBHOOK_DELIVERY_STATUSES),
  attempts: z.number().int(),
  occurredAt: instant,
  lastAttemptAt: instant.nullable(),
  lastResponseStatus: z.number().int().nullable(),
  lastError: z.string().nullable(),
  /** The first bytes of the receiver's last answer (nothing more is kept). */
  responseExcerpt: z.string().nullable(),
  nextAttemptAt: instant.nullable(),
  deliveredAt: instant.nullable(),
});

export const webhookDeliveriesQuery = z.strictObject({ ...pageShape, status: z.enum(WEBHOOK_DELIVERY_STATUSES).optional() });

export const webhookEndpointParams = z.object({ endpointId: z.uuid() });
export const webhookDeliveryParams = z.object({ endpointId: z.uuid(), deliveryId: z.uuid() });

/** The endpoint actions (disable, enable, rotate, redeliver) take no body: anything in it is refused. */
export const noBody = z.strictObject({});
