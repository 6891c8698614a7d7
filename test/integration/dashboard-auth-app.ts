import http from 'node:http';
import { ensureUser, listUsers, seedUsers, CONSOLE_USERS } from '../../src/users/repository.ts';
import { loadConfig } from '../../src/config.ts';
import { HttpError } from '../../src/http/errors.ts';
import { json, type HttpMethod, type HttpRequest, type Route } from '../../src/http/route.ts';
import { createHttpServer, type HttpServer } from '../../src/http/server.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import {
  createWebAuth,
  signInRequired,
  type DashboardAuth,
  type WebAuthOptions,
} from '../../src/surfaces/dashboard/auth/web-auth.ts';
import { createDashboardAuthStore } from '../../src/surfaces/dashboard/store/sessions.ts';
import { startRoundRobinProxy, type RoundRobinProxy } from '../helpers/round-robin-proxy.ts';
import type { TestStore } from '../helpers/db.ts';

/**
 * The dashboard's sign-in as deployed: two replicas (each its own WebAuth on one database, each on
 * the real HTTP server) behind a round-robin balancer whose URL is PUBLIC_URL. Each replica also
 * serves three protected test routes that use session(), signInRequired() and requireCsrf() the way
 * the dashboard's pages do: GET /dashboard/probe (a page), GET /dashboard/api/probe (JSON, with the
 * CSRF token, as a page would embed it) and POST /dashboard/api/act (an action).
 */
export interface AuthTestApp {
  /** PUBLIC_URL: the balancer. */
  url: string;
  replicas: DashboardAuth[];
  proxy: RoundRobinProxy;
  close(): Promise<void>;
}

export const silent = createLogger('silent');

/** The test clock: fixed, moved by hand. */
export const testClock = () => {
  let now = new Date('2026-12-01T09:00:00.000Z');
  return { now: () => now, advance: (ms: number) => (now = new Date(now.getTime() + ms)) };
};

export const seedConsole = async (store: TestStore): Promise<void> => {
  await seedUsers(store.db, CONSOLE_USERS);
};

export const consoleUsers = (store: TestStore) => async () =>
  (await listUsers(store.db, 'console')).map((u) => ({ userId: u.userId, displayName: u.displayName }));

export const roleOf =
  (store: TestStore, now: () => Date): WebAuthOptions['roleOf'] =>
  async (actor) =>
    (await ensureUser(store.db, actor, [], now())).role;

const probeRoutes = (auth: () => DashboardAuth): Route[] => [
  {
    method: 'GET',
    path: '/dashboard/probe',
    handle: async (req) => {
      const s = await auth().session(req);
      if (!s) return signInRequired(auth(), req);
      return {
        status: 200,
        headers: { 'content-type': 'text/html; charset=utf-8' },
        body: `<p>${s.viewer.actor.surface}:${s.viewer.actor.workspaceId}:${s.viewer.actor.userId} ${s.viewer.role} via ${s.via}</p>`,
      };
    },
  },
  {
    method: 'GET',
    path: '/dashboard/api/probe',
    handle: async (req) => {
      const s = await auth().session(req);
      if (!s) return signInRequired(auth(), req);
      return json(200, { viewer: s.viewer, via: s.via, csrfToken: s.csrfToken, expiresAt: s.expiresAt });
    },
  },
  {
    method: 'POST',
    path: '/dashboard/api/act',
    handle: async (req) => {
      const s = await auth().session(req);
      if (!s) return signInRequired(auth(), req);
      auth().requireCsrf(req, s);
      return json(200, { done: true, by: s.viewer.actor.userId });
    },
  },
];

/** The WebAuth's routes, looked up per request (the replica's WebAuth needs PUBLIC_URL, known once the balancer listens). */
const authRoutes = (auth: () => DashboardAuth): Route[] =>
  (['GET', 'POST'] as HttpMethod[]).map((method) => ({
    method,
    path: '/auth',
    prefix: true,
    bodyLimitBytes: 16 * 1024,
    handle: (req: HttpRequest) => {
      const route = auth().routes.find((r) => r.method === method && r.path === req.path);
      if (!route) throw new HttpError(404, `no route for ${method} ${req.path}`);
      return route.handle(req);
    },
  }));

export const startAuthApp = async (
  store: TestStore,
  options: (publicUrl: string) => Omit<WebAuthOptions, 'store' | 'logger'>,
): Promise<AuthTestApp> => {
  const replicas: DashboardAuth[] = [];
  const servers: HttpServer[] = [];
  const upstreams: string[] = [];
  for (let i = 0; i < 2; i++) {
    const auth = () => replicas[i]!;
    const server = createHttpServer({
      config: loadConfig({ PORT: '0', HOST: '127.0.0.1', CONSOLE_ENABLED: 'false' }),
      logger: silent,
      metrics: createMetrics(),
      ready: () => Promise.resolve(),
      routes: [...authRoutes(auth), ...probeRoutes(auth)],
      closeGraceMs: 100,
    });
    const { port } = await server.listen();
    servers.push(server);
    upstreams.push(`http://127.0.0.1:${port}`);
  }
  const proxy = await startRoundRobinProxy(upstreams);
  for (let i = 0; i < 2; i++)
    replicas.push(createWebAuth({ ...options(proxy.url), store: createDashboardAuthStore(store.db), logger: silent }));
  return {
    url: proxy.url,
    replicas,
    proxy,
    close: async () => {
      await proxy.close();
      for (const s of servers) await s.close();
    },
  };
};

export interface Hop {
  method: string;
  url: string;
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * A browser, as far as sign-in needs one: a cookie jar for the app's origin (Path honoured,
 * Max-Age=0 deletes), redirects followed (302/303 become GET), an Origin header on POSTs from our
 * pages, and `rewrite` for a provider's public URL that a test serves from a loopback fake.
 */
export class Browser {
  readonly cookies = new Map<string, { value: string; path: string; raw: string }>();
  readonly hops: Hop[] = [];
  readonly appOrigin: string;
  readonly rewrite: (url: URL) => URL;
  constructor(appOrigin: string, rewrite: (url: URL) => URL = (u) => u) {
    this.appOrigin = appOrigin;
    this.rewrite = rewrite;
  }

  cookieHeader(url: URL): string {
    return [...this.cookies.entries()]
      .filter(([, c]) => url.pathname.startsWith(c.path))
      .map(([k, c]) => `${k}=${c.value}`)
      .join('; ');
  }

  private store(setCookie: string[] | undefined): void {
    for (const raw of setCookie ?? []) {
      const [pair, ...attrs] = raw.split(';').map((s) => s.trim());
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const path = attrs.find((a) => a.toLowerCase().startsWith('path='))?.slice(5) ?? '/';
      if (attrs.some((a) => a.toLowerCase() === 'max-age=0')) this.cookies.delete(name);
      else this.cookies.set(name, { value: pair!.slice(eq + 1), path, raw });
    }
  }

  /** One request, no redirect followed. */
  async send(
    url: string,
    o: { method?: string; headers?: Record<string, string>; form?: Record<string, string>; body?: string } = {},
  ): Promise<Hop> {
    const target = this.rewrite(new URL(url, this.appOrigin));
    const ours = new URL(url, this.appOrigin).origin === this.appOrigin;
    const body = o.form ? new URLSearchParams(o.form).toString() : o.body;
    const headers: Record<string, string> = {
      accept: 'text/html,application/xhtml+xml',
      ...(o.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      ...(ours && this.cookieHeader(target) ? { cookie: this.cookieHeader(target) } : {}),
      ...(o.method === 'POST' ? { origin: this.appOrigin } : {}),
      ...o.headers,
    };
    const hop = await new Promise<Hop>((resolve, reject) => {
      const req = http.request(target, { method: o.method ?? 'GET', headers }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () =>
          resolve({
            method: o.method ?? 'GET',
            url: target.href,
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(parts).toString('utf8'),
          }),
        );
      });
      req.on('error', reject);
      req.end(body);
    });
    if (ours) this.store(hop.headers['set-cookie']);
    this.hops.push(hop);
    return hop;
  }

  /** A navigation: follows redirects to the end. */
  async go(
    url: string,
    o: { method?: string; headers?: Record<string, string>; form?: Record<string, string> } = {},
  ): Promise<Hop> {
    let hop = await this.send(url, o);
    let current = new URL(url, this.appOrigin);
    for (let i = 0; i < 10 && [301, 302, 303, 307, 308].includes(hop.status); i++) {
      current = new URL(hop.headers.location!, current);
      hop = await this.send(current.href, {});
    }
    return hop;
  }
}
