import { z } from 'zod';
import { actorKey } from '../chat/actor.ts';
import { formatMoney, plural } from '../chat/format.ts';
import { reportProgress } from '../chat/progress.ts';
import { reply, textReply, type Block } from '../chat/reply.ts';
import { ProviderName } from '../cloud/resource.ts';
import type { Logger } from '../observability/logger.ts';
import type { Db } from '../store/db.ts';
import type { Tool, ToolContext } from '../tools/tool.ts';
import { runScan, type ScanCategory, type ScanDeps, type ScanSummary } from './engine.ts';
import { findFinding, listFindings, recentScans, savingsByRule, type Finding } from './repository.ts';
import { Severity, type Rule } from './rule.ts';
import type { ListValues, ThresholdValues } from './settings.ts';
import { defaultSuppressionDays, scopeText, suppress, unsuppress } from './suppressions.ts';

/** The chat tools of scans: scan, findings, savings, suppress, unsuppress. */

export interface ScanToolDeps {
  db: Db;
  rules: readonly Rule[];
  thresholds: ThresholdValues;
  /** SCAN_OFF_HOURS_ENVS and other list settings (defaults when absent). */
  lists?: ListValues | undefined;
  now: () => Date;
  /** This app instance (a scan's lease holder). */
  runner: string;
  /** SCAN_OWNER_TAGS: how `findings owner=…` finds an owner's findings. */
  ownerTags?: readonly string[] | undefined;
  /** SCAN_SUPPRESSION_MAX_DAYS. */
  maxSuppressionDays: number;
  sandbox: boolean;
  logger?: Logger | undefined;
  /** The embedded store: scans vacuum their tables (no autovacuum there). */
  vacuum?: boolean | undefined;
  /** External PostgreSQL: a scan writes its findings in one transaction as it goes (`ScanDeps.direct`). */
  direct?: boolean | undefined;
  /** Where scans announce their start, progress and end (`ScanDeps.live`). */
  live?: ScanDeps['live'];
}

const Scope = {
  provider: ProviderName.optional().describe('Only this cloud (aws, azure, gcp, kubernetes).'),
  account: z.string().min(1).max(200).optional().describe('Only this account, subscription, project or cluster.'),
  environment: z.string().min(1).max(100).optional().describe('Only resources of this environment (env tag).'),
};

const ScanInput = z.object({
  category: z.enum(['cost', 'security', 'all']).default('all').describe('Which rules: cost, security, or all.'),
  ...Scope,
});

const pageSize = 20;

const severityLabel = (s: string) => s[0]!.toUpperCase() + s.slice(1);

/** A finding's reference as people type it: `F-` and its 12 hex characters. */
export const findingRef = (id: string) => `F-${id}`;

const findingRow = (f: Finding): string[] => [
  findingRef(f.id),
  severityLabel(f.severity),
  f.ruleId,
  f.resourceName === f.resourceId ? f.resourceId : `${f.resourceName} (${f.resourceId})`,
  f.verdict === 'manual' ? `check: ${f.detail}` : f.verdict === 'error' ? `error: ${f.detail}` : f.detail,
  f.savingCents > 0 ? `${formatMoney(f.savingCents)}/mo` : '',
];

const findingColumns = ['Finding', 'Severity', 'Rule', 'Resource', 'Detail', 'Saving'];

const scopeWords = (s: {
  provider?: string | undefined;
  account?: string | undefined;
  environment?: string | undefined;
}) =>
  [s.provider, s.account ? `account ${s.account}` : undefined, s.environment ? `env=${s.environment}` : undefined]
    .filter(Boolean)
    .join(', ');

export const summaryLine = (
  s: Pick<ScanSummary, 'newFindings' | 'resolvedFindings' | 'openFindings' | 'openSavingCents'>,
) =>
  `${s.newFindings} new, ${s.resolvedFindings} resolved, ${plural(s.openFindings, 'open finding')}` +
  (s.openSavingCents > 0 ? `, ${formatMoney(s.openSavingCents)}/month in savings open` : '');

export const scanTool = (d: ScanToolDeps): Tool<typeof ScanInput> => ({
  name: 'scan',
  description:
    'Runs a cost and/or security scan of the synced inventory now (rules over the stored resources and metrics; no cloud call) and reports new, resolved and open findings with the savings. One scan runs at a time per workspace.',
  input: ScanInput,
  kind: 'record',
  minRole: 'operator',
  llm: true,
  run: async (input, ctx) => {
    const scope = { provider: input.provider, account: input.account, environment: input.environment };
    const s = await runScan(
      {
        db: d.db,
        rules: d.rules,
        thresholds: d.thresholds,
        lists: d.lists,
        now: d.now,
        runner: d.runner,
        logger: d.logger,
        vacuum: d.vacuum,
        direct: d.direct,
        live: d.live,
        onProgress: (p) =>
          reportProgress(
            `Scanning: ${p.evaluated.toLocaleString('en-US')} of ${p.total.toLocaleString('en-US')} resources…`,
          ),
      },
      {
        workspaceId: ctx.actor.workspaceId,
        category: input.category as ScanCategory,
        scope,
        startedBy: ctx.actor.displayName,
      },
    );
    const top = await listFindings(
      d.db,
      ctx.actor.workspaceId,
      { category: input.category === 'all' ? undefined : input.category },
      { limit: 10 },
    );
    const where = scopeWords(scope);
    const blocks: Block[] = [
      {
        type: 'text',
        text: `Scan ${s.scanId} (${input.category}${where ? `, ${where}` : ''}) of ${plural(s.resources, 'resource')}: ${summaryLine(s)}.`,
      },
    ];
    if (top.findings.length > 0) {
      blocks.push({ type: 'table', columns: findingColumns, rows: top.findings.map(findingRow) });
      if (top.total > top.findings.length)
        blocks.push({
          type: 'context',
          text: `The ${top.findings.length} most severe of ${top.total}: \`findings\` lists them all.`,
        });
    }
    if (s.errorFindings > 0)
      blocks.push({
        type: 'context',
        text: `${plural(s.errorFindings, 'rule error')}: a rule could not judge a resource (\`findings\` shows them as error).`,
      });
    return {
      type: 'answer',
      reply: reply(blocks, { sandbox: d.sandbox }),
      data: {
        scanId: s.scanId,
        resources: s.resources,
        newFindings: s.newFindings,
        resolvedFindings: s.resolvedFindings,
        openFindings: s.openFindings,
        openSavingCents: s.openSavingCents,
        top: top.findings.map(findingData),
      },
    };
  },
});

const findingData = (f: Finding) => ({
  id: findingRef(f.id),
  rule: f.ruleId,
  severity: f.severity,
  verdict: f.verdict,
  resource: f.resourceId,
  name: f.resourceName,
  provider: f.provider,
  account: f.account,
  region: f.region,
  detail: f.detail,
  savingCents: f.savingCents,
  status: f.status,
  firstSeen: f.firstSeenAt.toISOString(),
});

const FindingsInput = z.object({
  status: z
    .enum(['open', 'resolved', 'suppressed'])
    .default('open')
    .describe('Open (default), resolved or suppressed findings.'),
  category: z.enum(['cost', 'security']).optional().describe('Only cost or only security findings.'),
  severity: Severity.optional().describe('Only this severity.'),
  rule: z.string().min(1).max(100).optional().describe('Only this rule id, e.g. aws.s3.public_block.'),
  resource: z.string().min(1).max(200).optional().describe('Only findings on this resource (id or name).'),
  owner: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('Only findings of this owner, as digests name them (an owner/team tag value, or unowned).'),
  page: z.number().int().min(1).max(10_000).default(1).describe('Page of 20, from 1.'),
  ...Scope,
});

export const findingsTool = (d: ScanToolDeps): Tool<typeof FindingsInput> => ({
  name: 'findings',
  description:
    'Lists scan findings (open by default; resolved or suppressed on request), most severe and largest saving first, filtered by category, severity, rule, resource, cloud, account or environment.',
  input: FindingsInput,
  kind: 'read',
  minRole: 'viewer',
  llm: true,
  run: async (input, ctx) => {
    const filter = {
      status: input.status,
      category: input.category,
      severity: input.severity,
      ruleId: input.rule,
      resource: input.resource,
      owner: input.owner,
      ownerTags: d.ownerTags,
      provider: input.provider,
      account: input.account,
      environment: input.environment,
    };
    const { findings, total } = await listFindings(d.db, ctx.actor.workspaceId, filter, {
      limit: pageSize,
      offset: (input.page - 1) * pageSize,
    });
    const [last] = await recentScans(d.db, ctx.actor.workspaceId, { limit: 1, status: 'succeeded' });
    if (!last)
      return answer(d, 'No scan has run in this workspace yet: `scan` runs one now.', { findings: [], total: 0 });
    const what = `${input.status} ${input.category ? `${input.category} ` : ''}findings`;
    if (total === 0)
      return answer(
        d,
        `No ${what} match (last scan: ${last.finishedAt?.toISOString().slice(0, 16).replace('T', ' ')} UTC).`,
        {
          findings: [],
          total: 0,
        },
      );
    const from = (input.page - 1) * pageSize + 1;
    const blocks: Block[] = [
      {
        type: 'text',
        text: `${total.toLocaleString('en-US')} ${what}${total > pageSize ? ` (${from}–${from + findings.length - 1})` : ''}:`,
      },
      { type: 'table', columns: findingColumns, rows: findings.map(findingRow) },
    ];
    if (from + findings.length - 1 < total)
      blocks.push({ type: 'context', text: `More: \`findings page ${input.page + 1}\`.` });
    return {
      type: 'answer',
      reply: reply(blocks, { sandbox: d.sandbox }),
      data: { total, page: input.page, findings: findings.map(findingData) },
    };
  },
});

const answer = (d: ScanToolDeps, text: string, data: unknown) => ({
  type: 'answer' as const,
  reply: textReply(text, { sandbox: d.sandbox }),
  data,
});

const SavingsInput = z.object({});

export const savingsTool = (d: ScanToolDeps): Tool<typeof SavingsInput> => ({
  name: 'savings',
  description:
    'Shows the monthly savings the open cost findings would bring, by rule, each resource counted once (its largest saving).',
  input: SavingsInput,
  kind: 'read',
  minRole: 'viewer',
  llm: true,
  run: async (_input, ctx) => {
    const lines = await savingsByRule(d.db, ctx.actor.workspaceId);
    const total = lines.reduce((s, l) => s + l.savingCents, 0);
    if (lines.length === 0)
      return answer(d, 'No open cost finding has a saving. `scan cost` looks again.', { totalCents: 0, byRule: [] });
    const rules = new Map(d.rules.map((r) => [r.id, r]));
    const blocks: Block[] = [
      {
        type: 'text',
        text: `${formatMoney(total)}/month in savings open across ${plural(
          lines.reduce((s, l) => s + l.findings, 0),
          'resource',
        )}:`,
      },
      {
        type: 'table',
        columns: ['Rule', 'What', 'Resources', 'Saving/month'],
        rows: lines.map((l) => [
          l.ruleId,
          rules.get(l.ruleId)?.title ?? '',
          String(l.findings),
          formatMoney(l.savingCents),
        ]),
      },
      { type: 'context', text: 'A resource that two rules flag counts once, under the larger saving.' },
    ];
    return { type: 'answer', reply: reply(blocks, { sandbox: d.sandbox }), data: { totalCents: total, byRule: lines } };
  },
});

const SuppressInput = z.object({
  finding: z.string().min(6).max(20).optional().describe('The finding to suppress, e.g. F-3fa2c1d9e0b1.'),
  rule: z
    .string()
    .min(1)
    .max(100)
    .optional()
    .describe('Suppress a whole rule instead (optionally only on resources with `tag`).'),
  tag: z
    .string()
    .regex(/^[^=\s]+=[^=]*$/)
    .optional()
    .describe('With `rule`: only resources tagged key=value.'),
  provider: ProviderName.optional().describe('With `account`: suppress an account (optionally one rule).'),
  account: z.string().min(1).max(200).optional().describe('The account, subscription, project or cluster to suppress.'),
  days: z.number().int().min(1).max(3650).optional().describe(`How long, in days (default ${defaultSuppressionDays}).`),
  reason: z.string().max(500).optional().describe('Why this finding is accepted.'),
  owner: z.string().max(100).optional().describe('Who owns the decision (the asking person by default).'),
});

const scopeOf = (input: z.infer<typeof SuppressInput>) =>
  input.finding ? ('finding' as const) : input.rule && !input.account ? ('rule' as const) : ('account' as const);

export const suppressTool = (d: ScanToolDeps): Tool<typeof SuppressInput> => ({
  name: 'suppress',
  description:
    'Suppresses a finding (or a rule on tagged resources, or an account) for a number of days with a reason and an owner; it leaves digests and totals until it expires or is removed. Audited.',
  input: SuppressInput,
  kind: 'record',
  minRole: 'operator',
  // A suppression is a person's accepted risk: only the grammar or a button reaches it.
  llm: false,
  run: async (input, ctx) => {
    const now = ctx.now;
    let findingId: string | undefined;
    if (input.finding) {
      const found = await findFinding(d.db, ctx.actor.workspaceId, input.finding);
      if (found.length !== 1)
        return answer(
          d,
          found.length === 0
            ? `There is no finding ${input.finding} in this workspace.`
            : `${input.finding} matches ${found.length} findings: give more of its id.`,
          null,
        );
      findingId = found[0]!.id;
    }
    const [tagKey, tagValue] = input.tag ? [input.tag.split('=')[0]!, input.tag.slice(input.tag.indexOf('=') + 1)] : [];
    const { suppression, covered } = await suppress(
      {
        db: d.db,
        now,
        maxDays: d.maxSuppressionDays,
        ruleIds: new Set(d.rules.map((r) => r.id)),
        actorKey: actorKey(ctx.actor),
        actorName: ctx.actor.displayName,
      },
      {
        workspaceId: ctx.actor.workspaceId,
        scope: scopeOf(input),
        ...(findingId ? { findingId } : {}),
        ...(input.rule ? { ruleId: input.rule } : {}),
        ...(tagKey ? { tag: { key: tagKey, value: tagValue ?? '' } } : {}),
        ...(input.provider ? { provider: input.provider } : {}),
        ...(input.account ? { account: input.account } : {}),
        owner: input.owner ?? ctx.actor.displayName,
        ...(input.reason ? { reason: input.reason } : {}),
        ...(input.days ? { expiresAt: new Date(now.getTime() + input.days * 86_400_000) } : {}),
      },
    );
    const until = suppression.expiresAt.toISOString().slice(0, 10);
    return answer(
      d,
      `Suppressed ${scopeText({ ...suppression, findingId: suppression.findingId ? findingRef(suppression.findingId) : null })} as S-${suppression.id} until ${until} (owner ${suppression.owner}, because ${suppression.reason}); it covers ${plural(covered, 'open finding')} now. \`unsuppress S-${suppression.id}\` removes it.`,
      { id: `S-${suppression.id}`, expiresAt: suppression.expiresAt.toISOString(), covered },
    );
  },
});

const UnsuppressInput = z.object({
  suppression: z.number().int().positive().describe('The suppression number (S-12 → 12).'),
});

export const unsuppressTool = (d: ScanToolDeps): Tool<typeof UnsuppressInput> => ({
  name: 'unsuppress',
  description: 'Removes a suppression: its findings count again at once. Audited.',
  input: UnsuppressInput,
  kind: 'record',
  minRole: 'operator',
  llm: false,
  run: async (input, ctx: ToolContext) => {
    const s = await unsuppress(
      { db: d.db, now: ctx.now, actorKey: actorKey(ctx.actor), actorName: ctx.actor.displayName },
      ctx.actor.workspaceId,
      input.suppression,
    );
    return answer(
      d,
      `Removed suppression S-${s.id} (${scopeText({ ...s, findingId: s.findingId ? findingRef(s.findingId) : null })}): its findings count again.`,
      {
        id: `S-${s.id}`,
      },
    );
  },
});

export const scanTools = (d: ScanToolDeps): Tool[] =>
  [scanTool(d), findingsTool(d), savingsTool(d), suppressTool(d), unsuppressTool(d)] as Tool[];
