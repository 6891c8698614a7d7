import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { actorKey, type ConversationRef } from '../../src/chat/actor.ts';
import type { Block, Reply } from '../../src/chat/reply.ts';
import { appendMessage, ensureConversation } from '../../src/engine/conversations.ts';
import { MORE_TEXT } from '../../src/surfaces/slack/more.ts';
import { encodeMore, renderPart, replyFingerprint, SHOW_MORE_ACTION } from '../../src/surfaces/slack/show-more.ts';
import type { FakeMessage } from '../fakes/slack-api.ts';
import { blockActionsPayload, interactivityForm } from '../helpers/slack-sign.ts';
import {
  ALICE,
  BOB,
  DAVE,
  OPS,
  TEAM,
  buttonsOf,
  startSlackHarness,
  type SlackHarness,
} from '../fixtures/slack-harness.ts';

/**
 * "Show more" through the real app: a stored reply too big for one Slack message is posted cut,
 * with a Show more button; clicks post the rest in the same thread, part after part, and the
 * parts together hold everything. Values that are stale, forged or point elsewhere get a private
 * sentence and never someone else's message. Replies are stored as the engine stores them (the
 * rule planner's own answers are paginated well below Slack's limits).
 */
let h: SlackHarness;
beforeAll(async () => {
  h = await startSlackHarness();
}, 60_000);
afterAll(async () => {
  await h?.stop();
});

const findings = (n: number): Reply => ({
  text: `${n} findings`,
  sandbox: true,
  blocks: Array.from({ length: n }, (_, i): Block => ({
    type: 'text',
    text: `*Finding ${i + 1}*: security group sg-${1000 + i} allows 0.0.0.0/0 on port 22`,
  })),
});

/** Stores a bot reply in a conversation, as the engine does, and returns it with its messageId. */
const store = async (ref: ConversationRef, reply: Reply, visibleTo: string | null = null): Promise<Reply> => {
  const db = h.app.store.db;
  const id = await appendMessage(db, {
    conversationId: await ensureConversation(db, ref),
    author: 'bot',
    text: reply.text,
    reply,
    visibleTo,
  });
  return { ...reply, messageId: String(id) };
};

/** A thread the bot already answers in (a real mention), and its conversation. */
const thread = async (): Promise<{ ts: string; ref: ConversationRef }> => {
  const { ts } = await h.mention(DAVE, 'list instances env=prod');
  return { ts, ref: { surface: 'slack', workspaceId: TEAM, channelId: OPS, threadId: ts } };
};

const inThread = (ts: string): FakeMessage[] => h.botMessages(OPS).filter((m) => m.threadTs === ts);
const allText = (ms: Array<{ blocks?: unknown[] }>): string => ms.map((m) => JSON.stringify(m.blocks ?? [])).join('\n');

/** Clicks Show more on the latest message of the thread until there is none; returns the clicks made. */
const clickThrough = async (ts: string, user: string): Promise<number> => {
  let clicks = 0;
  for (let m = inThread(ts).at(-1)!; buttonsOf(m).some((b) => b.label === 'Show more'); m = inThread(ts).at(-1)!) {
    expect(clicks).toBeLessThan(20);
    await h.click(user, m, 'Show more');
    clicks += 1;
  }
  return clicks;
};

/** A click on a Show more button carrying `value`, as Slack would send it from `channel`/`threadTs`. */
const clickValue = async (
  user: string,
  value: string,
  o: { threadTs?: string; ephemeral?: boolean } = {},
): Promise<void> => {
  const payload = blockActionsPayload({
    userId: user,
    channelId: OPS,
    messageTs: '1700000000.000001',
    actionId: SHOW_MORE_ACTION,
    value,
    label: 'Show more',
    responseUrl: h.fake.responseUrl({ channel: OPS, user }),
    ...(o.threadTs ? { threadTs: o.threadTs } : {}),
  });
  if (o.ephemeral) payload.container.is_ephemeral = true;
  expect((await h.send({ form: interactivityForm(payload) })).status).toBe(200);
  await h.settle();
};

const lastPrivate = (user: string): string | undefined =>
  h.fake
    .ephemerals(OPS)
    .filter((e) => e.user === user)
    .at(-1)?.text;

describe('Show more in Slack', () => {
  it('posts a 60-block reply cut with a Show more button; the click posts the rest in the thread, nothing lost', async () => {
    const { ts, ref } = await thread();
    const reply = await store(ref, findings(60));
    await h.app.slack!.surface.post(ref, reply);
    const first = inThread(ts).at(-1)!;
    expect(first.blocks!.length).toBeLessThanOrEqual(50);
    expect(allText([first])).toMatch(/…and \d+ more items/);
    expect(buttonsOf(first).find((b) => b.label === 'Show more')?.actionId).toBe(SHOW_MORE_ACTION);

    expect(await clickThrough(ts, DAVE)).toBe(1);
    const parts = inThread(ts).slice(-2);
    const seen = [...allText(parts).matchAll(/Finding (\d+)\*/g)].map((m) => Number(m[1]));
    expect(seen).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    for (const p of parts) expect(allText([p])).toContain('sandbox');
    expect(h.fake.calls.filter((c) => c.response.ok !== true)).toEqual([]);
  });

  it('chains: a 200-row table arrives over several Show mores, every row once, Approve/Reject only on the first', async () => {
    const { ts, ref } = await thread();
    const rows = Array.from({ length: 200 }, (_, i) => [
      `host-${i}`,
      `i-0${(0xabc000 + i).toString(16)}fedcba98`,
      'eu-west-1',
      'running',
      'platform-team',
      `owner-${i % 7}@example.com`,
    ]);
    const reply = await store(ref, {
      text: 'Hosts to review',
      blocks: [
        { type: 'header', text: '200 hosts' },
        { type: 'table', columns: ['name', 'id', 'region', 'state', 'team', 'owner'], rows },
        {
          type: 'actions',
          buttons: [{ actionId: 'command.run', label: 'Export', value: '{"tool":"list_resources","input":{}}' }],
        },
      ],
    });
    const before = inThread(ts).length;
    await h.app.slack!.surface.post(ref, reply);
    const clicks = await clickThrough(ts, BOB);
    expect(clicks).toBeGreaterThanOrEqual(2);
    const parts = inThread(ts).slice(before);
    expect(parts).toHaveLength(clicks + 1);
    for (const p of parts) expect(p.blocks!.length).toBeLessThanOrEqual(50);
    expect([...allText(parts).matchAll(/\*host-(\d+)\*/g)].map((m) => Number(m[1]))).toEqual(rows.map((_, i) => i));
    expect(parts.filter((p) => buttonsOf(p).some((b) => b.label === 'Export'))).toEqual([parts[0]]);
    expect(h.fake.calls.filter((c) => c.response.ok !== true)).toEqual([]);
  });

  it('answers stale or forged values privately, in words, and posts nothing in the thread', async () => {
    const { ts, ref } = await thread();
    const reply = await store(ref, findings(60));
    const id = Number(reply.messageId);
    const fingerprint = replyFingerprint(reply);
    const before = inThread(ts).length;

    await clickValue(ALICE, 'not-a-show-more-value', { threadTs: ts });
    expect(lastPrivate(ALICE)).toBe(MORE_TEXT.unreadable);
    await clickValue(ALICE, encodeMore({ messageId: id, fromUnit: 48, fingerprint: '0123456789ab' }), { threadTs: ts });
    expect(lastPrivate(ALICE)).toBe(MORE_TEXT.changed);
    await clickValue(ALICE, encodeMore({ messageId: id, fromUnit: 999, fingerprint }), { threadTs: ts });
    expect(lastPrivate(ALICE)).toBe(MORE_TEXT.nothing);
    await clickValue(ALICE, encodeMore({ messageId: 999_999_999, fromUnit: 48, fingerprint }), { threadTs: ts });
    expect(lastPrivate(ALICE)).toBe(MORE_TEXT.notHere);
    expect(inThread(ts)).toHaveLength(before);
  });

  it('refuses a message of another workspace or another conversation, even with the right fingerprint', async () => {
    const { ts } = await thread();
    const elsewhere = await store(
      { surface: 'slack', workspaceId: 'T0OTHER001', channelId: OPS, threadId: ts },
      findings(60),
    );
    const otherThread = await store(
      { surface: 'slack', workspaceId: TEAM, channelId: OPS, threadId: '1600000000.000042' },
      findings(60),
    );
    const before = inThread(ts).length;
    for (const r of [elsewhere, otherThread]) {
      await clickValue(
        ALICE,
        encodeMore({ messageId: Number(r.messageId), fromUnit: 48, fingerprint: replyFingerprint(r) }),
        { threadTs: ts },
      );
      expect(lastPrivate(ALICE)).toBe(MORE_TEXT.notHere);
    }
    expect(inThread(ts)).toHaveLength(before);
    expect(allText(h.fake.ephemerals(OPS))).not.toContain('Finding 49');
  });

  it('continues a private reply privately, and only for the person who could see it', async () => {
    const { ts, ref } = await thread();
    const reply = await store(ref, findings(60), actorKey({ surface: 'slack', workspaceId: TEAM, userId: ALICE }));
    const next = renderPart(reply).nextUnit!;
    const value = encodeMore({
      messageId: Number(reply.messageId),
      fromUnit: next,
      fingerprint: replyFingerprint(reply),
    });
    const before = inThread(ts).length;

    await clickValue(BOB, value, { threadTs: ts, ephemeral: true });
    expect(lastPrivate(BOB)).toBe(MORE_TEXT.notHere);

    await clickValue(ALICE, value, { threadTs: ts, ephemeral: true });
    const part = h.fake
      .ephemerals(OPS)
      .filter((e) => e.user === ALICE)
      .at(-1)!;
    expect(part.threadTs).toBe(ts);
    expect([...allText([part]).matchAll(/Finding (\d+)\*/g)].map((m) => Number(m[1]))).toEqual(
      Array.from({ length: 60 - next }, (_, i) => next + 1 + i),
    );
    expect(inThread(ts)).toHaveLength(before);
    expect(allText(h.fake.ephemerals(OPS).filter((e) => e.user !== ALICE))).not.toContain(`Finding ${next + 1}*`);
  });
});
