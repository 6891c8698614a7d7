import { z } from 'zod';
import { AppError, formatZodIssues } from '../../errors.ts';

/**
 * What Slack POSTs to /slack/events, parsed into the body object Bolt's `processEvent` expects:
 * Events API (JSON), interactivity (form field `payload` holding JSON), slash commands (plain form
 * fields), plus Slack's own probes (`url_verification`, `ssl_check`). Anything else is the
 * caller's 400, with a reason.
 */
export type InboundBody =
  | { kind: 'url_verification'; challenge: string }
  | { kind: 'ssl_check' }
  | { kind: 'dispatch'; body: Record<string, unknown> };

/** A body that is not a Slack request we can dispatch: the receiver answers 400 with the message. */
export class InboundError extends AppError {
  constructor(message: string) {
    super('bad_request', message);
    this.name = 'InboundError';
  }
}

const Envelope = z.looseObject({ type: z.string().min(1) });
const HasUser = z.looseObject({ id: z.string().min(1) });
/** Shapes Bolt reads without checking (a block_actions body without `actions` would throw inside it). */
const byType: Record<string, z.ZodType> = {
  event_callback: z.looseObject({ event: z.looseObject({ type: z.string().min(1) }) }),
  block_actions: z.looseObject({
    user: HasUser,
    actions: z.array(z.looseObject({ action_id: z.string().min(1) })).min(1),
  }),
  view_submission: z.looseObject({ user: HasUser, view: z.looseObject({ id: z.string().optional() }) }),
  view_closed: z.looseObject({ user: HasUser, view: z.looseObject({ id: z.string().optional() }) }),
  block_suggestion: z.looseObject({ user: HasUser, action_id: z.string().min(1) }),
};
const Command = z.looseObject({
  command: z.string().regex(/^\//),
  team_id: z.string().min(1),
  user_id: z.string().min(1),
  channel_id: z.string().min(1),
});
const UrlVerification = z.object({ type: z.literal('url_verification'), challenge: z.string().max(500) }).loose();

const parseJson = (raw: string, what: string): unknown => {
  try {
    return JSON.parse(raw);
  } catch (e) {
    throw new InboundError(`${what} is not valid JSON: ${(e as Error).message}`);
  }
};

const checked = (body: Record<string, unknown> & { type: string }, what: string): Record<string, unknown> => {
  const shape = byType[body.type]?.safeParse(body);
  if (shape && !shape.success)
    throw new InboundError(`not a valid Slack ${what} (${body.type}): ${formatZodIssues(shape.error)}`);
  return body;
};

export const parseInbound = (rawBody: Buffer, contentType: string | undefined): InboundBody => {
  const raw = rawBody.toString('utf8');
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json') {
    const verification = UrlVerification.safeParse(parseJson(raw, 'the body'));
    if (verification.success) return { kind: 'url_verification', challenge: verification.data.challenge };
    const envelope = Envelope.safeParse(parseJson(raw, 'the body'));
    if (!envelope.success) throw new InboundError(`not a Slack event: ${formatZodIssues(envelope.error)}`);
    return { kind: 'dispatch', body: checked(envelope.data, 'event') };
  }
  if (type === 'application/x-www-form-urlencoded') {
    const form = new URLSearchParams(raw);
    if (form.get('ssl_check') === '1') return { kind: 'ssl_check' };
    const payload = form.get('payload');
    if (payload !== null) {
      const parsed = Envelope.safeParse(parseJson(payload, 'the payload field'));
      if (!parsed.success) throw new InboundError(`not a Slack interaction: ${formatZodIssues(parsed.error)}`);
      return { kind: 'dispatch', body: checked(parsed.data, 'interaction') };
    }
    const command = Command.safeParse(Object.fromEntries(form));
    if (!command.success) throw new InboundError(`not a Slack slash command: ${formatZodIssues(command.error)}`);
    return { kind: 'dispatch', body: command.data };
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
