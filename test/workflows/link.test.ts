import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import proto from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { LinkInput } from '../../common/domain.ts';
import { countDownloadUpdate, linkStateQuery, linkUsedUpSignal, revokeLinkSignal } from '../../common/messages.ts';
import { derivedIds, workflowIds } from '../../common/ids.ts';
import { LOCAL_PROVIDERS } from '../../common/config.ts';
import { createProviders } from '../../providers/index.ts';
import { expireLapsedLinks } from '../../db/links.ts';
import { linkWorkflow } from '../../workflows/link.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { createTenant, type Tenant } from '../helpers/fixtures.ts';
import { startTestWorker, timeSkippingEnvironment } from '../helpers/temporal.ts';

Runtime.install({ logger: new DefaultLogger('ERROR') });

const taskQueue = 'link-test';
const DAY = 24 * 3600 * 1000;
const EventType = proto.temporal.api.enums.v1.EventType;
const TIMER_STARTED = EventType.EVENT_TYPE_TIMER_STARTED;
const VARIANT = derivedIds.variant('windows-server-2022-standard', '2022 (21H2)', 'English', 'ISO (x64)');

describe('link lifecycle workflow (time skipping)', () => {
  let env: TestWorkflowEnvironment;
  let database: TestDatabase;
  let tenant: Tenant;
  let worker: Awaited<ReturnType<typeof startTestWorker>>;

  before(async () => {
    [env, database] = await Promise.all([timeSkippingEnvironment(), createTestDatabase('link_wf')]);
    tenant = await createTenant(database.db);
    worker = await startTestWorker(env, taskQueue, { db: database.db, ...createProviders({ providers: LOCAL_PROVIDERS }, database.db) });
  });
  after(async () => {
    await worker?.stop();
    await env?.teardown();
    await database?.drop();
  });

  /** A purchased subscription to hang links on (the read model the activities update). */
  async function newSubscription(): Promise<string> {
    const orderId = randomUUID();
    await database.db.order.create({
      data: { id: orderId, partnerId: tenant.partnerId, customerId: tenant.customerId, status: 'active', paymentMethod: 'pm_card_ok', totalAmount: '1069.00', currency: 'USD', workflowId: `order-${orderId}` },
    });
    const line = await database.db.orderLineItem.create({ data: { id: randomUUID(), orderId, position: 1, productId: 'windows-server-2022-standard', quantity: 1, unitPrice: '1069.00' } });
    const id = randomUUID();
    await database.db.softwareSubscription.create({
      data: { id, orderId, lineItemId: line.id, partnerId: tenant.partnerId, customerId: tenant.customerId, productId: 'windows-server-2022-standard', quantity: 1, status: 'active' },
    });
    return id;
  }

  /** Opens a window the way the API does: a read-model row, then its workflow. */
  async function openLink(overrides: Partial<LinkInput> = {}) {
    const linkId = randomUUID();
    const subscriptionId = overrides.subscriptionId ?? (await newSubscription());
    const input: LinkInput = {
      linkId,
      subscriptionId,
      variantId: VARIANT,
      maxDownloads: 50,
      expiresAt: new Date((await env.currentTimeMs()) + 14 * DAY).toISOString(),
      ...overrides,
    };
    await database.db.downloadLink.create({
      data: { id: linkId, subscriptionId, variantId: VARIANT, tokenHash: randomUUID(), workflowId: workflowIds.link(linkId), status: 'active', maxDownloads: input.maxDownloads, expiresAt: new Date(input.expiresAt) },
    });
    const handle = await env.client.workflow.start(linkWorkflow, { taskQueue, workflowId: workflowIds.link(linkId), args: [input] });
    await parkedOnTimer(handle);
    return { linkId, handle };
  }

  /**
   * Waits (real time, with a deadline) until the window's first workflow task has completed and its
   * deadline timer is in history. Skipping time while that first task is still in flight made the
   * time-skipping server time the task out under the worker ("invalid history builder state for
   * action") and the test hang, about one run in three.
   */
  async function parkedOnTimer(handle: WorkflowHandle, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let events = 0;
    for (;;) {
      const history = await handle.fetchHistory();
      events = history.events?.length ?? 0;
      if (history.events?.some((e) => e.eventType === TIMER_STARTED)) return;
      if (Date.now() > deadline) throw new Error(`${handle.workflowId} did not start its timer within ${timeoutMs} ms (${events} events in history)`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  const download = (handle: Awaited<ReturnType<typeof openLink>>['handle']) => handle.executeUpdate(countDownloadUpdate, { args: [{}] });

  async function refused(promise: Promise<unknown>): Promise<string> {
    try {
      await promise;
    } catch (err) {
      assert.ok(err instanceof WorkflowUpdateFailedError, String(err));
      return (err.cause as Error).message;
    }
    assert.fail('the download was counted but should have been refused');
  }

  test('expires the link exactly at 14 days, not a second before, and closes in the task its timer fires in', async () => {
    const { handle } = await openLink();
    await env.sleep(14 * DAY - 1000);
    assert.equal((await download(handle)).sequence, 1, 'a second before the deadline it still serves');
    await env.sleep(1000);
    // Refused by the validator while the timer's task is still to run, by the server once it closed.
    await assert.rejects(download(handle), (err) => (err instanceof WorkflowUpdateFailedError && /expired \(time\)/.test((err.cause as Error).message)) || err instanceof WorkflowNotFoundError);
    const final = await handle.result();
    assert.deepEqual([final.status, final.endReason, final.downloadsUsed], ['expired', 'time', 1]);
    // Its row is the sweeper's to end (test/worker/link-sweeper.test.ts): after the timer fires the
    // workflow schedules no activity and no linger, and completes in that same task.
    const events = (await handle.fetchHistory()).events ?? [];
    const after = events.slice(events.findIndex((e) => e.eventType === EventType.EVENT_TYPE_TIMER_FIRED));
    const taskDone = after.findIndex((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
    assert.ok(after.length > 0 && taskDone > 0, 'the timer fired and a task followed');
    // (The patch's marker and the search attribute the SDK keeps of it are bookkeeping, not work.)
    const bookkeeping = new Set(['EVENT_TYPE_MARKER_RECORDED', 'EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES']);
    assert.deepEqual(
      after.slice(taskDone + 1).map((e) => EventType[e.eventType!]).filter((t) => !bookkeeping.has(t!)),
      ['EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED'],
    );
  });

  test('expires the link at the 50th download although time remains', async () => {
    const { linkId, handle } = await openLink();
    for (let i = 1; i <= 50; i++) assert.equal((await download(handle)).sequence, i);
    assert.match(await refused(download(handle)), /expired \(downloads\)/);
    const final = await handle.result();
    assert.deepEqual([final.status, final.endReason, final.downloadsUsed], ['expired', 'downloads', 50]);
    const row = await database.db.downloadLink.findUniqueOrThrow({ where: { id: linkId } });
    assert.deepEqual([row.status, row.endReason, row.downloadsUsed], ['expired', 'downloads', 50]);
  });

  test('refuses the 51st download even when 60 arrive at once', async () => {
    const { handle } = await openLink();
    const results = await Promise.allSettled(Array.from({ length: 60 }, () => download(handle)));
    const served = results.filter((r) => r.status === 'fulfilled').map((r) => (r as PromiseFulfilledResult<{ sequence: number }>).value.sequence);
    assert.equal(served.length, 50);
    assert.deepEqual([...served].sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i + 1), 'each download counted exactly once');
  });

  test('reactivating after expiry gives a fresh 14 days and 50 downloads while the old link stays dead', async () => {
    const old = await openLink();
    await env.sleep(14 * DAY);
    await old.handle.result();
    // The old window's row is ended by the sweeper, on the wall clock, which the skipped 14 days
    // did not move: bring its deadline to the wall clock and sweep, as the API does before opening.
    await database.db.$executeRaw`UPDATE download_links SET expires_at = now() WHERE id = ${old.linkId}::uuid`;
    await expireLapsedLinks(database.db);
    const fresh = await openLink({ subscriptionId: (await database.db.downloadLink.findUniqueOrThrow({ where: { id: old.linkId } })).subscriptionId });
    assert.notEqual(fresh.linkId, old.linkId);
    const state = await fresh.handle.query(linkStateQuery);
    assert.deepEqual([state.status, state.downloadsUsed, state.maxDownloads], ['active', 0, 50]);
    assert.equal(Date.parse(state.expiresAt) - (await env.currentTimeMs()) > 14 * DAY - 60_000, true);
    assert.equal((await download(fresh.handle)).sequence, 1);
    // The old window's workflow has closed: the server refuses the count, it is not just any error.
    await assert.rejects(download(old.handle), WorkflowNotFoundError);
    const oldRow = await database.db.downloadLink.findUniqueOrThrow({ where: { id: old.linkId } });
    assert.deepEqual([oldRow.status, oldRow.endReason], ['expired', 'time']);
  });

  /** What a closed window's workflow did: its activities and timers, by type, in its whole history. */
  async function work(handle: WorkflowHandle): Promise<{ activities: number; timers: number }> {
    const events = (await handle.fetchHistory()).events ?? [];
    return {
      activities: events.filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED).length,
      timers: events.filter((e) => e.eventType === TIMER_STARTED).length,
    };
  }

  test('a window counted in PostgreSQL takes no count update, and closes at once when told of its last download', async () => {
    const { handle } = await openLink({ countsInDatabase: true });
    // Nothing may count beside the row: an update sent to it (an API from before) is rejected.
    await assert.rejects(download(handle), (err) => err instanceof WorkflowUpdateFailedError && /no registered handler|not found|unknown/i.test(String((err.cause as Error | undefined)?.message ?? err.message)));
    assert.equal((await handle.query(linkStateQuery)).downloadsUsed, 0);
    await handle.signal(linkUsedUpSignal, { downloadsUsed: 50 });
    const final = await handle.result();
    assert.deepEqual([final.status, final.endReason, final.downloadsUsed], ['expired', 'downloads', 50]);
    // The statement that granted the last download ended the row: nothing to record, nothing to linger for.
    assert.deepEqual(await work(handle), { activities: 0, timers: 1 });
  });

  test('a window counted in PostgreSQL closes at once when revoked', async () => {
    const { handle } = await openLink({ countsInDatabase: true });
    await handle.signal(revokeLinkSignal, { reason: 'purchase cancelled' });
    const final = await handle.result();
    assert.deepEqual([final.status, final.endReason], ['revoked', undefined]);
    assert.deepEqual(await work(handle), { activities: 0, timers: 1 });
  });

  test('revocation ends the link at once', async () => {
    const { linkId, handle } = await openLink();
    await download(handle);
    await handle.signal(revokeLinkSignal, { reason: 'purchase cancelled' });
    const final = await handle.result();
    assert.equal(final.status, 'revoked');
    assert.equal(final.endReason, undefined, 'ended by the signal, not by its timer');
    const row = await database.db.downloadLink.findUniqueOrThrow({ where: { id: linkId } });
    assert.equal(row.status, 'revoked');
  });
});
