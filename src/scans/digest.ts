import { AppError } from '../errors.ts';
import { ConversationRef } from '../chat/actor.ts';
import { formatMoney, plural } from '../chat/format.ts';
import { ActionIds } from '../chat/interaction.ts';
import { reply, type Block, type Reply } from '../chat/reply.ts';
import type { Db } from '../store/db.ts';
import { sql } from '../store/orm.ts';
import type { Rule } from './rule.ts';
import { Severity, severityRank } from './rule.ts';
import { ownerExpr } from './repository.ts';
import { findingRef } from './tools.ts';

/**
 * Digests: after a scan, one message per owner, never one per finding. A finding's owner is the
 * value of the first owner tag its resource carries (`SCAN_OWNER_TAGS`, default `owner,team`),
 * else `unowned`; `SCAN_DIGEST_ROUTES` sends an owner's digest to a conversation (a channel, or a
 * user's direct messages where the surface allows), the rest go to `SCAN_DIGEST_CONVERSATION`.
 * Each digest counts the owner's open findings by severity, shows the change since the last
 * scan ("4 new, 2 resolved, $1,240.00/month open") and the top findings, most severe and largest
 * saving first, with a Fix button where a finding has one, and one button that asks for an
 * off-hours schedule for all of the owner's off-hours findings (src/scans/offhours/).
 */

export interface DigestSettings {
  /** Tag keys naming a resource's owner, in order of preference. */
  ownerTags: readonly string[];
  /** Owner (lower case) → where its digest goes. */
  routes: ReadonlyMap<string, ConversationRef>;
  /** Where the digests of owners without a route go (none: they are not posted). */
  fallback?: ConversationRef | undefined;
}

export interface DigestFinding {
  id: string;
  ruleId: string;
  severity: string;
  verdict: string;
  resourceId: string;
  resourceName: string;
  detail: string;
  savingCents: number;
  fixable: boolean;
}

export interface OwnerDigest {
  owner: string;
  conversation: ConversationRef | undefined;
  open: number;
  bySeverity: Record<Severity, number>;
  newFindings: number;
  resolvedFindings: number;
  savingCents: number;
  top: DigestFinding[];
  /** The owner's open off-hours findings (`cost.vm.off_hours.*`): one button asks for a schedule for all. */
  offHours?: { instances: number; savingCents: number } | undefined;
}

/** How many findings a digest lists (the rest are one `findings` command away). */
export const digestTopN = 10;

/**
 * The digests of a workspace after `scanId`: every owner with open findings or with findings the
 * scan opened or resolved. Fix buttons are offered where the rule has a fix and the finding failed.
 */
export const buildDigests = async (
  db: Db,
  workspaceId: string,
  scanId: number,
  settings: DigestSettings,
  rules: readonly Rule[],
): Promise<OwnerDigest[]> => {
  const owner = ownerExpr(settings.ownerTags.length > 0 ? settings.ownerTags : ['owner']);
  const { rows: counts } = await db.execute<{ owner: string; severity: string; n: number }>(sql`
    select ${owner} as owner, severity, count(*)::int as n from findings
    where workspace_id = ${workspaceId} and status = 'open' and suppression_id is null
    group by 1, 2`);
  const { rows: savings } = await db.execute<{ owner: string; saving: string | number }>(sql`
    select owner, sum(m) as saving from (
      select ${owner} as owner, max(saving_cents) as m from findings
      where workspace_id = ${workspaceId} and status = 'open' and suppression_id is null
      group by 1, provider, account, resource_id) x
    group by owner`);
  const { rows: changes } = await db.execute<{ owner: string; fresh: number; resolved: number }>(sql`
    select ${owner} as owner,
      count(*) filter (where e.kind in ('new', 'reopened'))::int as fresh,
      count(*) filter (where e.kind = 'resolved')::int as resolved
    from finding_history e join findings f on f.workspace_id = e.workspace_id and f.id = e.finding_id
    where e.scan_id = ${scanId} and f.suppression_id is null
    group by 1`);
  const { rows: top } = await db.execute<{
    owner: string;
    id: string;
    rule_id: string;
    severity: string;
    verdict: string;
    resource_id: string;
    resource_name: string;
    detail: string;
    saving_cents: number;
  }>(sql`
    select * from (
      select ${owner} as owner, id, rule_id, severity, verdict, resource_id, resource_name, detail, saving_cents,
        row_number() over (partition by ${owner} order by
          case severity when 'critical' then 0 when 'high' then 1 when 'medium' then 2 when 'low' then 3 else 4 end,
          case verdict when 'fail' then 0 when 'error' then 1 else 2 end, saving_cents desc, rule_id, id) as rank
      from findings
      where workspace_id = ${workspaceId} and status = 'open' and suppression_id is null) ranked
    where rank <= ${digestTopN} order by owner, rank`);
  const offHoursRules = `{${rules
    .filter((r) => r.id.startsWith('cost.vm.off_hours.'))
    .map((r) => r.id)
    .join(',')}}`;
  const { rows: offHours } = await db.execute<{ owner: string; n: number; saving: string | number }>(sql`
    select ${owner} as owner, count(*)::int as n, coalesce(sum(saving_cents), 0) as saving from findings
    where workspace_id = ${workspaceId} and status = 'open' and suppression_id is null and verdict = 'fail'
      and rule_id = any(${offHoursRules}::text[])
    group by 1`);
  const fixable = new Set(rules.filter((r) => r.fix).map((r) => r.id));
  const byOwner = new Map<string, OwnerDigest>();
  const digest = (name: string): OwnerDigest => {
    let d = byOwner.get(name);
    if (!d) {
      d = {
        owner: name,
        conversation: settings.routes.get(name) ?? settings.fallback,
        open: 0,
        bySeverity: { critical: 0, high: 0, medium: 0, low: 0, info: 0 },
        newFindings: 0,
        resolvedFindings: 0,
        savingCents: 0,
        top: [],
      };
      byOwner.set(name, d);
    }
    return d;
  };
  for (const c of counts) {
    const d = digest(c.owner);
    d.open += c.n;
    const sev = Severity.safeParse(c.severity);
    if (sev.success) d.bySeverity[sev.data] += c.n;
  }
  for (const s of savings) digest(s.owner).savingCents = Number(s.saving);
  for (const c of changes) {
    const d = digest(c.owner);
    d.newFindings = c.fresh;
    d.resolvedFindings = c.resolved;
  }
  for (const t of top)
    digest(t.owner).top.push({
      id: t.id,
      ruleId: t.rule_id,
      severity: t.severity,
      verdict: t.verdict,
      resourceId: t.resource_id,
      resourceName: t.resource_name,
      detail: t.detail,
      savingCents: Number(t.saving_cents),
      fixable: t.verdict === 'fail' && fixable.has(t.rule_id),
    });
  for (const o of offHours) digest(o.owner).offHours = { instances: o.n, savingCents: Number(o.saving) };
  // Owners with the most severe open findings first; `unowned` last.
  const weight = (d: OwnerDigest) =>
    (Object.keys(severityRank) as Severity[])
      .map((s) => d.bySeverity[s])
      .map((n) => String(n).padStart(8, '0'))
      .join('');
  return [...byOwner.values()].sort(
    (a, b) =>
      Number(a.owner === 'unowned') - Number(b.owner === 'unowned') ||
      weight(b).localeCompare(weight(a)) ||
      a.owner.localeCompare(b.owner),
  );
};

const severityWords = (d: OwnerDigest): string =>
  (Object.keys(severityRank) as Severity[])
    .filter((s) => d.bySeverity[s] > 0)
    .map((s) => `${d.bySeverity[s]} ${s}`)
    .join(', ');

/** The change since the last scan, as the digest's first line says it. */
export const changeLine = (d: Pick<OwnerDigest, 'newFindings' | 'resolvedFindings' | 'savingCents'>): string =>
  `${d.newFindings} new, ${d.resolvedFindings} resolved, ${formatMoney(d.savingCents)}/month open`;

/** One owner's digest as a message: summary, top findings (with Fix buttons), how to see the rest. */
export const renderDigest = (d: OwnerDigest, opts: { scanId: number; sandbox: boolean }): Reply => {
  const who = d.owner === 'unowned' ? 'Findings without an owner tag' : `Findings for ${d.owner}`;
  const blocks: Block[] = [
    { type: 'header', text: `${who}: ${changeLine(d)}` },
    {
      type: 'text',
      text:
        d.open === 0
          ? 'Nothing open: everything found before is resolved or suppressed.'
          : `${plural(d.open, 'open finding')} (${severityWords(d)}).`,
    },
  ];
  if (d.top.length > 0) {
    blocks.push({
      type: 'table',
      columns: ['Finding', 'Severity', 'Rule', 'Resource', 'Detail', 'Saving'],
      rows: d.top.map((f) => [
        findingRef(f.id),
        f.severity[0]!.toUpperCase() + f.severity.slice(1),
        f.ruleId,
        f.resourceName === f.resourceId ? f.resourceId : `${f.resourceName} (${f.resourceId})`,
        f.verdict === 'manual' ? `check: ${f.detail}` : f.detail,
        f.savingCents > 0 ? `${formatMoney(f.savingCents)}/mo` : '',
      ]),
    });
    const fixes = d.top.filter((f) => f.fixable).slice(0, 5);
    if (fixes.length > 0)
      blocks.push({
        type: 'actions',
        buttons: fixes.map((f) => ({
          actionId: ActionIds.command,
          label: `Fix ${findingRef(f.id)}`,
          value: JSON.stringify({ tool: 'fix', input: { finding: f.id } }),
        })),
      });
  }
  // One off-hours schedule for all the owner's off-hours findings: one change request when clicked.
  if (d.offHours && d.offHours.instances > 0)
    blocks.push({
      type: 'actions',
      buttons: [
        {
          actionId: ActionIds.command,
          label: `Schedule off-hours for ${plural(d.offHours.instances, 'instance')} (saves ${formatMoney(d.offHours.savingCents)}/month)`,
          value: JSON.stringify({ tool: 'offhours_request', input: { owner: d.owner } }),
        },
      ],
    });
  if (d.open > d.top.length)
    blocks.push({
      type: 'context',
      text: `${d.open - d.top.length} more: \`findings owner=${d.owner}\` lists them all (scan ${opts.scanId}).`,
    });
  return reply(blocks, { sandbox: opts.sandbox });
};

/**
 * Reads SCAN_DIGEST_ROUTES (`<owner>=<surface>:<workspace>:<channel>`, comma-separated) and
 * SCAN_DIGEST_CONVERSATION; a malformed entry throws one line naming it.
 */
export const parseDigestSettings = (env: {
  SCAN_OWNER_TAGS?: string | undefined;
  SCAN_DIGEST_ROUTES?: string | undefined;
  SCAN_DIGEST_CONVERSATION?: string | undefined;
}): DigestSettings => {
  const conversation = (name: string, value: string): ConversationRef => {
    const [surface, workspaceId, ...channel] = value.trim().split(':');
    const parsed = ConversationRef.safeParse({ surface, workspaceId, channelId: channel.join(':') });
    if (!parsed.success)
      throw new AppError(
        'config_invalid',
        `${name}: "${value}" is not <surface>:<workspace>:<channel> (surface slack, teams or console)`,
      );
    return parsed.data;
  };
  const ownerTags = (env.SCAN_OWNER_TAGS ?? 'owner,team')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  if (ownerTags.length === 0)
    throw new AppError('config_invalid', 'SCAN_OWNER_TAGS: name at least one tag key (default owner,team)');
  const routes = new Map<string, ConversationRef>();
  for (const entry of (env.SCAN_DIGEST_ROUTES ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const eq = entry.indexOf('=');
    if (eq <= 0)
      throw new AppError(
        'config_invalid',
        `SCAN_DIGEST_ROUTES: "${entry}" is not <owner>=<surface>:<workspace>:<channel>`,
      );
    routes.set(entry.slice(0, eq).trim().toLowerCase(), conversation('SCAN_DIGEST_ROUTES', entry.slice(eq + 1)));
  }
  return {
    ownerTags,
    routes,
    fallback: env.SCAN_DIGEST_CONVERSATION
      ? conversation('SCAN_DIGEST_CONVERSATION', env.SCAN_DIGEST_CONVERSATION)
      : undefined,
  };
};
