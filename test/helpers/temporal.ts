import { bundleWorkflowCode, type Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { ActivityDeps } from '../../activities/index.ts';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { ALL_SEARCH_ATTRIBUTES } from '../../common/messages.ts';
import { DEV_SERVER_DYNAMIC_CONFIG } from '../../infra/dev-server.ts';
import { resolveTemporalBinary, withBinaryHint } from '../../infra/temporal-binaries.ts';
import { ensureSearchAttributes } from '../../infra/search-attributes.ts';
import { tracing } from '../../infra/tracing.ts';
import { createWorker, WORKFLOWS_PATH } from '../../worker/worker.ts';

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** Bundles the workflow code once per test file (with the tracing interceptors when the file traces). */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, workflowInterceptorModules: tracing()?.workflowModules, logger: quietBundlerLogger });
  return bundle;
}

const noop = () => undefined;
const quietBundlerLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop };

export async function timeSkippingEnvironment(): Promise<TestWorkflowEnvironment> {
  const executable = resolveTemporalBinary('test-server');
  const env = await withBinaryHint('test-server', executable, () =>
    TestWorkflowEnvironment.createTimeSkipping({
      server: { executable: executable.type === 'existing-path' ? { type: 'existing-path', path: executable.path } : { type: 'cached-download' } },
    }),
  );
  await ensureSearchAttributes(env.connection, env.namespace ?? 'default');
  return env;
}

/**
 * The dev server for end-to-end tests: the one the test runner started (TEMPORAL_TEST_ADDRESS),
 * or a fresh one when a file is run on its own.
 */
export async function devServerEnvironment(): Promise<TestWorkflowEnvironment> {
  const address = process.env.TEMPORAL_TEST_ADDRESS;
  if (address) return TestWorkflowEnvironment.createFromExistingServer({ address });
  const executable = resolveTemporalBinary('cli');
  return withBinaryHint('cli', executable, () =>
    TestWorkflowEnvironment.createLocal({
      server: {
        executable: executable.type === 'existing-path' ? { type: 'existing-path', path: executable.path } : { type: 'cached-download' },
        searchAttributes: ALL_SEARCH_ATTRIBUTES,
        ui: false,
        extraArgs: DEV_SERVER_DYNAMIC_CONFIG,
      },
    }),
  );
}

/** A worker with the real activities on the test environment's server, running until `stop()`. */
export async function startTestWorker(env: TestWorkflowEnvironment, taskQueue: string, deps: ActivityDeps): Promise<{ worker: Worker; stop(): Promise<void> }> {
  const worker = await createWorker({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    deps,
    workflowBundle: await workflowBundle(),
  });
  const running = worker.run();
  return {
    worker,
    async stop() {
      worker.shutdown();
      await running;
    },
  };
}
