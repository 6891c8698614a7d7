import { notFound } from '../../errors.ts';
import type { Db } from '../../store/db.ts';
import { monthRange } from '../../usage/month.ts';
import { normaliseTeam, ownerKeys, UNOWNED } from './attribution.ts';
import { failureRateBand, frequencyBand, leadTimeBand, restoreBand, type Band } from './bands.ts';
import { parsePeriod, periodDays, trendMonths, type Period } from './period.ts';
import {
  approvalRows,
  deliveryRows,
  estateRows,
  openedIncidentRows,
  resolvedSecurityRows,
  restoreRows,
  savingsRows,
  templateRunRows,
  type DeliveryRow,
  type Distribution,
} from './queries.ts';

export type { Distribution } from './queries.ts';
export type { Band } from './bands.ts';
export type { Period } from './period.ts';

/**
 * Team analytics from the bot's own records: DORA metrics, approval turnaround, savings realised,
 * security findings resolved, the estate each team owns and the time templates saved, per team
 * (src/analytics/team/attribution.ts) over a period, with monthly trends. What counts is written
 * on each field and in src/analytics/README.md.
 */

/** A template version's manual estimate, as the workspace's template registry knows it (src/workflows/registry.ts). */
export interface TemplateEstimates {
  forWorkspace(
    workspaceId: string,
  ): Promise<{ get(name: string, version: number): { manualMinutes?: number | undefined } | undefined }>;
}

export interface TeamAnalyticsOptions {
  workspaceId: string;
  /** One team (as its owner tag says it, any case); absent: every team. An unknown team throws not_found listing the known ones. */
  team?: string | undefined;
  /** A Period, or its text (`2026-11`, `this-month`, `last-month`, `7d`, `30d`, `90d`; default `this-month`). */
  period?: Period | string | undefined;
  now: Date;
  /** SCAN_OWNER_TAGS (default `owner,team`). */
  ownerTags?: readonly string[] | undefined;
  /** The templates' manual estimates; absent: time saved is not computed (`timeSaved.minutes` null). */
  templates?: TemplateEstimates | undefined;
  /** Months in the trend (default 6, ending with the period's last month). */
  trendMonths?: number | undefined;
}

export interface DoraBands {
  deploymentFrequency: Band | null;
  leadTime: Band | null;
  changeFailureRate: Band | null;
  timeToRestore: Band | null;
}

/** One team's figures over the period (or the workspace's, as `total`). */
export interface TeamFigures {
  team: string;
  /** Change requests (single changes and workflow runs, not rollbacks) that executed successfully in the period. */
  deployments: number;
  /** Of those, workflow runs. */
  workflowRuns: number;
  /** Deployments per week over the period. */
  deploymentsPerWeek: number;
  /** Filing → end of execution, over the deployments. */
  leadTime: Distribution;
  /** Executed (succeeded, failed, rolled back) in the period. */
  executed: number;
  /** Failed or rolled back. */
  failed: number;
  /** failed / executed (0–1); null when nothing executed. */
  changeFailureRate: number | null;
  /** Incidents resolved in the period: opened → resolved. */
  timeToRestore: Distribution;
  incidentsOpened: number;
  /** Filing → the last person's decision, over requests decided in the period. */
  approvalTurnaround: Distribution;
  /** Monthly saving of the findings whose fix ran in the period (cents per month), and how many. */
  savingsRealisedCents: number;
  fixesApplied: number;
  securityFindingsResolved: number;
  /** The live inventory the team owns (now, not over the period) and its share of the whole. */
  estate: { resources: number; monthlyCostCents: number; shareOfResources: number | null; shareOfCost: number | null };
  /** Succeeded template runs: Σ (manualMinutes − the run's own duration); runs of templates without an estimate apart. */
  timeSaved: { runs: number; minutes: number | null; runsWithoutEstimate: number };
  bands: DoraBands;
}

/** One month of a trend. */
export interface TrendPoint {
  month: string;
  deployments: number;
  changeFailureRate: number | null;
  leadTimeMedianMs: number | null;
  timeToRestoreMedianMs: number | null;
}

export interface TeamAnalytics {
  workspaceId: string;
  period: Period;
  /** The one team asked for, normalised; absent: every team. */
  team?: string;
  /** The workspace (or the one team) as a whole. */
  total: TeamFigures;
  /** Each team with anything to show, most deployments first, `unowned` last. */
  teams: TeamFigures[];
  trend: { months: string[]; total: TrendPoint[]; byTeam: Record<string, TrendPoint[]> };
  /** Teams the inventory or the records name (for "unknown team" messages and pickers). */
  knownTeams: string[];
  /** Share of the live inventory (resources, cost) that carries an owner tag. */
  attributed: { shareOfResources: number | null; shareOfCost: number | null };
  /** When the figures were read (ISO). */
  generatedAt: string;
}

const share = (part: number, whole: number): number | null => (whole > 0 ? part / whole : null);
const emptyDistribution = (): Distribution => ({ count: 0, medianMs: null, p90Ms: null });

const blank = (team: string): TeamFigures => ({
  team,
  deployments: 0,
  workflowRuns: 0,
  deploymentsPerWeek: 0,
  leadTime: emptyDistribution(),
  executed: 0,
  failed: 0,
  changeFailureRate: null,
  timeToRestore: emptyDistribution(),
  incidentsOpened: 0,
  approvalTurnaround: emptyDistribution(),
  savingsRealisedCents: 0,
  fixesApplied: 0,
  securityFindingsResolved: 0,
  estate: { resources: 0, monthlyCostCents: 0, shareOfResources: null, shareOfCost: null },
  timeSaved: { runs: 0, minutes: null, runsWithoutEstimate: 0 },
  bands: { deploymentFrequency: null, leadTime: null, changeFailureRate: null, timeToRestore: null },
});

const TOTAL = '*';

/**
 * The analytics of a workspace (or one team) over a period: what the dashboard's analytics view,
 * `analytics [team] [period]` and the weekly summary show. Reads only; about ten queries.
 */
export const teamAnalytics = async (db: Db, o: TeamAnalyticsOptions): Promise<TeamAnalytics> => {
  const period = typeof o.period === 'object' ? o.period : parsePeriod(o.period, o.now);
  const keys = ownerKeys(o.ownerTags);
  const ws = o.workspaceId;
  const months = trendMonths(period, o.trendMonths ?? 6);
  const trendRange = { from: monthRange(months[0]!).since, to: period.to };
  const [delivery, runs, approvals, restore, opened, savings, security, estate, deliveryTrend, restoreTrend, registry] =
    await Promise.all([
      deliveryRows(db, ws, keys, period, false),
      templateRunRows(db, ws, keys, period),
      approvalRows(db, ws, keys, period),
      restoreRows(db, ws, keys, period, false),
      openedIncidentRows(db, ws, keys, period),
      savingsRows(db, ws, keys, period),
      resolvedSecurityRows(db, ws, keys, period),
      estateRows(db, keys),
      deliveryRows(db, ws, keys, trendRange, true),
      restoreRows(db, ws, keys, trendRange, true),
      o.templates?.forWorkspace(ws),
    ]);

  const figures = new Map<string, TeamFigures>();
  const of = (team: string | null): TeamFigures => {
    const key = team ?? TOTAL;
    let f = figures.get(key);
    if (!f) figures.set(key, (f = blank(key)));
    return f;
  };
  of(null);
  const days = periodDays(period);
  for (const r of delivery) {
    const f = of(r.team);
    f.deployments = r.deployments;
    f.workflowRuns = r.workflowRuns;
    f.deploymentsPerWeek = (r.deployments / days) * 7;
    f.leadTime = r.leadTime;
    f.executed = r.executed;
    f.failed = r.failures;
    f.changeFailureRate = share(r.failures, r.executed);
  }
  for (const r of approvals) of(r.team).approvalTurnaround = r.turnaround;
  for (const r of restore) of(r.team).timeToRestore = r.restore;
  const total = of(null);
  for (const r of opened) {
    of(r.team).incidentsOpened = r.opened;
    total.incidentsOpened += r.opened;
  }
  for (const r of savings) {
    Object.assign(of(r.team), { savingsRealisedCents: r.savingCents, fixesApplied: r.fixes });
    total.savingsRealisedCents += r.savingCents;
    total.fixesApplied += r.fixes;
  }
  for (const r of security) {
    of(r.team).securityFindingsResolved = r.resolved;
    total.securityFindingsResolved += r.resolved;
  }
  const allResources = estate.reduce((n, r) => n + r.resources, 0);
  const allCost = estate.reduce((n, r) => n + r.monthlyCostCents, 0);
  for (const r of estate) {
    const e = { resources: r.resources, monthlyCostCents: r.monthlyCostCents };
    // Every team's share of the inventory is known, but only teams with records are listed.
    const f = figures.get(r.team) ?? blank(r.team);
    f.estate = {
      ...e,
      shareOfResources: share(r.resources, allResources),
      shareOfCost: share(r.monthlyCostCents, allCost),
    };
    if (r.resources > 0) figures.set(r.team, f);
  }
  total.estate = {
    resources: allResources,
    monthlyCostCents: allCost,
    shareOfResources: allResources > 0 ? 1 : null,
    shareOfCost: allCost > 0 ? 1 : null,
  };
  for (const r of runs) {
    for (const f of [of(r.team), total]) {
      const manual = registry?.get(r.template, r.version)?.manualMinutes;
      f.timeSaved.runs += r.runs;
      if (!registry) continue;
      if (manual === undefined) f.timeSaved.runsWithoutEstimate += r.runs;
      else f.timeSaved.minutes = (f.timeSaved.minutes ?? 0) + r.runs * manual - r.durationMs / 60_000;
    }
  }
  for (const f of figures.values())
    f.bands = {
      deploymentFrequency: frequencyBand(f.deployments / days),
      leadTime: leadTimeBand(f.leadTime.medianMs),
      changeFailureRate: failureRateBand(f.changeFailureRate),
      timeToRestore: restoreBand(f.timeToRestore.medianMs),
    };

  const trendOf = (team: string | null): TrendPoint[] =>
    months.map((month) => {
      const d = deliveryTrend.find((r) => r.team === team && r.bucket === month);
      const i = restoreTrend.find((r) => r.team === team && r.bucket === month);
      return {
        month,
        deployments: d?.deployments ?? 0,
        changeFailureRate: d ? share(d.failures, d.executed) : null,
        leadTimeMedianMs: d?.leadTime.medianMs ?? null,
        timeToRestoreMedianMs: i?.restore.medianMs ?? null,
      };
    });
  const trendTeams = new Set(
    [...deliveryTrend, ...restoreTrend].map((r) => r.team).filter((t): t is string => t !== null),
  );
  const knownTeams = [...new Set([...figures.keys(), ...trendTeams, ...estate.map((r) => r.team)])]
    .filter((t) => t !== TOTAL)
    .sort(byTeam);

  const attributed = estate.filter((r) => r.team !== UNOWNED);
  const result: TeamAnalytics = {
    workspaceId: ws,
    period,
    total: { ...total, team: 'all teams' },
    teams: [...figures.values()].filter((f) => f.team !== TOTAL && hasAnything(f)).sort(byActivity),
    trend: {
      months,
      total: trendOf(null),
      byTeam: Object.fromEntries([...trendTeams].sort(byTeam).map((t) => [t, trendOf(t)])),
    },
    knownTeams,
    attributed: {
      shareOfResources: share(
        attributed.reduce((n, r) => n + r.resources, 0),
        allResources,
      ),
      shareOfCost: share(
        attributed.reduce((n, r) => n + r.monthlyCostCents, 0),
        allCost,
      ),
    },
    generatedAt: o.now.toISOString(),
  };
  if (o.team === undefined || o.team.trim() === '') return result;
  return oneTeam(result, normaliseTeam(o.team));
};

/** The result narrowed to one team: its figures become the total. */
const oneTeam = (a: TeamAnalytics, team: string): TeamAnalytics => {
  if (!a.knownTeams.includes(team))
    throw notFound(
      a.knownTeams.length === 0
        ? `There is no team “${team}”: no resource carries an owner tag yet and nothing was recorded for a team.`
        : `There is no team “${team}”. Known teams: ${a.knownTeams.join(', ')}.`,
    );
  const figures = a.teams.find((f) => f.team === team) ?? blank(team);
  return {
    ...a,
    team,
    total: figures,
    teams: [figures],
    trend: {
      months: a.trend.months,
      total: a.trend.byTeam[team] ?? a.trend.months.map((month) => emptyPoint(month)),
      byTeam: { [team]: a.trend.byTeam[team] ?? a.trend.months.map((month) => emptyPoint(month)) },
    },
  };
};

const emptyPoint = (month: string): TrendPoint => ({
  month,
  deployments: 0,
  changeFailureRate: null,
  leadTimeMedianMs: null,
  timeToRestoreMedianMs: null,
});

const hasAnything = (f: TeamFigures): boolean =>
  f.executed +
    f.timeToRestore.count +
    f.incidentsOpened +
    f.approvalTurnaround.count +
    f.fixesApplied +
    f.securityFindingsResolved +
    f.estate.resources +
    f.timeSaved.runs >
  0;

/** Alphabetical, `unowned` last. */
export const byTeam = (a: string, b: string): number =>
  Number(a === UNOWNED) - Number(b === UNOWNED) || a.localeCompare(b);

const byActivity = (a: TeamFigures, b: TeamFigures): number =>
  Number(a.team === UNOWNED) - Number(b.team === UNOWNED) ||
  b.deployments - a.deployments ||
  b.estate.monthlyCostCents - a.estate.monthlyCostCents ||
  a.team.localeCompare(b.team);

/** The delivery rows' figures for the workspace only (what Home shows): deployments and failure rate. */
export const deliveryTotals = (rows: DeliveryRow[]): { deployments: number; changeFailureRate: number | null } => {
  const t = rows.find((r) => r.team === null);
  return { deployments: t?.deployments ?? 0, changeFailureRate: t ? share(t.failures, t.executed) : null };
};
