import type { PayloadCodec } from '@temporalio/common';
import type { WorkerOptions } from '@temporalio/worker';
import type { Config } from '../common/config.ts';
import type { Logger } from '../common/logger.ts';
import type { Db } from '../db/client.ts';
import { createProviders } from '../providers/index.ts';
import { clientOf, connectTemporal } from '../infra/temporal-connection.ts';
import { ensureSearchAttributes } from '../infra/search-attributes.ts';
import { ensureRetentionSchedule } from '../infra/retention-schedule.ts';
import { prebuiltWorkflowBundle } from '../infra/workflow-bundle.ts';
import type { KeyRing } from '../infra/payload-codec.ts';
import { createWorkerGroup, type WorkerGroup } from './worker.ts';

/** How a worker process runs its tasks, from the config: the service's, and the bench baselines' worker. */
export function workerTaskOptions(config: Config) {
  return {
    workflowThreadPoolSize: config.workerWorkflowThreads,
    maxConcurrentActivityTaskExecutions: config.workerActivitySlots,
    // Each activity poller holds a slot while it waits. The SDK's default (as many pollers as
    // slots, up to 10) would leave no slot free for the activities the server hands back eagerly
    // with a workflow task, and send every one through a poll instead: with 10 slots that made a
    // purchase 1.85x slower than the baseline (bench scenario 2).
    activityTaskPollerBehavior: { type: 'simple-maximum', maximum: Math.max(1, Math.ceil(config.workerActivitySlots / 5)) },
  } satisfies Partial<WorkerOptions>;
}

/** Connects, makes sure the namespace knows our search attributes, and builds the workers. */
export async function buildWorkers(config: Config, address: string, db: Db, logger: Logger, codec: PayloadCodec, keyRing: KeyRing): Promise<WorkerGroup> {
  // One connection for the namespace's set-up and then for the workers.
  const [connection, workflowBundle] = await Promise.all([connectTemporal(config, address), prebuiltWorkflowBundle()]);
  try {
    try {
      const added = await ensureSearchAttributes(connection, config.temporal.namespace);
      if (added.length) logger.info({ added }, 'registered search attributes');
    } catch (err) {
      // Temporal Cloud and locked-down clusters manage search attributes outside the app.
      logger.warn({ err: (err as Error).message }, 'could not check search attributes; register OrderStatus, PartnerId, CustomerId (Keyword) on the namespace');
    }
    await ensureRetentionSchedule(clientOf(config, connection), config, logger);
  } catch (err) {
    await connection.close();
    throw err;
  }
  const group = await createWorkerGroup({
    workflowBundle,
    maxCachedWorkflows: config.workerMaxCachedWorkflows,
    webhookActivitySlots: config.webhooks.workerSlots,
    options: workerTaskOptions(config),
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    deps: { db, ...createProviders(config, db), webhooks: { keyRing, settings: config.webhooks } },
    codec,
  });
  // The workers' connection holds the process open until it is closed: without this a worker
  // logged "worker stopped" on SIGTERM and then hung until it was killed.
  return {
    ...group,
    async run() {
      try {
        await group.run();
      } finally {
        await connection.close();
      }
    },
  };
}
