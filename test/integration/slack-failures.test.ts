import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eq } from '../../src/store/orm.ts';
import { users } from '../../src/users/schema.ts';
import { blockActionsPayload, interactivityForm, viewSubmissionPayload } from '../helpers/slack-sign.ts';
import { ALICE, BOB, CAROL, OPS, startSlackHarness, type SlackHarness } from '../fixtures/slack-harness.ts';

/**
 * When Slack says no: channels the bot is not in, unknown users, Slack failing, payloads that
 * are not what they claim. The user gets a clear answer where there is one; nothing crashes and
 * no change request is lost.
 */
const NOT_IN = 'C0NOTIN001';
let h: SlackHarness;
beforeAll(async () => {
  // The approvals channel is one the bot was never invited to.
  // A short modal budget, so the slow-Slack submission below closes its modal quickly.
  h = await startSlackHarness(
    { SLACK_APPROVALS_CHANNEL: NOT_IN },
    { slack: { retryConfig: { retries: 1, minTimeout: 10, maxTimeout: 50 }, submitBudgetMs: 200 } },
  );
}, 60_000);
afterAll(async () => {
  await h?.stop();
});

describe('Slack failures', () => {
  it('a change request survives an approvals channel the bot is not in; the requester still gets the card', async () => {
    const { ts } = await h.mention(ALICE, 'reboot web-prod-1');
    const own = h.botMessages(OPS).find((m) => m.threadTs === ts && /^CR-\d+ /.test(m.text))!;
    expect(own).toBeDefined();
    const id = /^(CR-\d+)/.exec(own.text)![1]!;
    expect((await h.app.changes.get(id))?.status).toBe('pending');
    expect(
      h.fake
        .callsTo('chat.postMessage')
        .some((c) => c.args.channel === NOT_IN && c.response.error === 'not_in_channel'),
    ).toBe(true);
    await h.click(BOB, own, 'Approve');
    expect((await h.app.changes.get(id))?.status).toBe('succeeded');
  });

  it('a slash command in a channel the bot is not in is answered through its response_url', async () => {
    const { answer } = await h.slash(ALICE, 'list instances env=prod', NOT_IN);
    expect(answer.status).toBe(200);
    const viaUrl = h.fake.callsTo('response_url').at(-1);
    expect(viaUrl?.args.response_type).toBe('in_channel');
    expect(h.fake.messages(NOT_IN).at(-1)?.text).toMatch(/Instances env=prod/);
  });

  it('a user Slack does not know is answered under their id', async () => {
    const { ts } = await h.mention('U0GHOST001', 'list instances env=dev');
    expect(h.botMessages(OPS).filter((m) => m.threadTs === ts)).toHaveLength(1);
    const [u] = await h.app.store.db.select().from(users).where(eq(users.userId, 'U0GHOST001'));
    expect(u?.displayName).toBe('U0GHOST001');
  });

  it('Slack failing every retry loses no change request, and later requests still work', async () => {
    const before = (await h.app.changes.list({ limit: 200 })).length;
    h.fake.failNext('chat.postMessage', { status: 500 });
    h.fake.failNext('chat.postMessage', { status: 500 });
    h.fake.failNext('chat.postMessage', { status: 500 });
    h.fake.failNext('chat.postMessage', { status: 500 });
    await h.mention(ALICE, 'reboot web-prod-2');
    const after = await h.app.changes.list({ limit: 200 });
    expect(after.length).toBe(before + 1);
    expect(after[0]?.status).toBe('pending');
    const { ts } = await h.mention(ALICE, 'list instances env=prod');
    expect(h.botMessages(OPS).filter((m) => m.threadTs === ts)).toHaveLength(1);
  });

  it('a modal submitted while users.info is slow closes in time, and its field error still reaches the user', async () => {
    const { ts } = await h.mention(ALICE, 'resize web-staging-1');
    const picker = h.botMessages(OPS).find((m) => m.threadTs === ts)!;
    await h.click(ALICE, picker, 'Choose size…');
    const view = h.fake.openedViews.at(-1)!.view;
    // Carol is new to the bot: her name needs users.info, which Slack is slow to answer.
    const release = h.fake.holdNext('users.info');
    const payload = viewSubmissionPayload({
      userId: CAROL,
      userName: 'carol',
      callbackId: String(view.callback_id),
      privateMetadata: String(view.private_metadata),
      values: { 'f:size': { value: 'x9.huge' } },
    });
    const answer = await h.send({ form: interactivityForm(payload) });
    // Answered within the budget, counted from arrival: the modal closes (no response_action).
    expect([answer.status, answer.text]).toEqual([200, '']);
    release();
    await h.settle();
    const told = [...h.fake.ephemerals(OPS), ...h.fake.messages(OPS)].filter((m) => m.text.includes('x9.huge'));
    expect(told.map((m) => m.text)).toEqual([expect.stringMatching(/not a size/)]);
  });

  it('rejects interaction payloads that are not what they claim with 400, and survives odd but valid ones', async () => {
    const noActions = await h.send({
      form: interactivityForm({ type: 'block_actions', user: { id: ALICE }, actions: [] }),
    });
    expect(noActions.status).toBe(400);
    expect(noActions.json?.error).toMatch(/actions/);
    const noEvent = await h.send({ json: { type: 'event_callback', team_id: h.fake.teamId } });
    expect(noEvent.status).toBe(400);
    // An event type the bot does not listen to, and a modal it never opened: acked, ignored.
    const unknown = await h.send({
      json: {
        type: 'event_callback',
        team_id: h.fake.teamId,
        event_id: 'Ev0ODD00001',
        event: { type: 'reaction_added', user: ALICE },
      },
    });
    expect(unknown.status).toBe(200);
    const strangeModal = await h.send({
      form: interactivityForm({
        type: 'view_submission',
        team: { id: h.fake.teamId },
        user: { id: ALICE },
        view: { id: 'V1', callback_id: 'devops.form', private_metadata: 'not json', state: { values: {} } },
      }),
    });
    expect(strangeModal.status).toBe(200);
    // A button value that was tampered with to name a form that never existed.
    const msg = h.botMessages(OPS).at(-1)!;
    const forged = blockActionsPayload({
      userId: ALICE,
      channelId: OPS,
      messageTs: msg.ts,
      actionId: 'command.run',
      value: '~f1:0123456789abcdef01234567:x',
      responseUrl: h.fake.responseUrl({ channel: OPS }),
    });
    expect((await h.send({ form: interactivityForm(forged) })).status).toBe(200);
    await h.settle();
    expect(
      h.fake
        .ephemerals(OPS)
        .filter((e) => e.user === ALICE)
        .at(-1)?.text,
    ).toMatch(/form I no longer have/);
  });

  it('a correctly signed body of an odd shape gets a 400 that Slack will not retry, never a 500, and nothing runs', async () => {
    const before = h.fake.calls.length;
    const shapes: Array<{ json: unknown } | { form: Record<string, string> }> = [
      { json: { type: 'x', event: 's' } },
      { json: { type: 'event_callback', team_id: h.fake.teamId, event: 'app_mention' } },
      { json: { type: 'event_callback', team_id: h.fake.teamId, event: { type: 'app_mention', user: null } } },
      { json: { type: 'url_verification' } },
      { json: ['event_callback'] },
      { form: { payload: 'not json' } },
      { form: { payload: JSON.stringify({ type: 'block_actions', user: ALICE, actions: [{ action_id: 'a' }] }) } },
      { form: { payload: JSON.stringify({ type: 'view_submission', user: { id: ALICE }, view: null }) } },
      { form: { payload: JSON.stringify({ type: 'block_suggestion', user: { id: ALICE }, channel: null }) } },
      { form: { payload: JSON.stringify({ type: 'no_such_type', user: { id: ALICE } }) } },
    ];
    for (const body of shapes) {
      const answer = await h.send(body);
      expect([JSON.stringify(body), answer.status]).toEqual([JSON.stringify(body), 400]);
      expect(answer.json?.error).toEqual(expect.any(String));
    }
    await h.settle();
    expect(h.fake.calls.length).toBe(before);
  });
});
