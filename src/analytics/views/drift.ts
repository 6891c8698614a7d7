import {
  baselineScopes,
  diffFingerprints,
  DRIFT_ATTRIBUTES,
  parseScopeText,
  type DriftChange,
  type Fingerprint,
} from '../../cloud/drift.ts';
import { sql } from '../../store/orm.ts';
import { allOf, link, type ViewContext } from './deps.ts';
import { inventoryToken } from './memo.ts';
import { asDate, count, when } from './format.ts';
import { resourceLink } from './inventory.ts';
import type { Figure, View } from './model.ts';
import { oneOf, pageOf, parseQuery, selectFilter, tableShape, type Page } from './query.ts';

/**
 * Drift: the live inventory against the newest baseline of a scope, with the meaning of
 * src/cloud/drift.ts (added, removed, and changed in the fingerprint's state, tags and drift
 * attributes). The comparison runs in SQL, one join of the baseline with the live rows, so the
 * counts and a page cost one statement at 100,000 resources; the page's "what changed" comes from
 * the capability's own `diffFingerprints`. Without a baseline, a note says none is recorded.
 */

const kinds = ['added', 'removed', 'changed'] as const;
type Kind = (typeof kinds)[number];
const driftSortKeys = ['kind', 'name', 'type', 'provider', 'region'] as const;
type DriftSort = (typeof driftSortKeys)[number];

/** A live row's fingerprint as `fingerprint()` builds it (absent and null attributes alike left out). */
const fingerprintOf = (row: string) => {
  const r = sql.raw(row);
  return sql`jsonb_strip_nulls(jsonb_build_object('state', ${r}.state, 'tags', ${r}.tags, ${sql.join(
    DRIFT_ATTRIBUTES.map((k) => sql`${k}::text, ${r}.attributes -> ${k}::text`),
    sql`, `,
  )}))`;
};

export interface DriftItemRow {
  kind: Kind;
  provider: string;
  account: string;
  id: string;
  name: string;
  type: string;
  region: string;
  changes: DriftChange[];
}

export interface DriftSummary {
  scope: string;
  baseline: { id: number; createdAt: Date; createdBy: string; count: number };
  counts: Record<Kind, number>;
  /** The asked page of items (none when the page's limit is 0). */
  items: DriftItemRow[];
  /** Items of the asked kind (all kinds when none). */
  total: number;
}

/** The scope shown when none is asked for: `all` when it has a baseline, else the first recorded. */
const defaultScope = (scopes: readonly string[]): string | undefined =>
  scopes.includes('all') ? 'all' : [...scopes].sort()[0];

type RawItem = Omit<DriftItemRow, 'changes'> & { before: Fingerprint | null; after: Fingerprint | null };
type Baseline = DriftSummary['baseline'];

/** Every drifted resource of a scope against its newest baseline: one join in SQL. */
const readDrift = async (d: ViewContext, scope: string): Promise<{ baseline: Baseline; items: RawItem[] } | null> => {
  const { rows: found } = await d.db.execute<{
    id: number;
    created_at: Date | string;
    created_by: string;
    count: number;
  }>(sql`
    select id, created_at, created_by, count from inventory_baselines where scope = ${scope}
    order by created_at desc, id desc limit 1`);
  const b = found[0];
  if (!b) return null;
  const s = parseScopeText(scope);
  const live = allOf([
    sql`l.gone_at is null`,
    s.provider !== undefined && sql`l.provider = ${s.provider}`,
    s.account !== undefined && sql`l.account = ${s.account}`,
    s.environment !== undefined && sql`l.environment = ${s.environment.toLowerCase()}`,
    s.type !== undefined && sql`l.type = ${s.type}`,
  ]);
  // The join compares a hash of each fingerprint (narrow rows: the hash table stays in memory at
  // 100,000 resources); only the drifted rows' fingerprints are read back, for "what changed".
  const { rows } = await d.db.execute<{ items: RawItem[] }>(sql`
    with l as (select l.provider, l.account, l.id, md5(${fingerprintOf('l')}::text) as h from resources l where ${live}),
      b as (select provider, account, id, md5(jsonb_strip_nulls(fingerprint)::text) as h
        from baseline_resources where baseline_id = ${b.id}),
      d as (select case when b.id is null then 'added' when l.id is null then 'removed' else 'changed' end as kind,
          coalesce(l.provider, b.provider) as provider, coalesce(l.account, b.account) as account,
          coalesce(l.id, b.id) as id
        from l full join b on l.provider = b.provider and l.account = b.account and l.id = b.id
        where b.id is null or l.id is null or b.h <> l.h)
    select coalesce(json_agg(x), '[]'::json) as items from (
      select d.kind, d.provider, d.account, d.id, coalesce(r.name, br.name) as name, coalesce(r.type, br.type) as type,
        coalesce(r.region, br.region) as region, jsonb_strip_nulls(br.fingerprint) as before,
        case when r.id is null then null else ${fingerprintOf('r')} end as after
      from d
      left join resources r on d.kind <> 'removed' and r.provider = d.provider and r.account = d.account and r.id = d.id
      left join baseline_resources br on br.baseline_id = ${b.id} and br.provider = d.provider
        and br.account = d.account and br.id = d.id) x`);
  return {
    baseline: { id: Number(b.id), createdAt: asDate(b.created_at)!, createdBy: b.created_by, count: Number(b.count) },
    items: rows[0]?.items ?? [],
  };
};

/**
 * Counts and a page of the drift of a scope (the default one), or null when no baseline is
 * recorded. The drifted resources are kept while no sync pass or baseline wrote (memo.ts); they
 * are a small share of the estate, so they are counted, sorted and paged here.
 */
export const driftSummary = async (
  d: ViewContext,
  scope: string | undefined,
  kind: Kind | undefined,
  page: Page<DriftSort>,
): Promise<DriftSummary | null> => {
  const scopes = await baselineScopes(d.db);
  const chosen = scope ?? defaultScope(scopes);
  if (chosen === undefined || !scopes.includes(chosen)) return null;
  const read = await d.memo.get(`drift:${chosen}`, await inventoryToken(d.db), () => readDrift(d, chosen));
  if (!read) return null;
  const counts = { added: 0, removed: 0, changed: 0 };
  for (const i of read.items) counts[i.kind]++;
  const sign = page.dir === 'asc' ? 1 : -1;
  const key = (i: RawItem): string => (page.sort === 'kind' ? String(kinds.indexOf(i.kind)) : i[page.sort]);
  const tie = (i: RawItem) => `${i.type}\u0000${i.name}\u0000${i.id}`;
  const items = read.items
    .filter((i) => !kind || i.kind === kind)
    .sort(
      (a, b) =>
        sign * (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0) || (tie(a) < tie(b) ? -1 : tie(a) > tie(b) ? 1 : 0),
    );
  return {
    scope: chosen,
    baseline: read.baseline,
    counts,
    items: items.slice(page.offset, page.offset + page.limit).map(({ before, after, ...i }) => ({
      ...i,
      changes: i.kind === 'changed' ? diffFingerprints(before ?? {}, after ?? {}) : [],
    })),
    total: items.length,
  };
};

const driftCount = (r: DriftSummary) => r.counts.added + r.counts.removed + r.counts.changed;

/** The overview's drift figure (the default scope's counts). */
export const driftFigure = (r: DriftSummary | null): Figure =>
  r
    ? {
        id: 'drift',
        label: 'Drift since the baseline',
        value: count(driftCount(r)),
        detail: `${count(r.counts.added)} added, ${count(r.counts.removed)} removed, ${count(r.counts.changed)} changed (${r.scope}, ${when(r.baseline.createdAt)})`,
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

const valueText = (v: unknown): string =>
  v === null || v === undefined ? '–' : typeof v === 'string' ? v : JSON.stringify(v);

/** The drift view. */
export const driftView = async (d: ViewContext, query: Record<string, string>): Promise<View> => {
  const scopes = (await baselineScopes(d.db)).sort();
  const q = parseQuery(
    'drift',
    { scope: oneOf(scopes).optional(), kind: oneOf(kinds).optional(), ...tableShape(driftSortKeys) },
    query,
  );
  const page = pageOf(q, { sort: 'kind', dir: 'asc' });
  const report = await driftSummary(d, q.scope, q.kind, page);
  return {
    name: 'drift',
    title: 'Drift',
    figures: report
      ? kinds.map((k) => ({
          id: k,
          label: k[0]!.toUpperCase() + k.slice(1),
          value: count(report.counts[k]),
          tone: report.counts[k] ? 'bad' : 'good',
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
            series: [{ name: 'Resources', values: kinds.map((k) => report.counts[k]) }],
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
        rows: (report?.items ?? []).map((i) => ({
          id: `${i.kind}:${i.provider}:${i.account}:${i.id}`,
          cells: {
            kind: { text: i.kind, link: link('drift', { scope: report!.scope, kind: i.kind }) },
            // A removed resource is no longer in the inventory: no link.
            name: i.kind === 'removed' ? { text: i.name || i.id } : { text: i.name || i.id, link: resourceLink(i) },
            type: { text: i.type },
            provider: { text: `${i.provider} ${i.account}` },
            region: { text: i.region },
            changes: {
              text: i.changes.map((c) => `${c.field}: ${valueText(c.before)} → ${valueText(c.after)}`).join('; '),
            },
          },
        })),
        paging: { offset: page.offset, limit: page.limit, total: report?.total ?? 0 },
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
          `Baseline of ${report.scope} recorded ${when(report.baseline.createdAt)} by ${report.baseline.createdBy} (${count(report.baseline.count)} resources); drift is what was added, removed or changed in state, tags, size, rules, replicas or images since.`,
        ]
      : [
          'No baseline recorded: an admin records one in chat with `baseline set` (or `baseline set env=prod` for one scope).',
        ],
    generatedAt: d.now().toISOString(),
  };
};
