import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { seedDemo } from '../../db/demo.ts';
import { workflowIds } from '../../common/ids.ts';
import { freePort } from '../../infra/ports.ts';
import { startService, type ServiceProcess } from '../../infra/processes.ts';
import { ensureSearchAttributes } from '../../infra/search-attributes.ts';
import { until } from '../../infra/waiting.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../../infra/otlp-receiver.ts';
import { devServerEnvironment } from '../helpers/temporal.ts';
import { serviceEnv } from '../helpers/service-env.ts';

/**
 * `npm run api` and `npm run worker` as their own processes, exporting to a local OTLP receiver:
 * one order POST is one trace, from the request through the workflow start, the workflow, each of
 * its activities, and the SQL of both.
 */
describe('traces across the API, the workflow and its activities (OTLP to a local receiver)', () => {
  let receiver: OtlpReceiver;
  let database: TestDatabase;
  let env: TestWorkflowEnvironment;
  let api: ServiceProcess;
  let worker: ServiceProcess;
  let base: string;
  let adminKey: string;
  let customerId: string;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'csp-tracing-'));

  before(async () => {
    [receiver, database, env] = await Promise.all([startOtlpReceiver(), createTestDatabase('ops_tracing'), devServerEnvironment()]);
    await ensureSearchAttributes(env.connection, env.namespace ?? 'default');
    const seed = randomBytes(16).toString('hex');
    const demo = await seedDemo(database.db, seed);
    adminKey = demo.partners[0]!.apiKeys.admin_agent;
    customerId = demo.partners[0]!.customers[0]!.id;
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const shared = {
      ...serviceEnv({ dataDir, databaseUrl: database.url, env, taskQueue: `tracing-${randomBytes(3).toString('hex')}` }),
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      // Export within a fraction of a second, so the test waits on spans, not on the batch timer.
      OTEL_BSP_SCHEDULE_DELAY: '100',
    };
    worker = await startService('worker/main.ts', shared, (out) => out.includes('"msg":"worker running"'));
    api = await startService('api/main.ts', { ...shared, HOST: '127.0.0.1', PORT: String(port), PUBLIC_BASE_URL: base }, (out) => out.includes('"msg":"API listening"'));
  });
  after(async () => {
    await api?.stop();
    await worker?.stop();
    await receiver?.close();
    await env?.teardown();
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('one order POST is one trace: the request, the workflow start, the workflow, each activity and their SQL', async (t) => {
    const res = await fetch(`${base}/v1/customers/${customerId}/orders`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${adminKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ lineItems: [{ productId: 'windows-server-2022-standard', quantity: 1 }], paymentMethod: 'pm_card_ok' }),
    });
    assert.equal(res.status, 202);
    const traceparent = res.headers.get('traceparent') ?? '';
    const [, traceId, requestSpanId] = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/.exec(traceparent) ?? [];
    assert.ok(traceId, `the answer names its trace: traceparent ${traceparent}`);
    const { orderId } = (await res.json()) as { orderId: string };

    // Every activity the order's workflow ran, from its history (the type names are not encrypted).
    const handle = env.client.workflow.getHandle(workflowIds.order(orderId));
    await until('order active', async () => (await handle.describe()).status.name === 'COMPLETED', 30_000);
    const history = await handle.fetchHistory();
    const activities = [...new Set((history.events ?? []).flatMap((e) => (e.activityTaskScheduledEventAttributes?.activityType?.name ? [e.activityTaskScheduledEventAttributes.activityType.name] : [])))];
    assert.ok(activities.length >= 3, `the order ran ${activities.join(', ')}`);

    const ofTrace = () => receiver.spans.filter((s) => s.traceId === traceId);
    await until('every activity’s span exported', async () => activities.every((a) => ofTrace().some((s) => s.name === `RunActivity:${a}`)) && ofTrace().some((s) => s.name === 'RunWorkflow:orderWorkflow'), 30_000, async () => [...new Set(ofTrace().map((s) => s.name))]);

    const spans = ofTrace();
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const ancestors = (s: ReceivedSpan): ReceivedSpan[] => (s.parentSpanId && byId.get(s.parentSpanId) ? [byId.get(s.parentSpanId)!, ...ancestors(byId.get(s.parentSpanId)!)] : []);
    const sql = (s: ReceivedSpan) => spans.filter((d) => d.attributes['db.system'] === 'postgresql' && ancestors(d).includes(s));

    const request = spans.find((s) => s.spanId === requestSpanId)!;
    assert.ok(request, 'the request’s span is the one traceparent names');
    assert.equal(request.service, 'csp-api');
    assert.equal(request.name, 'POST /v1/customers/:customerId/orders');
    assert.equal(request.parentSpanId, undefined, 'the request is the root');
    assert.ok(sql(request).length >= 2, `the API's SQL is inside the request: ${sql(request).map((s) => s.name).join(', ')}`);
    // A prepared statement's span is named for what it does to which table, not by an opaque id.
    assert.ok(sql(request).some((s) => /^pg\.query:INSERT orders [0-9a-f]{12} /.test(s.name)), `the request's SQL names its tables: ${sql(request).map((s) => s.name).join(', ')}`);

    const start = spans.find((s) => s.name === 'StartWorkflow:orderWorkflow')!;
    assert.ok(start && ancestors(start).includes(request), 'the workflow start is inside the request');
    const run = spans.find((s) => s.name === 'RunWorkflow:orderWorkflow')!;
    assert.equal(run.service, 'csp-worker');
    assert.ok(ancestors(run).includes(start), 'the workflow run continues the start');
    for (const activity of activities) {
      const span = spans.find((s) => s.name === `RunActivity:${activity}`)!;
      assert.ok(ancestors(span).includes(run), `${activity} runs inside the workflow's trace`);
    }
    const withSql = activities.filter((a) => sql(spans.find((s) => s.name === `RunActivity:${a}`)!).length > 0);
    assert.deepEqual(withSql, activities, 'each activity’s SQL is inside its span');

    t.diagnostic(`${spans.length} spans in the trace; activities ${activities.join(', ')}; with SQL ${withSql.join(', ')}; request SQL ${sql(request).length} spans, ${sql(request).filter((q) => q.name.startsWith('pg.query')).length} queries`);
    // The logs name the trace too.
    await until('the request logged with its trace', async () => api.output().includes(`"trace_id":"${traceId}"`), 10_000);
  });
});
