// The audit export reads one statement through a cursor on a connection of its own: every row once,
// in order, and the connection back in the pool however the reader stops.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { createAuditService } from '../../api/services/audit.ts';
import { poolOf } from '../../db/client.ts';

const ROWS = 1_050; // more than ten of the cursor's reads, and not a multiple of one

describe('audit export', () => {
  let t: TestDatabase;
  before(async () => {
    t = await createTestDatabase('audit_export');
    await t.db.$executeRaw`
      INSERT INTO audit_events (at, action, target_type, target_id)
      SELECT now() - ((n % 7) || ' seconds')::interval, 'test.export', 'test', n::text FROM generate_series(1, ${ROWS}::int) AS n`;
  });
  after(() => t.drop());

  const idleAgain = () => {
    const pool = poolOf(t.db);
    return { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount };
  };

  test('yields every row once, newest first and by id within the same time', async () => {
    const seen: { id: string; at: string }[] = [];
    for await (const e of createAuditService(t.db).everyEvent({ limit: 50, action: 'test.export' })) seen.push({ id: e.id, at: e.at });
    assert.equal(seen.length, ROWS);
    assert.equal(new Set(seen.map((e) => e.id)).size, ROWS, 'no row twice');
    for (let i = 1; i < seen.length; i++) {
      const [a, b] = [seen[i - 1]!, seen[i]!];
      assert.ok(a.at > b.at || (a.at === b.at && BigInt(a.id) > BigInt(b.id)), `row ${i} out of order: ${JSON.stringify([a, b])}`);
    }
    const { total, idle } = idleAgain();
    assert.equal(idle, total, 'the connection is back in the pool');
  });

  // A kept connection would leave the last exports waiting for one: the timeout turns that into a failure.
  test('gives its connection back when the reader stops part-way, as a caller that hangs up does', { timeout: 30_000 }, async () => {
    const pool = poolOf(t.db);
    // More abandoned exports than the pool has connections.
    for (let i = 0; i < 25; i++) {
      const rows = createAuditService(t.db).everyEvent({ limit: 50, action: 'test.export' });
      for (let n = 0; n < 150; n++) assert.equal((await rows.next()).done, false);
      await rows.return(undefined);
    }
    const { total, idle, waiting } = idleAgain();
    assert.deepEqual({ idle, waiting }, { idle: total, waiting: 0 }, `pool of ${pool.options.max}: ${total} open`);
    const [count] = await t.db.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM audit_events`;
    assert.equal(Number(count!.n), ROWS, 'and the pool still answers');
  });
});
