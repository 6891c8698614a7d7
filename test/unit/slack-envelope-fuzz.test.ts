import { describe, expect, it } from '@jest/globals';
import { App } from '@slack/bolt';
import { Writable } from 'node:stream';
import type { HttpRequest } from '../../src/http/route.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createBackgroundWork } from '../../src/surfaces/slack/background.ts';
import { boltLogger } from '../../src/surfaces/slack/bolt-logger.ts';
import { createRouteReceiver } from '../../src/surfaces/slack/receiver.ts';
import {
  appMentionEvent,
  blockActionsPayload,
  blockSuggestionPayload,
  eventCallback,
  interactivityForm,
  signSlackRequest,
  slackSignature,
  slashCommandForm,
  viewSubmissionPayload,
} from '../helpers/slack-sign.ts';

/**
 * Correctly signed bodies of every odd shape, through our receiver into the real Bolt App (no
 * network: a bot token with token verification off, listeners that only ack). Whatever the shape,
 * the answer is a 200 (Slack's ack) or a 400 that names the problem; never a 500, and a refused
 * body is logged once.
 */
const secret = 'fuzz-signing-secret';

const signRaw = (raw: string, type: string) => {
  const ts = Math.floor(Date.now() / 1000);
  return {
    body: raw,
    headers: {
      'content-type': type,
      'x-slack-request-timestamp': String(ts),
      'x-slack-signature': slackSignature(secret, ts, raw),
    },
  };
};

const start = () => {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(l));
      done();
    },
  });
  const logger = createLogger('warn', sink);
  const work = createBackgroundWork();
  const receiver = createRouteReceiver({ signingSecret: secret, now: () => new Date(), logger, work });
  const app = new App({
    receiver,
    token: 'xoxb-fuzz',
    botId: 'B0BOT00001',
    botUserId: 'U0BOT00001',
    tokenVerificationEnabled: false,
    logger: boltLogger(logger),
  });
  app.event(/.*/, async () => undefined);
  app.action(/.*/, async ({ ack }) => ack());
  app.options(/.*/, async ({ ack }) => ack({ options: [] }));
  app.view(/.*/, async ({ ack }) => ack());
  app.command(/.*/, async ({ ack }) => ack());
  app.error(async () => undefined);
  const send = async (body: { json: unknown } | { form: Record<string, string> } | { raw: string; type: string }) => {
    const signed =
      'raw' in body
        ? signRaw(body.raw, body.type)
        : signSlackRequest(secret, body as { json: unknown } | { form: Record<string, string> });
    const req = {
      method: 'POST',
      path: '/slack/events',
      url: new URL('http://127.0.0.1/slack/events'),
      headers: signed.headers,
      rawBody: Buffer.from(signed.body),
    } as unknown as HttpRequest;
    const res = await receiver.route.handle(req);
    await work.idle();
    return res!;
  };
  return { send, lines };
};

/** Every value a field could wrongly hold. */
const oddValues: unknown[] = [null, 'x', 7, true, [], [null], {}, undefined];

/** Each path of `base` (objects down to `depth`), with each odd value in its place (undefined: removed). */
const mutations = (
  base: Record<string, unknown>,
  depth = 2,
): Array<{ path: string; body: Record<string, unknown> }> => {
  const out: Array<{ path: string; body: Record<string, unknown> }> = [];
  const walk = (node: Record<string, unknown>, path: string[], level: number) => {
    for (const key of Object.keys(node)) {
      for (const v of oddValues) {
        const copy = structuredClone(base);
        let cursor = copy as Record<string, unknown>;
        for (const p of path) cursor = cursor[p] as Record<string, unknown>;
        if (v === undefined) delete cursor[key];
        else cursor[key] = v;
        out.push({ path: [...path, key].join('.') + ` = ${JSON.stringify(v) ?? '(removed)'}`, body: copy });
      }
      const child = node[key];
      if (level < depth && child && typeof child === 'object' && !Array.isArray(child))
        walk(child as Record<string, unknown>, [...path, key], level + 1);
    }
  };
  walk(base, [], 1);
  return out;
};

const mention = eventCallback(
  appMentionEvent({ user: 'U0ALICE001', channel: 'C0OPS00001', text: '<@U0BOT00001> help' }),
);
const click = blockActionsPayload({
  userId: 'U0ALICE001',
  channelId: 'C0OPS00001',
  messageTs: '1700000000.000100',
  actionId: 'command.run',
  value: '{}',
  responseUrl: 'http://127.0.0.1:9/response/R1',
});
const submission = viewSubmissionPayload({ userId: 'U0ALICE001', callbackId: 'devops.form', values: {} });
const suggestion = blockSuggestionPayload({ userId: 'U0ALICE001', actionId: 'a', blockId: 'b', value: 'web' });
const command = slashCommandForm({
  text: 'help',
  userId: 'U0ALICE001',
  channelId: 'C0OPS00001',
  responseUrl: 'http://127.0.0.1:9/response/R2',
});

describe('Slack envelopes, fuzzed', () => {
  it('names the shapes the issue reported: 400 with a reason, never a 500', async () => {
    const { send } = start();
    const cases: Array<[string, Parameters<ReturnType<typeof start>['send']>[0]]> = [
      ['type x with event as a string', { json: { type: 'x', event: 's' } }],
      ['event_callback without event', { json: { type: 'event_callback', team_id: 'T1' } }],
      ['event as a string', { json: { type: 'event_callback', event: 'app_mention' } }],
      ['event as null', { json: { type: 'event_callback', event: null } }],
      ['url_verification without challenge', { json: { type: 'url_verification' } }],
      ['payload not JSON', { form: { payload: '{"type": ' } }],
      ['payload JSON of the wrong shape', { form: { payload: '["block_actions"]' } }],
      ['payload of no type', { form: { payload: '{"user":{"id":"U1"}}' } }],
      ['block_actions whose user is null', { form: interactivityForm({ ...click, user: null }) }],
      ['view_submission without view', { form: interactivityForm({ ...submission, view: undefined }) }],
      ['JSON array body', { json: [1, 2] }],
      ['JSON number body', { raw: '42', type: 'application/json' }],
    ];
    for (const [what, body] of cases) {
      const res = await send(body);
      expect([what, res.status]).toEqual([what, 400]);
      expect(JSON.parse(String(res.body)).error).toEqual(expect.any(String));
      // Slack retries a failed Events API delivery; a body it signed that we cannot read will not improve.
      expect(res.headers?.['x-slack-no-retry']).toBe('1');
    }
  });

  it.each([
    ['an app_mention event', mention, 3],
    ['a block_actions click', click, 2],
    ['a view_submission', submission, 2],
    ['a block_suggestion', suggestion, 2],
  ])('%s with any field replaced by an odd value: 200 or 400, never a 500', async (_what, base, depth) => {
    const { send, lines } = start();
    const isEvent = base === mention;
    for (const m of mutations(base as Record<string, unknown>, depth)) {
      const before = lines.length;
      const res = await send(isEvent ? { json: m.body } : { form: interactivityForm(m.body) });
      expect([m.path, res.status]).toEqual([m.path, res.status === 200 ? 200 : 400]);
      const logged = lines.slice(before).filter((l) => /malformed Slack request/.test(String(l.msg)));
      // A refused body is logged once; an accepted one is not called malformed.
      expect([m.path, logged.length]).toEqual([m.path, res.status === 400 ? 1 : 0]);
    }
  });

  it('a slash command with any field missing or odd: 200 or 400, never a 500', async () => {
    const { send } = start();
    for (const key of Object.keys(command)) {
      for (const v of ['', 'x', undefined]) {
        const form = { ...command } as Record<string, string>;
        if (v === undefined) delete form[key];
        else form[key] = v;
        const res = await send({ form });
        expect([key, v, res.status]).toEqual([key, v, res.status === 200 ? 200 : 400]);
      }
    }
  });
});
