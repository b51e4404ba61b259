import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { PROJECT_ROOT } from '../../infra/paths.ts';
import { ensureSystemTool, PROMTOOL } from '../../infra/system-packages.ts';

const run = promisify(execFile);
const OPS = path.join(PROJECT_ROOT, 'ops');
const promtool = ensureSystemTool(PROMTOOL);

interface Rules { groups: { rules: { alert: string; annotations: { runbook_url: string } }[] }[] }
interface RuleTests { tests: { name: string; alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[] }
const rules = parse(readFileSync(path.join(OPS, 'alerts.yml'), 'utf8')) as Rules;
const alerts = rules.groups.flatMap((g) => g.rules);

test('promtool finds the alert rules valid', async () => {
  const { stdout } = await run(promtool, ['check', 'rules', 'alerts.yml'], { cwd: OPS });
  assert.match(stdout, new RegExp(`SUCCESS: ${alerts.length} rules found`));
});

test('each alert fires on its recorded series and stays quiet on the healthy ones (promtool test rules)', async () => {
  const result = await run(promtool, ['test', 'rules', 'alerts.test.yml'], { cwd: OPS }).catch((err: { stdout: string; stderr: string }) => err);
  assert.match(result.stdout, /SUCCESS/, `${result.stdout}\n${result.stderr}`);
  const cases = (parse(readFileSync(path.join(OPS, 'alerts.test.yml'), 'utf8')) as RuleTests).tests.flatMap((t) => t.alert_rule_test);
  for (const { alert } of alerts) {
    assert.ok(cases.some((c) => c.alertname === alert && c.exp_alerts.length > 0), `${alert} has a case where it fires`);
    assert.ok(cases.some((c) => c.alertname === alert && c.exp_alerts.length === 0), `${alert} has a case where it does not`);
  }
});

test('every alert’s runbook_url names a section of ops/RUNBOOK.md', () => {
  const runbook = readFileSync(path.join(OPS, 'RUNBOOK.md'), 'utf8');
  // GitHub's anchors: the heading lower-cased, spaces to dashes, punctuation dropped.
  const anchors = new Set([...runbook.matchAll(/^#{2,3} (.+)$/gm)].map((m) => m[1]!.toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-')));
  for (const { alert, annotations } of alerts) {
    const anchor = annotations.runbook_url.split('#')[1] ?? '';
    assert.ok(anchors.has(anchor), `${alert}: ops/RUNBOOK.md has no section #${anchor}`);
  }
});
