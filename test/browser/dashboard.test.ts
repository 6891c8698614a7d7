import { describe, expect, it, jest } from '@jest/globals';
import type { Page } from 'playwright-core';
import { viewNames, type ViewName } from '../../src/surfaces/dashboard/ports.ts';
import { changeIdIn, screenshot } from '../helpers/console-page.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { consoleActor, decision, seriousAxeViolations, useDashboard } from '../helpers/dashboard-page.ts';

/**
 * The dashboard as people use it, in headless Chromium: every view drawn (figures, charts with
 * their numbers, tables), sorting, filtering and paging by links, a nonsense filter explained on
 * the page, approving from it with the same roles and policy as chat, CSRF and expired sessions,
 * the keyboard, axe-core's checks, a phone's screen, and live updates. The engine, the policy and
 * the change service are the real app's; the views and sessions are the test ports of
 * test/helpers/dashboard-fixture.ts (see dashboard-page.ts for pointing these tests at the real app).
 */
jest.setTimeout(90_000);

const ctx = useDashboard();

/** Alice (operator) asks for a change in chat; its id. */
const requestChange = async (text: string): Promise<string> =>
  changeIdIn(
    await ctx.app.engine.handleTurn({
      actor: consoleActor('alice'),
      conversation: { surface: 'console', workspaceId: 'console', channelId: 'ops' },
      text,
    }),
  );

const statusOf = async (id: string): Promise<string | undefined> => (await ctx.app.changes.get(id))?.status;

/** The row of change `id` in the approvals table. */
const rowOf = (page: Page, id: string) => page.locator(`tr[data-row="${id}"]`);

/** Whether every chart of the page has been drawn by Chart.js. */
const chartsDrawn = (page: Page): Promise<boolean> =>
  page.evaluate(() => {
    const g = globalThis as unknown as {
      Chart?: { getChart(c: unknown): unknown };
      document: { querySelectorAll(s: string): ArrayLike<unknown> };
    };
    const canvases = Array.from(g.document.querySelectorAll('figure.chart canvas'));
    return Boolean(g.Chart) && canvases.every((c) => g.Chart!.getChart(c) !== undefined);
  });

describe('dashboard: views', () => {
  it.each(viewNames.map((v) => [v]))(
    '%s renders its figures, charts and tables, and passes axe',
    async (name: ViewName) => {
      const page = await ctx.openAs('bob', `/dashboard/${name}`);
      const view = await ctx.data.view({ actor: consoleActor('bob'), role: 'approver' }, name, {});
      expect(await page.locator('h1').textContent()).toBe(view.title);
      expect(await page.locator('li.figure').count()).toBe(view.figures.length);
      expect(await page.locator('figure.chart').count()).toBe(view.charts.length);
      expect(await page.locator('section.table-section').count()).toBe(view.tables.length);
      for (const f of view.figures)
        expect(await page.locator(`[data-figure="${f.id}"] .figure-value`).textContent()).toBe(f.value);
      // Each chart has its numbers as a table: one row per category.
      for (const c of view.charts)
        expect(await page.locator(`figure[data-chart="${c.id}"] details tbody tr`).count()).toBe(c.categories.length);
      await page.waitForFunction(() => (globalThis as { Chart?: unknown }).Chart !== undefined);
      expect(await chartsDrawn(page)).toBe(true);
      // The nav marks where we are.
      expect(await page.locator('nav[aria-label="Dashboard views"] a[aria-current="page"]').getAttribute('href')).toBe(
        `/dashboard/${name}`,
      );
      expect(await seriousAxeViolations(page)).toEqual([]);
      await screenshot(page, `dashboard-${name}`);
    },
  );

  it('loads nothing from elsewhere, under a strict CSP, with no error in the console', async () => {
    const hosts = new Set<string>();
    const errors: string[] = [];
    const page = await ctx.openAs('bob', '/dashboard/costs');
    page.on('request', (r) => hosts.add(new URL(r.url()).host));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    const res = await page.reload();
    expect(res?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.waitForFunction(() => (globalThis as { Chart?: unknown }).Chart !== undefined);
    expect(await chartsDrawn(page)).toBe(true);
    expect([...hosts]).toEqual([new URL(ctx.url).host]);
    expect(errors).toEqual([]);
    // The forecast is labelled as such, in the chart's legend data and in its table.
    expect(await page.locator('figure[data-chart="monthly-cost"] thead').textContent()).toContain('Spend (forecast)');
  });

  it('a click on a slice follows the chart’s link', async () => {
    const page = await ctx.openAs('bob', '/dashboard/inventory');
    await page.waitForFunction(() => (globalThis as { Chart?: unknown }).Chart !== undefined);
    const canvas = page.locator('figure[data-chart="by-provider"] canvas');
    await canvas.scrollIntoViewIfNeeded();
    const point = await canvas.evaluate((c) => {
      const chart = (
        globalThis as unknown as {
          Chart: {
            getChart(c: unknown): {
              getDatasetMeta(i: number): { data: { tooltipPosition(): { x: number; y: number } }[] };
            };
          };
        }
      ).Chart.getChart(c);
      return chart.getDatasetMeta(0).data[1]!.tooltipPosition();
    });
    const box = (await canvas.boundingBox())!;
    await Promise.all([page.waitForURL(/provider=azure/), page.mouse.click(box.x + point.x, box.y + point.y)]);
    expect(new URL(page.url()).pathname).toBe('/dashboard/inventory');
    expect(await page.locator('#f-resources-provider').inputValue()).toBe('azure');
  });
});

describe('dashboard: sort, filter, page', () => {
  it('header links sort, the form filters, the pager pages: each a query the view is asked for', async () => {
    const page = await ctx.openAs('bob', '/dashboard/inventory');
    const header = page.locator('th', { has: page.locator('#sort-resources-cost') });
    expect(await header.getAttribute('aria-sort')).toBe('none');
    await page.locator('#sort-resources-cost').click();
    await page.waitForURL(/sort=cost/);
    expect(ctx.data.calls.at(-1)).toEqual({ name: 'inventory', query: { sort: 'cost', dir: 'asc' } });
    expect(await header.getAttribute('aria-sort')).toBe('ascending');
    await page.locator('#sort-resources-cost').click();
    await page.waitForURL(/dir=desc/);
    expect(await header.getAttribute('aria-sort')).toBe('descending');

    await page.getByLabel('Provider', { exact: true }).selectOption('gcp');
    await page.getByLabel('Name contains').fill('web');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/provider=gcp/);
    // The sort is kept, the blank filter is not sent on to the view.
    expect(ctx.data.calls.at(-1)).toEqual({
      name: 'inventory',
      query: { provider: 'gcp', name: 'web', sort: 'cost', dir: 'desc' },
    });
    const rows = page.locator('table#t-resources tbody tr');
    expect(await rows.count()).toBeGreaterThan(0);
    for (const cell of await page.locator('table#t-resources tbody tr td:nth-child(2)').allTextContents())
      expect(cell).toBe('gcp');

    await page.goto(`${ctx.url}/dashboard/inventory`);
    expect(await page.locator('.pager p').textContent()).toBe('Showing 1–25 of 120');
    await page.getByRole('link', { name: 'Next →' }).click();
    await page.waitForURL(/offset=25/);
    expect(ctx.data.calls.at(-1)).toEqual({ name: 'inventory', query: { offset: '25' } });
    expect(await page.locator('.pager p').textContent()).toBe('Showing 26–50 of 120');
    await page.getByRole('link', { name: '← Previous' }).waitFor({ state: 'visible' });
  });

  it('a nonsense filter is explained beside the filters, with what was asked kept (400)', async () => {
    const page = await ctx.openAs('bob');
    const res = await page.goto(`${ctx.url}/dashboard/inventory?provider=mars&name=web`);
    expect(res?.status()).toBe(400);
    const alert = page.locator('form.filters [role="alert"]');
    expect(await alert.textContent()).toContain('provider: “mars” is not known; use one of aws, azure, gcp.');
    expect(await page.locator('#f-resources-provider').inputValue()).toBe('mars');
    expect(await page.locator('#f-resources-name').inputValue()).toBe('web');
    expect(await page.locator('form.filters').getAttribute('aria-describedby')).toBe('filter-error-resources');
    expect(await seriousAxeViolations(page)).toEqual([]);
    await screenshot(page, 'dashboard-bad-filter');

    const limit = await page.goto(`${ctx.url}/dashboard/inventory?limit=-3`);
    expect(limit?.status()).toBe(400);
    await page
      .locator('[role="alert"]')
      .filter({ hasText: 'limit: “-3” is not a whole number from 1 to 100.' })
      .waitFor();
    const api = await page.request.get(`${ctx.url}/dashboard/api/view/inventory?sort=colour`);
    expect(api.status()).toBe(400);
    expect(((await api.json()) as { error: string }).error).toContain('sort: “colour” is not a column');
  });
});

describe('dashboard: approvals', () => {
  it('Bob approves from the page: the engine decides, the row leaves the table', async () => {
    const id = await requestChange('reboot web-prod-1');
    const page = await ctx.openAs('bob', '/dashboard/approvals');
    const row = rowOf(page, id);
    await row.filter({ hasText: 'Alice' }).waitFor();
    await screenshot(page, 'dashboard-approvals-approver');
    const answer = await decision(page, () => row.getByRole('button', { name: `Approve ${id}` }).click());
    expect(answer.status).toBe(200);
    expect(answer.text).toMatch(new RegExp(`^You approved ${id}\\.`));
    await page
      .locator('#notice')
      .filter({ hasText: `You approved ${id}.` })
      .waitFor();
    await row.waitFor({ state: 'detached' });
    expect(await statusOf(id)).not.toBe('pending');
  });

  it('without script the form posts, redirects back and says what happened; a reason goes along', async () => {
    const id = await requestChange('reboot api-prod-1');
    const page = await ctx.openAs('bob', '/dashboard/approvals', { javaScriptEnabled: false });
    const row = rowOf(page, id);
    await row.getByLabel(`Reason for rejecting ${id} (optional)`).fill('not during the sale');
    const [answer] = await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname === '/dashboard/decide'),
      row.getByRole('button', { name: `Reject ${id}` }).click(),
    ]);
    expect(answer.status()).toBe(303);
    await page.waitForURL(`${ctx.url}/dashboard/approvals`);
    await page
      .locator('#notice')
      .filter({ hasText: `You rejected ${id}.` })
      .waitFor();
    expect(await rowOf(page, id).count()).toBe(0);
    const change = await ctx.app.changes.get(id);
    expect(change?.status).toBe('rejected');
    expect(change?.reason).toBe('not during the sale');
  });

  it('Dave (viewer) sees no buttons, and a forged decision is refused by the engine (403)', async () => {
    const id = await requestChange('reboot api-prod-2');
    const page = await ctx.openAs('dave', '/dashboard/approvals');
    await rowOf(page, id).waitFor({ state: 'visible' });
    expect(await page.locator('form.decide').count()).toBe(0);
    await screenshot(page, 'dashboard-approvals-viewer');
    expect(await page.getByRole('button', { name: /Approve|Reject/ }).count()).toBe(0);
    const forged = await page.request.post(`${ctx.url}/dashboard/api/decide`, {
      headers: { 'x-csrf-token': ctx.sessionOf('dave').csrfToken, origin: ctx.url },
      data: { changeId: id, decision: 'approve' },
    });
    expect(forged.status()).toBe(403);
    expect(((await forged.json()) as { text: string }).text).toContain(`Approving ${id} needs`);
    expect(await statusOf(id)).toBe('pending');
  });

  it('a decision without the CSRF token is refused (403), by script or by form', async () => {
    const id = await requestChange('stop worker-prod-1');
    const page = await ctx.openAs('bob', '/dashboard/approvals');
    const noToken = await page.request.post(`${ctx.url}/dashboard/api/decide`, {
      data: { changeId: id, decision: 'approve' },
    });
    expect(noToken.status()).toBe(403);
    const form = await page.request.post(`${ctx.url}/dashboard/decide`, {
      form: { changeId: id, decision: 'approve', next: '/dashboard/approvals' },
      maxRedirects: 0,
    });
    expect(form.status()).toBe(403);
    const wrong = await page.request.post(`${ctx.url}/dashboard/decide`, {
      form: { changeId: id, decision: 'approve', csrf: 'not-the-token', next: '/dashboard/approvals' },
      maxRedirects: 0,
    });
    expect(wrong.status()).toBe(403);
    expect(await statusOf(id)).toBe('pending');
  });

  it('an expired session sends the person to sign in, keeping the whole address', async () => {
    const page = await ctx.openAs('bob', '/dashboard/inventory?provider=aws&sort=cost&dir=desc');
    ctx.expire('bob');
    await page.reload();
    await page.waitForURL(/\/auth\/sign-in\?next=/);
    expect(await page.locator('#next').textContent()).toBe('/dashboard/inventory?provider=aws&sort=cost&dir=desc');
    const api = await page.request.get(`${ctx.url}/dashboard/api/view/inventory?provider=aws`);
    expect(api.status()).toBe(401);
    expect(await api.json()).toEqual({
      error: expect.stringContaining('sign in again'),
      signIn: `/auth/sign-in?next=${encodeURIComponent('/dashboard/inventory?provider=aws')}`,
    });
  });

  it('a decision after the session expired leads to sign-in, back to the page it was taken on', async () => {
    const id = await requestChange('stop api-prod-eu-1');
    const page = await ctx.openAs('bob', '/dashboard/approvals?limit=50');
    ctx.expire('bob');
    await Promise.all([
      page.waitForURL(/\/auth\/sign-in\?next=/),
      rowOf(page, id)
        .getByRole('button', { name: `Approve ${id}` })
        .click(),
    ]);
    expect(await page.locator('#next').textContent()).toBe('/dashboard/approvals?limit=50');
    expect(await statusOf(id)).toBe('pending');
  });
});

describe('dashboard: keyboard, phone, live', () => {
  /** Describes the focused element: its tag, text or label. */
  const focused = (page: Page) =>
    page.evaluate(() => {
      const el = (
        globalThis as unknown as {
          document: {
            activeElement: {
              tagName: string;
              id: string;
              textContent: string | null;
              getAttribute(n: string): string | null;
            } | null;
          };
        }
      ).document.activeElement;
      return el
        ? `${el.tagName.toLowerCase()}#${el.id}|${(el.getAttribute('aria-label') ?? el.textContent ?? '').trim().slice(0, 40)}`
        : '';
    });

  it('Tab reaches the skip link, the nav, the filters, the table headers and the pager in that order; Enter activates', async () => {
    const page = await ctx.openAs('bob', '/dashboard/inventory');
    await page.keyboard.press('Tab');
    expect(await focused(page)).toMatch(/^a#\|Skip to content/);
    const order: string[] = [];
    for (let i = 0; i < 60; i++) {
      await page.keyboard.press('Tab');
      order.push(await focused(page));
    }
    const first = (re: RegExp) => order.findIndex((o) => re.test(o));
    const nav = first(/\|Inventory$/);
    const filter = first(/^select#f-resources-provider/);
    const sort = first(/^a#sort-resources-name/);
    expect(nav).toBeGreaterThanOrEqual(0);
    expect(filter).toBeGreaterThan(nav);
    expect(sort).toBeGreaterThan(filter);

    // Skip link: Enter moves to the main content.
    await page.goto(`${ctx.url}/dashboard/inventory`);
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.waitForURL(/#main$/);
    expect(await focused(page)).toMatch(/^main#main/);

    // A sort header by keyboard.
    await page.locator('#sort-resources-provider').focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/sort=provider/);
  });

  it('Approve is reached by Tab and pressed with Enter', async () => {
    const id = await requestChange('reboot db-prod-1');
    const page = await ctx.openAs('bob', '/dashboard/approvals');
    let reached = false;
    for (let i = 0; i < 40 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = (await focused(page)).startsWith(`button#act-${id.toLowerCase()}-approve`);
    }
    expect(reached).toBe(true);
    const answer = await decision(page, () => page.keyboard.press('Enter'));
    expect(answer.status).toBe(200);
    await rowOf(page, id).waitFor({ state: 'detached' });
  });

  it('on a phone (390×844): nothing wider than the screen, the nav behind a button, tables scroll in place', async () => {
    const page = await ctx.openAs('bob', '/dashboard/inventory', { viewport: { width: 390, height: 844 } });
    await page.waitForFunction(() => (globalThis as { Chart?: unknown }).Chart !== undefined);
    const widths = await page.evaluate(() => {
      const d = (
        globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }
      ).document;
      return { scroll: d.documentElement.scrollWidth, client: d.documentElement.clientWidth };
    });
    expect(widths.scroll).toBeLessThanOrEqual(widths.client);
    const toggle = page.getByRole('button', { name: 'Views' });
    await toggle.waitFor({ state: 'visible' });
    expect(await page.locator('#views-nav').isHidden()).toBe(true);
    await screenshot(page, 'dashboard-phone-inventory');
    await toggle.click();
    expect(await toggle.getAttribute('aria-expanded')).toBe('true');
    await page.getByRole('link', { name: 'Costs' }).waitFor({ state: 'visible' });
    const scroller = page.locator('section[data-table="resources"] .table-scroll');
    const sizes = await scroller.evaluate((e: { scrollWidth: number; clientWidth: number }) => [
      e.scrollWidth,
      e.clientWidth,
    ]);
    expect(sizes[0]).toBeGreaterThanOrEqual(sizes[1]!);
    expect(sizes[1]).toBeLessThanOrEqual(390);
    await screenshot(page, 'dashboard-phone-nav-open');
    expect(await seriousAxeViolations(page)).toEqual([]);
  });

  it('a decision taken elsewhere reaches an open page live: re-read in place and announced', async () => {
    const id = await requestChange('stop web-prod-2');
    const page = await ctx.openAs('bob', '/dashboard/approvals');
    await rowOf(page, id).waitFor({ state: 'visible' });
    await page.evaluate(() => ((globalThis as { stayed?: boolean }).stayed = true));
    await waitFor(() => ctx.bus.clients() > 0, { what: 'the page to open the live stream', timeoutMs: 10_000 });

    const replies = await ctx.app.engine.handleInteraction({
      actor: consoleActor('carol'),
      conversation: { surface: 'console', workspaceId: 'console', channelId: 'ops' },
      actionId: 'change.approve',
      value: id,
    });
    expect(replies.map((r) => r.text).join(' ')).toContain(`You approved ${id}.`);
    // Another workspace's notice is not sent to this page; this one's is.
    ctx.publish({ kind: 'change', workspaceId: 'T-other', changeId: id, status: 'approved' });
    ctx.publish({ kind: 'change', workspaceId: 'console', changeId: id, status: 'approved' });
    await rowOf(page, id).waitFor({ state: 'detached' });
    await page.locator('#live-status').filter({ hasText: 'Updated' }).waitFor();
    expect(await page.evaluate(() => (globalThis as { stayed?: boolean }).stayed)).toBe(true);
  });
});
