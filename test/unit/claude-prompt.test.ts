import { describe, expect, it } from '@jest/globals';
import type { StoredMessage } from '../../src/engine/engine.ts';
import { contextPrompt, historyTurns, progressText } from '../../src/engine/planner/claude/prompt.ts';
import type { ToolContext } from '../../src/tools/tool.ts';
import { createOutboundRedactor } from '../../src/util/redact.ts';

const ctx: ToolContext = {
  actor: { surface: 'slack', workspaceId: 'T1', userId: 'U1', displayName: 'Alice' },
  role: 'operator',
  conversation: { surface: 'slack', workspaceId: 'T1', channelId: 'C1', threadId: '1.0' },
  now: new Date('2026-12-02T10:00:00Z'),
};

let nextId = 1;
const msg = (author: 'user' | 'bot', text: string, extra: Partial<StoredMessage> = {}): StoredMessage => ({
  id: nextId++,
  conversationId: 'c',
  author,
  actorKey: author === 'user' ? 'slack:T1:U1' : null,
  text,
  reply: author === 'bot' ? { text, blocks: [{ type: 'text', text }] } : null,
  visibleTo: null,
  createdAt: new Date(),
  updatedAt: new Date(),
  ...extra,
});

describe('historyTurns', () => {
  it('alternates roles starting with the user, merging runs and keeping text verbatim', () => {
    const { turns, summarized } = historyTurns(
      [
        msg('bot', 'Daily digest: 3 idle instances'),
        msg('user', 'show   web-prod-1\n(with spaces)'),
        msg('user', 'and its volumes'),
        msg('bot', 'web-prod-1 is running'),
      ],
      ctx,
      20,
    );
    expect(summarized).toBe(0);
    expect(turns.map((t) => t.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
    expect(turns[0]!.text).toMatch(/starts with a bot message/);
    expect(turns[2]!.text).toBe('show   web-prod-1\n(with spaces)\n\nand its volumes');
  });

  it('summarises what is older than the verbatim window, one short line each', () => {
    const history = Array.from({ length: 30 }, (_, i) =>
      msg(i % 2 ? 'bot' : 'user', `message ${i} ${'x'.repeat(i === 0 ? 400 : 10)}`),
    );
    const { turns, summarized } = historyTurns(history, ctx, 10);
    expect(summarized).toBe(20);
    expect(turns[0]!.role).toBe('user');
    expect(turns[0]!.text).toMatch(/^\(Summary of 20 earlier messages/);
    expect(turns[0]!.text.split('\n\n')[0]!.split('\n')).toHaveLength(21);
    expect(turns[0]!.text).toMatch(/- user: message 0 x+…/);
    // The first verbatim message is a user one, merged after the summary.
    expect(turns[0]!.text).toContain('message 20');
    expect(turns.at(-1)!.text).toContain('message 29');
  });

  it("leaves out other people's private answers and marks other people's messages", () => {
    const { turns } = historyTurns(
      [
        msg('user', 'stop db-prod-1', { actorKey: 'slack:T1:U2' }),
        msg('bot', 'You are a viewer…', { visibleTo: 'slack:T1:U2' }),
        msg('bot', 'CR-4 waits for approval'),
      ],
      ctx,
      20,
    );
    expect(JSON.stringify(turns)).not.toContain('You are a viewer');
    expect(turns[0]!.text).toBe('[another user (U2)]: stop db-prod-1');
  });
});

describe('contextPrompt and progress', () => {
  it('says who asks, their role, the cloud and the estate, without volatile times', () => {
    const text = contextPrompt(ctx, {
      sandbox: true,
      providers: ['aws (38 resources)'],
      environments: ['dev', 'prod'],
      byTypeAndState: { instance: { running: 12, stopped: 2 }, volume: { total: 9 } },
      total: 38,
      monthlyCostCents: 123456,
    });
    expect(text).toMatch(/Alice .*role operator/);
    expect(text).toMatch(/sandbox/);
    expect(text).toMatch(/instance: 12 running, 2 stopped; volume: 9 total/);
    expect(text).toMatch(/\$1234\.56 a month/);
    expect(text).not.toMatch(/\d\d:\d\d/);
  });

  it('describes tool calls for the working message', () => {
    expect(progressText('list_resources', { type: 'instance', environment: 'dev' })).toBe(
      'looking at the inventory (dev)…',
    );
    expect(progressText('show_resource', { resource: 'web-1' })).toBe('reading web-1…');
    expect(progressText('power_action', { action: 'stop', resource: 'web-1' })).toBe(
      'filing a change request to stop web-1…',
    );
    expect(progressText('something_new', 42)).toBe('running something new…');
  });
});

describe('createOutboundRedactor', () => {
  const redact = createOutboundRedactor(['sk-ant-configured-0123456789', 'short', 'p@ss.word+1234']);

  it('removes configured secret values (8+ characters) and token patterns, counting each', () => {
    const r = redact(
      'key sk-ant-configured-0123456789 twice sk-ant-configured-0123456789, db p@ss.word+1234, AKIAIOSFODNN7EXAMPLE, short stays',
    );
    expect(r.text).not.toMatch(/sk-ant-configured|p@ss\.word|AKIAIOSFODNN7EXAMPLE/);
    expect(r.text).toContain('short stays');
    expect(r.counts).toEqual({ 'configured-secret': 3, 'aws-access-key-id': 1 });
  });

  it('passes ordinary text, ids and hashes unchanged', () => {
    const text =
      'stop i-0abc123def4567890 and CR-12; sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';
    expect(redact(text)).toEqual({ text, counts: {} });
  });
});
