import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { ApiKeyVerifier } from '../../api/auth.ts';
import { createApiKey } from '../../db/api-keys.ts';
import { listenForKeyChanges, type KeyChangeFeed } from '../../db/key-changes.ts';
import { until } from '../../infra/waiting.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';

/**
 * The verifier remembers a key's row only while the database's change notices arrive. The tests
 * switch the trigger off to see what the verifier would answer from memory alone.
 */
describe('API key verification with change notices', () => {
  let database: TestDatabase;
  let feed: KeyChangeFeed;
  let agentId: string;

  before(async () => {
    database = await createTestDatabase('api_key_cache');
    feed = listenForKeyChanges(database.url, undefined, 50);
    await until('feed live', async () => feed.live, 10_000);
    const partner = await database.db.partner.create({ data: { id: randomUUID(), name: 'P' } });
    agentId = (await database.db.agent.create({ data: { id: randomUUID(), partnerId: partner.id, name: 'A', role: 'admin_agent' } })).id;
  });
  after(async () => {
    await feed?.close();
    await database?.drop();
  });

  const prefixOf = (key: string) => key.split('_')[1]!;
  const withoutNotices = async (change: () => Promise<unknown>) => {
    await database.db.$executeRawUnsafe('ALTER TABLE api_keys DISABLE TRIGGER api_keys_notify_change');
    try {
      await change();
    } finally {
      await database.db.$executeRawUnsafe('ALTER TABLE api_keys ENABLE TRIGGER api_keys_notify_change');
    }
  };
  const revokedSilently = (key: string) => withoutNotices(() => database.db.apiKey.update({ where: { prefix: prefixOf(key) }, data: { revokedAt: new Date() } }));

  test('answers a verified key from memory, without reading its row again', async () => {
    const key = await createApiKey(database.db, agentId);
    const verifier = new ApiKeyVerifier(database.db, feed);
    assert.equal((await verifier.verify(key))?.role, 'admin_agent');
    await revokedSilently(key);
    assert.ok(await verifier.verify(key), 'with the notice suppressed, the remembered row answers');
    assert.equal(await new ApiKeyVerifier(database.db, feed).verify(key), null, 'a fresh read sees the revocation');
  });

  test('forgets a key the moment the database says it was revoked', async () => {
    const key = await createApiKey(database.db, agentId);
    const verifier = new ApiKeyVerifier(database.db, feed);
    assert.ok(await verifier.verify(key));
    await database.db.apiKey.update({ where: { prefix: prefixOf(key) }, data: { revokedAt: new Date() } });
    await until('revocation noticed', async () => (await verifier.verify(key)) === null, 5_000);
  });

  test('forgets every key when an agent changes', async () => {
    const key = await createApiKey(database.db, agentId);
    const verifier = new ApiKeyVerifier(database.db, feed);
    assert.ok(await verifier.verify(key));
    await revokedSilently(key);
    await database.db.agent.update({ where: { id: agentId }, data: { name: 'A renamed' } });
    await until('agent change noticed', async () => (await verifier.verify(key)) === null, 5_000);
  });

  test('reads the row on every request while the feed cannot connect', async () => {
    const key = await createApiKey(database.db, agentId);
    // A feed whose connection is refused: never live.
    const dead = listenForKeyChanges('postgres://postgres@127.0.0.1:1/none', undefined, 60_000);
    try {
      const verifier = new ApiKeyVerifier(database.db, dead);
      assert.ok(await verifier.verify(key));
      await revokedSilently(key);
      assert.equal(await verifier.verify(key), null, 'not live: the revocation is read, not remembered over');
    } finally {
      await dead.close();
    }
  });

  test('a feed that loses its connection stops answering from memory until it listens again', async () => {
    const own = listenForKeyChanges(database.url, undefined, 1_000);
    try {
      await until('own feed live', async () => own.live, 10_000);
      const key = await createApiKey(database.db, agentId);
      const verifier = new ApiKeyVerifier(database.db, own);
      assert.ok(await verifier.verify(key));
      await database.db.$executeRawUnsafe(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'csp-api-key-changes' AND datname = current_database()`);
      await until('feed down', async () => !own.live, 5_000);
      await revokedSilently(key);
      assert.equal(await verifier.verify(key), null, 'while down, every request reads its key');
      await until('feed live again', async () => own.live, 10_000);
      const other = await createApiKey(database.db, agentId);
      assert.ok(await verifier.verify(other));
      await revokedSilently(other);
      assert.ok(await verifier.verify(other), 'live again: rows are remembered again');
    } finally {
      await own.close();
    }
  });
});
