import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../../common/logger.ts';
import { derivedIds, workflowIds } from '../../common/ids.ts';
import { startLinkSweeper } from '../../worker/link-sweeper.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { createTenant } from '../helpers/fixtures.ts';
import { eventually } from '../helpers/stack.ts';

describe('link sweeper (PostgreSQL)', () => {
  let database: TestDatabase;
  before(async () => {
    database = await createTestDatabase('link_sweeper');
  });
  after(async () => database?.drop());

  test('marks windows past their deadline expired by time within a sweep, and leaves the others alone', async () => {
    const db = database.db;
    const tenant = await createTenant(db);
    const order = await db.order.create({
      data: { id: randomUUID(), partnerId: tenant.partnerId, customerId: tenant.customerId, status: 'active', paymentMethod: 'pm_card_ok', totalAmount: '1.00', currency: 'USD', workflowId: `o-${randomUUID()}` },
    });
    const line = await db.orderLineItem.create({ data: { id: randomUUID(), orderId: order.id, position: 1, productId: 'windows-server-2022-standard', quantity: 1, unitPrice: '1.00' } });
    const sub = await db.softwareSubscription.create({
      data: { id: randomUUID(), orderId: order.id, lineItemId: line.id, partnerId: tenant.partnerId, customerId: tenant.customerId, productId: 'windows-server-2022-standard', quantity: 1, status: 'active' },
    });
    const window = async (language: string, expiresAt: Date, status: 'active' | 'revoked' = 'active') => {
      const id = randomUUID();
      await db.downloadLink.create({
        data: { id, subscriptionId: sub.id, variantId: derivedIds.variant('windows-server-2022-standard', '2022 (21H2)', language, 'ISO (x64)'), tokenHash: id, workflowId: workflowIds.link(id), status, maxDownloads: 50, expiresAt },
      });
      return id;
    };
    const past = await window('English', new Date(Date.now() - 1000));
    const future = await window('French', new Date(Date.now() + 3600_000));
    const revoked = await window('German', new Date(Date.now() - 1000), 'revoked');

    const startedAt = Date.now();
    const sweeper = startLinkSweeper(db, createLogger({ level: 'silent' }), 50);
    try {
      // The deadline only bounds a hang; what is checked is when the sweep wrote the end, not how fast.
      const ended = await eventually(() => db.downloadLink.findUniqueOrThrow({ where: { id: past } }), (l) => l.status !== 'active', 60_000);
      const seenAt = Date.now();
      assert.deepEqual([ended.status, ended.endReason], ['expired', 'time']);
      assert.ok(ended.endedAt, 'the end time is recorded');
      // Stamped by the sweep itself: after the sweeper started (1 s past the deadline) and before we saw it.
      assert.ok(ended.endedAt.getTime() >= startedAt - 50 && ended.endedAt.getTime() <= seenAt + 50, `ended at ${ended.endedAt.toISOString()}`);
      assert.equal((await db.downloadLink.findUniqueOrThrow({ where: { id: future } })).status, 'active');
      const untouched = await db.downloadLink.findUniqueOrThrow({ where: { id: revoked } });
      assert.deepEqual([untouched.status, untouched.endReason], ['revoked', null]);
    } finally {
      await sweeper.stop();
    }
  });
});
