import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import type { PageRequest } from '../../common/paging.ts';
import type { webhookDeliveriesQuery, webhookEndpointBody } from '../../common/webhook-schemas.ts';
import type { WebhookEventType } from '../../common/domain.ts';
import { createEndpoint, deleteEndpoint, disableEndpoint, enableEndpoint, redeliver, rotateEndpointSecret } from '../../db/webhooks.ts';
import type { WebhookDelivery, WebhookEndpoint } from '../../generated/prisma/client.ts';
import { parseKeyRing } from '../../infra/payload-codec.ts';
import { checkWebhookUrl, WebhookUrlRefused } from '../../infra/webhook-address.ts';
import { newWebhookSecret, sealSecret, unsealSecret } from '../../infra/webhook-secrets.ts';
import { wakeWebhookEndpoint } from '../../infra/webhook-wake.ts';
import type { Caller } from '../auth.ts';
import type { ApiDeps } from '../context.ts';
import { problems } from '../problem.ts';
import { auditEntry } from './audit.ts';
import { asTime, keyset, pageOf, type Keyset } from './paging.ts';

/** Endpoints a partner may have at once (Stripe's limit too): each one is a workflow and a stream of POSTs. */
export const MAX_ENDPOINTS_PER_PARTNER = 16;
/** How long the secret before a rotation keeps signing, so receivers can switch without losing events. */
export const ROTATION_GRACE_MS = 24 * 3600 * 1000;

const ENDPOINTS: Keyset<WebhookEndpoint> = { list: 'webhook-endpoints', field: 'createdAt', direction: 'desc', at: (e) => e.createdAt.toISOString(), id: (e) => e.id, parse: asTime };
const DELIVERIES: Keyset<WebhookDelivery> = { list: 'webhook-deliveries', field: 'createdAt', direction: 'desc', at: (d) => d.createdAt.toISOString(), id: (d) => d.id, parse: asTime };

const iso = (d: Date | null) => d?.toISOString() ?? null;

export function endpointView(e: WebhookEndpoint) {
  return {
    id: e.id,
    url: e.url,
    events: e.eventTypes as WebhookEventType[],
    description: e.description,
    status: e.status,
    disabledReason: e.disabledReason,
    previousSecretExpiresAt: e.previousSecretExpiresAt && e.previousSecretExpiresAt > new Date() ? e.previousSecretExpiresAt.toISOString() : null,
    createdAt: e.createdAt.toISOString(),
    updatedAt: e.updatedAt.toISOString(),
  };
}

export function deliveryView(d: WebhookDelivery) {
  return {
    id: d.id,
    eventId: d.eventId,
    eventType: d.eventType as WebhookEventType,
    status: d.status,
    attempts: d.attempts,
    occurredAt: d.occurredAt.toISOString(),
    lastAttemptAt: iso(d.lastAttemptAt),
    lastResponseStatus: d.lastResponseStatus,
    lastError: d.lastError,
    responseExcerpt: d.responseExcerpt,
    nextAttemptAt: d.status === 'pending' ? iso(d.nextAttemptAt) : null,
    deliveredAt: iso(d.deliveredAt),
  };
}

/** A partner's webhook endpoints: registered, listed, disabled, rotated, and their deliveries. Own partner only. */
export function createWebhookService(deps: Pick<ApiDeps, 'db' | 'temporal' | 'config' | 'secrets' | 'logger'>) {
  const { db, config } = deps;
  const ring = parseKeyRing(deps.secrets.payloadKeys);
  const target = (id: string) => ({ type: 'webhook_endpoint', id });

  async function own(caller: Caller, endpointId: string): Promise<WebhookEndpoint> {
    const endpoint = await db.webhookEndpoint.findUnique({ where: { id: endpointId } });
    if (!endpoint || endpoint.partnerId !== caller.partnerId) throw problems.notFound('webhook endpoint');
    return endpoint;
  }
  // The workflow is woken after the change commits; if Temporal is away, the worker's sweep wakes it.
  async function wake(endpointId: string): Promise<void> {
    await wakeWebhookEndpoint(deps.temporal, config.temporal.taskQueue, endpointId).catch((err: unknown) =>
      deps.logger.warn({ err: (err as Error).message, endpointId }, 'could not wake the webhook endpoint; the sweep will'),
    );
  }
  const partnerOf = (caller: Caller) => {
    if (!caller.partnerId) throw problems.forbidden('Webhook endpoints belong to a partner; this agent has none.');
    return caller.partnerId;
  };

  return {
    /** The console carries a secret from its POST to the page that shows it once, sealed in a cookie. */
    sealForDisplay: (secret: string) => sealSecret(ring, secret),
    openForDisplay: (sealed: string): string | undefined => {
      try {
        return unsealSecret(ring, sealed);
      } catch {
        return undefined;
      }
    },

    async create(caller: Caller, body: z.infer<typeof webhookEndpointBody>) {
      const partnerId = partnerOf(caller);
      try {
        await checkWebhookUrl(body.url, config.webhooks.allowPrivateUrls);
      } catch (err) {
        if (err instanceof WebhookUrlRefused) throw problems.unprocessable(err.message, [{ path: 'url', message: err.message }]);
        throw err;
      }
      const count = await db.webhookEndpoint.count({ where: { partnerId } });
      if (count >= MAX_ENDPOINTS_PER_PARTNER) throw problems.conflict('endpoint-limit', `A partner may have ${MAX_ENDPOINTS_PER_PARTNER} webhook endpoints; delete one first.`);
      const id = randomUUID();
      const secret = newWebhookSecret();
      const endpoint = await createEndpoint(
        db,
        { id, partnerId, url: body.url, description: body.description ?? null, eventTypes: body.events, secretSealed: sealSecret(ring, secret), createdByAgentId: caller.agentId },
        auditEntry(caller, 'webhook_endpoint.create', target(id), { url: body.url, events: body.events }),
      );
      return { ...endpointView(endpoint), secret };
    },

    async list(caller: Caller, page: PageRequest) {
      const k = keyset(ENDPOINTS, page);
      const rows = await db.webhookEndpoint.findMany({ where: { AND: [{ partnerId: partnerOf(caller) }, k.where] }, orderBy: k.orderBy, take: k.take });
      return pageOf(rows, ENDPOINTS, page, endpointView);
    },

    async get(caller: Caller, endpointId: string) {
      return endpointView(await own(caller, endpointId));
    },

    async disable(caller: Caller, endpointId: string) {
      await own(caller, endpointId);
      await disableEndpoint(db, endpointId, 'Disabled by an agent', auditEntry(caller, 'webhook_endpoint.disable', target(endpointId)));
      return endpointView(await own(caller, endpointId));
    },

    async enable(caller: Caller, endpointId: string) {
      await own(caller, endpointId);
      await enableEndpoint(db, endpointId, auditEntry(caller, 'webhook_endpoint.enable', target(endpointId)));
      await wake(endpointId);
      return endpointView(await own(caller, endpointId));
    },

    async remove(caller: Caller, endpointId: string) {
      await own(caller, endpointId);
      await deleteEndpoint(db, endpointId, auditEntry(caller, 'webhook_endpoint.delete', target(endpointId)));
      // Its workflow sees the endpoint gone and ends.
      await wake(endpointId);
    },

    async rotateSecret(caller: Caller, endpointId: string) {
      await own(caller, endpointId);
      const secret = newWebhookSecret();
      await rotateEndpointSecret(db, endpointId, sealSecret(ring, secret), new Date(Date.now() + ROTATION_GRACE_MS), auditEntry(caller, 'webhook_endpoint.rotate_secret', target(endpointId)));
      return { ...endpointView(await own(caller, endpointId)), secret };
    },

    async deliveries(caller: Caller, endpointId: string, query: z.infer<typeof webhookDeliveriesQuery>) {
      await own(caller, endpointId);
      const k = keyset(DELIVERIES, query);
      const rows = await db.webhookDelivery.findMany({ where: { AND: [{ endpointId, ...(query.status ? { status: query.status } : {}) }, k.where] }, orderBy: k.orderBy, take: k.take });
      return pageOf(rows, DELIVERIES, query, deliveryView);
    },

    async redeliver(caller: Caller, endpointId: string, deliveryId: string) {
      const endpoint = await own(caller, endpointId);
      const found = await redeliver(db, endpointId, deliveryId, auditEntry(caller, 'webhook_delivery.redeliver', { type: 'webhook_delivery', id: deliveryId }, { endpointId }));
      if (!found) throw problems.notFound('delivery');
      if (endpoint.status === 'enabled') await wake(endpointId);
      return deliveryView(await db.webhookDelivery.findUniqueOrThrow({ where: { id: deliveryId } }));
    },
  };
}
