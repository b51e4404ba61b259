import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { PROJECT_ROOT } from '../../infra/paths.ts';

// ARCHITECTURE.md's promises about where things are, checked on the source: one module writes each
// table, and every workflow declares the activities it calls.

// The service's code; bench/ and chaos/ are load and fault tools that may fabricate rows directly.
const SOURCE_DIRS = ['activities', 'api', 'common', 'db', 'infra', 'providers', 'scripts', 'worker', 'workflows'];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sources(full);
    return name.endsWith('.ts') ? [full] : [];
  });
}
const files = SOURCE_DIRS.flatMap((d) => sources(path.join(PROJECT_ROOT, d))).map((f) => ({ file: path.relative(PROJECT_ROOT, f), text: readFileSync(f, 'utf8') }));

/** Table → the modules that may write it (ARCHITECTURE.md, "Who writes which table"). */
const WRITERS: Record<string, { model: string; modules: string[] }> = {
  orders: { model: 'order', modules: ['db/orders.ts'] },
  order_line_items: { model: 'orderLineItem', modules: ['db/orders.ts'] },
  order_events: { model: 'orderEvent', modules: ['db/orders.ts'] },
  software_subscriptions: { model: 'softwareSubscription', modules: ['db/software.ts'] },
  product_keys: { model: 'productKey', modules: ['db/software.ts'] },
  download_links: { model: 'downloadLink', modules: ['db/links.ts'] },
  download_events: { model: 'downloadEvent', modules: ['db/links.ts', 'db/retention.ts'] },
  refund_cases: { model: 'refundCase', modules: ['db/refund-cases.ts'] },
  refund_case_events: { model: 'refundCaseEvent', modules: ['db/refund-cases.ts'] },
  refund_case_attachments: { model: 'refundCaseAttachment', modules: ['db/refund-cases.ts'] },
  audit_events: { model: 'auditEvent', modules: ['db/audit.ts', 'db/retention.ts'] },
  customers: { model: 'customer', modules: ['db/customers.ts'] },
  api_keys: { model: 'apiKey', modules: ['db/api-keys.ts'] },
  activity_retries: { model: 'activityRetry', modules: ['db/activity-retries.ts'] },
  webhook_endpoints: { model: 'webhookEndpoint', modules: ['db/webhooks.ts'] },
  webhook_deliveries: { model: 'webhookDelivery', modules: ['db/webhooks.ts'] },
  // webhook_events: written by the database's triggers (migration 20261202060000); code only prunes it.
  webhook_events: { model: 'webhookEvent', modules: ['db/retention.ts'] },
};

/** Every place in the source that writes `table`, through Prisma's model API or in SQL. */
function writesTo(table: string, model: string): string[] {
  const prisma = new RegExp(`\\b(?:db|tx|this\\.db)\\.${model}\\.(?:create|createMany|update|updateMany|upsert|delete|deleteMany)\\b`);
  const sql = new RegExp(`\\b(?:INSERT INTO|UPDATE|DELETE FROM)\\s+${table}\\b`);
  return files.filter(({ text }) => prisma.test(text) || sql.test(text)).map(({ file }) => file);
}

describe('structure', () => {
  for (const [table, { model, modules }] of Object.entries(WRITERS)) {
    test(modules.length ? `only ${modules.join(', ')} writes ${table}` : `no code writes ${table} (the database's triggers do)`, () => {
      const writers = writesTo(table, model);
      if (modules.length) assert.ok(writers.length > 0, `nothing writes ${table}: the check no longer sees its writes`);
      assert.deepEqual(writers.filter((f) => !modules.includes(f)), [], `${table} is written outside ${modules.join(', ')}`);
    });
  }

  test('every workflow declares the activities it calls (no proxy of all activities)', () => {
    const workflows = files.filter(({ file }) => file.startsWith('workflows/') && /proxy(Local)?Activities/.test(files.find((f) => f.file === file)!.text));
    assert.ok(workflows.length >= 3, `workflows found: ${workflows.map((w) => w.file).join(', ')}`);
    for (const { file, text } of workflows) {
      const proxies = [...text.matchAll(/proxy(?:Local)?Activities<\s*([^>(]+)/g)].map((m) => m[1]!.trim());
      assert.ok(proxies.length > 0, `${file} proxies activities`);
      for (const typed of proxies) assert.match(typed, /^Pick</, `${file} proxies ${typed} instead of the activities it calls`);
    }
  });
});
