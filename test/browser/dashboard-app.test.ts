import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Page } from 'playwright-core';
import { startTestApp, turn, type TestApp } from '../helpers/app.ts';
import { launchBrowser, type TestBrowser } from '../helpers/browser.ts';
import { screenshot } from '../helpers/console-page.ts';
import { decision, seriousAxeViolations } from '../helpers/dashboard-page.ts';

/**
 * The dashboard of the whole app in Chromium: the real sign-in (the console's users), the real
 * views over the sandbox inventory and the app's records, approving from the page. The generic
 * page behaviour (sorting, paging, keyboard, phone, live, no script) is in dashboard.test.ts.
 */
jest.setTimeout(120_000);

let app: TestApp;
let browser: TestBrowser;

beforeAll(async () => {
  app = await startTestApp();
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

/** A fresh browser context signed in as `user` through the sign-in page, on `path`. */
const signedIn = async (user: string, path: string): Promise<Page> => {
  const context = await browser.context.browser()!.newContext();
  const page = await context.newPage();
  await page.goto(`${app.url}${path}`);
  // Not signed in: the sign-in page, which brings us back to `path` afterwards.
  expect(new URL(page.url()).pathname).toBe('/auth/sign-in');
  await page.getByLabel('Console user').selectOption(user);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((u) => `${u.pathname}${u.search}` === path);
  return page;
};

const rowOf = (page: Page, id: string) => page.locator(`tr[data-row="${id}"]`);

describe('dashboard of the app', () => {
  it('signs in, shows the overview over the sandbox with no serious accessibility violation', async () => {
    const page = await signedIn('alice', '/dashboard');
    await page.getByRole('heading', { level: 1 }).first().waitFor();
    expect(await page.locator('main').innerText()).toMatch(/resources/i);
    expect(await seriousAxeViolations(page)).toEqual([]);
    await screenshot(page, 'dashboard-app-overview');
    await page.goto(`${app.url}/dashboard/inventory?provider=aws`);
    expect(await page.locator('tr[data-row]').count()).toBeGreaterThan(0);
    expect(await seriousAxeViolations(page)).toEqual([]);
    await screenshot(page, 'dashboard-app-inventory');
  });

  it('Bob approves a change from the page; Dave, a viewer, sees no buttons', async () => {
    const [card] = await turn(app, 'alice', 'reboot web-prod-1');
    const id = card!.changeId!;

    const dave = await signedIn('dave', '/dashboard/approvals');
    await rowOf(dave, id).waitFor();
    expect(await rowOf(dave, id).getByRole('button').count()).toBe(0);

    const bob = await signedIn('bob', '/dashboard/approvals');
    const row = rowOf(bob, id);
    await row.waitFor();
    await screenshot(bob, 'dashboard-app-approvals');
    const answer = await decision(bob, () => row.getByRole('button', { name: `Approve ${id}` }).click());
    expect(answer.status).toBe(200);
    expect(answer.text).toMatch(new RegExp(`You approved ${id}`));
    await row.waitFor({ state: 'detached' });
  });
});
