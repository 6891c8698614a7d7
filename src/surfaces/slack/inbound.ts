import { z } from 'zod';
import { AppError, formatZodIssues } from '../../errors.ts';
import { boltClassOf, classOfType, describeClass, envelopeSchemas, type BoltClass } from './envelope.ts';

/**
 * What Slack POSTs to /slack/events, parsed into the body object Bolt's `processEvent` expects:
 * Events API (JSON), interactivity (form field `payload` holding JSON), slash commands (plain form
 * fields), plus Slack's own probes (`url_verification`, `ssl_check`) and notices (`app_rate_limited`).
 * Every body is checked against the shape Bolt will read (envelope.ts) before Bolt sees it; anything
 * else is the caller's 400, with a reason.
 */
export type InboundBody =
  | { kind: 'url_verification'; challenge: string }
  | { kind: 'ssl_check' }
  /** A well-formed body with nothing to do (acked with 200, logged). */
  | { kind: 'ignore'; reason: string }
  | { kind: 'dispatch'; body: Record<string, unknown>; class: BoltClass };

/** A body that is not a Slack request we can dispatch: the receiver answers 400 with the message. */
export class InboundError extends AppError {
  constructor(message: string) {
    super('bad_request', message);
    this.name = 'InboundError';
  }
}

const Envelope = z.looseObject({ type: z.string().min(1) });
const UrlVerification = z.looseObject({ type: z.literal('url_verification'), challenge: z.string().min(1).max(500) });

const parseJson = (raw: string, what: string): unknown => {
  try {
    return JSON.parse(raw);
  } catch (e) {
    throw new InboundError(`${what} is not valid JSON: ${(e as Error).message}`);
  }
};

/**
 * Checks a body against the shape of its declared type and, where Bolt would classify it otherwise
 * (a `view_submission` that also has `actions`), against that class too. `allowed`: what this
 * channel carries (JSON: events; a form's `payload`: interactivity; plain form: slash commands).
 */
const dispatchable = (body: Record<string, unknown>, what: string, allowed: readonly BoltClass[]): InboundBody => {
  const type = typeof body.type === 'string' ? body.type : undefined;
  const declared = body.command !== undefined && type === undefined ? 'command' : classOfType(type);
  const bolt = boltClassOf(body);
  if (!declared || !allowed.includes(declared) || (bolt && !allowed.includes(bolt)))
    throw new InboundError(
      `not a Slack ${what}${type ? `: type "${type.slice(0, 50)}" is not one Slack sends here` : ''}`,
    );
  for (const cls of new Set([declared, bolt ?? declared])) {
    const shape = envelopeSchemas[cls].safeParse(body);
    if (!shape.success)
      throw new InboundError(
        `not a valid Slack ${describeClass[cls]}${type ? ` (${type.slice(0, 50)})` : ''}: ${formatZodIssues(shape.error)}`,
      );
  }
  return { kind: 'dispatch', body, class: bolt ?? declared };
};

export const parseInbound = (rawBody: Buffer, contentType: string | undefined): InboundBody => {
  const raw = rawBody.toString('utf8');
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json') {
    const parsed = parseJson(raw, 'the body');
    const envelope = Envelope.safeParse(parsed);
    if (!envelope.success) throw new InboundError(`not a Slack event: ${formatZodIssues(envelope.error)}`);
    const body = envelope.data;
    if (body.type === 'url_verification') {
      const verification = UrlVerification.safeParse(body);
      if (!verification.success)
        throw new InboundError(`not a valid url_verification: ${formatZodIssues(verification.error)}`);
      return { kind: 'url_verification', challenge: verification.data.challenge };
    }
    // Slack stopped sending events for a while (more than 30,000 in an hour): nothing to answer but 200.
    if (body.type === 'app_rate_limited')
      return { kind: 'ignore', reason: 'Slack rate-limited the events of this app' };
    return dispatchable(body, 'event', ['event']);
  }
  if (type === 'application/x-www-form-urlencoded') {
    const form = new URLSearchParams(raw);
    if (form.get('ssl_check') === '1') return { kind: 'ssl_check' };
    const payload = form.get('payload');
    if (payload !== null) {
      const parsed = Envelope.safeParse(parseJson(payload, 'the payload field'));
      if (!parsed.success) throw new InboundError(`not a Slack interaction: ${formatZodIssues(parsed.error)}`);
      return dispatchable(parsed.data, 'interaction', ['options', 'action', 'shortcut', 'view']);
    }
    const fields = Object.fromEntries(form);
    if (fields.command === undefined) throw new InboundError('not a Slack slash command: command: missing');
    return dispatchable(fields, 'slash command', ['command']);
  }
  throw new InboundError(
    `unsupported content type "${type || '(none)'}": Slack sends application/json or application/x-www-form-urlencoded`,
  );
};

/**
 * Message text as the engine should read it. Slack escapes `&`, `<`, `>` and wraps mentions,
 * channels and links in `<…>`: the bot's own mention goes, other people become `@U…` (the users
 * module resolves ids), channels `#name`, links their label (Slack auto-links host names such as
 * `web.example.com`, which are resource names to us). Entities are decoded last, so `&lt;` typed
 * by a user stays a literal `<`.
 */
export const inboundText = (text: string, botUserId?: string): string => {
  let s = text;
  if (botUserId) s = s.replace(new RegExp(`<@${botUserId}(?:\\|[^>]*)?>`, 'g'), ' ');
  return s
    .replace(/<@([UW][A-Z0-9]+)(?:\|[^>]*)?>/g, '@$1')
    .replace(/<#([CG][A-Z0-9]+)(?:\|([^>]*))?>/g, (_m, id: string, name?: string) => `#${name || id}`)
    .replace(/<!(here|channel|everyone)(?:\|[^>]*)?>/g, '@$1')
    .replace(/<!subteam\^([A-Z0-9]+)(?:\|([^>]*))?>/g, (_m, id: string, name?: string) => name || `@${id}`)
    .replace(/<!date\^\d+\^[^|>]*\|([^>]*)>/g, '$1')
    .replace(/<((?:https?|mailto):[^|>]+)(?:\|([^>]*))?>/g, (_m, url: string, label?: string) => label || url)
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/[ \t]+/g, ' ')
    .trim();
};

/** Whether a message mentions the bot (then Slack also sends `app_mention`, which answers it). */
export const mentions = (text: string, botUserId: string | undefined): boolean =>
  botUserId !== undefined && text.includes(`<@${botUserId}`);
