import { describe, expect, it, jest } from '@jest/globals';
import { chartText, reply, type ChartBlock } from '../../src/chat/reply.ts';
import { createConversationStore } from '../../src/engine/conversations.ts';
import { consoleConversation, createConsoleSurface } from '../../src/surfaces/console/surface.ts';
import { screenshot, send, useConsoleApp } from '../helpers/console-page.ts';

/**
 * Charts and mentions as the console draws them: an inline SVG per chart (role="img", its
 * numbers as its accessible name and as text under it, nothing fetched), people as `@Name`.
 */
jest.setTimeout(90_000);

const ctx = useConsoleApp();

const bar: ChartBlock = {
  type: 'chart',
  kind: 'bar',
  title: 'Monthly cost by service',
  categories: ['checkout', 'search', 'untagged'],
  series: [{ name: 'Monthly cost', values: [640.2, 310, 80] }],
  unit: 'USD/month',
};
const line: ChartBlock = {
  type: 'chart',
  kind: 'line',
  title: 'CPU',
  categories: ['Mon', 'Tue', 'Wed'],
  series: [
    { name: 'web', values: [20, 35.5, 30] },
    { name: 'db', values: [50, 55, 61] },
  ],
  unit: '%',
};
const pie: ChartBlock = {
  type: 'chart',
  kind: 'pie',
  title: 'Instances by environment',
  categories: ['prod', 'dev', 'qa'],
  series: [{ name: 'Instances', values: [6, 3, 0] }],
};

describe('console: charts and mentions', () => {
  it('draws each chart as an accessible SVG with its numbers, and mentions as @Name', async () => {
    const surface = createConsoleSurface({ conversations: createConversationStore(ctx.app.store.db) });
    await surface.post(
      consoleConversation(),
      reply([
        { type: 'header', text: 'Charts for <@slack:U0BOB|Bob>' },
        bar,
        line,
        pie,
        { type: 'context', text: 'Approved by <@console:carol|Carol> and <@teams:aad-1|Ann Ops>' },
      ]),
    );
    const page = await ctx.pages.openAs('alice');
    const answer = page
      .getByTestId('message')
      .filter({ has: page.locator('[data-block="header"]', { hasText: 'Charts for' }) });
    await answer.waitFor();

    const svgs = answer.getByTestId('chart-svg');
    expect(await svgs.count()).toBe(3);
    for (const [i, c] of [bar, line, pie].entries()) {
      const svg = svgs.nth(i);
      expect(await svg.getAttribute('role')).toBe('img');
      // Its accessible name is the numbers, the same text notifications carry.
      const labelledBy = (await svg.getAttribute('aria-labelledby'))!;
      expect(await answer.locator(`[id="${labelledBy}"]`).textContent()).toBe(chartText(c));
      expect(await answer.getByTestId('chart-numbers').nth(i).textContent()).toBe(chartText(c));
    }
    // One bar per value, one point per value of each line, one slice per value above 0.
    expect(await svgs.nth(0).locator('rect').count()).toBe(3);
    expect(await svgs.nth(1).locator('circle').count()).toBe(6);
    expect(await svgs.nth(1).locator('polyline').count()).toBe(2);
    expect(await svgs.nth(2).locator('path.chart-slice').count()).toBe(2);
    // Taller bars for bigger values.
    const heights = await svgs
      .nth(0)
      .locator('rect')
      .evaluateAll((rs) =>
        rs.map((r) => Number((r as unknown as { getAttribute(n: string): string }).getAttribute('height'))),
      );
    expect(heights[0]).toBeGreaterThan(heights[1]!);
    expect(heights[1]).toBeGreaterThan(heights[2]!);
    // Legends for several series and for slices; none for a single series.
    expect(await answer.locator('.chart-legend').count()).toBe(2);

    const shown = (await answer.textContent()) ?? '';
    expect(shown).not.toMatch(/<@|slack:|console:|teams:/);
    expect(await answer.locator('[data-block="header"]').textContent()).toBe('Charts for @Bob');
    expect(await answer.locator('.mention').allTextContents()).toEqual(['@Carol', '@Ann Ops']);
    await screenshot(page, 'console-charts');
  });

  it('shows costs by service as a bar chart above its table', async () => {
    const page = await ctx.pages.openAs('alice');
    await send(page, 'costs by service');
    const answer = page
      .getByTestId('message')
      .filter({ has: page.locator('[data-block="header"]', { hasText: 'Monthly cost by service' }) })
      .last();
    await answer.waitFor();
    const blocks = await answer
      .locator('[data-block]')
      .evaluateAll((els) =>
        els.map((e) => (e as unknown as { getAttribute(n: string): string }).getAttribute('data-block')),
      );
    expect(blocks).toEqual(['header', 'chart', 'table', 'context']);
    const rows = await answer.locator('[data-block="table"] tbody tr').count();
    expect(await answer.getByTestId('chart-svg').locator('rect').count()).toBe(rows);
  });
});
