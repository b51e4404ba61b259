// Partner webhooks under the chaos run: a verifying receiver registered for every event type of
// both partners, down for a while mid-run, and the checks that every event arrived once per id
// (again only when a worker was killed mid-delivery), each customer's in the order it happened.
import { WEBHOOK_EVENT_TYPES } from '../common/domain.ts';
import type { Db } from '../db/client.ts';
import { until } from '../infra/waiting.ts';
import { startReceiver } from '../test/helpers/webhook-receiver.ts';
import type { Check } from './checks.ts';

export type WebhookWatch = Awaited<ReturnType<typeof watchWebhooks>>;

export async function watchWebhooks(apiBase: string, adminKeys: string[]) {
  const receiver = await startReceiver();
  const endpointIds: string[] = [];
  for (const key of adminKeys) {
    const res = await fetch(`${apiBase}/v1/webhook-endpoints`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ url: receiver.url, events: WEBHOOK_EVENT_TYPES, description: 'chaos receiver' }),
    });
    const body = (await res.json()) as { id: string; secret: string };
    if (res.status !== 201) throw new Error(`could not register the chaos receiver: ${res.status} ${JSON.stringify(body)}`);
    endpointIds.push(body.id);
    receiver.secrets = [...receiver.secrets, body.secret];
  }
  return { receiver, endpointIds };
}

export async function checkWebhooks(db: Db, watch: WebhookWatch, disruptions: readonly number[]): Promise<Check[]> {
  const { receiver, endpointIds } = watch;
  await until(
    'every webhook delivery settled',
    async () => (await db.webhookDelivery.count({ where: { endpointId: { in: endpointIds }, status: 'pending', nextAttemptAt: { lte: new Date() } } })) === 0,
    300_000,
    () => db.webhookDelivery.findMany({ where: { endpointId: { in: endpointIds }, status: 'pending' }, take: 5 }),
  );
  const deliveries = await db.webhookDelivery.findMany({ where: { endpointId: { in: endpointIds } }, orderBy: [{ occurredAt: 'asc' }, { seq: 'asc' }] });
  const arrivals = new Map<string, typeof receiver.events>();
  for (const e of receiver.events) arrivals.set(e.id, [...(arrivals.get(e.id) ?? []), e]);

  const lost = deliveries.flatMap((d) =>
    d.status !== 'delivered' ? [`delivery ${d.id} (${d.eventType}) ended ${d.status}: ${d.lastError}`] : arrivals.has(d.eventId) ? [] : [`event ${d.eventId} (${d.eventType}) is marked delivered but never arrived`],
  );
  if (receiver.rejected) lost.push(`${receiver.rejected} requests did not verify against the endpoints' secrets`);

  // Per customer, the order events first arrived in is the order they happened in.
  const outOfOrder: string[] = [];
  const firstArrival = [...arrivals.values()].map((list) => list[0]!).sort((a, b) => a.at - b.at);
  for (const customer of new Set(deliveries.map((d) => d.orderingKey))) {
    const happened = deliveries.filter((d) => d.orderingKey === customer && arrivals.has(d.eventId)).map((d) => d.eventId);
    const arrived = firstArrival.filter((e) => e.data.customerId === customer).map((e) => e.id);
    if (happened.join() !== arrived.join()) outOfOrder.push(`customer ${customer}: happened ${happened.join(', ')}; arrived ${arrived.join(', ')}`);
  }

  // The same id twice only when a worker died (or Temporal or PostgreSQL went down) between the
  // receiver's answer and its record, and always the same event.
  const twice: string[] = [];
  let repeats = 0;
  for (const [id, list] of arrivals) {
    if (list.length < 2) continue;
    repeats += list.length - 1;
    const body = (e: (typeof list)[number]) => JSON.stringify({ type: e.type, createdAt: e.createdAt, data: e.data });
    if (new Set(list.map(body)).size > 1) twice.push(`event ${id} arrived with different contents`);
    for (let i = 1; i < list.length; i++) {
      if (!disruptions.some((k) => k >= list[i - 1]!.at - 1000 && k <= list[i]!.at)) twice.push(`event ${id} arrived again at ${new Date(list[i]!.at).toISOString()} with no worker killed and no outage since its first arrival`);
    }
  }
  return [
    { name: 'every webhook event delivered, signed, to its partner', checked: deliveries.length, discrepancies: lost },
    { name: 'webhook events in order per customer', checked: new Set(deliveries.map((d) => d.orderingKey)).size, discrepancies: outOfOrder },
    { name: `webhook ids arrive once (${repeats} repeats, each after a kill or an outage)`, checked: arrivals.size, discrepancies: twice },
  ];
}
