import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { Page } from 'playwright-core';
import { screenshot } from '../helpers/browser.ts';
import { startConsole, type ConsoleHarness } from '../helpers/console.ts';
import { seedListRows, type ListRows } from '../helpers/list-rows.ts';
import type { Stack } from '../helpers/stack.ts';

Runtime.install({ logger: new DefaultLogger('ERROR') });

const rowIds = (page: Page, attribute: string) => page.locator(`tbody tr[${attribute}]`).evaluateAll((rows, a) => rows.map((r) => r.getAttribute(a)!), attribute);
const fitsWidth = (page: Page) => page.evaluate<boolean>('document.documentElement.scrollWidth <= window.innerWidth');

/** The console's long lists: sorted by any column, paged, at 1280 and 375 px, in headless Chromium. */
describe('console: sorted and paged lists (Chromium, dev server, PostgreSQL)', () => {
  let ui: ConsoleHarness;
  let stack: Stack;
  let rows: ListRows;

  before(async () => {
    ui = await startConsole('console_lists');
    stack = ui.stack;
    // More than a console page (50): the rest must be a "Next page" away. Stuck for 3 hours.
    rows = await seedListRows(stack, 57, { prefix: 'lists', stuckHoursAgo: 3 });
  });
  after(async () => ui?.close());

  test('support sorts the queue by any column, both ways, and pages through it without losing a case', async () => {
    const support = await ui.signedIn(stack.demo.apiKeys.support_engineer);
    await support.goto('/console/refund-cases');
    assert.match((await support.locator('#case-queue caption').textContent()) ?? '', /^50 cases on this page, oldest first$/);
    assert.equal(await support.getByRole('columnheader', { name: /Filed/ }).getAttribute('aria-sort'), 'ascending');

    // A header sorts by its column; again, the other way. Filters stay.
    await support.goto('/console/refund-cases?status=submitted');
    await support.getByRole('link', { name: /^Amount requested/ }).click();
    await support.waitForURL(/sort=amountRequested/);
    assert.match(support.url(), /status=submitted/);
    assert.equal(await support.getByRole('columnheader', { name: /Amount requested/ }).getAttribute('aria-sort'), 'ascending');
    const amounts = async () => (await support.locator('#case-queue tbody td.num').allTextContents()).map((t) => Number.parseFloat(t));
    const up = await amounts();
    assert.ok(up.length > 1 && up.every((a, i) => i === 0 || up[i - 1]! <= a), `ascending: ${up.join(', ')}`);
    await support.getByRole('link', { name: /^Amount requested/ }).click();
    await support.waitForURL(/sort=-amountRequested/);
    const down = await amounts();
    assert.deepEqual(down, [...up].sort((a, b) => b - a));
    assert.match((await support.locator('#case-queue caption').textContent()) ?? '', /by amount requested, descending/);

    // Sorted by customer, all 57 cases over two pages, none twice.
    await support.goto('/console/refund-cases?sort=-customer');
    const first = await rowIds(support, 'data-case-id');
    assert.equal(first.length, 50);
    const domains = await support.locator('#case-queue tbody tr td:nth-child(3)').allTextContents();
    assert.deepEqual(domains, [...domains].sort().reverse(), 'customer domains, descending');
    await ui.accessible(support);
    await screenshot(support, 'queue-sorted-1280');
    await support.getByRole('link', { name: 'Next page' }).click();
    await support.waitForURL(/cursor=/);
    const second = await rowIds(support, 'data-case-id');
    assert.deepEqual([...first, ...second].sort(), [...rows.caseIds].sort(), 'every case once');
    assert.match((await support.locator('.pager').textContent()) ?? '', /First page.*Last page/s);
    // A page link kept from another sort is not followed blindly: the first page, said so.
    const stale = support.url().replace('sort=-customer', 'sort=title');
    await support.goto(stale);
    assert.match((await support.locator('.notice.error').textContent()) ?? '', /does not belong to this list any more/);
    assert.equal((await rowIds(support, 'data-case-id')).length, 50);

    // A wrong filter is said and left out; the valid filters and the sort stay.
    const wrongFilter = await support.goto('/console/refund-cases?olderThanHours=-5&sort=-amountRequested&colour=red');
    assert.equal(wrongFilter?.status(), 422);
    assert.match((await support.locator('.notice.error').textContent()) ?? '', /left out: olderThanHours .*colour/);
    assert.match((await support.locator('#case-queue caption').textContent()) ?? '', /by amount requested, descending$/);

    // Every time says its age beside its UTC time.
    assert.match((await support.locator('#case-queue tbody tr td').nth(6).textContent()) ?? '', /\d{4}-\d\d-\d\d \d\d:\d\d UTC \((\d+ (minutes?|hours?) ago|just now)\)/);

    const phone = await ui.signedIn(stack.demo.apiKeys.support_engineer, 375);
    await phone.goto('/console/refund-cases?sort=-amountRequested');
    assert.ok(await fitsWidth(phone), 'the queue fits 375 px; its table scrolls in its box');
    await ui.accessible(phone);
    await screenshot(phone, 'queue-sorted-375');
  });

  test('operations opens every stuck order and every expiring link from the dashboard, sorted and paged', async () => {
    const { db } = stack.database;
    // Twelve windows closing within the day: more than the dashboard's ten.
    const variant = await db.productVariant.findFirstOrThrow();
    for (let i = 0; i < 12; i++) {
      await db.downloadLink.create({
        data: { id: randomUUID(), subscriptionId: rows.subscriptionIds[i]!, variantId: variant.id, tokenHash: `lists-${i}`, workflowId: `lists-link-${i}`, status: 'active', maxDownloads: 50, expiresAt: new Date(Date.now() + (i + 1) * 3600_000) },
      });
    }
    const ops = await ui.signedIn(stack.demo.apiKeys.operations);
    await ops.goto('/console/operations');
    const stuck = ops.locator('section[aria-labelledby="stuck-h"]');
    assert.match((await stuck.locator('caption').textContent()) ?? '', /The 10 oldest of 57 stuck orders\. See all 57/);
    assert.equal(await ops.locator('#stuck-count').textContent(), '57', 'the card counts them all, not one page');
    assert.match((await ops.locator('#expiring-links caption').textContent()) ?? '', /The 10 soonest of 12 links/);

    // The small tables sort in the page: orders by status, by count.
    await ops.locator('#orders-by-status').getByRole('button', { name: 'Orders' }).click();
    const counts = (await ops.locator('#orders-by-status tbody td').allTextContents()).map(Number);
    assert.deepEqual(counts, [...counts].sort((a, b) => a - b));
    assert.equal(await ops.locator('#orders-by-status th').nth(1).getAttribute('aria-sort'), 'ascending');
    await ui.accessible(ops);

    await stuck.getByRole('link', { name: 'See all 57' }).click();
    await ops.waitForURL(/\/console\/operations\/orders\?stuck=true/);
    assert.equal((await rowIds(ops, 'data-order-id')).length, 50);
    await ops.getByRole('link', { name: /^Total/ }).click();
    await ops.waitForURL(/sort=totalAmount/);
    assert.match(ops.url(), /stuck=true/, 'the list stays the stuck one');
    const totals = (await ops.locator('tbody td.num').allTextContents()).map((t) => Number.parseFloat(t));
    assert.ok(totals.every((t, i) => i === 0 || totals[i - 1]! <= t), `ascending totals: ${totals.join(', ')}`);
    const page1 = await rowIds(ops, 'data-order-id');
    await ops.getByRole('link', { name: 'Next page' }).click();
    await ops.waitForURL(/cursor=/);
    assert.deepEqual([...page1, ...(await rowIds(ops, 'data-order-id'))].sort(), [...rows.orderIds].sort());
    await ui.accessible(ops);
    await screenshot(ops, 'stuck-orders-sorted');

    await ops.goto('/console/operations');
    await ops.locator('#expiring-links').getByRole('link', { name: 'See all 12' }).click();
    await ops.waitForURL(/\/console\/operations\/links/);
    assert.equal((await rowIds(ops, 'data-link-id')).length, 12);
    await ops.getByRole('link', { name: /^Expires/ }).click();
    await ops.waitForURL(/sort=-expiresAt/);
    const expires = await ops.locator('tbody time').evaluateAll((ts) => ts.map((t) => t.getAttribute('datetime')!));
    assert.deepEqual(expires, [...expires].sort().reverse(), 'latest first');
    assert.match((await ops.locator('tbody tr td').nth(1).textContent()) ?? '', /in \d+ hours/);

    const phone = await ui.signedIn(stack.demo.apiKeys.operations, 375);
    for (const path of ['/console/operations', '/console/operations/orders?stuck=true&sort=-totalAmount', '/console/operations/links']) {
      await phone.goto(path);
      assert.ok(await fitsWidth(phone), `${path} fits 375 px`);
      await ui.accessible(phone);
    }
    await screenshot(phone, 'stuck-orders-375');
    // The one 422 is the page asked with a wrong filter on purpose; nothing else may log an error.
    assert.deepEqual(ui.consoleErrors.filter((e) => !/colour=red: .*status of 422/.test(e)), []);
  });
});
