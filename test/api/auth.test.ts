import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { createApp } from '../../api/app.ts';
import { ApiKeyVerifier } from '../../api/auth.ts';
import { createApiKey, revokeApiKey } from '../../db/api-keys.ts';
import { apiKeySecret, bearer, startStack, type Stack } from '../helpers/stack.ts';
import { createLogger } from '../../common/logger.ts';

Runtime.install({ logger: new DefaultLogger('ERROR') });

describe('authentication and rate limits', () => {
  let stack: Stack;

  before(async () => {
    stack = await startStack('api_auth', { RATE_LIMIT_PER_MINUTE: '5' }, { worker: false });
  });
  after(async () => stack?.close());

  test('answers unknown, malformed and revoked keys with the same 401', async () => {
    const agent = await stack.database.db.agent.findFirstOrThrow({ where: { role: 'operations' } });
    const key = await createApiKey(stack.database.db, agent.id);
    const prefix = key.split('_')[1]!;
    assert.ok(await revokeApiKey(stack.database.db, prefix));
    const answers = await Promise.all(
      [key, 'csp_0123456789abcdef_' + 'x'.repeat(43), 'not-a-key', ''].map((k) => request(stack.app).get('/v1/products').set('Authorization', `Bearer ${k}`)),
    );
    answers.push(await request(stack.app).get('/v1/products'));
    for (const res of answers) {
      assert.equal(res.status, 401);
      assert.equal(res.headers['www-authenticate'], 'Bearer realm="csp-onprem"');
      assert.equal(res.body.detail, answers[0]!.body.detail, 'the answer never says which check failed');
    }
    const stored = await stack.database.db.apiKey.findUniqueOrThrow({ where: { prefix } });
    assert.ok(!stored.secretHash.includes(apiKeySecret(key)), 'only a hash of the secret is stored');
    assert.match(stored.secretHash, /^scrypt\$/);
  });

  test('refuses a key as soon as the database reports its revocation, even one used a moment ago', async () => {
    const agent = await stack.database.db.agent.findFirstOrThrow({ where: { role: 'support_engineer' } });
    const key = await createApiKey(stack.database.db, agent.id);
    const prefix = key.split('_')[1]!;
    assert.equal((await request(stack.app).get('/v1/refund-cases').set(bearer(key))).status, 200);
    assert.equal((await request(stack.app).get('/v1/refund-cases').set(bearer(key))).status, 200, 'now answered from memory');
    // The notice comes from a trigger on commit; the app's verifier hears it before this listener.
    const noticed = new Promise<void>((resolve) => stack.keyChanges.subscribe((p) => (p === prefix ? resolve() : undefined)));
    await revokeApiKey(stack.database.db, prefix);
    await noticed;
    assert.equal((await request(stack.app).get('/v1/refund-cases').set(bearer(key))).status, 401);
  });

  test('the access log line names the partner and agent who called, and no one for a refused key', async () => {
    const lines: { msg?: string; req?: { url: string }; res?: { statusCode: number }; partnerId?: string; agentId?: string }[] = [];
    const logger = createLogger({ destination: { write: (l: string) => (lines.push(JSON.parse(l)), true) } as unknown as NodeJS.WritableStream });
    const app = createApp(stack.apiDeps({ logger }));
    const partner = stack.demo.partners[0]!;
    assert.equal((await request(app).get('/v1/products').set(bearer(partner.apiKeys.admin_agent))).status, 200);
    assert.equal((await request(app).get('/v1/products').set(bearer('csp_0123456789abcdef_wrong'))).status, 401);
    const [ok, refused] = lines.filter((l) => l.req?.url === '/v1/products');
    const agent = await stack.database.db.agent.findFirstOrThrow({ where: { partnerId: partner.id, role: 'admin_agent' } });
    assert.deepEqual([ok?.res?.statusCode, ok?.partnerId, ok?.agentId], [200, partner.id, agent.id], JSON.stringify(ok));
    assert.deepEqual([refused?.res?.statusCode, refused?.partnerId, refused?.agentId], [401, undefined, undefined], JSON.stringify(refused));
  });

  test('rate-limits each key with 429 and Retry-After, without touching other keys', async () => {
    const ops = stack.demo.apiKeys.operations;
    const statuses = [];
    for (let i = 0; i < 7; i++) statuses.push((await request(stack.app).get('/v1/products').set(bearer(ops))).status);
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429]);
    const limited = await request(stack.app).get('/v1/products').set(bearer(ops));
    assert.ok(Number(limited.headers['retry-after']) > 0);
    assert.match(limited.headers['content-type']!, /application\/problem\+json/);
    assert.equal((await request(stack.app).get('/v1/products').set(bearer(stack.demo.apiKeys.support_engineer))).status, 200);
  });

  test('refuses an Idempotency-Key longer than 255 characters with 400 and changes nothing', async () => {
    const admin = stack.demo.partners[0]!.apiKeys.admin_agent;
    const before = await stack.database.db.customer.count();
    const res = await request(stack.app)
      .post('/v1/customers')
      .set(bearer(admin))
      .set('Idempotency-Key', 'k'.repeat(256))
      .send({ domain: 'long-key.example.com', companyName: 'Long Key' });
    assert.equal(res.status, 400);
    assert.equal(await stack.database.db.customer.count(), before);
  });

  test('a wrong secret costs one scrypt whether or not its prefix exists, so the answer tells nothing', async () => {
    const db = stack.database.db;
    const agent = await db.agent.findFirstOrThrow({ where: { role: 'operations' } });
    const known = await createApiKey(db, agent.id);
    const revoked = await createApiKey(db, agent.id);
    await revokeApiKey(db, revoked.split('_')[1]!);
    const verifier = new ApiKeyVerifier(db);
    const work = async (key: string) => {
      const before = verifier.scrypts;
      assert.equal(await verifier.verify(key), null);
      return verifier.scrypts - before;
    };
    const wrongSecret = (key: string) => key.slice(0, -4) + (key.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    assert.deepEqual(
      { unknownPrefix: await work('csp_0123456789abcdef_' + 'x'.repeat(43)), knownPrefix: await work(wrongSecret(known)), revoked: await work(revoked), malformed: await work('not-a-key') },
      { unknownPrefix: 1, knownPrefix: 1, revoked: 1, malformed: 0 },
    );
  });

  // With the key change feed a key verified once is answered from memory, and its address is
  // checked by the rate limit's statement instead of before verification: both paths refuse.
  for (const feed of [false, true]) {
    test(`limits failed authentications per client address with 429 before any key is checked (${feed ? 'a key verified before, from memory' : 'every key read'})`, async () => {
      // The counts are shared by every app on this database (as by every API process): start from none.
      await stack.database.db.rateLimitWindow.deleteMany({ where: { key: { startsWith: 'failed-auth:' } } });
      const app = createApp(stack.apiDeps({ config: { ...stack.config, authFailuresPerMinute: 3 }, ...(feed ? { keyChanges: stack.keyChanges } : {}) }));
      const good = stack.demo.apiKeys.support_engineer;
      assert.equal((await request(app).get('/v1/refund-cases').set(bearer(good))).status, 200, 'successes do not count');
      const statuses = [];
      for (let i = 0; i < 5; i++) statuses.push((await request(app).get('/v1/products').set(bearer('csp_0123456789abcdef_' + 'y'.repeat(43)))).status);
      assert.deepEqual(statuses, [401, 401, 401, 429, 429]);
      const counted = await stack.database.db.rateLimitWindow.findMany({ where: { key: { startsWith: 'requests:' } } });
      const blocked = await request(app).get('/v1/refund-cases').set(bearer(good));
      assert.equal(blocked.status, 429, 'the address is refused before its key is checked');
      assert.ok(Number(blocked.headers['retry-after']) > 0);
      assert.match(blocked.body.detail, /failed authentications/);
      assert.deepEqual(await stack.database.db.rateLimitWindow.findMany({ where: { key: { startsWith: 'requests:' } } }), counted, 'a refused request is not counted against its key');
    });
  }
});
