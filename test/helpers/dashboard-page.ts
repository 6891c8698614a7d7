import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, afterEach, beforeAll } from '@jest/globals';
import { chromium, type Browser, type BrowserContext, type Page, type Response } from 'playwright-core';
import type { WebSession } from '../../src/surfaces/dashboard/ports.ts';
import { startTestApp, type TestApp } from './app.ts';
import { chromiumArgs } from './browser.ts';
import {
  consoleActor,
  roleOf,
  sessionCookieName,
  startDashboardServer,
  type DashboardServer,
  type UseDashboardServerOptions,
  type FixtureData,
} from './dashboard-fixture.ts';

export { consoleActor };

/**
 * The dashboard in a real browser, for test/browser/dashboard*.test.ts. The tests use only the
 * `DashboardTarget` below (a base URL, a way to be signed in as a console user, a way to end that
 * session, the real app for its engine and change service, and `publish` for a live notice), so
 * that the same tests can later run against the app with the real DashboardData and WebAuth:
 * write another `use…` that starts the whole app and signs in through its console-token form.
 *
 * Here, until those land: the real app (engine, policy, change service, sandbox) on its own
 * server, and beside it a server with the dashboard over the test ports of dashboard-fixture.ts.
 */
export interface DashboardTarget {
  /** Base URL of the server the dashboard is on. */
  readonly url: string;
  readonly app: TestApp;
  /**
   * Opens `path` (default /dashboard) as `user` (alice operator, bob approver, carol admin, dave
   * viewer), in a browser context of its own (its own cookies: two people can look at once).
   */
  openAs(
    user: string,
    path?: string,
    opts?: { viewport?: { width: number; height: number }; javaScriptEnabled?: boolean },
  ): Promise<Page>;
  /** The session a tab of `user` signed in with (its CSRF token), for requests a test forges. */
  sessionOf(user: string): WebSession;
  /** Ends `user`'s session as an expiry would. */
  expire(user: string): void;
  /** Publishes a live notice as the app would. */
  publish: DashboardServer['bus']['publish'];
}

export type UseDashboardOptions = UseDashboardServerOptions;

/** One real app, one dashboard server and one browser for a test file (hooks registered here). */
export const useDashboard = (opts: UseDashboardOptions = {}) => {
  let app: TestApp | undefined;
  let server: DashboardServer | undefined;
  let browser: Browser | undefined;
  const sessions = new Map<string, WebSession>();
  const open: BrowserContext[] = [];

  beforeAll(async () => {
    app = await startTestApp();
    server = await startDashboardServer(app, opts);
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      headless: true,
      args: chromiumArgs,
      timeout: 30_000,
    });
  }, 60_000);
  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await app?.stop();
  });

  const started = <T>(v: T | undefined): T => {
    if (v === undefined) throw new Error('the dashboard is not started: use it inside a test');
    return v;
  };

  const target: DashboardTarget & { data: FixtureData; bus: DashboardServer['bus'] } = {
    get url() {
      return started(server).url;
    },
    get app() {
      return started(app);
    },
    get data() {
      return started(server).data;
    },
    get bus() {
      return started(server).bus;
    },
    openAs: async (user, where = '/dashboard', o = {}) => {
      const session = started(server).auth.signIn(consoleActor(user), roleOf(user));
      sessions.set(user, session);
      const context = await started(browser).newContext({
        viewport: o.viewport ?? { width: 1280, height: 860 },
        javaScriptEnabled: o.javaScriptEnabled ?? true,
      });
      open.push(context);
      await context.addCookies([{ name: sessionCookieName, value: session.id, url: started(server).url }]);
      const page = await context.newPage();
      await page.goto(`${started(server).url}${where}`);
      return page;
    },
    sessionOf: (user) => {
      const s = sessions.get(user);
      if (!s) throw new Error(`${user} has not signed in`);
      return s;
    },
    expire: (user) => started(server).auth.expire(target.sessionOf(user).id),
    publish: (e) => started(server).bus.publish(e),
  };
  return target;
};

/** The one decision the page posts while `act` runs, with the JSON it got back. */
export const decision = async (page: Page, act: () => Promise<void>): Promise<{ status: number; text: string }> => {
  const answered = page.waitForResponse(
    (res: Response) => res.request().method() === 'POST' && new URL(res.url()).pathname === '/dashboard/api/decide',
  );
  await act();
  const res = await answered;
  const body = (await res.json()) as { text?: string; error?: string };
  return { status: res.status(), text: body.text ?? body.error ?? '' };
};

const axeSource = readFileSync(
  path.join(path.dirname(createRequire(import.meta.url).resolve('axe-core')), 'axe.min.js'),
  'utf8',
);

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/**
 * axe-core's violations of serious or critical impact on the page as it is now. The library is
 * evaluated through the browser's debugging protocol, which the page's CSP does not govern (the
 * page itself still loads only its own scripts).
 */
export const seriousAxeViolations = async (page: Page): Promise<AxeViolation[]> => {
  await page.evaluate(axeSource);
  return page.evaluate(async () => {
    type Result = {
      violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[];
    };
    const axe = (globalThis as unknown as { axe: { run(opts: unknown): Promise<Result> } }).axe;
    const r = await axe.run({ resultTypes: ['violations'] });
    return r.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) }));
  });
};
