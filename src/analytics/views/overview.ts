import { actorKey } from '../../chat/actor.ts';
import { approvalsTable, changePage, changesTable, pendingPage } from './changes.ts';
import { complianceFigure, complianceReports } from './compliance.ts';
import { costFigure, costSummary, trendChart } from './costs.ts';
import { link, type ViewContext } from './deps.ts';
import { driftFigure, driftSummary } from './drift.ts';
import { count } from './format.ts';
import { findingFigures, findingTotals } from './findings.ts';
import { incidentFigure, incidentPage, incidentsTable, openIncidents } from './incidents.ts';
import { estateFacets, facetChart } from './inventory.ts';
import type { View, Viewer } from './model.ts';
import { parseQuery } from './query.ts';

/** Rows of each short table on the overview. */
const shortRows = 5;

/**
 * The overview: the estate's top figures (each leading to the rows behind it), the cost by
 * provider and its trend, and short tables of what waits for approval, what changed and what
 * broke, each with a link to the whole list.
 */
export const overviewView = async (d: ViewContext, viewer: Viewer, query: Record<string, string>): Promise<View> => {
  parseQuery('overview', {}, query);
  const ws = viewer.actor.workspaceId;
  const now = d.now();
  const short = { offset: 0, limit: shortRows } as const;
  const facets = await estateFacets(d);
  const [costs, findings, reports, drift, pending, recent, incidents, open] = await Promise.all([
    costSummary(d, facets),
    findingTotals(d, ws),
    complianceReports(d, ws),
    driftSummary(d, undefined, undefined, { sort: 'kind', dir: 'asc', offset: 0, limit: 0 }),
    pendingPage(d, ws, viewer, { ...short, sort: 'created', dir: 'asc' }),
    changePage(d, ws, actorKey(viewer.actor), {}, { ...short, sort: 'created', dir: 'desc' }),
    incidentPage(d, ws, {}, { ...short, sort: 'opened', dir: 'desc' }),
    openIncidents(d, ws),
  ]);
  return {
    name: 'overview',
    title: 'Overview',
    figures: [
      {
        id: 'resources',
        label: 'Resources',
        value: count(facets.total.count),
        detail: `${count(facets.provider.length)} providers, ${count(facets.account.length)} accounts`,
        tone: 'neutral',
        link: link('inventory'),
      },
      costFigure(costs),
      ...findingFigures(findings),
      complianceFigure(reports),
      driftFigure(drift),
      {
        id: 'pending-approvals',
        label: 'Pending approvals',
        value: count(pending.total),
        tone: pending.total ? 'neutral' : 'good',
        link: link('approvals'),
      },
      incidentFigure(open),
    ],
    charts: [
      facetChart('cost-by-provider', 'Monthly cost by provider', 'provider', facets.provider, 'cost'),
      trendChart(costs, now),
    ],
    tables: [
      approvalsTable(pending.rows, viewer, now, { more: link('approvals') }),
      { ...changesTable(recent.rows, { more: link('changes') }), title: 'Recent changes' },
      { ...incidentsTable(incidents.rows, { more: link('incidents') }), title: 'Recent incidents' },
    ],
    notes: [
      'Changes, approvals, findings and incidents are your workspace’s; the inventory is shared by every workspace.',
    ],
    generatedAt: now.toISOString(),
  };
};
