import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import type { Db } from '../../db/client.ts';
import { createDownloadCounter, createDownloadRecorder, type DownloadRecord } from '../../db/links.ts';
import { againstAnotherWriter, createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { watchStatements } from '../helpers/statements.ts';

describe('recording counted downloads', () => {
  let database: TestDatabase;
  let subscriptionId: string;

  before(async () => {
    database = await createTestDatabase('download_records');
    const db = database.db;
    const partner = await db.partner.create({ data: { id: randomUUID(), name: 'P' } });
    const customer = await db.customer.create({ data: { id: randomUUID(), partnerId: partner.id, domain: 'c.example', companyName: 'C' } });
    await db.product.create({ data: { id: 'prod', name: 'Prod', description: 'd', unitPrice: '10.50', currency: 'USD' } });
    const order = await db.order.create({
      data: { id: randomUUID(), partnerId: partner.id, customerId: customer.id, status: 'active', paymentMethod: 'pm_card_ok', totalAmount: '10.50', currency: 'USD', workflowId: `wf-${randomUUID()}` },
    });
    const line = await db.orderLineItem.create({ data: { id: randomUUID(), orderId: order.id, position: 1, productId: 'prod', quantity: 1, unitPrice: '10.50' } });
    subscriptionId = (
      await db.softwareSubscription.create({
        data: { id: randomUUID(), orderId: order.id, lineItemId: line.id, partnerId: partner.id, customerId: customer.id, productId: 'prod', quantity: 1, status: 'active' },
      })
    ).id;
  });
  after(async () => database?.drop());

  async function newLink(maxDownloads: number, id = randomUUID()): Promise<string> {
    // One active window per subscription and variant: each link gets a variant of its own.
    const variantId = (await database.db.productVariant.create({ data: { id: randomUUID(), productId: 'prod', version: id, language: 'en', fileType: 'ISO', fileName: 'f.iso', sizeBytes: 1 } })).id;
    await database.db.downloadLink.create({
      data: { id, subscriptionId, variantId, tokenHash: id, workflowId: `wf-${id}`, status: 'active', maxDownloads, expiresAt: new Date(Date.now() + 3600_000) },
    });
    return id;
  }
  /**
   * The database, with the recorder's statements counted as PostgreSQL receives them: prepared, and
   * named for the download events they insert (what a trace shows for them).
   */
  function counting(): { db: Db; statements: () => number } {
    const before = recorderStatements();
    return { db: database.db, statements: () => recorderStatements() - before };
  }
  let watched: ReturnType<typeof watchStatements> | undefined;
  const recorderStatements = () => watched!.named('INSERT download_events ');
  before(() => {
    watched = watchStatements(database.db);
  });
  const grant = (linkId: string, sequence: number, max: number): DownloadRecord => ({ linkId, sequence, remaining: max - sequence, clientAddress: '127.0.0.1', userAgent: 'test' });

  test('records concurrent downloads once each, in fewer statements than downloads', async () => {
    const [a, b] = [await newLink(30), await newLink(30)];
    const { db, statements } = counting();
    const recorder = createDownloadRecorder(db);
    await Promise.all(Array.from({ length: 60 }, (_, i) => recorder.record(grant(i % 2 ? b : a, Math.floor(i / 2) + 1, 30))));
    assert.equal(await database.db.downloadEvent.count({ where: { linkId: { in: [a, b] } } }), 60);
    for (const id of [a, b]) {
      const link = await database.db.downloadLink.findUniqueOrThrow({ where: { id } });
      assert.deepEqual([link.downloadsUsed, link.status, link.endReason], [30, 'expired', 'downloads'], 'the last grant ends the link');
      assert.ok(link.endedAt);
    }
    assert.ok(statements() < 60 && statements() >= 1, `60 downloads in ${statements()} statements`);
  });

  test('writes a lone download at once, and a repeated grant changes nothing', async () => {
    const link = await newLink(50);
    const { db, statements } = counting();
    const recorder = createDownloadRecorder(db);
    await recorder.record(grant(link, 1, 50));
    assert.equal(statements(), 1);
    await recorder.record(grant(link, 1, 50));
    assert.equal(await database.db.downloadEvent.count({ where: { linkId: link } }), 1);
    const row = await database.db.downloadLink.findUniqueOrThrow({ where: { id: link } });
    assert.deepEqual([row.downloadsUsed, row.status], [1, 'active']);
  });

  test('a download that cannot be stored fails alone; those written with it are stored', async () => {
    const link = await newLink(50);
    const recorder = createDownloadRecorder(database.db);
    // A link the database does not know: its event breaks the foreign key, so a statement with it fails.
    const results = await Promise.allSettled([recorder.record(grant(link, 1, 50)), recorder.record(grant(randomUUID(), 1, 50)), recorder.record(grant(link, 2, 50)), recorder.record(grant(link, 3, 50))]);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    assert.equal(await database.db.downloadEvent.count({ where: { linkId: link } }), 3);
    assert.equal((await database.db.downloadLink.findUniqueOrThrow({ where: { id: link } })).downloadsUsed, 3);
  });

  const ask = (linkId: string) => ({ linkId, clientAddress: '127.0.0.1', userAgent: 'test' });

  test('counts 120 downloads of one window, asked at once by three processes, as exactly 50: sequences 1 to 50, the last ends it', async () => {
    const link = await newLink(50);
    const { db, statements } = counting();
    // Three counters are three API processes: their statements run at once, on their own connections.
    const counters = [createDownloadCounter(db), createDownloadCounter(db), createDownloadCounter(db)];
    const grants = await Promise.all(Array.from({ length: 120 }, (_, i) => counters[i % 3]!(ask(link))));
    const granted = grants.filter((g) => g !== null);
    assert.deepEqual(granted.map((g) => g.sequence).sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i + 1), 'each of the 50 counted once');
    assert.ok(granted.every((g) => g.remaining === 50 - g.sequence), 'each grant says what is left after it');
    const events = await database.db.downloadEvent.findMany({ where: { linkId: link }, orderBy: { sequence: 'asc' } });
    assert.deepEqual(events.map((e) => e.sequence), Array.from({ length: 50 }, (_, i) => i + 1), 'one event per grant');
    const row = await database.db.downloadLink.findUniqueOrThrow({ where: { id: link } });
    assert.deepEqual([row.downloadsUsed, row.status, row.endReason], [50, 'expired', 'downloads']);
    assert.ok(row.endedAt);
    assert.ok(statements() < 120, `120 downloads in ${statements()} statements`);
  });

  test('a batch that reaches the cap grants what is left in the same statement, and refuses the rest', async () => {
    const link = await newLink(50);
    await database.db.downloadLink.update({ where: { id: link }, data: { downloadsUsed: 45 } });
    const { db, statements } = counting();
    const count = createDownloadCounter(db);
    // The first goes at once; the nine that arrive while it is on its way go together.
    const grants = await Promise.all(Array.from({ length: 10 }, () => count(ask(link))));
    assert.deepEqual(grants.map((g) => g?.sequence ?? null), [46, 47, 48, 49, 50, null, null, null, null, null]);
    // A batch granted past the cap would break the events' check and be written again one by one.
    assert.equal(statements(), 2);
  });

  test('counts nothing on a revoked window, one past its deadline, one ended, or one its workflow counts', async () => {
    const [revoked, lapsed, ended, legacy, open] = [await newLink(50), await newLink(50), await newLink(50), await newLink(50), await newLink(50)];
    await database.db.downloadLink.update({ where: { id: revoked }, data: { status: 'revoked' } });
    await database.db.$executeRaw`UPDATE download_links SET expires_at = now() - interval '1 millisecond' WHERE id = ${lapsed}::uuid`;
    await database.db.downloadLink.update({ where: { id: ended }, data: { status: 'expired', endReason: 'time' } });
    await database.db.downloadLink.update({ where: { id: legacy }, data: { countedByWorkflow: true } });
    const count = createDownloadCounter(database.db);
    const grants = await Promise.all([revoked, lapsed, ended, legacy, open].map((id) => count(ask(id))));
    assert.deepEqual(grants, [null, null, null, null, { sequence: 1, remaining: 49 }]);
    const rows = await database.db.downloadLink.findMany({ where: { id: { in: [revoked, lapsed, ended, legacy] } }, include: { _count: { select: { events: true } } } });
    assert.deepEqual(rows.map((r) => [r.downloadsUsed, r._count.events]), Array(4).fill([0, 0]));
  });

  // The recorder (windows counted by their workflow) and the counter (windows counted here) lock links alike.
  const writers = {
    recording: (db: Db) => {
      const { record } = createDownloadRecorder(db);
      return (id: string) => record(grant(id, 1, 50));
    },
    counting: (db: Db) => {
      const count = createDownloadCounter(db);
      return (id: string) => count({ linkId: id, clientAddress: null, userAgent: null });
    },
  };
  for (const [name, writer] of Object.entries(writers)) test(`two writers ${name} the same links at once wait on each other instead of deadlocking: links are locked in key order`, async () => {
    // The order a statement visits rows in without an ORDER BY is its plan's (a hash, the input's, a
    // custom or a generic plan): rounds over fresh links, given in both orders, cover more than one.
    for (let round = 0; round < 6; round++) {
      const ids = await Promise.all(Array.from({ length: 9 }, (_, i) => newLink(50, `00000000-0000-4000-8${round}${name.length}0-${String(i + 1).padStart(12, '0')}`)));
      const [first, ...others] = ids.slice(0, 8).sort();
      const record = writer(database.db);
      const given = round % 2 ? [...others].reverse().concat(first!) : [first!, ...others];
      const touch = (writer: pg.ClientBase, ids: string[]) => writer.query('UPDATE download_links SET downloads_used = downloads_used WHERE id = ANY($1::uuid[])', [ids]);
      await againstAnotherWriter(database.db, {
        hold: (writer) => touch(writer, [first!]),
        // A lone download goes at once; the eight that arrive while it is on its way go together.
        batch: () => Promise.all([record(ids[8]!), ...given.map((id) => record(id))]),
        // The batch holds none of the others yet, so this writer takes them all without waiting.
        takeRest: (writer) => touch(writer, others),
      });
      const links = await database.db.downloadLink.findMany({ where: { id: { in: ids } }, select: { downloadsUsed: true } });
      assert.deepEqual(links.map((l) => l.downloadsUsed), Array(9).fill(1), `round ${round}`);
    }
  });
});
