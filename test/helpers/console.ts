import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { accessibilityProblems, launchChromium } from './browser.ts';
import { startStack, type Stack } from './stack.ts';

/**
 * The console's browser tests: the real stack served on a local port, Debian's Chromium, and
 * signed-in browser profiles (axe needs CSP bypassed to inject its script).
 */
export async function startConsole(label: string, env: Record<string, string> = {}) {
  const stack: Stack = await startStack(label, env);
  const server: Server = stack.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const address = server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const browser: Browser = await launchChromium();
  const contexts: BrowserContext[] = [];
  const consoleErrors: string[] = [];
  return {
    stack,
    base,
    browser,
    /** What the browser logged as errors on any page of any profile (a page answered 4xx on purpose logs one too). */
    consoleErrors,
    /** A fresh browser profile signed in with `key`, `width` pixels wide. */
    async signedIn(key: string, width = 1280): Promise<Page> {
      const context = await browser.newContext({ baseURL: base, bypassCSP: true, viewport: { width, height: 900 } });
      contexts.push(context);
      const page = await context.newPage();
      page.on('console', (m) => m.type() === 'error' && consoleErrors.push(`${page.url()}: ${m.text()}`));
      await page.goto('/console/sign-in');
      await page.getByLabel('API key').fill(key);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL((url) => !url.pathname.startsWith('/console/sign-in'));
      return page;
    },
    async accessible(page: Page): Promise<void> {
      assert.deepEqual(await accessibilityProblems(page), [], `accessibility of ${page.url()}`);
    },
    async close(): Promise<void> {
      for (const c of contexts) await c.close();
      await browser.close();
      await new Promise((resolve) => server.close(resolve));
      await stack.close();
    },
  };
}
export type ConsoleHarness = Awaited<ReturnType<typeof startConsole>>;
