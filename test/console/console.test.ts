import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import type { Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import request from 'supertest';
import { accessibilityProblems, launchChromium, screenshot } from '../helpers/browser.ts';
import { activeOrder, bearer, cancellationTicket, eventually, startStack, type Stack } from '../helpers/stack.ts';

Runtime.install({ logger: new DefaultLogger('ERROR') });

const UI = 'http://temporal-ui.test:8233';

/**
 * The web console in headless Chromium against the real stack: API app, worker on the dev
 * server, PostgreSQL. Every page visited is checked with axe-core and saved as a screenshot.
 */
describe('web console (Chromium, dev server, PostgreSQL)', () => {
  let stack: Stack;
  let server: Server;
  let base: string;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  before(async () => {
    stack = await startStack('console', { TEMPORAL_UI_URL: UI });
    server = stack.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    browser = await launchChromium();
  });
  after(async () => {
    for (const c of contexts) await c.close();
    await browser?.close();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    await stack?.close();
  });

  /** A fresh browser profile signed in with `key`; axe needs CSP bypassed to inject its script. */
  async function signedIn(key: string): Promise<Page> {
    const context = await browser.newContext({ baseURL: base, bypassCSP: true });
    contexts.push(context);
    const page = await context.newPage();
    await page.goto('/console');
    assert.match(page.url(), /\/console\/sign-in/);
    await page.getByLabel('API key').fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => !url.pathname.startsWith('/console/sign-in'));
    return page;
  }

  async function accessible(page: Page) {
    assert.deepEqual(await accessibilityProblems(page), [], `accessibility of ${page.url()}`);
  }

  test('an admin gets keys and downloads and files a cancellation; support filters the queue, approves, and the case page shows completed', async () => {
    const p0 = stack.demo.partners[0]!;
    const p1 = stack.demo.partners[1]!;
    const customer = p0.customers[0]!;
    const order = await activeOrder(stack, p0.apiKeys.admin_agent, customer.id, [{ productId: 'sql-server-2022-standard', quantity: 1 }]);
    const subscriptionId = order.subscriptions[0]!;

    // Another partner's open case, which the partner filter must hide.
    const other = p1.customers[0]!;
    const otherOrder = await activeOrder(stack, p1.apiKeys.admin_agent, other.id, [{ productId: 'sql-server-2022-standard', quantity: 1 }]);
    const otherCase = await request(stack.app)
      .post(`/v1/customers/${other.id}/software/${otherOrder.subscriptions[0]}/cancellation`)
      .set(bearer(p1.apiKeys.admin_agent))
      .send(
        cancellationTicket({
          customer: { domain: other.domain },
          subscriptionId: otherOrder.subscriptions[0],
          title: 'Other partner refund',
          attachments: [{ fileName: 'invoice 2026.pdf', contentType: 'application/pdf', contentBase64: Buffer.from('%PDF-1.4 the invoice').toString('base64') }],
        }),
      );
    assert.equal(otherCase.status, 202);

    // The admin: Software list → item → get keys and downloads → cancel.
    const admin = await signedIn(p0.apiKeys.admin_agent);
    assert.equal(new URL(admin.url()).pathname, '/console/customers');
    await admin.getByRole('link', { name: customer.domain }).click();
    await admin.getByRole('link', { name: 'SQL Server 2022 Standard' }).first().click();
    await admin.getByLabel('Version').selectOption('2022 RTM');
    await admin.getByLabel('Language').selectOption('English');
    await admin.getByLabel('File type / operating system').selectOption('ISO (x64)');
    await admin.getByRole('button', { name: 'Get keys and downloads' }).click();
    const key = await stack.database.db.productKey.findUniqueOrThrow({ where: { subscriptionId } });
    assert.equal((await admin.locator('#product-key').textContent())?.trim(), key.value);
    assert.match((await admin.locator('#download-url').textContent()) ?? '', /\/v1\/downloads\//);
    await accessible(admin);
    await screenshot(admin, 'admin-keys-and-downloads');
    // Post/redirect/get: the page has its own address; a reload shows it again and opens nothing.
    assert.match(admin.url(), /\/software\/[0-9a-f-]{36}\?opened=[0-9a-f-]{36}$/);
    await admin.reload();
    assert.equal((await admin.locator('#product-key').textContent())?.trim(), key.value);
    assert.equal(await stack.database.db.downloadLink.count({ where: { subscriptionId } }), 1);
    assert.match((await admin.locator('#windows tbody').textContent()) ?? '', /2022 RTM · English · ISO \(x64\).*open until.*(13|14) days left.*0 \/ 50.*50 left/s);

    await admin.getByRole('link', { name: 'Cancel this purchase…' }).click();
    // The form starts from what was paid and says it is the most that can be asked back.
    assert.equal(await admin.getByLabel(/Amount requested/).inputValue(), '3945.00');
    assert.match((await admin.locator('label[for="amount"]').textContent()) ?? '', /at most 3945\.00, what was paid/);
    // Mistakes are named beside their fields, in words, and focus goes to the list of them.
    await admin.getByLabel('Title').fill('Wrong edition bought');
    await admin.getByLabel('Refund reason').fill('The customer needed Enterprise');
    await admin.getByLabel(/Amount requested/).fill('a lot');
    await admin.getByLabel('Name').fill('Ana Trujillo');
    await admin.getByLabel('Email').fill('ana@example.com');
    await admin.getByLabel('Phone').fill('x');
    // A file over the API's 2 MiB is refused by name, before it is ever buffered whole.
    await admin.getByLabel('Attachments (optional)').setInputFiles([{ name: 'scan.png', mimeType: 'image/png', buffer: Buffer.alloc(2 * 1024 * 1024 + 1, 1) }]);
    await admin.getByRole('button', { name: 'Open the cancellation ticket' }).click();
    await admin.locator('#form-errors').waitFor();
    assert.match((await admin.locator('#attachments-error').textContent()) ?? '', /scan\.png is larger than 2 MiB/);
    assert.match((await admin.locator('#attachments-hint').textContent()) ?? '', /choose them again/);
    assert.equal(await admin.getByLabel('Title').inputValue(), 'Wrong edition bought', 'the fields before the file are kept');
    assert.ok(await admin.locator('#amount-error').isVisible());
    assert.ok(await admin.locator('#contactPhone-error').isVisible());
    assert.equal(await admin.getByLabel('Phone').getAttribute('aria-invalid'), 'true');
    assert.equal(await admin.evaluate('document.activeElement && document.activeElement.id'), 'form-errors');
    assert.doesNotMatch((await admin.locator('main').textContent()) ?? '', /amountRequested|contact\.phone/, 'no API field names');
    await accessible(admin);
    assert.equal(await stack.database.db.refundCase.count({ where: { subscriptionId } }), 0, 'nothing filed');
    await admin.getByLabel('Title').fill('Wrong edition bought');
    await admin.getByLabel('Impact').selectOption('high');
    await admin.getByLabel('Refund reason').fill('The customer needed Enterprise');
    await admin.getByLabel(/Amount requested/).fill('100.00');
    await admin.getByLabel('Name').fill('Ana Trujillo');
    await admin.getByLabel('Email').fill('ana@example.com');
    await admin.getByLabel('Phone').fill('+1 425 555 0100');
    // A file of a type the API does not take is named, in words; nothing is filed.
    await admin.getByLabel('Attachments (optional)').setInputFiles([{ name: 'setup.zip', mimeType: 'application/zip', buffer: Buffer.from('PK') }]);
    await admin.getByRole('button', { name: 'Open the cancellation ticket' }).click();
    await admin.locator('#attachments-error').waitFor();
    assert.match((await admin.locator('#attachments-error').textContent()) ?? '', /setup\.zip is not a file of an accepted type \(PDF, PNG, JPEG, plain text or CSV\)/);
    assert.equal(await stack.database.db.refundCase.count({ where: { subscriptionId } }), 0, 'nothing filed');
    await accessible(admin);
    await screenshot(admin, 'admin-cancel-file-refused-1280');
    await admin.setViewportSize({ width: 375, height: 800 });
    assert.ok(await admin.evaluate('document.documentElement.scrollWidth <= window.innerWidth'), 'the refused-file form is no wider than a phone');
    await accessible(admin);
    await screenshot(admin, 'admin-cancel-file-refused-375');
    await admin.setViewportSize({ width: 1280, height: 800 });
    await admin.getByLabel('Attachments (optional)').setInputFiles([{ name: 'reçu 2026.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4 the receipt') }]);
    await admin.getByRole('button', { name: 'Open the cancellation ticket' }).click();
    await admin.waitForURL(/\/console\/refund-cases\/[0-9a-f-]{36}\?done=filed/);
    const caseId = /refund-cases\/([0-9a-f-]{36})/.exec(admin.url())![1]!;
    assert.equal((await stack.database.db.refundCase.findUniqueOrThrow({ where: { id: caseId } })).createdByAgentId !== null, true);
    await eventually(async () => (await stack.database.db.refundCase.findUniqueOrThrow({ where: { id: caseId } })).status, (s) => s === 'in_review');

    // Support: the queue, filtered to partner 0 in review.
    const support = await signedIn(stack.demo.apiKeys.support_engineer);
    assert.equal(new URL(support.url()).pathname, '/console/refund-cases');
    assert.equal(await support.locator(`tr[data-case-id="${otherCase.body.refundCaseId}"]`).count(), 1, 'unfiltered, both partners’ cases are listed');
    await support.getByLabel('Partner').selectOption({ label: p0.name });
    await support.getByLabel('Status').selectOption('in_review');
    await support.getByRole('button', { name: 'Apply filters' }).click();
    await support.waitForURL(/status=in_review/);
    assert.equal(await support.locator(`tr[data-case-id="${otherCase.body.refundCaseId}"]`).count(), 0, 'the other partner’s case is filtered out');
    assert.equal(await support.locator(`tr[data-case-id="${caseId}"]`).count(), 1);
    await accessible(support);
    await screenshot(support, 'support-queue-filtered');
    // "Export CSV" downloads the filtered queue, whole, as a file a CSV parser reads.
    const [download] = await Promise.all([support.waitForEvent('download'), support.getByRole('link', { name: 'Export CSV' }).click()]);
    assert.match(download.suggestedFilename(), /^refund-cases\.csv$/);
    const exported = parse(readFileSync((await download.path())!, 'utf8'), { columns: true }) as Record<string, string>[];
    assert.deepEqual(exported.map((r) => r.refundCaseId), [caseId], 'the file holds what the filters show');
    assert.equal(exported[0]!.status, 'in_review');

    // Search by the subscription's id or part of the customer's domain; each row names customer and product.
    await support.goto(`/console/refund-cases?q=${subscriptionId}`);
    assert.deepEqual(await support.locator('tr[data-case-id]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-case-id'))), [caseId]);
    assert.match((await support.locator(`tr[data-case-id="${caseId}"]`).textContent()) ?? '', new RegExp(`${customer.domain}.*SQL Server 2022 Standard`, 's'));
    await support.goto(`/console/refund-cases?q=${other.domain.slice(0, 6).toUpperCase()}`);
    assert.equal(await support.locator(`tr[data-case-id="${otherCase.body.refundCaseId}"]`).count(), 1, 'a domain matches in any case');
    assert.equal(await support.locator(`tr[data-case-id="${caseId}"]`).count(), other.domain.slice(0, 6) === customer.domain.slice(0, 6) ? 1 : 0);
    const bad = await support.goto('/console/refund-cases?olderThanHours=-5');
    assert.equal(bad?.status(), 422);
    assert.match((await support.locator('.notice.error').textContent()) ?? '', /not valid and were left out: olderThanHours/);
    await accessible(support);
    await support.goto('/console/refund-cases');

    // The other case's attachment downloads, for support only, byte for byte.
    await support.goto(`/console/refund-cases/${otherCase.body.refundCaseId}`);
    const [attachment] = await Promise.all([support.waitForEvent('download'), support.getByRole('link', { name: 'invoice 2026.pdf' }).click()]);
    assert.equal(readFileSync((await attachment.path())!, 'utf8'), '%PDF-1.4 the invoice');
    const attachmentUrl = new URL(attachment.url()).pathname;
    assert.equal((await admin.goto(attachmentUrl))?.status(), 403, 'a partner admin cannot download it');
    await support.goto('/console/refund-cases');
    await support.getByRole('link', { name: 'Wrong edition bought' }).click();
    // The file attached in the console arrives with its name (UTF-8) and its bytes.
    const [receipt] = await Promise.all([support.waitForEvent('download'), support.getByRole('link', { name: 'reçu 2026.pdf' }).click()]);
    assert.equal(readFileSync((await receipt.path())!, 'utf8'), '%PDF-1.4 the receipt');
    // What the decision needs: whose purchase, what, how much, when, and whether inside the refund window.
    const facts = (await support.locator('dl.facts').textContent()) ?? '';
    assert.match(facts, new RegExp(`Partner\\s*${p0.name}`));
    assert.match(facts, /1 × SQL Server 2022 Standard/);
    assert.match(facts, /Amount paid\s*3945\.00 USD \(already refunded: 0\.00 USD\)/);
    assert.match((await support.locator('#refund-window').textContent()) ?? '', /inside/);
    assert.match((await support.getByRole('link', { name: /Temporal Web UI/ }).getAttribute('href')) ?? '', new RegExp(`^${UI}/namespaces/default/workflows/refund-case-`));
    await support.getByLabel(/Approve the refund/).check();
    await support.getByLabel(/Approved amount/).fill('80.00');
    await support.getByLabel(/Note/).fill('Approved after checking the invoice');
    await support.getByRole('button', { name: 'Record decision' }).click();
    await support.waitForURL(/done=approve/);
    // The page follows the case to its end by itself: approved, then completed, with no reload.
    await support.evaluate('window.__samePage = true');
    await support.locator('#case-status', { hasText: 'completed' }).waitFor({ timeout: 30_000 });
    assert.equal(await support.evaluate('window.__samePage'), true, 'no reload');
    assert.equal(await support.locator('#case-live').getAttribute('data-settled'), 'true');
    assert.match((await support.locator('ol.timeline').textContent()) ?? '', /approved by .*Approved after checking the invoice/s);
    const done = await stack.database.db.refundCase.findUniqueOrThrow({ where: { id: caseId } });
    assert.equal(done.approvedAmount?.toFixed(2), '80.00');
    assert.equal((await stack.database.db.productKey.findUniqueOrThrow({ where: { subscriptionId } })).status, 'revoked');
    await accessible(support);
    await screenshot(support, 'support-case-completed');

    // Back on the item, the admin sees why its window ended.
    await admin.goto(`/console/customers/${customer.id}/software/${subscriptionId}`);
    assert.match((await admin.locator('#windows tbody').textContent()) ?? '', /2022 RTM · English · ISO \(x64\).*revoked \(the purchase was cancelled\)/s);
    assert.equal(await admin.getByRole('link', { name: 'Wrong edition bought' }).getAttribute('href'), `/console/refund-cases/${caseId}`, 'the cancelled item links to its case');
    await accessible(admin);
  });

  test('operations sees a stuck pm_async order on the dashboard, linked to the Temporal Web UI', async () => {
    const p0 = stack.demo.partners[0]!;
    const placed = await request(stack.app)
      .post(`/v1/customers/${p0.customers[0]!.id}/orders`)
      .set(bearer(p0.apiKeys.sales_agent))
      .send({ lineItems: [{ productId: 'office-ltsc-professional-plus-2024', quantity: 3 }], paymentMethod: 'pm_async' });
    assert.equal(placed.status, 202);
    const orderId = placed.body.orderId as string;
    // Charged and waiting for the webhook: the workflow writes nothing more until it comes.
    await eventually(async () => stack.database.db.order.findUniqueOrThrow({ where: { id: orderId } }), (o) => o.status === 'awaiting_payment' && o.paymentId !== null);
    // Two hours without the payment webhook, as if the customer's bank never answered.
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    // (Raw SQL: Prisma's @updatedAt would stamp the update with now.)
    await stack.database.db.$executeRaw`UPDATE orders SET created_at = ${twoHoursAgo}, updated_at = ${twoHoursAgo} WHERE id = ${orderId}::uuid`;

    const ops = await signedIn(stack.demo.apiKeys.operations);
    assert.equal(new URL(ops.url()).pathname, '/console/operations');
    const row = ops.locator(`section[aria-labelledby="stuck-h"] tr[data-order-id="${orderId}"]`);
    assert.equal(await row.count(), 1, 'the order is in the stuck list');
    assert.match((await row.textContent()) ?? '', /awaiting payment.*Stuck.*pm_async/s);
    assert.equal(await row.getByRole('link').getAttribute('href'), `${UI}/namespaces/default/workflows/order-${orderId}`);
    assert.equal(await ops.locator('#orders-chart svg rect').count(), 24);
    // Labelled axes: the hours (every sixth), and what is counted.
    const axisText = await ops.locator('#orders-chart svg text').allTextContents();
    assert.ok(axisText.includes('hour (UTC)') && axisText.includes('orders'), axisText.join(' | '));
    assert.equal(axisText.filter((t) => /^\d\d:\d\d$/.test(t)).length, 4);
    await accessible(ops);
    await screenshot(ops, 'operations-dashboard');

    // The counts say when they were computed and are fetched again by themselves; the ended ones open their lists.
    assert.match((await ops.locator('#dashboard-live').textContent()) ?? '', /Computed at .* UTC \(just now\); it refreshes itself every 30 s/);
    assert.equal(await ops.locator('#dashboard-live').getAttribute('data-refresh'), '/console/operations/cards?stuckAfterMinutes=30');
    const cards = await ops.request.get('/console/operations/cards?stuckAfterMinutes=30');
    assert.match(await cards.text(), /id="dashboard-live"/);
    const declined = await request(stack.app)
      .post(`/v1/customers/${p0.customers[0]!.id}/orders`)
      .set(bearer(p0.apiKeys.sales_agent))
      .send({ lineItems: [{ productId: 'office-ltsc-professional-plus-2024', quantity: 1 }], paymentMethod: 'pm_card_declined' });
    await eventually(() => stack.database.db.order.findUniqueOrThrow({ where: { id: declined.body.orderId as string } }), (o) => o.status === 'payment_failed');
    await ops.reload();
    await ops.locator('a[href="/console/operations/orders?status=payment_failed"]').click();
    await ops.waitForURL(/status=payment_failed/);
    assert.match((await ops.locator(`tr[data-order-id="${declined.body.orderId}"]`).textContent()) ?? '', /payment failed.*declined/is);
    await accessible(ops);
    await ops.goto('/console/operations');

    // Raising the threshold above two hours takes it off the stuck list.
    await ops.getByLabel(/Stuck after/).fill('180');
    await ops.getByRole('button', { name: 'Update' }).click();
    await ops.waitForURL(/stuckAfterMinutes=180/);
    assert.equal(await ops.locator(`section[aria-labelledby="stuck-h"] tr[data-order-id="${orderId}"]`).count(), 0);
  });

  test('a sales agent cannot open the support queue and is not offered it', async () => {
    const sales = await signedIn(stack.demo.partners[0]!.apiKeys.sales_agent);
    assert.equal(new URL(sales.url()).pathname, '/console/customers');
    assert.equal(await sales.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Refund cases' }).count(), 0);
    const res = await sales.goto('/console/refund-cases');
    assert.equal(res?.status(), 403);
    assert.equal(await sales.getByRole('heading', { level: 1 }).textContent(), 'Not allowed');
    assert.match((await sales.locator('main').textContent()) ?? '', /sales agent role may not open the refund-case queue/);
    assert.equal((await sales.goto('/console/operations'))?.status(), 403);
    await accessible(sales);
    await screenshot(sales, 'sales-refused-support-queue');
  });

  /** Signs in over plain HTTP the way the form does: the sign-in page's cookie and its hidden token. */
  async function agentSignedIn(key: string) {
    const agent = request.agent(stack.app);
    const form = await agent.get('/console/sign-in');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(form.text)![1]!;
    const res = await agent.post('/console/sign-in').type('form').send({ _csrf: csrf, apiKey: key });
    return { agent, res };
  }
  const formToken = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)![1]!;

  test('the session cookie is HttpOnly and SameSite=Strict, a bad key gets no session, and sign-in never redirects off the console', async () => {
    const bad = await agentSignedIn(`csp_0000000000000000_${'A'.repeat(43)}`);
    assert.equal(bad.res.status, 401);
    assert.equal((bad.res.headers['set-cookie'] as unknown as string[] | undefined)?.some((c) => c.startsWith('csp_console=')) ?? false, false);
    assert.match(bad.res.text, /not valid/);

    const { res } = await agentSignedIn(stack.demo.apiKeys.support_engineer);
    assert.equal(res.status, 303);
    const cookie = (res.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('csp_console='))!;
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    assert.match(cookie, /Path=\/console/);
    const stored = await stack.database.db.consoleSession.findMany();
    const token = /^csp_console=([^;]+)/.exec(cookie)![1]!;
    assert.equal(stored.some((s) => s.tokenHash === token), false, 'only the hash of the token is stored');

    const agent = request.agent(stack.app);
    const form = await agent.get('/console/sign-in?next=//evil.example/x');
    const signed = await agent.post('/console/sign-in').type('form').send({ _csrf: formToken(form.text), apiKey: stack.demo.apiKeys.operations, next: '//evil.example/x' });
    assert.equal(signed.headers.location, '/console');

    // Without the sign-in page's own token, the form is refused (login CSRF).
    const forged = await request(stack.app).post('/console/sign-in').type('form').send({ apiKey: stack.demo.apiKeys.operations });
    assert.equal(forged.status, 403);
  });

  test('a decision posted without the session’s CSRF token is refused and changes nothing', async () => {
    const p0 = stack.demo.partners[0]!;
    const customer = p0.customers[0]!;
    const order = await activeOrder(stack, p0.apiKeys.admin_agent, customer.id, [{ productId: 'sql-server-2022-standard', quantity: 1 }]);
    const filed = await request(stack.app)
      .post(`/v1/customers/${customer.id}/software/${order.subscriptions[0]}/cancellation`)
      .set(bearer(p0.apiKeys.admin_agent))
      .send(cancellationTicket({ customer: { domain: customer.domain }, subscriptionId: order.subscriptions[0] }));
    const caseId = filed.body.refundCaseId as string;
    await eventually(async () => (await stack.database.db.refundCase.findUniqueOrThrow({ where: { id: caseId } })).status, (s) => s === 'in_review');
    const events = await stack.database.db.refundCaseEvent.count({ where: { caseId } });

    const { agent } = await agentSignedIn(stack.demo.apiKeys.support_engineer);
    const decision = { decision: 'reject', note: 'forged' };
    const missing = await agent.post(`/console/refund-cases/${caseId}/decision`).type('form').send(decision);
    const wrong = await agent.post(`/console/refund-cases/${caseId}/decision`).type('form').send({ ...decision, _csrf: 'x'.repeat(43) });
    assert.deepEqual([missing.status, wrong.status], [403, 403]);
    assert.equal((await stack.database.db.refundCase.findUniqueOrThrow({ where: { id: caseId } })).status, 'in_review');
    assert.equal(await stack.database.db.refundCaseEvent.count({ where: { caseId } }), events);

    // A bad form is answered with its errors, and still changes nothing.
    const page = await agent.get(`/console/refund-cases/${caseId}`);
    const empty = await agent.post(`/console/refund-cases/${caseId}/decision`).type('form').send({ decision: 'reject', note: '', _csrf: formToken(page.text) });
    assert.equal(empty.status, 422);
    assert.match(empty.text, /a note is required/);
    const tooMuch = await agent.post(`/console/refund-cases/${caseId}/decision`).type('form').send({ decision: 'approve', approvedAmount: '999999.00', note: 'x', _csrf: formToken(page.text) });
    assert.equal(tooMuch.status, 409);
    assert.equal((await stack.database.db.refundCase.findUniqueOrThrow({ where: { id: caseId } })).status, 'in_review');

    // With the token, the same form works.
    const real = await agent.post(`/console/refund-cases/${caseId}/decision`).type('form').send({ ...decision, note: 'Not eligible', _csrf: formToken(page.text) });
    assert.equal(real.status, 303);
    assert.equal((await stack.database.db.refundCase.findUniqueOrThrow({ where: { id: caseId } })).status, 'rejected');
  });

  test('revoking the API key or signing out ends the console session at once', async () => {
    const p1 = stack.demo.partners[1]!;
    const admin = stack.demo.partners[0]!.apiKeys.admin_agent;
    const prefix = /^csp_([a-f0-9]{16})_/.exec(admin)![1]!;
    const { createApiKey, revokeApiKey } = await import('../../db/api-keys.ts');
    const agentRow = await stack.database.db.apiKey.findUniqueOrThrow({ where: { prefix } });
    const fresh = await createApiKey(stack.database.db, agentRow.agentId, { label: 'console-revocation' });
    const { agent } = await agentSignedIn(fresh);
    assert.equal((await agent.get('/console/customers')).status, 200);
    // Another partner's customer is as unknown in the console as in the API.
    assert.equal((await agent.get(`/console/customers/${p1.customers[0]!.id}`)).status, 404);
    await revokeApiKey(stack.database.db, /^csp_([a-f0-9]{16})_/.exec(fresh)![1]!);
    const after = await agent.get('/console/customers');
    assert.equal(after.status, 303);
    assert.match(after.headers.location!, /^\/console\/sign-in\?next=/);

    const ops = await agentSignedIn(stack.demo.apiKeys.operations);
    const dashboard = await ops.agent.get('/console/operations');
    assert.equal(dashboard.status, 200);
    const out = await ops.agent.post('/console/sign-out').type('form').send({ _csrf: formToken(dashboard.text) });
    assert.equal(out.status, 303);
    assert.equal((await ops.agent.get('/console/operations')).status, 303);
  });
});
