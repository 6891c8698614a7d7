import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll } from '@jest/globals';
import type { Locator, Page, Response } from 'playwright-core';
import { startTestApp, type ReplyLike, type TestApp } from './app.ts';
import { launchBrowser, type TestBrowser } from './browser.ts';

/**
 * Driving the web console as a person does, for the browser tests. Every step that asks the app
 * something (a message sent, a button or form submitted) also returns the replies the app answered
 * with, so a test reads the change id the app gave instead of assuming one.
 *
 * The pages of one browser are tabs of one window: a step first brings its page to the front, as
 * a person switching windows would. A background tab gets no animation frames, and Playwright waits
 * for frames before it clicks (about 2 s per click on a background tab).
 */

/**
 * One real app and one browser for a browser test file: registers the hooks that start them, close
 * each test's pages and stop both. Read `app` and `pages` inside tests.
 */
export const useConsoleApp = () => {
  let app: TestApp | undefined;
  let browser: TestBrowser | undefined;
  let pages: ReturnType<typeof consolePages> | undefined;
  beforeAll(async () => {
    app = await startTestApp();
    browser = await launchBrowser();
    pages = consolePages(browser, app.url);
  }, 60_000);
  afterEach(async () => {
    await pages?.closeAll();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });
  const started = <T>(v: T | undefined): T => {
    if (v === undefined) throw new Error('the console app is not started: use it inside a test');
    return v;
  };
  return {
    get app(): TestApp {
      return started(app);
    },
    get pages(): ReturnType<typeof consolePages> {
      return started(pages);
    },
    /** The sandbox instance tagged Name=`name`. */
    instanceNamed(name: string) {
      const found = started(app).sandbox!.fleet.instances.find((i) => i.tags.Name === name);
      if (!found) throw new Error(`no sandbox instance named ${name}`);
      return found;
    },
  };
};

/** Opens console pages as users and closes them again (call `closeAll` after each test). */
export const consolePages = (browser: TestBrowser, baseUrl: string) => {
  const open: Page[] = [];
  return {
    openAs: async (user: string): Promise<Page> => {
      const page = await browser.newPage();
      open.push(page);
      await page.goto(`${baseUrl}/?user=${user}`);
      await page.locator(`#user-select option[value="${user}"]`).waitFor({ state: 'attached' });
      return page;
    },
    closeAll: async (): Promise<void> => {
      await Promise.all(open.splice(0).map((p) => p.close()));
    },
  };
};

const repliesOf = async (res: Response, what: string): Promise<ReplyLike[]> => {
  const body = (await res.json()) as { replies?: ReplyLike[]; error?: string };
  if (!res.ok()) throw new Error(`${what} → ${res.status()} ${body.error ?? ''}`);
  return body.replies ?? [];
};

const isApiPost = (res: Response, pathname: string): boolean =>
  res.request().method() === 'POST' && new URL(res.url()).pathname === pathname;

/** Types `text` in the composer, sends it and returns the app's replies to that turn. */
export const send = async (page: Page, text: string): Promise<ReplyLike[]> => {
  await page.bringToFront();
  const answered = page.waitForResponse(
    (res) =>
      isApiPost(res, '/console/api/turn') &&
      (JSON.parse(res.request().postData() ?? '{}') as { text?: string }).text === text,
  );
  await page.getByLabel('Message to DevOps Agent').fill(text);
  await page.getByRole('button', { name: 'Send' }).click();
  return repliesOf(await answered, `turn "${text}"`);
};

/**
 * Performs `act` on the page (a click on a button; opening a form, filling it and submitting it)
 * and returns the app's replies to the one interaction it sends.
 */
export const interact = async (page: Page, act: () => Promise<void>): Promise<ReplyLike[]> => {
  await page.bringToFront();
  const answered = page.waitForResponse((res) => isApiPost(res, '/console/api/interaction'));
  await act();
  return repliesOf(await answered, 'interaction');
};

/** The id of the one change request among `replies` (throws, showing the replies, if there is not exactly one). */
export const changeIdIn = (replies: ReplyLike[]): string => {
  const ids = replies.flatMap((r) => (r.changeId ? [r.changeId] : []));
  if (ids.length !== 1 || !/^CR-\d+$/.test(ids[0]!))
    throw new Error(
      `expected one change request in the replies, got ${JSON.stringify(replies.map((r) => ({ changeId: r.changeId, text: r.text })))}`,
    );
  return ids[0]!;
};

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The card of change `changeId` in the page's log: the bot message whose header names it ("⏳ CR-7 · Stop …"). */
export const cardOf = (page: Page, changeId: string): Locator =>
  page.getByTestId('message').filter({
    has: page.locator('[data-block="header"]', { hasText: new RegExp(`(^|\\s)${escapeRegExp(changeId)} ·`) }),
  });

/** Messages of the log whose text contains `text`. */
export const messages = (page: Page, text: string | RegExp): Locator =>
  page.getByTestId('message').filter({ hasText: text });

let artifactsDir: string | undefined;

/**
 * Where this run's screenshots go: the directory test/browser/setup/global-setup.ts made for the
 * whole run (global-teardown.ts prints it), or, when the tests run without it, a fresh one.
 */
export const browserArtifactsDir = (): string =>
  (artifactsDir ??=
    process.env.BROWSER_ARTIFACTS_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), 'devops-agent-browser-')));

/** A full-page screenshot named `name`.png in this run's directory; returns its path. */
export const screenshot = async (page: Page, name: string): Promise<string> => {
  const file = path.join(browserArtifactsDir(), `${name}.png`);
  await page.bringToFront();
  await page.screenshot({ path: file, fullPage: true });
  return file;
};
