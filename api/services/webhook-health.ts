import type { Db } from '../../db/client.ts';

/** An enabled endpoint whose receiver is failing now: its oldest retrying delivery says since when and why. */
export interface FailingEndpoint {
  endpointId: string;
  partnerId: string;
  partnerName: string;
  url: string;
  pending: number;
  failingSince: string;
  lastError: string | null;
  lastResponseStatus: number | null;
}

/**
 * How partner webhooks are doing, for operations' dashboard and the metrics: the deliveries due
 * and not yet taken (the backlog) and how long the oldest has waited, deliveries and lag over the
 * last `windowMinutes`, and the endpoints whose receivers are failing.
 */
/** How many failing receivers the health lists: the longest failing. */
export const FAILING_ENDPOINTS_SHOWN = 50;

export async function webhookHealth(db: Db, windowMinutes = 5) {
  const window = `${windowMinutes} minutes`;
  const [backlog] = await db.$queryRaw<{ due: number; scheduled: number; oldestDueSeconds: number | null }[]>`
    SELECT count(*) FILTER (WHERE next_attempt_at <= now())::int AS due,
           count(*) FILTER (WHERE next_attempt_at > now())::int AS scheduled,
           EXTRACT(EPOCH FROM now() - min(occurred_at) FILTER (WHERE next_attempt_at <= now()))::float AS "oldestDueSeconds"
      FROM webhook_deliveries WHERE status = 'pending'`;
  const recent = await db.$queryRaw<{ outcome: string; count: number; p50: number | null; p99: number | null }[]>`
    SELECT CASE WHEN status = 'pending' THEN 'retrying' ELSE status::text END AS outcome, count(*)::int AS count,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM delivered_at - occurred_at)) FILTER (WHERE status = 'delivered') AS p50,
           percentile_cont(0.99) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM delivered_at - occurred_at)) FILTER (WHERE status = 'delivered') AS p99
      FROM webhook_deliveries WHERE last_attempt_at > now() - ${window}::interval
     GROUP BY 1`;
  const failing = await db.$queryRaw<FailingEndpoint[]>`
    SELECT e.id::text AS "endpointId", e.partner_id::text AS "partnerId", p.name AS "partnerName", e.url,
           count(*)::int AS pending, to_char(min(d.occurred_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "failingSince",
           (array_agg(d.last_error ORDER BY d.last_attempt_at DESC))[1] AS "lastError",
           (array_agg(d.last_response_status ORDER BY d.last_attempt_at DESC))[1] AS "lastResponseStatus"
      FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id JOIN partners p ON p.id = e.partner_id
     WHERE d.status = 'pending' AND d.attempts > 0 AND e.status = 'enabled'
     GROUP BY e.id, p.name
     ORDER BY min(d.occurred_at)
     LIMIT ${FAILING_ENDPOINTS_SHOWN}`;
  const delivered = recent.find((r) => r.outcome === 'delivered');
  return {
    backlog: backlog?.due ?? 0,
    scheduled: backlog?.scheduled ?? 0,
    oldestDueSeconds: backlog?.oldestDueSeconds ?? null,
    recent: { windowMinutes, byOutcome: Object.fromEntries(recent.map((r) => [r.outcome, r.count])), lagSeconds: { p50: delivered?.p50 ?? null, p99: delivered?.p99 ?? null } },
    failingEndpoints: failing,
  };
}
