import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Page } from 'playwright-core';
import { startTestApp, turn, type TestApp } from '../helpers/app.ts';
import { launchBrowser, type TestBrowser } from '../helpers/browser.ts';

/**
 * The console page kept current by the live stream (/console/api/events) instead of polling, in a
 * real browser against the whole app. The page's clock is Playwright's and is paused: its timers
 * (the polling) run only when the test advances them, so a message that shows up while the clock
 * stands still came through the stream, and one that needs the clock advanced came by polling.
 */
jest.setTimeout(90_000);

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
}, 60_000);
afterAll(async () => {
  await app?.stop();
});

/** A fresh browser with a fake clock (installed on its context), and alice's page counting its log reads. */
const openAlice = async (before?: (page: Page) => Promise<void>) => {
  const browser: TestBrowser = await launchBrowser();
  await browser.context.clock.install();
  const page = await browser.newPage();
  const reads: string[] = [];
  page.on('request', (r) => {
    if (new URL(r.url()).pathname === '/console/api/messages') reads.push(r.url());
  });
  await before?.(page);
  await page.goto(`${app.url}/?user=alice`);
  await page.locator('#user-select option[value="alice"]').waitFor({ state: 'attached' });
  return { browser, page, reads };
};

/** bob's own message saying `text` in the page's log. */
const fromBob = (page: Page, text: string) =>
  page.locator('[data-testid="message"][data-author="bob"]', { hasText: text });

/** Stops the page's clock where it is: from now on its timers fire only when the test runs them. */
const pauseClock = async (page: Page) => {
  const now = await page.evaluate(() => Date.now());
  await page.clock.pauseAt(now + 1_000);
};

/** A round trip from the page: requests it started before this one have been seen by now. */
const settle = (page: Page) => page.evaluate(async () => (await fetch('/healthz')).status);

const eventsRoute = '**/console/api/events?*';

describe('console: live updates', () => {
  it("shows someone else's message as it is stored, with no polling at all", async () => {
    const { browser, page, reads } = await openAlice();
    try {
      await page.locator('#log[data-live="on"]').waitFor({ state: 'attached' });
      await pauseClock(page);
      // Twenty seconds of the page's time pass: no timed poll while the stream is open.
      await page.clock.runFor(10_000);
      await settle(page);
      const before = reads.length;
      await page.clock.runFor(10_000);
      await settle(page);
      expect(reads.length).toBe(before);

      // bob talks in #ops (through the API, as another browser would); the clock stands still.
      await turn(app, 'bob', 'list instances live-1');
      await fromBob(page, 'list instances live-1').waitFor();
      // Fetched because of the stream's notices (one per message stored), not on a timer.
      expect(reads.length).toBeGreaterThan(before);
      expect(reads.length - before).toBeLessThanOrEqual(4);
      expect(reads.slice(before).every((u) => new URL(u).searchParams.has('since'))).toBe(true);
    } finally {
      await browser.close();
    }
  });

  it('falls back to polling while the events route is unavailable, and goes live again when it is back', async () => {
    let eventsRefused = 0;
    let refused: Promise<unknown> = Promise.resolve();
    const { browser, page, reads } = await openAlice(async (p) => {
      await p.route(eventsRoute, (route) => {
        eventsRefused++;
        return route.fulfill({ status: 503, contentType: 'text/plain', body: 'unavailable' });
      });
      refused = p.waitForResponse((r) => new URL(r.url()).pathname === '/console/api/events');
    });
    try {
      await refused;
      await pauseClock(page);
      expect(await page.locator('#log').getAttribute('data-live')).toBe('off');

      await turn(app, 'bob', 'list instances fallback-1');
      await settle(page);
      // No stream and the clock stands still: nothing brings it yet.
      expect(await fromBob(page, 'list instances fallback-1').count()).toBe(0);
      const before = reads.length;
      // Polling: the page's next timed read (one second) brings it.
      await page.clock.runFor(1_100);
      await fromBob(page, 'list instances fallback-1').waitFor();
      expect(reads.length).toBeGreaterThan(before);
      expect(eventsRefused).toBeGreaterThan(0);

      // The route is back: the page opens the stream again after its pause (30 s at most), and
      // stops polling.
      await page.unroute(eventsRoute);
      await page.clock.runFor(30_000);
      await page.locator('#log[data-live="on"]').waitFor({ state: 'attached' });
      await settle(page);
      const live = reads.length;
      await page.clock.runFor(10_000);
      await settle(page);
      expect(reads.length).toBe(live);
      await turn(app, 'bob', 'list instances fallback-2');
      await fromBob(page, 'list instances fallback-2').waitFor();
    } finally {
      await browser.close();
    }
  });
});
