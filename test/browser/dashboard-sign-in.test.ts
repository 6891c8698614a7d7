import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Page } from 'playwright-core';
import { sessionCookieName } from '../../src/surfaces/dashboard/auth/web-auth.ts';
import { launchBrowser, type TestBrowser } from '../helpers/browser.ts';
import { screenshot } from '../helpers/console-page.ts';
import { createTestStore, testStoreTimeoutMs, type TestStore } from '../helpers/db.ts';
import { startFakeOidc, type FakeOidc } from '../fakes/oidc/index.ts';
import {
  consoleUsers,
  roleOf,
  seedConsole,
  startAuthApp,
  testClock,
  type AuthTestApp,
} from '../integration/dashboard-auth-app.ts';

/**
 * The sign-in pages in Chromium on a phone-sized screen: the console form by keyboard alone, and
 * Sign in with Slack through the OpenID fake. The app is addressed as `localhost` and the provider
 * as `127.0.0.1`, two different sites, so the callback is the cross-site top-level navigation it
 * is in production and the SameSite=Lax cookies are tested for real. No page may break its CSP.
 */
jest.setTimeout(90_000);

const consoleToken = 'a-console-token-of-32-characters';
let store: TestStore;
let app: AuthTestApp;
let slack: FakeOidc;
let browser: TestBrowser;
const clock = testClock();
const redirects: string[] = [];
const cspErrors: string[] = [];

const watch = (page: Page): Page => {
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) cspErrors.push(m.text());
  });
  return page;
};

beforeAll(async () => {
  store = await createTestStore();
  await seedConsole(store);
  slack = await startFakeOidc({
    preset: 'slack',
    clientId: 'slack-client',
    clientSecret: 'slack-secret',
    redirectUris: redirects,
    user: { teamId: 'T0001', userId: 'U0001', name: 'Sam Slack' },
  });
  app = await startAuthApp(store, (balancer) => ({
    publicUrl: balancer.replace('127.0.0.1', 'localhost'),
    clock: clock.now,
    roleOf: roleOf(store, clock.now),
    console: { token: consoleToken, users: consoleUsers(store) },
    slack: { clientId: 'slack-client', clientSecret: 'slack-secret', issuer: slack.url, teamAllowed: () => true },
  }));
  redirects.push(`${app.url.replace('127.0.0.1', 'localhost')}/auth/slack/callback`);
  browser = await launchBrowser({ viewport: { width: 390, height: 844 } });
}, testStoreTimeoutMs);
afterAll(async () => {
  await browser?.close();
  await app?.close();
  await slack?.stop();
  await store?.dispose();
});

const local = (path: string): string => `${app.url.replace('127.0.0.1', 'localhost')}${path}`;

describe('dashboard sign-in in a browser', () => {
  it('signs in with the console form by keyboard alone, on a phone, back to the page asked for', async () => {
    const page = watch(await browser.newPage());
    await page.goto(local('/dashboard/probe?view=costs'));
    expect(new URL(page.url()).pathname).toBe('/auth/sign-in');
    // Fits the screen: nothing wider than the viewport.
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await screenshot(page, 'dashboard-sign-in-phone');
    await page.keyboard.press('Tab'); // Slack
    expect(await page.locator(':focus').textContent()).toBe('Sign in with Slack');
    await page.keyboard.press('Tab'); // the user select
    expect(await page.locator(':focus').getAttribute('id')).toBe('user');
    await page.keyboard.type('Bob');
    await page.keyboard.press('Tab'); // the token
    expect(await page.locator(':focus').getAttribute('id')).toBe('token');
    await page.keyboard.type('not-the-token-not-the-token');
    await page.keyboard.press('Enter');
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toBe('Wrong console token.');
    expect(await page.locator('#user').inputValue()).toBe('bob');
    await page.locator('#token').focus();
    await page.keyboard.type(consoleToken);
    await page.keyboard.press('Enter');
    await page.waitForURL(local('/dashboard/probe?view=costs'));
    expect(await page.textContent('p')).toBe('console:console:bob approver via console');
    const cookie = (await browser.context.cookies(local('/'))).find((c) => c.name === sessionCookieName)!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    await page.close();
  });

  it('signs in with Slack across sites (Lax cookies through the provider round trip)', async () => {
    await browser.context.clearCookies();
    const page = watch(await browser.newPage());
    await page.goto(local('/auth/sign-in?next=%2Fdashboard%2Fprobe'));
    await page.getByRole('link', { name: 'Sign in with Slack' }).click();
    await page.waitForURL(local('/dashboard/probe'));
    expect(await page.textContent('p')).toBe('slack:T0001:U0001 viewer via slack');
    expect(slack.requests.filter((r) => r.path === '/openid/connect/authorize')).toHaveLength(1);
    await page.close();
  });

  it('shows a refused sign-in as a page with a way back', async () => {
    slack.refuseNext('access_denied');
    const page = watch(await browser.newPage());
    await page.goto(local('/auth/slack/start?next=%2Fdashboard%2Fprobe'));
    expect(await page.getByRole('alert').textContent()).toBe('Slack did not sign you in: access_denied.');
    await screenshot(page, 'dashboard-sign-in-refused');
    await page.getByRole('link', { name: 'Try again' }).click();
    expect(new URL(page.url()).pathname).toBe('/auth/sign-in');
    await page.close();
  });

  it('broke no content security policy', () => {
    expect(cspErrors).toEqual([]);
  });
});
