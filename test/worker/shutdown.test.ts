import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { workflowIds } from '../../common/ids.ts';
import { EncryptionCodec, newKeyRingSpec, parseKeyRing } from '../../infra/payload-codec.ts';
import { startService, type ServiceProcess } from '../../infra/processes.ts';
import { ensureSearchAttributes } from '../../infra/search-attributes.ts';
import { until } from '../../infra/waiting.ts';
import { orderWorkflow } from '../../workflows/order.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { createTenant, orderInput } from '../helpers/fixtures.ts';
import { devServerEnvironment } from '../helpers/temporal.ts';
import { serviceEnv } from '../helpers/service-env.ts';

/**
 * `npm run worker` as its own process, as an orchestrator stops it: SIGTERM, then a grace period,
 * then SIGKILL. A worker that drained but never exited (its Temporal connection left open) was
 * killed every time, losing what an exit writes (a CPU profile, the last spans).
 */
describe('a worker process stopped by SIGTERM', () => {
  let database: TestDatabase;
  let env: TestWorkflowEnvironment;
  let worker: ServiceProcess;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'csp-worker-stop-'));
  const keyRing = newKeyRingSpec();
  const taskQueue = `shutdown-${randomBytes(3).toString('hex')}`;

  before(async () => {
    [database, env] = await Promise.all([createTestDatabase('worker_shutdown'), devServerEnvironment()]);
    await ensureSearchAttributes(env.connection, env.namespace ?? 'default');
    worker = await startService(
      'worker/main.ts',
      serviceEnv({ dataDir, databaseUrl: database.url, env, taskQueue, keyRing }),
      (out) => out.includes('"msg":"worker running"'),
    );
  });
  after(async () => {
    await worker?.stop();
    await env?.teardown();
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('finishes its work, says it stopped, and exits by itself with status 0', async () => {
    // Real work first, so the pollers, the activity slots and the connection have all been used.
    const client = new Client({ connection: env.connection, namespace: env.namespace ?? 'default', dataConverter: { payloadCodecs: [new EncryptionCodec(parseKeyRing(keyRing))] } });
    const input = orderInput(await createTenant(database.db));
    const order = await client.workflow.start(orderWorkflow, { taskQueue, workflowId: workflowIds.order(input.orderId), args: [input] });
    assert.equal((await order.result()).status, 'active');

    worker.child.kill('SIGTERM');
    // No deadline that a slow machine could miss: a worker that does not exit never does, so the
    // wait is long and only a hang exhausts it.
    await until('the worker process exited', async () => worker.child.exitCode !== null || worker.child.signalCode !== null, 120_000, async () => worker.output().slice(-500));
    assert.equal(worker.child.signalCode, null, 'not killed');
    assert.equal(worker.child.exitCode, 0, worker.output().slice(-2000));
    assert.match(worker.output(), /"msg":"worker stopped"/);
  });
});
