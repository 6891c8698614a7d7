import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../src/config.ts';
import { createHttpServer } from '../../src/http/server.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { createDashboard, type DashboardDeps, type StreamLive } from '../../src/surfaces/dashboard/dashboard.ts';
import type { Actor, Role } from '../../src/chat/actor.ts';
import type { ChangeService } from '../../src/changes/service.ts';
import { CONSOLE_USERS } from '../../src/users/repository.ts';
import { badRequest } from '../../src/errors.ts';
import { HttpError } from '../../src/http/errors.ts';
import type { HttpRequest, Route } from '../../src/http/route.ts';
import type {
  Chart,
  Column,
  DashboardData,
  Figure,
  Row,
  Table,
  View,
  ViewName,
  Viewer,
  WebAuth,
  WebSession,
} from '../../src/surfaces/dashboard/ports.ts';
import { viewNames } from '../../src/surfaces/dashboard/ports.ts';
import type { LiveBus, LiveEvent } from '../../src/util/live.ts';

/**
 * Test implementations of the dashboard's own ports (DashboardData, WebAuth, and the live stream's
 * contract), for the surface's tests until the real ones are wired: fixture views that sort,
 * filter, page and refuse nonsense like the real views must, the approvals read from the real
 * change service, and sessions held in memory behind a cookie.
 */

// ---- the console's people (alice operator, bob approver, carol admin, dave viewer)

export const consoleActor = (user: string): Actor => {
  const u = CONSOLE_USERS.find((c) => c.userId === user);
  if (!u) throw new Error(`no console user ${user}`);
  return { surface: u.surface, workspaceId: u.workspaceId, userId: u.userId, displayName: u.displayName };
};
export const roleOf = (user: string): Role => {
  const u = CONSOLE_USERS.find((c) => c.userId === user);
  if (!u) throw new Error(`no console user ${user}`);
  return u.role;
};

/** The one change request id among an engine's replies. */
export const changeIdOf = (replies: { changeId?: string; text: string }[]): string => {
  const ids = replies.flatMap((r) => (r.changeId ? [r.changeId] : []));
  if (ids.length !== 1)
    throw new Error(`expected one change request, got ${JSON.stringify(replies.map((r) => r.text))}`);
  return ids[0]!;
};

// ---- sign-in: sessions in memory, by cookie

export const sessionCookieName = 'dash_test_session';

export interface FixtureAuth extends WebAuth {
  /** A session for `actor` with `role`; returns its cookie value. */
  signIn(actor: Actor, role: Role): WebSession;
  /** Ends a session as an expiry would. */
  expire(id: string): void;
}

export const fixtureAuth = (origin: () => string): FixtureAuth => {
  const sessions = new Map<string, WebSession>();
  const cookieOf = (req: HttpRequest): string | undefined =>
    (req.headers.cookie ?? '')
      .split(';')
      .map((c) => c.trim())
      .find((c) => c.startsWith(`${sessionCookieName}=`))
      ?.slice(sessionCookieName.length + 1);
  const routes: Route[] = [
    {
      // What the real sign-in page is to these tests: a page that says where it would return to.
      method: 'GET',
      path: '/auth/sign-in',
      handle: (req) => ({
        status: 200,
        headers: { 'content-type': 'text/html; charset=utf-8' },
        body: `<!doctype html><html lang="en"><title>Sign in</title><main><h1>Sign in</h1><p id="next">${(req.url.searchParams.get('next') ?? '').replace(/&/g, '&amp;').replace(/</g, '&lt;')}</p></main></html>`,
      }),
    },
  ];
  return {
    routes,
    session: async (req) => {
      const id = cookieOf(req);
      return id ? (sessions.get(id) ?? null) : null;
    },
    requireCsrf: (req, session) => {
      const token = req.headers['x-csrf-token'];
      if (typeof token !== 'string' || token !== session.csrfToken)
        throw new HttpError(403, 'This action needs the page’s CSRF token: reload the page and try again.');
      const from = req.headers.origin;
      if (from !== undefined && from !== origin()) throw new HttpError(403, 'This action must come from this site.');
    },
    signInPath: (next) => `/auth/sign-in?next=${encodeURIComponent(next)}`,
    signIn: (actor, role) => {
      const session: WebSession = {
        id: randomBytes(12).toString('hex'),
        viewer: { actor, role },
        csrfToken: randomBytes(16).toString('hex'),
        via: 'console',
        expiresAt: new Date(Date.now() + 3_600_000),
      };
      sessions.set(session.id, session);
      return session;
    },
    expire: (id) => {
      sessions.delete(id);
    },
  };
};

// ---- live notices: an in-memory bus and a server-sent-events writer with streamLive's contract

export const memoryBus = (): LiveBus & { clients(): number } => {
  const listeners = new Set<(e: LiveEvent) => void>();
  return {
    publish: (e) => {
      for (const l of listeners) l(e);
    },
    subscribe: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    close: async () => listeners.clear(),
    clients: () => listeners.size,
  };
};

/** Writes `ready`, then `event: <kind>` / `data: <json>` per accepted event, as src/http/sse.ts will. */
export const testStreamLive = (
  req: HttpRequest,
  bus: Pick<LiveBus, 'subscribe'>,
  accept: (e: LiveEvent) => boolean,
): null => {
  const res = req.raw.res;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
  res.write('event: ready\ndata: {}\n\n');
  const off = bus.subscribe((e) => {
    if (accept(e)) res.write(`event: ${e.kind}\ndata: ${JSON.stringify(e)}\n\n`);
  });
  req.raw.req.once('close', off);
  return null;
};

// ---- the views

/** What the fixture data was asked for, newest last: the tests check the queries links produce. */
export interface FixtureData extends DashboardData {
  calls: { name: ViewName; query: Record<string, string> }[];
}

const providers = ['aws', 'azure', 'gcp'] as const;
const environments = ['prod', 'staging', 'dev'] as const;
const services = ['ec2', 'rds', 's3', 'vm', 'gke'] as const;

export const fixtureResources = Array.from({ length: 120 }, (_, i) => ({
  id: `r-${String(i + 1).padStart(3, '0')}`,
  name: `${['web', 'db', 'cache', 'batch'][i % 4]}-${environments[i % 3]}-${i + 1}`,
  provider: providers[i % 3]!,
  environment: environments[Math.floor(i / 3) % 3]!,
  service: services[i % 5]!,
  monthlyCost: Math.round(((i * 37) % 500) * 100 + 1999) / 100,
}));

const usd = (n: number): string =>
  `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

const col = (key: string, label: string, sortable = false, align: Column['align'] = 'start'): Column => ({
  key,
  label,
  sortable,
  align,
});

/** The query of a view's main table, checked like the real views must: unknown names and nonsense values are refused. */
const mainQuery = (
  query: Record<string, string>,
  spec: { sortable: string[]; defaultSort: string; filters: Record<string, readonly string[] | 'text'> },
) => {
  for (const name of Object.keys(query))
    if (!['sort', 'dir', 'offset', 'limit', ...Object.keys(spec.filters)].includes(name))
      throw badRequest(
        `Unknown parameter “${name}”: this view accepts sort, dir, offset, limit, ${Object.keys(spec.filters).join(', ')}.`,
      );
  const sort = query.sort ?? spec.defaultSort;
  if (!spec.sortable.includes(sort))
    throw badRequest(`sort: “${sort}” is not a column; use one of ${spec.sortable.join(', ')}.`);
  const dir = query.dir ?? 'asc';
  if (dir !== 'asc' && dir !== 'desc') throw badRequest(`dir: “${dir}” is not asc or desc.`);
  const offset = Number(query.offset ?? '0');
  if (!Number.isInteger(offset) || offset < 0) throw badRequest(`offset: “${query.offset}” is not a whole number ≥ 0.`);
  const limit = Number(query.limit ?? '25');
  if (!Number.isInteger(limit) || limit < 1 || limit > 100)
    throw badRequest(`limit: “${query.limit}” is not a whole number from 1 to 100.`);
  const filters: Record<string, string> = {};
  for (const [name, allowed] of Object.entries(spec.filters)) {
    const v = query[name] ?? '';
    if (v && allowed !== 'text' && !allowed.includes(v))
      throw badRequest(`${name}: “${v}” is not known; use one of ${allowed.join(', ')}.`);
    filters[name] = v;
  }
  return { sort, dir: dir as 'asc' | 'desc', offset, limit, filters };
};

const figure = (id: string, label: string, value: string, extra: Partial<Figure> = {}): Figure => ({
  id,
  label,
  value,
  ...extra,
});

const months = ['Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov'];

const costChart: Chart = {
  id: 'monthly-cost',
  title: 'Monthly cost',
  kind: 'line',
  categories: months,
  unit: 'USD',
  series: [
    { name: 'Spend', values: [10120, 10870, 11240, 11900, 12340.5, null], style: 'actual' },
    { name: 'Spend', values: [null, null, null, null, 12340.5, 13100], style: 'forecast' },
  ],
};

const byProviderChart = (counts: Record<string, number>): Chart => ({
  id: 'by-provider',
  title: 'Resources by provider',
  kind: 'pie',
  categories: Object.keys(counts),
  series: [{ name: 'Resources', values: Object.values(counts) }],
  unit: 'resources',
  links: Object.keys(counts).map((p) => ({ view: 'inventory', query: { provider: p } })),
});

const simpleTable = (id: string, title: string, columns: Column[], rows: Row[], empty = 'Nothing here.'): Table => ({
  id,
  title,
  columns,
  rows,
  empty,
});

const row = (id: string, cells: Record<string, string>): Row => ({
  id,
  cells: Object.fromEntries(Object.entries(cells).map(([k, text]) => [k, { text }])),
});

/** Who may decide a pending change, as the default policy says (approver or admin, not its requester); the engine decides for real. */
const mayDecide = (viewer: Viewer): boolean => viewer.role === 'approver' || viewer.role === 'admin';

export const fixtureData = (deps: { changes: Pick<ChangeService, 'list'>; now?: () => Date }): FixtureData => {
  const calls: FixtureData['calls'] = [];
  const now = deps.now ?? (() => new Date('2026-11-20T10:00:00Z'));
  const base = (name: ViewName, title: string, parts: Partial<View> = {}): View => ({
    name,
    title,
    figures: [],
    charts: [],
    tables: [],
    notes: [],
    generatedAt: now().toISOString(),
    ...parts,
  });

  const pendingRows = async (viewer: Viewer): Promise<Row[]> => {
    const pending = (await deps.changes.list({ status: 'pending' })).filter(
      (c) => c.workspaceId === viewer.actor.workspaceId,
    );
    return pending.map((c) => ({
      id: c.id,
      cells: {
        id: { text: c.id, link: { view: 'changes', query: { id: c.id } } },
        summary: { text: c.plan.summary },
        requester: { text: c.requester.displayName },
        policy: { text: c.policy.rule },
      },
      ...(mayDecide(viewer) &&
      c.requesterKey !== `${viewer.actor.surface}:${viewer.actor.workspaceId}:${viewer.actor.userId}`
        ? {
            actions: [
              { kind: 'approve' as const, changeId: c.id, label: 'Approve' },
              { kind: 'reject' as const, changeId: c.id, label: 'Reject' },
            ],
          }
        : {}),
    }));
  };

  const inventory = (query: Record<string, string>): View => {
    const q = mainQuery(query, {
      sortable: ['name', 'provider', 'environment', 'cost'],
      defaultSort: 'name',
      filters: { provider: providers, environment: environments, name: 'text' },
    });
    const key = (r: (typeof fixtureResources)[number]) =>
      q.sort === 'cost' ? r.monthlyCost : q.sort === 'name' ? r.name : r[q.sort as 'provider' | 'environment'];
    const matching = fixtureResources
      .filter(
        (r) =>
          (!q.filters.provider || r.provider === q.filters.provider) &&
          (!q.filters.environment || r.environment === q.filters.environment),
      )
      .filter((r) => !q.filters.name || r.name.includes(q.filters.name))
      .sort((a, b) => {
        const x = key(a);
        const y = key(b);
        const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
        return q.dir === 'asc' ? c : -c;
      });
    const counts = Object.fromEntries(
      providers.map((p) => [p, fixtureResources.filter((r) => r.provider === p).length]),
    );
    return base('inventory', 'Inventory', {
      notes: ['Every resource of every connected account, as last synced.'],
      figures: [figure('resources', 'Resources', String(matching.length), { link: { view: 'inventory' } })],
      charts: [byProviderChart(counts)],
      tables: [
        {
          id: 'resources',
          title: 'Resources',
          columns: [
            col('name', 'Name', true),
            col('provider', 'Provider', true),
            col('environment', 'Environment', true),
            col('service', 'Service'),
            col('cost', 'Monthly cost', true, 'end'),
          ],
          rows: matching.slice(q.offset, q.offset + q.limit).map((r) => ({
            id: r.id,
            cells: {
              name: { text: r.name, href: `https://console.example.com/${r.provider}/${r.id}` },
              provider: { text: r.provider, link: { view: 'inventory', query: { provider: r.provider } } },
              environment: { text: r.environment },
              service: { text: r.service },
              cost: { text: usd(r.monthlyCost) },
            },
          })),
          paging: { offset: q.offset, limit: q.limit, total: matching.length },
          sort: { key: q.sort, dir: q.dir },
          filters: [
            {
              name: 'provider',
              label: 'Provider',
              kind: 'select',
              options: providers.map((p) => ({ value: p, label: p.toUpperCase() })),
              value: q.filters.provider ?? '',
            },
            {
              name: 'environment',
              label: 'Environment',
              kind: 'select',
              options: environments.map((e) => ({ value: e, label: e })),
              value: q.filters.environment ?? '',
            },
            { name: 'name', label: 'Name contains', kind: 'text', value: q.filters.name ?? '' },
          ],
          empty: 'No resource matches these filters.',
        },
      ],
    });
  };

  const views: Record<ViewName, (viewer: Viewer, query: Record<string, string>) => Promise<View> | View> = {
    overview: async (viewer) => {
      const pending = await pendingRows(viewer);
      return base('overview', 'Overview', {
        figures: [
          figure('resources', 'Resources', String(fixtureResources.length), { link: { view: 'inventory' } }),
          figure('cost', 'Cost this month', usd(12340.5), {
            detail: 'forecast $13,100.00 by 30 Nov',
            tone: 'neutral',
            link: { view: 'costs' },
          }),
          figure('findings', 'Open findings', '14', {
            tone: 'bad',
            detail: 'savings $1,204.00/month',
            link: { view: 'findings' },
          }),
          figure('compliance', 'CIS AWS score', '87 %', { tone: 'good', link: { view: 'compliance' } }),
          figure('approvals', 'Waiting for approval', String(pending.length), { link: { view: 'approvals' } }),
        ],
        charts: [costChart],
        tables: [
          {
            ...simpleTable(
              'pending',
              'Pending approvals',
              [col('id', 'Change'), col('summary', 'What'), col('requester', 'Asked by'), col('policy', 'Policy rule')],
              pending.slice(0, 5),
              'Nothing waits for approval.',
            ),
            more: { view: 'approvals' },
          },
        ],
      });
    },
    inventory: (_viewer, query) => inventory(query),
    costs: () =>
      base('costs', 'Costs', {
        figures: [figure('month', 'This month so far', usd(12340.5), { detail: '+3.7 % on last month', tone: 'bad' })],
        charts: [
          costChart,
          {
            id: 'by-service',
            title: 'Cost by service',
            kind: 'bar',
            categories: ['ec2', 'rds', 's3'],
            unit: 'USD',
            series: [
              { name: 'October', values: [6200, 3900, 980] },
              { name: 'November', values: [6500, 4100, 1010] },
            ],
            links: ['ec2', 'rds', 's3'].map(() => ({ view: 'inventory' as const, query: { provider: 'aws' } })),
          },
        ],
      }),
    findings: () =>
      base('findings', 'Findings', {
        figures: [
          figure('open', 'Open findings', '14', { tone: 'bad' }),
          figure('savings', 'Possible savings', usd(1204)),
        ],
        tables: [
          simpleTable(
            'open-findings',
            'Open findings',
            [col('rule', 'Rule'), col('resource', 'Resource'), col('severity', 'Severity')],
            [
              row('f1', { rule: 'S3 bucket public', resource: 'logs-prod', severity: 'high' }),
              row('f2', { rule: 'Idle instance', resource: 'batch-dev-4', severity: 'low' }),
            ],
          ),
        ],
      }),
    compliance: () =>
      base('compliance', 'Compliance', {
        charts: [
          {
            id: 'scores',
            title: 'Score per framework',
            kind: 'bar',
            categories: ['CIS AWS', 'SOC 2', 'ISO 27001'],
            unit: '%',
            series: [{ name: 'Score', values: [87, 74, 91] }],
            links: [{ view: 'findings', query: { framework: 'cis-aws' } }, null, null],
          },
        ],
      }),
    drift: () =>
      base('drift', 'Drift', {
        notes: ['Compared with the baseline of 1 Nov.'],
        tables: [
          simpleTable(
            'drifted',
            'Changed since the baseline',
            [col('resource', 'Resource'), col('field', 'Field'), col('change', 'Change')],
            [row('d1', { resource: 'web-prod-1', field: 'instance type', change: 't3.small → t3.large' })],
          ),
        ],
      }),
    approvals: async (viewer) =>
      base('approvals', 'Approvals', {
        tables: [
          simpleTable(
            'pending',
            'Waiting for approval',
            [col('id', 'Change'), col('summary', 'What'), col('requester', 'Asked by'), col('policy', 'Policy rule')],
            await pendingRows(viewer),
            'Nothing waits for approval.',
          ),
        ],
      }),
    changes: () =>
      base('changes', 'Recent changes', {
        tables: [
          simpleTable(
            'recent',
            'Recent changes',
            [col('id', 'Change'), col('status', 'Status')],
            [],
            'No changes yet.',
          ),
        ],
      }),
    incidents: () =>
      base('incidents', 'Incidents', {
        tables: [
          simpleTable(
            'open',
            'Incidents',
            [col('title', 'Title'), col('status', 'Status')],
            [row('i1', { title: 'Checkout latency', status: 'resolved' })],
          ),
        ],
      }),
    analytics: () =>
      base('analytics', 'Team analytics', {
        charts: [
          {
            id: 'deploys',
            title: 'Deployments per month',
            kind: 'bar',
            categories: months,
            unit: 'deployments',
            series: [
              { name: 'Platform', values: [12, 15, 11, 18, 20, 9] },
              { name: 'Payments', values: [5, 7, 6, 9, 8, 4] },
            ],
          },
        ],
      }),
  };

  return {
    calls,
    view: async (viewer, name, query) => {
      if (!viewNames.includes(name)) throw badRequest(`no view ${name}`);
      calls.push({ name, query });
      return views[name](viewer, query);
    },
  };
};

// ---- a server with the dashboard over these ports, beside a real app

export interface DashboardServer {
  url: string;
  auth: FixtureAuth;
  data: FixtureData;
  bus: ReturnType<typeof memoryBus>;
  close(): Promise<void>;
}

export interface UseDashboardServerOptions {
  /** Serve live notices (default true); without them the page polls every `pollMs`. */
  live?: boolean;
  /** The stream instead of testStreamLive (one that refuses, to see the page fall back to polling). */
  stream?: StreamLive;
  pollMs?: number;
}

/** The dashboard on its own server: the real app's engine and changes, the test ports for views, sign-in and live notices. */
export const startDashboardServer = async (
  app: { engine: DashboardDeps['engine']; changes: Pick<ChangeService, 'list'> },
  opts: UseDashboardServerOptions = {},
): Promise<DashboardServer> => {
  let url = '';
  const auth = fixtureAuth(() => url);
  const data = fixtureData({ changes: app.changes });
  const bus = memoryBus();
  const dashboard = createDashboard({
    data,
    auth,
    engine: app.engine,
    ...(opts.live === false ? {} : { live: { bus, stream: opts.stream ?? testStreamLive } }),
    ...(opts.pollMs !== undefined ? { pollMs: opts.pollMs } : {}),
  });
  const server = createHttpServer({
    config: loadConfig({ PORT: '0', HOST: '127.0.0.1', CONSOLE_ENABLED: 'false' }),
    logger: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
    metrics: createMetrics(),
    ready: async () => undefined,
    routes: [...auth.routes, ...dashboard.routes],
    closeGraceMs: 100,
  });
  const { port } = await server.listen();
  url = `http://127.0.0.1:${port}`;
  return { url, auth, data, bus, close: () => server.close() };
};
