import type { Token } from './tokens.ts';
import { CommandWord, type PowerAction } from './command.ts';
import { readChangeId, readResource, readRole, readUser } from './args.ts';
import { parseChanges, parseCosts, parseList, startsList } from './parse-reads.ts';
import { correction, didYouMean, ok, quote, usage, type CommandParser, type ParseContext } from './results.ts';
import { closest } from '../../chat/suggest.ts';
import { ALIASES, ROLE_WORDS } from './vocabulary.ts';
import { UsageMonth } from '../../usage/month.ts';
import {
  parseBaseline,
  parseDrift,
  parseInventory,
  parsePrice,
  parseRollout,
  parseScale,
  plainAction,
} from './parse-estate.ts';

import { bare, parseApprove, parseFreeze, parseRevoke, parseUnfreeze, readGrantSpan } from './parse-policy.ts';
import { parseCancel, parseRun, parseTemplate, parseTemplates } from './parse-workflows.ts';
import { parseAnalytics } from './parse-analytics.ts';
import { incidentOp, parseIncident, parseIncidents, parsePagerDuty } from './parse-incidents.ts';
import {
  parseCompliance,
  parseFindings,
  parseFix,
  parseSavings,
  parseScan,
  parseSuppress,
  parseUnsuppress,
  parseOffHours,
} from './parse-scans.ts';

/** Parsers of every command but the inventory questions (parse-reads.ts) and scans (parse-scans.ts). */

const QUOTE_HINT = 'Put a name with spaces in quotes, like `"web server 1"`.';

/** Why a resource argument did not read: missing, or several words where one name goes. */
const resourceProblem = (args: Token[]): string | undefined => (args.length > 1 ? QUOTE_HINT : undefined);

const parseHelp: CommandParser = (args) => {
  const words = args.map((t) => t.lower);
  if (words.length === 0) return ok({ kind: 'help' });
  const direct = CommandWord.safeParse(words[0]);
  if (direct.success) return ok({ kind: 'help', topic: direct.data });
  const alias = ALIASES.find(([phrase]) => phrase.join(' ') === words.join(' '));
  const viaAlias = CommandWord.safeParse(alias?.[1][0]);
  if (viaAlias.success) return ok({ kind: 'help', topic: viaAlias.data });
  // Help never fails: a near miss explains that command, anything else shows the list.
  const near = CommandWord.safeParse(closest(words[0] ?? '', CommandWord.options));
  return ok(near.success ? { kind: 'help', topic: near.data } : { kind: 'help' });
};

const parseShow: CommandParser = (args, ctx) => {
  if (startsList(args)) return parseList(args, { ...ctx, word: 'list' });
  const [first, ...rest] = args;
  if (first && !first.quoted && (first.lower === 'costs' || first.lower === 'cost'))
    return parseCosts(rest, { ...ctx, word: 'costs' });
  if (first && !first.quoted && first.lower === 'changes') return parseChanges(rest, { ...ctx, word: 'changes' });
  if (args.length === 0) return ok({ kind: 'pick', for: 'show' });
  const resource = readResource(args);
  return resource ? ok({ kind: 'show', resource }) : usage(ctx.word, resourceProblem(args));
};

const powerAction =
  (action: PowerAction): CommandParser =>
  (args, ctx) => {
    if (args.length === 0) return ok({ kind: 'pick', for: action });
    const resource = readResource(args);
    return resource ? ok({ kind: 'action', action, resource }) : usage(ctx.word, resourceProblem(args));
  };

// EC2-style sizes are lower case (`t3.large`); others (`Standard_D2s_v3`) are kept as typed.
const DOTTED_SIZE = /^[a-z0-9-]+\.[a-z0-9-]+$/i;

const parseResize: CommandParser = (args, ctx) => {
  if (args.length === 0) return ok({ kind: 'pick', for: 'resize' });
  const to = args.findLastIndex((t) => !t.quoted && t.lower === 'to');
  // `resize web-1` alone: the engine offers the valid sizes to pick from.
  if (to < 0 && args.length === 1) {
    const only = readResource(args);
    if (only) return ok({ kind: 'resize', resource: only });
  }
  const [target, sizes] =
    to >= 0
      ? [args.slice(0, to), args.slice(to + 1)]
      : args.length === 2
        ? [args.slice(0, 1), args.slice(1)]
        : [[], []];
  const resource = readResource(target);
  const [size] = sizes;
  if (!resource || !size || sizes.length !== 1 || size.mentionId || size.text === '=') {
    return usage(ctx.word, to >= 0 && resource === undefined ? resourceProblem(target) : undefined);
  }
  return ok({ kind: 'resize', resource, size: DOTTED_SIZE.test(size.text) ? size.text.toLowerCase() : size.text });
};

const notAChangeId = (args: Token[]): string | undefined =>
  args[0] ? `${quote(args[0].text)} is not a change id (like CR-12).` : undefined;

const changeCommand =
  (kind: 'rollback'): CommandParser =>
  (args, ctx) => {
    const id = readChangeId(args);
    if (!id) return usage(ctx.word, notAChangeId(args));
    if (id.used !== args.length) return usage(ctx.word, 'One change at a time, please.');
    return ok({ kind, changeId: id.changeId });
  };

const parseReject: CommandParser = (args, ctx) => {
  const id = readChangeId(args);
  if (!id) return usage(ctx.word, notAChangeId(args));
  const from = args[id.used];
  if (!from) return ok({ kind: 'reject', changeId: id.changeId });
  // The reason is kept as typed, not re-joined from tokens.
  let reason = ctx.text
    .slice(from.start)
    .replace(/^(?:reason\s*[:=]?|[-–—:])\s*/i, '')
    .trim();
  const wrapped = /^(["'“‘`])(.*)(["'”’`])$/s.exec(reason);
  if (wrapped?.[2] !== undefined) reason = wrapped[2].trim();
  return ok(reason ? { kind: 'reject', changeId: id.changeId, reason } : { kind: 'reject', changeId: id.changeId });
};

const parseAudit: CommandParser = (args, ctx) => {
  const [word, ...rest] = args;
  if (!word) return ok({ kind: 'audit', verify: false });
  if (rest.length > 0 || word.quoted) return usage(ctx.word);
  if (word.lower === 'verify' || word.lower === 'check') return ok({ kind: 'audit', verify: true });
  if (word.lower === 'log' || word.lower === 'trail' || word.lower === 'events')
    return ok({ kind: 'audit', verify: false });
  const fixed = correction(ctx, word, ['verify']);
  return fixed ? didYouMean(ctx.text, fixed) : usage(ctx.word);
};

const parseWhoami: CommandParser = (args, ctx) => (args.length === 0 ? ok({ kind: 'whoami' }) : usage(ctx.word));

const MONTH_HINT = 'Give one month, like 2026-11, or nothing for this month.';

/** `usage`, `usage this month`, `usage 2026-11`, `usage for 2026-11`: a month is YYYY-MM, read in UTC by the tool. */
const parseUsage: CommandParser = (args, ctx) => {
  const words = args.filter((t) => t.quoted || !['for', 'in', 'of'].includes(t.lower));
  const [month, ...rest] = words;
  const thisMonth = words.every((t) => !t.quoted) && words.map((t) => t.lower).join(' ') === 'this month';
  if (!month || thisMonth) return ok({ kind: 'usage' });
  if (rest.length > 0) return usage(ctx.word, MONTH_HINT);
  const parsed = UsageMonth.safeParse(month.text);
  return parsed.success
    ? ok({ kind: 'usage', month: parsed.data })
    : usage(ctx.word, `${quote(month.text)} is not a month. ${MONTH_HINT}`);
};

const GRANT_FILLERS = new Set(['as', 'role', 'the', 'a', 'an']);
const ROLE_HINT = 'Roles are viewer, operator, approver and admin.';

/**
 * `grant alice admin`, `grant @alice as admin`, `grant admin to <@U1>`; a role given first is
 * tolerated. `… for <duration> [reason…]` makes it a temporary grant.
 */
const parseGrant: CommandParser = (args, ctx) => {
  const forAt = args.findIndex((t) => !t.quoted && t.lower === 'for');
  if (forAt >= 0) {
    const head = parseGrant(args.slice(0, forAt), ctx);
    if (!head.ok || head.command.kind !== 'grant') return head;
    const span = readGrantSpan(ctx, args.slice(forAt + 1));
    if (!span.ok) return usage(ctx.word, span.message);
    const { user, role } = head.command;
    return ok({
      kind: 'grant_temporary',
      user,
      role,
      durationMs: span.durationMs,
      ...(span.reason ? { reason: span.reason } : {}),
    });
  }
  const words = args.filter((t) => t.quoted || t.mentionId !== undefined || !GRANT_FILLERS.has(t.lower));
  let pair: [Token, Token] | undefined;
  const [a, b, c] = words;
  if (words.length === 2 && a && b) pair = [a, b];
  else if (words.length === 3 && a && c && b?.lower === 'to' && !b.quoted) pair = [c, a];
  if (!pair) return usage(ctx.word);
  let [userToken, roleToken] = pair;
  if (!readRole(roleToken) && readRole(userToken)) [userToken, roleToken] = [roleToken, userToken];
  const role = readRole(roleToken);
  const user = readUser(userToken);
  if (!role) return roleProblem(ctx, roleToken);
  if (!user) return usage(ctx.word);
  return ok({ kind: 'grant', user, role });
};

const roleProblem = (ctx: ParseContext, t: Token) => {
  const fixed = correction(ctx, t, Object.keys(ROLE_WORDS));
  return fixed ? didYouMean(ctx.text, fixed) : usage(ctx.word, `${quote(t.text)} is not a role. ${ROLE_HINT}`);
};

export const PARSERS: Record<CommandWord, CommandParser> = {
  help: parseHelp,
  list: parseList,
  show: parseShow,
  costs: parseCosts,
  changes: parseChanges,
  audit: parseAudit,
  whoami: parseWhoami,
  usage: parseUsage,
  analytics: parseAnalytics,
  freezes: bare('freezes'),
  grants: bare('grants'),
  start: powerAction('start'),
  stop: powerAction('stop'),
  reboot: powerAction('reboot'),
  resize: parseResize,
  scale: parseScale,
  cordon: plainAction('cordon'),
  uncordon: plainAction('uncordon'),
  deallocate: plainAction('deallocate'),
  rollout: parseRollout,
  inventory: parseInventory,
  drift: parseDrift,
  baseline: parseBaseline,
  price: parsePrice,
  scan: parseScan,
  findings: parseFindings,
  savings: parseSavings,
  compliance: parseCompliance,
  suppress: parseSuppress,
  unsuppress: parseUnsuppress,
  fix: parseFix,
  offhours: parseOffHours,
  templates: parseTemplates,
  template: parseTemplate,
  run: parseRun,
  approve: parseApprove,
  reject: parseReject,
  rollback: changeCommand('rollback'),
  cancel: parseCancel,
  incidents: parseIncidents,
  incident: parseIncident,
  ack: incidentOp('acknowledge'),
  resolve: incidentOp('resolve'),
  escalate: incidentOp('escalate'),
  pagerduty: parsePagerDuty,
  grant: parseGrant,
  revoke: parseRevoke,
  freeze: parseFreeze,
  unfreeze: parseUnfreeze,
};
