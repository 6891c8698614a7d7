import { notFound } from '../../errors.ts';
import { approvalsView, changesView } from './changes.ts';
import { complianceView } from './compliance.ts';
import { costsView } from './costs.ts';
import type { DashboardDeps, ViewContext } from './deps.ts';
import { createMemo } from './memo.ts';
import { driftSummary, driftView } from './drift.ts';
import { findingsView } from './findings.ts';
import { incidentsView } from './incidents.ts';
import { estateFacets, inventoryView } from './inventory.ts';
import { viewNames, type DashboardData, type View, type ViewName, type Viewer } from './model.ts';
import { overviewView } from './overview.ts';

/**
 * The dashboard's data (the `DashboardData` port of src/surfaces/dashboard/ports.ts): each view
 * read for one viewer. Changes, approvals, findings and incidents are the viewer's workspace's;
 * the inventory and its costs are shared. A query that makes no sense is a `bad_request` naming
 * the parameter and what it accepts; an unknown view or an unwired `analytics` is `not_found`.
 */
/** The dashboard's data, and a way to read the estate-wide aggregates ahead of the next view. */
export interface DashboardDataService extends DashboardData {
  /** Reads the facets and the default drift now (after a sync pass, say), so the next view finds them kept. */
  warm(): Promise<void>;
}

export const createDashboardData = (deps: DashboardDeps): DashboardDataService => {
  const d: ViewContext = { ...deps, memo: createMemo(deps.cacheMs ?? 30_000, deps.now) };
  const views: Record<ViewName, (viewer: Viewer, query: Record<string, string>) => Promise<View>> = {
    overview: (v, q) => overviewView(d, v, q),
    inventory: (_v, q) => inventoryView(d, q),
    costs: (_v, q) => costsView(d, q),
    findings: (v, q) => findingsView(d, v.actor.workspaceId, q),
    compliance: (v, q) => complianceView(d, v.actor.workspaceId, q),
    drift: (_v, q) => driftView(d, q),
    approvals: (v, q) => approvalsView(d, v, q),
    changes: (v, q) => changesView(d, v, q),
    incidents: (v, q) => incidentsView(d, v.actor.workspaceId, q),
    analytics: async (v, q) => {
      if (!d.analytics) throw notFound('Team analytics are not available on this server.');
      return d.analytics(v, q);
    },
  };
  return {
    async warm() {
      await estateFacets(d);
      await driftSummary(d, undefined, undefined, { sort: 'kind', dir: 'asc', offset: 0, limit: 0 });
    },
    view(viewer, name, query) {
      if (!(viewNames as readonly string[]).includes(name))
        return Promise.reject(
          notFound(`There is no dashboard view "${String(name)}"; the views are ${viewNames.join(', ')}.`),
        );
      return views[name](viewer, query);
    },
  };
};

export type { DashboardDeps } from './deps.ts';
export { recordCostSnapshot } from './cost-history.ts';
