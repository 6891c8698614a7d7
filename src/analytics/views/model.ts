import type { Actor, Role } from '../../chat/actor.ts';

/**
 * What the dashboard's views are made of: a view is figures, charts (each with its numbers) and
 * tables sorted, filtered and paged on the server. Declared here, below the surfaces, and
 * re-exported as the dashboard's ports (src/surfaces/dashboard/ports.ts), which render them.
 */

/** Who is looking: the Actor and role as in chat, so roles and policy apply unchanged. */
export interface Viewer {
  actor: Actor;
  role: Role;
}

/** The dashboard's views, in menu order. */
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

/** A view and its query: where a figure, a chart's category or a cell leads. */
export interface ViewLink {
  view: ViewName;
  query?: Record<string, string>;
}

/** One top figure: a number as shown, a second line, a tone and the rows behind it. */
export interface Figure {
  id: string;
  label: string;
  value: string;
  detail?: string;
  tone?: 'good' | 'bad' | 'neutral';
  link?: ViewLink;
}

/** One series of a chart; `forecast` is drawn dashed. */
export interface ChartSeries {
  name: string;
  values: (number | null)[];
  style?: 'actual' | 'forecast';
}

/** A chart with its numbers (the page shows them as a table too) and, per category, where it leads. */
export interface Chart {
  id: string;
  title: string;
  kind: 'bar' | 'line' | 'pie';
  categories: string[];
  series: ChartSeries[];
  unit?: string;
  links?: (ViewLink | null)[];
}

/** A table column; `sortable` columns are sort keys of the view's query. */
export interface Column {
  key: string;
  label: string;
  sortable: boolean;
  align?: 'start' | 'end';
}

/** A table cell: text, and where it leads inside the dashboard or outside. */
export interface Cell {
  text: string;
  link?: ViewLink;
  href?: string;
}

/** Approve or reject a pending change from its row; present only when the viewer may decide it. */
export interface RowAction {
  kind: 'approve' | 'reject';
  changeId: string;
  label: string;
}

/** One table row. */
export interface Row {
  id: string;
  cells: Record<string, Cell>;
  actions?: RowAction[];
}

/** A filter of a view's main table: a query parameter, its choices and the value in effect. */
export interface Filter {
  name: string;
  label: string;
  kind: 'select' | 'text';
  options?: { value: string; label: string }[];
  value: string;
}

/** A table; the view's main table carries its paging, sort and filters. */
export interface Table {
  id: string;
  title: string;
  columns: Column[];
  rows: Row[];
  paging?: { offset: number; limit: number; total: number };
  sort?: { key: string; dir: 'asc' | 'desc' };
  filters?: Filter[];
  more?: ViewLink;
  empty: string;
}

/** One view as the page draws it. */
export interface View {
  name: ViewName;
  title: string;
  figures: Figure[];
  charts: Chart[];
  tables: Table[];
  notes: string[];
  generatedAt: string;
}

/** The dashboard's data: one view for one viewer (see src/analytics/views/README.md). */
export interface DashboardData {
  view(viewer: Viewer, name: ViewName, query: Record<string, string>): Promise<View>;
}
