import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import request from 'supertest';
import { parse, stringify } from 'yaml';
import { PROJECT_ROOT } from '../../infra/paths.ts';
import { freePort } from '../../infra/ports.ts';
import { ensureSystemTool, PROMETHEUS } from '../../infra/system-packages.ts';
import { until } from '../../infra/waiting.ts';
import { dashboardExpressions, metricNames, ruleExpressions } from '../helpers/promql.ts';
import { activeOrder, bearer, startStack, type Stack } from '../helpers/stack.ts';

const OPS = path.join(PROJECT_ROOT, 'ops');
const workerMetricsPort = await freePort();
// As `npm run worker` with WORKER_METRICS_ADDRESS: the SDK's metrics, on their own port.
Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { metrics: { prometheus: { bindAddress: `127.0.0.1:${workerMetricsPort}` } } } });

interface Rule { name: string; health: string; lastError?: string; lastEvaluation: string }
interface Alert { labels: Record<string, string>; state: string }

/**
 * A real Prometheus (Debian's package) scrapes a test stack's API and worker with ops/prometheus.yml
 * and evaluates ops/alerts.yml on the real series: every rule evaluates cleanly, an order left
 * awaiting payment past STUCK_ORDER_AFTER makes OrdersStuck pending, and every metric the rules and
 * the Grafana dashboard query is one the service exports.
 */
describe('alerts and dashboard against a real Prometheus scraping the API and a worker', () => {
  let stack: Stack;
  let server: Server;
  let prometheus: ChildProcess;
  let promUrl: string;
  const dir = mkdtempSync(path.join(tmpdir(), 'csp-prometheus-'));
  let promLog = '';

  const api = async <T>(query: string): Promise<T> => ((await (await fetch(`${promUrl}/api/v1/${query}`)).json()) as { data: T }).data;

  before(async () => {
    stack = await startStack('ops_prometheus', { STUCK_ORDER_AFTER: '1s' });
    server = stack.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const apiPort = (server.address() as { port: number }).port;

    // The shipped configuration, pointed at this stack and sped up to one scrape a second.
    const config = parse(readFileSync(path.join(OPS, 'prometheus.yml'), 'utf8')) as { global: Record<string, string>; rule_files: string[]; scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[] };
    config.global = { scrape_interval: '1s', evaluation_interval: '1s' };
    config.rule_files = config.rule_files.map((f) => path.join(OPS, f));
    const targets: Record<string, string> = { 'csp-api': `127.0.0.1:${apiPort}`, 'csp-worker': `127.0.0.1:${workerMetricsPort}` };
    for (const job of config.scrape_configs) job.static_configs = [{ targets: [targets[job.job_name]!] }];
    writeFileSync(path.join(dir, 'prometheus.yml'), stringify(config));

    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    prometheus = spawn(ensureSystemTool(PROMETHEUS), [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    prometheus.stderr?.on('data', (chunk: Buffer) => (promLog = (promLog + chunk.toString()).slice(-4000)));
    await until('Prometheus ready', async () => (await fetch(`${promUrl}/-/ready`).catch(() => undefined))?.ok === true, 60_000, async () => promLog);
  });
  after(async () => {
    prometheus?.kill();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    await stack?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('both targets are scraped, every rule evaluates cleanly, and a stuck order makes OrdersStuck pending', async () => {
    await until('the API and the worker scraped', async () => {
      const { activeTargets } = await api<{ activeTargets: { labels: { job: string }; health: string }[] }>('targets');
      return ['csp-api', 'csp-worker'].every((job) => activeTargets.some((t) => t.labels.job === job && t.health === 'up'));
    }, 60_000, () => api('targets'));

    const partner = stack.demo.partners[0]!;
    const key = partner.apiKeys.admin_agent;
    const customerId = partner.customers[0]!.id;
    // Real work, so the worker's histograms and the API's counters have series.
    const order = await activeOrder(stack, key, customerId, [{ productId: 'windows-server-2022-standard', quantity: 1 }]);
    const keys = await request(stack.app).post(`/v1/customers/${customerId}/software/${order.subscriptions[0]}/keys-and-downloads`).set(bearer(key)).send({ version: '2022 (21H2)', language: 'English', fileType: 'ISO (x64)' });
    assert.equal(keys.status, 200, JSON.stringify(keys.body));
    const downloaded = await request(stack.app).get(new URL(keys.body.download.url as string).pathname);
    assert.ok([200, 302].includes(downloaded.status), `download answered ${downloaded.status}`);
    // Left awaiting its asynchronous payment: stuck once STUCK_ORDER_AFTER (1 s here) has passed.
    const waiting = await request(stack.app).post(`/v1/customers/${customerId}/orders`).set(bearer(key)).send({ lineItems: [{ productId: 'sql-server-2022-standard', quantity: 1 }], paymentMethod: 'pm_async' });
    assert.equal(waiting.status, 202);

    await until('OrdersStuck pending for the order awaiting payment', async () => {
      const { alerts } = await api<{ alerts: Alert[] }>('alerts');
      return alerts.some((a) => a.labels.alertname === 'OrdersStuck' && a.labels.status === 'awaiting_payment' && a.state === 'pending');
    }, 60_000, () => api('alerts'));

    const { groups } = await api<{ groups: { rules: Rule[] }[] }>('rules');
    const rules = groups.flatMap((g) => g.rules);
    assert.equal(rules.length, ruleExpressions().length, 'every rule of ops/alerts.yml is loaded');
    assert.deepEqual(rules.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.health} ${r.lastError ?? ''}`), []);
    // A healthy stack raises nothing else: dependencies up, no 5xx, no retries, short queues.
    const { alerts } = await api<{ alerts: Alert[] }>('alerts');
    assert.deepEqual([...new Set(alerts.map((a) => a.labels.alertname))], ['OrdersStuck']);
  });

  test('every metric the alert rules and the Grafana dashboard query is one the API or the worker exports', async () => {
    const wanted = [...new Set([...ruleExpressions(), ...dashboardExpressions()].flatMap(metricNames))].sort();
    assert.ok(wanted.length > 20, `found only ${wanted.length} metric names: the parsing is broken`);
    // What each process exports, by its metric families (a gauge with no rows yet still declares
    // itself), and what Prometheus adds itself.
    const exported = async () => {
      const texts = [(await request(stack.app).get('/metrics')).text, await (await fetch(`http://127.0.0.1:${workerMetricsPort}/metrics`)).text()];
      const families = texts.flatMap((t) => [...t.matchAll(/^# TYPE (\S+) (\S+)$/gm)].flatMap(([, name, type]) => (type === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name!])));
      return new Set([...families, 'up']);
    };
    let missing: string[] = [];
    await until('every queried metric exported', async () => {
      const names = await exported();
      missing = wanted.filter((m) => !names.has(m));
      return missing.length === 0;
    }, 30_000, async () => missing);
    // And Prometheus has samples of the ones that always have some.
    const stored = new Set(await api<string[]>('label/__name__/values'));
    for (const m of ['csp_orders', 'csp_orders_stuck', 'csp_dependency_up', 'csp_http_requests_total', 'temporal_workflow_task_schedule_to_start_latency_bucket']) assert.ok(stored.has(m), `Prometheus stored ${m}`);
  });
});
