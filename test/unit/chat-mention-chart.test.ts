import { describe, expect, it } from '@jest/globals';
import { mention, mentionsAsText, renderMentions, splitMentions } from '../../src/chat/mention.ts';
import { Block, chartText, plainText } from '../../src/chat/reply.ts';

describe('inline mentions', () => {
  const bob = { surface: 'slack' as const, userId: 'U0BOB', displayName: 'Bob Smith' };

  it('round-trips a person through the token', () => {
    const text = `Approved by ${mention(bob)} at 10:02.`;
    expect(text).toBe('Approved by <@slack:U0BOB|Bob Smith> at 10:02.');
    expect(splitMentions(text)).toEqual(['Approved by ', bob, ' at 10:02.']);
    expect(mentionsAsText(text)).toBe('Approved by @Bob Smith at 10:02.');
  });

  it('keeps names that would break the token readable, and ids without separators', () => {
    const token = mention({ surface: 'teams', userId: 'a b|c', displayName: 'Eve <admin> | ops' });
    expect(splitMentions(token)).toEqual([{ surface: 'teams', userId: 'abc', displayName: 'Eve  admin    ops' }]);
    expect(mentionsAsText(mention({ surface: 'console', userId: 'x', displayName: '  ' }))).toBe('@someone');
  });

  it('renders own-surface mentions natively and others as text', () => {
    const text = `${mention(bob)} and ${mention({ surface: 'teams', userId: 'aad-1', displayName: 'Ann' })}`;
    const slack = renderMentions(
      text,
      (s) => s.toUpperCase(),
      (m) => (m.surface === 'slack' ? `<@${m.userId}>` : undefined),
    );
    expect(slack).toBe('<@U0BOB> AND @ANN');
  });

  it('reads as @Name in the plain-text fallback of a reply', () => {
    expect(plainText([{ type: 'text', text: `ok by ${mention(bob)}` }])).toBe('ok by @Bob Smith');
  });
});

describe('chart blocks', () => {
  const chart = {
    type: 'chart' as const,
    kind: 'bar' as const,
    title: 'Monthly cost by service',
    unit: 'USD/month',
    categories: ['checkout', 'search'],
    series: [{ name: 'cost', values: [1234.5, 80] }],
  };

  it('always has its numbers as text', () => {
    expect(chartText(chart)).toBe('Monthly cost by service (USD/month): checkout 1,234.5, search 80');
    expect(
      chartText({ ...chart, kind: 'line', series: [...chart.series, { name: 'last month', values: [1000, 90] }] }),
    ).toBe(
      'Monthly cost by service (USD/month):\ncost: checkout 1,234.5, search 80\nlast month: checkout 1,000, search 90',
    );
    expect(plainText([chart])).toBe(chartText(chart));
  });

  it('refuses series that do not fit the categories, and pies of several series or negative slices', () => {
    expect(Block.safeParse(chart).success).toBe(true);
    expect(Block.safeParse({ ...chart, series: [{ name: 'cost', values: [1] }] }).success).toBe(false);
    expect(
      Block.safeParse({ ...chart, kind: 'pie', series: [...chart.series, { name: 'b', values: [1, 2] }] }).success,
    ).toBe(false);
    expect(Block.safeParse({ ...chart, kind: 'pie', series: [{ name: 'cost', values: [-1, 2] }] }).success).toBe(false);
  });
});
