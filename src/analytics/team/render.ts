import { formatMoney, plural } from '../../chat/format.ts';
import { MAX_CHART_SERIES, reply, type Block, type ChartBlock, type Reply } from '../../chat/reply.ts';
import { formatDuration } from '../../incidents/card.ts';
import type { TeamAnalytics, TeamFigures } from './analytics.ts';
import { ownerKeys } from './attribution.ts';
import type { Band } from './bands.ts';

/**
 * Team analytics as a neutral Reply: the figures of the workspace (or the one team), a table with
 * a row per team, and a chart of deployments per month by team (its numbers as text too). The
 * weekly summary and `analytics [team] [period]` both send this.
 */

const pct = (rate: number | null): string => (rate === null ? '–' : `${Math.round(rate * 1000) / 10} %`);
const dur = (ms: number | null): string => (ms === null ? '–' : formatDuration(ms));
const band = (b: Band | null): string => (b === null ? '' : ` (${b})`);
const minutes = (m: number | null): string =>
  m === null ? '–' : Math.abs(m) < 120 ? `${Math.round(m)} min` : `${Math.round((m / 60) * 10) / 10} h`;
const perWeek = (n: number): string => `${Math.round(n * 10) / 10}/week`;

const distributionText = (d: { count: number; medianMs: number | null; p90Ms: number | null }): string =>
  d.count === 0 ? '–' : `${dur(d.medianMs)} median, ${dur(d.p90Ms)} p90 (${d.count})`;

/** The figures of one team (or all) as labelled fields, DORA band in brackets. */
export const figureFields = (f: TeamFigures): Array<{ label: string; value: string }> => [
  {
    label: 'Deployments',
    value: `${f.deployments} (${perWeek(f.deploymentsPerWeek)})${band(f.bands.deploymentFrequency)}${f.workflowRuns ? `, ${plural(f.workflowRuns, 'workflow run')}` : ''}`,
  },
  { label: 'Lead time', value: `${distributionText(f.leadTime)}${band(f.bands.leadTime)}` },
  {
    label: 'Change failure rate',
    value:
      f.executed === 0
        ? '–'
        : `${pct(f.changeFailureRate)} (${f.failed} of ${f.executed})${band(f.bands.changeFailureRate)}`,
  },
  { label: 'Time to restore', value: `${distributionText(f.timeToRestore)}${band(f.bands.timeToRestore)}` },
  { label: 'Incidents opened', value: String(f.incidentsOpened) },
  { label: 'Approval turnaround', value: distributionText(f.approvalTurnaround) },
  {
    label: 'Savings realised',
    value: `${formatMoney(f.savingsRealisedCents)}/month (${plural(f.fixesApplied, 'fix', 'fixes')})`,
  },
  { label: 'Security findings resolved', value: String(f.securityFindingsResolved) },
  {
    label: 'Estate owned',
    value: `${plural(f.estate.resources, 'resource')}, ${formatMoney(f.estate.monthlyCostCents)}/month (${pct(f.estate.shareOfCost)} of the cost)`,
  },
  {
    label: 'Time saved by templates',
    value:
      f.timeSaved.runs === 0
        ? '–'
        : `${minutes(f.timeSaved.minutes)} over ${plural(f.timeSaved.runs, 'run')}${f.timeSaved.runsWithoutEstimate ? ` (${f.timeSaved.runsWithoutEstimate} without a manual estimate)` : ''}`,
  },
];

const teamRow = (f: TeamFigures): string[] => [
  f.team,
  String(f.deployments),
  dur(f.leadTime.medianMs),
  f.executed === 0 ? '–' : pct(f.changeFailureRate),
  dur(f.timeToRestore.medianMs),
  dur(f.approvalTurnaround.medianMs),
  formatMoney(f.savingsRealisedCents),
  String(f.securityFindingsResolved),
  f.timeSaved.runs === 0 ? '–' : minutes(f.timeSaved.minutes),
  pct(f.estate.shareOfCost),
];

/** Deployments per month, one series per team (the most active; the rest summed as `other`). */
export const deploymentsChart = (a: TeamAnalytics): ChartBlock | undefined => {
  const teams = Object.entries(a.trend.byTeam)
    .map(([team, points]) => ({ team, values: points.map((p) => p.deployments) }))
    .filter((s) => s.values.some((v) => v > 0))
    .sort((x, y) => y.values.reduce((n, v) => n + v, 0) - x.values.reduce((n, v) => n + v, 0));
  if (teams.length === 0) return undefined;
  const shown = teams.length > MAX_CHART_SERIES ? teams.slice(0, MAX_CHART_SERIES - 1) : teams;
  const rest = teams.slice(shown.length);
  const series = shown.map((s) => ({ name: s.team, values: s.values }));
  if (rest.length > 0)
    series.push({ name: 'other', values: a.trend.months.map((_, i) => rest.reduce((n, s) => n + s.values[i]!, 0)) });
  return {
    type: 'chart',
    kind: 'bar',
    title: 'Deployments per month by team',
    categories: a.trend.months,
    series,
    unit: 'deployments',
  };
};

export const renderAnalytics = (
  a: TeamAnalytics,
  opts: { sandbox: boolean; title?: string; ownerTags?: readonly string[] | undefined },
): Reply => {
  const who = a.team ?? 'all teams';
  const range = `${a.period.from.toISOString().slice(0, 10)} – ${new Date(a.period.to.getTime() - 1).toISOString().slice(0, 10)}`;
  const blocks: Block[] = [
    { type: 'header', text: `${opts.title ?? 'Team analytics'}: ${who}, ${a.period.label}` },
    { type: 'fields', fields: figureFields(a.total) },
  ];
  if (!a.team && a.teams.length > 0)
    blocks.push({
      type: 'table',
      columns: [
        'Team',
        'Deploys',
        'Lead time',
        'Failure rate',
        'Restore',
        'Approval',
        'Saved $/mo',
        'Sec. resolved',
        'Time saved',
        'Cost share',
      ],
      rows: a.teams.slice(0, 50).map(teamRow),
    });
  const chart = deploymentsChart(a);
  if (chart) blocks.push(chart);
  const cfr = a.trend.total.filter((p) => p.changeFailureRate !== null);
  if (cfr.length > 1)
    blocks.push({
      type: 'chart',
      kind: 'line',
      title: `Change failure rate per month, ${who}`,
      categories: cfr.map((p) => p.month),
      series: [{ name: who, values: cfr.map((p) => Math.round(p.changeFailureRate! * 1000) / 10) }],
      unit: '%',
    });
  blocks.push({
    type: 'context',
    text:
      `${range} (UTC). A team is the first owner tag (${ownerKeys(opts.ownerTags)
        .map((k) => `\`${k}\``)
        .join(', ')}) on the resources a record concerns; ` +
      `${pct(a.attributed.shareOfCost)} of the estate's monthly cost carries one. Bands: DORA 2023 clusters.` +
      (a.team ? '' : ` Known teams: ${a.knownTeams.join(', ') || 'none yet'}.`),
  });
  return reply(blocks, {
    text: `${opts.title ?? 'Team analytics'}: ${who}, ${a.period.label}: ${a.total.deployments} deployments, change failure rate ${pct(a.total.changeFailureRate)}`,
    sandbox: opts.sandbox,
  });
};
