import pg from 'pg';
import type { Client } from '@temporalio/client';
import type { Logger } from '../common/logger.ts';
import type { Db } from '../db/client.ts';
import { wakeWebhookEndpoint } from '../infra/webhook-wake.ts';

/** The channel record_webhook_event notifies on, with the endpoint's id, once the change commits. */
export const WEBHOOK_CHANNEL = 'webhook_deliveries';

/**
 * Wakes endpoints' delivery workflows when the outbox gets new deliveries. The fast path is the
 * database's NOTIFY (sent at COMMIT, so never for a change that rolled back); notifications sent
 * while no worker listened are not lost work, because the deliveries are rows: every `sweepMs` the
 * relay also wakes each enabled endpoint with a delivery due for longer than `sweepMs`. Any number
 * of workers may run one; a wake-up of an endpoint that is already draining costs one signal.
 */
export function startWebhookRelay(deps: { databaseUrl: string; db: Db; client: Client; taskQueue: string; logger: Logger }, sweepMs = 10_000): { stop(): Promise<void> } {
  const { db, client, taskQueue, logger } = deps;
  let stopped = false;
  let listener: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;
  const waiting = new Set<string>();
  let flushing: Promise<void> | undefined;

  const flush = async () => {
    while (waiting.size) {
      const ids = [...waiting];
      waiting.clear();
      await Promise.all(
        ids.map((id) => wakeWebhookEndpoint(client, taskQueue, id).catch((err: unknown) => logger.warn({ err: (err as Error).message, endpointId: id }, 'could not wake a webhook endpoint; the sweep will'))),
      );
    }
    flushing = undefined;
  };
  const wake = (id: string) => {
    waiting.add(id);
    flushing ??= flush();
  };

  const listen = () => {
    retry = undefined;
    if (stopped) return;
    const c = new pg.Client({ connectionString: deps.databaseUrl, application_name: 'csp-webhook-relay' });
    listener = c;
    const lost = (err?: unknown) => {
      if (listener !== c) return;
      listener = undefined;
      logger.warn({ err: (err as Error | undefined)?.message }, 'webhook notifications lost; the sweep delivers until they are back');
      void c.end().catch(() => undefined);
      if (!stopped) retry = setTimeout(listen, 1_000);
    };
    c.on('error', lost);
    c.on('end', () => lost());
    c.on('notification', (msg) => msg.payload && wake(msg.payload));
    c.connect()
      .then(() => c.query(`LISTEN ${WEBHOOK_CHANNEL}`))
      .catch(lost);
  };

  const sweep = async () => {
    try {
      const rows = await db.$queryRaw<{ endpointId: string }[]>`
        SELECT DISTINCT d.endpoint_id::text AS "endpointId"
          FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
         WHERE d.status = 'pending' AND e.status = 'enabled' AND d.next_attempt_at <= now() - ${`${sweepMs} milliseconds`}::interval`;
      for (const r of rows) wake(r.endpointId);
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'webhook sweep failed');
    }
  };

  listen();
  // At start too: whatever was announced while no worker listened.
  void sweep();
  const timer = setInterval(() => void sweep(), sweepMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      clearTimeout(retry);
      const c = listener;
      listener = undefined;
      await c?.end().catch(() => undefined);
      await flushing;
    },
  };
}
