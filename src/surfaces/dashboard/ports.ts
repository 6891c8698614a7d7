import type { Actor, Role } from '../../chat/actor.ts';
import type { HttpRequest, Route } from '../../http/route.ts';

/**
 * The dashboard's ports (issue 18). The surface renders views generically: a view is figures,
 * charts (each with its numbers as a table) and tables (sorted, filtered and paged on the server).
 * The data comes from `DashboardData` (implemented below the engine, in src/analytics/views/, and
 * passed in by app.ts); the person comes from `WebAuth` (sign-in with Slack, Microsoft or the
 * console token; src/surfaces/dashboard/auth/).
 */

/** Who is looking: the same Actor (and role) as in chat, so roles and policy apply unchanged. */
export interface Viewer {
  actor: Actor;
  role: Role;
}

export const viewNames = [
  'overview',
  'inventory',
  'costs',
  'findings',
  'compliance',
  'drift',
  'approvals',
  'changes',
  'incidents',
  'analytics',
] as const;
export type ViewName = (typeof viewNames)[number];

/** A link inside the dashboard: a view and its query (`{ view: 'inventory', query: { provider: 'aws' } }`). */
export interface ViewLink {
  view: ViewName;
  query?: Record<string, string>;
}

export interface Figure {
  id: string;
  label: string;
  /** As shown: "$12,340.50", "87 %", "14". */
  value: string;
  /** A second line: "+4.2 % on last month", "forecast $13,100 by 30 Nov". */
  detail?: string;
  /** Good, bad or neutral (drawn with an icon and words as well as colour). */
  tone?: 'good' | 'bad' | 'neutral';
  /** The resources (or changes, findings…) behind the figure. */
  link?: ViewLink;
}

export interface ChartSeries {
  name: string;
  values: (number | null)[];
  /** `forecast` is drawn dashed and labelled as such. */
  style?: 'actual' | 'forecast';
}

export interface Chart {
  id: string;
  title: string;
  kind: 'bar' | 'line' | 'pie';
  categories: string[];
  series: ChartSeries[];
  /** "USD/month", "%", "changes". */
  unit?: string;
  /** Per category, where a click on its bar or row leads. */
  links?: (ViewLink | null)[];
}

export interface Column {
  key: string;
  label: string;
  sortable: boolean;
  align?: 'start' | 'end';
}

export interface Cell {
  text: string;
  link?: ViewLink;
  /** An outside link (a cloud console URL, a chat permalink), opened in a new tab. */
  href?: string;
}

/** Approve or reject a pending change from a table row; shown only when the viewer may decide it. */
export interface RowAction {
  kind: 'approve' | 'reject';
  changeId: string;
  label: string;
}

export interface Row {
  id: string;
  cells: Record<string, Cell>;
  actions?: RowAction[];
}

export interface Filter {
  name: string;
  label: string;
  /** `select` has options; `text` is free text (a name, a tag value). */
  kind: 'select' | 'text';
  options?: { value: string; label: string }[];
  /** The value in effect ('' = any). */
  value: string;
}

export interface Table {
  id: string;
  title: string;
  columns: Column[];
  rows: Row[];
  /** Present on the view's main table: the query parameters are `sort`, `dir`, `offset`, `limit` and each filter's name. */
  paging?: { offset: number; limit: number; total: number };
  sort?: { key: string; dir: 'asc' | 'desc' };
  filters?: Filter[];
  /** Where "see all" leads (overview tables). */
  more?: ViewLink;
  /** Shown when there are no rows. */
  empty: string;
}

export interface View {
  name: ViewName;
  title: string;
  figures: Figure[];
  charts: Chart[];
  tables: Table[];
  /** Short sentences under the title (what is counted, what is missing: "no baseline recorded"). */
  notes: string[];
  /** ISO time the figures were read. */
  generatedAt: string;
}

export interface DashboardData {
  /**
   * One view for this viewer (their workspace's changes, incidents and findings; the shared
   * inventory). `query` is the page's query string, one value per name. A value that makes no
   * sense (unknown provider, `limit=-3`, a sort key the view lacks) throws AppError `bad_request`
   * whose message names the parameter and what is accepted; the page shows it.
   */
  view(viewer: Viewer, name: ViewName, query: Record<string, string>): Promise<View>;
}

/** A signed-in person. Stored server-side (one row per session, shared by replicas). */
export interface WebSession {
  id: string;
  viewer: Viewer;
  /** Sent back by the page in `x-csrf-token` on every POST. */
  csrfToken: string;
  via: 'slack' | 'microsoft' | 'console';
  expiresAt: Date;
}

export interface WebAuth {
  /** /auth/sign-in (page and the console-token form), /auth/slack/*, /auth/microsoft/*, /auth/sign-out. */
  readonly routes: readonly Route[];
  /** The request's session (cookie), with the role read now; null when absent, expired or revoked. */
  session(req: HttpRequest): Promise<WebSession | null>;
  /** Throws HttpError 403 unless the request carries the session's CSRF token and comes from our own origin. */
  requireCsrf(req: HttpRequest, session: WebSession): void;
  /** Where a person without a session is sent; `next` (a path on this server) is where they return to after signing in. */
  signInPath(next: string): string;
}
