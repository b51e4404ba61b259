// The baselines' worker, as a process of its own beside the service's (bench/stack.ts starts it):
// the bare workflows of bench/baseline-workflows.ts with the service worker's settings, its payload
// encryption, its malloc arenas and heap limit (infra/processes.ts SERVICE_ENV), so what separates
// the two is the service's own work and its CPU and memory can be read apart from the bench's.
import { fileURLToPath } from 'node:url';
import { Worker } from '@temporalio/worker';
import { loadConfig } from '../common/config.ts';
import { connectTemporal } from '../infra/temporal-connection.ts';
import { EncryptionCodec, parseKeyRing } from '../infra/payload-codec.ts';
import { workerTaskOptions } from '../worker/run.ts';

const config = loadConfig();
const taskQueue = process.env.BASELINE_TASK_QUEUE;
const { address } = config.temporal;
const keys = config.secrets.payloadKeys;
if (!taskQueue || !address || !keys) throw new Error('BASELINE_TASK_QUEUE, TEMPORAL_ADDRESS and PAYLOAD_ENCRYPTION_KEYS are set by bench/stack.ts');
const worker = await Worker.create({
  connection: await connectTemporal(config, address),
  namespace: config.temporal.namespace,
  taskQueue,
  workflowsPath: fileURLToPath(new URL('./baseline-workflows.ts', import.meta.url)),
  activities: { noop: async () => undefined },
  dataConverter: { payloadCodecs: [new EncryptionCodec(parseKeyRing(keys))] },
  // The purchase queue's cache, where the orders it is compared with run (worker/worker.ts cacheSizes).
  maxCachedWorkflows: config.workerMaxCachedWorkflows,
  ...workerTaskOptions(config),
});
process.once('SIGTERM', () => worker.shutdown());
console.log('baseline worker polling');
await worker.run();
