import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { workflowIds } from '../../common/ids.ts';
import { freePort } from '../../infra/ports.ts';
import { LOCAL_PROVIDERS } from '../../common/config.ts';
import { createProviders } from '../../providers/index.ts';
import { orderWorkflow } from '../../workflows/order.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { createTenant, orderInput } from '../helpers/fixtures.ts';
import { devServerEnvironment, startTestWorker } from '../helpers/temporal.ts';

const port = await freePort();
// The same runtime telemetry `npm run worker` installs with WORKER_METRICS_ADDRESS.
Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { metrics: { prometheus: { bindAddress: `127.0.0.1:${port}` } } } });

describe('worker metrics from the Temporal SDK', () => {
  let env: TestWorkflowEnvironment;
  let database: TestDatabase;

  before(async () => {
    [env, database] = await Promise.all([devServerEnvironment(), createTestDatabase('worker_metrics')]);
  });
  after(async () => {
    await env?.teardown();
    await database?.drop();
  });

  test('exports task slots, schedule-to-start latency and the sticky cache after real work', async () => {
    const tenant = await createTenant(database.db);
    const taskQueue = `metrics-${port}`;
    const worker = await startTestWorker(env, taskQueue, { db: database.db, ...createProviders({ providers: LOCAL_PROVIDERS }, database.db) });
    try {
      const input = orderInput(tenant);
      const result = await env.client.workflow.execute(orderWorkflow, { taskQueue, workflowId: workflowIds.order(input.orderId), args: [input] });
      assert.equal(result.status, 'active');
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      for (const metric of ['temporal_worker_task_slots_available', 'temporal_workflow_task_schedule_to_start_latency', 'temporal_activity_schedule_to_start_latency', 'temporal_sticky_cache_size']) {
        assert.match(text, new RegExp(`^${metric}`, 'm'), `${metric} is exported`);
      }
      assert.match(text, new RegExp(`task_queue="${taskQueue}"`));
    } finally {
      await worker.stop();
    }
  });
});
