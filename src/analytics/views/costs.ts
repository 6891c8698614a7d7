import { readCostHistory, monthForecast, type CostPoint, type MonthForecast } from './cost-history.ts';
import { link, type ViewContext } from './deps.ts';
import { count, day, money, percent, shortDay, signedPercent } from './format.ts';
import {
  facetChart,
  facetLink,
  estateFacets,
  inventoryPage,
  resourceRows,
  type FacetLine,
  type InventoryFacets,
} from './inventory.ts';
import type { Chart, Figure, View } from './model.ts';
import { oneOf, pageOf, parseQuery, selectFilter, tableShape } from './query.ts';

/**
 * Costs: the inventory's priced monthly cost now, its trend over the daily snapshots and the
 * forecast to the month's end (cost-history.ts says how), broken down by provider, account,
 * environment and service. Resources the price tables do not cover are counted and named as
 * unpriced, never guessed.
 */

const DAY_MS = 86_400_000;
/** Days the trend chart shows. */
export const trendDays = 30;

/** Monthly cost now, its trend and this month's forecast: shared with the overview. */
export interface CostSummary {
  rateNowCents: number;
  /** Daily points of the last `trendDays` days, today's being the live inventory. */
  trend: CostPoint[];
  /** The oldest point of the trend, when there is history before today. */
  since: CostPoint | null;
  forecast: MonthForecast;
}

/** Reads the snapshots of the trend and this month and computes the forecast. */
export const costSummary = async (d: ViewContext, facets: Pick<InventoryFacets, 'total'>): Promise<CostSummary> => {
  const now = d.now();
  const today = day(now);
  const from = new Date(
    Math.min(now.getTime() - (trendDays - 1) * DAY_MS, Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1) - DAY_MS),
  );
  const history = (await readCostHistory(d.db, day(from), today)).filter((p) => p.day < today);
  const rateNowCents = facets.total.monthlyCostCents;
  const live: CostPoint = {
    day: today,
    monthlyCostCents: rateNowCents,
    resources: facets.total.count,
    unpriced: facets.total.unpriced,
  };
  const trendFrom = day(new Date(now.getTime() - (trendDays - 1) * DAY_MS));
  const trend = [...history.filter((p) => p.day >= trendFrom), live];
  return {
    rateNowCents,
    trend,
    since: trend.length > 1 ? trend[0]! : null,
    forecast: monthForecast(now, rateNowCents, history),
  };
};

/** `+4.2 % since 2 Nov`, or how the trend fills in when there is no history yet. */
export const trendText = (s: CostSummary): string => {
  if (!s.since) return 'no history yet: one point a day after each inventory sync';
  const base = s.since.monthlyCostCents;
  const change = base === 0 ? (s.rateNowCents === 0 ? 0 : 1) : (s.rateNowCents - base) / base;
  return `${signedPercent(change)} since ${shortDay(new Date(`${s.since.day}T00:00:00Z`))}`;
};

/** `forecast $13,100.00 by 31 Dec`. */
export const forecastText = (s: CostSummary): string =>
  `forecast ${money(s.forecast.forecastCents)} by ${shortDay(new Date(s.forecast.monthEnd.getTime() - DAY_MS))}`;

/** The monthly cost figure (value, trend and forecast), leading to the costs view. */
export const costFigure = (s: CostSummary): Figure => ({
  id: 'monthly-cost',
  label: 'Monthly cost',
  value: money(s.rateNowCents),
  detail: `${trendText(s)} · ${forecastText(s)}`,
  tone: 'neutral',
  link: link('costs'),
});

/** The trend: the run rate per day over the last `trendDays` days (null where no snapshot was taken). */
export const trendChart = (s: CostSummary, now: Date): Chart => {
  const days = Array.from({ length: trendDays }, (_, i) => day(new Date(now.getTime() - (trendDays - 1 - i) * DAY_MS)));
  const byDay = new Map(s.trend.map((p) => [p.day, p.monthlyCostCents]));
  return {
    id: 'cost-trend',
    title: `Monthly cost, last ${trendDays} days`,
    kind: 'line',
    categories: days,
    series: [
      { name: 'Monthly cost', values: days.map((k) => (byDay.has(k) ? byDay.get(k)! / 100 : null)), style: 'actual' },
    ],
    unit: 'USD/month',
    links: days.map(() => null),
  };
};

/** This month: spent so far by each day's end, and the forecast from today to the month's end. */
const monthChart = (s: CostSummary): Chart => ({
  id: 'month-forecast',
  title: 'This month: spent and forecast',
  kind: 'line',
  categories: s.forecast.cumulative.map((c) => c.day),
  series: [
    {
      name: 'Spent',
      values: s.forecast.cumulative.map((c) => (c.actual === null ? null : c.actual / 100)),
      style: 'actual',
    },
    {
      name: 'Forecast',
      values: s.forecast.cumulative.map((c) => (c.forecast === null ? null : c.forecast / 100)),
      style: 'forecast',
    },
  ],
  unit: 'USD',
});

const groupings = ['provider', 'account', 'environment', 'service', 'region', 'type'] as const;
type Grouping = (typeof groupings)[number];
const costSortKeys = ['cost', 'resources', 'name', 'unpriced'] as const;

const costsShape = { by: oneOf(groupings).optional(), ...tableShape(costSortKeys) };

/** The costs view. */
export const costsView = async (d: ViewContext, query: Record<string, string>): Promise<View> => {
  const q = parseQuery('costs', costsShape, query);
  const by: Grouping = q.by ?? 'service';
  const page = pageOf(q, { sort: 'cost', dir: 'desc' });
  const facets = await estateFacets(d);
  const [summary, unpriced] = await Promise.all([
    costSummary(d, facets),
    inventoryPage(d.db, { priced: 'no' }, { sort: 'name', dir: 'asc', offset: 0, limit: 20 }),
  ]);
  const now = d.now();
  const t = facets.total;
  const f = summary.forecast;
  // The breakdown has one row per group (a few hundred at most): sorted and paged here.
  const lines = [...facets[by]];
  const sign = page.dir === 'asc' ? 1 : -1;
  const order: Record<(typeof costSortKeys)[number], (a: FacetLine, b: FacetLine) => number> = {
    cost: (a, b) => a.monthlyCostCents - b.monthlyCostCents,
    resources: (a, b) => a.count - b.count,
    name: (a, b) => a.key.localeCompare(b.key),
    unpriced: (a, b) => a.unpriced - b.unpriced,
  };
  lines.sort((a, b) => sign * order[page.sort](a, b) || a.key.localeCompare(b.key));
  const pageLines = lines.slice(page.offset, page.offset + page.limit);
  const share = (c: number) => (t.monthlyCostCents > 0 ? (100 * c) / t.monthlyCostCents : null);
  const estimated = f.estimatedDays
    ? ` (${f.estimatedDays} ${f.estimatedDays === 1 ? 'day' : 'days'} before the first snapshot estimated at its rate)`
    : '';
  return {
    name: 'costs',
    title: 'Costs',
    figures: [
      costFigure(summary),
      {
        id: 'forecast',
        label: `Forecast for ${now.toLocaleString('en-US', { month: 'long', timeZone: 'UTC' })}`,
        value: money(f.forecastCents),
        detail: `${money(f.accruedCents)} accrued so far${estimated}`,
        tone: 'neutral',
        link: link('costs', { by: 'service' }),
      },
      {
        id: 'unpriced',
        label: 'Unpriced resources',
        value: count(t.unpriced),
        detail: t.unpriced ? 'not in the price tables: not counted in the cost' : 'every resource is priced',
        tone: t.unpriced ? 'neutral' : 'good',
        link: link('inventory', { priced: 'no' }),
      },
    ],
    charts: [
      trendChart(summary, now),
      monthChart(summary),
      facetChart('cost-by-provider', 'Monthly cost by provider', 'provider', facets.provider, 'cost'),
      facetChart('cost-by-account', 'Monthly cost by account', 'account', facets.account, 'cost'),
      facetChart('cost-by-environment', 'Monthly cost by environment', 'environment', facets.environment, 'cost'),
      facetChart('cost-by-service', 'Monthly cost by service', 'service', facets.service, 'cost'),
    ],
    tables: [
      {
        id: 'breakdown',
        title: `Monthly cost by ${by}`,
        columns: [
          { key: 'name', label: by[0]!.toUpperCase() + by.slice(1), sortable: true },
          { key: 'resources', label: 'Resources', sortable: true, align: 'end' },
          { key: 'cost', label: 'Monthly cost', sortable: true, align: 'end' },
          { key: 'share', label: 'Share', sortable: false, align: 'end' },
          { key: 'unpriced', label: 'Unpriced', sortable: true, align: 'end' },
        ],
        rows: pageLines.map((l) => ({
          id: by === 'account' ? `${l.provider}:${l.key}` : l.key,
          cells: {
            name: { text: by === 'account' ? `${l.provider} ${l.key}` : l.key, link: facetLink('inventory', by, l) },
            resources: { text: count(l.count), link: facetLink('inventory', by, l) },
            cost: { text: money(l.monthlyCostCents) },
            share: { text: percent(share(l.monthlyCostCents)) },
            unpriced: {
              text: count(l.unpriced),
              ...(l.unpriced
                ? {
                    link: {
                      ...facetLink('inventory', by, l),
                      query: { ...facetLink('inventory', by, l).query, priced: 'no' },
                    },
                  }
                : {}),
            },
          },
        })),
        paging: { offset: page.offset, limit: page.limit, total: lines.length },
        sort: { key: page.sort, dir: page.dir },
        filters: [selectFilter('by', 'Group by', by, groupings)],
        empty: 'The inventory is empty: nothing to cost yet.',
      },
      {
        id: 'unpriced',
        title: 'Unpriced resources',
        columns: [
          { key: 'name', label: 'Name', sortable: false },
          { key: 'type', label: 'Type', sortable: false },
          { key: 'provider', label: 'Provider', sortable: false },
          { key: 'region', label: 'Region', sortable: false },
          { key: 'cost', label: 'Monthly cost', sortable: false, align: 'end' },
        ],
        rows: resourceRows(unpriced.rows),
        more: link('inventory', { priced: 'no' }),
        empty: 'Every resource is priced.',
      },
    ],
    notes: [
      'Monthly cost: the sum of every live resource’s monthly price (730 hours) from the price tables.',
      `Forecast: accrued this month (each day’s snapshot for 24 hours) plus the current run rate until the month’s end.`,
      summary.since
        ? `The trend reads the daily snapshots taken after each inventory sync (${summary.trend.length - 1} of the last ${trendDays} days).`
        : 'No cost history yet: a snapshot is kept after each inventory sync, so the trend fills in one point a day.',
      ...(t.unpriced
        ? [
            `${count(t.unpriced)} resources are unpriced (their price is not in the tables) and are not counted in the cost.`,
          ]
        : []),
    ],
    generatedAt: now.toISOString(),
  };
};
