import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from '../../src/store/orm.ts';
import { startPagerDutyApiFake, type PagerDutyApiFake } from '../fakes/pagerduty/api.ts';
import { createPagerDutyWebhookSender, type PagerDutyWebhookSender } from '../fakes/pagerduty/webhooks.ts';
import { buildAlertmanagerPayload, postAlertmanager } from '../fakes/alertmanager/sender.ts';
import { click, postJson, startTestApp, turn, type ReplyLike, type TestApp } from '../helpers/app.ts';
import { waitFor } from '../helpers/wait-for.ts';

// Incidents through the whole app: PagerDuty's signed V3 webhooks (from the wire fake) open one
// thread in the console's channel, the diagnosis names our own recent change and proposes its
// rollback, the Acknowledge button acts in PagerDuty (the REST fake) as the clicking person,
// the rollback is approved and runs on the sandbox's EC2, PagerDuty resolves it, the summary
// lists the change, and the recorded cause grades the diagnosis. Forged deliveries are refused
// with nothing stored; a redelivery changes nothing. Alertmanager groups become incidents too.
const SECRET = 'pd-webhook-secret-for-tests';
const AM_TOKEN = 'alertmanager-token-for-tests';
let app: TestApp;
let pd: PagerDutyApiFake;
let sender: PagerDutyWebhookSender;

type Button = { actionId: string; value: string; label: string; form?: unknown };
const buttonsOf = (r: { blocks: ReplyLike['blocks'] } | undefined): Button[] =>
  (r?.blocks.filter((b) => b.type === 'actions').flatMap((b) => b.buttons ?? []) ?? []) as Button[];
const textOf = (r: { text: string; blocks: ReplyLike['blocks'] } | undefined): string =>
  [r?.text ?? '', ...(r?.blocks ?? []).map((b) => JSON.stringify(b))].join('\n');

interface Message {
  id: string;
  text: string;
  reply?: { text: string; blocks: ReplyLike['blocks'] };
}
const channel = async (): Promise<Message[]> => {
  const res = await fetch(`${app.url}/console/api/messages?user=alice&channel=ops`);
  return ((await res.json()) as { messages: Message[] }).messages;
};
const count = async (q: string): Promise<number> => {
  const { rows } = await app.store.db.execute<{ n: number }>(sql.raw(q));
  return Number(rows[0]!.n);
};
const settle = async () => {
  await sender.idle();
  await app.incidents.idle();
};

beforeAll(async () => {
  pd = await startPagerDutyApiFake({
    token: 'pd-rest-token',
    users: [
      { id: 'PALICE', name: 'Alice', email: 'alice@example.com' },
      { id: 'PBOB', name: 'Bob', email: 'bob@example.com' },
    ],
  });
  app = await startTestApp({
    PAGERDUTY_WEBHOOK_SECRETS: `old-rotated-secret,${SECRET}`,
    PAGERDUTY_API_TOKEN: 'pd-rest-token',
    PAGERDUTY_API_URL: pd.url,
    PAGERDUTY_RETRY_TIMEOUT: '20ms',
    ALERTMANAGER_TOKENS: AM_TOKEN,
  });
  sender = createPagerDutyWebhookSender({ api: pd, url: `${app.url}/webhooks/pagerduty`, secrets: [SECRET] });
}, 60_000);
afterAll(async () => {
  await app?.stop();
  await pd?.stop();
});

describe('a PagerDuty incident in chat', () => {
  let changeId: string;
  let incident: string;

  it('opens one thread with a diagnosis that names our recent change and proposes its rollback', async () => {
    // Our own change a few minutes before the alert: alice stops worker-prod-1, bob approves.
    const [card] = await turn(app, 'alice', 'stop worker-prod-1');
    changeId = card!.changeId!;
    const [approved] = await click(app, 'bob', 'change.approve', changeId);
    expect(approved?.text).toMatch(/approved/i);
    // The sandbox shows `stopping` for a while; the inventory is read again until it says stopped.
    await waitFor(
      async () => {
        await app.syncNow();
        const [shown] = await turn(app, 'dave', 'show worker-prod-1');
        return /"State","value":"stopped"/.test(JSON.stringify(shown?.blocks));
      },
      { timeoutMs: 15_000, intervalMs: 200, what: 'worker-prod-1 stopped' },
    );

    const stop = sender.follow();
    pd.trigger({ title: 'Queue backlog growing on worker-prod-1', serviceName: 'billing-worker', id: 'QINC001' });
    await settle();
    stop();

    const msgs = await channel();
    const first = msgs.find((m) => /^🔴 INC-\d+ Triggered: billing-worker: Queue backlog/.test(m.text));
    expect(first).toBeDefined();
    incident = /INC-\d+/.exec(first!.text)![0];
    expect(buttonsOf(first!.reply).map((b) => b.label)).toEqual(['Acknowledge', 'Resolve', 'Escalate']);

    const diagnosis = msgs.find((m) => m.reply?.blocks[0]?.text === `🔎 What the bot found for ${incident}`);
    expect(diagnosis).toBeDefined();
    const text = textOf(diagnosis!.reply);
    expect(text).toContain('worker-prod-1');
    expect(text).toContain(changeId);
    expect(text).toMatch(/Most likely:/);
    const rollback = buttonsOf(diagnosis!.reply).find((b) => JSON.parse(b.value).tool === 'rollback_change');
    expect(JSON.parse(rollback!.value)).toEqual({ tool: 'rollback_change', input: { changeId } });
  });

  it('refuses a forged or unsigned delivery with 401 and stores nothing; a redelivery changes nothing', async () => {
    const before = await count('select count(*)::int as n from incident_inbox');
    const forged = await sender.send('incident.triggered', 'QINC001', { forge: true });
    expect(forged.status).toBe(401);
    const unsigned = await sender.send('incident.triggered', 'QINC001', { unsigned: true });
    expect(unsigned.status).toBe(401);
    const tampered = await sender.send('incident.triggered', 'QINC001', { tamper: true });
    expect(tampered.status).toBe(401);
    expect(await count('select count(*)::int as n from incident_inbox')).toBe(before);

    const first = sender.deliveries.find((d) => d.eventType === 'incident.triggered' && d.status === 202)!;
    const again = await sender.redeliver(first);
    expect(again.status).toBe(202);
    expect(JSON.parse(again.responseBody)).toMatchObject({ duplicate: true });
    await settle();
    expect(await count('select count(*)::int as n from incidents')).toBe(1);
    const cards = (await channel()).filter((m) => /^(🔴|🟠|✅) INC-\d+ /.test(m.text));
    expect(cards).toHaveLength(1);
  });

  it('tells someone without a PagerDuty user, and a PagerDuty failure, without marking anything', async () => {
    // dave's email is not a PagerDuty user (and dave is a viewer: the role refuses first).
    const [viewer] = await turn(app, 'dave', `ack ${incident}`);
    expect(viewer?.text).toMatch(/operator/i);
    await turn(app, 'carol', 'pagerduty map @dave nobody@example.com');
    await turn(app, 'carol', 'grant @dave operator');
    const [unmapped] = await turn(app, 'dave', `ack ${incident}`);
    expect(unmapped?.text).toMatch(/No PagerDuty user has the login nobody@example.com/);

    pd.failNext(500, 1);
    const [failed] = await turn(app, 'alice', `ack ${incident}`);
    expect(failed?.text).toMatch(/PagerDuty did not answer/);
    expect(pd.incident('QINC001')!.status).toBe('triggered');
    const [shown] = await turn(app, 'alice', `incident ${incident}`);
    expect(textOf(shown)).toContain('Triggered');
  });

  it('acknowledges in PagerDuty as the person who clicked, once, and the thread follows', async () => {
    const stop = sender.follow();
    const first = (await channel()).find((m) => m.text.includes(`${incident} Triggered`))!;
    const ack = buttonsOf(first.reply).find((b) => b.label === 'Acknowledge')!;
    const [answer] = await click(app, 'alice', ack.actionId, ack.value);
    expect(answer?.text).toBe(`🟠 Alice acknowledged ${incident} in PagerDuty.`);
    await settle();
    stop();
    expect(pd.incident('QINC001')!.status).toBe('acknowledged');
    const write = pd.calls.find((c) => c.method === 'PUT' && c.path === '/incidents/QINC001' && c.status === 200);
    expect(write?.from).toBe('alice@example.com');
    const card = (await channel()).find((m) => m.id === first.id)!;
    expect(card.text).toMatch(new RegExp(`^🟠 ${incident} Acknowledged`));
    expect(buttonsOf(card.reply).map((b) => b.label)).toEqual(['Resolve', 'Escalate']);
    // PagerDuty's own incident.acknowledged webhook confirmed it: no second line in the timeline.
    const [shown] = await turn(app, 'alice', `incident ${incident}`);
    expect(textOf(shown).match(/Acknowledged by Alice/g)).toHaveLength(1);
  });

  it('files the proposed rollback for approval, runs it, and the summary and grade follow PagerDuty resolving it', async () => {
    const diagnosis = (await channel()).find(
      (m) => m.reply?.blocks[0]?.text === `🔎 What the bot found for ${incident}`,
    )!;
    const rollback = buttonsOf(diagnosis.reply).find((b) => JSON.parse(b.value).tool === 'rollback_change')!;
    const [filed] = await click(app, 'alice', rollback.actionId, rollback.value);
    const undo = filed!.changeId!;
    expect(undo).not.toBe(changeId);
    expect(textOf(filed)).toMatch(/Waiting for approval/);
    await click(app, 'bob', 'change.approve', undo);
    const done = await app.store.db.execute<{ status: string }>(
      sql`select status from change_requests where id = ${undo}`,
    );
    expect(done.rows[0]!.status).toBe('succeeded');

    // Bob resolves it in PagerDuty itself; the webhook brings it back.
    const stop = sender.follow();
    pd.resolve('QINC001', 'bob@example.com', 'Worker started again');
    await settle();
    stop();
    const msgs = await channel();
    expect(msgs.find((m) => new RegExp(`^✅ ${incident} Resolved`).test(m.text))).toBeDefined();
    expect(msgs.some((m) => /✅ Resolved in PagerDuty by Bob/.test(m.text))).toBe(true);
    const summary = msgs.find((m) => m.reply?.blocks[0]?.text === `📋 Post-incident summary · ${incident}`)!;
    expect(summary).toBeDefined();
    const s = textOf(summary.reply);
    expect(s).toContain(undo);
    expect(s).toMatch(/Time to acknowledge/);
    expect(s).toMatch(/Time to restore/);
    const saved = await app.store.db.execute<{ summary: Record<string, unknown> }>(
      sql`select summary from incidents where number = ${Number(incident.slice(4))}`,
    );
    expect(saved.rows[0]!.summary).toMatchObject({ incident, service: 'billing-worker' });
    expect((saved.rows[0]!.summary as { timeToRestoreMs: number }).timeToRestoreMs).toBeGreaterThanOrEqual(0);

    // One click on "That was the cause" records the diagnosis's own suspect: an exact grade.
    const cause = buttonsOf(diagnosis.reply).find((b) => b.label === 'That was the cause')!;
    const [recorded] = await click(app, 'alice', cause.actionId, cause.value);
    expect(recorded?.text).toMatch(/The diagnosis was \*exact\*/);
    const [again] = await click(app, 'bob', cause.actionId, cause.value);
    expect(again?.text).toMatch(/already recorded/);
    const [accuracy] = await turn(app, 'dave', 'incidents accuracy');
    expect(textOf(accuracy)).toMatch(/exactly right in 100% of 1 graded/);
  });
});

describe('Alertmanager groups', () => {
  const group = { receiver: 'devops-agent', groupLabels: { alertname: 'HighErrorRate', service: 'checkout' } };
  const alert = {
    labels: { alertname: 'HighErrorRate', service: 'checkout', severity: 'critical', instance: 'web-prod-1:9100' },
    annotations: { summary: 'Checkout 5xx above 5%' },
    startsAt: new Date(Date.now() - 60_000),
  };

  it('needs the token, and makes one incident per group that its resolved notification resolves', async () => {
    const url = `${app.url}/webhooks/alertmanager`;
    const firing = buildAlertmanagerPayload(group, [alert]);
    expect((await postAlertmanager(url, firing, {})).status).toBe(401);
    expect((await postAlertmanager(url, firing, { bearer: 'wrong' })).status).toBe(401);
    expect((await postAlertmanager(url, firing, { bearer: AM_TOKEN })).status).toBe(202);
    // Alertmanager sends the group again on its repeat interval: the same incident, counted.
    expect((await postAlertmanager(url, firing, { bearer: AM_TOKEN })).status).toBe(202);
    await app.incidents.idle();
    const incidents = await app.store.db.execute<{ number: number; status: string }>(
      sql`select number, status from incidents where source = 'alertmanager'`,
    );
    expect(incidents.rows).toHaveLength(1);
    const ref = `INC-${incidents.rows[0]!.number}`;
    expect(
      (await channel()).some((m) => m.text.startsWith(`🔴 ${ref} Triggered: checkout: Checkout 5xx above 5%`)),
    ).toBe(true);

    const resolved = buildAlertmanagerPayload(group, [{ ...alert, endsAt: new Date() }]);
    expect((await postAlertmanager(url, resolved, { bearer: AM_TOKEN })).status).toBe(202);
    await app.incidents.idle();
    const [shown] = await turn(app, 'dave', `incident ${ref}`);
    expect(textOf(shown)).toMatch(/Resolved/);
    // Alertmanager has no escalation to act on.
    const [list] = await turn(app, 'dave', 'incidents all');
    expect(textOf(list)).toContain(ref);
  });

  it('answers a malformed delivery with 400 and what was wrong', async () => {
    const r = await postJson(
      app,
      '/webhooks/alertmanager',
      { version: '4', alerts: 'nope' },
      {
        authorization: `Bearer ${AM_TOKEN}`,
      },
    );
    expect(r.status).toBe(400);
    expect(r.body.error).toMatch(/alerts/);
  });
});

describe('the sandbox', () => {
  it('turns the Alertmanager webhook on with a token made for the run, shown at start', async () => {
    const { Writable } = await import('node:stream');
    const { createLogger } = await import('../../src/observability/logger.ts');
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const sandboxApp = await startTestApp({}, { logger: createLogger('info', sink) });
    try {
      const ready = lines
        .map((l) => JSON.parse(l) as { msg?: string; sandboxAlerts?: string })
        .find((l) => l.msg === 'DevOps Agent is ready');
      const m = /^POST (\S+) with "Authorization: Bearer (\S+)"$/.exec(ready?.sandboxAlerts ?? '');
      expect(m).not.toBeNull();
      const payload = buildAlertmanagerPayload({ receiver: 'try', groupLabels: { alertname: 'Tried' } }, [
        { labels: { alertname: 'Tried', service: 'demo' }, startsAt: new Date() },
      ]);
      expect((await postAlertmanager(m![1]!, payload, {})).status).toBe(401);
      expect((await postAlertmanager(m![1]!, payload, { bearer: m![2]! })).status).toBe(202);
      await sandboxApp.incidents.idle();
      const [list] = await turn(sandboxApp, 'dave', 'incidents');
      expect(textOf(list)).toContain('INC-1');
    } finally {
      await sandboxApp.stop();
    }
  });
});
