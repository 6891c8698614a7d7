import { z } from 'zod';
import type { ConversationEngine } from '../../engine/engine.ts';
import { badRequest, formatZodIssues, isAppError } from '../../errors.ts';
import { json, type HttpRequest, type HttpResponse, type Route, type RouteGroup } from '../../http/route.ts';
import type { LiveBus, LiveEvent } from '../../util/live.ts';
import { assetRoutes, pageHeaders } from './assets.ts';
import { decideRoutes, readNotice } from './decide.ts';
import { renderMessagePage, renderPage, viewLabel } from './page.ts';
import { viewNames, type DashboardData, type View, type ViewName, type WebAuth, type WebSession } from './ports.ts';

/**
 * The web dashboard (issue 18) on the one HTTP server: server-rendered views at `/dashboard` and
 * `/dashboard/<view>`, their JSON at `/dashboard/api/view/<view>`, decisions on pending changes
 * (`/dashboard/api/decide`, and `/dashboard/decide` for a form posted without script), live
 * notices at `/dashboard/api/events`, and the page's assets. See README.md in this folder.
 */

/** src/http/sse.ts's `streamLive`: writes the accepted events of `bus` to the request as server-sent events; returns null. */
export type StreamLive = (
  req: HttpRequest,
  bus: Pick<LiveBus, 'subscribe'>,
  accept: (e: LiveEvent) => boolean,
  opts?: { heartbeatMs?: number; maxClients?: number },
) => null;

export interface DashboardDeps {
  data: DashboardData;
  auth: WebAuth;
  engine: Pick<ConversationEngine, 'handleInteraction'>;
  /** Live notices; without them the page re-reads its view every `pollMs`. */
  live?: { bus: Pick<LiveBus, 'subscribe'>; stream: StreamLive; heartbeatMs?: number; maxClients?: number };
  /** How often the page re-reads its view when live notices are unavailable (default 30 s). */
  pollMs?: number;
}

const isViewName = (s: string): s is ViewName => (viewNames as readonly string[]).includes(s);

const QueryName = z
  .string()
  .regex(
    /^[a-zA-Z][a-zA-Z0-9_.-]{0,39}$/,
    'a parameter name is 1-40 letters, digits, _ . or -, starting with a letter',
  );
const QueryValue = z.string().max(500, 'a parameter value is at most 500 characters');
const maxParams = 40;

/**
 * The page's query, one value per name (the last wins, as everywhere on this server); bounded.
 * An empty value is dropped: a filter form sends its blank fields, and '' means "any".
 */
export const pageQuery = (url: URL): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [k, v] of url.searchParams) {
    const name = QueryName.safeParse(k);
    if (!name.success)
      throw badRequest(`The query parameter ${JSON.stringify(k.slice(0, 40))}: ${formatZodIssues(name.error, '')}`);
    const value = QueryValue.safeParse(v);
    if (!value.success) throw badRequest(`The query parameter ${k}: ${formatZodIssues(value.error, '')}`);
    if (value.data === '') delete out[k];
    else out[k] = value.data;
  }
  if (Object.keys(out).length > maxParams) throw badRequest(`At most ${maxParams} query parameters are accepted.`);
  return out;
};

const html = (status: number, body: string, headers: Record<string, string | string[]> = {}): HttpResponse => ({
  status,
  headers: { ...pageHeaders, 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...headers },
  body,
});

export const redirect = (location: string, headers: Record<string, string | string[]> = {}): HttpResponse => ({
  status: 303,
  headers: { location, 'cache-control': 'no-store', ...headers },
});

/** The 401 of the JSON routes: says where to sign in again, returning to `next`. */
export const sessionExpired = (auth: WebAuth, next: string): HttpResponse =>
  json(401, {
    error: 'You are not signed in, or your session has expired: sign in again.',
    signIn: auth.signInPath(next),
  });

/** A view with nothing in it, when even the view's defaults cannot be read: the page still shows the message. */
const emptyView = (name: ViewName): View => ({
  name,
  title: viewLabel(name),
  figures: [],
  charts: [],
  tables: [],
  notes: [],
  generatedAt: new Date().toISOString(),
});

/** The view's defaults with the values the person asked for put back in its filters, so that nothing typed is lost. */
const withAskedValues = (view: View, query: Record<string, string>): View => ({
  ...view,
  tables: view.tables.map((t) =>
    t.filters ? { ...t, filters: t.filters.map((f) => (f.name in query ? { ...f, value: query[f.name]! } : f)) } : t,
  ),
});

export const createDashboard = (deps: DashboardDeps): RouteGroup => {
  const { auth, data } = deps;
  const pollMs = deps.pollMs ?? 30_000;

  const viewPage = async (req: HttpRequest, name: ViewName): Promise<HttpResponse> => {
    const session = await auth.session(req);
    if (!session) return redirect(auth.signInPath(`${req.path}${req.url.search}`));
    const { notice, clear } = readNotice(req);
    const render = (status: number, view: View, query: Record<string, string>, error?: string): HttpResponse =>
      html(
        status,
        renderPage({
          view,
          query,
          viewer: session.viewer,
          csrf: session.csrfToken,
          pollMs,
          live: Boolean(deps.live),
          ...(error ? { error } : {}),
          ...(notice ? { notice } : {}),
        }),
        clear ? { 'set-cookie': clear } : {},
      );
    let query: Record<string, string> = {};
    try {
      query = pageQuery(req.url);
      return render(200, await data.view(session.viewer, name, query), query);
    } catch (e) {
      if (!isAppError(e) || e.code !== 'bad_request') throw e;
      // A nonsense filter: the view as it is by default, the message beside its filters.
      const fallback = await data.view(session.viewer, name, {}).catch((err: unknown) => {
        if (isAppError(err) && err.code === 'bad_request') return emptyView(name);
        throw err;
      });
      return render(400, withAskedValues(fallback, query), query, e.userMessage);
    }
  };

  const sessionOr401 = async (req: HttpRequest, next: string): Promise<WebSession | HttpResponse> =>
    (await auth.session(req)) ?? sessionExpired(auth, next);
  const isResponse = (v: WebSession | HttpResponse): v is HttpResponse => 'status' in v;

  const routes: Route[] = [
    { method: 'GET', path: '/dashboard', handle: (req) => viewPage(req, 'overview') },
    {
      method: 'GET',
      path: '/dashboard',
      prefix: true,
      handle: (req) => {
        const name = req.path.slice('/dashboard/'.length).replace(/\/$/, '') || 'overview';
        if (!isViewName(name))
          return html(
            404,
            renderMessagePage(
              'No such view',
              `The dashboard has no view called “${name.slice(0, 60)}”; its views are ${viewNames.join(', ')}.`,
              '/dashboard',
            ),
          );
        return viewPage(req, name);
      },
    },
    {
      method: 'GET',
      path: '/dashboard/api/view',
      prefix: true,
      handle: async (req) => {
        const name = req.path.slice('/dashboard/api/view/'.length);
        if (!isViewName(name))
          return json(404, {
            error: `No such view: ${JSON.stringify(name.slice(0, 60))}; the views are ${viewNames.join(', ')}.`,
          });
        const session = await sessionOr401(req, `/dashboard/${name}${req.url.search}`);
        if (isResponse(session)) return session;
        const view = await data.view(session.viewer, name, pageQuery(req.url));
        return json(200, view);
      },
    },
    {
      method: 'GET',
      path: '/dashboard/api/events',
      handle: async (req) => {
        const session = await sessionOr401(req, '/dashboard');
        if (isResponse(session)) return session;
        if (!deps.live)
          return json(404, { error: 'Live updates are not enabled on this server; the page polls instead.' });
        const workspace = session.viewer.actor.workspaceId;
        // Notices carry ids only: the page re-reads its view, where roles apply. Chat messages do not change a view.
        const accept = (e: LiveEvent): boolean =>
          e.kind !== 'message' && (e.workspaceId === workspace || e.workspaceId === '*');
        const { heartbeatMs, maxClients } = deps.live;
        return deps.live.stream(req, deps.live.bus, accept, {
          ...(heartbeatMs !== undefined ? { heartbeatMs } : {}),
          ...(maxClients !== undefined ? { maxClients } : {}),
        });
      },
    },
    ...decideRoutes({ auth, engine: deps.engine }),
    ...assetRoutes(),
  ];
  return { routes };
};
