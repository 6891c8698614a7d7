import type { Viewer } from '../../analytics/views/model.ts';
import type { HttpRequest, Route } from '../../http/route.ts';

/**
 * The dashboard's ports (issue 18). The surface renders views generically: a view is figures,
 * charts (each with its numbers as a table) and tables (sorted, filtered and paged on the server).
 * The data comes from `DashboardData` (implemented below the engine, in src/analytics/views/, and
 * passed in by app.ts); the person comes from `WebAuth` (sign-in with Slack, Microsoft or the
 * console token; src/surfaces/dashboard/auth/).
 */

// What a view is made of (figures, charts, tables, links), and the data port: declared below the
// surfaces, beside the code that builds views (src/analytics/views/model.ts), and used here as is.
export {
  viewNames,
  type Cell,
  type Chart,
  type ChartSeries,
  type Column,
  type DashboardData,
  type Figure,
  type Filter,
  type Row,
  type RowAction,
  type Table,
  type View,
  type ViewLink,
  type ViewName,
  type Viewer,
} from '../../analytics/views/model.ts';

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
