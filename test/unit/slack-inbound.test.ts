import { describe, expect, it } from '@jest/globals';
import { InboundError, inboundText, parseInbound } from '../../src/surfaces/slack/inbound.ts';

/** What Slack sends, as the engine and Bolt should see it. */
describe('inboundText', () => {
  it('drops the bot mention and decodes what Slack escaped', () => {
    expect(inboundText('<@U0BOT> show &lt;web-1&gt; &amp;&amp; more', 'U0BOT')).toBe('show <web-1> && more');
    expect(inboundText('&amp;lt; stays literal', 'U0BOT')).toBe('&lt; stays literal');
  });

  it('turns mentions, channels, broadcasts and links into what the user saw', () => {
    expect(inboundText('grant <@U0BOB|bob> approver in <#C0OPS|ops> <!here>', 'U0BOT')).toBe(
      'grant @U0BOB approver in #ops @here',
    );
    expect(inboundText('show <http://web.example.com|web.example.com> and <https://x.io/a>')).toBe(
      'show web.example.com and https://x.io/a',
    );
    expect(inboundText('mail <mailto:a@b.io|a@b.io> <!subteam^S01|@oncall>')).toBe('mail a@b.io @oncall');
  });
});

describe('parseInbound', () => {
  const form = (o: Record<string, string>) => Buffer.from(new URLSearchParams(o).toString());
  const json = (v: unknown) => Buffer.from(JSON.stringify(v));

  it('recognizes Slack probes, events, interactions and slash commands', () => {
    expect(parseInbound(json({ type: 'url_verification', challenge: 'c' }), 'application/json')).toEqual({
      kind: 'url_verification',
      challenge: 'c',
    });
    expect(parseInbound(form({ ssl_check: '1', token: 't' }), 'application/x-www-form-urlencoded')).toEqual({
      kind: 'ssl_check',
    });
    expect(
      parseInbound(json({ type: 'event_callback', event: { type: 'app_mention' } }), 'application/json; charset=utf-8')
        .kind,
    ).toBe('dispatch');
    const click = parseInbound(
      form({ payload: JSON.stringify({ type: 'block_actions', user: { id: 'U1' }, actions: [{ action_id: 'a' }] }) }),
      'application/x-www-form-urlencoded',
    );
    expect(click).toMatchObject({ kind: 'dispatch', body: { type: 'block_actions' } });
    const command = parseInbound(
      form({ command: '/devops', text: 'help', team_id: 'T1', user_id: 'U1', channel_id: 'C1' }),
      'application/x-www-form-urlencoded',
    );
    expect(command).toMatchObject({ kind: 'dispatch', body: { command: '/devops', text: 'help' } });
  });

  it.each([
    [Buffer.from('{"type":'), 'application/json', /not valid JSON/],
    [json({ nope: 1 }), 'application/json', /not a Slack event/],
    [json({ type: 'event_callback' }), 'application/json', /event: /],
    [
      form({ payload: JSON.stringify({ type: 'block_actions', user: { id: 'U1' } }) }),
      'application/x-www-form-urlencoded',
      /actions/,
    ],
    [
      form({ payload: JSON.stringify({ type: 'view_submission', user: { id: 'U1' } }) }),
      'application/x-www-form-urlencoded',
      /view/,
    ],
    [form({ command: 'devops' }), 'application/x-www-form-urlencoded', /slash command/],
    [Buffer.from('x'), 'text/plain', /unsupported content type/],
    [Buffer.from('x'), undefined, /unsupported content type "\(none\)"/],
  ])('refuses malformed input %#', (raw, type, reason) => {
    expect(() => parseInbound(raw, type)).toThrow(InboundError);
    expect(() => parseInbound(raw, type)).toThrow(reason);
  });
});
