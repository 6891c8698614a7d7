import { sql } from '../../store/orm.ts';
import { allOf, dirSql, link, type ViewContext, type Sql } from './deps.ts';
import { asDate, count, duration, when } from './format.ts';
import type { Figure, Table, View } from './model.ts';
import { checkKnown, oneOf, pageOf, parseQuery, selectFilter, tableShape, text, type Page } from './query.ts';

/**
 * The workspace's incidents (PagerDuty and Alertmanager, src/incidents/), with time to
 * acknowledge (TTA: opened → acknowledged) and time to resolve (TTR: opened → resolved), sorted,
 * filtered and paged in SQL. `status=open` means not resolved.
 */

const statuses = ['open', 'triggered', 'acknowledged', 'resolved'] as const;
const incidentSortKeys = ['opened', 'number', 'status', 'service', 'urgency', 'tta', 'ttr'] as const;
type IncidentSort = (typeof incidentSortKeys)[number];

const ttaSql = sql`(acknowledged_at - opened_at)`;
const ttrSql = sql`(resolved_at - opened_at)`;
const sortSql: Record<IncidentSort, Sql> = {
  opened: sql`opened_at`,
  number: sql`number`,
  status: sql`status`,
  service: sql`service`,
  urgency: sql`urgency`,
  tta: ttaSql,
  ttr: ttrSql,
};

type IncidentRow = {
  id: number;
  number: number;
  title: string;
  service: string;
  urgency: string;
  status: string;
  html_url: string | null;
  opened_at: Date | string;
  acknowledged_at: Date | string | null;
  resolved_at: Date | string | null;
};

export interface IncidentFilter {
  status?: (typeof statuses)[number] | undefined;
  service?: string | undefined;
  urgency?: string | undefined;
}

/** A page of the workspace's incidents and how many match. */
export const incidentPage = async (
  d: ViewContext,
  workspaceId: string,
  f: IncidentFilter,
  page: Page<IncidentSort>,
): Promise<{ rows: IncidentRow[]; total: number }> => {
  const where = allOf([
    sql`workspace_id = ${workspaceId}`,
    f.status === 'open' ? sql`status <> 'resolved'` : f.status !== undefined && sql`status = ${f.status}`,
    f.service !== undefined && sql`service = ${f.service}`,
    f.urgency !== undefined && sql`urgency = ${f.urgency}`,
  ]);
  const [{ rows }, { rows: n }] = await Promise.all([
    d.db.execute<IncidentRow>(sql`
      select id, number, title, service, urgency, status, html_url, opened_at, acknowledged_at, resolved_at
      from incidents where ${where}
      order by ${sortSql[page.sort]} ${dirSql(page.dir)} nulls last, opened_at desc, number desc
      limit ${page.limit} offset ${page.offset}`),
    d.db.execute<{ n: number }>(sql`select count(*)::int as n from incidents where ${where}`),
  ]);
  return { rows, total: Number(n[0]?.n ?? 0) };
};

const ms = (a: Date | string | null, b: Date | string | null): number | null => {
  const x = asDate(a);
  const y = asDate(b);
  return x && y ? y.getTime() - x.getTime() : null;
};

/** The incidents table (incidents view and overview). */
export const incidentsTable = (
  rows: IncidentRow[],
  extra: Pick<Table, 'paging' | 'sort' | 'filters' | 'more'>,
): Table => ({
  id: 'incidents',
  title: 'Incidents',
  columns: [
    { key: 'number', label: 'Incident', sortable: true },
    { key: 'title', label: 'Title', sortable: false },
    { key: 'service', label: 'Service', sortable: true },
    { key: 'urgency', label: 'Urgency', sortable: true },
    { key: 'status', label: 'Status', sortable: true },
    { key: 'opened', label: 'Opened', sortable: true },
    { key: 'tta', label: 'Time to acknowledge', sortable: true, align: 'end' },
    { key: 'ttr', label: 'Time to resolve', sortable: true, align: 'end' },
  ],
  rows: rows.map((r) => ({
    id: `INC-${r.number}`,
    cells: {
      number: { text: `INC-${r.number}`, ...(r.html_url ? { href: r.html_url } : {}) },
      title: { text: r.title },
      service: { text: r.service, link: link('incidents', { service: r.service }) },
      urgency: { text: r.urgency, link: link('incidents', { urgency: r.urgency }) },
      status: { text: r.status, link: link('incidents', { status: r.status }) },
      opened: { text: when(asDate(r.opened_at)) },
      tta: { text: duration(ms(r.opened_at, r.acknowledged_at)) },
      ttr: { text: duration(ms(r.opened_at, r.resolved_at)) },
    },
  })),
  ...extra,
  empty: 'No incident matches.',
});

/** Open incidents of the workspace (not resolved), and how many are high urgency. */
export const openIncidents = async (d: ViewContext, workspaceId: string): Promise<{ open: number; high: number }> => {
  const { rows } = await d.db.execute<{ open: number; high: number }>(sql`
    select count(*)::int as open, (count(*) filter (where urgency = 'high'))::int as high
    from incidents where workspace_id = ${workspaceId} and status <> 'resolved'`);
  return { open: Number(rows[0]?.open ?? 0), high: Number(rows[0]?.high ?? 0) };
};

/** The overview's open incidents figure. */
export const incidentFigure = (o: { open: number; high: number }): Figure => ({
  id: 'open-incidents',
  label: 'Open incidents',
  value: count(o.open),
  detail: `${count(o.high)} high urgency`,
  tone: o.high ? 'bad' : o.open ? 'neutral' : 'good',
  link: link('incidents', { status: 'open' }),
});

const incidentsShape = {
  status: oneOf(statuses).optional(),
  service: text().optional(),
  urgency: oneOf(['high', 'low']).optional(),
  ...tableShape(incidentSortKeys),
};

/** The incidents view. */
export const incidentsView = async (
  d: ViewContext,
  workspaceId: string,
  query: Record<string, string>,
): Promise<View> => {
  const q = parseQuery('incidents', incidentsShape, query);
  const now = d.now();
  const since = new Date(now.getTime() - 30 * 86_400_000);
  const [{ rows: services }, open, { rows: times }] = await Promise.all([
    d.db.execute<{ service: string; n: number; open: number }>(sql`
      select service, count(*)::int as n, (count(*) filter (where status <> 'resolved'))::int as open
      from incidents where workspace_id = ${workspaceId} group by service order by count(*) desc, service`),
    openIncidents(d, workspaceId),
    d.db.execute<{ tta: number | null; ttr: number | null; n: number }>(sql`
      select (percentile_cont(0.5) within group (order by extract(epoch from ${ttaSql})) * 1000)::float8 as tta,
        (percentile_cont(0.5) within group (order by extract(epoch from ${ttrSql})) * 1000)::float8 as ttr,
        count(*)::int as n
      from incidents where workspace_id = ${workspaceId} and opened_at >= ${since.toISOString()}::timestamptz`),
  ]);
  checkKnown('incidents', 'service', q.service, services.map((s) => s.service).sort());
  const page = pageOf(q, { sort: 'opened', dir: 'desc' });
  const { rows, total } = await incidentPage(d, workspaceId, q, page);
  const t = times[0];
  const month = Number(t?.n ?? 0);
  return {
    name: 'incidents',
    title: 'Incidents',
    figures: [
      incidentFigure(open),
      {
        id: 'tta',
        label: 'Median time to acknowledge',
        value: duration(t?.tta ?? null),
        detail: `incidents opened in the last 30 days (${count(month)})`,
        tone: 'neutral',
        link: link('incidents', { sort: 'tta', dir: 'desc' }),
      },
      {
        id: 'ttr',
        label: 'Median time to resolve',
        value: duration(t?.ttr ?? null),
        detail: `incidents opened in the last 30 days (${count(month)})`,
        tone: 'neutral',
        link: link('incidents', { status: 'resolved', sort: 'ttr', dir: 'desc' }),
      },
    ],
    charts: [
      {
        id: 'by-service',
        title: 'Incidents by service',
        kind: 'bar',
        categories: services.slice(0, 12).map((s) => s.service),
        series: [
          { name: 'Open', values: services.slice(0, 12).map((s) => Number(s.open)) },
          { name: 'All', values: services.slice(0, 12).map((s) => Number(s.n)) },
        ],
        unit: 'incidents',
        links: services.slice(0, 12).map((s) => link('incidents', { service: s.service })),
      },
    ],
    tables: [
      incidentsTable(rows, {
        paging: { offset: page.offset, limit: page.limit, total },
        sort: { key: page.sort, dir: page.dir },
        filters: [
          selectFilter('status', 'Status', q.status, statuses),
          selectFilter('service', 'Service', q.service, services.map((s) => s.service).sort()),
          selectFilter('urgency', 'Urgency', q.urgency, ['high', 'low']),
        ],
      }),
    ],
    notes: [
      'Time to acknowledge runs from when the incident opened to its first acknowledgement; time to resolve, to its resolution. Medians cover incidents opened in the last 30 days that got there.',
    ],
    generatedAt: now.toISOString(),
  };
};
