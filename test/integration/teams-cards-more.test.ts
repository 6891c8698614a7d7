import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { actorKey, type Actor, type ConversationRef } from '../../src/chat/actor.ts';
import type { Block, Reply } from '../../src/chat/reply.ts';
import { createConversationStore } from '../../src/engine/conversations.ts';
import type { ConversationStore } from '../../src/engine/engine.ts';
import { renderPart, type TeamsMessage } from '../../src/surfaces/teams/cards.ts';
import {
  encodeMore,
  handleMoreClick,
  MORE_TEXT,
  parseMore,
  replyFingerprint,
  SHOW_MORE_VERB,
} from '../../src/surfaces/teams/more.ts';
import { createTestStore, testStoreTimeoutMs, type TestStore } from '../helpers/db.ts';

/**
 * Teams "Show more" (src/surfaces/teams/more.ts) on the real conversation store: a stored reply
 * too big for one card is continued click after click until everything was shown once; values
 * that are forged, stale, or clicked elsewhere or by someone the message was not for get a
 * sentence, never someone else's message.
 */
let db: TestStore;
let conversations: ConversationStore;
beforeAll(async () => {
  db = await createTestStore();
  conversations = createConversationStore(db.db);
}, testStoreTimeoutMs);
afterAll(() => db?.dispose());

const TENANT = 'tenant-1';
const alice: Actor = { surface: 'teams', workspaceId: TENANT, userId: 'aad-alice', displayName: 'Alice' };
const bob: Actor = { surface: 'teams', workspaceId: TENANT, userId: 'aad-bob', displayName: 'Bob' };
const channel: ConversationRef = {
  surface: 'teams',
  workspaceId: TENANT,
  channelId: '19:ops@thread.tacv2',
  threadId: '1700000000001',
};

const findings = (n: number): Reply => ({
  text: `${n} findings`,
  blocks: Array.from({ length: n }, (_, i): Block => ({
    type: 'text',
    text: `*Finding ${i + 1}*: security group sg-${1000 + i} allows 0.0.0.0/0 on port 22. ${'Details follow. '.repeat(20)}`,
  })),
});

/** Stores a bot reply as the engine does; returns it with its messageId. */
const store = async (ref: ConversationRef, reply: Reply, visibleTo: string | null = null): Promise<Reply> => {
  const id = await conversations.append({
    conversationId: await conversations.ensure(ref),
    author: 'bot',
    text: reply.text,
    reply,
    visibleTo,
  });
  return { ...reply, messageId: String(id) };
};

const moreValue = (m: TeamsMessage): string | undefined => {
  const text = JSON.stringify(m.attachments[0]!.content);
  const at = text.indexOf(`"verb":"${SHOW_MORE_VERB}"`);
  if (at < 0) return undefined;
  return /"value":"([^"]+)"/.exec(text.slice(at))?.[1];
};
const cardText = (m: TeamsMessage): string => JSON.stringify(m.attachments[0]!.content.body);
const sentence = (m: TeamsMessage): string => m.text;

describe('handleMoreClick', () => {
  it('continues a stored reply part after part until every finding was shown exactly once', async () => {
    const reply = await store(channel, findings(120));
    const parts = [renderPart(reply).message];
    for (let value = moreValue(parts[0]!); value; value = moreValue(parts.at(-1)!)) {
      expect(parts.length).toBeLessThan(30);
      parts.push(await handleMoreClick({ conversations, actor: bob, conversation: channel, value }));
    }
    expect(parts.length).toBeGreaterThan(2);
    const seen = parts.flatMap((p) => [...cardText(p).matchAll(/Finding (\d+)\*\*/g)].map((m) => Number(m[1])));
    expect(seen).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
    expect(parts[1]!.text).toBe('(continued) 120 findings');
  });

  it('refuses values that are not ours, point elsewhere, or are stale, with a sentence', async () => {
    const reply = await store(channel, findings(120));
    const value = moreValue(renderPart(reply).message)!;
    const ref = parseMore(value)!;
    const click = (over: Partial<Parameters<typeof handleMoreClick>[0]>) =>
      handleMoreClick({ conversations, actor: bob, conversation: channel, value, ...over });

    expect(sentence(await click({ value: 'nonsense' }))).toBe(MORE_TEXT.unreadable);
    expect(sentence(await click({ value: encodeMore({ ...ref, messageId: 999_999 }) }))).toBe(MORE_TEXT.notHere);
    // Another thread, another channel, another tenant, another surface's actor.
    expect(sentence(await click({ conversation: { ...channel, threadId: '1700000000999' } }))).toBe(MORE_TEXT.notHere);
    expect(sentence(await click({ conversation: { ...channel, channelId: '19:other@thread.tacv2' } }))).toBe(
      MORE_TEXT.notHere,
    );
    expect(
      sentence(
        await click({
          conversation: { ...channel, workspaceId: 'tenant-2' },
          actor: { ...bob, workspaceId: 'tenant-2' },
        }),
      ),
    ).toBe(MORE_TEXT.notHere);
    expect(sentence(await click({ actor: { ...bob, surface: 'slack' } }))).toBe(MORE_TEXT.notHere);
    // The content changed since the button was made.
    expect(sentence(await click({ value: encodeMore({ ...ref, fingerprint: '0123456789ab' }) }))).toBe(
      MORE_TEXT.changed,
    );
    // Past the end.
    expect(sentence(await click({ value: encodeMore({ ...ref, fromUnit: 5000 }) }))).toBe(MORE_TEXT.nothing);
  });

  it('a private reply continues only for the person it was for', async () => {
    const reply = await store(channel, findings(120), actorKey(alice));
    const value = moreValue(renderPart(reply).message)!;
    expect(sentence(await handleMoreClick({ conversations, actor: bob, conversation: channel, value }))).toBe(
      MORE_TEXT.notHere,
    );
    const next = await handleMoreClick({ conversations, actor: alice, conversation: channel, value });
    expect(cardText(next)).toContain('Finding');
  });

  it('a user message or a Slack conversation’s reply is never continued in Teams', async () => {
    const user = await conversations.append({
      conversationId: await conversations.ensure(channel),
      author: 'user',
      text: 'list instances',
    });
    const fingerprint = replyFingerprint(findings(1));
    expect(
      sentence(
        await handleMoreClick({
          conversations,
          actor: bob,
          conversation: channel,
          value: encodeMore({ messageId: user, fromUnit: 1, fingerprint }),
        }),
      ),
    ).toBe(MORE_TEXT.notHere);
    const slackRef: ConversationRef = { surface: 'slack', workspaceId: TENANT, channelId: channel.channelId };
    const slack = await store(slackRef, findings(120));
    const value = moreValue(renderPart(slack).message)!;
    expect(sentence(await handleMoreClick({ conversations, actor: bob, conversation: channel, value }))).toBe(
      MORE_TEXT.notHere,
    );
  });
});
