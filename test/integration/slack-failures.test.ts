import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { blockActionsPayload, interactivityForm } from '../helpers/slack-sign.ts';
import { ALICE, BOB, OPS, startSlackHarness, type SlackHarness } from '../fixtures/slack-harness.ts';

/**
 * When Slack says no: channels the bot is not in, unknown users, Slack failing, payloads that
 * are not what they claim. The user gets a clear answer where there is one; nothing crashes and
 * no change request is lost.
 */
const NOT_IN = 'C0NOTIN001';
let h: SlackHarness;
beforeAll(async () => {
  // The approvals channel is one the bot was never invited to.
  h = await startSlackHarness({ SLACK_APPROVALS_CHANNEL: NOT_IN });
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
    expect(h.fake.callsTo('chat.postMessage').some((c) => c.args.channel === NOT_IN && c.response.error === 'not_in_channel')).toBe(true);
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
    const u = await h.app.store.db.query.users.findFirst({ where: (x, { eq }) => eq(x.userId, 'U0GHOST001') });
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

  it('rejects interaction payloads that are not what they claim with 400, and survives odd but valid ones', async () => {
    const noActions = await h.send({ form: interactivityForm({ type: 'block_actions', user: { id: ALICE }, actions: [] }) });
    expect(noActions.status).toBe(400);
    expect(noActions.json?.error).toMatch(/actions/);
    const noEvent = await h.send({ json: { type: 'event_callback', team_id: h.fake.teamId } });
    expect(noEvent.status).toBe(400);
    // An event type the bot does not listen to, and a modal it never opened: acked, ignored.
    const unknown = await h.send({ json: { type: 'event_callback', team_id: h.fake.teamId, event_id: 'Ev0ODD00001', event: { type: 'reaction_added', user: ALICE } } });
    expect(unknown.status).toBe(200);
    const strangeModal = await h.send({ form: interactivityForm({ type: 'view_submission', team: { id: h.fake.teamId }, user: { id: ALICE }, view: { id: 'V1', callback_id: 'devops.form', private_metadata: 'not json', state: { values: {} } } }) });
    expect(strangeModal.status).toBe(200);
    // A button value that was tampered with to name a form that never existed.
    const msg = h.botMessages(OPS).at(-1)!;
    const forged = blockActionsPayload({ userId: ALICE, channelId: OPS, messageTs: msg.ts, actionId: 'command.run', value: '~f1:0123456789abcdef01234567:x', responseUrl: h.fake.responseUrl({ channel: OPS }) });
    expect((await h.send({ form: interactivityForm(forged) })).status).toBe(200);
    await h.settle();
    expect(h.fake.ephemerals(OPS).filter((e) => e.user === ALICE).at(-1)?.text).toMatch(/form I no longer have/);
  });
});
