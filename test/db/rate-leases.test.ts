import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { countedRequests, LEASE, type Counted } from '../../api/rate-counts.ts';
import { countRequest, countRequestUnlessBlocked, giveBackRequests } from '../../db/rate-limits.ts';
import { until } from '../../infra/waiting.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';

const WINDOW_MS = 60_000;

/**
 * A process's counts of its callers' requests (api/rate-counts.ts) against PostgreSQL's shared
 * windows: a key that keeps sending leases places and pays few statements, and the limit still
 * holds. The clock is the test's own (each request 5 ms after the last), so what is leased does
 * not depend on how fast this machine runs the statements.
 */
describe('rate-limit leases: few statements for a steady caller, the limit kept exactly', () => {
  let database: TestDatabase;
  before(async () => {
    database = await createTestDatabase('rate_leases');
  });
  after(async () => database?.drop());

  function counter(limit: number, options: { failures?: { key: string; limit: number }; leaseMs?: number; clockOffsetMs?: number } = {}) {
    const db = database.db;
    const clock = { at: Date.now() + (options.clockOffsetMs ?? 0) };
    let statements = 0;
    const counts = countedRequests({
      limit,
      now: () => clock.at,
      leaseMs: options.leaseMs ?? 10_000,
      count: (key, failuresKey, n) => {
        statements++;
        return failuresKey && options.failures ? countRequestUnlessBlocked(db, key, WINDOW_MS, options.failures, n) : countRequest(db, key, WINDOW_MS, n);
      },
      giveBack: (key, n, resetAt) => giveBackRequests(db, key, n, resetAt),
    });
    return { counts, clock, statements: () => statements };
  }
  /** Sends `n` requests one after the other, each 5 ms after the last, and answers each one's place. */
  async function stream(c: ReturnType<typeof counter>, key: string, n: number, failuresKey?: string): Promise<Counted[]> {
    const answers: Counted[] = [];
    for (let i = 0; i < n; i++) {
      c.clock.at += 5;
      answers.push(await c.counts.count(key, failuresKey));
    }
    return answers;
  }
  const placesOf = (answers: Counted[]) => answers.map((a) => ('hits' in a ? a.hits : NaN));
  const rowHits = async (key: string) => (await database.db.rateLimitWindow.findUniqueOrThrow({ where: { key } })).hits;
  const oneTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

  test('a steady caller pays a statement per lease, not per request; each request keeps its own place, and what a lease did not use goes back', async () => {
    const c = counter(100_000);
    const places = placesOf(await stream(c, 'requests:steady', 500));
    assert.deepEqual(places, oneTo(500), 'every request its own place, in order, none skipped');
    assert.ok(c.statements() <= 10, `${c.statements()} statements for 500 requests`);
    assert.ok((await rowHits('requests:steady')) > 500, 'the last lease’s places are counted before they are used');
    await c.counts.close();
    assert.equal(await rowHits('requests:steady'), 500, 'the row holds every request once the lease has ended');
  });

  test('a process whose clock runs 45 s ahead of the database’s still leases, and sees its windows end a minute after they start', async () => {
    // 45 s is more than the 20 s a window must have left for a 10 s lease: read as the database's
    // time on this process's clock, the window would seem to end 15 s after it starts.
    const c = counter(100_000, { clockOffsetMs: 45_000 });
    const answers = await stream(c, 'requests:skewed', 200);
    assert.deepEqual(placesOf(answers), oneTo(200));
    assert.ok(c.statements() <= 10, `${c.statements()} statements for 200 requests`);
    const last = answers.at(-1)!;
    assert.ok('endsAt' in last && last.endsAt - c.clock.at > 55_000 && last.endsAt - c.clock.at <= 60_000, `the window ends ${'endsAt' in last ? last.endsAt - c.clock.at : NaN} ms from now`);
    await c.counts.close();
    assert.equal(await rowHits('requests:skewed'), 200);
  });

  test('a lease takes at most a tenth of what is left of the limit: with little left every request is its own statement, and no place past the limit is leased', async () => {
    const small = counter(6);
    assert.deepEqual(placesOf(await stream(small, 'requests:small', 10)), oneTo(10));
    assert.equal(small.statements(), 10, 'under ten places left: nothing to lease');
    const near = counter(50);
    const answers = await stream(near, 'requests:near', 60);
    assert.deepEqual(placesOf(answers), oneTo(60));
    assert.ok(near.statements() < 60, `${near.statements()} statements for 60 requests: places were leased while a tenth of the limit was left`);
    await near.counts.close();
    assert.equal(await rowHits('requests:near'), 60);
  });

  test('two processes leasing one key never let more than the limit through', async () => {
    const limit = 300;
    const [a, b] = [counter(limit), counter(limit)];
    const answers: Counted[] = [];
    for (let i = 0; i < 200; i++) answers.push(...(await stream(a, 'requests:shared', 1)), ...(await stream(b, 'requests:shared', 1)));
    const allowed = placesOf(answers).filter((hits) => hits <= limit);
    assert.ok(allowed.length <= limit, `${allowed.length} requests let through, limit ${limit}`);
    assert.equal(new Set(allowed).size, allowed.length, 'no place handed out twice');
    assert.ok(allowed.length >= limit - 2 * (limit / LEASE.share), `${allowed.length} let through: a lease holds at most a tenth of what is left`);
    assert.ok(a.statements() + b.statements() < 400, `${a.statements() + b.statements()} statements for 400 requests: places were leased`);
    await Promise.all([a.counts.close(), b.counts.close()]);
    assert.equal(await rowHits('requests:shared'), 400, 'every request counted once, no leased place left over');
  });

  test('places a stale view of the window would lease past the limit go back at once, so the other processes find only what was handed out', async () => {
    const limit = 300;
    const c = counter(limit);
    await stream(c, 'requests:stale', 1);
    // Another process counts the window up to 5 short of the limit, unseen by this one.
    await countRequest(database.db, 'requests:stale', WINDOW_MS, limit - 5 - 1);
    const [next] = await stream(c, 'requests:stale', 1);
    assert.deepEqual(next && 'hits' in next && next.hits, limit - 4, 'the request’s place follows the other process’s');
    await c.counts.settled();
    assert.ok((await rowHits('requests:stale')) <= limit, `the window holds ${await rowHits('requests:stale')}: only places under the limit stay leased`);
    const rest = placesOf(await stream(c, 'requests:stale', 6));
    assert.deepEqual(rest, [limit - 3, limit - 2, limit - 1, limit, limit + 1, limit + 2]);
    await c.counts.close();
    assert.equal(await rowHits('requests:stale'), limit + 2);
  });

  test('a lease ends with its life: the next request is counted by a statement, so an address blocked meanwhile is refused', async () => {
    const failures = { key: 'failed-auth:198.51.100.7', limit: 3 };
    const c = counter(100_000, { failures, leaseMs: 1_000 });
    await stream(c, 'requests:leased', 20, failures.key);
    const before = c.statements();
    await database.db.rateLimitWindow.create({ data: { key: failures.key, hits: 3, resetAt: new Date(Date.now() + WINDOW_MS) } });
    const [held] = await stream(c, 'requests:leased', 1, failures.key);
    assert.ok(held && 'hits' in held && c.statements() === before, 'within its life the lease answers, without a statement');
    c.clock.at += 1_000;
    const [refused] = await stream(c, 'requests:leased', 1, failures.key);
    assert.ok(refused && 'blockedUntil' in refused, `once the lease has ended the address is refused: ${JSON.stringify(refused)}`);
    await c.counts.close();
    assert.equal(await rowHits('requests:leased'), 21, 'the ended lease’s unused places went back; the refused request counted none');
  });

  test('a key that stops sending gives its places back when the lease’s life ends, and a window that has ended takes none back', async () => {
    const c = counter(100_000, { leaseMs: 50 });
    await stream(c, 'requests:stopped', 20);
    // Real time here: the lease's timer gives its places back once its 50 ms have passed.
    await until('the unused places given back', async () => (await rowHits('requests:stopped')) === 20, 30_000);
    const ended = await database.db.rateLimitWindow.create({ data: { key: 'requests:ended', hits: 7, resetAt: new Date(Date.now() - 1_000) } });
    await giveBackRequests(database.db, ended.key, 5, ended.resetAt);
    assert.equal(await rowHits('requests:ended'), 7);
    await c.counts.close();
  });
});
