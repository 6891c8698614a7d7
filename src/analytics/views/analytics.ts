import { z } from 'zod';
import type { Db } from '../../store/db.ts';
import { teamAnalytics, type TeamAnalytics, type TeamFigures, type TemplateEstimates } from '../team/analytics.ts';
import type { Band } from '../team/bands.ts';
import { PERIOD_FORMS } from '../team/period.ts';
import { count, duration, money, percent } from './format.ts';
import type { Chart, Figure, Row, Table, View, Viewer } from './model.ts';
import { parseQuery, selectFilter } from './query.ts';

/**
 * The dashboard's `analytics` view: the team analytics of src/analytics/team/ (the figures
 * `analytics [team] [period]` answers in chat) as figures, trend charts and a table per team.
 * Query: `team` (an owner tag value; unknown → the known ones are named) and `period` (the chat's
 * forms). Each team row links to that team's view; the estate share links to the inventory.
 */
export interface AnalyticsViewDeps {
  db: Db;
  now: () => Date;
  ownerTags?: readonly string[] | undefined;
  templates?: TemplateEstimates | undefined;
}

const periods = ['this-month', 'last-month', '7d', '30d', '90d'] as const;

const shape = {
  team: z.string().trim().min(1).max(100).optional(),
  period: z.string().trim().min(1).max(20).optional(),
};

const bandWord = (b: Band | null): string => (b ? ` · DORA ${b}` : '');
const ratio = (r: number | null): string => (r === null ? '–' : percent(r * 100));
const tone = (b: Band | null): Figure['tone'] =>
  b === 'elite' || b === 'high' ? 'good' : b === 'low' ? 'bad' : 'neutral';

const figures = (a: TeamAnalytics): Figure[] => {
  const t = a.total;
  return [
    {
      id: 'deployments',
      label: 'Deployments',
      value: count(t.deployments),
      detail: `${t.deploymentsPerWeek.toFixed(1)} a week, ${count(t.workflowRuns)} by template${bandWord(t.bands.deploymentFrequency)}`,
      tone: tone(t.bands.deploymentFrequency),
      link: { view: 'changes', query: { status: 'succeeded' } },
    },
    {
      id: 'lead-time',
      label: 'Lead time (median)',
      value: duration(t.leadTime.medianMs),
      detail: `p90 ${duration(t.leadTime.p90Ms)}, filing to done${bandWord(t.bands.leadTime)}`,
      tone: tone(t.bands.leadTime),
    },
    {
      id: 'change-failure-rate',
      label: 'Change failure rate',
      value: ratio(t.changeFailureRate),
      detail: `${count(t.failed)} failed or rolled back of ${count(t.executed)}${bandWord(t.bands.changeFailureRate)}`,
      tone: tone(t.bands.changeFailureRate),
      link: { view: 'changes', query: { status: 'failed' } },
    },
    {
      id: 'time-to-restore',
      label: 'Time to restore (median)',
      value: duration(t.timeToRestore.medianMs),
      detail: `${count(t.timeToRestore.count)} incidents restored, ${count(t.incidentsOpened)} opened${bandWord(t.bands.timeToRestore)}`,
      tone: tone(t.bands.timeToRestore),
      link: { view: 'incidents', query: { status: 'resolved' } },
    },
    {
      id: 'approval-turnaround',
      label: 'Approval turnaround (median)',
      value: duration(t.approvalTurnaround.medianMs),
      detail: `p90 ${duration(t.approvalTurnaround.p90Ms)} over ${count(t.approvalTurnaround.count)} decisions`,
    },
    {
      id: 'savings-realised',
      label: 'Savings realised',
      value: `${money(t.savingsRealisedCents)}/month`,
      detail: `${count(t.fixesApplied)} fixes applied`,
      tone: t.savingsRealisedCents > 0 ? 'good' : 'neutral',
      link: { view: 'findings', query: { status: 'resolved', category: 'cost' } },
    },
    {
      id: 'security-resolved',
      label: 'Security findings resolved',
      value: count(t.securityFindingsResolved),
      link: { view: 'findings', query: { status: 'resolved', category: 'security' } },
    },
    {
      id: 'estate-share',
      label: a.team ? 'Share of the estate' : 'Estate with an owner',
      value: a.team ? ratio(t.estate.shareOfResources) : ratio(a.attributed.shareOfResources),
      detail: a.team
        ? `${count(t.estate.resources)} resources, ${money(t.estate.monthlyCostCents)}/month (${ratio(t.estate.shareOfCost)} of cost)`
        : `${ratio(a.attributed.shareOfCost)} of the monthly cost`,
      link: { view: 'inventory' },
    },
    {
      id: 'time-saved',
      label: 'Time saved by templates',
      value: t.timeSaved.minutes === null ? '–' : duration(t.timeSaved.minutes * 60_000),
      detail: `${count(t.timeSaved.runs)} runs${t.timeSaved.runsWithoutEstimate ? `, ${count(t.timeSaved.runsWithoutEstimate)} without a manual estimate` : ''}`,
    },
  ];
};

const charts = (a: TeamAnalytics): Chart[] => [
  {
    id: 'deployments-trend',
    title: 'Deployments per month',
    kind: 'bar',
    categories: a.trend.months,
    series: [{ name: 'Deployments', values: a.trend.total.map((p) => p.deployments) }],
    unit: 'deployments',
  },
  {
    id: 'failure-rate-trend',
    title: 'Change failure rate per month',
    kind: 'line',
    categories: a.trend.months,
    series: [
      {
        name: 'Change failure rate',
        values: a.trend.total.map((p) =>
          p.changeFailureRate === null ? null : Math.round(p.changeFailureRate * 1000) / 10,
        ),
      },
    ],
    unit: '%',
  },
];

const columns = [
  { key: 'team', label: 'Team', sortable: false },
  { key: 'deployments', label: 'Deployments', sortable: false, align: 'end' },
  { key: 'leadTime', label: 'Lead time (median)', sortable: false, align: 'end' },
  { key: 'cfr', label: 'Change failure rate', sortable: false, align: 'end' },
  { key: 'ttr', label: 'Time to restore (median)', sortable: false, align: 'end' },
  { key: 'turnaround', label: 'Approval turnaround', sortable: false, align: 'end' },
  { key: 'savings', label: 'Savings realised', sortable: false, align: 'end' },
  { key: 'security', label: 'Security resolved', sortable: false, align: 'end' },
  { key: 'estate', label: 'Estate share', sortable: false, align: 'end' },
  { key: 'saved', label: 'Time saved', sortable: false, align: 'end' },
] as const satisfies Table['columns'];

const row = (f: TeamFigures, period: string): Row => ({
  id: f.team,
  cells: {
    team: { text: f.team, link: { view: 'analytics', query: { team: f.team, period } } },
    deployments: { text: count(f.deployments) },
    leadTime: { text: duration(f.leadTime.medianMs) },
    cfr: { text: ratio(f.changeFailureRate) },
    ttr: { text: duration(f.timeToRestore.medianMs) },
    turnaround: { text: duration(f.approvalTurnaround.medianMs) },
    savings: { text: `${money(f.savingsRealisedCents)}/month` },
    security: { text: count(f.securityFindingsResolved) },
    estate: { text: ratio(f.estate.shareOfResources) },
    saved: { text: f.timeSaved.minutes === null ? '–' : duration(f.timeSaved.minutes * 60_000) },
  },
});

/** The analytics view of one viewer's workspace. */
export const analyticsView = async (
  d: AnalyticsViewDeps,
  viewer: Viewer,
  query: Record<string, string>,
): Promise<View> => {
  const q = parseQuery('analytics', shape, query);
  const a = await teamAnalytics(d.db, {
    workspaceId: viewer.actor.workspaceId,
    team: q.team,
    period: q.period,
    now: d.now(),
    ownerTags: d.ownerTags,
    templates: d.templates,
  });
  const periodText = a.period.key;
  const periodOptions = periods.includes(periodText as (typeof periods)[number])
    ? [...periods]
    : [...periods, periodText];
  const table: Table = {
    id: 'teams',
    title: 'By team',
    columns: [...columns],
    rows: a.teams.map((f) => row(f, periodText)),
    filters: [
      selectFilter('team', 'Team', a.team, a.knownTeams),
      selectFilter('period', 'Period', periodText, periodOptions),
    ],
    empty: 'No change, run, incident or finding of any team in this period.',
  };
  return {
    name: 'analytics',
    title: a.team ? `Team analytics: ${a.team}` : 'Team analytics',
    figures: figures(a),
    charts: charts(a),
    tables: [table],
    notes: [
      `${a.period.label}: ${a.period.from.toISOString().slice(0, 10)} to ${a.period.to.toISOString().slice(0, 10)} (UTC). Periods: ${PERIOD_FORMS}.`,
      'A record belongs to the team named by the first owner tag of the resources it touches; without one it is "unowned". Deployments are change requests and template runs that executed successfully; lead time runs from filing to the end of execution.',
    ],
    generatedAt: a.generatedAt,
  };
};
