import type { Server } from 'node:http';
import express, { type RequestHandler } from 'express';
import client from 'prom-client';
import type { Db } from '../db/client.ts';
import { webhookHealth } from './services/webhook-health.ts';

/** Prometheus metrics of the API; read-model gauges are computed from the database at scrape time. */
export function createApiMetrics(db: Db) {
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
    async collect() {
      this.reset();
      const rows = await db.order.groupBy({ by: ['status'], _count: { _all: true } });
      for (const r of rows) this.set({ status: r.status }, r._count._all);
    },
  });
  new client.Gauge({
    name: 'csp_refund_cases',
    help: 'Refund cases by status and whether they are overdue (read model)',
    labelNames: ['status', 'overdue'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const rows = await db.refundCase.groupBy({ by: ['status', 'overdue'], _count: { _all: true } });
      for (const r of rows) this.set({ status: r.status, overdue: String(r.overdue) }, r._count._all);
    },
  });
  new client.Gauge({
    name: 'csp_activities_retrying',
    help: 'Activities retrying a transient failure from their third attempt on, by activity type (written by the workers)',
    labelNames: ['activity_type'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const rows = await db.activityRetry.groupBy({ by: ['activityType'], _count: { _all: true } });
      for (const r of rows) this.set({ activity_type: r.activityType }, r._count._all);
    },
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
    async collect() {
      const h = await webhooks();
      this.set({ state: 'due' }, h.backlog);
      this.set({ state: 'scheduled' }, h.scheduled);
    },
  });
  new client.Gauge({
    name: 'csp_webhook_backlog_oldest_seconds',
    help: 'How long the oldest due webhook delivery has waited since its event (0 when none is due)',
    registers: [registry],
    async collect() {
      this.set((await webhooks()).oldestDueSeconds ?? 0);
    },
  });
  new client.Gauge({
    name: 'csp_webhook_deliveries_recent',
    help: 'Webhook deliveries attempted in the last 5 minutes, by outcome (delivered, failed, retrying)',
    labelNames: ['outcome'] as const,
    registers: [registry],
    async collect() {
      const h = await webhooks();
      for (const outcome of ['delivered', 'failed', 'retrying']) this.set({ outcome }, h.recent.byOutcome[outcome] ?? 0);
    },
  });
  new client.Gauge({
    name: 'csp_webhook_delivery_lag_seconds',
    help: 'From state change to delivery, over deliveries of the last 5 minutes (quantile 0.5 and 0.99)',
    labelNames: ['quantile'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const { p50, p99 } = (await webhooks()).recent.lagSeconds;
      if (p50 !== null) this.set({ quantile: '0.5' }, p50);
      if (p99 !== null) this.set({ quantile: '0.99' }, p99);
    },
  });
  new client.Gauge({
    name: 'csp_webhook_endpoints_failing',
    help: 'Enabled webhook endpoints whose receiver is failing (a delivery is being retried)',
    registers: [registry],
    async collect() {
      this.set((await webhooks()).failingEndpoints.length);
    },
  });
  return { registry, httpRequests, httpDuration, downloads };
}

export type ApiMetrics = ReturnType<typeof createApiMetrics>;

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
