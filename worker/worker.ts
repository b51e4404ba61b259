import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { PayloadCodec } from '@temporalio/common';
import { createActivities, type ActivityDeps } from '../activities/index.ts';
import { interactiveTaskQueue, webhookTaskQueue } from '../common/messages.ts';
import { activityFailureInterceptor } from './activity-failures.ts';
import { tracing } from '../infra/tracing.ts';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export interface WorkerSetup {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** A prebuilt bundle (tests bundle once per file); otherwise the worker bundles the workflows itself. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Encrypts every payload the worker writes to history (and decrypts what it reads). */
  codec?: PayloadCodec;
  options?: Partial<WorkerOptions>;
}

export function createWorker(setup: WorkerSetup): Promise<Worker> {
  return Worker.create({
    connection: setup.connection,
    namespace: setup.namespace,
    taskQueue: setup.taskQueue,
    ...(setup.workflowBundle ? { workflowBundle: setup.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    activities: createActivities(setup.deps),
    // The span first, so it holds what the failure interceptor does too.
    interceptors: { activity: [...(tracing()?.worker.activityInterceptors ?? []), activityFailureInterceptor(setup.deps.db)] },
    sinks: tracing()?.worker.sinks,
    ...(setup.codec ? { dataConverter: { payloadCodecs: [setup.codec] } } : {}),
    ...setup.options,
  });
}

/** The service's workers: one per task queue (purchases; links with refund cases; partner webhooks), run and stopped together. */
export interface WorkerGroup {
  workers: Worker[];
  /** Resolves when every worker has stopped; if one fails, the others are shut down and its error is thrown. */
  run(): Promise<void>;
  shutdown(): void;
}

/**
 * Every worker registers every workflow and activity, so any queue can finish what was started on
 * it. The sticky cache is shared out between the purchase and interactive workers, so the process
 * holds what one worker held; the webhook worker runs one workflow per partner endpoint and keeps a
 * small cache of its own.
 */
export async function createWorkerGroup(setup: WorkerSetup & { maxCachedWorkflows?: number; webhookActivitySlots?: number }): Promise<WorkerGroup> {
  const { maxCachedWorkflows, webhookActivitySlots, ...rest } = setup;
  const cache = maxCachedWorkflows === undefined ? {} : { maxCachedWorkflows: maxCachedWorkflows === 0 ? 0 : Math.max(2, Math.ceil(maxCachedWorkflows / 2)) };
  const webhookCache = maxCachedWorkflows === undefined ? {} : { maxCachedWorkflows: Math.min(100, cache.maxCachedWorkflows ?? 0) };
  const workers = await Promise.all([
    ...[setup.taskQueue, interactiveTaskQueue(setup.taskQueue)].map((taskQueue) => createWorker({ ...rest, taskQueue, options: { ...cache, ...rest.options } })),
    // A delivery mostly waits on a receiver's socket (up to WEBHOOK_TIMEOUT): many run at once, so
    // endpoints that hang hold slots of their own and no other endpoint's drain queues behind them.
    createWorker({
      ...rest,
      taskQueue: webhookTaskQueue(setup.taskQueue),
      options: { ...webhookCache, ...rest.options, maxConcurrentActivityTaskExecutions: webhookActivitySlots ?? 100 },
    }),
  ]);
  const shutdown = () => {
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
  };
  return {
    workers,
    shutdown,
    async run() {
      const runs = workers.map((w) => w.run());
      try {
        await Promise.all(runs);
      } catch (err) {
        shutdown();
        await Promise.allSettled(runs);
        throw err;
      }
    },
  };
}
