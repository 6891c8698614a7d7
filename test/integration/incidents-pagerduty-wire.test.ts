import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { AppError } from '../../src/errors.ts';
import { checkAlertmanagerAuth, parseAlertmanagerWebhook } from '../../src/incidents/alertmanager.ts';
import type { IncidentSignal } from '../../src/incidents/model.ts';
import { createPagerDutyClient } from '../../src/incidents/pagerduty/client.ts';
import { parsePagerDutyWebhook, verifyPagerDutySignature } from '../../src/incidents/pagerduty/webhook.ts';
import type { PagerDutyApi } from '../../src/incidents/ports.ts';
import { buildAlertmanagerPayload, postAlertmanager } from '../fakes/alertmanager/sender.ts';
import { startPagerDutyApiFake, type PagerDutyApiFake } from '../fakes/pagerduty/api.ts';
import { createPagerDutyWebhookSender } from '../fakes/pagerduty/webhooks.ts';

/**
 * The PagerDuty client (real @pagerduty/pdjs over HTTP) against the REST fake, and the webhook
 * parsers behind a loopback receiver fed by the fake senders: what the lead's routes will do.
 */

const TOKEN = 'u+pdfaketoken_9f8e7d6c';
const SECRET = 'whsec-current';
const ana = { id: 'PANA001', name: 'Ana Silva', email: 'Ana.Silva@example.com' };
const bo = { id: 'PBOC002', name: 'Bo Chen', email: 'bo@example.com' };
const cy = { id: 'PCYL003', name: 'Cy Lopez', email: 'cy@example.com' };
const clock = () => new Date('2026-11-02T10:00:00Z');

const appError = async (p: Promise<unknown>): Promise<AppError> => {
  try {
    await p;
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('did not reject');
};

describe('PagerDuty client against the REST fake', () => {
  let fake: PagerDutyApiFake;
  let pd: PagerDutyApi;

  beforeEach(async () => {
    fake = await startPagerDutyApiFake({
      token: TOKEN,
      users: [ana, bo, cy],
      policies: [{ id: 'PEP0001', name: 'Checkout on-call', levels: [[ana.id], [bo.id], [cy.id]] }],
      now: clock,
    });
    pd = createPagerDutyClient({ token: TOKEN, apiUrl: fake.url, retryTimeoutMs: 20, timeoutMs: 5_000 });
  });
  afterEach(() => fake.stop());

  it('acknowledges, notes and resolves as the person, with the wire pdjs sends', async () => {
    const i = fake.trigger({ title: 'High CPU on api-prod-1' });
    await pd.acknowledge(i.id, ana.email);
    expect(fake.incident(i.id)?.status).toBe('acknowledged');
    await pd.note(i.id, bo.email, 'Rolling back CR-12');
    await pd.resolve(i.id, ana.email, 'Rolled back CR-12');
    expect(fake.incident(i.id)).toMatchObject({ status: 'resolved', resolution: 'Rolled back CR-12' });
    expect(fake.incident(i.id)?.notes.map((n) => [n.content, n.userId])).toEqual([['Rolling back CR-12', bo.id]]);
    expect(fake.incident(i.id)?.log.map((l) => [l.type, l.by])).toEqual([
      ['trigger_log_entry', 'system'],
      ['acknowledge_log_entry', ana.id],
      ['annotate_log_entry', bo.id],
      ['resolve_log_entry', ana.id],
    ]);
    const writes = fake.calls.filter((c) => c.method !== 'GET');
    expect(writes.map((c) => [c.method, c.path, c.from, c.status])).toEqual([
      ['PUT', `/incidents/${i.id}`, ana.email, 200],
      ['POST', `/incidents/${i.id}/notes`, bo.email, 201],
      ['PUT', `/incidents/${i.id}`, ana.email, 200],
    ]);
    expect(writes[0]!.body).toEqual({ incident: { type: 'incident_reference', status: 'acknowledged' } });
    expect(writes[1]!.body).toEqual({ note: { content: 'Rolling back CR-12' } });
    expect(writes[2]!.body).toEqual({
      incident: { type: 'incident_reference', status: 'resolved', resolution: 'Rolled back CR-12' },
    });
    expect(fake.calls.every((c) => c.authorized && c.accept === 'application/vnd.pagerduty+json;version=2')).toBe(true);
  });

  it('reads the status and the escalation level (from on-call data), and escalates one level at a time', async () => {
    const i = fake.trigger({ title: 'Checkout 5xx' });
    expect(await pd.status(i.id)).toEqual({ status: 'triggered', escalationLevel: 1 });
    expect(await pd.escalate(i.id, ana.email)).toEqual({ level: 2 });
    expect(fake.incident(i.id)?.escalationLevel).toBe(2);
    expect(await pd.status(i.id)).toEqual({ status: 'triggered', escalationLevel: 2 });
    expect(await pd.escalate(i.id, ana.email)).toEqual({ level: 3 });
    const put = fake.calls.filter((c) => c.method === 'PUT').at(-1)!;
    expect(put.body).toEqual({ incident: { type: 'incident_reference', escalation_level: 3 } });
    expect(fake.calls.find((c) => c.path === '/oncalls')?.query).toEqual({
      'escalation_policy_ids[]': ['PEP0001'],
      limit: '100',
    });
    // An explicit level; one beyond the policy is PagerDuty's 400, shown as a bad request.
    expect(await pd.escalate(i.id, ana.email, 1)).toEqual({ level: 1 });
    const beyond = await appError(pd.escalate(i.id, ana.email, 9));
    expect(beyond.code).toBe('bad_request');
    expect(beyond.userMessage).toContain('Escalation level is not in the escalation policy');
    await pd.resolve(i.id, ana.email);
    expect(await pd.status(i.id)).toEqual({ status: 'resolved' });
  });

  it('uses an escalation level the API reports, without asking for on-call data', async () => {
    await fake.stop();
    fake = await startPagerDutyApiFake({ token: TOKEN, users: [ana, bo], reportsEscalationLevel: true });
    pd = createPagerDutyClient({ token: TOKEN, apiUrl: fake.url, retryTimeoutMs: 20 });
    const i = fake.trigger({ title: 'x' });
    fake.escalate(i.id, 2, bo.email);
    expect(await pd.status(i.id)).toEqual({ status: 'triggered', escalationLevel: 2 });
    expect(fake.calls.some((c) => c.path === '/oncalls')).toBe(false);
  });

  it('finds a user by exact login email, case-insensitively, across pages', async () => {
    await fake.stop();
    const many = Array.from({ length: 60 }, (_, n) => ({
      id: `PX${n}`,
      name: `Example ${n}`,
      email: `helper${n}.ana.silva@example.com`,
    }));
    fake = await startPagerDutyApiFake({ token: TOKEN, users: [...many, ana] });
    pd = createPagerDutyClient({ token: TOKEN, apiUrl: fake.url });
    expect(await pd.userByEmail('ana.silva@EXAMPLE.com')).toEqual({ id: ana.id, name: ana.name, email: ana.email });
    const queries = fake.calls.filter((c) => c.path === '/users').map((c) => c.query);
    expect(queries[0]).toEqual({ query: 'ana.silva@EXAMPLE.com', limit: '25', offset: '0' });
    // 60 addresses containing hers come first: she is on the third page.
    expect(queries.map((q) => q.offset)).toEqual(['0', '25', '50']);
    // A substring match is not the person.
    expect(await pd.userByEmail('silva@example.com')).toBeNull();
    expect(await pd.userByEmail('nobody@example.com')).toBeNull();
  });

  it('waits out a 429 (pdjs retries after retryTimeout) and then succeeds', async () => {
    const i = fake.trigger({ title: 'x' });
    fake.failNext(429, 2);
    await pd.acknowledge(i.id, ana.email);
    expect(fake.calls.map((c) => c.status)).toEqual([429, 429, 200]);
    expect(fake.incident(i.id)?.status).toBe('acknowledged');
  });

  it('reports a 429 that outlasts the retries as rate limited', async () => {
    const i = fake.trigger({ title: 'x' });
    fake.failNext(429, 4);
    const e = await appError(pd.acknowledge(i.id, ana.email));
    expect(e.code).toBe('rate_limited');
    expect(fake.incident(i.id)?.status).toBe('triggered');
  });

  it('maps a 500 and a dead server to unavailable, "PagerDuty did not answer"', async () => {
    const i = fake.trigger({ title: 'x' });
    fake.failNext(500);
    const e = await appError(pd.acknowledge(i.id, ana.email));
    expect(e.code).toBe('unavailable');
    expect(e.userMessage).toMatch(/^PagerDuty did not answer \(HTTP 500\)/);
    await fake.stop();
    const down = await appError(pd.status(i.id));
    expect(down.code).toBe('unavailable');
    expect(down.userMessage).toMatch(/^PagerDuty did not answer \(the connection failed\)/);
  });

  it('gives up on a server that does not answer within timeoutMs', async () => {
    const silent: Server = createServer(() => {
      /* never answers */
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const slow = createPagerDutyClient({
      token: TOKEN,
      apiUrl: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`,
      timeoutMs: 200,
    });
    const e = await appError(slow.status('Q1'));
    expect(e.code).toBe('unavailable');
    expect(e.userMessage).toBe('PagerDuty did not answer (within 200 ms); try again in a moment.');
    silent.closeAllConnections();
    await new Promise<void>((r) => silent.close(() => r()));
  });

  it('maps an unknown or missing From to forbidden, naming the email', async () => {
    const i = fake.trigger({ title: 'x' });
    const e = await appError(pd.acknowledge(i.id, 'stranger@example.com'));
    expect(e.code).toBe('forbidden');
    expect(e.userMessage).toContain('stranger@example.com');
    expect(fake.calls.at(-1)?.status).toBe(400);
    expect(fake.incident(i.id)?.status).toBe('triggered');
    const empty = await appError(pd.note(i.id, '', 'hello'));
    expect(empty.code).toBe('forbidden');
    expect(empty.userMessage).toMatch(/needs your PagerDuty login email/);
  });

  it('maps a refused token to unavailable without ever showing the token', async () => {
    const i = fake.trigger({ title: 'x' });
    const wrong = createPagerDutyClient({ token: 'u+wrong_token_123', apiUrl: fake.url });
    const e = await appError(wrong.acknowledge(i.id, ana.email));
    expect(e.code).toBe('unavailable');
    expect(e.userMessage).toMatch(/^PagerDuty refused the bot's API token \(HTTP 401\)/);
    fake.failNext(403);
    const forbidden403 = await appError(pd.status(i.id));
    expect(forbidden403.userMessage).toMatch(/refused the bot's API token \(HTTP 403\)/);
    for (const err of [e, forbidden403]) {
      const everything = `${err.message} ${err.userMessage} ${String(err.cause)} ${JSON.stringify(err)}`;
      expect(everything).not.toContain('u+wrong_token_123');
      expect(everything).not.toContain(TOKEN);
    }
  });

  it('maps an unknown incident to not found', async () => {
    const e = await appError(pd.status('QNOPE'));
    expect(e.code).toBe('not_found');
    expect(e.userMessage).toBe('PagerDuty has no incident QNOPE.');
    expect((await appError(pd.note('QNOPE', ana.email, 'x'))).code).toBe('not_found');
  });
});

describe('webhooks through a loopback receiver', () => {
  let fake: PagerDutyApiFake;
  let receiver: Server;
  let url = '';
  const received: Array<{ path: string; headers: IncomingHttpHeaders; result: unknown }> = [];
  const signals = (): IncidentSignal[] =>
    received.flatMap((r) =>
      r.result && typeof r.result === 'object' && 'signal' in r.result ? [r.result.signal as IncidentSignal] : [],
    );

  beforeAll(async () => {
    // What the lead's routes do: verify on the raw bytes, then parse; 401/400 otherwise.
    receiver = createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (p: Buffer) => parts.push(p));
      req.on('end', () => {
        const raw = Buffer.concat(parts);
        let status = 202;
        let result: unknown;
        try {
          if (req.url === '/pagerduty') {
            const sig = req.headers['x-pagerduty-signature'];
            if (!verifyPagerDutySignature(raw, typeof sig === 'string' ? sig : undefined, ['whsec-old', SECRET]))
              status = 401;
            else result = parsePagerDutyWebhook(JSON.parse(raw.toString('utf8')));
          } else {
            if (
              !checkAlertmanagerAuth(req.headers, {
                bearerTokens: ['am-token'],
                basic: { username: 'am', password: 'pw' },
              })
            )
              status = 401;
            else result = { signal: parseAlertmanagerWebhook(JSON.parse(raw.toString('utf8'))) };
          }
        } catch (e) {
          status = e instanceof AppError ? 400 : 500;
          result = { error: String(e) };
        }
        received.push({ path: req.url ?? '', headers: req.headers, result });
        res.writeHead(status);
        res.end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => receiver.close(() => r())));
  beforeEach(async () => {
    received.length = 0;
    fake = await startPagerDutyApiFake({ token: TOKEN, users: [ana, bo], now: clock });
  });
  afterEach(() => fake.stop());

  it('delivers signed V3 events that verify and parse, with PagerDuty headers', async () => {
    const hooks = createPagerDutyWebhookSender({ api: fake, url: `${url}/pagerduty`, secrets: [SECRET], now: clock });
    const i = fake.trigger({ title: 'Disk full on db-prod-2', serviceName: 'Orders DB' });
    const d = await hooks.send('incident.triggered', i.id);
    expect(d.status).toBe(202);
    expect(received[0]!.headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': 'PagerDuty-Webhook/V3.0',
      'x-webhook-id': d.webhookId,
    });
    expect(signals()[0]).toMatchObject({
      kind: 'triggered',
      externalId: i.id,
      title: 'Disk full on db-prod-2',
      service: 'Orders DB',
      resources: ['db-prod-2'],
      environment: 'prod',
      assignees: ['Ana Silva'],
    });
    for (const type of ['incident.acknowledged', 'incident.escalated', 'incident.reassigned', 'incident.resolved'])
      expect((await hooks.send(type, i.id, { agent: bo })).status).toBe(202);
    fake.addNote(i.id, 'It was the backup job', bo.email);
    expect((await hooks.send('incident.annotated', i.id)).status).toBe(202);
    expect(signals().map((s) => s.kind)).toEqual([
      'triggered',
      'acknowledged',
      'escalated',
      'reassigned',
      'resolved',
      'annotated',
    ]);
    expect(signals().at(-1)).toMatchObject({
      note: 'It was the backup job',
      agent: { name: 'Bo Chen' },
      partial: true,
    });
  });

  it('rejects a forged signature, a tampered body and a missing signature; accepts a rotation', async () => {
    const hooks = createPagerDutyWebhookSender({ api: fake, url: `${url}/pagerduty`, secrets: [SECRET] });
    const i = fake.trigger({ title: 'x-1' });
    expect((await hooks.send('incident.triggered', i.id, { forge: true })).status).toBe(401);
    expect((await hooks.send('incident.triggered', i.id, { tamper: true })).status).toBe(401);
    expect((await hooks.send('incident.triggered', i.id, { unsigned: true })).status).toBe(401);
    const rotating = await hooks.send('incident.triggered', i.id, { secrets: ['whsec-next', SECRET] });
    expect(rotating.headers['x-pagerduty-signature']?.split(',')).toHaveLength(2);
    expect(rotating.status).toBe(202);
  });

  it('redelivers the same event with the same id and bytes', async () => {
    const hooks = createPagerDutyWebhookSender({ api: fake, url: `${url}/pagerduty`, secrets: [SECRET] });
    const i = fake.trigger({ title: 'x-1' });
    const first = await hooks.send('incident.acknowledged', i.id, { agent: ana });
    const again = await hooks.redeliver(first);
    expect(again.status).toBe(202);
    expect(again.raw.equals(first.raw)).toBe(true);
    expect(received[1]!.headers['x-webhook-id']).toBe(first.webhookId);
    expect(signals()[1]!.eventId).toBe(signals()[0]!.eventId);
  });

  it('turns changes made in PagerDuty (and by the bot through the API) into deliveries, in order', async () => {
    const hooks = createPagerDutyWebhookSender({ api: fake, url: `${url}/pagerduty`, secrets: [SECRET] });
    const stop = hooks.follow();
    const i = fake.trigger({ title: 'API latency' });
    fake.ack(i.id, bo.email); // a person in PagerDuty
    const pd = createPagerDutyClient({ token: TOKEN, apiUrl: fake.url });
    await pd.note(i.id, ana.email, 'Diagnosis: CR-12'); // the bot, through the API
    await pd.resolve(i.id, ana.email);
    await hooks.idle();
    expect(signals().map((s) => [s.kind, s.agent?.name])).toEqual([
      ['triggered', undefined],
      ['acknowledged', 'Bo Chen'],
      ['annotated', 'Ana Silva'],
      ['resolved', 'Ana Silva'],
    ]);
    stop();
    const uiOnly = hooks.follow({ via: ['ui'] });
    await pd.acknowledge(fake.trigger({ title: 'second' }).id, ana.email);
    await hooks.idle();
    expect(
      signals()
        .map((s) => s.kind)
        .slice(4),
    ).toEqual(['triggered']);
    uiOnly();
  });

  it('accepts Alertmanager deliveries with bearer or basic auth, and refuses wrong credentials', async () => {
    const payload = buildAlertmanagerPayload({ receiver: 'bot', groupLabels: { alertname: 'NodeDown' } }, [
      { labels: { alertname: 'NodeDown', node: 'ip-10-0-1-5.ec2.internal', severity: 'critical' }, startsAt: clock() },
    ]);
    expect((await postAlertmanager(`${url}/alertmanager`, payload, { bearer: 'am-token' })).status).toBe(202);
    expect(
      (await postAlertmanager(`${url}/alertmanager`, payload, { basic: { username: 'am', password: 'pw' } })).status,
    ).toBe(202);
    expect((await postAlertmanager(`${url}/alertmanager`, payload, { bearer: 'nope' })).status).toBe(401);
    expect(
      (await postAlertmanager(`${url}/alertmanager`, payload, { basic: { username: 'am', password: 'x' } })).status,
    ).toBe(401);
    expect((await postAlertmanager(`${url}/alertmanager`, payload)).status).toBe(401);
    expect((await postAlertmanager(`${url}/alertmanager`, { receiver: 'bot' }, { bearer: 'am-token' })).status).toBe(
      400,
    );
    const [a, b] = signals();
    expect(a).toMatchObject({ kind: 'triggered', resources: ['ip-10-0-1-5.ec2.internal'], urgency: 'high' });
    expect(b!.eventId).toBe(a!.eventId); // the same notification twice
  });
});
