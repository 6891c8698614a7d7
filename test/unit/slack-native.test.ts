import { describe, expect, it } from '@jest/globals';
import { mention } from '../../src/chat/mention.ts';
import type { ChartBlock, Reply } from '../../src/chat/reply.ts';
import { SLACK_LIMITS } from '../../src/surfaces/slack/block-kit.ts';
import { toMrkdwn, toPlain } from '../../src/surfaces/slack/mrkdwn.ts';
import { nativeChart, nativeTable } from '../../src/surfaces/slack/native.ts';
import { renderBlockKit } from '../../src/surfaces/slack/render.ts';
import { checkBlocks } from '../fakes/slack-api.ts';

const bar = (n: number, series = 1, label = (i: number) => `c${i}`): ChartBlock => ({
  type: 'chart',
  kind: 'bar',
  title: 'Cost',
  categories: Array.from({ length: n }, (_, i) => label(i)),
  series: Array.from({ length: series }, (_, s) => ({ name: `s${s}`, values: Array.from({ length: n }, (_, i) => i) })),
});
const pie = (values: number[]): ChartBlock => ({
  type: 'chart',
  kind: 'pie',
  title: 'Share',
  categories: values.map((_, i) => `slice ${i}`),
  series: [{ name: 'n', values }],
});
const rows = (n: number, width = 2) =>
  Array.from({ length: n }, (_, i) => Array.from({ length: width }, (_, j) => `r${i}c${j}`));
const types = (r: Reply) => renderBlockKit(r).blocks.map((b) => b.type);

describe('Slack table block limits', () => {
  it('draws up to 99 rows under a header (100 in all) and 20 columns natively', () => {
    const t = nativeTable(['a', 'b'], rows(99));
    expect(t?.type === 'table' && t.rows).toHaveLength(100);
    expect(
      nativeTable(
        Array.from({ length: 20 }, (_, i) => `h${i}`),
        rows(3, 20),
      ),
    ).not.toBeNull();
    expect(checkBlocks([t])).toBeNull();
  });

  it('falls back past the limits: 100 data rows, 21 columns, no rows, too much text', () => {
    expect(nativeTable(['a', 'b'], rows(100))).toBeNull();
    // Without a header row, 100 data rows fit.
    expect(nativeTable([], rows(100))).not.toBeNull();
    expect(nativeTable(['a'], rows(2, 21))).toBeNull();
    expect(nativeTable(['a'], [])).toBeNull();
    expect(
      nativeTable(['a'], [['x'.repeat(900)], ['y'.repeat(900)]].concat(rows(10, 1).map(() => ['z'.repeat(500)]))),
    ).toBeNull();
  });

  it('fills empty cells, pads short rows, right-aligns numbers and wraps long text', () => {
    const t = nativeTable(
      ['name', 'cost', 'note'],
      [
        ['web', '$1,200.50'],
        ['db', '', 'x'.repeat(50)],
      ],
    );
    expect(t).toMatchObject({
      type: 'table',
      column_settings: [{ align: 'left' }, { align: 'right' }, { align: 'left', is_wrapped: true }],
    });
    expect(t?.type === 'table' && t.rows[1]).toEqual([
      { type: 'raw_text', text: 'web' },
      { type: 'raw_text', text: '$1,200.50' },
      { type: 'raw_text', text: '–' },
    ]);
    expect(checkBlocks([t])).toBeNull();
  });

  it('draws a Slack mention in a cell as a real mention and others as @Name', () => {
    const t = nativeTable(
      ['who'],
      [
        [`by ${mention({ surface: 'slack', userId: 'U0BOB', displayName: 'Bob' })}`],
        [mention({ surface: 'teams', userId: 'x', displayName: 'Ann' })],
      ],
    );
    expect(t?.type === 'table' && t.rows.slice(1)).toEqual([
      [
        {
          type: 'rich_text',
          elements: [
            {
              type: 'rich_text_section',
              elements: [
                { type: 'text', text: 'by' },
                { type: 'user', user_id: 'U0BOB' },
              ],
            },
          ],
        },
      ],
      [{ type: 'raw_text', text: '@Ann' }],
    ]);
  });

  it('keeps one native table a message; the others are text', () => {
    const reply: Reply = {
      text: 't',
      blocks: [
        { type: 'table', columns: ['a'], rows: [['1']] },
        { type: 'table', columns: ['b'], rows: [['2']] },
      ],
    };
    expect(types(reply)).toEqual(['table', 'section']);
    expect(checkBlocks(renderBlockKit(reply).blocks)).toBeNull();
  });
});

describe('Slack data_visualization limits', () => {
  it('draws a bar chart of 20 categories and 6 series', () => {
    const c = nativeChart(bar(20, 6));
    expect(c).toMatchObject({ type: 'data_visualization', chart: { type: 'bar' } });
    expect(checkBlocks([c])).toBeNull();
  });

  it('refuses 21 categories, 7 series, labels equal once cut to 20 characters', () => {
    expect(nativeChart(bar(21))).toBeNull();
    expect(nativeChart({ ...bar(3, 6), series: [...bar(3, 6).series, { name: 'x', values: [1, 2, 3] }] })).toBeNull();
    expect(nativeChart(bar(2, 1, (i) => `a-very-long-category-name-${i}`))).toBeNull();
  });

  it('cuts the title to 50 characters and labels to 20, and puts the unit on the y axis', () => {
    const c = nativeChart({
      ...bar(2, 1, (i) => `${i}-a-long-but-unique-name`),
      title: 't'.repeat(80),
      unit: 'USD/month',
    });
    expect(c?.type === 'data_visualization' && c.title.length).toBe(50);
    expect(c).toMatchObject({ chart: { axis_config: { y_label: 'USD/month' } } });
    expect(checkBlocks([c])).toBeNull();
  });

  it('draws a pie of at most 6 slices above 0; zero slices are left out', () => {
    expect(nativeChart(pie([1, 2, 3, 4, 5, 6]))).not.toBeNull();
    expect(nativeChart(pie([1, 2, 3, 4, 5, 6, 7]))).toBeNull();
    const c = nativeChart(pie([3, 0, 0, 0, 0, 0, 0, 1]));
    expect(c?.type === 'data_visualization' && c.chart.type === 'pie' && c.chart.segments).toEqual([
      { label: 'slice 0', value: 3 },
      { label: 'slice 7', value: 1 },
    ]);
    expect(nativeChart(pie([0, 0]))).toBeNull();
  });

  it('keeps the numbers as text beside a chart, draws at most two, and shows the rest as tables', () => {
    const chart = bar(3);
    const out = renderBlockKit({ text: 't', blocks: [chart, chart, chart] });
    expect(out.blocks.map((b) => b.type)).toEqual([
      'data_visualization',
      'context',
      'data_visualization',
      'context',
      'section',
      'table',
    ]);
    expect(JSON.stringify(out.blocks[1])).toContain('Cost: c0 0, c1 1, c2 2');
    expect(checkBlocks(out.blocks)).toBeNull();
    // Without native blocks the same units remain, as text.
    expect(out.fallbackBlocks?.map((b) => b.type)).toEqual(['context', 'context', 'section', 'section']);
    expect(checkBlocks(out.fallbackBlocks, 50, new Set(['table', 'data_visualization']))).toBeNull();
  });

  it('a chart past the limits becomes a table of its numbers under its title', () => {
    const out = renderBlockKit({ text: 't', blocks: [bar(30)] });
    expect(out.blocks.map((b) => b.type)).toEqual(['section', 'table']);
    expect(JSON.stringify(out.blocks[0])).toContain('*Cost*');
  });
});

describe('Slack mentions', () => {
  const bob = mention({ surface: 'slack', userId: 'U0BOB00001', displayName: 'Bob <Smith>' });
  const ann = mention({ surface: 'teams', userId: 'aad-1', displayName: 'Ann *Ops*' });

  it('in mrkdwn: Slack users as <@U…>, everyone else as escaped @Name', () => {
    expect(toMrkdwn(`approved by ${bob} & ${ann}`)).toBe('approved by <@U0BOB00001> &amp; @Ann *Ops*');
    // A token that is not a Slack user id cannot become a broadcast.
    expect(toMrkdwn(mention({ surface: 'slack', userId: '!here', displayName: 'x' }))).toBe('@x');
  });

  it('in plain text (headers, buttons, the notification): @Name', () => {
    expect(toPlain(`by ${bob}`)).toBe('by @Bob Smith');
    const out = renderBlockKit({
      text: `CR-1 approved by ${bob}`,
      blocks: [
        { type: 'header', text: `Approved by ${bob}` },
        { type: 'text', text: `Approved by ${bob}` },
        { type: 'fields', fields: [{ label: 'Approver', value: bob }] },
        { type: 'context', text: `cc ${ann}` },
      ],
    });
    expect(out.text).toMatch(/^CR-1 approved by @Bob +Smith$/);
    expect(JSON.stringify(out.blocks)).not.toContain('<@slack:');
    expect(JSON.stringify(out.blocks)).not.toContain('teams:');
    expect(out.blocks[0]).toMatchObject({ text: { text: 'Approved by @Bob Smith' } });
    expect(out.blocks[1]).toMatchObject({ text: { text: 'Approved by <@U0BOB00001>' } });
    expect(out.blocks[2]).toMatchObject({ fields: [{ text: '*Approver*\n<@U0BOB00001>' }] });
    expect(out.blocks[3]).toMatchObject({ elements: [{ text: 'cc @Ann *Ops*' }] });
    expect(SLACK_LIMITS.chartsPerMessage).toBe(2);
  });
});
