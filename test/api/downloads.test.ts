import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { workflowIds } from '../../common/ids.ts';
import { PRODUCT_KEY_PATTERN } from '../../providers/keys.ts';
import { decodedHistoryText } from '../helpers/history.ts';
import { activeOrder, apiKeySecret, bearer, eventually, startStack, type Stack } from '../helpers/stack.ts';

// The worker's side of the logs (SDK, workflows, activities), kept to search for secrets, not printed.
const workerLog: string[] = [];
Runtime.install({ logger: new DefaultLogger('DEBUG', (entry) => workerLog.push(`${entry.message} ${JSON.stringify(entry.meta ?? {})}`)) });

const VARIANT = { version: '2022 (21H2)', language: 'English', fileType: 'ISO (x64)' };

describe('keys and downloads through the API (dev server, PostgreSQL)', () => {
  let stack: Stack;
  let admin: string;
  let customerId: string;
  let subscriptionId: string;

  before(async () => {
    stack = await startStack('api_downloads');
    admin = stack.demo.partners[0]!.apiKeys.admin_agent;
    customerId = stack.demo.partners[0]!.customers[0]!.id;
    const order = await activeOrder(stack, admin, customerId, [{ productId: 'windows-server-2022-standard', quantity: 1 }]);
    subscriptionId = order.subscriptions[0]!;
  });
  after(async () => stack?.close());

  const keysAndDownloads = (key: string, body: object = VARIANT, customer = customerId) =>
    request(stack.app).post(`/v1/customers/${customer}/software/${subscriptionId}/keys-and-downloads`).set(bearer(key)).send(body);
  const tokenOf = (url: string) => new URL(url).pathname.split('/').pop()!;

  test('gives the admin agent the key and a link, the same link while it is open, and serves the file', async () => {
    const first = await keysAndDownloads(admin);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.match(first.body.productKey, PRODUCT_KEY_PATTERN);
    assert.equal(first.body.download.maxDownloads, 50);
    assert.equal(first.body.download.downloadsUsed, 0);
    assert.equal(first.body.download.status, 'active');
    const ttl = Date.parse(first.body.download.expiresAt) - Date.now();
    assert.ok(ttl > 14 * 24 * 3600 * 1000 - 60_000 && ttl <= 14 * 24 * 3600 * 1000);
    const token = tokenOf(first.body.download.url);
    assert.ok(token.length >= 43);
    const again = await keysAndDownloads(admin);
    assert.equal(again.body.download.linkId, first.body.download.linkId);
    assert.equal(again.body.download.url, first.body.download.url);

    const row = await stack.database.db.downloadLink.findUniqueOrThrow({ where: { id: first.body.download.linkId } });
    assert.notEqual(row.tokenHash, token, 'only the hash is stored');
    assert.equal(row.tokenHash, createHash('sha256').update(token).digest('hex'));

    const file = await request(stack.app).get(`/v1/downloads/${token}`).set('User-Agent', 'test-agent/1.0').buffer(true).parse((res, cb) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => cb(null, Buffer.concat(chunks)));
    });
    assert.equal(file.status, 200);
    assert.match(file.headers['content-disposition']!, /^attachment; filename=".+\.iso"$/);
    assert.equal(Number(file.headers['content-length']), (file.body as Buffer).length);
    assert.equal(file.headers['x-checksum-sha256'], createHash('sha256').update(file.body as Buffer).digest('hex'));
    const events = await stack.database.db.downloadEvent.findMany({ where: { linkId: first.body.download.linkId } });
    assert.equal(events.length, 1);
    assert.equal(events[0]!.userAgent, 'test-agent/1.0');
    assert.match(events[0]!.clientAddress ?? '', /^(::ffff:)?127\.0\.0\.1$|^::1$/, 'the peer address is recorded');
  });

  test('answers 120 concurrent downloads with exactly 50 files and 70 × 410, recording 50 events', async () => {
    const link = (await keysAndDownloads(admin, { ...VARIANT, language: 'French' })).body.download;
    const token = tokenOf(link.url);
    const responses = await Promise.all(Array.from({ length: 120 }, () => request(stack.app).get(`/v1/downloads/${token}`)));
    const statuses = responses.map((r) => r.status);
    if (statuses.includes(500)) console.log(stack.logLines.filter((l) => l.includes('"level":50')).slice(0, 3).join('\n'));
    assert.equal(statuses.filter((s) => s === 200).length, 50, `statuses: ${JSON.stringify(statuses)}`);
    assert.equal(statuses.filter((s) => s === 410).length, 70);
    const gone = responses.find((r) => r.status === 410)!;
    assert.equal(gone.headers['content-type'], 'application/problem+json; charset=utf-8');
    assert.match(gone.body.detail, /maximum number of downloads.*admin agent/);
    assert.deepEqual([gone.body.type.replace(/^.*\/problems\//, ''), gone.body.linkStatus, gone.body.reason], ['link-used-up', 'expired', 'downloads']);
    assert.equal(await stack.database.db.downloadEvent.count({ where: { linkId: link.linkId } }), 50);
    const row = await eventually(
      () => stack.database.db.downloadLink.findUniqueOrThrow({ where: { id: link.linkId } }),
      (r) => r.status === 'expired',
    );
    assert.deepEqual([row.endReason, row.downloadsUsed], ['downloads', 50]);
    // Counted in PostgreSQL: the last download told the window's workflow, which closed without counting any.
    const windowFlow = stack.client.workflow.getHandle(workflowIds.link(link.linkId));
    // (A window never told would stay open for its 14 days: wait on its status, not its result.)
    await eventually(() => windowFlow.describe(), (d) => d.status.name !== 'RUNNING', 60_000);
    const closed = await windowFlow.result();
    assert.deepEqual([closed.status, closed.endReason, closed.downloadsUsed], ['expired', 'downloads', 50]);
    assert.equal(((await windowFlow.fetchHistory()).events ?? []).filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes).length, 0);

    // "Get keys and downloads" again opens a new window; the old token stays dead.
    const renewed = (await keysAndDownloads(admin, { ...VARIANT, language: 'French' })).body.download;
    assert.notEqual(renewed.linkId, link.linkId);
    assert.deepEqual([renewed.downloadsUsed, renewed.maxDownloads, renewed.status], [0, 50, 'active']);
    assert.equal((await request(stack.app).get(`/v1/downloads/${token}`)).status, 410);
    assert.equal((await request(stack.app).get(`/v1/downloads/${tokenOf(renewed.url)}`)).status, 200);
  });

  test('counts the downloads of a window opened before they were counted in PostgreSQL by its workflow, to its cap', async () => {
    const opened = (await keysAndDownloads(admin, { ...VARIANT, fileType: 'VHDX (x64)' })).body.download;
    // Made into a window of the kind opened before: its row says its workflow counts, and its workflow does.
    const link = await stack.database.db.downloadLink.update({ where: { id: opened.linkId }, data: { countedByWorkflow: true, maxDownloads: 3 } });
    await stack.client.workflow.getHandle(link.workflowId).terminate('replaced by a window counted by its workflow');
    const handle = await stack.client.workflow.start('linkWorkflow', {
      taskQueue: stack.config.temporal.interactiveTaskQueue,
      workflowId: link.workflowId,
      args: [{ linkId: link.id, subscriptionId, variantId: link.variantId, maxDownloads: 3, expiresAt: link.expiresAt.toISOString() }],
    });
    const statuses = (await Promise.all(Array.from({ length: 5 }, () => request(stack.app).get(`/v1/downloads/${tokenOf(opened.url)}`)))).map((r) => r.status);
    assert.deepEqual([...statuses].sort(), [200, 200, 200, 410, 410]);
    const accepted = ((await handle.fetchHistory()).events ?? []).filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes).length;
    assert.equal(accepted, 3, 'the workflow counted each served download');
    const row = await eventually(() => stack.database.db.downloadLink.findUniqueOrThrow({ where: { id: link.id }, include: { _count: { select: { events: true } } } }), (r) => r.status === 'expired');
    assert.deepEqual([row.endReason, row.downloadsUsed, row._count.events], ['downloads', 3, 3]);
  });

  test('answers 404 to an unknown token', async () => {
    assert.equal((await request(stack.app).get(`/v1/downloads/${'x'.repeat(43)}`)).status, 404);
    assert.equal((await request(stack.app).get('/v1/downloads/short')).status, 404);
  });

  test('refuses keys and downloads to a sales agent (403) and to another partner’s admin (404)', async () => {
    const sales = await keysAndDownloads(stack.demo.partners[0]!.apiKeys.sales_agent);
    assert.equal(sales.status, 403);
    const other = await keysAndDownloads(stack.demo.partners[1]!.apiKeys.admin_agent);
    assert.equal(other.status, 404);
    const otherOwnCustomer = await keysAndDownloads(stack.demo.partners[1]!.apiKeys.admin_agent, VARIANT, stack.demo.partners[1]!.customers[0]!.id);
    assert.equal(otherOwnCustomer.status, 404, 'the subscription is not that customer’s');
  });

  test('answers an unknown variant with 422 listing the allowed values, and opens no link', async () => {
    const before = await stack.database.db.downloadLink.count();
    const res = await keysAndDownloads(admin, { ...VARIANT, language: 'Klingon' });
    assert.equal(res.status, 422);
    assert.deepEqual(res.body.errors, [{ path: 'language', message: 'must be one of "English", "French", "German", "Japanese"' }]);
    assert.equal(await stack.database.db.downloadLink.count(), before);
  });

  test('keeps the product key, the download token and the API key out of the decoded workflow histories', async () => {
    const res = await keysAndDownloads(admin, { ...VARIANT, language: 'German', fileType: 'VHDX (x64)' });
    const key = res.body.productKey as string;
    const token = tokenOf(res.body.download.url);
    assert.equal((await request(stack.app).get(`/v1/downloads/${token}`)).status, 200, 'a download ran through the window’s workflow');
    const sub = await stack.database.db.softwareSubscription.findUniqueOrThrow({ where: { id: subscriptionId } });
    for (const workflowId of [workflowIds.link(res.body.download.linkId), workflowIds.order(sub.orderId)]) {
      // Decrypted with the payload codec first: the raw history is ciphertext and would hide anything.
      const { text, payloads } = await decodedHistoryText(stack.client, stack.codec, workflowId);
      const ownId = workflowId.replace(/^(link|order)-/, '');
      assert.ok(payloads > 0, `${workflowId}: the history has payloads`);
      assert.ok(text.includes(`"${ownId}"`), `${workflowId}: its decoded input names its own id, so decoding worked`);
      for (const [what, secret] of [['product key', key], ['product key without dashes', key.replace(/-/g, '')], ['download token', token], ['API key secret', apiKeySecret(admin)]] as const) {
        assert.ok(!text.includes(secret), `${workflowId} history contains the ${what}`);
      }
    }
  });

  test('logs no product key, download token or API key, and counts downloads in /metrics', async () => {
    const res = await keysAndDownloads(admin, { ...VARIANT, language: 'Japanese' });
    const token = tokenOf(res.body.download.url);
    assert.equal((await request(stack.app).get(`/v1/downloads/${token}`)).status, 200);
    const logs = stack.logLines.join('');
    assert.ok(logs.includes('/v1/downloads/[token]'), 'download requests are logged, with the token masked');
    const workerLogs = workerLog.join('\n');
    assert.ok(/activity|workflow/i.test(workerLogs) && workerLog.length > 10, `the worker's log was captured (${workerLog.length} lines)`);
    for (const secret of [res.body.productKey as string, token, admin, apiKeySecret(admin)]) {
      assert.ok(!logs.includes(secret), `the API's logs contain a secret (${secret.slice(0, 6)}…)`);
      assert.ok(!workerLogs.includes(secret), `the worker's logs contain a secret (${secret.slice(0, 6)}…)`);
    }
    const metrics = (await request(stack.app).get('/metrics')).text;
    assert.match(metrics, /csp_downloads_total\{result="served"\} [1-9]/);
    assert.match(metrics, /csp_downloads_total\{result="refused_expired"\} [1-9]/);
    assert.match(metrics, /csp_http_requests_total\{method="POST",route="\/v1\/customers\/:customerId\/software\/:subscriptionId\/keys-and-downloads",status="200"\}/);
    assert.match(metrics, /csp_orders\{status="active"\} [1-9]/);
  });

  test('keeps counting downloads while no worker serves purchases: links have a task queue of their own', async () => {
    const opened = await keysAndDownloads(admin, { ...VARIANT, language: 'German' });
    assert.equal(opened.status, 200, JSON.stringify(opened.body));
    const link = await stack.client.workflow.getHandle(workflowIds.link(opened.body.download.linkId)).describe();
    assert.equal(link.taskQueue, stack.config.temporal.interactiveTaskQueue);

    // A purchase backlog can only be as bad as no purchase worker at all.
    const purchases = stack.workers()!.workers.find((w) => w.options.taskQueue === stack.config.temporal.taskQueue)!;
    purchases.shutdown();
    await eventually(async () => purchases.getState(), (s) => s === 'STOPPED');
    const order = await request(stack.app).post(`/v1/customers/${customerId}/orders`).set(bearer(admin)).send({ lineItems: [{ productId: 'windows-server-2022-standard', quantity: 1 }], paymentMethod: 'pm_card_ok' });
    assert.equal(order.status, 202);

    const served = await request(stack.app).get(`/v1/downloads/${tokenOf(opened.body.download.url)}`);
    assert.equal(served.status, 200);
    const row = await stack.database.db.downloadLink.findUniqueOrThrow({ where: { id: opened.body.download.linkId } });
    assert.equal(row.downloadsUsed, 1);
    const stalled = await stack.database.db.order.findUniqueOrThrow({ where: { id: order.body.orderId } });
    assert.equal(stalled.status, 'awaiting_payment', 'nothing served the purchase queue');
  });
});

