import { describe, expect, it } from '@jest/globals';
import { verifySlackSignature } from '../../src/surfaces/slack/verify.ts';
import { slackSignature } from '../helpers/slack-sign.ts';

/** The request signature check, with its clock injected: one reason per way a request is refused. */
const secret = 'signing-secret';
const body = '{"type":"event_callback"}';
const t0 = 1_700_000_000;
const at = (seconds: number) => new Date(seconds * 1000);
const check = (o: { timestamp?: string | string[]; signature?: string | string[]; now?: number; rawBody?: string }) =>
  verifySlackSignature({
    signingSecret: secret,
    timestamp: o.timestamp,
    signature: o.signature,
    rawBody: o.rawBody ?? body,
    now: at(o.now ?? t0),
  });
const good = slackSignature(secret, t0, body);

describe('verifySlackSignature', () => {
  it('accepts a request signed with the secret within the window, from either side of our clock', () => {
    expect(check({ timestamp: String(t0), signature: good })).toEqual({ ok: true });
    expect(check({ timestamp: String(t0), signature: good, now: t0 + 300 })).toEqual({ ok: true });
    expect(check({ timestamp: String(t0), signature: good, now: t0 - 300 })).toEqual({ ok: true });
    expect(check({ timestamp: String(t0), signature: good, rawBody: Buffer.from(body) as unknown as string })).toEqual({
      ok: true,
    });
  });

  type Case = [{ timestamp?: string | string[]; signature?: string; now?: number; rawBody?: string }, string];
  it.each<Case>([
    [{ signature: good }, 'missing x-slack-request-timestamp header'],
    [{ timestamp: String(t0) }, 'missing x-slack-signature header'],
    [{ timestamp: [String(t0), String(t0)], signature: good }, 'missing x-slack-request-timestamp header'],
    [{ timestamp: '17e8', signature: good }, 'x-slack-request-timestamp is not a unix time in seconds'],
    [
      { timestamp: String(t0), signature: good, now: t0 + 301 },
      'request timestamp is more than 5 minutes from our clock',
    ],
    [
      { timestamp: String(t0), signature: good, now: t0 - 301 },
      'request timestamp is more than 5 minutes from our clock',
    ],
    [{ timestamp: String(t0), signature: good.replace('v0=', 'v1=') }, 'x-slack-signature is not a v0 signature'],
    [{ timestamp: String(t0), signature: good.slice(0, -2) }, 'x-slack-signature is not a v0 signature'],
    [{ timestamp: String(t0), signature: slackSignature('other-secret', t0, body) }, 'signature mismatch'],
    [{ timestamp: String(t0 + 1), signature: good, now: t0 + 1 }, 'signature mismatch'],
    [{ timestamp: String(t0), signature: good, rawBody: `${body} ` }, 'signature mismatch'],
  ])('refuses %j: %s', (input, reason) => {
    expect(check(input)).toEqual({ ok: false, reason });
  });
});
