import { CauseCategory } from '../../incidents/model.ts';
import { normalizeChangeId, readUser } from './args.ts';
import { ok, usage, type CommandParser } from './results.ts';
import type { Token } from './tokens.ts';

/**
 * Parsers of the incident commands: `incidents [open|all]`, `incidents accuracy [N days]`,
 * `incident INC-7` (`show`, `diagnose`, `ack`, `resolve`, `escalate`, `cause …` before or after
 * the id), `ack|resolve|escalate INC-7`, and `pagerduty map @user email`.
 */

const INCIDENT = /^(?:inc-?|#)?[1-9]\d{0,8}$/i;
const isIncident = (t: Token | undefined): boolean => Boolean(t && !t.mentionId && INCIDENT.test(t.text));
const canonical = (t: Token): string => `INC-${/(\d+)$/.exec(t.text)![1]}`;

const OPS: Record<string, 'show' | 'diagnose' | 'acknowledge' | 'resolve' | 'escalate' | 'cause'> = {
  show: 'show',
  info: 'show',
  describe: 'show',
  diagnose: 'diagnose',
  diagnosis: 'diagnose',
  investigate: 'diagnose',
  ack: 'acknowledge',
  acknowledge: 'acknowledge',
  resolve: 'resolve',
  close: 'resolve',
  escalate: 'escalate',
  cause: 'cause',
  rca: 'cause',
};

export const parseIncidents: CommandParser = (args, ctx) => {
  const [first, second, third] = args;
  if (!first || (!first.quoted && ['open', 'active'].includes(first.lower)))
    return ok({ kind: 'incidents', which: 'open' });
  if (!first.quoted && ['all', 'recent', 'latest'].includes(first.lower))
    return ok({ kind: 'incidents', which: 'all' });
  if (!first.quoted && ['accuracy', 'grades', 'grading'].includes(first.lower)) {
    if (!second) return ok({ kind: 'incident_accuracy' });
    const m = /^(\d{1,4})d?$/i.exec(second.text);
    const days = m ? Number(m[1]) : NaN;
    if (!(days >= 1) || (third && !/^days?$/i.test(third.text)) || args.length > 3)
      return usage(ctx.word, 'Say the period in days: `incidents accuracy 90 days`.');
    return ok({ kind: 'incident_accuracy', days });
  }
  if (isIncident(first)) return parseIncident(args, { ...ctx, word: 'incident' });
  return usage(ctx.word, `I read \`incidents\`, \`incidents all\` or \`incidents accuracy\`, not “${first.text}”.`);
};

export const parseIncident: CommandParser = (args, ctx) => {
  if (args.length === 0) return ok({ kind: 'incidents', which: 'open' });
  // `incident INC-7 ack` and `incident ack INC-7` both read.
  let op: (typeof OPS)[string] = 'show';
  let rest = args;
  const opAt = args.findIndex((t, i) => i < 2 && !t.quoted && OPS[t.lower] !== undefined);
  if (opAt >= 0) {
    op = OPS[args[opAt]!.lower]!;
    rest = args.filter((_, i) => i !== opAt);
  }
  const id = rest[0];
  if (!isIncident(id))
    return usage('incident', 'Which incident? Name it like INC-7 (`incidents` lists the open ones).');
  const incident = canonical(id!);
  const more = rest.slice(1);
  if (op !== 'cause') {
    if (more.length > 0)
      return usage('incident', `I did not understand “${more.map((t) => t.text).join(' ')}” after ${incident}.`);
    return op === 'show' || op === 'diagnose'
      ? ok({ kind: 'incident', op, incident })
      : ok({ kind: 'incident', op, incident });
  }
  return parseCause(incident, more, ctx.text);
};

/** `cause INC-7 change CR-12 resource=api-prod-1 the resize dropped the pool` */
const parseCause = (incident: string, args: Token[], text: string) => {
  const [cat, ...rest] = args;
  const category = cat && CauseCategory.safeParse(cat.lower);
  if (!cat || !category?.success)
    return usage(
      'incident',
      `Say what kind of cause: ${CauseCategory.options.join(', ')} — e.g. \`incident cause ${incident} change CR-12\`.`,
    );
  let changeId: string | undefined;
  let resource: string | undefined;
  let from: Token | undefined;
  for (let k = 0; k < rest.length; k++) {
    const t = rest[k]!;
    const cr = !changeId && !t.quoted ? normalizeChangeId(t.text) : undefined;
    if (cr && /^cr/i.test(t.text)) {
      changeId = cr;
      continue;
    }
    // `resource=api-prod-1` (the tokenizer splits at `=`).
    if (!resource && !t.quoted && t.lower === 'resource' && rest[k + 1]?.text === '=' && rest[k + 2]) {
      resource = rest[k + 2]!.text;
      k += 2;
      continue;
    }
    from = t;
    break;
  }
  const note = from ? text.slice(from.start).trim() : '';
  return ok({
    kind: 'incident_cause',
    incident,
    category: category.data,
    ...(changeId ? { changeId } : {}),
    ...(resource ? { resource } : {}),
    ...(note ? { text: note } : {}),
  });
};

/** `ack INC-7`, `resolve INC-7`, `escalate INC-7`. */
export const incidentOp =
  (op: 'acknowledge' | 'resolve' | 'escalate'): CommandParser =>
  (args, ctx) => {
    if (args.length !== 1 || !isIncident(args[0])) return usage(ctx.word, 'Which incident? Name it like INC-7.');
    return ok({ kind: 'incident', op, incident: canonical(args[0]!) });
  };

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** `pagerduty map @ana ana@example.com` */
export const parsePagerDuty: CommandParser = (args, ctx) => {
  const [verb, who, email, ...extra] = args;
  if (!verb || verb.quoted || !['map', 'link'].includes(verb.lower) || !who || !email || extra.length > 0)
    return usage(ctx.word);
  const user = readUser(who);
  if (!user) return usage(ctx.word, 'Name the person with a mention (@ana).');
  if (!EMAIL.test(email.text)) return usage(ctx.word, `“${email.text}” is not an email address.`);
  return ok({ kind: 'pagerduty_map', user, email: email.text.toLowerCase() });
};
