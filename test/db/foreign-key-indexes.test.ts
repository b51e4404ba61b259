import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';

/*
 * A foreign key names a parent, and a parent's children are usually read by it: with no index that
 * leads with the key's column, every such read scans the whole child table (an order's
 * subscriptions did, once per change of the order's status). Each key left without one is listed
 * here with why nothing reads the children by it; a new key fails this test until it has an index
 * or a reason. Parents are never deleted here (they are kept for the audit trail), so PostgreSQL's
 * own checks never need these indexes either.
 */
const WITHOUT_INDEX: Record<string, string> = {
  'api_keys.agent_id': 'keys are found by their prefix; an agent holds a few',
  'orders.created_by_agent_id': 'orders are listed by customer, status or time, never by the agent who placed them',
  'orders.partner_id': 'orders are listed by customer (its partner checked beside it), status or time, never by partner alone',
  'order_line_items.product_id': 'lines are read with their order (the unique order and position index)',
  'software_subscriptions.partner_id': 'subscriptions are read by customer (indexed), the partner checked beside it',
  'software_subscriptions.product_id': 'subscriptions are read by customer or order, never by product',
  'download_links.variant_id': 'links are read by subscription and variant, an index that leads with the subscription',
  'refund_cases.created_by_agent_id': 'cases are listed by status, partner or time, never by the agent who filed them',
  'refund_cases.customer_id': 'the queue searches a customer id among four ids in one OR, over cases, which are few beside orders',
  'refund_cases.order_id': 'the queue searches an order id among four ids in one OR, over cases, which are few beside orders',
  'provider_refunds.payment_id': 'the payment provider finds a refund by its idempotency key',
  'webhook_deliveries.event_id': 'only the retention sweep reads deliveries by event, in one pass over old events',
};

describe('foreign keys', () => {
  let database: TestDatabase;
  let client: pg.Client;

  before(async () => {
    database = await createTestDatabase('foreign_key_indexes');
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
  });
  after(async () => {
    await client?.end();
    await database?.drop();
  });

  test('each has an index leading with its column, or a reason in this file why none is read by it', async () => {
    const { rows } = await client.query<{ key: string }>(`
      SELECT c.conrelid::regclass::text || '.' || a.attname AS key
        FROM pg_constraint c
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
       WHERE c.contype = 'f' AND cardinality(c.conkey) = 1
         AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.conrelid AND i.indkey[0] = c.conkey[1])
       ORDER BY 1`);
    assert.deepEqual(
      rows.map((r) => r.key),
      Object.keys(WITHOUT_INDEX).sort(),
    );
  });
});
