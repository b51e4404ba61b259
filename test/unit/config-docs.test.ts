import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { PROJECT_ROOT } from '../../infra/paths.ts';

const RUNTIME_DIRS = ['api', 'activities', 'common', 'db', 'infra', 'providers', 'scripts', 'worker'];

function sources(dir: string): string[] {
  return readdirSync(path.join(PROJECT_ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((f) => f.isFile() && f.name.endsWith('.ts'))
    .map((f) => path.join(f.parentPath, f.name));
}

/** Every environment variable the service, its set-up and its scripts read: config.ts's schema and each `process.env.X`. */
function variablesRead(): Set<string> {
  const names = new Set<string>();
  const config = readFileSync(path.join(PROJECT_ROOT, 'common', 'config.ts'), 'utf8');
  for (const m of config.matchAll(/^ {2}([A-Z][A-Z0-9_]+):/gm)) names.add(m[1]!);
  for (const file of RUNTIME_DIRS.flatMap(sources)) {
    for (const m of readFileSync(file, 'utf8').matchAll(/process\.env\.([A-Z][A-Z0-9_]+)/g)) names.add(m[1]!);
  }
  return names;
}

test('the README’s configuration tables name every environment variable the code reads', () => {
  const readme = readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('\n## ', readme.indexOf('## Configuration') + 1));
  const documented = new Set([...section.matchAll(/^\|([^|]+)\|/gm)].flatMap((row) => [...row[1]!.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]!)));
  const read = variablesRead();
  assert.ok(read.size > 40, `found only ${read.size} variables: the scan is broken`);
  assert.deepEqual([...read].filter((v) => !documented.has(v)).sort(), [], 'read by the code, missing from the README');
});
