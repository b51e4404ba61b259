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
 * How the sticky cache of `max` workflows is shared out. An order leaves the cache when it ends,
 * so the purchase queue's cache fills only with a burst of orders in flight, and gets all of it:
 * halved, a burst larger than the half missed the cache at nearly every task, and each miss replays
 * the history so far (1,000 orders in flight: worker CPU per order 75 ms with 125 of them cached,
 * 44 ms with all of them). Windows and refund cases live for days and keep their cache full, so the
 * interactive queue's share is what bounds the process's memory; the webhook worker runs one
 * workflow per endpoint.
 */
export function cacheSizes(max: number): { purchases: number; interactive: number; webhooks: number } {
  if (max === 0) return { purchases: 0, interactive: 0, webhooks: 0 };
  const interactive = Math.max(2, Math.ceil(max / 2));
  return { purchases: Math.max(2, max), interactive, webhooks: Math.min(100, interactive) };
}

/** Every worker registers every workflow and activity, so any queue can finish what was started on it. */
export async function createWorkerGroup(setup: WorkerSetup & { maxCachedWorkflows?: number; webhookActivitySlots?: number }): Promise<WorkerGroup> {
  const { maxCachedWorkflows, webhookActivitySlots, ...rest } = setup;
  const sizes = maxCachedWorkflows === undefined ? undefined : cacheSizes(maxCachedWorkflows);
  const cache = (size: keyof ReturnType<typeof cacheSizes>) => (sizes ? { maxCachedWorkflows: sizes[size] } : {});
  const workers = await Promise.all([
    createWorker({ ...rest, options: { ...cache('purchases'), ...rest.options } }),
    createWorker({ ...rest, taskQueue: interactiveTaskQueue(setup.taskQueue), options: { ...cache('interactive'), ...rest.options } }),
    // A delivery mostly waits on a receiver's socket (up to WEBHOOK_TIMEOUT): many run at once, so
    // endpoints that hang hold slots of their own and no other endpoint's drain queues behind them.
    createWorker({
      ...rest,
      taskQueue: webhookTaskQueue(setup.taskQueue),
      options: { ...cache('webhooks'), ...rest.options, maxConcurrentActivityTaskExecutions: webhookActivitySlots ?? 100 },
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
