import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { PROJECT_ROOT } from '../../infra/paths.ts';
import { SERVICE_ENV } from '../../infra/processes.ts';

const scripts = (JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

test('the npm scripts start the worker with the environment the bench and chaos runs measure', () => {
  for (const [name, entry] of [['worker', 'worker/main.ts'], ['start', 'scripts/start.ts']] as const) {
    for (const [key, value] of Object.entries(SERVICE_ENV['worker/main.ts']!)) {
      assert.ok(scripts[name]!.includes(`${key}=\${${key}:-${value}}`), `npm run ${name} sets ${key}=${value} (unless the environment chose): ${scripts[name]}`);
    }
    assert.ok(scripts[name]!.endsWith(entry), `npm run ${name} runs ${entry}`);
  }
});
