import { afterEach, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { createLogger } from '../../src/observability/logger.ts';
import { startSlackFake, type SlackFake } from '../fakes/slack-api.ts';
import { ALICE, OPS, SECRET, startSlackHarness, type SlackHarness } from '../fixtures/slack-harness.ts';
import { click, postJson, startTestApp, turn, type TestApp } from '../helpers/app.ts';
import { appMentionEvent, eventCallback, postSigned, signSlackRequest } from '../helpers/slack-sign.ts';
import { waitFor } from '../helpers/wait-for.ts';

/**
 * The logs a platform team operates by, from the real app: one info line per change request
 * transition (who, what, which resource, from → to), and the request id of the HTTP request that
 * started the work on every line of it — also when Slack's work runs after the ack.
 */
interface Line {
  level: number;
  msg: string;
  requestId?: string;
  [k: string]: unknown;
}

const capture = () => {
  const lines: Line[] = [];
  const sink = new PassThrough();
  sink.on('data', (chunk: Buffer) =>
    lines.push(
      ...chunk
        .toString()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Line),
    ),
  );
  return { lines, logger: createLogger('info', sink) };
};

const transitions = (lines: Line[], changeId: string) =>
  lines.filter((l) => l.event === 'change.transition' && l.changeId === changeId);

let app: TestApp | undefined;
let slack: SlackHarness | undefined;
let fake: SlackFake | undefined;
afterEach(async () => {
  await app?.stop();
  await slack?.stop();
  await fake?.stop();
  app = slack = fake = undefined;
});

describe('change request transitions in the log', () => {
  it('writes exactly one info line per transition, with who, what, which resource and the request id', async () => {
    const { lines, logger } = capture();
    app = await startTestApp({}, { logger });
    const asked = await postJson(
      app,
      '/console/api/turn',
      { user: 'alice', text: 'stop web-prod-1' },
      {
        'x-request-id': 'req-ask-1',
      },
    );
    const changeId = asked.body.replies?.find((r) => r.changeId)?.changeId;
    expect(changeId).toMatch(/^CR-\d+$/);
    const approved = await postJson(
      app,
      '/console/api/interaction',
      { user: 'bob', actionId: 'change.approve', value: changeId },
      { 'x-request-id': 'req-approve-1' },
    );
    expect(approved.status).toBe(200);
    const seen = await waitFor(
      () => {
        const t = transitions(lines, changeId!);
        return t.some((l) => l.to === 'succeeded') && t;
      },
      { what: `${changeId} to succeed`, timeoutMs: 10_000, detail: () => transitions(lines, changeId!) },
    );
    expect(seen.map((l) => `${l.from}→${l.to}`)).toEqual([
      'none→pending',
      'pending→approved',
      'approved→executing',
      'executing→succeeded',
    ]);
    const target = app.sandbox!.fleet.instances.find((i) => i.tags.Name === 'web-prod-1')!;
    for (const l of seen)
      expect(l).toMatchObject({
        level: 30,
        changeId,
        action: 'stop',
        requester: 'console:console:alice',
        workspaceId: 'console',
        resource: { provider: 'aws', type: 'instance', id: target.id, region: target.region, name: 'web-prod-1' },
      });
    expect(seen[0]).toMatchObject({ by: 'console:console:alice', byName: 'Alice', requestId: 'req-ask-1' });
    expect(seen[1]).toMatchObject({ by: 'console:console:bob', byName: 'Bob', requestId: 'req-approve-1' });
    // The executor is the system, working on behalf of the approval's request.
    expect(seen[2]).toMatchObject({ by: 'system', requestId: 'req-approve-1' });
    expect(seen[3]).toMatchObject({ by: 'system', requestId: 'req-approve-1' });
  }, 30_000);

  it('logs an approval short of the count as pending → pending (not counted as a status change)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'obs-policy-'));
    const file = path.join(dir, 'policy.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        requesterRoles: ['operator', 'approver', 'admin'],
        rules: [{ name: 'two-people', approvals: 2, approverRoles: ['approver', 'admin'] }],
      }),
    );
    const { lines, logger } = capture();
    try {
      app = await startTestApp({ POLICY_FILE: file }, { logger });
      const [card] = await turn(app, 'alice', 'reboot web-staging-1');
      const id = card!.changeId!;
      await click(app, 'bob', 'change.approve', id);
      await click(app, 'carol', 'change.approve', id);
      const seen = transitions(lines, id);
      expect(seen.map((l) => [`${l.from}→${l.to}`, l.byName, l.approvals, l.approvalsRequired])).toEqual([
        ['none→pending', 'Alice', 0, 2],
        ['pending→pending', 'Bob', 1, 2],
        ['pending→approved', 'Carol', 2, 2],
        ['approved→executing', 'system', 2, 2],
        ['executing→succeeded', 'system', 2, 2],
      ]);
      const counted = await app.metrics.registry.getSingleMetricAsString('devops_agent_change_transitions_total');
      expect(counted).not.toContain('from="pending",to="pending"');
      expect(counted).toContain('devops_agent_change_transitions_total{from="pending",to="approved"} 1');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

describe('request ids in Slack background work', () => {
  it("carries the id of the request that delivered an event into its work, though another request's work started it", async () => {
    const { lines, logger } = capture();
    // One job at a time: the second event's work is started by the first one finishing.
    slack = await startSlackHarness(
      {},
      { logger, slack: { retryConfig: { retries: 1, minTimeout: 10, maxTimeout: 50 }, maxConcurrentWork: 1 } },
    );
    const { fake, url } = slack;
    const deliver = (requestId: string, text: string) => {
      const signed = signSlackRequest(SECRET, {
        json: eventCallback(appMentionEvent({ user: ALICE, channel: OPS, text: `<@${fake.botUserId}> ${text}` })),
      });
      return postSigned(url, { ...signed, headers: { ...signed.headers, 'x-request-id': requestId } });
    };
    const answers = await Promise.all([deliver('slack-a', 'stop web-dev-1'), deliver('slack-b', 'stop api-dev-1')]);
    expect(answers.map((a) => [a.status, a.headers.get('x-request-id')])).toEqual([
      [200, 'slack-a'],
      [200, 'slack-b'],
    ]);
    await slack.settle();
    const byResource = (name: string) =>
      lines.filter((l) => l.event === 'change.transition' && (l.resource as { name: string }).name === name);
    // Dev power actions are auto-approved: each request runs pending → … → succeeded in its background work.
    for (const [name, requestId] of [
      ['web-dev-1', 'slack-a'],
      ['api-dev-1', 'slack-b'],
    ] as const) {
      const seen = byResource(name);
      expect(seen.map((l) => l.to)).toEqual(['pending', 'approved', 'executing', 'succeeded']);
      expect(seen.map((l) => l.requestId)).toEqual([requestId, requestId, requestId, requestId]);
      expect(seen[0]).toMatchObject({ by: `slack:T0FAKE0001:${ALICE}` });
    }
  }, 30_000);

  it('gives each Socket Mode event (no HTTP request) a request id of its own for all its work', async () => {
    const { lines, logger } = capture();
    const appToken = 'xapp-1-A0APP00001-test';
    fake = await startSlackFake({
      appToken,
      users: [{ id: ALICE, name: 'alice', displayName: 'Alice' }],
      channels: [{ id: OPS, name: 'ops' }],
    });
    app = await startTestApp(
      {
        SLACK_BOT_TOKEN: 'xoxb-test-token',
        SLACK_APP_TOKEN: appToken,
        SLACK_API_URL: fake.url,
        DEFAULT_ROLE: 'operator',
      },
      { logger, slack: { retryConfig: { retries: 0 } } },
    );
    await fake.socket.connected();
    for (const [n, text] of [
      [1, 'stop web-dev-1'],
      [2, 'stop api-dev-1'],
    ] as const)
      await fake.socket.send({
        envelope_id: `env-obs-${n}`,
        type: 'events_api',
        payload: eventCallback(appMentionEvent({ user: ALICE, channel: OPS, text: `<@${fake.botUserId}> ${text}` })),
        accepts_response_payload: false,
      });
    await app.slack!.idle();
    const idsOf = (name: string) =>
      new Set(
        lines
          .filter((l) => l.event === 'change.transition' && (l.resource as { name: string }).name === name)
          .map((l) => l.requestId),
      );
    const [a, b] = [idsOf('web-dev-1'), idsOf('api-dev-1')];
    expect([a.size, b.size]).toEqual([1, 1]);
    expect([...a][0]).toMatch(/^[0-9a-f-]{36}$/);
    expect([...a][0]).not.toBe([...b][0]);
  }, 30_000);
});
