// A page deep into a list costs what the first page costs: its query starts the index scan at the
// cursor instead of walking every row already paged past (which is what OFFSET costs).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { createAuditService } from '../../api/services/audit.ts';

const ROWS = 30_000;
const LIMIT = 500;

interface PlanNode { 'Rows Removed by Filter'?: number; 'Actual Rows'?: number; Plans?: PlanNode[] }
const removed = (node: PlanNode): number => (node['Rows Removed by Filter'] ?? 0) + (node.Plans ?? []).reduce((sum, child) => sum + removed(child), 0);

describe('keyset paging', () => {
  let t: TestDatabase;
  before(async () => {
    t = await createTestDatabase('keyset_index');
    await t.db.$executeRaw`
      INSERT INTO audit_events (at, action, target_type, target_id)
      SELECT now() - (n || ' seconds')::interval, 'test.page', 'test', n::text FROM generate_series(1, ${ROWS}::int) AS n`;
    // The planner's figures for a table of this size, as autovacuum would leave them.
    await t.db.$executeRawUnsafe('ANALYZE audit_events');
  });
  after(() => t.drop());

  test('a page halfway through 30,000 audit events reads only its own rows from the index', async () => {
    const [deep] = await t.db.$queryRaw<{ at: Date; id: bigint }[]>`SELECT at, id FROM audit_events ORDER BY at DESC, id DESC OFFSET ${ROWS / 2} LIMIT 1`;
    // The statement Prisma sends for the page, caught on its way to the server.
    const sent: { text: string; values: unknown[] }[] = [];
    const query = pg.Client.prototype.query;
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      const config = args[0] as { text?: string; values?: unknown[] };
      if (typeof config === 'object' && config.text?.includes('audit_events')) sent.push({ text: config.text, values: config.values ?? [] });
      return (query as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof query;
    let page;
    try {
      page = await createAuditService(t.db).list({ limit: LIMIT, cursor: { list: 'audit-events', at: deep!.at.toISOString(), id: deep!.id.toString() } });
    } finally {
      pg.Client.prototype.query = query;
    }
    assert.equal(page.items.length, LIMIT);
    assert.equal(page.items[0]!.id, (deep!.id + 1n).toString(), 'the page starts just past the cursor');
    assert.equal(sent.length, 1, `one statement for the page: ${sent.map((s) => s.text).join('\n')}`);

    const client = new pg.Client({ connectionString: t.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ 'QUERY PLAN': { Plan: PlanNode }[] }>(`EXPLAIN (ANALYZE, FORMAT JSON) ${sent[0]!.text}`, sent[0]!.values);
      const plan = rows[0]!['QUERY PLAN'][0]!.Plan;
      // Walking the index from the top would pass over the 15,000 rows before the cursor.
      assert.ok(removed(plan) < LIMIT, `rows read and thrown away: ${removed(plan)}\n${JSON.stringify(plan, null, 1)}`);
    } finally {
      await client.end();
    }
  });
});
