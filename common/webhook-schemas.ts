// The partner webhook domain's requests and answers: endpoints and their deliveries. The routes
// validate with these and document them (OpenAPI); the service builds the answers.
import { z } from 'zod';
import { WEBHOOK_DELIVERY_STATUSES, WEBHOOK_ENDPOINT_STATUSES, WEBHOOK_EVENT_TYPES } from './domain.ts';
import { pageShape } from './paging.ts';
import { fields, instant } from './fields.ts';

const eventType = z.enum(WEBHOOK_EVENT_TYPES, { error: () => `not an event type; one of ${WEBHOOK_EVENT_TYPES.join(', ')}` });

export const webhookEndpointBody = z.strictObject({
  // The form here; whether the address may receive webhooks is the service's to say (infra/webhook-address.ts).
  url: z
    .string()
    .trim()
    .min(1, 'give the URL that receives the events')
    .max(2000)
    .refine((u) => URL.canParse(u) && ['http:', 'https:'].includes(new URL(u).protocol), 'must be an absolute https (or http) URL')
    .describe('Where events are POSTed: an absolute https URL on the public internet (private and loopback addresses are refused)'),
  events: z
    .array(eventType)
    .min(1, 'choose at least one event type')
    .refine((list) => new Set(list).size === list.length, 'each event type once')
    .describe('The event types to receive, each once'),
  description: z.string().trim().max(500).optional().describe('A note for the partner’s own use, up to 500 characters'),
});

export const webhookEndpointSchema = z.object({
  id: z.uuid().describe('The endpoint’s id'),
  url: z.string().describe('Where events are POSTed'),
  events: z.array(z.enum(WEBHOOK_EVENT_TYPES)).describe('The event types it receives'),
  description: z.string().nullable().describe('The partner’s note, if any'),
  status: z.enum(WEBHOOK_ENDPOINT_STATUSES).describe('enabled endpoints receive; disabled ones (by an agent, or by the receiver answering 410 Gone) do not'),
  disabledReason: z.string().nullable().describe('Why it is disabled; null while enabled'),
  previousSecretExpiresAt: instant.nullable().describe('Until when the secret before the last rotation still signs too (a second signature); null when none does'),
  createdAt: fields.createdAt,
  updatedAt: instant.describe('When it last changed'),
});

/** Shown once: on creation and on rotation (an Idempotency-Key replay of the creation leaves it out). */
export const webhookEndpointWithSecretSchema = webhookEndpointSchema.extend({
  secret: z.string().startsWith('whsec_').optional().describe('The signing secret (Standard Webhooks, whsec_…): shown only in this answer; store it now'),
});

export const webhookDeliverySchema = z.object({
  id: z.uuid().describe('The delivery’s id'),
  eventId: z.string().describe('The event’s id (webhook-id): the same for every attempt and endpoint; deduplicate on it'),
  eventType: z.enum(WEBHOOK_EVENT_TYPES).describe('The event’s type'),
  status: z.enum(WEBHOOK_DELIVERY_STATUSES).describe('pending until a 2xx answer (delivered), or failed once retrying for WEBHOOK_RETRY_FOR (default 3 days) did not deliver it'),
  attempts: z.number().int().describe('Attempts made so far'),
  occurredAt: instant.describe('When the event happened'),
  lastAttemptAt: instant.nullable().describe('When it was last tried; null before the first attempt'),
  lastResponseStatus: z.number().int().nullable().describe('The HTTP status of the last answer; null when there was none'),
  lastError: z.string().nullable().describe('What went wrong on the last attempt'),
  responseExcerpt: z.string().nullable().describe('The first bytes of the receiver’s last answer (nothing more is kept)'),
  nextAttemptAt: instant.nullable().describe('When it is tried next; null when delivered or failed'),
  deliveredAt: instant.nullable().describe('When a 2xx answer came; null until then'),
});

export const webhookDeliveriesQuery = z.strictObject({ ...pageShape, status: z.enum(WEBHOOK_DELIVERY_STATUSES).optional().describe('Only deliveries in this status') });

const endpointId = z.uuid().describe('The webhook endpoint’s id');
export const webhookEndpointParams = z.object({ endpointId });
export const webhookDeliveryParams = z.object({ endpointId, deliveryId: z.uuid().describe('The delivery’s id') });

/** The endpoint actions (disable, enable, rotate, redeliver) take no body: anything in it is refused. */
export const noBody = z.strictObject({});
