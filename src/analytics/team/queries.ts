import type { Db } from '../../store/db.ts';
import { sql } from '../../store/orm.ts';
import { changeTeam, incidentTeam, tagTeamOrUnowned, type Fragment } from './attribution.ts';

/**
 * The SQL behind team analytics, over the capabilities' own tables (change_requests, approvals,
 * incidents, findings, finding_events, resources). Each query groups by team and, where a total
 * cannot be summed from the teams (medians), also returns the workspace's row (`team` null) by
 * `grouping sets`. Ranges are half-open [from, to).
 */

export interface Range {
  from: Date;
  to: Date;
}

/** A count with its median and 90th percentile in milliseconds (null when the count is 0). */
export interface Distribution {
  count: number;
  medianMs: number | null;
  p90Ms: number | null;
}

const at = (d: Date): Fragment => sql`${d.toISOString()}::timestamptz`;
const ms = (later: Fragment, earlier: Fragment): Fragment =>
  sql`(extract(epoch from (${later} - ${earlier})) * 1000)::float8`;
const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export const distribution = (r: { n: unknown; p50: unknown; p90: unknown }): Distribution => ({
  count: num(r.n),
  medianMs: numOrNull(r.p50),
  p90Ms: numOrNull(r.p90),
});

/** Executed change requests (single changes and workflow runs) per team and bucket. */
export interface DeliveryRow {
  /** null: every team. */
  team: string | null;
  bucket: string;
  deployments: number;
  workflowRuns: number;
  failures: number;
  executed: number;
  leadTime: Distribution;
}

/**
 * Executed change requests finished in the range, by team and bucket (`period`, or the UTC month
 * with `monthly`): a deployment is one that succeeded (it may have been rolled back since); a
 * failure is one that failed or was rolled back; rollbacks themselves are neither. Lead time runs
 * from the request being filed to its execution's end.
 */
export const deliveryRows = async (
  db: Db,
  workspaceId: string,
  keys: readonly string[],
  range: Range,
  monthly: boolean,
): Promise<DeliveryRow[]> => {
  const bucket = monthly ? sql`to_char(c.finished_at at time zone 'UTC', 'YYYY-MM')` : sql`'period'::text`;
  const { rows } = await db.execute<Record<string, unknown>>(sql`
    select team, bucket,
      count(*) filter (where status <> 'failed')::int as deployments,
      count(*) filter (where status <> 'failed' and is_run)::int as runs,
      count(*) filter (where status <> 'succeeded')::int as failures,
      count(*)::int as executed,
      count(*) filter (where status <> 'failed')::int as n,
      percentile_cont(0.5) within group (order by lead_ms) filter (where status <> 'failed') as p50,
      percentile_cont(0.9) within group (order by lead_ms) filter (where status <> 'failed') as p90
    from (
      select ${changeTeam(keys)} as team, ${bucket} as bucket, c.status, c.workflow is not null as is_run,
        ${ms(sql`c.finished_at`, sql`c.created_at`)} as lead_ms
      from change_requests c
      where c.workspace_id = ${workspaceId} and c.rollback_of is null
        and c.status in ('succeeded', 'failed', 'rolled_back')
        and c.finished_at >= ${at(range.from)} and c.finished_at < ${at(range.to)}) x
    group by grouping sets ((team, bucket), (bucket))`);
  return rows.map((r) => ({
    team: (r.team as string | null) ?? null,
    bucket: String(r.bucket),
    deployments: num(r.deployments),
    workflowRuns: num(r.runs),
    failures: num(r.failures),
    executed: num(r.executed),
    leadTime: distribution(r as { n: unknown; p50: unknown; p90: unknown }),
  }));
};

/** Succeeded workflow runs per team and template version, with their summed duration. */
export interface RunRow {
  team: string;
  template: string;
  version: number;
  runs: number;
  durationMs: number;
}

export const templateRunRows = async (
  db: Db,
  workspaceId: string,
  keys: readonly string[],
  range: Range,
): Promise<RunRow[]> => {
  const { rows } = await db.execute<Record<string, unknown>>(sql`
    select ${changeTeam(keys)} as team, c.workflow ->> 'template' as template,
      (c.workflow ->> 'version')::int as version, count(*)::int as runs,
      coalesce(sum(${ms(sql`c.finished_at`, sql`coalesce(c.started_at, c.created_at)`)}), 0)::float8 as duration_ms
    from change_requests c
    where c.workspace_id = ${workspaceId} and c.workflow is not null and c.status = 'succeeded'
      and c.finished_at >= ${at(range.from)} and c.finished_at < ${at(range.to)}
    group by 1, 2, 3`);
  return rows.map((r) => ({
    team: String(r.team),
    template: String(r.template),
    version: num(r.version),
    runs: num(r.runs),
    durationMs: num(r.duration_ms),
  }));
};

/**
 * Approval turnaround of requests decided by people in the range: from filing to the last
 * decision recorded on it (the approval that completed the count, or the rejection).
 * Auto-approved requests (no decision row) and requests still open or expired are left out.
 */
export const approvalRows = async (
  db: Db,
  workspaceId: string,
  keys: readonly string[],
  range: Range,
): Promise<Array<{ team: string | null; turnaround: Distribution }>> => {
  const { rows } = await db.execute<Record<string, unknown>>(sql`
    select team, count(*)::int as n,
      percentile_cont(0.5) within group (order by wait_ms) as p50,
      percentile_cont(0.9) within group (order by wait_ms) as p90
    from (
      select ${changeTeam(keys)} as team, ${ms(sql`d.decided_at`, sql`c.created_at`)} as wait_ms
      from change_requests c
      join (select change_id, max(created_at) as decided_at from approvals group by change_id) d on d.change_id = c.id
      where c.workspace_id = ${workspaceId} and c.status not in ('draft', 'pending', 'expired')
        and d.decided_at >= ${at(range.from)} and d.decided_at < ${at(range.to)}) x
    group by grouping sets ((team), ())`);
  return rows.map((r) => ({
    team: (r.team as string | null) ?? null,
    turnaround: distribution(r as { n: unknown; p50: unknown; p90: unknown }),
  }));
};

/** Incidents restored (resolved) in the range, by team and bucket: time from opening to resolution. */
export const restoreRows = async (
  db: Db,
  workspaceId: string,
  keys: readonly string[],
  range: Range,
  monthly: boolean,
): Promise<Array<{ team: string | null; bucket: string; restore: Distribution }>> => {
  const bucket = monthly ? sql`to_char(i.resolved_at at time zone 'UTC', 'YYYY-MM')` : sql`'period'::text`;
  const { rows } = await db.execute<Record<string, unknown>>(sql`
    select team, bucket, count(*)::int as n,
      percentile_cont(0.5) within group (order by restore_ms) as p50,
      percentile_cont(0.9) within group (order by restore_ms) as p90
    from (
      select ${incidentTeam(keys)} as team, ${bucket} as bucket, ${ms(sql`i.resolved_at`, sql`i.opened_at`)} as restore_ms
      from incidents i
      where i.workspace_id = ${workspaceId} and i.status = 'resolved'
        and i.resolved_at >= ${at(range.from)} and i.resolved_at < ${at(range.to)}) x
    group by grouping sets ((team, bucket), (bucket))`);
  return rows.map((r) => ({
    team: (r.team as string | null) ?? null,
    bucket: String(r.bucket),
    restore: distribution(r as { n: unknown; p50: unknown; p90: unknown }),
  }));
};

/** Incidents opened in the range, per team. */
export const openedIncidentRows = async (
  db: Db,
  workspaceId: string,
  keys: readonly string[],
  range: Range,
): Promise<Array<{ team: string; opened: number }>> => {
  const { rows } = await db.execute<Record<string, unknown>>(sql`
    select ${incidentTeam(keys)} as team, count(*)::int as opened from incidents i
    where i.workspace_id = ${workspaceId} and i.opened_at >= ${at(range.from)} and i.opened_at < ${at(range.to)}
    group by 1`);
  return rows.map((r) => ({ team: String(r.team), opened: num(r.opened) }));
};

/**
 * Savings realised: findings whose one-click fix (`fix F-…`, src/scans/fix.ts, which names the
 * finding in the request's summary) ran successfully in the range and was not rolled back, each
 * finding once, with the monthly saving the scan put on it; the team is the finding's owner.
 */
export const savingsRows = async (
  db: Db,
  workspaceId: string,
  keys: readonly string[],
  range: Range,
): Promise<Array<{ team: string; fixes: number; savingCents: number }>> => {
  const { rows } = await db.execute<Record<string, unknown>>(sql`
    select team, count(*)::int as fixes, coalesce(sum(saving_cents), 0)::float8 as saving
    from (
      select distinct on (f.id) ${tagTeamOrUnowned(sql`f.tags`, keys)} as team, f.saving_cents
      from change_requests c
      join findings f on f.workspace_id = c.workspace_id
        and f.id = substring(c.summary from '\\(fixes F-([0-9A-Za-z]+), ')
      where c.workspace_id = ${workspaceId} and c.status = 'succeeded'
        and c.finished_at >= ${at(range.from)} and c.finished_at < ${at(range.to)}
      order by f.id) x
    group by team`);
  return rows.map((r) => ({ team: String(r.team), fixes: num(r.fixes), savingCents: num(r.saving) }));
};

/** Security findings resolved in the range (each resolution a scan recorded), per owner. */
export const resolvedSecurityRows = async (
  db: Db,
  workspaceId: string,
  keys: readonly string[],
  range: Range,
): Promise<Array<{ team: string; resolved: number }>> => {
  const { rows } = await db.execute<Record<string, unknown>>(sql`
    select ${tagTeamOrUnowned(sql`f.tags`, keys)} as team, count(*)::int as resolved
    from finding_events e join findings f on f.workspace_id = e.workspace_id and f.id = e.finding_id
    where e.workspace_id = ${workspaceId} and e.kind = 'resolved' and f.category = 'security'
      and e.at >= ${at(range.from)} and e.at < ${at(range.to)}
    group by 1`);
  return rows.map((r) => ({ team: String(r.team), resolved: num(r.resolved) }));
};

/** The live inventory per team: resources and their monthly cost (the inventory is shared by workspaces). */
export const estateRows = async (
  db: Db,
  keys: readonly string[],
): Promise<Array<{ team: string; resources: number; monthlyCostCents: number }>> => {
  const { rows } = await db.execute<Record<string, unknown>>(sql`
    select ${tagTeamOrUnowned(sql`tags`, keys)} as team, count(*)::int as resources,
      coalesce(sum(monthly_cost_cents), 0)::float8 as cost
    from resources where gone_at is null group by 1`);
  return rows.map((r) => ({ team: String(r.team), resources: num(r.resources), monthlyCostCents: num(r.cost) }));
};
