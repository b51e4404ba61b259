import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { Page } from 'playwright-core';
import request from 'supertest';
import { signPaymentWebhook } from '../../api/services/payments.ts';
import { LocalPaymentProvider } from '../../providers/payments.ts';
import { screenshot } from '../helpers/browser.ts';
import { startConsole, type ConsoleHarness } from '../helpers/console.ts';
import { activeOrder, bearer, cancellationTicket, eventually, type Stack } from '../helpers/stack.ts';

Runtime.install({ logger: new DefaultLogger('ERROR') });

/** A customer's order history and an order's page that follows it while in flight, in headless Chromium. */
describe('console: orders (Chromium, dev server, PostgreSQL)', () => {
  let ui: ConsoleHarness;
  let stack: Stack;
  let base: string;
  const signedIn = (key: string, width?: number) => ui.signedIn(key, width);
  const accessible = (page: Page) => ui.accessible(page);

  before(async () => {
    ui = await startConsole('console_orders');
    ({ stack, base } = ui);
  });
  after(async () => {
    await ui?.close();
  });
  const place = (key: string, customerId: string, paymentMethod: string) =>
    request(stack.app).post(`/v1/customers/${customerId}/orders`).set(bearer(key)).send({ lineItems: [{ productId: 'sql-server-2022-standard', quantity: 2 }], paymentMethod });

  test('an order page follows the order from awaiting payment to active without a reload, then stops', async () => {
    const partner = stack.demo.partners[0]!;
    const customer = partner.customers[0]!;
    const placed = await place(partner.apiKeys.sales_agent, customer.id, 'pm_async');
    const orderId = placed.body.orderId as string;
    const order = await eventually(() => stack.database.db.order.findUniqueOrThrow({ where: { id: orderId } }), (o) => o.paymentId !== null);

    const page = await signedIn(partner.apiKeys.sales_agent);
    await page.goto(`/console/orders/${orderId}`);
    assert.match((await page.locator('#order-status').textContent()) ?? '', /awaiting payment.*updates by itself/);
    assert.match((await page.locator('main').textContent()) ?? '', /2 × |SQL Server 2022 Standard/);
    await accessible(page);
    await page.evaluate('window.__samePage = true');

    // The provider confirms the payment; the page sees the order become active by itself.
    const event = await new LocalPaymentProvider(stack.database.db).settle(order.paymentId!, 'payment.succeeded');
    const body = JSON.stringify({ eventId: event.eventId, orderId, type: event.type });
    await request(stack.app).post('/v1/payments/webhook').set('Content-Type', 'application/json').set('Payment-Signature', signPaymentWebhook(stack.secrets.paymentWebhook, body)).send(body).expect(200);
    await page.locator('#order-status', { hasText: 'active' }).waitFor({ timeout: 30_000 });
    assert.equal(await page.evaluate('window.__samePage'), true, 'no reload');
    assert.equal(await page.locator('#order-live').getAttribute('data-settled'), 'true', 'settled: it stops asking');
    assert.match((await page.locator('ol.timeline').textContent()) ?? '', /active/);
    await accessible(page);
    await screenshot(page, 'order-active');
  });

  test('a customer’s order history lists every status with its reason, filters by status, and says when a filter is wrong', async () => {
    const partner = stack.demo.partners[0]!;
    const customer = partner.customers[1]!;
    const declined = (await place(partner.apiKeys.admin_agent, customer.id, 'pm_card_declined')).body.orderId as string;
    const ok = (await place(partner.apiKeys.admin_agent, customer.id, 'pm_card_ok')).body.orderId as string;
    await eventually(() => stack.database.db.order.findMany({ where: { id: { in: [declined, ok] } } }), (os) => os.every((o) => o.status === 'payment_failed' || o.status === 'active'));

    const page = await signedIn(partner.apiKeys.admin_agent);
    await page.goto(`/console/customers/${customer.id}`);
    await page.getByRole('link', { name: 'Orders' }).click();
    await page.waitForURL(/\/orders$/);
    assert.match((await page.locator(`tr[data-order-id="${declined}"]`).textContent()) ?? '', /payment failed.*declined/is);
    assert.match((await page.locator(`tr[data-order-id="${ok}"]`).textContent()) ?? '', /active/);
    await accessible(page);
    await page.getByLabel('Status').selectOption('payment_failed');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForURL(/status=payment_failed/);
    assert.equal(await page.locator(`tr[data-order-id="${ok}"]`).count(), 0);
    assert.equal(await page.locator(`tr[data-order-id="${declined}"]`).count(), 1);

    const wrong = await page.goto(`/console/customers/${customer.id}/orders?status=shipped`);
    assert.equal(wrong?.status(), 422);
    assert.match((await page.locator('.notice.error').textContent()) ?? '', /“shipped” is not an order status/);

    const phone = await signedIn(partner.apiKeys.admin_agent, 375);
    await phone.goto(`/console/customers/${customer.id}/orders`);
    assert.ok(await phone.evaluate('document.documentElement.scrollWidth <= window.innerWidth'), 'no wider than a phone');
    await accessible(phone);
    // Another partner's order is not found.
    const other = await signedIn(stack.demo.partners[1]!.apiKeys.admin_agent);
    assert.equal((await other.goto(`/console/orders/${ok}`))?.status(), 404);
  });

  test('an agent adds a customer and buys for it in the console, and a double submit buys once', async () => {
    const partner = stack.demo.partners[0]!;
    const page = await signedIn(partner.apiKeys.sales_agent);
    await page.goto('/console/customers');
    await page.getByLabel(/^Domain/).fill('not a domain');
    await page.getByLabel('Company name').fill('Adventure Works');
    await page.getByRole('button', { name: 'Add customer' }).click();
    assert.equal(await page.getByLabel(/^Domain/).getAttribute('aria-invalid'), 'true');
    assert.ok(await page.locator('#domain-error').isVisible());
    assert.equal(await page.evaluate('document.activeElement && document.activeElement.id'), 'form-errors');
    await accessible(page);
    await page.getByLabel(/^Domain/).fill('adventure-works.example.com');
    await page.getByRole('button', { name: 'Add customer' }).click();
    await page.waitForURL(/\/console\/customers\/[0-9a-f-]{36}$/);
    const customerId = new URL(page.url()).pathname.split('/').pop()!;

    await page.getByRole('link', { name: 'Add products' }).click();
    const qty = page.getByLabel('SQL Server 2022 Standard');
    // Nothing chosen: said beside the products, nothing ordered.
    await page.getByRole('button', { name: 'Place order' }).click();
    assert.match((await page.locator('#products-error').textContent()) ?? '', /Choose at least one product/);
    await page.getByLabel('SQL Server 2022 Standard').fill('2');
    const unit = Number((await stack.database.db.product.findUniqueOrThrow({ where: { id: 'sql-server-2022-standard' } })).unitPrice);
    assert.equal((await page.locator('#order-total').textContent())?.trim(), `${(2 * unit).toFixed(2)} USD`);
    await page.getByLabel('Payment method').selectOption('pm_card_ok');
    await accessible(page);
    assert.equal(await qty.inputValue(), '2');

    // The same form sent twice (a double click, or a resubmit) places one order.
    const fields = await page.evaluate(`Object.fromEntries(new FormData(document.querySelector('form[data-total]')))`);
    const again = await page.request.post(`/console/customers/${customerId}/buy`, { form: fields as Record<string, string>, maxRedirects: 0 });
    await page.getByRole('button', { name: 'Place order' }).click();
    await page.waitForURL(/\/console\/orders\/[0-9a-f-]{36}\?done=placed/);
    assert.equal(again.status(), 303);
    assert.equal(new URL(again.headers()['location']!, base).pathname, new URL(page.url()).pathname);
    await page.locator('#order-status', { hasText: 'active' }).waitFor({ timeout: 30_000 });
    assert.equal(await stack.database.db.order.count({ where: { customerId } }), 1);
    assert.match((await page.locator('main').textContent()) ?? '', new RegExp(`${(2 * unit).toFixed(2)} USD`));
  });

  test('the admin sees on the item when support has asked for information about its cancellation', async () => {
    const partner = stack.demo.partners[0]!;
    const customer = partner.customers[0]!;
    const order = await activeOrder(stack, partner.apiKeys.admin_agent, customer.id, [{ productId: 'sql-server-2022-standard', quantity: 1 }]);
    const subscriptionId = order.subscriptions[0]!;
    const filed = await request(stack.app)
      .post(`/v1/customers/${customer.id}/software/${subscriptionId}/cancellation`)
      .set(bearer(partner.apiKeys.admin_agent))
      .send(cancellationTicket({ customer: { domain: customer.domain }, subscriptionId, title: 'Bought twice' }));
    const caseId = filed.body.refundCaseId as string;
    await eventually(() => stack.database.db.refundCase.findUniqueOrThrow({ where: { id: caseId } }), (c) => c.status === 'in_review');
    await request(stack.app).post(`/v1/refund-cases/${caseId}/decision`).set(bearer(stack.demo.apiKeys.support_engineer)).send({ decision: 'request_info', note: 'Which invoice?' }).expect(200);
    const page = await signedIn(partner.apiKeys.admin_agent);
    await page.goto(`/console/customers/${customer.id}/software/${subscriptionId}`);
    assert.match((await page.locator('section[aria-labelledby="case-h"]').textContent()) ?? '', /Bought twice.*info requested.*Support has asked for information/s);
    await page.getByRole('link', { name: 'Bought twice' }).click();
    await page.waitForURL(new RegExp(`/console/refund-cases/${caseId}$`));
    assert.ok(await page.getByRole('heading', { name: 'Answer the request for information' }).isVisible());
    await accessible(page);
    // The answer sent twice (a double click: the browser posts the same form again) is one comment.
    await page.getByLabel('Comment').fill('Invoice INV-2026-7');
    const posted = await page.evaluate<string[]>(`(async () => {
      const form = document.querySelector('form[action$="/comments"]');
      const send = () => fetch(form.getAttribute('action'), { method: 'POST', body: new URLSearchParams(new FormData(form)), redirect: 'manual' });
      return (await Promise.all([send(), send()])).map((r) => r.type);
    })()`);
    assert.deepEqual(posted, ['opaqueredirect', 'opaqueredirect'], `both answered with the redirect to the case: ${posted.join(', ')}`);
    const comments = await stack.database.db.refundCaseEvent.findMany({ where: { caseId, type: 'comment' } });
    assert.deepEqual(comments.map((c) => c.note), ['Invoice INV-2026-7']);
  });
});
