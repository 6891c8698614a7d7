import { ownerExpr, savingsByRule } from '../../scans/repository.ts';
import { Severity, severityRank } from '../../scans/rule.ts';
import { sql } from '../../store/orm.ts';
import { allOf, dirSql, link, type ViewContext, type Sql } from './deps.ts';
import { asDate, count, money, when } from './format.ts';
import { resourceLink } from './inventory.ts';
import type { Chart, Figure, View } from './model.ts';
import { checkKnown, oneOf, pageOf, parseQuery, selectFilter, tableShape, text } from './query.ts';

/**
 * The workspace's scan findings: open ones (not suppressed) by default, with the potential
 * savings (each resource counted once, at its largest saving, as `savings` in chat does), sorted,
 * filtered and paged in SQL. Each finding leads to its resource in the inventory.
 */

const statuses = ['open', 'suppressed', 'resolved'] as const;
const findingSortKeys = ['severity', 'saving', 'rule', 'resource', 'owner', 'first_seen', 'last_seen'] as const;
type FindingSort = (typeof findingSortKeys)[number];

const severitySql = sql.raw(
  `case severity when 'critical' then 0 when 'high' then 1 when 'medium' then 2 when 'low' then 3 else 4 end`,
);

const statusSql = (status: (typeof statuses)[number]): Sql =>
  status === 'open'
    ? sql`status = 'open' and suppression_id is null`
    : status === 'suppressed'
      ? sql`status = 'open' and suppression_id is not null`
      : sql`status = 'resolved'`;

/** Open, unsuppressed findings of a workspace: their count, how many are critical or high, and the savings. */
export interface FindingTotals {
  open: number;
  severe: number;
  savingCents: number;
  bySeverity: { severity: string; count: number }[];
  byRule: { ruleId: string; findings: number; savingCents: number }[];
}

/** What the overview and this view show of the open findings. */
export const findingTotals = async (d: ViewContext, workspaceId: string): Promise<FindingTotals> => {
  const [{ rows }, byRule] = await Promise.all([
    d.db.execute<{ severity: string; n: number }>(sql`
      select severity, count(*)::int as n from findings
      where workspace_id = ${workspaceId} and ${statusSql('open')} group by severity`),
    savingsByRule(d.db, workspaceId),
  ]);
  const bySeverity = rows
    .map((r) => ({ severity: r.severity, count: Number(r.n) }))
    .sort((a, b) => (severityRank[a.severity as Severity] ?? 9) - (severityRank[b.severity as Severity] ?? 9));
  return {
    open: bySeverity.reduce((n, r) => n + r.count, 0),
    severe: bySeverity
      .filter((r) => r.severity === 'critical' || r.severity === 'high')
      .reduce((n, r) => n + r.count, 0),
    savingCents: byRule.reduce((n, r) => n + r.savingCents, 0),
    bySeverity,
    byRule,
  };
};

/** The open findings figure and the savings figure, each leading to its findings. */
export const findingFigures = (t: FindingTotals): Figure[] => [
  {
    id: 'open-findings',
    label: 'Open findings',
    value: count(t.open),
    detail: `${count(t.severe)} critical or high`,
    tone: t.severe > 0 ? 'bad' : t.open > 0 ? 'neutral' : 'good',
    link: link('findings'),
  },
  {
    id: 'savings',
    label: 'Potential savings',
    value: `${money(t.savingCents)}/mo`,
    detail: `from ${count(t.byRule.reduce((n, r) => n + r.findings, 0))} resources`,
    tone: t.savingCents > 0 ? 'neutral' : 'good',
    link: link('findings', { category: 'cost', sort: 'saving', dir: 'desc' }),
  },
];

const findingsShape = {
  status: oneOf(statuses).optional(),
  category: oneOf(['cost', 'security']).optional(),
  severity: oneOf(Severity.options).optional(),
  /** Checked against the workspace's owners and rules once they are read. */
  owner: text().optional(),
  rule: text().optional(),
  ...tableShape(findingSortKeys),
};

type FindingRow = {
  id: string;
  rule_id: string;
  category: string;
  severity: string;
  provider: string;
  account: string;
  resource_type: string;
  resource_id: string;
  resource_name: string;
  environment: string;
  owner: string;
  verdict: string;
  detail: string;
  saving_cents: number;
  status: string;
  suppression_id: number | string | null;
  first_seen_at: Date | string;
  last_seen_at: Date | string;
};

/** The findings view. */
export const findingsView = async (
  d: ViewContext,
  workspaceId: string,
  query: Record<string, string>,
): Promise<View> => {
  const q = parseQuery('findings', findingsShape, query);
  const owner = ownerExpr(d.ownerTags?.length ? d.ownerTags : ['owner', 'team']);
  const { rows: known } = await d.db.execute<{ kind: string; value: string }>(sql`
    select distinct 'owner' as kind, ${owner} as value from findings where workspace_id = ${workspaceId}
    union select distinct 'rule', rule_id from findings where workspace_id = ${workspaceId}`);
  const values = (kind: string) =>
    known
      .filter((k) => k.kind === kind)
      .map((k) => k.value)
      .sort();
  checkKnown('findings', 'owner', q.owner?.toLowerCase(), values('owner'));
  checkKnown('findings', 'rule', q.rule, values('rule'));
  const status = q.status ?? 'open';
  const page = pageOf<FindingSort>(q, { sort: 'severity', dir: 'asc' });
  const where = allOf([
    sql`workspace_id = ${workspaceId}`,
    statusSql(status),
    q.category !== undefined && sql`category = ${q.category}`,
    q.severity !== undefined && sql`severity = ${q.severity}`,
    q.rule !== undefined && sql`rule_id = ${q.rule}`,
    q.owner !== undefined && sql`${owner} = ${q.owner.toLowerCase()}`,
  ]);
  const sortSql: Record<FindingSort, Sql> = {
    severity: severitySql,
    saving: sql`saving_cents`,
    rule: sql`rule_id`,
    resource: sql`resource_name`,
    owner,
    first_seen: sql`first_seen_at`,
    last_seen: sql`last_seen_at`,
  };
  const [totals, { rows }, { rows: n }] = await Promise.all([
    findingTotals(d, workspaceId),
    d.db.execute<FindingRow>(sql`
      select id, rule_id, category, severity, provider, account, resource_type, resource_id, resource_name,
        environment, ${owner} as owner, verdict, detail, saving_cents, status, suppression_id, first_seen_at, last_seen_at
      from findings where ${where}
      order by ${sortSql[page.sort]} ${dirSql(page.dir)}, ${severitySql}, saving_cents desc, rule_id, resource_name, id
      limit ${page.limit} offset ${page.offset}`),
    d.db.execute<{ n: number }>(sql`select count(*)::int as n from findings where ${where}`),
  ]);
  const severityChart: Chart = {
    id: 'by-severity',
    title: 'Open findings by severity',
    kind: 'bar',
    categories: totals.bySeverity.map((s) => s.severity),
    series: [{ name: 'Open findings', values: totals.bySeverity.map((s) => s.count) }],
    unit: 'findings',
    links: totals.bySeverity.map((s) => link('findings', { severity: s.severity })),
  };
  const topRules = totals.byRule.slice(0, 10);
  const savingsChart: Chart = {
    id: 'savings-by-rule',
    title: 'Potential savings by rule',
    kind: 'bar',
    categories: topRules.map((r) => r.ruleId),
    series: [{ name: 'Saving', values: topRules.map((r) => r.savingCents / 100) }],
    unit: 'USD/month',
    links: topRules.map((r) => link('findings', { rule: r.ruleId, sort: 'saving', dir: 'desc' })),
  };
  return {
    name: 'findings',
    title: 'Findings',
    figures: findingFigures(totals),
    charts: [severityChart, savingsChart],
    tables: [
      {
        id: 'findings',
        title: `${status[0]!.toUpperCase()}${status.slice(1)} findings`,
        columns: [
          { key: 'severity', label: 'Severity', sortable: true },
          { key: 'rule', label: 'Rule', sortable: true },
          { key: 'resource', label: 'Resource', sortable: true },
          { key: 'owner', label: 'Owner', sortable: true },
          { key: 'detail', label: 'Detail', sortable: false },
          { key: 'saving', label: 'Saving', sortable: true, align: 'end' },
          { key: 'first_seen', label: 'First seen', sortable: true },
          { key: 'last_seen', label: 'Last seen', sortable: true },
        ],
        rows: rows.map((r) => ({
          id: r.id,
          cells: {
            severity: { text: r.severity, link: link('findings', { severity: r.severity }) },
            rule: { text: r.rule_id, link: link('findings', { rule: r.rule_id }) },
            resource: {
              text: `${r.resource_name || r.resource_id} (${r.resource_type}, ${r.provider} ${r.account})`,
              link: resourceLink({ provider: r.provider, account: r.account, id: r.resource_id }),
            },
            owner: { text: r.owner, link: link('findings', { owner: r.owner }) },
            detail: { text: r.verdict === 'manual' ? `check by hand: ${r.detail}` : r.detail },
            saving: { text: Number(r.saving_cents) > 0 ? `${money(Number(r.saving_cents))}/mo` : '–' },
            first_seen: { text: when(asDate(r.first_seen_at)) },
            last_seen: { text: when(asDate(r.last_seen_at)) },
          },
        })),
        paging: { offset: page.offset, limit: page.limit, total: Number(n[0]?.n ?? 0) },
        sort: { key: page.sort, dir: page.dir },
        filters: [
          selectFilter('status', 'Status', q.status, statuses),
          selectFilter('category', 'Category', q.category, ['cost', 'security']),
          selectFilter('severity', 'Severity', q.severity, Severity.options),
          selectFilter('owner', 'Owner', q.owner?.toLowerCase(), values('owner')),
          selectFilter('rule', 'Rule', q.rule, values('rule')),
        ],
        empty: known.length ? 'No finding matches these filters.' : 'No scan has made a finding in this workspace yet.',
      },
    ],
    notes: [
      'Open findings are those the last scans still see and no suppression covers.',
      'Potential savings count each resource once, at its largest saving.',
    ],
    generatedAt: d.now().toISOString(),
  };
};
