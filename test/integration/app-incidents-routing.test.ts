import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { listAuditEvents } from '../../src/changes/audit.ts';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { sql } from '../../src/store/orm.ts';
import { buildAlertmanagerPayload, postAlertmanager, type FakeAlert } from '../fakes/alertmanager/sender.ts';
import { startFakeSmtp, type FakeSmtp } from '../fakes/smtp.ts';
import { startWebhookReceiver, type FakeWebhookReceiver } from '../fakes/webhook-receiver.ts';
import { click, startTestApp, turn, type ReplyLike, type TestApp } from '../helpers/app.ts';
import { waitFor } from '../helpers/wait-for.ts';

// Incident routing and auto-remediation through the whole app, configured as an operator would:
// INCIDENT_ROUTES_FILE (YAML) sends a service's incidents by email (nodemailer → the loopback SMTP
// fake) and to a signed webhook (the receiver fake checks the HMAC), dedups a repeat of the same
// firing group and sends the resolution; an unmatched service's thread lands in the routing
// file's default channel. POLICY_FILE's `autoRemediation` rule starts a stopped dev instance of
// the sandbox fleet (auto-approved under `auto-remediation:<rule>`, run on the sandbox's EC2) and
// declines a second time within the hour. INCIDENT_CHANNEL puts threads where it says, and a
// channel on a surface that does not run (or a malformed one) stops the start. The router sends
// off the processing path: the tests wait on what the fakes captured, never sleep.
const AM_TOKEN = 'alertmanager-token-for-tests';
const HOOK_SECRET = 'ops-bus-secret-for-routing-tests';
const SMTP_LOGIN = { user: 'incident-mailer', pass: 'smtp-password-for-tests' };
const ONCALL = 'oncall-checkout@example.com';
const RULE = 'start-stopped-dev';

let dir: string;
let smtp: FakeSmtp;
let receiver: FakeWebhookReceiver;
let app: TestApp;

interface Message {
  id: string;
  text: string;
  reply?: { text: string; blocks: ReplyLike['blocks'] };
}
const channel = async (name = 'ops'): Promise<Message[]> => {
  const res = await fetch(`${app.url}/console/api/messages?user=alice&channel=${name}`);
  return ((await res.json()) as { messages: Message[] }).messages;
};
const textOf = (m: Message): string =>
  [m.text, m.reply?.text ?? '', ...(m.reply?.blocks ?? []).map((b) => JSON.stringify(b))].join('\n');
const alertmanager = (payload: Record<string, unknown>) =>
  postAlertmanager(`${app.url}/webhooks/alertmanager`, payload, { bearer: AM_TOKEN });
const incidentOf = async (groupKey: string) => {
  const { rows } = await app.store.db.execute<{
    id: number;
    number: number;
    status: string;
    repeats: number;
    channel: { surface: string; workspaceId: string; channelId: string };
  }>(sql`select id, number, status, repeats, channel from incidents where external_id = ${groupKey}`);
  expect(rows).toHaveLength(1);
  return rows[0]!;
};
const deliveries = async (incidentId: number) =>
  (
    await app.store.db.execute<{ kind: string; target: string; status: string }>(
      sql`select kind, target, status from incident_deliveries where incident_id = ${incidentId} order by id`,
    )
  ).rows;
/** The instance's state as `show <name>` reports it after a fresh inventory sync. */
const stateOf = async (name: string): Promise<string | undefined> => {
  await app.syncNow();
  const [shown] = await turn(app, 'dave', `show ${name}`);
  return /"State","value":"([a-z-]+)"/.exec(JSON.stringify(shown?.blocks))?.[1];
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'app-incidents-routing-'));
  smtp = await startFakeSmtp(SMTP_LOGIN);
  receiver = await startWebhookReceiver({ secret: HOOK_SECRET, now: () => new Date() });
  const routes = join(dir, 'incident-routes.yaml');
  writeFileSync(
    routes,
    [
      'defaultChannel: console:console:ops',
      'dedupWindow: 10m',
      'services:',
      '  - match: checkout*',
      `    email: [${ONCALL}]`,
      '    webhooks: [ops-bus]',
      'webhooks:',
      '  - name: ops-bus',
      `    url: ${receiver.url}`,
      '    secretEnv: OPS_BUS_SECRET',
      '',
    ].join('\n'),
  );
  const policy = join(dir, 'policy.json');
  writeFileSync(
    policy,
    JSON.stringify({
      requesterRoles: ['operator', 'approver', 'admin'],
      // Every change needs an approver (dev power actions too): only the rule approves the bot's.
      rules: [{ name: 'default', approvals: 1, approverRoles: ['approver', 'admin'] }],
      autoRemediation: [
        {
          name: RULE,
          match: { source: 'alertmanager', service: 'worker', labels: { alertname: 'InstanceDown' } },
          action: 'start',
          environments: ['dev'],
          maxPerHour: 1,
          autoApprove: true,
        },
      ],
    }),
  );
  app = await startTestApp({
    ALERTMANAGER_TOKENS: AM_TOKEN,
    INCIDENT_ROUTES_FILE: routes,
    OPS_BUS_SECRET: HOOK_SECRET,
    SMTP_URL: smtp.url(),
    SMTP_FROM: 'DevOps Agent <incidents@example.com>',
    POLICY_FILE: policy,
  });
}, 60_000);
afterAll(async () => {
  await app?.stop();
  await receiver?.close();
  await smtp?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('incident routing by email and signed webhook', () => {
  const group = { receiver: 'devops-agent', groupLabels: { alertname: 'ConsumerDown', service: 'checkout' } };
  const alert = (instance: string): FakeAlert => ({
    labels: { alertname: 'ConsumerDown', service: 'checkout', severity: 'critical', instance: `${instance}:9100` },
    annotations: { summary: 'Checkout queue consumer down' },
    startsAt: new Date(Date.now() - 60_000),
  });
  const first = alert('worker-staging-1');
  const second = alert('worker-prod-1');
  let ref: string;
  let incidentId: number;

  it('opens the thread in the channel and sends one email and one signed webhook with the diagnosis facts', async () => {
    const payload = buildAlertmanagerPayload(group, [first]);
    expect((await alertmanager(payload)).status).toBe(202);
    await app.incidents.idle();
    const incident = await incidentOf(payload.groupKey as string);
    ref = `INC-${incident.number}`;
    incidentId = incident.id;

    const msgs = await channel();
    expect(msgs.some((m) => m.text.startsWith(`🔴 ${ref} Triggered: checkout: Checkout queue consumer down`))).toBe(
      true,
    );
    const diagnosis = msgs.find((m) => m.reply?.blocks[0]?.text === `🔎 What the bot found for ${ref}`);
    expect(textOf(diagnosis!)).toContain('worker-staging-1 is stopped');

    await waitFor(() => smtp.messages.length >= 1 && receiver.received.length >= 1, {
      what: 'the triggered email and webhook',
      timeoutMs: 10_000,
      detail: () => deliveries(incidentId),
    });
    expect(smtp.messages).toHaveLength(1);
    const mail = smtp.messages[0]!;
    expect(mail.to).toEqual([ONCALL]);
    expect(mail.from).toBe('incidents@example.com');
    expect(mail.user).toBe(SMTP_LOGIN.user);
    expect(mail.subject).toBe(`[TRIGGERED] #${incident.number} checkout: Checkout queue consumer down`);
    expect(mail.text).toMatch(/What diagnosis found:\r?\n- .*worker-staging-1 is stopped/);

    expect(receiver.received).toHaveLength(1);
    const hook = receiver.received[0]!;
    expect(hook.verified).toBe(true);
    expect(hook.status).toBe(200);
    // The signature checked here too, by hand, as a receiver in another language would.
    const signature = String(hook.headers['x-devops-agent-signature']);
    const t = /t=(\d+)/.exec(signature)![1]!;
    const v1 = /v1=([0-9a-f]{64})/.exec(signature)![1];
    expect(v1).toBe(createHmac('sha256', HOOK_SECRET).update(`${t}.${hook.rawBody}`).digest('hex'));
    expect(hook.eventId).toEqual(expect.any(String));
    const body = hook.body as Record<string, unknown> & { facts: string[] };
    expect(body).toMatchObject({
      version: 1,
      id: hook.eventId,
      type: 'incident.triggered',
      incident: {
        id: incidentId,
        workspaceId: 'console',
        number: incident.number,
        title: 'Checkout queue consumer down',
        service: 'checkout',
        urgency: 'high',
        status: 'triggered',
      },
      repeats: 0,
    });
    expect(body.facts.some((f) => f.includes('worker-staging-1 is stopped'))).toBe(true);
    // The secret is never in what is sent.
    expect(hook.rawBody).not.toContain(HOOK_SECRET);
    expect(mail.raw).not.toContain(HOOK_SECRET);
  });

  it('groups a repeat of the same firing group inside the dedup window: no second email or webhook', async () => {
    // The group changes (a second alert joins it): Alertmanager sends it again, a new delivery.
    expect((await alertmanager(buildAlertmanagerPayload(group, [first, second]))).status).toBe(202);
    await app.incidents.idle();
    expect((await incidentOf(buildAlertmanagerPayload(group, [first]).groupKey as string)).repeats).toBe(1);
    await waitFor(async () => (await deliveries(incidentId)).filter((d) => d.status === 'grouped').length === 2, {
      what: 'the repeat recorded as grouped for both targets',
      timeoutMs: 10_000,
      detail: () => deliveries(incidentId),
    });
    const rows = (await deliveries(incidentId)).map((d) => `${d.kind} ${d.target} ${d.status}`);
    expect(rows.sort()).toEqual([
      `triggered email:${ONCALL} grouped`,
      `triggered email:${ONCALL} sent`,
      'triggered webhook:ops-bus grouped',
      'triggered webhook:ops-bus sent',
    ]);
    expect(smtp.messages).toHaveLength(1);
    expect(receiver.received).toHaveLength(1);
  });

  it('sends the resolution by email and webhook', async () => {
    const ended = new Date();
    const resolved = buildAlertmanagerPayload(group, [
      { ...first, endsAt: ended },
      { ...second, endsAt: ended },
    ]);
    expect((await alertmanager(resolved)).status).toBe(202);
    await app.incidents.idle();
    expect((await incidentOf(resolved.groupKey as string)).status).toBe('resolved');
    expect((await channel()).some((m) => m.text.startsWith(`✅ ${ref} Resolved`))).toBe(true);

    await waitFor(() => smtp.messages.length >= 2 && receiver.received.length >= 2, {
      what: 'the resolved email and webhook',
      timeoutMs: 10_000,
      detail: () => deliveries(incidentId),
    });
    expect(smtp.messages).toHaveLength(2);
    expect(smtp.messages[1]!.subject).toBe(
      `[RESOLVED] ${ref.replace('INC-', '#')} checkout: Checkout queue consumer down`,
    );
    expect(smtp.messages[1]!.text).toMatch(/Status: resolved/);
    expect(receiver.received).toHaveLength(2);
    const hook = receiver.received[1]!;
    expect(hook.verified).toBe(true);
    expect(hook.body).toMatchObject({ type: 'incident.resolved', incident: { id: incidentId, status: 'resolved' } });
    expect(hook.eventId).not.toBe(receiver.received[0]!.eventId);
  });
});

describe('an unmatched service', () => {
  it("lands in the routing file's default channel and is sent nowhere else", async () => {
    const payload = buildAlertmanagerPayload(
      { receiver: 'devops-agent', groupLabels: { alertname: 'HighLatency', service: 'payments' } },
      [
        {
          labels: { alertname: 'HighLatency', service: 'payments', severity: 'critical' },
          annotations: { summary: 'Payments p99 above 2s' },
          startsAt: new Date(Date.now() - 30_000),
        },
      ],
    );
    const mails = smtp.messages.length;
    expect((await alertmanager(payload)).status).toBe(202);
    await app.incidents.idle();
    const incident = await incidentOf(payload.groupKey as string);
    expect(incident.channel).toMatchObject({ surface: 'console', workspaceId: 'console', channelId: 'ops' });
    expect(
      (await channel()).some((m) =>
        m.text.startsWith(`🔴 INC-${incident.number} Triggered: payments: Payments p99 above 2s`),
      ),
    ).toBe(true);
    // No rule names payments: no target, so nothing is ever recorded or sent for it.
    expect(await deliveries(incident.id)).toEqual([]);
    expect(smtp.messages).toHaveLength(mails);
  });
});

describe('auto-remediation from POLICY_FILE', () => {
  const down = (instance: string) =>
    buildAlertmanagerPayload(
      { receiver: 'devops-agent', groupLabels: { alertname: 'InstanceDown', service: 'worker', instance } },
      [
        {
          labels: { alertname: 'InstanceDown', service: 'worker', severity: 'warning', instance: `${instance}:9100` },
          annotations: { summary: `${instance} is down` },
          startsAt: new Date(Date.now() - 120_000),
        },
      ],
    );
  const filedByRule = async () =>
    (
      await app.store.db.execute<{ id: string; status: string; action: string; resource_name: string }>(
        sql`select id, status, action, resource_name from change_requests
            where policy->>'autoRemediation' = ${RULE} order by created_at`,
      )
    ).rows;

  it('starts the stopped dev instance under its rule, auto-approved, and the thread says so', async () => {
    expect(await stateOf('worker-dev-1')).toBe('stopped');
    const payload = down('worker-dev-1');
    expect((await alertmanager(payload)).status).toBe(202);
    await app.incidents.idle();
    const incident = await incidentOf(payload.groupKey as string);
    const ref = `INC-${incident.number}`;

    const filed = await filedByRule();
    expect(filed).toEqual([
      { id: expect.stringMatching(/^CR-\d+$/), status: 'succeeded', action: 'start', resource_name: 'worker-dev-1' },
    ]);
    const cr = filed[0]!.id;
    const msgs = await channel();
    expect(msgs.some((m) => m.text.startsWith(`🔴 ${ref} Triggered: worker: worker-dev-1 is down`))).toBe(true);
    expect(
      msgs.some((m) => m.text === `🤖 Auto-remediation rule *${RULE}* filed ${cr} (Start worker-dev-1): succeeded.`),
    ).toBe(true);

    const { rows } = await app.store.db.execute<{ policy: Record<string, unknown>; requester: { userId: string } }>(
      sql`select policy, requester from change_requests where id = ${cr}`,
    );
    expect(rows[0]!.policy).toMatchObject({
      rule: `auto-remediation:${RULE}`,
      autoApprove: true,
      autoRemediation: RULE,
    });
    expect(rows[0]!.requester.userId).toBe('devops-agent');
    const audit = await listAuditEvents(app.store.db, { subject: cr });
    expect(audit.map((e) => e.type)).toEqual([
      'change.requested',
      'change.approved',
      'change.executing',
      'change.succeeded',
    ]);
    expect(audit[1]!.data).toMatchObject({ auto: true, rule: `auto-remediation:${RULE}` });

    await waitFor(async () => (await stateOf('worker-dev-1')) === 'running', {
      what: 'worker-dev-1 running after the auto-remediation',
      timeoutMs: 15_000,
      intervalMs: 200,
    });
  });

  it('declines a second incident within the hour: the limit is said in the thread, nothing is filed', async () => {
    // Another dev instance stopped by hand (the policy wants an approver for it), so that the next
    // incident's diagnosis proposes a start again.
    const [card] = await turn(app, 'alice', 'stop web-dev-1');
    await click(app, 'bob', 'change.approve', card!.changeId!);
    await waitFor(async () => (await stateOf('web-dev-1')) === 'stopped', {
      what: 'web-dev-1 stopped',
      timeoutMs: 15_000,
      intervalMs: 200,
    });

    const payload = down('web-dev-1');
    expect((await alertmanager(payload)).status).toBe(202);
    await app.incidents.idle();
    const incident = await incidentOf(payload.groupKey as string);
    const ref = `INC-${incident.number}`;
    const msgs = await channel();
    const diagnosis = msgs.find((m) => m.reply?.blocks[0]?.text === `🔎 What the bot found for ${ref}`);
    // The diagnosis offers the start (as a button for a person): only the rule declines it.
    expect(textOf(diagnosis!)).toMatch(/Start web-dev-1/);
    expect(msgs.some((m) => m.text === `🤖 No auto-remediation: rule ${RULE}: limit 1/hour reached.`)).toBe(true);
    expect(await filedByRule()).toHaveLength(1);
    expect(await stateOf('web-dev-1')).toBe('stopped');
  });

  it('refuses a POLICY_FILE whose autoRemediation rule is bad, naming the variable and the field', () => {
    const bad = join(dir, 'bad-policy.json');
    writeFileSync(
      bad,
      JSON.stringify({
        requesterRoles: ['operator'],
        rules: [{ name: 'default', approvals: 1, approverRoles: ['approver'] }],
        autoRemediation: [{ name: 'stop-runs', action: 'revert_workflow', environments: ['dev'], autoApprove: true }],
      }),
    );
    let error: unknown;
    try {
      loadConfig({ NODE_ENV: 'test', SANDBOX: 'on', POLICY_FILE: bad });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^POLICY_FILE: autoRemediation: /);
    expect(problems[0]).toMatch(/revert_workflow cannot be automated/);
    expect(problems[0]).toMatch(/maxPerHour/);
  });
});

describe('INCIDENT_CHANNEL', () => {
  const base = { NODE_ENV: 'test', HOST: '127.0.0.1', SANDBOX: 'on' };
  const problemsOf = (env: Record<string, string>): string[] => {
    try {
      loadConfig({ ...base, ...env });
    } catch (e) {
      if (e instanceof ConfigError) return e.problems;
      throw e;
    }
    return [];
  };

  it('puts the thread in the channel it names when no routing file replaces it', async () => {
    // The first app's AWS sandbox, to save starting another.
    const other = await startTestApp(
      { ALERTMANAGER_TOKENS: AM_TOKEN, INCIDENT_CHANNEL: 'console:console:incidents' },
      { sandbox: app.sandbox! },
    );
    try {
      const payload = buildAlertmanagerPayload(
        { receiver: 'devops-agent', groupLabels: { alertname: 'DiskFull', service: 'search' } },
        [
          {
            labels: { alertname: 'DiskFull', service: 'search', severity: 'critical' },
            annotations: { summary: 'Search disk 95% full' },
            startsAt: new Date(Date.now() - 30_000),
          },
        ],
      );
      const r = await postAlertmanager(`${other.url}/webhooks/alertmanager`, payload, { bearer: AM_TOKEN });
      expect(r.status).toBe(202);
      await other.incidents.idle();
      const read = async (name: string) =>
        (
          (await (await fetch(`${other.url}/console/api/messages?user=alice&channel=${name}`)).json()) as {
            messages: Message[];
          }
        ).messages;
      expect((await read('incidents')).some((m) => m.text === '🔴 INC-1 Triggered: search: Search disk 95% full')).toBe(
        true,
      );
      expect((await read('ops')).some((m) => m.text.includes('INC-1'))).toBe(false);
    } finally {
      await other.stop();
    }
  });

  it('refuses to start with a channel on a surface that does not run, or one that is malformed', () => {
    // Without this, every incident would be stored with no thread anywhere (202 to the sender, nothing in chat).
    expect(problemsOf({ INCIDENT_CHANNEL: 'slack:T0TEST:C0INCIDENTS' })).toEqual([
      'INCIDENT_CHANNEL: slack:T0TEST:C0INCIDENTS is on a surface that does not run: Slack is not configured (SLACK_BOT_TOKEN or SLACK_CLIENT_ID)',
    ]);
    expect(problemsOf({ INCIDENT_CHANNEL: 'incidents' })).toEqual([
      'INCIDENT_CHANNEL: must be <surface>:<workspace>:<channel> with surface slack, teams or console, got "incidents"',
    ]);
    expect(problemsOf({ INCIDENT_CHANNEL: 'console:console:ops', CONSOLE_ENABLED: 'false' })).toEqual([
      'INCIDENT_CHANNEL: console:console:ops is on a surface that does not run: the web console is off',
    ]);
    const routes = join(dir, 'routes-off.yaml');
    writeFileSync(
      routes,
      [
        'defaultChannel: teams:tenant-1:19:incidents@thread.tacv2',
        'services:',
        '  - match: checkout',
        '    channel: slack:T1:C0CHECKOUT',
        '  - match: search',
        '    channel: console:console:search',
        '',
      ].join('\n'),
    );
    // The routing file replaces INCIDENT_CHANNEL: only its channels must run.
    expect(problemsOf({ INCIDENT_ROUTES_FILE: routes, INCIDENT_CHANNEL: 'slack:T1:C1' })).toEqual([
      'INCIDENT_ROUTES_FILE: defaultChannel: teams:tenant-1:19:incidents@thread.tacv2 is on a surface that does not run: Teams is not enabled (TEAMS_APP_ID)',
      'INCIDENT_ROUTES_FILE: services.0.channel: slack:T1:C0CHECKOUT is on a surface that does not run: Slack is not configured (SLACK_BOT_TOKEN or SLACK_CLIENT_ID)',
    ]);
    expect(
      problemsOf({
        INCIDENT_ROUTES_FILE: routes,
        SLACK_BOT_TOKEN: 'xoxb-1',
        SLACK_SIGNING_SECRET: 's',
        TEAMS_ENABLED: 'on',
      }),
    ).toEqual([]);
  });
});
