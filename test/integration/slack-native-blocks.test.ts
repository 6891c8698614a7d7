import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { FakeMessage } from '../fakes/slack-api.ts';
import { ALICE, APPROVALS, BOB, OPS, startSlackHarness, type SlackHarness } from '../fixtures/slack-harness.ts';

/**
 * Native tables and charts in Slack through the whole app: `costs by service` answers with a
 * data_visualization block, its numbers as text and a table block; a Slack that refuses them
 * (invalid_blocks) gets the same answer as text. A decided change card names the approver as a
 * real mention.
 */
let h: SlackHarness;
beforeAll(async () => {
  h = await startSlackHarness();
}, 60_000);
afterAll(async () => {
  await h?.stop();
});

type Block = { type: string; text?: { text: string }; elements?: Array<{ text?: string }> };
const blocksOf = (m: FakeMessage | undefined): Block[] => (m?.blocks ?? []) as Block[];
const answerIn = (threadTs: string): FakeMessage | undefined =>
  h.botMessages(OPS).find((m) => m.threadTs === threadTs && m.text.startsWith('Monthly cost'));

describe('native tables and charts in Slack', () => {
  it('answers costs by service with a bar chart, its numbers as text, and a table block', async () => {
    const { ts } = await h.mention(ALICE, 'costs by service');
    const m = answerIn(ts);
    const blocks = blocksOf(m);
    expect(blocks.map((b) => b.type)).toEqual([
      'header',
      'data_visualization',
      'context',
      'table',
      'context',
      'context',
    ]);
    expect(blocks[1]).toMatchObject({
      title: 'Monthly cost by service',
      chart: { type: 'bar', series: [{ name: 'Monthly cost' }], axis_config: { y_label: 'USD/month' } },
    });
    expect(blocks[2]?.elements?.[0]?.text).toMatch(/^Monthly cost by service \(USD\/month\): \S+ [\d,.]+/);
    // No call was refused.
    expect(h.fake.calls.filter((c) => c.response.ok === false && c.method.startsWith('chat.'))).toEqual([]);
  });

  it('sends the tables and charts as text when Slack refuses the native blocks', async () => {
    h.fake.refuseBlocks(['table', 'data_visualization']);
    try {
      const before = h.fake.calls.length;
      const { ts } = await h.mention(ALICE, 'costs by service');
      const blocks = blocksOf(answerIn(ts));
      expect(blocks.map((b) => b.type)).toEqual(['header', 'context', 'section', 'context', 'context']);
      expect(blocks[1]?.elements?.[0]?.text).toMatch(/^Monthly cost by service \(USD\/month\):/);
      expect(blocks[2]?.text?.text).toMatch(/^```\nService +Resources/);
      // Refused once with invalid_blocks, then accepted without the native blocks.
      const answers = h.fake.calls
        .slice(before)
        .filter((c) => c.method === 'chat.update' || c.method === 'chat.postMessage')
        .map((c) => c.response.error ?? 'ok');
      // (A "working…" message may come first, depending on how fast the answer is.)
      expect(answers.slice(-2)).toEqual(['invalid_blocks', 'ok']);
      expect(answers.filter((a) => a !== 'ok')).toEqual(['invalid_blocks']);
    } finally {
      h.fake.refuseBlocks([]);
    }
  });

  it('names the approver of a decided card as a Slack mention', async () => {
    const { ts } = await h.mention(ALICE, 'stop web-prod-2');
    const own = h.botMessages(OPS).find((m) => m.threadTs === ts && /^CR-\d+ /.test(m.text))!;
    const id = /^(CR-\d+) /.exec(own.text)![1]!;
    const copy = h.fake.messages(APPROVALS).find((m) => m.text.startsWith(`${id} `))!;
    expect(JSON.stringify(copy.blocks)).toContain(`<@${ALICE}>`);
    await h.click(BOB, copy, 'Approve');
    const decided = h.fake.messages(APPROVALS).find((m) => m.text.startsWith(`${id} `))!;
    const json = JSON.stringify(decided.blocks);
    expect(json).toMatch(new RegExp(`approved by <@${BOB}>`, 'i'));
    expect(json).not.toContain('<@slack:');
    // The notification text names them in plain text.
    expect(decided.text).not.toContain('<@');
    expect(decided.text).toMatch(/approved by @\S/);
  });
});
