import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createAuthThrottle } from '../../src/http/auth-throttle.ts';
import { eq, and } from '../../src/store/orm.ts';
import { users } from '../../src/users/schema.ts';
import { dashboardSessions, dashboardSignIns } from '../../src/surfaces/dashboard/store/schema.ts';
import { sessionCookieName } from '../../src/surfaces/dashboard/auth/web-auth.ts';
import { createTestStore, testStoreTimeoutMs, type TestStore } from '../helpers/db.ts';
import { startFakeOidc, type FakeOidc } from '../fakes/oidc/index.ts';
import {
  Browser,
  consoleUsers,
  roleOf,
  seedConsole,
  startAuthApp,
  testClock,
  type AuthTestApp,
  type Hop,
} from './dashboard-auth-app.ts';

const consoleToken = 'a-console-token-of-32-characters';
const twelveHours = 12 * 3_600_000;

const hidden = (page: string, name: string): string => {
  const m = new RegExp(`name="${name}" value="([^"]*)"`).exec(page);
  if (!m) throw new Error(`no hidden field ${name} in the page`);
  return m[1]!.replaceAll('&amp;', '&').replaceAll('&quot;', '"');
};

const jsonOf = <T = Record<string, unknown>>(hop: Hop): T => JSON.parse(hop.body) as T;

/** Opens the sign-in page and posts the console form as a person would. */
const consoleSignIn = async (b: Browser, user: string, token?: string, next = '/dashboard/probe'): Promise<Hop> => {
  const page = await b.go(`/auth/sign-in?next=${encodeURIComponent(next)}`);
  expect(page.status).toBe(200);
  return b.go('/auth/console', {
    method: 'POST',
    form: {
      csrf: hidden(page.body, 'csrf'),
      next: hidden(page.body, 'next'),
      user,
      ...(token === undefined ? {} : { token }),
    },
  });
};

let store: TestStore;
const clock = testClock();

beforeAll(async () => {
  store = await createTestStore();
  await seedConsole(store);
}, testStoreTimeoutMs);
afterAll(async () => {
  await store?.dispose();
});

describe('console sign-in with CONSOLE_TOKEN', () => {
  let app: AuthTestApp;
  // Ten wrong tokens a minute per address, on a clock of its own: the test that reaches the limit
  // starts a fresh window and moves past it at the end, so the other tests are not refused.
  let throttleMs = 0;
  const throttle = createAuthThrottle({ maxFailures: 10, now: () => throttleMs });
  beforeAll(async () => {
    app = await startAuthApp(store, (publicUrl) => ({
      publicUrl,
      clock: clock.now,
      roleOf: roleOf(store, clock.now),
      console: { token: consoleToken, users: consoleUsers(store), throttle },
    }));
  });
  afterAll(async () => {
    await app?.close();
  });

  it('sends a page without a session to sign in, then back to where it was, with its role', async () => {
    const b = new Browser(app.url);
    const first = await b.send('/dashboard/probe?view=costs&provider=aws');
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe('/auth/sign-in?next=%2Fdashboard%2Fprobe%3Fview%3Dcosts%26provider%3Daws');
    const page = await b.go(first.headers.location!);
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toMatch(/default-src 'none'/);
    expect(page.headers['content-security-policy']).not.toMatch(/unsafe-inline/);
    expect(page.body).not.toMatch(/<script/i);
    expect(page.body).toMatch(/<html lang="en">/);
    expect(page.body).toMatch(/name="viewport"/);
    expect(page.body).toMatch(/<label for="token">Console token<\/label>/);
    for (const u of ['alice', 'bob', 'carol', 'dave']) expect(page.body).toContain(`value="${u}"`);
    expect(hidden(page.body, 'next')).toBe('/dashboard/probe?view=costs&provider=aws');

    const done = await b.go('/auth/console', {
      method: 'POST',
      form: { csrf: hidden(page.body, 'csrf'), next: hidden(page.body, 'next'), user: 'bob', token: consoleToken },
    });
    expect(done.status).toBe(200);
    expect(done.url).toBe(`${app.url}/dashboard/probe?view=costs&provider=aws`);
    expect(done.body).toContain('console:console:bob approver via console');
    const cookie = b.cookies.get(sessionCookieName)!.raw;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).toMatch(/Path=\//);
    expect(cookie).toMatch(/Max-Age=43200/);
    expect(cookie).not.toMatch(/Secure/);
    // Only the hash is stored.
    const id = b.cookies.get(sessionCookieName)!.value;
    const rows = await store.db.select().from(dashboardSessions).where(eq(dashboardSessions.userId, 'bob'));
    expect(rows.map((r) => r.idHash)).not.toContain(id);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.expiresAt.getTime() - rows[0]!.createdAt.getTime()).toBe(twelveHours);
  });

  it('refuses a wrong token and keeps the chosen user and next', async () => {
    const b = new Browser(app.url);
    const res = await consoleSignIn(b, 'carol', 'not-the-token-not-the-token', '/dashboard/probe?x=1');
    expect(res.status).toBe(401);
    expect(res.body).toContain('Wrong console token.');
    expect(res.body).toMatch(/role="alert"/);
    expect(res.body).toContain('<option value="carol" selected>');
    expect(hidden(res.body, 'next')).toBe('/dashboard/probe?x=1');
    expect(b.cookies.has(sessionCookieName)).toBe(false);
    const none = await consoleSignIn(b, 'carol');
    expect(none.status).toBe(401);
  });

  it('answers 429 to an address that sent ten wrong tokens within a minute, even with the right one', async () => {
    throttleMs += 60_000;
    const b = new Browser(app.url);
    for (let i = 0; i < 10; i++)
      expect((await consoleSignIn(b, 'carol', `wrong-token-${i}-wrong-token-wrong`)).status).toBe(401);
    const locked = await consoleSignIn(b, 'carol', consoleToken);
    expect(locked.status).toBe(429);
    expect(b.cookies.has(sessionCookieName)).toBe(false);
    throttleMs += 60_000;
    await consoleSignIn(b, 'carol', consoleToken);
    expect(b.cookies.has(sessionCookieName)).toBe(true);
  });

  it('refuses an unknown console user with a clear message', async () => {
    const b = new Browser(app.url);
    const res = await consoleSignIn(b, 'mallory', consoleToken);
    expect(res.status).toBe(400);
    expect(res.body).toContain('There is no console user “mallory”');
  });

  it('protects the form itself: no form token, another origin', async () => {
    const b = new Browser(app.url);
    const page = await b.go('/auth/sign-in');
    const csrf = hidden(page.body, 'csrf');
    const noToken = await b.send('/auth/console', { method: 'POST', form: { user: 'bob', token: consoleToken } });
    expect(noToken.status).toBe(403);
    expect(jsonOf(noToken).error).toMatch(/sign-in form is stale or was not sent from our sign-in page/);
    const elsewhere = await b.send('/auth/console', {
      method: 'POST',
      form: { csrf, user: 'bob', token: consoleToken },
      headers: { origin: 'https://evil.example' },
    });
    expect(elsewhere.status).toBe(403);
    expect(jsonOf(elsewhere).error).toMatch(/comes from another site \(Origin https:\/\/evil.example\)/);
    // A forged form from another site has neither our cookie nor its value.
    const stranger = new Browser(app.url);
    const forged = await stranger.send('/auth/console', {
      method: 'POST',
      form: { csrf: 'guessed', user: 'carol', token: consoleToken },
    });
    expect(forged.status).toBe(403);
    expect(b.cookies.has(sessionCookieName)).toBe(false);
  });

  it('never redirects off the site, whatever next says', async () => {
    for (const next of [
      '//evil.example/x',
      'https://evil.example/',
      '/\\evil.example',
      'javascript:alert(1)',
      '/%0d%0aSet-Cookie:x',
    ]) {
      const b = new Browser(app.url);
      const page = await b.go(`/auth/sign-in?next=${encodeURIComponent(next)}`);
      const landed = await b.send('/auth/console', {
        method: 'POST',
        form: { csrf: hidden(page.body, 'csrf'), next, user: 'alice', token: consoleToken },
      });
      expect(landed.status).toBe(303);
      const location = landed.headers.location!;
      expect(new URL(location, app.url).origin).toBe(app.url);
      expect(location.startsWith('/') && !location.startsWith('//')).toBe(true);
    }
  });

  it('an expired session: a page goes to sign in with next kept, an API call gets 401 naming where; signing in again loses nothing', async () => {
    const b = new Browser(app.url);
    await consoleSignIn(b, 'alice', consoleToken);
    expect((await b.go('/dashboard/probe')).status).toBe(200);
    clock.advance(twelveHours + 1_000);
    try {
      const page = await b.send('/dashboard/probe?view=approvals&sort=age');
      expect(page.status).toBe(303);
      expect(page.headers.location).toBe('/auth/sign-in?next=%2Fdashboard%2Fprobe%3Fview%3Dapprovals%26sort%3Dage');
      const api = await b.send('/dashboard/api/probe', { headers: { accept: 'application/json' } });
      expect(api.status).toBe(401);
      expect(jsonOf(api)).toEqual({
        error: 'not signed in, or your session has expired: sign in at /auth/sign-in?next=%2Fdashboard%2Fapi%2Fprobe',
        signIn: '/auth/sign-in?next=%2Fdashboard%2Fapi%2Fprobe',
      });
      const act = await b.send('/dashboard/api/act', {
        method: 'POST',
        body: '{}',
        headers: {
          'content-type': 'application/json',
          'x-csrf-token': 'x',
          referer: `${app.url}/dashboard/probe?view=approvals`,
        },
      });
      expect(act.status).toBe(401);
      expect(jsonOf<{ signIn: string }>(act).signIn).toBe('/auth/sign-in?next=%2Fdashboard%2Fprobe%3Fview%3Dapprovals');
      // Sign in again from where the page sent us: back on the same view with the same query.
      const again = await b.go(page.headers.location!);
      const back = await b.go('/auth/console', {
        method: 'POST',
        form: {
          csrf: hidden(again.body, 'csrf'),
          next: hidden(again.body, 'next'),
          user: 'alice',
          token: consoleToken,
        },
      });
      expect(back.url).toBe(`${app.url}/dashboard/probe?view=approvals&sort=age`);
      expect(back.status).toBe(200);
      // The expired rows are swept.
      const swept = await app.replicas[0]!.sweep();
      expect(swept).toBeGreaterThanOrEqual(1);
      const live = await store.db.select().from(dashboardSessions);
      expect(live.every((r) => r.expiresAt > clock.now())).toBe(true);
    } finally {
      clock.advance(0);
    }
  });

  it('every action needs the CSRF token of the session and our own origin', async () => {
    const b = new Browser(app.url);
    await consoleSignIn(b, 'bob', consoleToken);
    const { csrfToken } = jsonOf<{ csrfToken: string }>(
      await b.send('/dashboard/api/probe', { headers: { accept: 'application/json' } }),
    );
    const act = (headers: Record<string, string>, form?: Record<string, string>) =>
      b.send('/dashboard/api/act', {
        method: 'POST',
        ...(form ? { form } : { body: '{}', headers: { 'content-type': 'application/json', ...headers } }),
        ...(form ? { headers } : {}),
      });
    const missing = await act({});
    expect(missing.status).toBe(403);
    expect(jsonOf(missing).error).toMatch(/needs the CSRF token of your session/);
    const wrong = await act({ 'x-csrf-token': 'wrong' });
    expect(wrong.status).toBe(403);
    expect(jsonOf(wrong).error).toMatch(/does not match your session/);
    const otherSite = await act({ 'x-csrf-token': csrfToken, origin: 'https://evil.example' });
    expect(otherSite.status).toBe(403);
    expect(jsonOf(otherSite).error).toMatch(/another site/);
    const nullOrigin = await act({ 'x-csrf-token': csrfToken, origin: 'null' });
    expect(nullOrigin.status).toBe(403);
    const refererElsewhere = await act({ 'x-csrf-token': csrfToken, origin: '', referer: 'https://evil.example/page' });
    expect(refererElsewhere.status).toBe(403);
    const ok = await act({ 'x-csrf-token': csrfToken });
    expect(ok.status).toBe(200);
    expect(jsonOf(ok)).toEqual({ done: true, by: 'bob' });
    const form = await act({}, { csrf: csrfToken });
    expect(form.status).toBe(200);
    const formWrong = await act({}, { csrf: 'nope' });
    expect(formWrong.status).toBe(403);
  });

  it('reads the role fresh on every request', async () => {
    const b = new Browser(app.url);
    await consoleSignIn(b, 'dave', consoleToken);
    expect((await b.go('/dashboard/probe')).body).toContain('dave viewer');
    await store.db
      .update(users)
      .set({ role: 'approver' })
      .where(and(eq(users.workspaceId, 'console'), eq(users.userId, 'dave')));
    try {
      expect((await b.go('/dashboard/probe')).body).toContain('dave approver');
    } finally {
      await store.db
        .update(users)
        .set({ role: 'viewer' })
        .where(and(eq(users.workspaceId, 'console'), eq(users.userId, 'dave')));
    }
  });

  it('signs out: the row goes, the cookie is cleared, the next request must sign in', async () => {
    const b = new Browser(app.url);
    await consoleSignIn(b, 'carol', consoleToken);
    const id = b.cookies.get(sessionCookieName)!.value;
    const { csrfToken } = jsonOf<{ csrfToken: string }>(
      await b.send('/dashboard/api/probe', { headers: { accept: 'application/json' } }),
    );
    const forged = await b.send('/auth/sign-out', { method: 'POST', form: {} });
    expect(forged.status).toBe(403);
    const out = await b.send('/auth/sign-out', { method: 'POST', form: { csrf: csrfToken } });
    expect(out.status).toBe(303);
    expect(out.headers.location).toBe('/auth/sign-in');
    expect(b.cookies.has(sessionCookieName)).toBe(false);
    const replay = new Browser(app.url);
    replay.cookies.set(sessionCookieName, { value: id, path: '/', raw: '' });
    expect((await replay.send('/dashboard/api/probe', { headers: { accept: 'application/json' } })).status).toBe(401);
  });

  it('marks the cookie Secure behind an https proxy', async () => {
    const b = new Browser(app.url);
    const page = await b.go('/auth/sign-in');
    const res = await b.send('/auth/console', {
      method: 'POST',
      form: { csrf: hidden(page.body, 'csrf'), user: 'alice', token: consoleToken },
      headers: { 'x-forwarded-proto': 'https' },
    });
    expect(res.status).toBe(303);
    expect(b.cookies.get(sessionCookieName)!.raw).toMatch(/; Secure$/);
  });
});

describe('routes of methods not configured', () => {
  let app: AuthTestApp;
  beforeAll(async () => {
    app = await startAuthApp(store, () => ({ clock: clock.now, roleOf: roleOf(store, clock.now) }));
  });
  afterAll(async () => {
    await app?.close();
  });

  it('are not mounted, and the page says how to set one up', async () => {
    const b = new Browser(app.url);
    for (const path of ['/auth/slack/start', '/auth/microsoft/callback']) expect((await b.send(path)).status).toBe(404);
    expect((await b.send('/auth/console', { method: 'POST', form: { user: 'carol' } })).status).toBe(404);
    expect((await b.go('/auth/sign-in')).body).toContain('No sign-in method is configured');
  });
});

describe('console sign-in without CONSOLE_TOKEN', () => {
  let app: AuthTestApp;
  beforeAll(async () => {
    app = await startAuthApp(store, () => ({
      clock: clock.now,
      roleOf: roleOf(store, clock.now),
      console: { users: consoleUsers(store) },
    }));
  });
  afterAll(async () => {
    await app?.close();
  });

  it('lets a loopback Host sign in with no token field', async () => {
    const b = new Browser(app.url);
    const page = await b.go('/auth/sign-in');
    expect(page.body).not.toContain('name="token"');
    const res = await consoleSignIn(b, 'alice');
    expect(res.body).toContain('console:console:alice operator via console');
  });

  it('refuses any other Host (DNS rebinding)', async () => {
    const b = new Browser(app.url);
    const page = await b.go('/auth/sign-in', { headers: { host: 'rebound.example' } });
    expect(page.body).toContain('Console sign-in answers only on localhost');
    expect(page.body).not.toContain('<form');
    const csrfPage = await b.go('/auth/sign-in');
    const res = await b.send('/auth/console', {
      method: 'POST',
      form: { csrf: hidden(csrfPage.body, 'csrf'), user: 'carol' },
      headers: { host: 'rebound.example', origin: 'http://rebound.example' },
    });
    expect(res.status).toBe(403);
    expect(b.cookies.has(sessionCookieName)).toBe(false);
  });
});

/** The callback's query, from the last hop that went to it. */
const callbackHop = (b: Browser, provider: string): Hop =>
  b.hops.filter((h) => new URL(h.url).pathname === `/auth/${provider}/callback`).at(-1)!;

describe('Sign in with Slack', () => {
  let app: AuthTestApp;
  let slack: FakeOidc;
  const redirects: string[] = [];
  const allowedTeams = new Set(['T0001']);
  beforeAll(async () => {
    slack = await startFakeOidc({
      preset: 'slack',
      clientId: 'slack-client',
      clientSecret: 'slack-secret',
      redirectUris: redirects,
      user: { teamId: 'T0001', userId: 'U0001', name: 'Sam Slack' },
    });
    app = await startAuthApp(store, (publicUrl) => ({
      publicUrl,
      clock: clock.now,
      roleOf: roleOf(store, clock.now),
      slack: {
        clientId: 'slack-client',
        clientSecret: 'slack-secret',
        issuer: slack.url,
        teamAllowed: (t) => allowedTeams.has(t),
      },
    }));
    redirects.push(`${app.url}/auth/slack/callback`);
  });
  afterAll(async () => {
    await app?.close();
    await slack?.stop();
  });

  it('is offered on the sign-in page', async () => {
    const page = await new Browser(app.url).go('/auth/sign-in?next=%2Fdashboard%2Fprobe');
    expect(page.body).toContain('href="/auth/slack/start?next=%2Fdashboard%2Fprobe">Sign in with Slack</a>');
    expect(page.body).not.toContain('<form');
  });

  it('signs in end to end as the chat actor, across replicas', async () => {
    const b = new Browser(app.url);
    const served = app.proxy.served.length;
    const start = await b.send('/auth/slack/start?next=%2Fdashboard%2Fprobe%3Fview%3Dinventory');
    expect(start.status).toBe(303);
    const authorize = new URL(start.headers.location!);
    expect(`${authorize.origin}${authorize.pathname}`).toBe(`${slack.url}/openid/connect/authorize`);
    const q = Object.fromEntries(authorize.searchParams);
    expect(q).toMatchObject({
      client_id: 'slack-client',
      redirect_uri: `${app.url}/auth/slack/callback`,
      response_type: 'code',
      scope: 'openid profile',
      code_challenge_method: 'S256',
    });
    expect(q.state).toMatch(/^[\w-]{40,}$/);
    expect(q.nonce).toMatch(/^[\w-]{40,}$/);
    const flowCookie = b.cookies.get('devops_agent_oidc')!;
    expect(flowCookie.raw).toMatch(/HttpOnly; SameSite=Lax; Max-Age=600/);
    expect(flowCookie.path).toBe('/auth/');
    // The state, nonce and verifier are rows (a replica that did not start the sign-in can finish it).
    expect(await store.db.select().from(dashboardSignIns)).toHaveLength(1);

    const done = await b.go(start.headers.location!);
    expect(done.status).toBe(200);
    expect(done.url).toBe(`${app.url}/dashboard/probe?view=inventory`);
    expect(done.body).toContain('slack:T0001:U0001 viewer via slack');
    expect(b.cookies.has('devops_agent_oidc')).toBe(false);
    expect(await store.db.select().from(dashboardSignIns)).toHaveLength(0);

    // The token request carried the code, the PKCE verifier and the client secret.
    const tokenCall = slack.requests.find((r) => r.path === '/api/openid.connect.token')!;
    expect(tokenCall.form).toMatchObject({
      grant_type: 'authorization_code',
      client_id: 'slack-client',
      client_secret: 'slack-secret',
      redirect_uri: `${app.url}/auth/slack/callback`,
    });
    expect(tokenCall.form.code).toBe(slack.codes.at(-1)!.code);
    expect(slack.codes.at(-1)!.used).toBe(true);
    expect(slack.requests.some((r) => r.path === '/openid/connect/keys')).toBe(true);
    // Start, callback and the page were answered by different replicas in turn.
    const ours = app.proxy.served.slice(served);
    const startedOn = ours.find((s) => s.path.startsWith('/auth/slack/start'))!.upstream;
    const finishedOn = ours.find((s) => s.path.startsWith('/auth/slack/callback'))!.upstream;
    const pageOn = ours.find((s) => s.path.startsWith('/dashboard/probe'))!.upstream;
    expect(finishedOn).not.toBe(startedOn);
    // The session made by one replica is accepted by the other.
    expect(pageOn).not.toBe(finishedOn);
  });

  it('shows what went wrong when Slack refuses, with a way to try again', async () => {
    slack.refuseNext('access_denied', 'The user cancelled');
    const b = new Browser(app.url);
    const res = await b.go('/auth/slack/start?next=%2Fdashboard%2Fprobe');
    expect(res.status).toBe(400);
    expect(res.body).toContain('Slack did not sign you in: access_denied (The user cancelled).');
    expect(res.body).toContain('href="/auth/sign-in?next=%2Fdashboard%2Fprobe">Try again</a>');
    expect(res.body).not.toMatch(/at \w+ \(|node_modules/);
    expect(b.cookies.has(sessionCookieName)).toBe(false);
  });

  it('refuses a callback with a forged, missing or replayed state', async () => {
    const b = new Browser(app.url);
    const start = await b.send('/auth/slack/start?next=%2Fdashboard%2Fprobe');
    const toSlack = await b.send(start.headers.location!);
    const callback = new URL(toSlack.headers.location!);
    const forged = new URL(callback);
    forged.searchParams.set('state', 'forged-state-forged-state-forged-state-00');
    const f = await b.send(forged.href);
    expect(f.status).toBe(400);
    expect(f.body).toContain('This sign-in was not started in this browser');
    const missing = new URL(callback);
    missing.searchParams.delete('state');
    expect((await b.send(missing.href)).body).toContain('has no state');
    // Another browser (a login-CSRF attempt) cannot finish it either.
    const other = new Browser(app.url);
    expect((await other.send(callback.href)).body).toContain('not started in this browser');
    // The right browser can, once.
    const cookies = new Map(b.cookies);
    expect((await b.go(callback.href)).status).toBe(200);
    for (const [k, v] of cookies) b.cookies.set(k, v);
    const again = await b.send(callback.href);
    expect(again.status).toBe(400);
    expect(again.body).toContain('has expired or was already used');
  });

  it('refuses an ID token whose nonce does not match', async () => {
    slack.tamperNext({ nonce: 'someone-elses-nonce' });
    const b = new Browser(app.url);
    const res = await b.go('/auth/slack/start');
    expect(res.status).toBe(400);
    expect(res.body).toMatch(/Slack&#39;s answer did not pass our checks: .*nonce/);
    expect(b.cookies.has(sessionCookieName)).toBe(false);
  });

  it('refuses an ID token from another issuer or for another client', async () => {
    slack.tamperNext({ iss: 'https://evil.example' });
    const iss = await new Browser(app.url).go('/auth/slack/start');
    expect(iss.status).toBe(400);
    expect(iss.body).toMatch(/did not pass our checks: .*iss/);
    slack.tamperNext({ aud: 'another-client' });
    const aud = await new Browser(app.url).go('/auth/slack/start');
    expect(aud.status).toBe(400);
    expect(aud.body).toMatch(/did not pass our checks: .*aud/);
  });

  it('refuses an ID token not signed by a key of the JWKS', async () => {
    slack.forgeSignatureNext();
    const res = await new Browser(app.url).go('/auth/slack/start');
    expect(res.status).toBe(400);
    expect(res.body).toMatch(/did not pass our checks: .*signature/i);
  });

  it('refuses a workspace the bot does not serve', async () => {
    slack.setUser({ teamId: 'T0BAD', userId: 'U0002', name: 'Stranger' });
    try {
      const b = new Browser(app.url);
      const res = await b.go('/auth/slack/start');
      expect(res.status).toBe(403);
      expect(res.body).toContain('Your Slack workspace (T0BAD) is not one this bot serves.');
      expect(b.cookies.has(sessionCookieName)).toBe(false);
    } finally {
      slack.setUser({ teamId: 'T0001', userId: 'U0001', name: 'Sam Slack' });
    }
  });

  it('keeps next local through the provider round trip', async () => {
    const b = new Browser(app.url);
    const res = await b.go('/auth/slack/start?next=%2F%2Fevil.example%2Fsteal');
    expect(res.url).toBe(`${app.url}/dashboard`);
    expect(callbackHop(b, 'slack').status).toBe(303);
  });
});

describe('Microsoft sign-in, single tenant (authority override)', () => {
  let app: AuthTestApp;
  let ms: FakeOidc;
  const redirects: string[] = [];
  const tenant = '11111111-1111-4111-8111-111111111111';
  beforeAll(async () => {
    ms = await startFakeOidc({
      preset: 'microsoft',
      clientId: 'teams-app-id',
      clientSecret: 'teams-app-password',
      redirectUris: redirects,
      user: { tid: tenant, oid: 'aaaaaaaa-0000-4000-8000-000000000001', name: 'Mia Microsoft' },
    });
    app = await startAuthApp(store, (publicUrl) => ({
      publicUrl,
      clock: clock.now,
      roleOf: roleOf(store, clock.now),
      microsoft: {
        clientId: 'teams-app-id',
        clientSecret: 'teams-app-password',
        authority: ms.url,
        tenantId: tenant,
        allowedTenants: [tenant],
      },
    }));
    redirects.push(`${app.url}/auth/microsoft/callback`);
  });
  afterAll(async () => {
    await app?.close();
    await ms?.stop();
  });

  it('signs in end to end as the Teams actor (tid, oid)', async () => {
    const b = new Browser(app.url);
    const res = await b.go('/auth/microsoft/start?next=%2Fdashboard%2Fprobe');
    expect(res.status).toBe(200);
    expect(res.body).toContain(`teams:${tenant}:aaaaaaaa-0000-4000-8000-000000000001 viewer via microsoft`);
    expect(ms.requests.map((r) => `${r.method} ${r.path}`)).toEqual(
      expect.arrayContaining([
        `GET /${tenant}/v2.0/.well-known/openid-configuration`,
        `GET /${tenant}/oauth2/v2.0/authorize`,
        `POST /${tenant}/oauth2/v2.0/token`,
        'GET /common/discovery/v2.0/keys',
      ]),
    );
    const tokenCall = ms.requests.find((r) => r.path.endsWith('/token'))!;
    expect(tokenCall.form.code_verifier).toMatch(/^[\w-]{43,}$/);
    expect(tokenCall.form.client_secret).toBe('teams-app-password');
  });

  it('refuses a token the fake signs for another tenant (its issuer is not ours)', async () => {
    ms.setUser({
      tid: '22222222-2222-4222-8222-222222222222',
      oid: 'aaaaaaaa-0000-4000-8000-000000000002',
      name: 'Eve',
    });
    try {
      const res = await new Browser(app.url).go('/auth/microsoft/start');
      expect(res.status).toBe(400);
      expect(res.body).toMatch(/Microsoft&#39;s answer did not pass our checks: .*iss/);
    } finally {
      ms.setUser({ tid: tenant, oid: 'aaaaaaaa-0000-4000-8000-000000000001', name: 'Mia Microsoft' });
    }
  });

  it('says the provider could not be reached when it is down', async () => {
    const down = await startAuthApp(store, (publicUrl) => ({
      publicUrl,
      clock: clock.now,
      roleOf: roleOf(store, clock.now),
      microsoft: {
        clientId: 'teams-app-id',
        clientSecret: 'x',
        authority: 'http://127.0.0.1:9',
        tenantId: tenant,
        allowedTenants: [tenant],
      },
    }));
    try {
      const res = await new Browser(down.url).go('/auth/microsoft/start');
      expect(res.status).toBe(502);
      expect(res.body).toContain('Microsoft could not be reached just now; try again in a moment.');
    } finally {
      await down.close();
    }
  });
});

describe('Microsoft sign-in, multi-tenant (the global authority, its transport sent to the fake)', () => {
  let app: AuthTestApp;
  let ms: FakeOidc;
  const redirects: string[] = [];
  const global = 'https://login.microsoftonline.com';
  const allowed = '33333333-3333-4333-8333-333333333333';
  // openid-client's own fetch option (customFetch): the transport is redirected, the protocol is not touched.
  const toFake = (u: URL): URL => (u.origin === global ? new URL(`${ms.url}${u.pathname}${u.search}`) : u);
  beforeAll(async () => {
    ms = await startFakeOidc({
      preset: 'microsoft',
      clientId: 'teams-app-id',
      clientSecret: 'teams-app-password',
      redirectUris: redirects,
      origin: global,
      user: { tid: allowed, oid: 'bbbbbbbb-0000-4000-8000-000000000001', name: 'Tom Tenant' },
    });
    app = await startAuthApp(store, (publicUrl) => ({
      publicUrl,
      clock: clock.now,
      roleOf: roleOf(store, clock.now),
      microsoft: { clientId: 'teams-app-id', clientSecret: 'teams-app-password', allowedTenants: [allowed] },
      fetch: (input, init) => fetch(toFake(new URL(input instanceof Request ? input.url : String(input))), init),
    }));
    redirects.push(`${app.url}/auth/microsoft/callback`);
  });
  afterAll(async () => {
    await app?.close();
    await ms?.stop();
  });

  it('accepts an allowed tenant, checking iss against the {tenantid} template', async () => {
    const b = new Browser(app.url, toFake);
    const res = await b.go('/auth/microsoft/start?next=%2Fdashboard%2Fprobe');
    expect(res.body).toContain(`teams:${allowed}:bbbbbbbb-0000-4000-8000-000000000001 viewer via microsoft`);
    expect(ms.requests[0]!.path).toBe('/organizations/v2.0/.well-known/openid-configuration');
    expect(ms.codes.at(-1)!.tenant).toBe('organizations');
  });

  it('refuses a tenant not allowed', async () => {
    ms.setUser({
      tid: '44444444-4444-4444-8444-444444444444',
      oid: 'bbbbbbbb-0000-4000-8000-000000000002',
      name: 'Outsider',
    });
    try {
      const b = new Browser(app.url, toFake);
      const res = await b.go('/auth/microsoft/start');
      expect(res.status).toBe(403);
      expect(res.body).toContain('Your Microsoft tenant (44444444-4444-4444-8444-444444444444) is not allowed here');
      expect(b.cookies.has(sessionCookieName)).toBe(false);
    } finally {
      ms.setUser({ tid: allowed, oid: 'bbbbbbbb-0000-4000-8000-000000000001', name: 'Tom Tenant' });
    }
  });

  it('refuses a token whose iss names another tenant than its tid', async () => {
    ms.tamperNext({ iss: `${global}/55555555-5555-4555-8555-555555555555/v2.0` });
    const res = await new Browser(app.url, toFake).go('/auth/microsoft/start');
    expect(res.status).toBe(400);
    expect(res.body).toMatch(/did not pass our checks: .*iss/);
  });
});
