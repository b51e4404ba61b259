import type { Server } from 'node:http';
import express, { type RequestHandler } from 'express';
import client from 'prom-client';
import type { Db } from '../db/client.ts';
import { IN_FLIGHT_ORDER_STATUSES } from '../common/domain.ts';
import { webhookHealth } from './services/webhook-health.ts';
import { createHealthService } from './services/health.ts';
import type { Client } from '@temporalio/client';
import type { Config } from '../common/config.ts';

export interface ApiMetricsDeps {
  db: Db;
  /** How long an in-flight order may stay in one status before it counts as stuck (STUCK_ORDER_AFTER). */
  stuckOrderAfterMs: number;
  /** The readiness probe of /readyz, reported as csp_dependency_up. */
  readiness: () => Promise<{ checks: Record<string, 'up' | 'down'> }>;
}

/**
 * A read-model gauge's collect: while the database is down the gauge has no samples (and
 * csp_dependency_up says why) instead of failing the whole scrape, so the alerts still see the rest.
 */
function fromDatabase<G extends client.Gauge<string>>(read: (gauge: G) => Promise<void>) {
  return async function collect(this: G) {
    this.reset();
    await read(this).catch(() => this.reset());
  };
}

/** Prometheus metrics of the API; read-model gauges are computed from the database at scrape time. */
export function createApiMetrics({ db, stuckOrderAfterMs, readiness }: ApiMetricsDeps) {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'csp_api_' });
  const httpRequests = new client.Counter({
    name: 'csp_http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const httpDuration = new client.Histogram({
    name: 'csp_http_request_duration_seconds',
    help: 'HTTP request latency by method and route',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const downloads = new client.Counter({
    name: 'csp_downloads_total',
    help: 'Download requests by result (served, resumed, refused_expired, refused_revoked, unknown)',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  new client.Gauge({
    name: 'csp_orders',
    help: 'Orders by status (read model)',
    labelNames: ['status'] as const,
    registers: [registry],
    collect: fromDatabase(async (gauge) => {
      const rows = await db.order.groupBy({ by: ['status'], _count: { _all: true } });
      for (const r of rows) gauge.set({ status: r.status }, r._count._all);
    }),
  });
  new client.Gauge({
    name: 'csp_orders_stuck',
    help: 'In-flight orders whose status has not changed for longer than STUCK_ORDER_AFTER, by status',
    labelNames: ['status'] as const,
    registers: [registry],
    collect: fromDatabase(async (gauge) => {
      const where = { status: { in: [...IN_FLIGHT_ORDER_STATUSES] }, updatedAt: { lte: new Date(Date.now() - stuckOrderAfterMs) } };
      const rows = await db.order.groupBy({ by: ['status'], where, _count: { _all: true } });
      for (const status of IN_FLIGHT_ORDER_STATUSES) gauge.set({ status }, rows.find((r) => r.status === status)?._count._all ?? 0);
    }),
  });
  new client.Gauge({
    name: 'csp_dependency_up',
    help: 'Whether the API reaches each dependency (1) or not (0): the checks of /readyz',
    labelNames: ['dependency'] as const,
    registers: [registry],
    async collect() {
      const { checks } = await readiness();
      for (const [dependency, state] of Object.entries(checks)) this.set({ dependency }, state === 'up' ? 1 : 0);
    },
  });
  new client.Gauge({
    name: 'csp_refund_cases',
    help: 'Refund cases by status and whether they are overdue (read model)',
    labelNames: ['status', 'overdue'] as const,
    registers: [registry],
    collect: fromDatabase(async (gauge) => {
      const rows = await db.refundCase.groupBy({ by: ['status', 'overdue'], _count: { _all: true } });
      for (const r of rows) gauge.set({ status: r.status, overdue: String(r.overdue) }, r._count._all);
    }),
  });
  new client.Gauge({
    name: 'csp_activities_retrying',
    help: 'Activities retrying a transient failure from their third attempt on, by activity type (written by the workers)',
    labelNames: ['activity_type'] as const,
    registers: [registry],
    collect: fromDatabase(async (gauge) => {
      const rows = await db.activityRetry.groupBy({ by: ['activityType'], _count: { _all: true } });
      for (const r of rows) gauge.set({ activity_type: r.activityType }, r._count._all);
    }),
  });
  // Partner webhooks, from the outbox (any number of workers deliver; the table is the one truth).
  let health: Promise<Awaited<ReturnType<typeof webhookHealth>>> | undefined;
  // One query per scrape, shared by the gauges below.
  const webhooks = () => (health ??= webhookHealth(db).finally(() => setTimeout(() => (health = undefined), 1000).unref()));
  new client.Gauge({
    name: 'csp_webhook_backlog',
    help: 'Webhook deliveries due and not yet taken by their receivers (state=due), and retries scheduled for later (state=scheduled)',
    labelNames: ['state'] as const,
    registers: [registry],
    collect: fromDatabase(async (gauge) => {
      const h = await webhooks();
      gauge.set({ state: 'due' }, h.backlog);
      gauge.set({ state: 'scheduled' }, h.scheduled);
    }),
  });
  new client.Gauge({
    name: 'csp_webhook_backlog_oldest_seconds',
    help: 'How long the oldest due webhook delivery has waited since its event (0 when none is due)',
    registers: [registry],
    collect: fromDatabase(async (gauge) => gauge.set((await webhooks()).oldestDueSeconds ?? 0)),
  });
  new client.Gauge({
    name: 'csp_webhook_deliveries_recent',
    help: 'Webhook deliveries attempted in the last 5 minutes, by outcome (delivered, failed, retrying)',
    labelNames: ['outcome'] as const,
    registers: [registry],
    collect: fromDatabase(async (gauge) => {
      const h = await webhooks();
      for (const outcome of ['delivered', 'failed', 'retrying']) gauge.set({ outcome }, h.recent.byOutcome[outcome] ?? 0);
    }),
  });
  new client.Gauge({
    name: 'csp_webhook_delivery_lag_seconds',
    help: 'From state change to delivery, over deliveries of the last 5 minutes (quantile 0.5 and 0.99)',
    labelNames: ['quantile'] as const,
    registers: [registry],
    collect: fromDatabase(async (gauge) => {
      const { p50, p99 } = (await webhooks()).recent.lagSeconds;
      if (p50 !== null) gauge.set({ quantile: '0.5' }, p50);
      if (p99 !== null) gauge.set({ quantile: '0.99' }, p99);
    }),
  });
  new client.Gauge({
    name: 'csp_webhook_endpoints_failing',
    help: 'Enabled webhook endpoints whose receiver is failing (a delivery is being retried)',
    registers: [registry],
    collect: fromDatabase(async (gauge) => gauge.set((await webhooks()).failingEndpoints.length)),
  });
  return { registry, httpRequests, httpDuration, downloads };
}

export type ApiMetrics = ReturnType<typeof createApiMetrics>;

/** The API's metrics as a process serves them: stuck after STUCK_ORDER_AFTER, dependencies as /readyz checks them. */
export const apiMetricsOf = (deps: { config: Config; db: Db; temporal: Client }) =>
  createApiMetrics({ db: deps.db, stuckOrderAfterMs: deps.config.stuckOrderAfterMs, readiness: createHealthService(deps).readiness });

export function metricsHandler(metrics: ApiMetrics): RequestHandler {
  return async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  };
}

/** Serves /metrics alone on an internal `host:port`, away from the public API port. */
export async function startMetricsServer(metrics: ApiMetrics, address: string): Promise<Server> {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  const app = express();
  app.disable('x-powered-by');
  app.get('/metrics', metricsHandler(metrics));
  return new Promise<Server>((resolve, reject) => {
    const server = app.listen(port, host, () => resolve(server));
    server.once('error', reject);
  });
}
