import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { and, eq, like } from 'drizzle-orm';
import { startApp, type App } from '../../src/app.ts';
import { messages } from '../../src/engine/schema.ts';
import { createLogger } from '../../src/observability/logger.ts';
import type { FakeMessage } from '../fakes/slack-api.ts';
import {
  blockActionsPayload,
  blockSuggestionPayload,
  interactivityForm,
  postSigned,
  signSlackRequest,
  slashCommandForm,
  viewSubmissionPayload,
} from '../helpers/slack-sign.ts';
import {
  ALICE,
  APPROVALS,
  BOB,
  OPS,
  SECRET,
  buttonsOf,
  startSlackHarness,
  type SlackHarness,
} from '../fixtures/slack-harness.ts';

/**
 * A signed Slack request is good for 5 minutes: whoever captures one (a proxy log, a debugging
 * dump) could send it again. Every signed request runs once, across replicas (the key is recorded
 * in the database), and a replay still gets Slack's fast 200 but does nothing. Option lookups
 * (block_suggestion) are read-only and answered every time.
 */
let h: SlackHarness;
/** A second replica: its own Bolt, receiver and memory, the same database and Slack. */
let replica: App;
beforeAll(async () => {
  h = await startSlackHarness();
  replica = await startApp(h.app.config, {
    logger: createLogger('silent'),
    jobs: false,
    lockLifetimeMs: 2_000,
    store: h.app.testStore,
    slack: { retryConfig: { retries: 1, minTimeout: 10, maxTimeout: 50 } },
  });
}, 60_000);
afterAll(async () => {
  await replica?.close();
  await h?.stop();
});

type Body = { json: unknown } | { form: Record<string, string> };
/** Signs once; every send posts exactly those bytes and headers again (what a replay is). */
const captured = (body: Body, timestamp = Math.floor(Date.now() / 1000)) => {
  const signed = signSlackRequest(SECRET, body, { timestamp });
  return async (to: 'first' | 'replica' = 'first') => {
    const res = await postSigned(`${to === 'first' ? h.app.url : replica.url}/slack/events`, signed);
    const text = await res.text();
    await h.settle();
    await replica.slack!.idle();
    return { status: res.status, text };
  };
};

/** User messages stored by the engine whose text matches (a run of the request leaves one). */
const userMessages = async (pattern: string) =>
  h.app.store.db
    .select({ id: messages.id })
    .from(messages)
    .where(and(eq(messages.author, 'user'), like(messages.text, pattern)));

const card = (channel: string, id: string): FakeMessage =>
  h.fake.messages(channel).find((m) => m.text.startsWith(`${id} `))!;

const request = async (text: string) => {
  const { ts } = await h.mention(ALICE, text);
  const own = h.botMessages(OPS).find((m) => m.threadTs === ts && /^CR-\d+ /.test(m.text))!;
  const id = /^(CR-\d+) /.exec(own.text)![1]!;
  return { id, own, copy: card(APPROVALS, id) };
};

describe('replayed Slack requests', () => {
  it('a slash command replayed, to the same replica or another, is acked and runs once', async () => {
    const responseUrl = h.fake.responseUrl({ channel: OPS, user: ALICE });
    const form = slashCommandForm({
      text: 'list volumes env=replay-probe',
      userId: ALICE,
      channelId: OPS,
      responseUrl,
    });
    const sent = Math.floor(Date.now() / 1000) - 10;
    const send = captured({ form }, sent);
    const first = await send();
    expect(first.status).toBe(200);
    const answered = h.fake.callsTo('response_url').length;
    expect(await userMessages('list volumes env=replay-probe')).toHaveLength(1);

    for (const to of ['first', 'replica', 'first'] as const) {
      const again = await send(to);
      expect([to, again.status, again.text]).toEqual([to, 200, '']);
    }
    expect(await userMessages('list volumes env=replay-probe')).toHaveLength(1);
    expect(h.fake.callsTo('response_url')).toHaveLength(answered);

    // The same command typed again a second later is a new request (a new timestamp, so a new signature): it runs.
    expect((await h.send({ form }, { timestamp: sent + 1 })).status).toBe(200);
    await h.settle();
    expect(await userMessages('list volumes env=replay-probe')).toHaveLength(2);
  });

  it('a button click replayed does nothing the second time', async () => {
    const { id, copy } = await request('reboot api-prod-1');
    const approve = buttonsOf(copy).find((b) => b.label === 'Approve')!;
    const send = captured({
      form: interactivityForm(
        blockActionsPayload({
          userId: BOB,
          channelId: APPROVALS,
          messageTs: copy.ts,
          actionId: approve.actionId,
          value: approve.value,
          label: approve.label,
          responseUrl: h.fake.responseUrl({ channel: APPROVALS, ts: copy.ts, user: BOB }),
        }),
      ),
    });
    expect((await send()).status).toBe(200);
    expect((await h.app.changes.get(id))?.status).toBe('succeeded');
    const ephemerals = h.fake.ephemerals(APPROVALS).length;
    expect(await userMessages(`approve ${id}`)).toHaveLength(1);

    expect(await send('replica')).toEqual({ status: 200, text: '' });
    expect(await send()).toEqual({ status: 200, text: '' });
    // No second decision, no "already approved" answer.
    expect(await userMessages(`approve ${id}`)).toHaveLength(1);
    expect(h.fake.ephemerals(APPROVALS)).toHaveLength(ephemerals);
  });

  it('a modal submission replayed does nothing the second time', async () => {
    const { id, copy } = await request('reboot api-prod-2');
    await h.click(BOB, copy, 'Reject');
    const view = h.fake.openedViews.at(-1)!.view;
    const send = captured({
      form: interactivityForm(
        viewSubmissionPayload({
          userId: BOB,
          callbackId: String(view.callback_id),
          privateMetadata: String(view.private_metadata),
          values: { 'f:reason': { value: 'replayed reason' } },
        }),
      ),
    });
    expect((await send()).status).toBe(200);
    expect((await h.app.changes.get(id))?.status).toBe('rejected');
    expect(await userMessages(`reject ${id} replayed reason`)).toHaveLength(1);
    expect(await send('replica')).toEqual({ status: 200, text: '' });
    expect(await userMessages(`reject ${id} replayed reason`)).toHaveLength(1);
  });

  it('an options lookup (read-only) is answered every time, even when identical', async () => {
    const { ts } = await h.mention(ALICE, 'stop');
    const question = h.botMessages(OPS).find((m) => m.threadTs === ts)!;
    await h.click(ALICE, question, 'Choose instance…');
    const view = h.fake.openedViews.at(-1)!.view as {
      private_metadata: string;
      blocks: Array<{ block_id: string; element: { action_id: string } }>;
    };
    const field = view.blocks.find((b) => b.block_id === 'f:resource')!;
    const send = captured({
      form: interactivityForm(
        blockSuggestionPayload({
          userId: ALICE,
          actionId: field.element.action_id,
          blockId: field.block_id,
          value: 'web-prod',
          privateMetadata: view.private_metadata,
        }),
      ),
    });
    const first = await send();
    const second = await send('replica');
    expect(JSON.parse(first.text).options.length).toBeGreaterThan(0);
    expect(second).toEqual(first);
  });
});
