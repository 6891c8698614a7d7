import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { callTools, reply, startAnthropicFake, text, toolUse, type AnthropicFake } from '../fakes/anthropic/index.ts';
import { ALICE, DAVE, OPS, startSlackHarness, type SlackHarness } from '../fixtures/slack-harness.ts';

/**
 * The Claude planner in Slack: a mention in plain language, the loop's steps in the working
 * message, the model's markdown as Block Kit, and a change it asks for as an approval card.
 */
const KEY = 'sk-ant-slack-0123456789abcdef';
let fake: AnthropicFake;
let h: SlackHarness;

beforeAll(async () => {
  fake = await startAnthropicFake({ apiKeys: [KEY] });
  // workingAfterMs 0: the working message is posted at once, so every turn shows its steps.
  h = await startSlackHarness(
    { ANTHROPIC_API_KEY: KEY, ANTHROPIC_BASE_URL: fake.url },
    { slack: { retryConfig: { retries: 1, minTimeout: 10, maxTimeout: 50 }, workingAfterMs: 0 } },
  );
}, 60_000);
afterAll(async () => {
  await h?.stop();
  await fake?.close();
});

describe('Claude in Slack', () => {
  it('shows what the loop does in the working message, then the answer as blocks in the thread', async () => {
    fake.script(
      callTools(toolUse('list_resources', { type: 'instance', environment: 'dev' })),
      reply(text('**Idle dev boxes**\n\n| Name | CPU |\n|---|---|\n| api-dev-1 | 0.8% |\n| web-dev-1 | 1.2% |')),
    );
    const { ts } = await h.mention(DAVE, 'which dev boxes have been idle all week?');
    const updates = h.fake.callsTo('chat.update').map((c) => String(c.args.text));
    expect(updates[0]).toMatch(/Working on it… looking at the inventory \(dev\)…/);
    const thread = h.botMessages(OPS).filter((m) => m.threadTs === ts);
    expect(thread).toHaveLength(1);
    const blocks = JSON.stringify(thread[0]!.blocks);
    expect(blocks).toContain('api-dev-1');
    expect(blocks).not.toContain('**');
  });

  it('files the change the model asks for as an approval card in the thread; nothing runs', async () => {
    fake.script(
      callTools(toolUse('power_action', { action: 'stop', resource: 'api-prod-2' })),
      reply(text('I filed a request to stop api-prod-2; an approver has to approve it.')),
    );
    const before = h.app.sandbox!.requests.filter((r) => r.action === 'StopInstances').length;
    const { ts } = await h.mention(ALICE, 'api-prod-2 is misbehaving, shut it down');
    const thread = h.botMessages(OPS).filter((m) => m.threadTs === ts);
    const all = thread.map((m) => `${m.text} ${JSON.stringify(m.blocks)}`).join('\n');
    expect(all).toMatch(/I filed a request to stop api-prod-2/);
    expect(all).toMatch(/CR-\d+/);
    expect(all).toContain('change.approve');
    expect(h.app.sandbox!.requests.filter((r) => r.action === 'StopInstances')).toHaveLength(before);
  });
});
