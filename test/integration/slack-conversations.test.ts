import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { and, eq } from '../../src/store/orm.ts';
import { conversationKey } from '../../src/chat/actor.ts';
import { listMessages } from '../../src/engine/conversations.ts';
import { processedEvents } from '../../src/engine/schema.ts';
import { users } from '../../src/users/schema.ts';
import { appMentionEvent, eventCallback, urlVerification } from '../helpers/slack-sign.ts';
import { ALICE, DAVE, OPS, TEAM, startSlackHarness, type SlackHarness } from '../fixtures/slack-harness.ts';

/**
 * Talking to the bot in Slack through the real app: signed requests on /slack/events, answers
 * read from the Web API fake. Mentions, threads, DMs, the slash command, Slack's redeliveries.
 */
let h: SlackHarness;
beforeAll(async () => {
  h = await startSlackHarness();
}, 60_000);
afterAll(async () => {
  await h?.stop();
});

const textOf = (m: { text: string; blocks?: unknown[] }): string => `${m.text}\n${JSON.stringify(m.blocks ?? [])}`;

describe('conversations in Slack', () => {
  it('answers a mention in the thread of the mention, marked as sandbox', async () => {
    const { ts, answer } = await h.mention(DAVE, 'list instances env=prod');
    expect(answer.status).toBe(200);
    expect(answer.text).toBe('');
    const replies = h.botMessages(OPS).filter((m) => m.threadTs === ts);
    expect(replies).toHaveLength(1);
    expect(replies[0]!.text).toMatch(/Instances env=prod/);
    expect(textOf(replies[0]!)).toContain('web-prod-1');
    expect(textOf(replies[0]!)).toContain('sandbox');
  });

  it('answers follow-ups in that thread without a new mention, and ignores people talking to each other', async () => {
    const { ts } = await h.mention(DAVE, 'list instances env=prod');
    await h.message(DAVE, OPS, 'show web-prod-1', { threadTs: ts });
    const thread = h.botMessages(OPS).filter((m) => m.threadTs === ts);
    expect(thread).toHaveLength(2);
    expect(textOf(thread[1]!)).toContain('web-prod-1');
    await h.message(DAVE, OPS, `<@${ALICE}> can you check this?`, { threadTs: ts });
    // A thread the bot was never in, and a top-level message: not for the bot.
    await h.message(DAVE, OPS, 'list instances', { threadTs: '1600000000.000001' });
    await h.message(DAVE, OPS, 'list instances');
    expect(h.botMessages(OPS).filter((m) => m.threadTs === ts)).toHaveLength(2);
    expect(
      h.botMessages(OPS).filter((m) => m.threadTs === '1600000000.000001' || m.threadTs === undefined),
    ).toHaveLength(0);
  });

  it('answers a DM in the DM, and decodes Slack escapes before the engine reads them', async () => {
    const dm = `D${DAVE.slice(1)}`;
    await h.message(DAVE, dm, `show &lt;web-prod-1&gt; &amp; <#${OPS}|ops> <https://example.com|site>`);
    const [answer] = h.botMessages(dm);
    expect(answer?.threadTs).toBeUndefined();
    // What the engine read and stored is what the user typed, not Slack's wire escapes.
    const stored = await listMessages(
      h.app.store.db,
      conversationKey({ surface: 'slack', workspaceId: TEAM, channelId: dm }),
    );
    expect(stored.find((m) => m.author === 'user')?.text).toBe('show <web-prod-1> & #ops site');
    await h.message(DAVE, dm, 'list instances env=prod');
    expect(h.botMessages(dm)).toHaveLength(2);
    expect(h.botMessages(dm)[1]!.text).toMatch(/Instances env=prod/);
  });

  it('/devops answers in the channel; an empty /devops is help only the user sees', async () => {
    const before = h.botMessages(OPS).length;
    const { answer } = await h.slash(DAVE, 'list instances env=prod');
    expect(answer.status).toBe(200);
    const after = h.botMessages(OPS);
    expect(after).toHaveLength(before + 1);
    expect(after.at(-1)!.text).toMatch(/Instances env=prod/);

    await h.slash(DAVE, '');
    expect(h.botMessages(OPS)).toHaveLength(before + 1);
    const help = h.fake
      .ephemerals(OPS)
      .filter((e) => e.user === DAVE)
      .at(-1);
    expect(h.fake.callsTo('response_url').at(-1)?.args.response_type).toBe('ephemeral');
    expect(help?.text ?? '').toMatch(/list/i);
  });

  it('ignores its own messages and other bots', async () => {
    const before = h.fake.callsTo('chat.postMessage').length;
    const dm = `D${DAVE.slice(1)}`;
    await h.send({
      json: eventCallback({
        type: 'message',
        user: h.fake.botUserId,
        text: 'list instances',
        ts: '1700000001.000001',
        channel: dm,
        channel_type: 'im',
      }),
    });
    await h.send({
      json: eventCallback({
        type: 'message',
        subtype: 'bot_message',
        bot_id: 'B0OTHER001',
        text: 'list instances',
        ts: '1700000001.000002',
        channel: dm,
        channel_type: 'im',
      }),
    });
    await h.send({
      json: eventCallback({
        type: 'message',
        user: 'U0OTHERBOT',
        bot_id: 'B0OTHER002',
        text: 'list instances',
        ts: '1700000001.000003',
        channel: dm,
        channel_type: 'im',
      }),
    });
    await h.settle();
    expect(h.fake.callsTo('chat.postMessage')).toHaveLength(before);
  });

  it('processes a redelivered event once (X-Slack-Retry-Num, same event_id)', async () => {
    const ev = appMentionEvent({ user: DAVE, channel: OPS, text: `<@${h.fake.botUserId}> list instances env=dev` });
    const body = eventCallback(ev, { eventId: 'Ev0RETRY0001' });
    // Slack signs each delivery when it sends it: a retry carries a later timestamp (and signature).
    const t = Math.floor(Date.now() / 1000);
    const first = await h.send({ json: body }, { timestamp: t });
    const retry = await h.send({ json: body }, { retryNum: 1, timestamp: t + 1 });
    const again = await h.send({ json: body }, { retryNum: 2, timestamp: t + 2 });
    await h.settle();
    expect([first.status, retry.status, again.status]).toEqual([200, 200, 200]);
    expect(h.botMessages(OPS).filter((m) => m.threadTs === ev.ts)).toHaveLength(1);
    const rows = await h.app.store.db
      .select()
      .from(processedEvents)
      .where(eq(processedEvents.id, 'slack:Ev0RETRY0001'));
    expect(rows).toHaveLength(1);
  });

  it('refuses a bad signature and a stale timestamp with 401, each with its reason', async () => {
    const body = { json: eventCallback(appMentionEvent({ user: DAVE, channel: OPS, text: 'hi' })) };
    const before = h.fake.calls.length;
    const forged = await h.send(body, { secret: 'not-the-secret' });
    expect(forged.status).toBe(401);
    expect(forged.json?.error).toBe('signature mismatch');
    const stale = await h.send(body, { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 });
    expect(stale.status).toBe(401);
    expect(stale.json?.error).toMatch(/5 minutes/);
    const unsigned = await fetch(h.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body.json),
    });
    expect(unsigned.status).toBe(401);
    await h.settle();
    expect(h.fake.calls.length).toBe(before);
  });

  it('answers url_verification, and 400 for a malformed body', async () => {
    const ok = await h.send({ json: urlVerification('chal-123') });
    expect(ok.json).toEqual({ challenge: 'chal-123' });
    const notJson = await h.send({ form: { payload: '{"type": ' } });
    expect(notJson.status).toBe(400);
    expect(notJson.json?.error).toMatch(/JSON/);
    const noType = await h.send({ json: { hello: 'world' } });
    expect(noType.status).toBe(400);
    const badCommand = await h.send({ form: { command: 'devops', text: 'x' } });
    expect(badCommand.status).toBe(400);
  });

  it('tells the user when a message is over 40,000 characters instead of failing', async () => {
    const dm = `D${DAVE.slice(1)}`;
    const before = h.fake.calls.length;
    await h.message(DAVE, dm, 'x'.repeat(40_500));
    const told = h.fake.calls
      .slice(before)
      .find((c) => c.method === 'chat.postEphemeral' || c.method === 'chat.postMessage');
    expect(String(told?.args.text)).toMatch(/40,500 characters/);
  });

  it('retries a 429 after Retry-After and delivers the answer once', async () => {
    h.fake.failNext('chat.postMessage', { status: 429, retryAfter: 1 });
    const { ts } = await h.mention(DAVE, 'list instances env=staging');
    const posts = h.fake.callsTo('chat.postMessage').filter((c) => c.args.thread_ts === ts);
    expect(posts.map((c) => c.status)).toEqual([429, 200]);
    expect(h.botMessages(OPS).filter((m) => m.threadTs === ts)).toHaveLength(1);
  });

  it('posts a working message first when asked to, then replaces it with the answer', async () => {
    // The harness app answers fast; a second app with workingAfterMs 0 takes the slow path every time.
    const slow = await startSlackHarness(
      {},
      { slack: { retryConfig: { retries: 1, minTimeout: 10, maxTimeout: 50 }, workingAfterMs: 0 } },
    );
    try {
      const { ts } = await slow.mention(DAVE, 'list instances env=prod');
      const thread = slow.botMessages(OPS).filter((m) => m.threadTs === ts);
      expect(thread).toHaveLength(1);
      expect(thread[0]!.edited).toBeDefined();
      expect(thread[0]!.text).toMatch(/Instances env=prod/);
      expect(slow.fake.callsTo('chat.postMessage').find((c) => c.args.thread_ts === ts)?.args.text).toMatch(
        /Working on it/,
      );

      // A redelivery (Slack retried: our ack was lost) also posts a placeholder; the engine knows
      // the event, so the placeholder is deleted rather than left saying "done".
      const ev = appMentionEvent({
        user: DAVE,
        channel: OPS,
        text: `<@${slow.fake.botUserId}> list instances env=dev`,
      });
      const body = eventCallback(ev, { eventId: 'Ev0SLOWRETRY1' });
      const t = Math.floor(Date.now() / 1000);
      await slow.send({ json: body }, { timestamp: t });
      await slow.settle();
      await slow.send({ json: body }, { retryNum: 1, timestamp: t + 1 });
      await slow.settle();
      const retried = slow.botMessages(OPS).filter((m) => m.threadTs === ev.ts);
      expect(retried.map((m) => m.text)).toEqual([expect.stringMatching(/Instances env=dev/)]);
      expect(slow.fake.callsTo('chat.delete')).toHaveLength(1);

      // A slash command gets a private note instead; a public answer deletes it first…
      const before = slow.botMessages(OPS).length;
      await slow.slash(DAVE, 'list instances env=staging');
      const notes = slow.fake.callsTo('response_url');
      expect(notes.map((c) => [c.args.text ?? null, c.args.delete_original ?? null])).toEqual([
        [expect.stringMatching(/Working on it/), null],
        [null, true],
      ]);
      expect(slow.fake.ephemerals(OPS).filter((e) => e.user === DAVE)).toEqual([]);
      expect(slow.botMessages(OPS)).toHaveLength(before + 1);
      // …and a private answer takes its place.
      await slow.slash(DAVE, '');
      const help = slow.fake.ephemerals(OPS).filter((e) => e.user === DAVE);
      expect(help).toHaveLength(1);
      expect(help[0]!.text).toMatch(/list/i);
      expect(slow.fake.callsTo('response_url').at(-1)?.args.replace_original).toBe(true);
    } finally {
      await slow.stop();
    }
  }, 60_000);

  it('keeps the team id as the workspace of the actor, and asks users.info once per user (cached)', async () => {
    await h.mention(DAVE, 'whoami');
    await h.mention(DAVE, 'whoami');
    // Dave spoke in every test above: one lookup served them all.
    expect(h.fake.callsTo('users.info').filter((c) => c.args.user === DAVE)).toHaveLength(1);
    const [user] = await h.app.store.db
      .select()
      .from(users)
      .where(and(eq(users.workspaceId, TEAM), eq(users.userId, DAVE)));
    expect(user?.displayName).toBe('Dave');
    expect(user?.surface).toBe('slack');
  });
});
