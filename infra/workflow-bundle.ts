import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from './paths.ts';
import { tracing } from './tracing.ts';

const SOURCES = ['workflows', 'common'];
export const BUNDLE_DIR = path.join(PROJECT_ROOT, '.build');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(full) : e.name.endsWith('.ts') ? [full] : [];
  });
}

/**
 * Names the bundle after everything that goes into it: the workflow sources, the SDK version, and
 * whether it holds the tracing interceptors (a traced worker needs them in its bundle).
 */
export function workflowBundlePath(traced = false): string {
  const hash = createHash('sha256');
  const sdk = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'node_modules', '@temporalio', 'workflow', 'package.json'), 'utf8')) as { version: string };
  hash.update(`sdk ${sdk.version}\n`);
  for (const file of SOURCES.flatMap((d) => sourceFiles(path.join(PROJECT_ROOT, d))).sort()) {
    hash.update(`${path.relative(PROJECT_ROOT, file)}\n`).update(readFileSync(file));
  }
  return path.join(BUNDLE_DIR, `workflows-${hash.digest('hex').slice(0, 16)}${traced ? '-traced' : ''}.js`);
}

/**
 * The workflow code bundle for a worker process. Bundling (webpack) inside the worker left it
 * holding ~200 MB more RSS for its whole life and cost seconds at every start, so the bundle is
 * built once, in a short-lived child process, and reused until a workflow source changes.
 */
export async function prebuiltWorkflowBundle(): Promise<{ codePath: string }> {
  const modules = tracing()?.workflowModules ?? [];
  const file = workflowBundlePath(modules.length > 0);
  if (!existsSync(file)) {
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'scripts', 'bundle-workflows.ts'), file, ...modules], { cwd: PROJECT_ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
      child.once('error', reject);
      child.once('exit', resolve);
    });
    if (code !== 0 || !existsSync(file)) throw new Error(`bundling the workflow code failed (exit ${code})`);
  }
  return { codePath: file };
}
