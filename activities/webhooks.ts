import { Context } from '@temporalio/activity';
import { Webhook } from 'standardwebhooks';
import type { Db } from '../db/client.ts';
import { dueDeliveries, MAX_RETRY_INTERVAL_MS, recordAttempt, type AttemptResult, type DueDelivery } from '../db/webhooks.ts';
import { unsealSecret } from '../infra/webhook-secrets.ts';
import { postWebhook } from '../infra/webhook-transport.ts';
import type { KeyRing } from '../infra/payload-codec.ts';

export interface WebhookDeliverySettings {
  retryInitialMs: number;
  retryForMs: number;
  allowPrivateUrls: boolean;
  timeoutMs: number;
}

export interface WebhookDeps {
  db: Db;
  /** Unseals endpoints' signing secrets; the secrets never enter a workflow's history. */
  keyRing?: KeyRing;
  settings?: WebhookDeliverySettings;
  /** Told of each attempt's outcome and, when delivered, of the lag since the event happened. */
  onAttempt?: (outcome: AttemptResult['outcome'], lagMs: number) => void;
}

/** What the endpoint's workflow does next: wait for a wake-up or `nextAttemptAt`, or end. */
export interface DrainResult {
  endpoint: 'enabled' | 'disabled' | 'gone';
  delivered: number;
  failed: number;
  /** Attempts made this round, whatever their outcome. */
  attempted: number;
  nextAttemptAt: string | null;
}

/** Deliveries attempted at once per endpoint (each from a different customer's queue). */
const PARALLEL = 16;

/** The retry's delay after `attempts` failed attempts: initial × 2^(attempts-1), capped. */
export function retryDelayMs(initialMs: number, attempts: number): number {
  return Math.min(MAX_RETRY_INTERVAL_MS, initialMs * 2 ** Math.max(0, attempts - 1));
}

export function createWebhookActivities(deps: WebhookDeps) {
  const { db } = deps;
  const configured = () => {
    // Retryable: a worker that has them (every production one) takes the next attempt.
    if (!deps.keyRing || !deps.settings) throw new Error('this worker was built without webhook settings');
    return { keyRing: deps.keyRing, webhooks: deps.settings };
  };

  async function attempt(endpoint: { id: string; url: string; secrets: string[] }, d: DueDelivery): Promise<AttemptResult> {
    const { webhooks } = configured();
    const body = JSON.stringify({ id: d.eventId, type: d.eventType, createdAt: d.occurredAt.toISOString(), partnerId: d.partnerId, data: d.data });
    const now = new Date();
    // Standard Webhooks: one `v1,<signature>` per valid secret, so a receiver mid-rotation accepts either.
    const signature = endpoint.secrets.map((s) => new Webhook(s).sign(d.eventId, now, body)).join(' ');
    const answer = await postWebhook({
      url: endpoint.url,
      body,
      timeoutMs: webhooks.timeoutMs,
      allowPrivate: webhooks.allowPrivateUrls,
      headers: { 'webhook-id': d.eventId, 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)), 'webhook-signature': signature },
    });
    if ('status' in answer && answer.status >= 200 && answer.status < 300) return { outcome: 'delivered', responseStatus: answer.status, excerpt: answer.excerpt };
    const failure = 'status' in answer ? { responseStatus: answer.status, excerpt: answer.excerpt, error: `answered ${answer.status}` } : { error: answer.error };
    if ('status' in answer && answer.status === 410) return { outcome: 'failed', ...failure, disableReason: 'The receiver answered 410 Gone' };
    const attempts = d.attempts + 1;
    const retryUntil = d.retryUntil ?? new Date(now.getTime() + webhooks.retryForMs);
    const nextAttemptAt = new Date(now.getTime() + retryDelayMs(webhooks.retryInitialMs, attempts));
    if (nextAttemptAt > retryUntil) return { outcome: 'failed', ...failure, error: `${failure.error}; no retry left (retried for ${Math.round(webhooks.retryForMs / 1000)} s)` };
    return { outcome: 'retry', ...failure, nextAttemptAt, retryUntil };
  }

  return {
    /**
     * Delivers what is due at one endpoint, customer queue by customer queue, until nothing is due
     * or the activity's budget is spent, and says when the next retry is due. Idempotent: only a
     * pending delivery is attempted or changed. A crash between a receiver's 2xx and its record
     * means that event is sent again, under the same `webhook-id`, for the receiver to recognise.
     */
    async deliverWebhooks(request: { endpointId: string }): Promise<DrainResult> {
      const { keyRing } = configured();
      const started = Date.now();
      let delivered = 0;
      let failed = 0;
      let attempted = 0;
      for (;;) {
        const endpoint = await db.webhookEndpoint.findUnique({ where: { id: request.endpointId } });
        if (!endpoint) return { endpoint: 'gone', delivered, failed, attempted, nextAttemptAt: null };
        if (endpoint.status === 'disabled') return { endpoint: 'disabled', delivered, failed, attempted, nextAttemptAt: null };
        const secrets = [unsealSecret(keyRing, endpoint.secretSealed)];
        if (endpoint.previousSecretSealed && endpoint.previousSecretExpiresAt && endpoint.previousSecretExpiresAt > new Date()) {
          secrets.push(unsealSecret(keyRing, endpoint.previousSecretSealed));
        }
        const { due, nextAttemptAt } = await dueDeliveries(db, endpoint.id, PARALLEL);
        // The budget keeps each activity short: the workflow calls again at once when more is due.
        if (due.length === 0 || Date.now() - started > 30_000) {
          return { endpoint: 'enabled', delivered, failed, attempted, nextAttemptAt: due.length ? new Date().toISOString() : (nextAttemptAt?.toISOString() ?? null) };
        }
        await Promise.all(
          due.map(async (d) => {
            attempted++;
            const result = await attempt({ id: endpoint.id, url: endpoint.url, secrets }, d);
            await recordAttempt(db, endpoint.id, d.id, result);
            if (result.outcome === 'delivered') delivered++;
            if (result.outcome === 'failed') failed++;
            deps.onAttempt?.(result.outcome, Date.now() - d.occurredAt.getTime());
          }),
        );
        Context.current().heartbeat({ delivered, failed });
      }
    },
  };
}

export type WebhookActivities = ReturnType<typeof createWebhookActivities>;
