import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLogger } from '../../src/observability/logger.ts';
import { sql } from '../../src/store/orm.ts';
import { startPagerDutyApiFake, type PagerDutyApiFake } from '../fakes/pagerduty/api.ts';
import { createPagerDutyWebhookSender, type PagerDutyWebhookSender } from '../fakes/pagerduty/webhooks.ts';
import type { FakeMessage } from '../fakes/slack-api.ts';
import {
  ALICE,
  CAROL,
  DAVE,
  TEAM,
  buttonsOf,
  startSlackHarness,
  type SlackHarness,
} from '../fixtures/slack-harness.ts';
import {
  DAVE as TEAMS_DAVE,
  DAVE_CHAT,
  TENANT,
  startTeamsHarness,
  type TeamsHarness,
} from '../fixtures/teams-harness.ts';

// Incident threads on Slack and on Teams, through the real SDKs (Bolt's WebClient, the Agents
// SDK's connector client) against the wire fakes: PagerDuty's signed webhooks open a thread in the
// channel INCIDENT_CHANNEL names, the diagnosis is a reply in it, an acknowledgement updates the
// first message in place, and a click on Acknowledge acts in PagerDuty as the person who clicked
// (on Slack, found by the email of their Slack profile; on Teams, which tells no email, once an
// admin has mapped them), said in the thread. A Teams channel the bot has never been in gets
// nothing until someone talks to the bot there; the incident's next update then posts the thread.
const SECRET = 'pd-webhook-secret-for-tests';
const PD_TOKEN = 'pd-rest-token';
const pdUsers = [
  { id: 'PALICE', name: 'Alice', email: 'alice@example.com' },
  { id: 'PBOB', name: 'Bob', email: 'bob@example.com' },
];
const pdEnv = (pd: PagerDutyApiFake): Record<string, string> => ({
  PAGERDUTY_WEBHOOK_SECRETS: SECRET,
  PAGERDUTY_API_TOKEN: PD_TOKEN,
  PAGERDUTY_API_URL: pd.url,
  PAGERDUTY_RETRY_TIMEOUT: '20ms',
});

/** The card's Universal Actions (`Action.Execute`), wherever they sit in the card. */
const executeActions = (
  activity: Record<string, unknown>,
): Array<{ title: string; verb: string; data: Record<string, unknown> }> => {
  const found: Array<{ title: string; verb: string; data: Record<string, unknown> }> = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (!v || typeof v !== 'object') return;
    const o = v as Record<string, unknown>;
    if (o.type === 'Action.Execute') found.push(o as unknown as (typeof found)[number]);
    Object.values(o).forEach(walk);
  };
  walk(activity.attachments);
  return found;
};

/** Every text a Slack message shows (its fallback text and its blocks). */
const slackText = (m: FakeMessage | undefined): string => `${m?.text ?? ''}\n${JSON.stringify(m?.blocks ?? [])}`;

describe('incident threads on Slack', () => {
  const INCIDENTS = 'C0INCIDE01';
  let h: SlackHarness;
  let pd: PagerDutyApiFake;
  let sender: PagerDutyWebhookSender;

  const settle = async () => {
    await sender.idle();
    await h.app.incidents.idle();
    await h.settle();
  };
  /** The bot's top-level message (not a thread reply) that is the card of the incident titled so. */
  const cardOf = (title: string): FakeMessage | undefined =>
    h.botMessages(INCIDENTS).find((m) => !m.threadTs && m.text.includes(title));
  const thread = (card: FakeMessage): FakeMessage[] => h.botMessages(INCIDENTS).filter((m) => m.threadTs === card.ts);

  beforeAll(async () => {
    pd = await startPagerDutyApiFake({ token: PD_TOKEN, users: pdUsers });
    h = await startSlackHarness({ ...pdEnv(pd), INCIDENT_CHANNEL: `slack:${TEAM}:${INCIDENTS}` });
    h.fake.addChannel({ id: INCIDENTS, name: 'incidents' });
    // Slack profiles: Alice's email is her PagerDuty login; Carol's is nobody's there; Dave shows none.
    h.fake.addUser({ id: ALICE, name: 'alice', displayName: 'Alice', email: 'alice@example.com' });
    h.fake.addUser({ id: CAROL, name: 'carol', displayName: 'Carol', email: 'carol@example.com' });
    sender = createPagerDutyWebhookSender({ api: pd, url: `${h.app.url}/webhooks/pagerduty`, secrets: [SECRET] });
  }, 60_000);
  afterAll(async () => {
    await h?.stop();
    await pd?.stop();
  });

  it('posts the card in the channel, the diagnosis in its thread, and updates the card when PagerDuty acknowledges', async () => {
    const stop = sender.follow();
    pd.trigger({ title: 'Disk full on web-prod-1', serviceName: 'checkout', id: 'QSLACK1' });
    await settle();

    const posts = h.fake.callsTo('chat.postMessage').filter((c) => c.args.channel === INCIDENTS);
    const cardCall = posts.find((c) => String(c.args.text).includes('Disk full on web-prod-1'));
    expect(cardCall?.args.thread_ts).toBeUndefined();
    expect(cardCall?.response.ok).toBe(true);
    const card = cardOf('Disk full on web-prod-1')!;
    expect(card.ts).toBe(cardCall!.response.ts);
    expect(card.text).toMatch(/^🔴 INC-\d+ Triggered: checkout: Disk full on web-prod-1/);
    const incident = /INC-\d+/.exec(card.text)![0];
    // Block Kit: a header, the fields, and the three buttons as command buttons carrying the action.
    expect((card.blocks as Array<{ type: string }>)[0]!.type).toBe('header');
    const buttons = buttonsOf(card);
    expect(buttons.map((b) => b.label)).toEqual(['Acknowledge', 'Resolve', 'Escalate']);
    expect(buttons.map((b) => JSON.parse(b.value) as unknown)).toEqual(
      ['acknowledge', 'resolve', 'escalate'].map((action) => ({
        tool: 'incident_action',
        input: { incident, action },
      })),
    );

    // The diagnosis: a reply in the card's thread, not a new post in the channel.
    const diagnosisCall = posts.find((c) => JSON.stringify(c.args.blocks ?? []).includes('What the bot found for'));
    expect(diagnosisCall?.args.thread_ts).toBe(card.ts);
    expect(thread(card).some((m) => slackText(m).includes(`🔎 What the bot found for ${incident}`))).toBe(true);
    expect(h.botMessages(INCIDENTS).filter((m) => !m.threadTs)).toHaveLength(1);

    // Bob acknowledges in PagerDuty itself: its webhook updates the card (same ts) and the thread says so.
    const updatesBefore = h.fake.callsTo('chat.update').length;
    pd.ack('QSLACK1', 'bob@example.com');
    await settle();
    stop();
    const updates = h.fake.callsTo('chat.update').slice(updatesBefore);
    expect(updates.map((c) => [c.args.channel, c.args.ts])).toEqual([[INCIDENTS, card.ts]]);
    const updated = cardOf('Disk full on web-prod-1')!;
    expect(updated.ts).toBe(card.ts);
    expect(updated.edited).toBeDefined();
    expect(updated.text).toMatch(new RegExp(`^🟠 ${incident} Acknowledged`));
    expect(slackText(updated)).toContain('Bob');
    expect(buttonsOf(updated).map((b) => b.label)).toEqual(['Resolve', 'Escalate']);
    expect(thread(card).map((m) => m.text)).toContain('🟠 Acknowledged in PagerDuty by Bob.');
    expect(h.botMessages(INCIDENTS).filter((m) => !m.threadTs)).toHaveLength(1);
  });

  it('acknowledges in PagerDuty as the Slack user who clicked, found by their profile email', async () => {
    const stop = sender.follow();
    pd.trigger({ title: 'Latency high on api-prod-2', serviceName: 'api', id: 'QSLACK2' });
    await settle();
    const card = cardOf('Latency high on api-prod-2')!;
    const incident = /INC-\d+/.exec(card.text)![0];
    const writes = () => pd.calls.filter((c) => c.method === 'PUT' && c.path === '/incidents/QSLACK2');

    // Dave's Slack profile shows no email: the bot cannot know his PagerDuty login.
    await h.click(DAVE, card, 'Acknowledge');
    const toDave = h.fake.ephemerals(INCIDENTS).filter((e) => e.user === DAVE);
    expect(toDave.map((e) => e.text).join('\n')).toMatch(/I don't know your PagerDuty login/);
    // Carol's email is no PagerDuty user's login.
    await h.click(CAROL, card, 'Acknowledge');
    const toCarol = h.fake.ephemerals(INCIDENTS).filter((e) => e.user === CAROL);
    expect(toCarol.map((e) => e.text).join('\n')).toMatch(/No PagerDuty user has the login carol@example\.com/);
    expect(writes()).toHaveLength(0);
    expect(pd.incident('QSLACK2')!.status).toBe('triggered');
    expect(cardOf('Latency high on api-prod-2')!.edited).toBeUndefined();

    // Alice's profile email is her PagerDuty login: PagerDuty acknowledges it as her.
    const before = h.fake.callsTo('users.info').filter((c) => c.args.user === ALICE).length;
    await h.click(ALICE, card, 'Acknowledge');
    await settle();
    stop();
    expect(h.fake.callsTo('users.info').filter((c) => c.args.user === ALICE).length).toBeGreaterThan(before);
    expect(writes().map((c) => [c.status, c.from])).toEqual([[200, 'alice@example.com']]);
    expect(pd.incident('QSLACK2')!.status).toBe('acknowledged');
    const updated = cardOf('Latency high on api-prod-2')!;
    expect(updated.ts).toBe(card.ts);
    expect(updated.text).toMatch(new RegExp(`^🟠 ${incident} Acknowledged`));
    expect(buttonsOf(updated).map((b) => b.label)).toEqual(['Resolve', 'Escalate']);
    // The thread says it for everyone; Alice gets her own copy privately; the channel keeps one
    // message per incident. PagerDuty's own webhook for her acknowledgement adds no second line.
    const line = `🟠 Alice acknowledged ${incident} in PagerDuty.`;
    expect(
      thread(card)
        .filter((m) => /acknowledged/i.test(m.text))
        .map((m) => m.text),
    ).toEqual([line]);
    expect(
      h.fake
        .ephemerals(INCIDENTS)
        .filter((e) => e.user === ALICE)
        .map((e) => e.text),
    ).toEqual([line]);
    expect(h.botMessages(INCIDENTS).filter((m) => !m.threadTs)).toHaveLength(2);
  });
});

describe('incident threads on Teams', () => {
  const INCIDENTS = '19:incidents@thread.tacv2';
  let h: TeamsHarness;
  let pd: PagerDutyApiFake;
  let sender: PagerDutyWebhookSender;
  const logs: Array<{ msg: string; err?: unknown }> = [];

  const settle = async () => {
    await sender.idle();
    await h.app.incidents.idle();
    await h.app.teams!.idle();
  };

  beforeAll(async () => {
    pd = await startPagerDutyApiFake({ token: PD_TOKEN, users: pdUsers });
    const sink = new PassThrough();
    sink.on('data', (chunk: Buffer) =>
      logs.push(
        ...chunk
          .toString()
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as { msg: string; err?: unknown }),
      ),
    );
    h = await startTeamsHarness({
      appId: true,
      env: { ...pdEnv(pd), INCIDENT_CHANNEL: `teams:${TENANT}:${INCIDENTS}` },
      opts: { logger: createLogger('warn', sink) },
    });
    sender = createPagerDutyWebhookSender({ api: pd, url: `${h.app.url}/webhooks/pagerduty`, secrets: [SECRET] });
  }, 60_000);
  afterAll(async () => {
    await h?.stop();
    await pd?.stop();
  });

  it('posts nothing while the bot has never been in the channel, then the whole thread once it has', async () => {
    const stop = sender.follow();
    pd.trigger({ title: 'Memory leak on worker-prod-1', serviceName: 'billing-worker', id: 'QTEAMS0' });
    await settle();
    // No reference to the channel yet: nothing reaches the Bot Connector, the operator is told why,
    // and the delivery is done (not retried, which would count the alert twice).
    expect(h.fake.calls.filter((c) => c.conversationId.startsWith(INCIDENTS))).toHaveLength(0);
    const warning = logs.find((l) => l.msg === 'could not post an incident thread; it is tried again');
    expect(JSON.stringify(warning?.err)).toContain(`no Teams conversation ${INCIDENTS} is known: add the bot there`);
    const rows = await h.app.store.db.execute<{
      repeats: number;
      thread: unknown;
      error: string | null;
      done: boolean;
    }>(
      sql`select i.repeats, i.thread, x.error, x.processed_at is not null as done
          from incidents i, incident_inbox x where i.external_id = 'QTEAMS0'`,
    );
    expect(rows.rows).toEqual([{ repeats: 0, thread: null, error: null, done: true }]);
    // The inbox job tries again (`postDeferred`): still nowhere to post.
    expect(await h.app.incidents.postDeferred()).toBe(0);

    // Someone @mentions the bot in the incident channel once: Teams sends the activity whose
    // conversation reference (service URL, bot, conversation) the surface keeps for proactive posts.
    // (A channel post's conversation id names its own thread, as Teams sends it.)
    await h.message(TEAMS_DAVE, `${INCIDENTS};messageid=hello-bot`, 'help', { id: 'hello-bot', mention: true });

    // The job's next run posts the card, why it is late, and the diagnosis made meanwhile.
    expect(await h.app.incidents.postDeferred()).toBe(1);
    expect(await h.app.incidents.postDeferred()).toBe(0);
    const card = h.fake.activities(INCIDENTS).find((a) => JSON.stringify(a.activity).includes('Memory leak'))!;
    expect(String(card.activity.summary)).toMatch(/^🔴 INC-\d+ Triggered: billing-worker: Memory leak/);
    const incident = /INC-\d+/.exec(String(card.activity.summary))![0];
    const inThread = () => h.fake.messages(`${INCIDENTS};messageid=${card.id}`).map((a) => String(a.activity.summary));
    expect(inThread()).toHaveLength(2);
    expect(inThread()[0]).toMatch(
      new RegExp(`^Posted late: ${incident} opened at .* UTC, when the bot could not post in this channel yet\\.`),
    );
    expect(inThread()[1]).toContain(`What the bot found for ${incident}`);

    // From now on it is an ordinary thread: Bob acknowledges in PagerDuty, the card follows in place.
    pd.ack('QTEAMS0', 'bob@example.com');
    await settle();
    stop();
    expect(String(card.activity.summary)).toMatch(new RegExp(`^🟠 ${incident} Acknowledged`));
    expect(inThread()).toHaveLength(3);
    expect(inThread()[2]).toContain('Acknowledged in PagerDuty by Bob');
  });

  it('posts the card in the channel, the diagnosis as a reply, and updates the card in place', async () => {
    const before = h.fake.calls.length;

    const stop = sender.follow();
    pd.trigger({ title: 'Disk full on web-prod-1', serviceName: 'checkout', id: 'QTEAMS1' });
    await settle();

    const calls = h.fake.calls.slice(before);
    const cardPost = calls.find(
      (c) => c.method === 'POST' && c.conversationId === INCIDENTS && JSON.stringify(c.body).includes('Disk full'),
    );
    expect(cardPost?.status).toBe(200);
    expect(cardPost?.authorization).toBe('Bearer outbound-token');
    const card = h.fake
      .messages(INCIDENTS)
      .find(
        (a) => a.conversationId === INCIDENTS && a.id !== undefined && JSON.stringify(a.activity).includes('Disk full'),
      )!;
    expect(card).toBeDefined();
    const attachment = (
      card.activity.attachments as Array<{ contentType: string; content: Record<string, unknown> }>
    )[0]!;
    expect(attachment.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(String(card.activity.summary)).toMatch(/^🔴 INC-\d+ Triggered: checkout: Disk full on web-prod-1/);
    const incident = /INC-\d+/.exec(String(card.activity.summary))![0];
    const actions = JSON.stringify(attachment.content);
    for (const label of ['Acknowledge', 'Resolve', 'Escalate']) expect(actions).toContain(`"title":"${label}"`);
    expect(actions).toContain('incident_action');

    // The diagnosis: a reply in the card's thread (`<channel>;messageid=<card id>`).
    const threadId = `${INCIDENTS};messageid=${card.id}`;
    const replies = h.fake.messages(threadId);
    expect(replies.some((a) => JSON.stringify(a.activity).includes(`What the bot found for ${incident}`))).toBe(true);
    // One new post in the channel itself: the card.
    expect(
      h.fake
        .activities(INCIDENTS)
        .filter((a) => a.activity.type === 'message' && JSON.stringify(a.activity).includes(incident)),
    ).toHaveLength(1);

    // Acknowledged in PagerDuty: the card is updated in place (PUT on its activity), the thread says so.
    pd.ack('QTEAMS1', 'bob@example.com');
    await settle();
    stop();
    const put = h.fake.calls.filter((c) => c.method === 'PUT' && c.activityId === card.id);
    expect(put.map((c) => [c.conversationId, c.status])).toEqual([[INCIDENTS, 200]]);
    const now = JSON.stringify(card.activity);
    expect(String(card.activity.summary)).toMatch(new RegExp(`^🟠 ${incident} Acknowledged`));
    expect(now).not.toContain('"title":"Acknowledge"');
    expect(now).toContain('"title":"Resolve"');
    expect(
      h.fake.messages(threadId).some((a) => JSON.stringify(a.activity).includes('Acknowledged in PagerDuty by Bob')),
    ).toBe(true);
  });

  it('acknowledges in PagerDuty from the card as the clicker once an admin has mapped their PagerDuty login', async () => {
    const stop = sender.follow();
    pd.trigger({ title: 'Latency high on api-prod-2', serviceName: 'api', id: 'QTEAMS2' });
    await settle();
    const card = h.fake.activities(INCIDENTS).find((a) => JSON.stringify(a.activity).includes('Latency high'))!;
    const incident = /INC-\d+/.exec(String(card.activity.summary))![0];
    const thread = `${INCIDENTS};messageid=${card.id}`;
    const ack = executeActions(card.activity).find((a) => a.title === 'Acknowledge')!;
    expect(ack.data).toEqual({
      value: JSON.stringify({ tool: 'incident_action', input: { incident, action: 'acknowledge' } }),
    });

    // Teams tells the bot no one's email: until an admin maps Dave, his click cannot act for him.
    const refused = await h.click(TEAMS_DAVE, thread, ack.verb, ack.data);
    expect(refused.status).toBe(200);
    expect(String(refused.json.value)).toMatch(/I don't know your PagerDuty login/);
    expect(pd.calls.filter((c) => c.method === 'PUT')).toHaveLength(0);

    await h.message(TEAMS_DAVE, DAVE_CHAT, `pagerduty map <at>${TEAMS_DAVE.name}</at> bob@example.com`, {
      entities: [{ type: 'mention', text: `<at>${TEAMS_DAVE.name}</at>`, mentioned: TEAMS_DAVE }],
    });
    expect(JSON.stringify(h.fake.messages(DAVE_CHAT).at(-1)!.activity)).toContain(
      'acts in PagerDuty as bob@example.com',
    );

    const done = await h.click(TEAMS_DAVE, thread, ack.verb, ack.data);
    await settle();
    stop();
    expect(done.status).toBe(200);
    const writes = pd.calls.filter((c) => c.method === 'PUT' && c.path === '/incidents/QTEAMS2');
    expect(writes.map((c) => [c.status, c.from])).toEqual([[200, 'bob@example.com']]);
    expect(pd.incident('QTEAMS2')!.status).toBe('acknowledged');
    expect(String(card.activity.summary)).toMatch(new RegExp(`^🟠 ${incident} Acknowledged`));
    expect(h.fake.calls.filter((c) => c.method === 'PUT' && c.activityId === card.id)).toHaveLength(1);
    // Dave's own copy is the invoke's private message; the thread says it for everyone, once.
    const line = `🟠 ${TEAMS_DAVE.name} acknowledged ${incident} in PagerDuty.`;
    expect(done.json.value).toBe(line);
    const lines = h.fake.messages(thread).filter((a) => String(a.activity.summary).includes('acknowledged'));
    expect(lines.map((a) => a.activity.summary)).toEqual([line]);
  });
});
