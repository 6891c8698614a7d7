import { complianceReport } from '../../scans/compliance.ts';
import type { Framework } from '../../scans/frameworks/index.ts';
import type { Db } from '../../store/db.ts';
import { sql } from '../../store/orm.ts';
import { DEFAULT_OWNER_TAGS } from './attribution.ts';
import { deliveryRows } from './queries.ts';

/**
 * A workspace at a glance (Home in Slack and Teams; the dashboard may use it too): open findings
 * and their potential saving (one saving per resource, the largest, as digests count), the
 * compliance score of every framework the last security scan scored, open incidents (the latest
 * five listed), and the last 30 days' deployments and change failure rate (as team analytics
 * count them).
 */

export interface OpenIncident {
  ref: string;
  title: string;
  status: string;
  urgency: string;
  service: string;
  openedAt: Date;
}

export interface WorkspaceGlance {
  openFindings: number;
  potentialSavingCents: number;
  /** Frameworks with a score, the worst first. */
  compliance: Array<{ id: string; name: string; score: number }>;
  openIncidents: number;
  /** The latest open incidents (at most 5). */
  incidents: OpenIncident[];
  deployments30d: number;
  executed30d: number;
  /** 0–1; null when nothing executed in the 30 days. */
  changeFailureRate30d: number | null;
}

const DAY_MS = 86_400_000;

export const workspaceGlance = async (
  db: Db,
  workspaceId: string,
  now: Date,
  frameworks: readonly Framework[],
): Promise<WorkspaceGlance> => {
  const [findings, incidents, latest, delivery, reports] = await Promise.all([
    db.execute<{ n: number; saving: string | number | null }>(sql`
      select count(*)::int as n, (select coalesce(sum(m), 0) from (
          select max(saving_cents) as m from findings
          where workspace_id = ${workspaceId} and status = 'open' and suppression_id is null
          group by provider, account, resource_id) x)::float8 as saving
      from findings where workspace_id = ${workspaceId} and status = 'open' and suppression_id is null`),
    db.execute<{ n: number }>(
      sql`select count(*)::int as n from incidents where workspace_id = ${workspaceId} and status <> 'resolved'`,
    ),
    db.execute<{
      number: number;
      title: string;
      status: string;
      urgency: string;
      service: string;
      opened_at: string | Date;
    }>(sql`
      select number, title, status, urgency, service, opened_at from incidents
      where workspace_id = ${workspaceId} and status <> 'resolved' order by opened_at desc, number desc limit 5`),
    // Team attribution plays no part in the workspace's totals.
    deliveryRows(db, workspaceId, DEFAULT_OWNER_TAGS, { from: new Date(now.getTime() - 30 * DAY_MS), to: now }, false),
    Promise.all(frameworks.map((f) => complianceReport(db, workspaceId, f))),
  ]);
  const total = delivery.find((r) => r.team === null);
  return {
    openFindings: Number(findings.rows[0]?.n ?? 0),
    potentialSavingCents: Number(findings.rows[0]?.saving ?? 0),
    compliance: reports
      .filter((r): r is typeof r & { score: number } => r.score !== null)
      .map((r) => ({ id: r.framework.id, name: r.framework.name, score: r.score }))
      .sort((a, b) => a.score - b.score || a.id.localeCompare(b.id)),
    openIncidents: Number(incidents.rows[0]?.n ?? 0),
    incidents: latest.rows.map((r) => ({
      ref: `INC-${r.number}`,
      title: r.title,
      status: r.status,
      urgency: r.urgency,
      service: r.service,
      openedAt: new Date(r.opened_at),
    })),
    deployments30d: total?.deployments ?? 0,
    executed30d: total?.executed ?? 0,
    changeFailureRate30d: total && total.executed > 0 ? total.failures / total.executed : null,
  };
};
