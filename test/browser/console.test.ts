import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Page } from 'playwright-core';
import { launchBrowser, type TestBrowser } from '../helpers/browser.ts';
import { startConsoleApp } from '../integration/http-console-app.ts';

/**
 * The console page in a real browser. `startApp` is the one place that decides which app runs:
 * today the HTTP server with the echo engine; swap it for the full app (alice requests, bob
 * approves) without touching the steps below.
 */
const startApp = async (): Promise<{ baseUrl: string; close(): Promise<void> }> => startConsoleApp();

jest.setTimeout(60_000);

const openAs = async (browser: TestBrowser, baseUrl: string, user: string): Promise<Page> => {
  const page = await browser.newPage();
  await page.goto(`${baseUrl}/?user=${user}`);
  await page.locator(`#user-select option[value="${user}"]`).waitFor({ state: 'attached' });
  expect(await page.locator('#user-select').inputValue()).toBe(user);
  return page;
};

const send = async (page: Page, text: string): Promise<void> => {
  await page.getByLabel('Message to DevOps Agent').fill(text);
  await page.getByRole('button', { name: 'Send' }).click();
};

/** The last message of the log whose text contains `text`. */
const message = (page: Page, text: string) => page.getByTestId('message').filter({ hasText: text }).last();

describe('web console', () => {
  let app: { baseUrl: string; close(): Promise<void> };
  let browser: TestBrowser;
  beforeAll(async () => {
    app = await startApp();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('sends a message, renders every block of the reply, and runs a button', async () => {
    const page = await openAs(browser, app.baseUrl, 'alice');
    expect(await page.getByTestId('user-role').textContent()).toBe('operator');
    await send(page, 'list instances');

    const card = page.getByTestId('message').filter({ has: page.locator('[data-block="header"]', { hasText: 'Echo' }) }).last();
    await card.waitFor();
    expect(await card.getAttribute('data-author')).toBe('bot');
    expect(await card.locator('[data-block="text"] strong').textContent()).toBe('list instances');
    expect(await card.locator('[data-block="text"] code').textContent()).toBe('#ops');
    expect(await card.locator('[data-block="fields"] dt').allTextContents()).toEqual(['User', 'Length']);
    expect(await card.locator('table th').allTextContents()).toEqual(['word', 'letters']);
    expect(await card.locator('table tbody tr').count()).toBe(2);
    expect(await card.getByTestId('sandbox-badge').isVisible()).toBe(true);
    expect(await card.locator('[data-block="context"]').textContent()).toBe('echo engine · test double');
    await page.locator('[data-testid="message"][data-author="alice"]').filter({ hasText: 'list instances' }).waitFor();

    await page.screenshot({ path: '/tmp/console.png', fullPage: true });

    await card.getByRole('button', { name: 'Confirm' }).click();
    await message(page, 'Alice chose echo.confirm on "list instances"').waitFor();
  });

  it('shows user text literally, never as markup', async () => {
    const page = await openAs(browser, app.baseUrl, 'dave');
    const hostile = '<img src=x onerror="window.pwned=1"> *not bold* `x`';
    await send(page, hostile);
    const own = page.locator('[data-author="dave"]').filter({ hasText: '<img src=x' }).last();
    await own.waitFor();
    expect(await own.locator('.content').textContent()).toBe(hostile);
    expect(await page.locator('#log img').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { pwned?: number }).pwned)).toBeUndefined();
  });

  it('shows an ephemeral reply to its user only, and others see the shared log', async () => {
    const alice = await openAs(browser, app.baseUrl, 'alice');
    const bob = await openAs(browser, app.baseUrl, 'bob');
    await send(alice, 'secret rotate-keys');
    await message(alice, 'Only you can see this: rotate-keys').getByTestId('ephemeral-badge').waitFor();
    await send(alice, 'after the secret');
    // Bob's page has caught up past the secret once the later message shows up.
    await bob.getByTestId('message').filter({ has: bob.locator('[data-block="text"] strong', { hasText: 'after the secret' }) }).waitFor();
    expect(await bob.getByText('Only you can see this').count()).toBe(0);
    expect(await bob.locator('[data-author="alice"]').filter({ hasText: 'secret rotate-keys' }).count()).toBe(1);
  });
});
