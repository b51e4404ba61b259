import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createIdempotencyWrites, type ClaimRequest, type IdempotencyClaim } from '../../db/idempotency.ts';
import type pg from 'pg';
import { againstAnotherWriter, createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { watchStatements } from '../helpers/statements.ts';

describe('idempotency claims and completions written together', () => {
  let database: TestDatabase;
  let agentId: string;
  let watched: ReturnType<typeof watchStatements>;
  /** The prepared statements that wrote idempotency records so far. */
  const statementCount = () => watched.named('INSERT idempotency_records ') + watched.named('UPDATE idempotency_records ');

  before(async () => {
    database = await createTestDatabase('idempotency_writes');
    agentId = (await database.db.agent.create({ data: { id: randomUUID(), name: 'Agent', role: 'operations' } })).id;
    watched = watchStatements(database.db);
  });
  after(async () => {
    watched?.stop();
    await database?.drop();
  });

  const request = (key: string, agent = agentId): ClaimRequest => ({
    claim: { agentId: agent, key, createdAt: new Date() },
    method: 'POST',
    path: `/v1/things?k=${key}`,
    requestHash: `hash-${key}`,
  });

  test('concurrent claims take fewer statements than requests, and a key claimed twice at once goes to its first request only', async () => {
    const writes = createIdempotencyWrites(database.db);
    const requests = Array.from({ length: 20 }, (_, i) => request(`burst-${i}`));
    const twice = [request('twice'), request('twice')];
    const before = statementCount();
    const claimed = await Promise.all([...requests, ...twice].map((r) => writes.claim(r)));
    assert.ok(statementCount() - before < 22, `${statementCount() - before} statements for 22 claims`);
    assert.deepEqual(claimed.slice(0, 20), Array(20).fill(true), 'every distinct key claimed by its request');
    assert.deepEqual(claimed.slice(20), [true, false], 'the first of a key claims it, the second finds it claimed');
    const stored = await database.db.idempotencyRecord.findMany({ where: { agentId, key: { startsWith: 'burst-' } } });
    assert.equal(stored.length, 20);
    for (const r of stored) assert.equal(r.requestHash, `hash-${r.key}`, 'each record holds its own request');
    // A key that exists already is not claimed again, alone or in a batch.
    assert.deepEqual(await Promise.all([writes.claim(request('burst-3')), writes.claim(request('fresh'))]), [false, true]);
  });

  test('completions written together store each answer on its own claim, and a stale stamp changes nothing', async () => {
    const writes = createIdempotencyWrites(database.db);
    const claims: IdempotencyClaim[] = [];
    for (let i = 0; i < 10; i++) {
      const r = request(`done-${i}`);
      assert.equal(await writes.claim(r), true);
      claims.push(r.claim);
    }
    const stale: IdempotencyClaim = { ...claims[0]!, createdAt: new Date(claims[0]!.createdAt.getTime() - 1) };
    const before = statementCount();
    await Promise.all([
      ...claims.map((claim, i) => writes.complete({ claim, status: 201, headers: { location: `/v1/things/${i}` }, body: { n: i } })),
      writes.complete({ claim: stale, status: 202, headers: {}, body: { n: 'stale' } }),
    ]);
    assert.ok(statementCount() - before < 11, `${statementCount() - before} statements for 11 completions`);
    for (const [i, claim] of claims.entries()) {
      const r = await database.db.idempotencyRecord.findUniqueOrThrow({ where: { agentId_key: { agentId, key: claim.key } } });
      assert.deepEqual([r.responseStatus, r.responseHeaders, r.responseBody, r.completedAt !== null], [201, { location: `/v1/things/${i}` }, { n: i }, true]);
    }
  });

  test('a claim that cannot be written fails alone: the others of its batch are claimed', async () => {
    const writes = createIdempotencyWrites(database.db);
    // An agent that does not exist breaks the shared statement (foreign key), as a bad row would.
    const results = await Promise.allSettled([writes.claim(request('ok-1')), writes.claim(request('bad', randomUUID())), writes.claim(request('ok-2')), writes.claim(request('ok-3'))]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled', 'fulfilled'],
    );
    assert.deepEqual(results.filter((r) => r.status === 'fulfilled').map((r) => r.value), [true, true, true]);
    assert.equal(await database.db.idempotencyRecord.count({ where: { key: { in: ['ok-1', 'ok-2', 'ok-3'] } } }), 3);
  });

  test('two processes claiming the same keys at once wait on each other instead of deadlocking: keys are locked in one order', async () => {
    const writes = createIdempotencyWrites(database.db);
    const insert = (writer: pg.ClientBase, key: string) =>
      writer.query(`INSERT INTO idempotency_records (agent_id, key, method, path, request_hash) VALUES ($1, $2, 'POST', '/other', 'other') ON CONFLICT DO NOTHING`, [agentId, key]);
    const claimed = await againstAnotherWriter(database.db, {
      hold: (writer) => insert(writer, 'lock-a'),
      // A lone claim goes at once; the two that arrive while it is on its way go together, last key first.
      batch: () => Promise.all([writes.claim(request('lock-lone')), Promise.all([writes.claim(request('lock-b')), writes.claim(request('lock-a'))])]).then(([, both]) => both),
      takeRest: (writer) => insert(writer, 'lock-b'),
    });
    assert.deepEqual(claimed, [false, false], 'the other process claimed both first');
  });
});
