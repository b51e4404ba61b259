// The PromQL the ops/ files hold, and the metric names it reads: what the ops tests check against
// what the service really exports.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { PROJECT_ROOT } from '../../infra/paths.ts';

const OPS = path.join(PROJECT_ROOT, 'ops');

/** The expression of every rule in ops/alerts.yml. */
export function ruleExpressions(): string[] {
  const rules = parse(readFileSync(path.join(OPS, 'alerts.yml'), 'utf8')) as { groups: { rules: { expr: string }[] }[] };
  return rules.groups.flatMap((g) => g.rules.map((r) => r.expr));
}

/** The query of every panel target in ops/grafana-dashboard.json. */
export function dashboardExpressions(): string[] {
  const dashboard = JSON.parse(readFileSync(path.join(OPS, 'grafana-dashboard.json'), 'utf8')) as { panels: { targets?: { expr: string }[] }[] };
  return dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
}

const NOT_METRICS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);

/**
 * The metric names an expression selects. No PromQL parser is published for Node, and the
 * expressions here are plain selectors inside functions and aggregations: drop strings, label
 * matchers, ranges and grouping clauses, then every identifier not called as a function is a metric.
 */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = [...bare.matchAll(/(?<![\w.$])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)].filter((m) => !m[2] && !NOT_METRICS.has(m[1]!.toLowerCase())).map((m) => m[1]!);
  return [...new Set(names)];
}
