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
import { devServerEnvironment, startTestWorker, workflowBundle } from '../helpers/temporal.ts';
import { createWorkerGroup } from '../../worker/worker.ts';

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

  test('a burst of orders as large as WORKER_MAX_CACHED_WORKFLOWS runs from the sticky cache: no order is evicted and replayed', async () => {
    const tenant = await createTenant(database.db, 'Burst Partner');
    const taskQueue = `burst-${port}`;
    const max = 8;
    const group = await createWorkerGroup({
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      taskQueue,
      deps: { db: database.db, ...createProviders({ providers: LOCAL_PROVIDERS }, database.db) },
      workflowBundle: await workflowBundle(),
      maxCachedWorkflows: max,
      // A task left on the sticky queue past this timeout goes to the shared queue and may count as a
      // miss however large the cache: long enough that only the cache's size is under test.
      options: { stickyQueueScheduleToStartTimeout: '10 minutes' },
    });
    const running = group.run();
    try {
      // All started before any ends, so every one of them is in flight (and cached) at once.
      const handles = await Promise.all(
        Array.from({ length: max }, () => {
          const input = orderInput(tenant);
          return env.client.workflow.start(orderWorkflow, { taskQueue, workflowId: workflowIds.order(input.orderId), args: [input] });
        }),
      );
      for (const handle of handles) assert.equal((await handle.result()).status, 'active');
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      // A counter the core has not yet incremented is not exported: absent is 0, and the hits show
      // the cache's counters are there for this queue.
      const total = (metric: string) =>
        text
          .split('\n')
          .filter((line) => line.startsWith(`${metric}{`) && line.includes(`task_queue="${taskQueue}"`))
          .reduce((n, line) => n + Number(line.split(' ').at(-1)), 0);
      assert.ok(total('temporal_sticky_cache_hit') >= max, 'tasks served from the cache');
      assert.deepEqual({ misses: total('temporal_sticky_cache_miss'), evictions: total('temporal_sticky_cache_total_forced_eviction') }, { misses: 0, evictions: 0 });
    } finally {
      group.shutdown();
      await running;
    }
  });
});
