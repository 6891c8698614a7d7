import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { reportProgress } from '../../src/chat/progress.ts';
import type { Turn } from '../../src/chat/interaction.ts';
import { launchBrowser, type TestBrowser } from '../helpers/browser.ts';
import { consolePages, messages, screenshot, send } from '../helpers/console-page.ts';
import { startConsoleApp, type ConsoleTestApp } from '../integration/http-console-app.ts';

/**
 * A turn's progress on the console page, in a real browser: the console API over the echo engine,
 * whose turns run a script that reports steps and waits on promises this test resolves, so the
 * page is looked at while the turn is at a known step.
 */
jest.setTimeout(90_000);

type Script = (turn: Turn) => Promise<void>;
const scripts = new Map<string, Script>();

let app: ConsoleTestApp | undefined;
let browser: TestBrowser | undefined;
let pages: ReturnType<typeof consolePages> | undefined;

beforeAll(async () => {
  app = await startConsoleApp({}, { duringTurn: (turn) => scripts.get(turn.text)?.(turn) ?? Promise.resolve() });
  browser = await launchBrowser();
  pages = consolePages(browser, app.baseUrl);
}, 60_000);
afterEach(async () => {
  await pages?.closeAll();
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

describe('console: a turn in flight', () => {
  it('shows "Working on it…", then each step as text, then the answer in its place', async () => {
    const entered = Promise.withResolvers<void>();
    const gates = [0, 1, 2].map(() => Promise.withResolvers<void>());
    const hostile = 'writing: <b id="injected">12 instances</b> *not bold*';
    scripts.set('how many instances?', async () => {
      entered.resolve();
      await gates[0]!.promise;
      reportProgress('looking at the inventory…');
      await gates[1]!.promise;
      reportProgress(hostile);
      await gates[2]!.promise;
    });

    const page = await pages!.openAs('alice');
    const answered = send(page, 'how many instances?');
    await entered.promise;
    const working = page.getByTestId('working');
    const step = working.getByTestId('working-text');
    await working.waitFor();
    expect(await working.getAttribute('aria-live')).toBe('polite');
    expect(await working.getAttribute('class')).toContain('message-bot');
    expect(await step.textContent()).toBe('Working on it…');
    // The polls of the turn in flight bring the user's own message; it goes above the working line.
    await messages(page, 'how many instances?').waitFor();
    const lastItem = async () => page.locator('#log > li').last().getAttribute('data-testid');
    expect(await lastItem()).toBe('working');

    gates[0]!.resolve();
    await working.filter({ hasText: 'looking at the inventory…' }).waitFor();
    await screenshot(page, 'console-progress');

    gates[1]!.resolve();
    await working.filter({ hasText: '<b id="injected">' }).waitFor();
    expect(await step.textContent()).toBe(hostile);
    expect(await page.locator('#injected').count()).toBe(0);
    expect(await lastItem()).toBe('working');

    gates[2]!.resolve();
    const [reply] = await answered;
    expect(reply?.text).toBeDefined();
    await working.waitFor({ state: 'detached' });
    const answer = page
      .locator('[data-testid="message"][data-author="bot"]')
      .filter({ has: page.locator('[data-block="text"]', { hasText: 'You said how many instances?' }) });
    await answer.waitFor();
    expect(await answer.locator('[data-block="header"]').textContent()).toBe('Echo');
    expect(await page.locator('#log > li').last().getAttribute('data-message-id')).toBe(
      await answer.getAttribute('data-message-id'),
    );
  });

  it('removes the working line and says why when the turn fails', async () => {
    const entered = Promise.withResolvers<void>();
    const fail = Promise.withResolvers<void>();
    scripts.set('break it', async () => {
      entered.resolve();
      await fail.promise;
      throw new Error('the planner gave up');
    });
    const page = await pages!.openAs('bob');
    const answered = send(page, 'break it');
    await entered.promise;
    await page.getByTestId('working').waitFor();

    fail.resolve();
    await expect(answered).rejects.toThrow('turn "break it" → 500 internal error');
    await page.getByTestId('working').waitFor({ state: 'detached' });
    await page.getByTestId('status').filter({ hasText: 'internal error' }).waitFor();
    // The text is back in the composer, to send again.
    expect(await page.getByLabel('Message to DevOps Agent').inputValue()).toBe('break it');
  });
});
