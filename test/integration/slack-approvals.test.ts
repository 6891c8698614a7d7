import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { FakeMessage } from '../fakes/slack-api.ts';
import { blockActionsPayload, interactivityForm } from '../helpers/slack-sign.ts';
import {
  ALICE,
  APPROVALS,
  BOB,
  CAROL,
  DAVE,
  OPS,
  buttonsOf,
  startSlackHarness,
  type SlackHarness,
} from '../fixtures/slack-harness.ts';

/**
 * Change requests from Slack: the card in the requester's thread and in the approvals channel,
 * decisions by button (Reject through a modal), every copy updated in place, the change executed
 * once; modal validation errors; the Home tab.
 */
let h: SlackHarness;
beforeAll(async () => {
  h = await startSlackHarness();
}, 60_000);
afterAll(async () => {
  await h?.stop();
});

const instanceId = (name: string) => h.app.sandbox!.fleet.instances.find((i) => i.tags.Name === name)!.id;
const calls = (action: string, name: string) =>
  h.app.sandbox!.requests.filter((r) => r.action === action && Object.values(r.params).includes(instanceId(name)));
const dump = (m: { text: string; blocks?: unknown[] }) => `${m.text}\n${JSON.stringify(m.blocks ?? [])}`;
const card = (channel: string, id: string): FakeMessage =>
  h.fake.messages(channel).find((m) => m.text.startsWith(`${id} `))!;
const lastEphemeral = (channel: string, user: string) =>
  h.fake
    .ephemerals(channel)
    .filter((e) => e.user === user)
    .at(-1);

/** Alice asks for a change; returns its id and both cards as first posted (buttons and all). */
const request = async (text: string) => {
  const { ts } = await h.mention(ALICE, text);
  const own = h.botMessages(OPS).find((m) => m.threadTs === ts && /^CR-\d+ /.test(m.text));
  if (!own)
    throw new Error(
      `no card for "${text}": ${JSON.stringify(
        h
          .botMessages(OPS)
          .filter((m) => m.threadTs === ts)
          .map((m) => m.text),
      )}`,
    );
  const id = /^(CR-\d+) /.exec(own.text)![1]!;
  return { id, threadTs: ts, own, copy: card(APPROVALS, id) };
};

describe('approval cards in Slack', () => {
  it('posts the card in the thread and in the approvals channel; another approver runs it once and every copy updates', async () => {
    const { id, threadTs, own, copy } = await request('stop web-prod-1');
    expect(copy).toBeDefined();
    expect(buttonsOf(own).map((b) => b.label)).toEqual(['Approve', 'Reject']);
    expect(buttonsOf(copy).map((b) => b.label)).toEqual(['Approve', 'Reject']);
    expect(own.text).toContain('waiting for approval');

    // Alice may not approve her own request: a private explanation, nothing runs.
    await h.click(ALICE, own, 'Approve');
    expect(lastEphemeral(OPS, ALICE)?.text).toMatch(/cannot approve it yourself/);
    // Dave is an operator: not enough to approve.
    await h.click(DAVE, copy, 'Approve');
    expect(lastEphemeral(APPROVALS, DAVE)?.text).toMatch(/approver|admin/);
    expect(calls('StopInstances', 'web-prod-1')).toHaveLength(0);

    await h.click(BOB, copy, 'Approve');
    expect(calls('StopInstances', 'web-prod-1')).toHaveLength(1);
    expect(lastEphemeral(APPROVALS, BOB)?.text).toMatch(new RegExp(`You approved ${id}`));
    for (const m of [card(OPS, id), card(APPROVALS, id)]) {
      expect(m.edited).toBeDefined();
      expect(buttonsOf(m)).toEqual([]);
      expect(m.text).toMatch(/done/);
      expect(dump(m)).toMatch(new RegExp(`approved by @Bob [\\s\\S]*approved by <@${BOB}>`));
    }
    // The result in the requester's thread.
    expect(h.botMessages(OPS).some((m) => m.threadTs === threadTs && m.text.includes(`${id} done`))).toBe(true);

    // Carol still sees the old card with its buttons: her click gets a clear private answer.
    await h.click(CAROL, own, 'Approve');
    expect(lastEphemeral(OPS, CAROL)?.text).toMatch(/already approved by Bob/);
    expect(calls('StopInstances', 'web-prod-1')).toHaveLength(1);
  });

  it('a resize approved by click shows its steps (stop, change type, start) on every copy of the card, then the result', async () => {
    const { id, own, copy } = await request('resize api-prod-2 to c5.2xlarge');
    const updatesBefore = h.fake.callsTo('chat.update').length;
    await h.click(BOB, copy, 'Approve');
    expect(calls('ModifyInstanceAttribute', 'api-prod-2')).toHaveLength(1);
    const updates = h.fake.callsTo('chat.update').slice(updatesBefore);
    const steps = (ts: string) => updates.filter((u) => u.args.ts === ts).map((u) => String(u.args.text));
    // Steps that come faster than Slack updates are merged (only the newest is shown), and a step
    // still queued when the result arrives is dropped: so the first step always shows, the others
    // may not, but whatever shows is in order and the result is last.
    const order = ['stopping it', 'changing the type from c5.xlarge to c5.2xlarge', 'starting it again as c5.2xlarge'];
    for (const ts of [own.ts, copy.ts]) {
      const seen = steps(ts);
      // Waits between the steps ("waiting for it to be stopped (stopping, check 1 of 40)") may show too.
      const shown = seen
        .map((t) => /running \((.+?)\): /.exec(t)?.[1])
        .filter((x): x is string => x !== undefined && !x.startsWith('waiting for it to be '));
      expect(shown[0]).toBe('stopping it');
      const positions = shown.map((x) => order.indexOf(x));
      expect(positions).not.toContain(-1);
      expect(positions).toEqual([...positions].sort((a, b) => a - b));
      expect(seen.at(-1)).toMatch(new RegExp(`^${id} done`));
    }
    expect(JSON.stringify(card(OPS, id).blocks)).not.toContain('Running:');
    expect(h.app.sandbox!.fleet.instances.find((i) => i.tags.Name === 'api-prod-2')!.instanceType).toBe('c5.2xlarge');
  });

  it('Reject opens a modal for the reason; submitting it rejects and updates every copy', async () => {
    const { id, threadTs, copy } = await request('reboot api-prod-1');
    const opened = h.fake.openedViews.length;
    const ack = await h.click(BOB, copy, 'Reject');
    expect(ack.status).toBe(200);
    expect(h.fake.openedViews).toHaveLength(opened + 1);
    const view = h.fake.openedViews.at(-1)!.view;
    expect(JSON.stringify(view.blocks)).toContain('f:reason');
    expect((await h.app.changes.get(id))?.status).toBe('pending');

    const submitted = await h.submit(BOB, view, { 'f:reason': { value: 'not during the release freeze' } });
    expect(submitted.status).toBe(200);
    expect(submitted.text).toBe('');
    const c = await h.app.changes.get(id);
    expect(c?.status).toBe('rejected');
    expect(c?.reason).toBe('not during the release freeze');
    for (const m of [card(OPS, id), card(APPROVALS, id)]) {
      expect(buttonsOf(m)).toEqual([]);
      expect(dump(m)).toMatch(new RegExp(`Rejected by @Bob [\\s\\S]*Rejected by <@${BOB}>`));
      expect(dump(m)).toContain('not during the release freeze');
    }
    expect(h.botMessages(OPS).some((m) => m.threadTs === threadTs && m.text.includes(`${id} rejected`))).toBe(true);
    expect(calls('RebootInstances', 'api-prod-1')).toHaveLength(0);
  });

  it('a form field the engine refuses comes back as response_action errors on that field', async () => {
    const { ts } = await h.mention(DAVE, 'resize web-staging-1');
    const picker = h.botMessages(OPS).find((m) => m.threadTs === ts)!;
    const before = (await h.app.changes.list({ limit: 200 })).length;
    await h.click(DAVE, picker, 'Choose size…');
    const view = h.fake.openedViews.at(-1)!.view;
    const select = (view.blocks as Array<{ block_id: string; element: { type: string; options: unknown[] } }>).find(
      (b) => b.block_id === 'f:size',
    )!;
    expect(select.element.type).toBe('static_select');
    expect(select.element.options.length).toBeGreaterThan(3);

    const bad = await h.submit(DAVE, view, { 'f:size': { value: 'x9.huge' } });
    expect(bad.status).toBe(200);
    expect(bad.json?.response_action).toBe('errors');
    expect((bad.json?.errors as Record<string, string>)['f:size']).toMatch(/not a size/);
    expect((await h.app.changes.list({ limit: 200 })).length).toBe(before);

    const good = await h.submit(DAVE, view, { 'f:size': { value: 't3.large' } });
    expect(good.text).toBe('');
    expect((await h.app.changes.list({ limit: 200 })).length).toBe(before + 1);
    expect(
      h.botMessages(OPS).some((m) => m.threadTs === ts && /^CR-\d+ /.test(m.text) && m.text.includes('t3.large')),
    ).toBe(true);
  });

  it('publishes a Home tab with the role, decisions waiting, own requests and costs; deciding from it works', async () => {
    const { id } = await request('reboot web-prod-2');
    await h.send({
      json: {
        type: 'event_callback',
        team_id: h.fake.teamId,
        api_app_id: 'A0APP00001',
        event_id: 'Ev0HOME00001',
        event_time: 1,
        event: { type: 'app_home_opened', user: BOB, channel: `D${BOB.slice(1)}`, tab: 'home', event_ts: '1.1' },
      },
    });
    await h.settle();
    const home = h.fake.homeView(BOB)!;
    const text = JSON.stringify(home.blocks);
    expect(home.type).toBe('home');
    expect(text).toContain('you are *admin*');
    expect(text).toContain(`*${id}*`);
    expect(text).toMatch(/Monthly cost/);
    // The workspace at a glance (issue 18), before what waits for the person.
    expect(text.indexOf('At a glance')).toBeGreaterThan(-1);
    expect(text.indexOf('At a glance')).toBeLessThan(text.indexOf('Waiting for your approval'));
    expect(text).toMatch(/Change failure rate \(30 days\)/);
    expect(text).toMatch(/Provider/);
    expect(text).toMatch(/Env/);
    const approve = buttonsOf(home as never).find((b) => b.label === 'Approve' && b.value === id)!;

    // Alice's own Home lists her requests, but offers her nothing to decide.
    await h.send({
      json: {
        type: 'event_callback',
        team_id: h.fake.teamId,
        api_app_id: 'A0APP00001',
        event_id: 'Ev0HOME00002',
        event_time: 1,
        event: { type: 'app_home_opened', user: ALICE, channel: `D${ALICE.slice(1)}`, tab: 'home', event_ts: '1.2' },
      },
    });
    await h.settle();
    const aliceHome = JSON.stringify(h.fake.homeView(ALICE)!.blocks);
    expect(aliceHome).toContain('Nothing waits for you');
    expect(aliceHome).toContain(id);

    const payload = blockActionsPayload({
      userId: BOB,
      channelId: 'unused',
      messageTs: '0',
      actionId: approve.actionId,
      value: approve.value,
      responseUrl: h.fake.responseUrl({ channel: OPS }),
    });
    const fromHome = {
      ...payload,
      container: { type: 'view', view_id: home.id },
      channel: undefined,
      message: undefined,
      view: home,
    };
    await h.send({ form: interactivityForm(fromHome) });
    await h.settle();
    expect(calls('RebootInstances', 'web-prod-2')).toHaveLength(1);
    // The answer goes to Bob's DM, and his Home no longer offers the decided request.
    expect(h.botMessages(`D${BOB.slice(1)}`).some((m) => m.text.includes(`You approved ${id}`))).toBe(true);
    expect(JSON.stringify(h.fake.homeView(BOB)!.blocks)).not.toContain(`*${id}*`);
  });

  it('truncates a 60-block reply to what Slack accepts, saying what was left out', async () => {
    const blocks = Array.from({ length: 60 }, (_, i) => ({ type: 'text' as const, text: `line ${i + 1}` }));
    const posted = await h.app.slack!.surface.post(
      { surface: 'slack', workspaceId: h.fake.teamId, channelId: OPS },
      { text: 'sixty lines', blocks },
    );
    const m = h.fake.messages(OPS).find((x) => x.ts === posted.messageId)!;
    expect(m.blocks!.length).toBeLessThanOrEqual(50);
    expect(JSON.stringify(m.blocks)).toMatch(/…and \d+ more items/);
    expect(m.text).toBe('sixty lines');
  });

  it('an unknown button gets a clear private answer', async () => {
    const { ts } = await h.mention(DAVE, 'list instances env=prod');
    const msg = h.botMessages(OPS).find((m) => m.threadTs === ts)!;
    const payload = blockActionsPayload({
      userId: DAVE,
      channelId: OPS,
      messageTs: msg.ts,
      threadTs: ts,
      actionId: 'legacy.thing',
      value: 'x',
      responseUrl: h.fake.responseUrl({ channel: OPS }),
    });
    const r = await h.send({ form: interactivityForm(payload) });
    await h.settle();
    expect(r.status).toBe(200);
    expect(lastEphemeral(OPS, DAVE)?.text).toMatch(/don't know the button/);
  });
});
