// Bundles the workflow code into the file named on the command line, with the workflow interceptor
// modules named after it (tracing's), if any (see infra/workflow-bundle.ts).
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../worker/worker.ts';

const [target, ...workflowInterceptorModules] = process.argv.slice(2);
if (!target) throw new Error('usage: bundle-workflows.ts <output file> [workflow interceptor module …]');
const noop = () => undefined;
const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, workflowInterceptorModules, logger: { trace: noop, debug: noop, info: noop, warn: console.warn, error: console.error, log: noop } });
mkdirSync(path.dirname(target), { recursive: true });
// Write then rename, so a concurrent worker never reads half a bundle.
const partial = `${target}.${process.pid}.tmp`;
writeFileSync(partial, code);
renameSync(partial, target);
