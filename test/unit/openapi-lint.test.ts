import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { buildOpenApiDocument } from '../../api/openapi.ts';
import { ROUTES } from '../../api/routes/index.ts';
import { PROJECT_ROOT } from '../../infra/paths.ts';
import { ARTIFACTS_DIR } from '../helpers/browser.ts';

const run = promisify(execFile);
const bin = (name: string) => path.join(PROJECT_ROOT, 'node_modules', '.bin', name);

// The document the API serves, written where .redocly.lint-ignore.yaml names it.
function writeDocument(): string {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const file = path.join(ARTIFACTS_DIR, 'openapi.json');
  writeFileSync(file, JSON.stringify(buildOpenApiDocument(ROUTES), null, 2));
  return path.relative(PROJECT_ROOT, file);
}

/** A CLI that exits non-zero on findings still prints them: take its output either way. */
async function output(command: string, args: string[]): Promise<string> {
  try {
    return (await run(command, args, { cwd: PROJECT_ROOT, maxBuffer: 64 * 1024 * 1024 })).stdout;
  } catch (err) {
    return (err as { stdout?: string }).stdout ?? '';
  }
}

test('the OpenAPI document passes Spectral’s OpenAPI rules with no error and no warning', async () => {
  const file = writeDocument();
  const results = JSON.parse(await output(bin('spectral'), ['lint', file, '--ruleset', '.spectral.yaml', '--format', 'json', '--quiet'])) as { code: string; message: string; path: string[] }[];
  assert.deepEqual(results.map((r) => `${r.code} at ${r.path.join('.')}: ${r.message}`), []);
});

test('the OpenAPI document passes Redocly’s recommended rules with no error and no warning (exceptions named with their reasons)', async () => {
  const file = writeDocument();
  const report = JSON.parse(await output(bin('redocly'), ['lint', file, '--format', 'json'])) as { totals: { errors: number; warnings: number; ignored: number }; problems: { ruleId: string; message: string; location: { pointer: string }[] }[] };
  assert.deepEqual(report.problems.map((p) => `${p.ruleId} at ${p.location[0]?.pointer}: ${p.message}`), []);
  assert.deepEqual([report.totals.errors, report.totals.warnings], [0, 0]);
  assert.equal(report.totals.ignored, 4, 'only the four static documents are excepted (.redocly.lint-ignore.yaml)');
});

test('every time in the OpenAPI document says its format (date-time)', () => {
  const unformatted: string[] = [];
  const walk = (node: unknown, where: string) => {
    if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${where}[${i}]`));
    if (!node || typeof node !== 'object') return;
    const properties = (node as { properties?: Record<string, { format?: string; anyOf?: { format?: string }[]; type?: unknown }> }).properties;
    for (const [name, schema] of Object.entries(properties ?? {})) {
      const isTime = /(At|Until|Since)$/.test(name) || name === 'at' || name === 'hour';
      const formats = [schema.format, ...(schema.anyOf ?? []).map((s) => s.format)];
      if (isTime && !formats.includes('date-time')) unformatted.push(`${where}.${name}`);
    }
    for (const [key, child] of Object.entries(node)) walk(child, `${where}.${key}`);
  };
  walk(buildOpenApiDocument(ROUTES), '#');
  assert.deepEqual(unformatted, []);
});
