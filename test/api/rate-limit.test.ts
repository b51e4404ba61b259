import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { createApp } from '../../api/app.ts';
import { countedRequests } from '../../api/rate-counts.ts';
import { countRequest, giveBackRequests } from '../../db/rate-limits.ts';
import { createDb } from '../../db/client.ts';
import { watchStatements } from '../helpers/statements.ts';
import { bearer, startStack, type Stack } from '../helpers/stack.ts';
import { until } from '../../infra/waiting.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { startApi } from '../../api/server.ts';
import { loadConfig } from '../../common/config.ts';
import { createLogger } from '../../common/logger.ts';
import { EncryptionCodec, parseKeyRing } from '../../infra/payload-codec.ts';
import { resolveSecrets } from '../../infra/secrets.ts';
import { createTestDatabase } from '../helpers/database.ts';

const LIMIT = 6;

/**
 * Two API processes, as a load balancer would spread one caller over them: two apps that share
 * nothing but PostgreSQL (each has its own limiter, store and memory), against one limit.
 */
describe('rate limits hold across API processes (PostgreSQL, no worker)', () => {
  let stack: Stack;
  let apps: ReturnType<typeof createApp>[];

  before(async () => {
    stack = await startStack('api_rate_limit', { RATE_LIMIT_PER_MINUTE: String(LIMIT), AUTH_FAILURES_PER_MINUTE: '4' }, { worker: false });
    apps = [createApp(stack.apiDeps()), createApp(stack.apiDeps())];
  });
  after(async () => stack?.close());

  test('one key spread over two processes gets the limit once, not once per process', async () => {
    const key = stack.demo.apiKeys.operations;
    const statuses: number[] = [];
    for (let i = 0; i < 2 * LIMIT; i++) statuses.push((await request(apps[i % 2]!).get('/v1/products').set(bearer(key))).status);
    assert.deepEqual(statuses, [...Array(LIMIT).fill(200), ...Array(LIMIT).fill(429)]);
    const refused = await request(apps[1]!).get('/v1/products').set(bearer(key));
    assert.ok(Number(refused.headers['retry-after']) > 0);
    assert.equal(refused.headers['ratelimit-policy'], `${LIMIT};w=60`);
  });

  test('a burst in parallel on both processes lets exactly the limit through, and good requests never count as failed sign-ins', async () => {
    const key = stack.demo.apiKeys.support_engineer;
    const answers = await Promise.all(Array.from({ length: 4 * LIMIT }, (_, i) => request(apps[i % 2]!).get('/v1/products').set(bearer(key))));
    assert.equal(answers.filter((a) => a.status === 200).length, LIMIT, JSON.stringify(answers.map((a) => [a.status, a.body?.detail ?? a.body?.title])));
    assert.equal(answers.filter((a) => a.status === 429).length, 3 * LIMIT);
    assert.ok(answers.every((a) => !/failed authentications/.test(a.body?.detail ?? '')), 'refused by the key’s limit, not as failed sign-ins (the failed-sign-in limit is 4)');
  });

  test('with PostgreSQL unreachable the limits let requests through to their own answer (a liveness probe stays 200)', async () => {
    const unreachable = createDb('postgres://postgres@127.0.0.1:1/none?connect_timeout=2');
    try {
      const app = createApp(stack.apiDeps({ db: unreachable }));
      const live = await request(app).get('/healthz');
      assert.equal(live.status, 200, JSON.stringify(live.body));
      const keyed = await request(app).get('/v1/products').set(bearer(stack.demo.apiKeys.operations));
      assert.deepEqual([keyed.status, keyed.body.type?.replace(/^.*\/problems\//, '')], [503, 'unavailable'], 'the outage itself answers, not the limiter');
    } finally {
      await unreachable.$disconnect();
    }
  });

  test('a request with a key verified before pays one statement for its key’s limit and its address’s failures together', async () => {
    const app = createApp(stack.apiDeps({ keyChanges: stack.keyChanges }));
    const key = stack.demo.partners[0]!.apiKeys.admin_agent;
    assert.equal((await request(app).get('/v1/products').set(bearer(key))).status, 200);
    const watched = watchStatements(stack.database.db);
    try {
      const res = await request(app).get('/v1/products').set(bearer(key));
      assert.equal(res.status, 200);
      assert.match(res.headers['ratelimit'] ?? '', /^limit=6, remaining=\d+, reset=\d+$/);
    } finally {
      watched.stop();
    }
    const limitStatements = watched.seen.filter((st) => st.text.includes('rate_limit_windows')).map((st) => st.text);
    assert.equal(limitStatements.length, 1, limitStatements.join('\n---\n'));
  });

  test('a burst of one caller is counted in fewer statements than requests, each request with its own place in the window', async () => {
    const db = stack.database.db;
    let statements = 0;
    const counts = countedRequests({
      limit: 1_000,
      count: (key, _failures, n) => {
        statements++;
        return countRequest(db, key, 60_000, n);
      },
      giveBack: (key, n, resetAt) => giveBackRequests(db, key, n, resetAt),
    });
    const count = counts.count;
    const burst = await Promise.all(Array.from({ length: 20 }, () => count('requests:burst-key')));
    const hits = burst.map((c) => ('hits' in c ? c.hits : NaN)).sort((a, b) => a - b);
    assert.deepEqual(hits, Array.from({ length: 20 }, (_, i) => i + 1), 'every request a place of its own, none shared, none skipped');
    assert.ok(statements < 20, `${statements} statements for 20 requests`);
    // The second statement leased places for the key's next requests: ended, they are given back.
    await counts.close();
    assert.equal((await db.rateLimitWindow.findUniqueOrThrow({ where: { key: 'requests:burst-key' } })).hits, 20, 'the row holds every request');
    // Another address's requests of the same key are counted apart (either may be blocked alone).
    const before = statements;
    const apart = await Promise.all([count('requests:burst-key', 'failed-auth:a'), count('requests:burst-key', 'failed-auth:b')]);
    assert.equal(statements - before, 2, 'one statement per address');
    assert.deepEqual(apart.map((c) => ('hits' in c ? c.hits : NaN)).sort((a, b) => a - b), [21, 22]);
  });

  test('windows that ended are forgotten, so the table holds only the callers of the last minutes', async () => {
    const db = stack.database.db;
    const ended = new Date(Date.now() - 10 * 60_000);
    await db.rateLimitWindow.createMany({ data: [{ key: 'requests:gone-key', hits: 3, resetAt: ended }, { key: 'failed-auth:203.0.113.9', hits: 1, resetAt: ended }] });
    // A new process sweeps at its first counted request, off that request's path.
    const app = createApp(stack.apiDeps({ keyChanges: stack.keyChanges }));
    assert.equal((await request(app).get('/v1/products').set(bearer(stack.demo.partners[1]!.apiKeys.admin_agent))).status, 200);
    // The deadline only bounds a hang; the sweep is one statement sent after the answer.
    await until('the ended windows swept', async () => (await db.rateLimitWindow.count({ where: { key: { in: ['requests:gone-key', 'failed-auth:203.0.113.9'] } } })) === 0, 30_000);
    assert.ok((await db.rateLimitWindow.count({ where: { resetAt: { gt: new Date() } } })) > 0, 'windows still running stay');
  });

  test('failed sign-ins from one address count on both processes together', async () => {
    const wrong = bearer(`csp_0123456789abcdef_${'z'.repeat(43)}`);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await request(apps[i % 2]!).get('/v1/products').set(wrong)).status);
    assert.deepEqual(statuses, [401, 401, 401, 401, 429, 429]);
  });
});

describe('an API that stops gives back the places its rate-limit leases did not use', () => {
  test('after a burst and a stop, the window counts the requests answered and nothing more', async () => {
    const database = await createTestDatabase('rate_limit_stop');
    const dataDir = mkdtempSync(path.join(tmpdir(), 'csp-rate-limit-stop-'));
    try {
      // The default limit (600 a minute) leaves room for leases; /healthz is counted per address.
      const config = loadConfig({ NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir });
      const secrets = resolveSecrets(config);
      // /healthz reads nothing; this client's lazy connection is never used.
      // Leases live 20 s here (the longest a one-minute window allows), not 1 s, so the one taken is
      // still held when the API stops, a statement later.
      const leaseMs = 20_000;
      const api = await startApi({ config, db: database.db, temporal: new Client(), logger: createLogger({ level: 'silent' }), secrets, codec: new EncryptionCodec(parseKeyRing(secrets.payloadKeys)), rateLimitLeaseMs: leaseMs });
      let closed = false;
      try {
        const rows = () => database.db.rateLimitWindow.findMany({ where: { key: { startsWith: 'requests:ip:' } } });
        // Bursts until a statement has leased places ahead of the requests it counted: how many it
        // takes depends on how the requests meet the statements, not on what this test claims.
        let [sent, answered, held] = [0, 0, 0];
        const started = Date.now();
        while (held <= answered && sent < 200) {
          const statuses = await Promise.all(Array.from({ length: 20 }, async () => (await fetch(`${api.url}/healthz`)).status));
          sent += statuses.length;
          answered += statuses.filter((s) => s === 200).length;
          const running = await rows();
          assert.equal(running.length, 1);
          held = running[0]!.hits;
        }
        assert.equal(answered, sent);
        assert.ok(held > answered, `no lease held places beyond the ${answered} requests (the window held ${held})`);
        await api.close();
        closed = true;
        // Unless a lease's own timer could have ended it first (the machine took its life to get here).
        if (Date.now() - started < leaseMs) assert.equal((await rows())[0]!.hits, answered, 'the unused places were given back when it stopped');
      } finally {
        // A failed check must not leave the server open: the test file would never end.
        if (!closed) await api.close();
      }
    } finally {
      await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
