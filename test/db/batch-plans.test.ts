import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { createIdempotencyWrites } from '../../db/idempotency.ts';
import { createDownloadCounter, createDownloadRecorder } from '../../db/links.ts';
import { createOrderWrites, persistOrder } from '../../db/orders.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { createTenant, orderInput, type Tenant } from '../helpers/fixtures.ts';
import { watchStatements, type SeenStatement } from '../helpers/statements.ts';

/*
 * A batched write joins its rows to a table. PostgreSQL takes any jsonb_to_recordset for 100 rows,
 * and with that estimate it planned these joins as a scan of the whole table on every call, once
 * the table held a few thousand rows (db/statements.ts batchRows). Each test records a real batch,
 * then asks PostgreSQL how it plans that very statement, as run (with its values) and as a prepared
 * statement's generic plan (which a connection switches to after five runs).
 */
const ROWS = 3000;

describe('batched writes probe the tables they join, at any size', () => {
  let database: TestDatabase;
  let tenant: Tenant;
  let agentId: string;
  let subscriptionId: string;
  let variantId: string;
  let planner: pg.Client;

  before(async () => {
    database = await createTestDatabase('batch_plans');
    const db = database.db;
    tenant = await createTenant(db);
    agentId = (await db.agent.create({ data: { id: randomUUID(), partnerId: tenant.partnerId, name: 'Agent', role: 'sales_agent' } })).id;
    const order = orderInput(tenant);
    await persistOrder(db, order);
    const line = order.lineItems[0]!;
    subscriptionId = (
      await db.softwareSubscription.create({
        data: { id: randomUUID(), orderId: order.orderId, lineItemId: line.lineItemId, partnerId: tenant.partnerId, customerId: tenant.customerId, productId: line.productId, quantity: 1, status: 'active' },
      })
    ).id;
    variantId = (await db.productVariant.create({ data: { id: randomUUID(), productId: line.productId, version: '1', language: 'en', fileType: 'ISO', fileName: 'f.iso', sizeBytes: 1 } })).id;
    // The tables as a few days of use leave them: thousands of rows, and statistics that say so.
    const { partnerId, customerId } = tenant;
    await db.$executeRaw`INSERT INTO orders (id, partner_id, customer_id, status, payment_method, total_amount, currency, workflow_id)
      SELECT gen_random_uuid(), ${partnerId}::uuid, ${customerId}::uuid, 'active', 'pm_card_ok', 1, 'USD', 'wf-' || g FROM generate_series(1, ${ROWS}::int) g`;
    await db.$executeRaw`INSERT INTO audit_events (agent_id, partner_id, action, target_type, target_id)
      SELECT ${agentId}::uuid, ${partnerId}::uuid, 'order.create', 'order', gen_random_uuid()::text FROM generate_series(1, ${ROWS}::int) g`;
    await db.$executeRaw`INSERT INTO idempotency_records (agent_id, key, method, path, request_hash, created_at)
      SELECT ${agentId}::uuid, 'key-' || g, 'POST', '/v1/x', 'h', now() FROM generate_series(1, ${ROWS}::int) g`;
    await db.$executeRaw`INSERT INTO download_links (id, subscription_id, variant_id, token_hash, workflow_id, status, max_downloads, expires_at)
      SELECT gen_random_uuid(), ${subscriptionId}::uuid, ${variantId}::uuid, 'token-' || g, 'wf-link-' || g, 'expired', 50, now() FROM generate_series(1, ${ROWS}::int) g`;
    // And open windows (at most one per variant of a subscription), which a partial index holds.
    await db.$executeRaw`INSERT INTO product_variants (id, product_id, version, language, file_type, file_name, size_bytes)
      SELECT gen_random_uuid(), ${line.productId}, 'open-' || g, 'en', 'ISO', 'f.iso', 1 FROM generate_series(1, ${ROWS}::int) g`;
    await db.$executeRaw`INSERT INTO download_links (id, subscription_id, variant_id, token_hash, workflow_id, status, max_downloads, expires_at)
      SELECT gen_random_uuid(), ${subscriptionId}::uuid, v.id, 'open-token-' || v.version, 'wf-open-' || v.version, 'active', 50, now() + interval '14 days'
        FROM product_variants v WHERE v.version LIKE 'open-%'`;
    await db.$executeRaw`ANALYZE`;
    planner = new pg.Client({ connectionString: database.url });
    await planner.connect();
  });
  after(async () => {
    await planner?.end();
    await database?.drop();
  });

  /** Runs `write` (three items at once: the first goes alone, the next two together) and answers the last statement named `prefix`. */
  async function statementOf(prefix: string, write: () => Promise<unknown>): Promise<SeenStatement> {
    const watched = watchStatements(database.db);
    try {
      await write();
    } finally {
      watched.stop();
    }
    const batched = watched.seen.filter((s) => s.name?.startsWith(prefix));
    assert.ok(batched.length >= 1, `no statement named "${prefix}…" was sent`);
    return batched.at(-1)!;
  }

  type PlanNode = { 'Node Type': string; 'Relation Name'?: string; 'Index Name'?: string; 'Index Cond'?: string; Plans?: PlanNode[] };
  // An index scan with no condition reads the whole index (a partial one holds, say, every open window): a full scan too.
  const whole = (node: PlanNode) => node['Node Type'] === 'Seq Scan' || (/^Index (Only )?Scan$/.test(node['Node Type']) && !node['Index Cond']);
  const scanned = (node: PlanNode): string[] => [...(whole(node) ? [node['Index Name'] ?? node['Relation Name']!] : []), ...(node.Plans ?? []).flatMap(scanned)];

  /** The tables a statement scans whole: planned with its values, then as a generic plan. */
  async function fullScans(statement: SeenStatement): Promise<{ custom: string[]; generic: string[] }> {
    const { custom, generic } = await plansOf(statement);
    return { custom: scanned(custom), generic: scanned(generic) };
  }

  /** How a statement is planned with its values, then as a prepared statement's generic plan. */
  async function plansOf(statement: SeenStatement): Promise<{ custom: PlanNode; generic: PlanNode }> {
    const explain = async (text: string, values: unknown[]) => {
      const { rows } = await planner.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(text, values);
      return rows[0]!['QUERY PLAN'][0].Plan;
    };
    const custom = await explain(`EXPLAIN (FORMAT JSON) ${statement.text}`, statement.values);
    await planner.query(`PREPARE batch AS ${statement.text}`);
    await planner.query('SET plan_cache_mode = force_generic_plan');
    try {
      // EXECUTE takes no bound parameters: the values go in as literals.
      const literals = statement.values.map((v) => (v === null ? 'NULL' : planner.escapeLiteral(typeof v === 'string' ? v : JSON.stringify(v)))).join(', ');
      return { custom, generic: await explain(`EXPLAIN (FORMAT JSON) EXECUTE batch(${literals})`, []) };
    } finally {
      await planner.query('RESET plan_cache_mode');
      await planner.query('DEALLOCATE batch');
    }
  }

  test('stored answers look up their claims by key', async () => {
    const writes = createIdempotencyWrites(database.db);
    const claims = ['key-1', 'key-2', 'key-3'].map((key) => ({ agentId, key, createdAt: new Date() }));
    const statement = await statementOf('UPDATE idempotency_records ', () =>
      Promise.all(claims.map((claim) => writes.complete({ claim, status: 202, headers: {}, body: { ok: true } }))),
    );
    assert.deepEqual(await fullScans(statement), { custom: [], generic: [] });
  });

  test('recorded orders look up existing orders, audit entries and the claims of their keys by key', async () => {
    const writes = createOrderWrites(database.db);
    const audit = { agentId, partnerId: tenant.partnerId, data: {} };
    const answer = { status: 202, headers: {}, body: { ok: true } };
    const claim = () => ({ claim: { agentId, key: `plan-${randomUUID()}`, createdAt: new Date() }, method: 'POST', path: '/v1/orders', requestHash: 'h', answer });
    await writes.record({ input: orderInput(tenant), audit, claim: claim() });
    const statement = await statementOf('INSERT orders ', () => Promise.all([1, 2, 3].map(() => writes.record({ input: orderInput(tenant), audit, claim: claim() }))));
    assert.match(statement.text, /INSERT INTO idempotency_records/, 'the statement that claims the keys too');
    assert.deepEqual(await fullScans(statement), { custom: [], generic: [] });
  });

  test('recorded downloads look up their links by key', async () => {
    const { record } = createDownloadRecorder(database.db);
    const links = await database.db.downloadLink.findMany({ take: 3, select: { id: true } });
    const grant = (linkId: string) => ({ linkId, sequence: 1, remaining: 49, clientAddress: '127.0.0.1', userAgent: 'test' });
    const statement = await statementOf('INSERT download_events ', () => Promise.all(links.map((l) => record(grant(l.id)))));
    assert.deepEqual(await fullScans(statement), { custom: [], generic: [] });
  });

  test('counted downloads look up their links by key', async () => {
    const count = createDownloadCounter(database.db);
    const links = await database.db.downloadLink.findMany({ where: { status: 'active' }, take: 3, select: { id: true } });
    const statement = await statementOf('INSERT download_events ', () => Promise.all(links.map((l) => count({ linkId: l.id, clientAddress: null, userAgent: null }))));
    assert.match(statement.text, /counted_by_workflow/, 'the counter’s statement, not the recorder’s');
    assert.deepEqual(await fullScans(statement), { custom: [], generic: [] });
    // Not even every open window (an index on them, a bitmap of them): each link is read by its key.
    const reads = (node: PlanNode): PlanNode[] => [...(node['Relation Name'] === 'download_links' || /download_links/.test(node['Index Name'] ?? '') ? [node] : []), ...(node.Plans ?? []).flatMap(reads)];
    for (const [plan, root] of Object.entries(await plansOf(statement))) {
      const found = reads(root).filter((n) => n['Node Type'] !== 'ModifyTable');
      assert.ok(found.length > 0 && found.every((n) => /\bid = /.test(n['Index Cond'] ?? '')), `${plan} plan: ${found.map((n) => `${n['Node Type']} ${n['Index Name'] ?? ''} ${n['Index Cond'] ?? '(no condition)'}`).join('; ')}`);
    }
  });
});
