import type { Db } from '../store/db.ts';
import type { SQL } from 'drizzle-orm';
import { sql } from '../store/orm.ts';
import type { RuleTally } from './schema.ts';

/** Reads of findings and scans for the chat tools, digests and reports. */

/**
 * A finding's owner: the lower-cased value of the first of `tags` (SCAN_OWNER_TAGS) its resource
 * carries, else `unowned`.
 */
export const ownerExpr = (tags: readonly string[]) =>
  sql.join(
    [
      sql`coalesce(`,
      sql.join([...tags.map((k) => sql`nullif(lower(tags ->> ${k}::text), '')`), sql`'unowned'`], sql`, `),
      sql`)`,
    ],
    sql``,
  );

export type FindingStatus = 'open' | 'resolved' | 'suppressed';

export interface FindingFilter {
  status?: FindingStatus | undefined;
  category?: 'cost' | 'security' | undefined;
  severity?: string | undefined;
  provider?: string | undefined;
  account?: string | undefined;
  environment?: string | undefined;
  ruleId?: string | undefined;
  /** A resource id or name (exact, case-insensitive). */
  resource?: string | undefined;
  /** An owner as digests name it (`unowned` included), read from `ownerTags`. */
  owner?: string | undefined;
  ownerTags?: readonly string[] | undefined;
}

export interface Finding {
  id: string;
  ruleId: string;
  category: string;
  severity: string;
  provider: string;
  account: string;
  region: string;
  resourceType: string;
  resourceId: string;
  resourceName: string;
  environment: string;
  tags: Record<string, string>;
  verdict: 'fail' | 'manual' | 'error';
  detail: string;
  evidence: Record<string, unknown>;
  savingCents: number;
  fixParams: Record<string, string> | null;
  status: 'open' | 'resolved';
  firstSeenAt: Date;
  lastSeenAt: Date;
  resolvedAt: Date | null;
  suppressionId: number | null;
}

type FindingRow = {
  id: string;
  rule_id: string;
  category: string;
  severity: string;
  provider: string;
  account: string;
  region: string;
  resource_type: string;
  resource_id: string;
  resource_name: string;
  environment: string;
  tags: Record<string, string>;
  verdict: Finding['verdict'];
  detail: string;
  evidence: Record<string, unknown>;
  saving_cents: number;
  fix_params: Record<string, string> | null;
  status: Finding['status'];
  first_seen_at: string | Date;
  last_seen_at: string | Date;
  resolved_at: string | Date | null;
  suppression_id: number | string | null;
};

const toFinding = (r: FindingRow): Finding => ({
  id: r.id,
  ruleId: r.rule_id,
  category: r.category,
  severity: r.severity,
  provider: r.provider,
  account: r.account,
  region: r.region,
  resourceType: r.resource_type,
  resourceId: r.resource_id,
  resourceName: r.resource_name,
  environment: r.environment,
  tags: r.tags,
  verdict: r.verdict,
  detail: r.detail,
  evidence: r.evidence,
  savingCents: Number(r.saving_cents),
  fixParams: r.fix_params,
  status: r.status,
  firstSeenAt: new Date(r.first_seen_at),
  lastSeenAt: new Date(r.last_seen_at),
  resolvedAt: r.resolved_at === null ? null : new Date(r.resolved_at),
  suppressionId: r.suppression_id === null ? null : Number(r.suppression_id),
});

const severityOrder = sql.raw(
  `case severity when 'critical' then 0 when 'high' then 1 when 'medium' then 2 when 'low' then 3 else 4 end`,
);

const filterSql = (workspaceId: string, f: FindingFilter): SQL => {
  const status = f.status ?? 'open';
  const parts: SQL[] = [sql`workspace_id = ${workspaceId}`];
  if (status === 'open') parts.push(sql`status = 'open' and suppression_id is null`);
  else if (status === 'suppressed') parts.push(sql`status = 'open' and suppression_id is not null`);
  else parts.push(sql`status = 'resolved'`);
  if (f.category) parts.push(sql`category = ${f.category}`);
  if (f.severity) parts.push(sql`severity = ${f.severity}`);
  if (f.provider) parts.push(sql`provider = ${f.provider}`);
  if (f.account) parts.push(sql`account = ${f.account}`);
  if (f.environment) parts.push(sql`environment = ${f.environment.toLowerCase()}`);
  if (f.ruleId) parts.push(sql`rule_id = ${f.ruleId}`);
  if (f.owner) parts.push(sql`${ownerExpr(f.ownerTags ?? ['owner', 'team'])} = ${f.owner.toLowerCase()}`);
  if (f.resource)
    parts.push(sql`(lower(resource_id) = lower(${f.resource}) or lower(resource_name) = lower(${f.resource}))`);
  return sql.join(parts, sql` and `);
};

/** A page of findings, most severe first, failures before checks to do by hand, then the largest saving; with the total matching. */
export const listFindings = async (
  db: Db,
  workspaceId: string,
  filter: FindingFilter,
  page: { limit: number; offset?: number },
): Promise<{ findings: Finding[]; total: number }> => {
  const where = filterSql(workspaceId, filter);
  const [{ rows }, { rows: count }] = await Promise.all([
    db.execute<FindingRow>(sql`
      select * from findings where ${where}
      order by ${severityOrder}, case verdict when 'fail' then 0 when 'error' then 1 else 2 end, saving_cents desc, rule_id, resource_name, id
      limit ${page.limit} offset ${page.offset ?? 0}`),
    db.execute<{ n: number }>(sql`select count(*)::int as n from findings where ${where}`),
  ]);
  return { findings: rows.map(toFinding), total: Number(count[0]?.n ?? 0) };
};

/** One finding by id (or a unique prefix of at least 6 characters). */
export const findFinding = async (db: Db, workspaceId: string, ref: string): Promise<Finding[]> => {
  const id = ref.trim().toLowerCase().replace(/^f-/, '');
  const { rows } = await db.execute<FindingRow>(sql`
    select * from findings where workspace_id = ${workspaceId}
      and (id = ${id} or (length(${id}) >= 6 and left(id, length(${id})) = ${id}))
    order by id limit 5`);
  return rows.map(toFinding);
};

export interface SavingsLine {
  ruleId: string;
  findings: number;
  savingCents: number;
}

/**
 * Open, unsuppressed savings by rule, each resource counted once: its saving goes to the rule
 * that found the largest one (a gp2 volume that is also unattached saves its whole cost, once).
 */
export const savingsByRule = async (db: Db, workspaceId: string): Promise<SavingsLine[]> => {
  const { rows } = await db.execute<{ rule_id: string; findings: number; saving: string | number }>(sql`
    select rule_id, count(*)::int as findings, sum(saving_cents) as saving from (
      select distinct on (provider, account, resource_id) rule_id, saving_cents from findings
      where workspace_id = ${workspaceId} and status = 'open' and suppression_id is null and saving_cents > 0
      order by provider, account, resource_id, saving_cents desc, rule_id) best
    group by rule_id order by sum(saving_cents) desc, rule_id`);
  return rows.map((r) => ({ ruleId: r.rule_id, findings: Number(r.findings), savingCents: Number(r.saving) }));
};

export interface ScanRecord {
  id: number;
  category: string;
  scope: Record<string, string>;
  status: 'running' | 'succeeded' | 'failed';
  startedBy: string;
  startedAt: Date;
  finishedAt: Date | null;
  resources: number;
  evaluated: number;
  newFindings: number;
  resolvedFindings: number;
  openFindings: number;
  errorFindings: number;
  openSavingCents: number;
  tally: RuleTally;
  error: string | null;
}

type ScanRow = {
  id: number | string;
  category: string;
  scope: Record<string, string>;
  status: ScanRecord['status'];
  started_by: string;
  started_at: string | Date;
  finished_at: string | Date | null;
  resources: number;
  evaluated: number;
  new_findings: number;
  resolved_findings: number;
  open_findings: number;
  error_findings: number;
  open_saving_cents: number;
  tally: RuleTally;
  error: string | null;
};

const toScan = (r: ScanRow): ScanRecord => ({
  id: Number(r.id),
  category: r.category,
  scope: r.scope,
  status: r.status,
  startedBy: r.started_by,
  startedAt: new Date(r.started_at),
  finishedAt: r.finished_at === null ? null : new Date(r.finished_at),
  resources: r.resources,
  evaluated: r.evaluated,
  newFindings: r.new_findings,
  resolvedFindings: r.resolved_findings,
  openFindings: r.open_findings,
  errorFindings: r.error_findings,
  openSavingCents: r.open_saving_cents,
  tally: r.tally,
  error: r.error,
});

/** The workspace's latest scans, newest first (of one status when given). */
export const recentScans = async (
  db: Db,
  workspaceId: string,
  opts: { limit: number; status?: ScanRecord['status'] },
): Promise<ScanRecord[]> => {
  const { rows } = await db.execute<ScanRow>(sql`
    select * from scans where workspace_id = ${workspaceId}
      ${opts.status ? sql`and status = ${opts.status}` : sql``}
    order by id desc limit ${opts.limit}`);
  return rows.map(toScan);
};
