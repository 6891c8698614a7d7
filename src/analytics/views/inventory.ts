import { ProviderName, ResourceType } from '../../cloud/resource.ts';
import type { Db } from '../../store/db.ts';
import { sql } from '../../store/orm.ts';
import { allOf, dirSql, link, type ViewContext, type Sql } from './deps.ts';
import { inventoryToken } from './memo.ts';
import { count, money } from './format.ts';
import type { Chart, Row, Table, View, ViewLink } from './model.ts';
import {
  checkKnown,
  oneOf,
  pageOf,
  parseQuery,
  selectFilter,
  tableShape,
  text,
  textFilter,
  type Page,
} from './query.ts';

/**
 * The shared inventory: what runs where, by provider, account, environment and service, and
 * the resources themselves (sorted, filtered and paged in SQL). Live rows only; a resource's
 * `service` is its `service` tag (`untagged` without one), as the cost report groups it.
 */

/** One value of a dimension and the live resources that have it. */
export interface FacetLine {
  key: string;
  /** For accounts: the provider the account belongs to. */
  provider?: string;
  count: number;
  monthlyCostCents: number;
  unpriced: number;
}

export interface InventoryFacets {
  total: FacetLine;
  provider: FacetLine[];
  account: FacetLine[];
  region: FacetLine[];
  type: FacetLine[];
  environment: FacetLine[];
  service: FacetLine[];
  state: FacetLine[];
}

/** The service a resource belongs to: its `service` tag, `untagged` when absent. */
export const serviceSql = sql`coalesce(nullif(tags ->> 'service', ''), 'untagged')`;
const unpricedSql = sql`(attributes ->> 'priced' = 'false')`;

/**
 * Every dimension's values with their counts and costs, in one pass over the live inventory
 * (grouping sets): the charts and the filters' choices.
 */
export const inventoryFacets = async (db: Db): Promise<InventoryFacets> => {
  type FacetRow = {
    provider: string | null;
    account: string | null;
    region: string | null;
    type: string | null;
    environment: string | null;
    service: string | null;
    state: string | null;
    n: number;
    cents: string | number;
    unpriced: number;
  };
  const { rows } = await db.execute<FacetRow>(sql`
    select provider, account, region, type, environment, service, state, count(*)::int as n,
      coalesce(sum(monthly_cost_cents), 0)::bigint as cents, (count(*) filter (where unpriced))::int as unpriced
    from (select provider, account, region, type, environment, ${serviceSql} as service, state, monthly_cost_cents,
        ${unpricedSql} as unpriced
      from resources where gone_at is null) r
    group by grouping sets ((provider), (provider, account), (region), (type), (environment), (service), (state), ())`);
  const f: InventoryFacets = {
    total: { key: 'all', count: 0, monthlyCostCents: 0, unpriced: 0 },
    provider: [],
    account: [],
    region: [],
    type: [],
    environment: [],
    service: [],
    state: [],
  };
  for (const r of rows) {
    const line = (key: string): FacetLine => ({
      key,
      count: Number(r.n),
      monthlyCostCents: Number(r.cents),
      unpriced: Number(r.unpriced),
    });
    if (r.account !== null) f.account.push({ ...line(r.account), provider: r.provider ?? '' });
    else if (r.provider !== null) f.provider.push(line(r.provider));
    else if (r.region !== null) f.region.push(line(r.region));
    else if (r.type !== null) f.type.push(line(r.type));
    else if (r.environment !== null) f.environment.push(line(r.environment));
    else if (r.service !== null) f.service.push(line(r.service));
    else if (r.state !== null) f.state.push(line(r.state));
    else f.total = line('all');
  }
  const byCost = (a: FacetLine, b: FacetLine) =>
    b.monthlyCostCents - a.monthlyCostCents || b.count - a.count || a.key.localeCompare(b.key);
  for (const k of ['provider', 'account', 'region', 'type', 'environment', 'service', 'state'] as const)
    f[k].sort(byCost);
  return f;
};

/** The facets, kept while no sync pass or baseline wrote since (memo.ts). */
export const estateFacets = async (d: ViewContext): Promise<InventoryFacets> =>
  d.memo.get('facets', await inventoryToken(d.db), () => inventoryFacets(d.db));

export interface InventoryFilter {
  provider?: string | undefined;
  account?: string | undefined;
  region?: string | undefined;
  type?: string | undefined;
  environment?: string | undefined;
  service?: string | undefined;
  state?: string | undefined;
  /** Part of the name or the id, case-insensitive. */
  name?: string | undefined;
  /** `no`: only resources whose price is unknown; `yes`: only priced ones. */
  priced?: 'yes' | 'no' | undefined;
}

export const inventorySortKeys = [
  'cost',
  'name',
  'type',
  'provider',
  'account',
  'region',
  'environment',
  'service',
  'state',
] as const;
export type InventorySort = (typeof inventorySortKeys)[number];

const sortSql: Record<InventorySort, Sql> = {
  cost: sql`monthly_cost_cents`,
  name: sql`name`,
  type: sql`type`,
  provider: sql`provider`,
  account: sql`account`,
  region: sql`region`,
  environment: sql`environment`,
  service: serviceSql,
  state: sql`state`,
};

const filterSql = (f: InventoryFilter): Sql =>
  allOf([
    sql`gone_at is null`,
    f.provider !== undefined && sql`provider = ${f.provider}`,
    f.account !== undefined && sql`account = ${f.account}`,
    f.region !== undefined && sql`region = ${f.region}`,
    f.type !== undefined && sql`type = ${f.type}`,
    f.environment !== undefined && sql`environment = ${f.environment}`,
    f.service !== undefined && sql`${serviceSql} = ${f.service}`,
    f.state !== undefined && sql`state = ${f.state}`,
    // strpos, not LIKE: what people type may hold % or _.
    f.name !== undefined && sql`(strpos(lower(name), lower(${f.name})) > 0 or strpos(lower(id), lower(${f.name})) > 0)`,
    f.priced === 'no' && unpricedSql,
    f.priced === 'yes' && sql`(attributes ->> 'priced') is distinct from 'false'`,
  ]);

export interface ResourceLine {
  provider: string;
  account: string;
  id: string;
  region: string;
  type: string;
  name: string;
  state: string;
  environment: string;
  service: string;
  monthlyCostCents: number;
  unpriced: boolean;
}

/** One page of live resources in the asked order, and how many match. */
export const inventoryPage = async (
  db: Db,
  f: InventoryFilter,
  page: Page<InventorySort>,
  /** The count when it is known already (the facets' total for an unfiltered page). */
  knownTotal?: number,
): Promise<{ rows: ResourceLine[]; total: number }> => {
  const where = filterSql(f);
  const [{ rows }, { rows: n }] = await Promise.all([
    db.execute<{
      provider: string;
      account: string;
      id: string;
      region: string;
      type: string;
      name: string;
      state: string;
      environment: string;
      service: string;
      monthly_cost_cents: number;
      unpriced: boolean | null;
    }>(sql`
      select provider, account, id, region, type, name, state, environment, ${serviceSql} as service,
        monthly_cost_cents, ${unpricedSql} as unpriced
      from resources where ${where}
      order by ${sortSql[page.sort]} ${dirSql(page.dir)}, provider, account, id
      limit ${page.limit} offset ${page.offset}`),
    knownTotal !== undefined
      ? { rows: [{ n: knownTotal }] }
      : db.execute<{ n: number }>(sql`select count(*)::int as n from resources where ${where}`),
  ]);
  return {
    rows: rows.map((r) => ({
      provider: r.provider,
      account: r.account,
      id: r.id,
      region: r.region,
      type: r.type,
      name: r.name,
      state: r.state,
      environment: r.environment,
      service: r.service,
      monthlyCostCents: Number(r.monthly_cost_cents),
      unpriced: r.unpriced === true,
    })),
    total: Number(n[0]?.n ?? 0),
  };
};

/** The resource's cost as a cell's text: `unpriced` when the price tables do not have it, never a guess. */
export const costText = (r: { monthlyCostCents: number; unpriced: boolean }): string =>
  r.unpriced ? 'unpriced' : money(r.monthlyCostCents);

/** The inventory filtered to one resource (its id is unique within provider and account). */
export const resourceLink = (r: { provider: string; account: string; id: string }): ViewLink =>
  link('inventory', { provider: r.provider, account: r.account, name: r.id });

/** The resources' table rows: each name leads to the resource, each dimension to its filter. */
export const resourceRows = (lines: readonly ResourceLine[]): Row[] =>
  lines.map((r) => ({
    id: `${r.provider}:${r.account}:${r.id}`,
    cells: {
      name: { text: r.name || r.id, link: resourceLink(r) },
      id: { text: r.id },
      type: { text: r.type, link: link('inventory', { type: r.type }) },
      provider: { text: r.provider, link: link('inventory', { provider: r.provider }) },
      account: { text: r.account, link: link('inventory', { provider: r.provider, account: r.account }) },
      region: { text: r.region, link: link('inventory', { region: r.region }) },
      environment: { text: r.environment, link: link('inventory', { environment: r.environment }) },
      service: { text: r.service, link: link('inventory', { service: r.service }) },
      state: { text: r.state, link: link('inventory', { state: r.state }) },
      cost: { text: costText(r) },
    },
  }));

/** At most `top` lines of a dimension, the rest summed as `other` (with no link). */
const topLines = (lines: readonly FacetLine[], top: number): { shown: FacetLine[]; other: FacetLine | null } => {
  if (lines.length <= top) return { shown: [...lines], other: null };
  const rest = lines.slice(top);
  return {
    shown: lines.slice(0, top),
    other: {
      key: `${rest.length} others`,
      count: rest.reduce((n, l) => n + l.count, 0),
      monthlyCostCents: rest.reduce((n, l) => n + l.monthlyCostCents, 0),
      unpriced: rest.reduce((n, l) => n + l.unpriced, 0),
    },
  };
};

/** The inventory's query parameter a dimension filters on, and the link of one of its values. */
export const facetLink = (view: 'inventory', dim: keyof Omit<InventoryFacets, 'total'>, l: FacetLine): ViewLink =>
  dim === 'account' ? link(view, { provider: l.provider, account: l.key }) : link(view, { [dim]: l.key });

/** A chart of one dimension: resources (`count`) or monthly cost in USD (`cost`); each bar leads to its rows. */
export const facetChart = (
  id: string,
  title: string,
  dim: keyof Omit<InventoryFacets, 'total'>,
  lines: readonly FacetLine[],
  measure: 'count' | 'cost',
  kind: Chart['kind'] = 'bar',
  top = 12,
): Chart => {
  const ordered =
    measure === 'count' ? [...lines].sort((a, b) => b.count - a.count || a.key.localeCompare(b.key)) : [...lines];
  const { shown, other } = topLines(ordered, top);
  const all = other ? [...shown, other] : shown;
  return {
    id,
    title,
    kind,
    categories: all.map((l) => (dim === 'account' ? `${l.provider} ${l.key}` : l.key)),
    series: [
      {
        name: measure === 'count' ? 'Resources' : 'Monthly cost',
        values: all.map((l) => (measure === 'count' ? l.count : Math.round(l.monthlyCostCents) / 100)),
      },
    ],
    unit: measure === 'count' ? 'resources' : 'USD/month',
    links: [...shown.map((l) => facetLink('inventory', dim, l)), ...(other ? [null] : [])],
  };
};

const resourceColumns: Table['columns'] = [
  { key: 'name', label: 'Name', sortable: true },
  { key: 'type', label: 'Type', sortable: true },
  { key: 'provider', label: 'Provider', sortable: true },
  { key: 'account', label: 'Account', sortable: true },
  { key: 'region', label: 'Region', sortable: true },
  { key: 'environment', label: 'Environment', sortable: true },
  { key: 'service', label: 'Service', sortable: true },
  { key: 'state', label: 'State', sortable: true },
  { key: 'cost', label: 'Monthly cost', sortable: true, align: 'end' },
];

const inventoryShape = {
  provider: oneOf(ProviderName.options).optional(),
  account: text().optional(),
  region: text().optional(),
  type: oneOf(ResourceType.options).optional(),
  environment: text().optional(),
  service: text().optional(),
  state: text().optional(),
  name: text().optional(),
  priced: oneOf(['yes', 'no']).optional(),
  ...tableShape(inventorySortKeys),
};

/** The inventory view: by provider, account, environment and service, then the resources. */
export const inventoryView = async (d: ViewContext, query: Record<string, string>): Promise<View> => {
  const q = parseQuery('inventory', inventoryShape, query);
  const facets = await estateFacets(d);
  const keys = (lines: FacetLine[]) => [...new Set(lines.map((l) => l.key))].sort();
  // Values the inventory does not hold are refused by name, with the ones it does.
  checkKnown('inventory', 'account', q.account, keys(facets.account));
  checkKnown('inventory', 'region', q.region, keys(facets.region));
  checkKnown('inventory', 'environment', q.environment, keys(facets.environment));
  checkKnown('inventory', 'service', q.service, keys(facets.service));
  checkKnown('inventory', 'state', q.state, keys(facets.state));
  const page = pageOf(q, { sort: 'cost', dir: 'desc' });
  const { sort: _sort, dir: _dir, offset: _offset, limit: _limit, ...filter } = q;
  const unfiltered = Object.values(filter).every((v) => v === undefined);
  // Unfiltered, the count is the facets' total (read once per sync, memo.ts) rather than a count of every row.
  const { rows, total } = await inventoryPage(d.db, filter, page, unfiltered ? facets.total.count : undefined);
  const t = facets.total;
  return {
    name: 'inventory',
    title: 'Inventory',
    figures: [
      { id: 'resources', label: 'Resources', value: count(t.count), link: link('inventory') },
      {
        id: 'providers',
        label: 'Providers',
        value: count(facets.provider.length),
        detail: `${count(facets.account.length)} accounts`,
        link: link('inventory', { sort: 'provider', dir: 'asc' }),
      },
      { id: 'monthly-cost', label: 'Monthly cost', value: money(t.monthlyCostCents), link: link('costs') },
      {
        id: 'unpriced',
        label: 'Unpriced resources',
        value: count(t.unpriced),
        detail: 'not in the price tables: their cost is unknown, not counted',
        tone: t.unpriced > 0 ? 'neutral' : 'good',
        link: link('inventory', { priced: 'no' }),
      },
    ],
    charts: [
      facetChart('by-provider', 'Resources by provider', 'provider', facets.provider, 'count'),
      facetChart('by-account', 'Resources by account', 'account', facets.account, 'count'),
      facetChart('by-environment', 'Resources by environment', 'environment', facets.environment, 'count'),
      facetChart('by-service', 'Resources by service', 'service', facets.service, 'count'),
    ],
    tables: [
      {
        id: 'resources',
        title: 'Resources',
        columns: resourceColumns,
        rows: resourceRows(rows),
        paging: { offset: page.offset, limit: page.limit, total },
        sort: { key: page.sort, dir: page.dir },
        filters: [
          selectFilter('provider', 'Provider', q.provider, keys(facets.provider)),
          selectFilter(
            'account',
            'Account',
            q.account,
            facets.account.map((a) => ({ value: a.key, label: `${a.provider} ${a.key}` })),
          ),
          selectFilter('region', 'Region', q.region, keys(facets.region)),
          selectFilter('type', 'Type', q.type, keys(facets.type)),
          selectFilter('environment', 'Environment', q.environment, keys(facets.environment)),
          selectFilter('service', 'Service', q.service, keys(facets.service)),
          selectFilter('state', 'State', q.state, keys(facets.state)),
          selectFilter('priced', 'Priced', q.priced, [
            { value: 'yes', label: 'priced' },
            { value: 'no', label: 'unpriced' },
          ]),
          textFilter('name', 'Name or id', q.name),
        ],
        empty:
          t.count === 0
            ? 'The inventory is empty: no sync has stored a resource yet.'
            : 'No resource matches these filters.',
      },
    ],
    notes: [
      `${count(t.count)} live resources across ${count(facets.provider.length)} providers; costs are the price tables' monthly cost (730 hours) of each resource.`,
    ],
    generatedAt: d.now().toISOString(),
  };
};
