import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { Page } from 'playwright-core';
import request from 'supertest';
import { screenshot } from '../helpers/browser.ts';
import { startConsole, type ConsoleHarness } from '../helpers/console.ts';
import { bearer, eventually, type Stack } from '../helpers/stack.ts';
import { startReceiver } from '../helpers/webhook-receiver.ts';

Runtime.install({ logger: new DefaultLogger('ERROR') });

/** The admin's Webhooks pages and operations' view of failing receivers, in headless Chromium. */
describe('console: webhooks (Chromium, dev server, PostgreSQL)', () => {
  let ui: ConsoleHarness;
  let stack: Stack;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const signedIn = (key: string, width?: number) => ui.signedIn(key, width);
  const accessible = (page: Page) => ui.accessible(page);

  before(async () => {
    ui = await startConsole('console_webhooks', { WEBHOOK_ALLOW_PRIVATE_URLS: 'true', WEBHOOK_RETRY_INITIAL_INTERVAL: '1s' });
    ({ stack } = ui);
    receiver = await startReceiver();
  });
  after(async () => {
    await receiver?.close();
    await ui?.close();
  });
  const fitsWidth = async (page: Page) => {
    // Wide tables scroll within themselves; nothing else may push the page past the screen.
    const wide = await page.evaluate(`(() => {
      if (document.documentElement.scrollWidth <= window.innerWidth) return [];
      return [...document.querySelectorAll('body *')]
        .filter((el) => {
          const fits = (x) => x.getBoundingClientRect().right <= window.innerWidth + 1;
          const table = el.parentElement && el.parentElement.closest('table');
          return !fits(el) && !(table && fits(table));
        })
        .map((el) => el.tagName + '.' + el.className + '#' + el.id).slice(0, 8);
    })()`);
    assert.deepEqual(wide, [], `${page.url()} is no wider than the screen`);
  };

  test('an admin adds an endpoint, sees its secret once, watches a delivery and redelivers it', async () => {
    const partner = stack.demo.partners[0]!;
    const page = await signedIn(partner.apiKeys.admin_agent);
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await page.waitForURL(/\/console\/webhooks$/);
    assert.match((await page.locator('main').textContent()) ?? '', /No endpoint yet/);
    await accessible(page);

    // A URL that is not http(s): the error is beside the field, in words, and focus goes to the list.
    await page.getByLabel('URL that receives the events').fill('ftp://erp.example.com/hooks');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    assert.match((await page.locator('#url-error').textContent()) ?? '', /must be an absolute https \(or http\) URL/);
    assert.equal(await page.getByLabel('URL that receives the events').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.evaluate('document.activeElement && document.activeElement.id'), 'form-errors');
    await accessible(page);
    assert.equal(await stack.database.db.webhookEndpoint.count(), 0, 'nothing was added');

    await page.getByLabel('URL that receives the events').fill(receiver.url);
    await page.getByLabel('Description (optional)').fill('ERP integration');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    await page.waitForURL(/\/console\/webhooks\/[0-9a-f-]{36}\?done=created/);
    const secret = ((await page.locator('#signing-secret').textContent()) ?? '').trim();
    assert.match(secret, /^whsec_/);
    receiver.secrets = [secret];
    await accessible(page);
    await screenshot(page, 'webhook-endpoint');
    await page.reload();
    assert.equal(await page.locator('#signing-secret').count(), 0, 'shown once: a reload does not show it again');

    const placed = await request(stack.app)
      .post(`/v1/customers/${partner.customers[0]!.id}/orders`)
      .set(bearer(partner.apiKeys.admin_agent))
      .send({ lineItems: [{ productId: 'sql-server-2022-standard', quantity: 1 }], paymentMethod: 'pm_card_declined' });
    await eventually(async () => receiver.events.length, (n) => n === 1, 30_000);
    assert.equal(receiver.events[0]!.data.orderId, placed.body.orderId);
    await page.reload();
    assert.match((await page.locator('#deliveries tbody').textContent()) ?? '', /order\.payment_failed.*delivered/s);
    await page.getByRole('button', { name: 'Redeliver' }).click();
    await page.waitForURL(/done=redelivered/);
    await eventually(async () => receiver.events.length, (n) => n === 2, 30_000);
    assert.equal(receiver.events[1]!.id, receiver.events[0]!.id);

    const phone = await signedIn(partner.apiKeys.admin_agent, 375);
    await phone.goto(new URL(page.url()).pathname);
    await fitsWidth(phone);
    await accessible(phone);
    await screenshot(phone, 'webhook-endpoint-375');
    await phone.goto('/console/webhooks');
    await fitsWidth(phone);

    // Deleting asks first; keeping it changes nothing.
    await page.getByRole('link', { name: 'Delete endpoint…' }).click();
    await accessible(page);
    await page.getByRole('link', { name: 'Keep it' }).click();
    assert.equal(await stack.database.db.webhookEndpoint.count(), 1);
    await page.getByRole('link', { name: 'Delete endpoint…' }).click();
    await page.getByRole('button', { name: 'Delete endpoint' }).click();
    await page.waitForURL(/\/console\/webhooks\?done=deleted/);
    assert.equal(await stack.database.db.webhookEndpoint.count(), 0);
    receiver.events.length = 0;
    const again = await request(stack.app).post('/v1/webhook-endpoints').set(bearer(partner.apiKeys.admin_agent)).send({ url: receiver.url, events: ['order.payment_failed'] });
    receiver.secrets = [again.body.secret];
  });

  test('operations sees a failing receiver and the backlog on the dashboard; a sales agent has no Webhooks page', async () => {
    receiver.mode = 'down';
    const partner = stack.demo.partners[0]!;
    await request(stack.app)
      .post(`/v1/customers/${partner.customers[0]!.id}/orders`)
      .set(bearer(partner.apiKeys.admin_agent))
      .send({ lineItems: [{ productId: 'sql-server-2022-standard', quantity: 1 }], paymentMethod: 'pm_card_declined' });
    await eventually(() => stack.database.db.webhookDelivery.findMany({ where: { status: 'pending', attempts: { gt: 0 } } }), (l) => l.length === 1, 30_000);
    const ops = await signedIn(stack.demo.apiKeys.operations);
    const failing = ops.locator('#failing-endpoints tbody');
    assert.match((await failing.textContent()) ?? '', new RegExp(`${partner.name}.*${receiver.url.replace(/[./]/g, '\\$&')}.*HTTP 503`, 's'));
    await accessible(ops);
    receiver.mode = 'ok';

    const sales = await signedIn(partner.apiKeys.sales_agent);
    assert.equal(await sales.getByRole('link', { name: 'Webhooks' }).count(), 0);
    const refused = await sales.goto('/console/webhooks');
    assert.equal(refused?.status(), 403);
    // The browser logs each page answered 4xx on purpose above (the refused form, the 403); nothing else.
    assert.deepEqual(ui.consoleErrors.filter((e) => !/status of (422|403)/.test(e)), []);
  });
});
