import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConversationRef } from '../../chat/actor.ts';
import { AppError, zodIssueLines } from '../../errors.ts';
import { ApprovalWindow, openWindow } from '../../changes/windows.ts';
import { parseDuration } from '../../workflows/template.ts';
import { SignalKind, Urgency } from '../model.ts';

/**
 * Where incidents go beyond their chat thread: the document INCIDENT_ROUTES_FILE names (YAML or
 * JSON, parsed by the caller), checked with zod. Service rules pick the thread's channel and the
 * email addresses and signed webhooks an incident is sent to; quiet hours hold low-urgency
 * deliveries to a target until they end. docs/architecture.md#incidents, README "Incident routing".
 *
 * ```yaml
 * defaultChannel: slack:T123:C0INCIDENTS   # <surface>:<workspace>:<channel>, as DRIFT_CONVERSATION
 * dedupWindow: 10m                          # repeats of one incident and kind inside it are grouped
 * services:
 *   - match: checkout-*                     # service name, glob (* and ?), case-insensitive; first match wins
 *     channel: slack:T123:C0CHECKOUT
 *     email: [oncall-checkout@example.com]
 *     webhooks: [ops-bus]
 *     minUrgency: low                       # which urgencies go to email/webhooks (default high)
 * webhooks:
 *   - name: ops-bus
 *     url: https://hooks.example.com/incidents
 *     secretEnv: OPS_BUS_SECRET             # the HMAC secret is read from this variable, never from the file
 * quietHours:
 *   - target: oncall-checkout@example.com   # an email address, a webhook name or a chat channel
 *     from: "22:00"
 *     to: "07:00"
 *     timeZone: Europe/Berlin
 *     days: [mon, tue, wed, thu, fri, sat, sun]
 *     allowUrgency: high                    # this urgency still goes through
 * ```
 */

/** The incident kinds sent by email and webhooks unless the document lists its own `kinds`. */
export const DEFAULT_ROUTED_KINDS: readonly SignalKind[] = [
  'triggered',
  'unacknowledged',
  'escalated',
  'reopened',
  'acknowledged',
  'resolved',
];

const Channel = z.string().transform((value, ctx) => {
  const [surface, workspaceId, ...channel] = value.trim().split(':');
  const parsed = ConversationRef.safeParse({ surface, workspaceId, channelId: channel.join(':') });
  if (parsed.success) return parsed.data;
  ctx.addIssue({
    code: 'custom',
    message: `must be <surface>:<workspace>:<channel> with surface slack, teams or console, got "${value}"`,
  });
  return z.NEVER;
});

const WebhookName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'must be lower-case letters, digits, - or _ (at most 63)');
const Email = z.email('must be an email address').transform((s) => s.toLowerCase());

const ServiceRule = z
  .object({
    /** A service name glob: `*` any run of characters, `?` one; case-insensitive. */
    match: z.string().min(1).max(200),
    /** The incident thread's channel for these services; the document's defaultChannel when absent. */
    channel: Channel.optional(),
    email: z.array(Email).max(50).default([]),
    webhooks: z.array(WebhookName).max(20).default([]),
    /** The lowest urgency sent to email and webhooks: `high` (the default) sends only high ones. */
    minUrgency: Urgency.default('high'),
  })
  .strict();

const Webhook = z
  .object({
    name: WebhookName,
    url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
    /** The environment variable holding the HMAC-SHA256 secret (at least 16 characters). */
    secretEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name like OPS_BUS_SECRET'),
  })
  .strict();

/**
 * Quiet hours of one target: the window fields of an approval window (src/changes/windows.ts:
 * days, from, to, timeZone; DST-safe, a `to` not after `from` runs past midnight).
 */
const QuietHoursEntry = z
  .object({
    target: z.string().trim().min(1),
    /** The urgency that still goes through (`high`); absent: everything is held. */
    allowUrgency: Urgency.optional(),
    days: z.unknown().optional(),
    from: z.unknown(),
    to: z.unknown(),
    timeZone: z.unknown().optional(),
  })
  .strict()
  .transform((q, ctx) => {
    const window = ApprovalWindow.safeParse({ days: q.days, from: q.from, to: q.to, timeZone: q.timeZone });
    if (window.success) return { target: q.target, allowUrgency: q.allowUrgency, window: window.data };
    for (const issue of window.error.issues)
      ctx.addIssue({ code: 'custom', message: issue.message, path: [...issue.path] });
    return z.NEVER;
  });

export const IncidentRoutingDocument = z
  .object({
    defaultChannel: Channel,
    dedupWindow: z
      .string()
      .refine((s) => parseDuration(s) !== undefined, 'must be a duration such as 30s, 10m or 2h (at most 24h)')
      .default('10m'),
    /** Which kinds of incident events go to email and webhooks. */
    kinds: z
      .array(SignalKind)
      .min(1)
      .default([...DEFAULT_ROUTED_KINDS]),
    services: z.array(ServiceRule).max(500).default([]),
    webhooks: z.array(Webhook).max(50).default([]),
    quietHours: z.array(QuietHoursEntry).max(200).default([]),
  })
  .strict();

export interface RoutingWebhook {
  name: string;
  url: string;
  /** The HMAC secret, read from `secretEnv` at load: never logged, never sent. */
  secret: string;
}

export interface QuietHours {
  /** `email:<address>`, `webhook:<name>` or `chat:<surface>:<workspace>:<channel>`. */
  target: string;
  allowUrgency: Urgency | undefined;
  window: ApprovalWindow;
}

export interface ServiceRoute {
  match: string;
  pattern: RegExp;
  channel: ConversationRef | undefined;
  email: string[];
  webhooks: string[];
  minUrgency: Urgency;
}

export interface IncidentRouting {
  defaultChannel: ConversationRef;
  dedupWindowMs: number;
  kinds: ReadonlySet<SignalKind>;
  services: ServiceRoute[];
  webhooks: ReadonlyMap<string, RoutingWebhook>;
  quietHours: QuietHours[];
}

/** One place an incident is sent to beyond chat; `key` names it in deliveries and quiet hours. */
export type RouteTarget =
  { type: 'email'; key: string; address: string } | { type: 'webhook'; key: string; webhook: RoutingWebhook };

export const emailKey = (address: string): string => `email:${address.toLowerCase()}`;
export const webhookKey = (name: string): string => `webhook:${name}`;
export const chatKey = (c: Pick<ConversationRef, 'surface' | 'workspaceId' | 'channelId'>): string =>
  `chat:${c.surface}:${c.workspaceId}:${c.channelId}`;

/** A glob (`*`, `?`) as an anchored, case-insensitive RegExp. */
const globPattern = (glob: string): RegExp =>
  new RegExp(
    `^${glob
      .split('')
      .map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join('')}$`,
    'i',
  );

/** The target key a quiet-hours `target` names: an email, a webhook's name, or a chat channel. */
const quietTargetKey = (target: string, webhooks: ReadonlyMap<string, unknown>): string | undefined => {
  if (target.includes('@')) return emailKey(target);
  if (webhooks.has(target)) return webhookKey(target);
  const channel = Channel.safeParse(target);
  return channel.success ? chatKey(channel.data) : undefined;
};

/**
 * The routing document, checked: every problem is listed with its path (`services.0.webhooks.1:
 * no webhook named "ops"`), in one `config_invalid` AppError. `env` supplies the webhook secrets
 * (`secretEnv`): pass the process environment from the composition root.
 */
export const loadIncidentRouting = (
  doc: unknown,
  env: Readonly<Record<string, string | undefined>>,
): IncidentRouting => {
  const fail = (lines: string[]): never => {
    throw new AppError('config_invalid', `The incident routing document is invalid: ${lines.join('; ')}`);
  };
  const parsed = IncidentRoutingDocument.safeParse(doc);
  if (!parsed.success) return fail(zodIssueLines(parsed.error, '(document)'));
  const d = parsed.data;
  const problems: string[] = [];

  const webhooks = new Map<string, RoutingWebhook>();
  d.webhooks.forEach((w, i) => {
    if (webhooks.has(w.name)) problems.push(`webhooks.${i}.name: "${w.name}" is defined twice`);
    const secret = env[w.secretEnv]?.trim() ?? '';
    if (!secret) problems.push(`webhooks.${i}.secretEnv: the environment variable ${w.secretEnv} is not set`);
    else if (secret.length < 16)
      problems.push(`webhooks.${i}.secretEnv: ${w.secretEnv} must hold at least 16 characters`);
    webhooks.set(w.name, { name: w.name, url: w.url, secret });
  });
  d.services.forEach((s, i) =>
    s.webhooks.forEach((name, j) => {
      if (!webhooks.has(name)) problems.push(`services.${i}.webhooks.${j}: no webhook named "${name}" in webhooks`);
    }),
  );
  const quietHours: QuietHours[] = [];
  d.quietHours.forEach((q, i) => {
    const target = quietTargetKey(q.target, webhooks);
    if (!target)
      problems.push(
        `quietHours.${i}.target: "${q.target}" is not an email address, a webhook name or a <surface>:<workspace>:<channel>`,
      );
    else quietHours.push({ target, allowUrgency: q.allowUrgency, window: q.window });
  });
  if (problems.length > 0) return fail(problems);

  return {
    defaultChannel: d.defaultChannel,
    dedupWindowMs: parseDuration(d.dedupWindow)!,
    kinds: new Set(d.kinds),
    services: d.services.map((s) => ({
      match: s.match,
      pattern: globPattern(s.match),
      channel: s.channel,
      email: [...new Set(s.email)],
      webhooks: [...new Set(s.webhooks)],
      minUrgency: s.minUrgency,
    })),
    webhooks,
    quietHours,
  };
};

/**
 * The routing document from the text of INCIDENT_ROUTES_FILE (YAML, or JSON: YAML reads both),
 * checked like `loadIncidentRouting`; a syntax error names its line.
 */
export const parseIncidentRouting = (
  text: string,
  env: Readonly<Record<string, string | undefined>>,
): IncidentRouting => {
  let doc: unknown;
  try {
    doc = parseYaml(text, { prettyErrors: true });
  } catch (e) {
    const reason = e instanceof Error ? e.message.split('\n')[0] : String(e);
    throw new AppError('config_invalid', `The incident routing document is not valid YAML or JSON: ${reason}`);
  }
  return loadIncidentRouting(doc, env);
};

const ruleFor = (routing: IncidentRouting, service: string): ServiceRoute | undefined =>
  routing.services.find((s) => s.pattern.test(service));

/** The incident thread's channel: the first matching service rule's channel, else the default. */
export const channelFor = (routing: IncidentRouting, service: string): ConversationRef =>
  ruleFor(routing, service)?.channel ?? routing.defaultChannel;

const urgencyRank: Record<Urgency, number> = { low: 0, high: 1 };

/** Email addresses and webhooks of the first matching service rule that take this urgency. */
export const targetsFor = (routing: IncidentRouting, service: string, urgency: Urgency): RouteTarget[] => {
  const rule = ruleFor(routing, service);
  if (!rule || urgencyRank[urgency] < urgencyRank[rule.minUrgency]) return [];
  return [
    ...rule.email.map((address): RouteTarget => ({ type: 'email', key: emailKey(address), address })),
    ...rule.webhooks.map((name): RouteTarget => ({
      type: 'webhook',
      key: webhookKey(name),
      webhook: routing.webhooks.get(name)!,
    })),
  ];
};

/**
 * Whether a delivery of this urgency to `targetKey` is held at `at`: some quiet hours of the target
 * are in force and do not let the urgency through. Returns when they end (the latest end of the
 * quiet hours in force), so a caller can say "held until 07:00".
 */
export const quietUntil = (
  routing: IncidentRouting,
  targetKey: string,
  urgency: Urgency,
  at: Date,
): Date | undefined => {
  let until: Date | undefined;
  for (const q of routing.quietHours) {
    if (q.target !== targetKey) continue;
    if (q.allowUrgency && urgencyRank[urgency] >= urgencyRank[q.allowUrgency]) continue;
    const open = openWindow([q.window], at);
    if (open && (!until || open.closes > until)) until = open.closes;
  }
  return until;
};
