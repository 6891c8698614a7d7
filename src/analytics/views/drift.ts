import { baselineScopes, computeDrift, parseScopeText, type DriftItem, type DriftReport } from '../../cloud/drift.ts';
import { link, type DashboardDeps } from './deps.ts';
import { count, when } from './format.ts';
import { resourceLink } from './inventory.ts';
import type { Figure, View } from './model.ts';
import { oneOf, pageOf, parseQuery, selectFilter, tableShape } from './query.ts';

/**
 * Drift: the live inventory against the newest baseline of a scope (src/cloud/drift.ts), what was
 * added, removed and changed in what operators care about. Without a baseline, a note says none
 * is recorded and how to record one.
 */

/** The scope shown when none is asked for: `all` when it has a baseline, else the first recorded. */
const defaultScope = (scopes: readonly string[]): string | undefined =>
  scopes.includes('all') ? 'all' : [...scopes].sort()[0];

/** The drift of a scope (the default one), or null when no baseline is recorded. */
export const driftReport = async (d: DashboardDeps, scope?: string): Promise<DriftReport | null> => {
  const scopes = await baselineScopes(d.db);
  const chosen = scope ?? defaultScope(scopes);
  if (chosen === undefined || !scopes.includes(chosen)) return null;
  return computeDrift(d.db, parseScopeText(chosen));
};

const driftCount = (r: DriftReport) => r.added.length + r.removed.length + r.changed.length;

/** The overview's drift figure. */
export const driftFigure = (r: DriftReport | null): Figure =>
  r
    ? {
        id: 'drift',
        label: 'Drift since the baseline',
        value: count(driftCount(r)),
        detail: `${count(r.added.length)} added, ${count(r.removed.length)} removed, ${count(r.changed.length)} changed (${r.scope}, ${when(r.baseline.createdAt)})`,
        tone: driftCount(r) ? 'bad' : 'good',
        link: link('drift', { scope: r.scope }),
      }
    : {
        id: 'drift',
        label: 'Drift since the baseline',
        value: '–',
        detail: 'no baseline recorded',
        tone: 'neutral',
        link: link('drift'),
      };

const kinds = ['added', 'removed', 'changed'] as const;
type Kind = (typeof kinds)[number];
const driftSortKeys = ['kind', 'name', 'type', 'provider', 'region'] as const;

const valueText = (v: unknown): string =>
  v === null || v === undefined ? '–' : typeof v === 'string' ? v : JSON.stringify(v);

/** The drift view. */
export const driftView = async (d: DashboardDeps, query: Record<string, string>): Promise<View> => {
  const scopes = (await baselineScopes(d.db)).sort();
  const q = parseQuery(
    'drift',
    { scope: oneOf(scopes).optional(), kind: oneOf(kinds).optional(), ...tableShape(driftSortKeys) },
    query,
  );
  const report = await driftReport(d, q.scope);
  const page = pageOf(q, { sort: 'kind', dir: 'asc' });
  const items: (DriftItem & { kind: Kind })[] = report
    ? kinds.flatMap((k) => report[k].map((i) => ({ ...i, kind: k }))).filter((i) => !q.kind || i.kind === q.kind)
    : [];
  // computeDrift compares fingerprints in memory and returns every item: sorted and paged here.
  const sign = page.dir === 'asc' ? 1 : -1;
  const key = (i: (typeof items)[number]): string =>
    page.sort === 'kind' ? String(kinds.indexOf(i.kind)) : i[page.sort];
  items.sort(
    (a, b) =>
      sign * key(a).localeCompare(key(b)) || `${a.type}${a.name}${a.id}`.localeCompare(`${b.type}${b.name}${b.id}`),
  );
  return {
    name: 'drift',
    title: 'Drift',
    figures: report
      ? kinds.map((k) => ({
          id: k,
          label: k[0]!.toUpperCase() + k.slice(1),
          value: count(report[k].length),
          tone: report[k].length ? 'bad' : 'good',
          link: link('drift', { scope: report.scope, kind: k }),
        }))
      : [],
    charts: report
      ? [
          {
            id: 'drift-by-kind',
            title: `Drift since the baseline (${report.scope})`,
            kind: 'bar',
            categories: [...kinds],
            series: [{ name: 'Resources', values: kinds.map((k) => report[k].length) }],
            unit: 'resources',
            links: kinds.map((k) => link('drift', { scope: report.scope, kind: k })),
          },
        ]
      : [],
    tables: [
      {
        id: 'drift',
        title: report
          ? `Changes since the baseline of ${when(report.baseline.createdAt)}`
          : 'Changes since the baseline',
        columns: [
          { key: 'kind', label: 'Drift', sortable: true },
          { key: 'name', label: 'Resource', sortable: true },
          { key: 'type', label: 'Type', sortable: true },
          { key: 'provider', label: 'Provider', sortable: true },
          { key: 'region', label: 'Region', sortable: true },
          { key: 'changes', label: 'What changed', sortable: false },
        ],
        rows: items.slice(page.offset, page.offset + page.limit).map((i) => ({
          id: `${i.kind}:${i.provider}:${i.account}:${i.id}`,
          cells: {
            kind: { text: i.kind, link: link('drift', { scope: report!.scope, kind: i.kind }) },
            // A removed resource is no longer in the inventory: no link.
            name: i.kind === 'removed' ? { text: i.name || i.id } : { text: i.name || i.id, link: resourceLink(i) },
            type: { text: i.type },
            provider: { text: `${i.provider} ${i.account}` },
            region: { text: i.region },
            changes: {
              text: (i.changes ?? [])
                .map((c) => `${c.field}: ${valueText(c.before)} → ${valueText(c.after)}`)
                .join('; '),
            },
          },
        })),
        paging: { offset: page.offset, limit: page.limit, total: items.length },
        sort: { key: page.sort, dir: page.dir },
        filters: [
          selectFilter('scope', 'Baseline', report?.scope, scopes),
          selectFilter('kind', 'Drift', q.kind, kinds),
        ],
        empty: report ? 'Nothing drifted since the baseline.' : 'No baseline recorded.',
      },
    ],
    notes: report
      ? [
          `Baseline of ${report.scope} recorded ${when(report.baseline.createdAt)} by ${report.baseline.createdBy} (${count(report.baseline.count)} resources); drift is what was added, removed or changed in size, state, tags, rules, replicas or images since.`,
        ]
      : [
          'No baseline recorded: an admin records one in chat with `baseline set` (or `baseline set env=prod` for one scope).',
        ],
    generatedAt: d.now().toISOString(),
  };
};
