import { actorKey, type Actor } from '../../chat/actor.ts';
import { AppliedPolicy, ChangeStatus } from '../../changes/model.ts';
import { approvalBlocker } from '../../changes/policy.ts';
import { sql } from '../../store/orm.ts';
import { allOf, dirSql, link, type ViewContext, type Sql } from './deps.ts';
import { asDate, count, duration, money, when } from './format.ts';
import type { Column, Row, RowAction, Table, View, Viewer } from './model.ts';
import { checkKnown, oneOf, pageOf, parseQuery, selectFilter, tableShape, text, type Page } from './query.ts';

/**
 * The workspace's change requests: pending ones with Approve and Reject for a viewer who may
 * decide them (the same `approvalBlocker` the change service enforces), recent ones with their
 * outcome, and workflow runs. Only the viewer's workspace; sorted, filtered and paged in SQL.
 */

type ChangeRow = {
  id: string;
  status: string;
  action: string;
  resource_name: string;
  environment: string;
  summary: string;
  requester: Actor;
  requester_key: string;
  policy: Record<string, unknown>;
  approvals_required: number;
  approved: number;
  decided_by_me: boolean;
  cost_delta_cents: number;
  template: string | null;
  created_at: Date | string;
  expires_at: Date | string | null;
  finished_at: Date | string | null;
  error: string | null;
};

export const changeSortKeys = ['created', 'id', 'status', 'action', 'environment', 'requester', 'resource'] as const;
/** What the SQL can order by: the changes view's keys and the approvals view's `expires`. */
export type ChangeSort = (typeof changeSortKeys)[number] | 'expires';

const sortSql: Record<Exclude<ChangeSort, 'id'>, Sql> = {
  created: sql`c.created_at`,
  status: sql`c.status`,
  action: sql`c.action`,
  environment: sql`c.environment`,
  requester: sql`c.requester ->> 'displayName'`,
  resource: sql`c.resource_name`,
  expires: sql`c.expires_at`,
};

export interface ChangeFilter {
  status?: string[] | undefined;
  requester?: string | undefined;
  environment?: string | undefined;
  action?: string | undefined;
}

/** A page of the workspace's change requests, with approvals so far and whether `viewerKey` decided each. */
export const changePage = async (
  d: ViewContext,
  workspaceId: string,
  viewerKey: string,
  f: ChangeFilter,
  page: Page<ChangeSort>,
): Promise<{ rows: ChangeRow[]; total: number }> => {
  const where = allOf([
    sql`c.workspace_id = ${workspaceId}`,
    f.status !== undefined && sql`c.status in (select json_array_elements_text(${JSON.stringify(f.status)}::json))`,
    f.requester !== undefined && sql`c.requester_key = ${f.requester}`,
    f.environment !== undefined && sql`c.environment = ${f.environment}`,
    f.action !== undefined && sql`c.action = ${f.action}`,
  ]);
  const dir = dirSql(page.dir);
  // Ids are `CR-<n>`: their numeric order is by length first.
  const order =
    page.sort === 'id'
      ? sql`length(c.id) ${dir}, c.id ${dir}`
      : sql`${sortSql[page.sort]} ${dir}, c.created_at desc, length(c.id) desc, c.id desc`;
  const [{ rows }, { rows: n }] = await Promise.all([
    d.db.execute<ChangeRow>(sql`
      select c.id, c.status, c.action, c.resource_name, c.environment, c.summary, c.requester, c.requester_key,
        c.policy, c.approvals_required, c.cost_delta_cents, c.workflow ->> 'template' as template,
        c.created_at, c.expires_at, c.finished_at, c.error,
        (select count(*)::int from approvals a where a.change_id = c.id and a.decision = 'approved') as approved,
        exists (select 1 from approvals a where a.change_id = c.id and a.approver_key = ${viewerKey}) as decided_by_me
      from change_requests c where ${where}
      order by ${order}
      limit ${page.limit} offset ${page.offset}`),
    d.db.execute<{ n: number }>(sql`select count(*)::int as n from change_requests c where ${where}`),
  ]);
  return { rows, total: Number(n[0]?.n ?? 0) };
};

const rolesText = (p: AppliedPolicy): string =>
  [...p.approverRoles.map((r) => `${r} role`), ...(p.approverGroups ?? []).map((g) => `the ${g.name} group`)].join(
    ' or ',
  );

/**
 * Whether the viewer may decide a pending request now: the actions when they may, else why not
 * (their own request, a role or group the rule wants, already decided by them, expired).
 */
export const decision = (
  r: Pick<ChangeRow, 'id' | 'requester_key' | 'policy' | 'decided_by_me' | 'expires_at'>,
  viewer: Viewer,
  now: Date,
): { actions: RowAction[] } | { why: string } => {
  const policy = AppliedPolicy.parse(r.policy);
  const blocker = approvalBlocker({ requesterKey: r.requester_key, policy }, viewer.actor, viewer.role);
  if (blocker === 'own') return { why: 'your own request: someone else approves it' };
  if (blocker === 'role') return { why: `needs the ${rolesText(policy)}` };
  if (r.decided_by_me) return { why: 'you decided it already' };
  const expires = asDate(r.expires_at);
  if (expires && expires <= now) return { why: 'its approval window has closed' };
  return {
    actions: [
      { kind: 'approve', changeId: r.id, label: `Approve ${r.id}` },
      { kind: 'reject', changeId: r.id, label: `Reject ${r.id}` },
    ],
  };
};

/** The cells every change table shares. */
const changeCells = (r: ChangeRow): Row['cells'] => ({
  id: { text: r.id },
  summary: { text: r.template ? `${r.summary} (workflow ${r.template})` : r.summary },
  resource: { text: r.resource_name },
  action: { text: r.action, link: link('changes', { action: r.action }) },
  environment: { text: r.environment, link: link('changes', { environment: r.environment }) },
  requester: { text: r.requester.displayName, link: link('changes', { requester: r.requester_key }) },
  status: { text: r.status, link: link('changes', { status: r.status }) },
  created: { text: when(asDate(r.created_at)) },
  cost: { text: Number(r.cost_delta_cents) ? `${money(Number(r.cost_delta_cents))}/mo` : '–' },
});

const col = (key: string, label: string, sortable: boolean, align?: 'end'): Column => ({
  key,
  label,
  sortable,
  ...(align ? { align } : {}),
});

/** The pending requests table (approvals view and overview). */
export const approvalsTable = (
  rows: ChangeRow[],
  viewer: Viewer,
  now: Date,
  extra: Pick<Table, 'paging' | 'sort' | 'filters' | 'more'>,
): Table => ({
  id: 'approvals',
  title: 'Pending approvals',
  columns: [
    col('id', 'Request', true),
    col('summary', 'Change', false),
    col('environment', 'Environment', true),
    col('requester', 'Requested by', true),
    col('approvals', 'Approvals', false, 'end'),
    col('created', 'Requested', true),
    col('expires', 'Expires', true),
    col('decide', 'Your decision', false),
  ],
  rows: rows.map((r) => {
    const dec = decision(r, viewer, now);
    return {
      id: r.id,
      cells: {
        ...changeCells(r),
        approvals: { text: `${count(Number(r.approved))} of ${count(r.approvals_required)}` },
        expires: { text: when(asDate(r.expires_at)) },
        decide: { text: 'actions' in dec ? 'you may approve or reject' : dec.why },
      },
      ...('actions' in dec ? { actions: dec.actions } : {}),
    };
  }),
  ...extra,
  empty: 'Nothing waits for approval.',
});

/** The recent changes table (changes view and overview). */
export const changesTable = (rows: ChangeRow[], extra: Pick<Table, 'paging' | 'sort' | 'filters' | 'more'>): Table => ({
  id: 'changes',
  title: 'Change requests',
  columns: [
    col('id', 'Request', true),
    col('summary', 'Change', false),
    col('action', 'Action', true),
    col('environment', 'Environment', true),
    col('requester', 'Requested by', true),
    col('status', 'Status', true),
    col('created', 'Requested', true),
    col('cost', 'Cost change', false, 'end'),
  ],
  rows: rows.map((r) => ({
    id: r.id,
    cells: {
      ...changeCells(r),
      status: { text: r.error ? `${r.status}: ${r.error}` : r.status, link: link('changes', { status: r.status }) },
    },
  })),
  ...extra,
  empty: 'No change request matches.',
});

/** Pending requests of the workspace, oldest first. */
export const pendingPage = (
  d: ViewContext,
  workspaceId: string,
  viewer: Viewer,
  page: Page<ChangeSort>,
  f: ChangeFilter = {},
) => changePage(d, workspaceId, actorKey(viewer.actor), { ...f, status: ['pending'] }, page);

/** Distinct requesters, environments and actions of the workspace's requests (filter choices). */
const changeFacets = async (d: ViewContext, workspaceId: string, status?: string) => {
  const { rows } = await d.db.execute<{ kind: string; value: string; label: string }>(sql`
    select distinct 'requester' as kind, requester_key as value, requester ->> 'displayName' as label
      from change_requests where workspace_id = ${workspaceId} ${status ? sql`and status = ${status}` : sql``}
    union select distinct 'environment', environment, environment
      from change_requests where workspace_id = ${workspaceId} ${status ? sql`and status = ${status}` : sql``}
    union select distinct 'action', action, action
      from change_requests where workspace_id = ${workspaceId} ${status ? sql`and status = ${status}` : sql``}`);
  const of = (kind: string) =>
    rows
      .filter((r) => r.kind === kind)
      .map((r) => ({ value: r.value, label: r.label }))
      .sort((a, b) => a.label.localeCompare(b.label) || a.value.localeCompare(b.value));
  return { requester: of('requester'), environment: of('environment'), action: of('action') };
};

const approvalSortKeys = ['created', 'id', 'environment', 'requester', 'expires'] as const;

/** The approvals view: what waits for a decision, and whether this viewer may give it. */
export const approvalsView = async (d: ViewContext, viewer: Viewer, query: Record<string, string>): Promise<View> => {
  const ws = viewer.actor.workspaceId;
  const q = parseQuery(
    'approvals',
    { environment: text().optional(), requester: text().optional(), ...tableShape(approvalSortKeys) },
    query,
  );
  const facets = await changeFacets(d, ws, 'pending');
  checkKnown(
    'approvals',
    'environment',
    q.environment,
    facets.environment.map((o) => o.value),
  );
  checkKnown(
    'approvals',
    'requester',
    q.requester,
    facets.requester.map((o) => o.value),
  );
  const page = pageOf<ChangeSort>(q, { sort: 'created', dir: 'asc' });
  const now = d.now();
  const { rows, total } = await pendingPage(d, ws, viewer, page, {
    environment: q.environment,
    requester: q.requester,
  });
  const table = approvalsTable(rows, viewer, now, {
    paging: { offset: page.offset, limit: page.limit, total },
    sort: { key: page.sort, dir: page.dir },
    filters: [
      selectFilter('environment', 'Environment', q.environment, facets.environment),
      selectFilter('requester', 'Requested by', q.requester, facets.requester),
    ],
  });
  const mine = table.rows.filter((r) => r.actions?.length).length;
  return {
    name: 'approvals',
    title: 'Approvals',
    figures: [
      {
        id: 'pending',
        label: 'Pending approvals',
        value: count(total),
        tone: total ? 'neutral' : 'good',
        link: link('approvals'),
      },
      {
        id: 'yours',
        label: 'You may decide (this page)',
        value: count(mine),
        detail: `as ${viewer.actor.displayName}, ${viewer.role}`,
        tone: 'neutral',
        link: link('approvals'),
      },
    ],
    charts: [],
    tables: [table],
    notes: [
      'Approve and Reject appear only on requests you may decide: not your own, and only with a role or group the request’s policy rule names. Freezes and approval windows are checked again when you decide.',
    ],
    generatedAt: now.toISOString(),
  };
};

const changesShape = {
  status: oneOf(ChangeStatus.options).optional(),
  requester: text().optional(),
  environment: text().optional(),
  action: text().optional(),
  ...tableShape(changeSortKeys),
};

type RunRow = {
  id: string;
  status: string;
  template: string | null;
  steps: number;
  done: number;
  requester: Actor;
  created_at: Date | string;
  started_at: Date | string | null;
  finished_at: Date | string | null;
};

/** The changes view: the workspace's requests (filtered, sorted, paged) and its recent workflow runs. */
export const changesView = async (d: ViewContext, viewer: Viewer, query: Record<string, string>): Promise<View> => {
  const ws = viewer.actor.workspaceId;
  const q = parseQuery('changes', changesShape, query);
  const facets = await changeFacets(d, ws);
  checkKnown(
    'changes',
    'requester',
    q.requester,
    facets.requester.map((o) => o.value),
  );
  checkKnown(
    'changes',
    'environment',
    q.environment,
    facets.environment.map((o) => o.value),
  );
  checkKnown(
    'changes',
    'action',
    q.action,
    facets.action.map((o) => o.value),
  );
  const page = pageOf<ChangeSort>(q, { sort: 'created', dir: 'desc' });
  const [{ rows, total }, { rows: byStatus }, { rows: runs }] = await Promise.all([
    changePage(d, ws, actorKey(viewer.actor), { ...q, status: q.status ? [q.status] : undefined }, page),
    d.db.execute<{ status: string; n: number }>(sql`
      select status, count(*)::int as n from change_requests where workspace_id = ${ws} group by status order by status`),
    d.db.execute<RunRow>(sql`
      select c.id, c.status, c.workflow ->> 'template' as template, c.requester, c.created_at, c.started_at, c.finished_at,
        coalesce(jsonb_array_length(c.workflow -> 'steps'), 0)::int as steps,
        (select count(*)::int from workflow_steps s where s.change_id = c.id and s.status = 'succeeded') as done
      from change_requests c where c.workspace_id = ${ws} and c.workflow is not null
      order by c.created_at desc, length(c.id) desc, c.id desc limit 10`),
  ]);
  const statuses = byStatus.map((r) => ({ status: r.status, n: Number(r.n) }));
  const of = (s: string[]) => statuses.filter((r) => s.includes(r.status)).reduce((n, r) => n + r.n, 0);
  return {
    name: 'changes',
    title: 'Changes',
    figures: [
      { id: 'all', label: 'Change requests', value: count(of(ChangeStatus.options)), link: link('changes') },
      { id: 'pending', label: 'Pending', value: count(of(['pending'])), link: link('approvals') },
      {
        id: 'succeeded',
        label: 'Succeeded',
        value: count(of(['succeeded'])),
        tone: 'good',
        link: link('changes', { status: 'succeeded' }),
      },
      {
        id: 'failed',
        label: 'Failed',
        value: count(of(['failed'])),
        tone: of(['failed']) ? 'bad' : 'good',
        link: link('changes', { status: 'failed' }),
      },
    ],
    charts: [
      {
        id: 'by-status',
        title: 'Change requests by status',
        kind: 'bar',
        categories: statuses.map((s) => s.status),
        series: [{ name: 'Requests', values: statuses.map((s) => s.n) }],
        unit: 'changes',
        links: statuses.map((s) =>
          s.status === 'pending' ? link('approvals') : link('changes', { status: s.status }),
        ),
      },
    ],
    tables: [
      changesTable(rows, {
        paging: { offset: page.offset, limit: page.limit, total },
        sort: { key: page.sort, dir: page.dir },
        filters: [
          selectFilter('status', 'Status', q.status, ChangeStatus.options),
          selectFilter('requester', 'Requested by', q.requester, facets.requester),
          selectFilter('environment', 'Environment', q.environment, facets.environment),
          selectFilter('action', 'Action', q.action, facets.action),
        ],
      }),
      {
        id: 'workflow-runs',
        title: 'Recent workflow runs',
        columns: [
          col('id', 'Request', false),
          col('template', 'Template', false),
          col('status', 'Status', false),
          col('steps', 'Steps done', false, 'end'),
          col('requester', 'Requested by', false),
          col('took', 'Took', false, 'end'),
        ],
        rows: runs.map((r) => {
          const started = asDate(r.started_at);
          const finished = asDate(r.finished_at);
          return {
            id: r.id,
            cells: {
              id: { text: r.id },
              template: { text: r.template ?? '–' },
              status: { text: r.status, link: link('changes', { status: r.status }) },
              steps: { text: `${count(Number(r.done))} of ${count(Number(r.steps))}` },
              requester: { text: r.requester.displayName },
              took: { text: started && finished ? duration(finished.getTime() - started.getTime()) : '–' },
            },
          };
        }),
        empty: 'No workflow has run in this workspace yet.',
      },
    ],
    notes: ['Change requests of your workspace only, newest first unless sorted otherwise.'],
    generatedAt: d.now().toISOString(),
  };
};
