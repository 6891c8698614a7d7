import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Reply } from '../../src/chat/reply.ts';
import { decisionOutcome, safeNext } from '../../src/surfaces/dashboard/decide.ts';
import { pageQuery } from '../../src/surfaces/dashboard/dashboard.ts';
import { renderView } from '../../src/surfaces/dashboard/page/render.js';
import type { View } from '../../src/surfaces/dashboard/ports.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import {
  changeIdOf,
  consoleActor,
  sessionCookieName,
  startDashboardServer,
  type DashboardServer,
} from '../helpers/dashboard-fixture.ts';

/**
 * The dashboard's HTTP contract without a browser, on both stores: redirects to sign in, the JSON
 * view and its 401, decisions through the real engine (roles and policy as in chat), CSRF, the
 * live stream's filter, assets, and the renderer's escaping.
 */
let app: TestApp;
let dash: DashboardServer;

beforeAll(async () => {
  app = await startTestApp();
  dash = await startDashboardServer(app);
}, 60_000);
afterAll(async () => {
  await dash?.close();
  await app?.stop();
});

const signedIn = (user: 'alice' | 'bob' | 'carol' | 'dave') => {
  const role = ({ alice: 'operator', bob: 'approver', carol: 'admin', dave: 'viewer' } as const)[user];
  const session = dash.auth.signIn(consoleActor(user), role);
  return { session, cookie: `${sessionCookieName}=${session.id}` };
};

const get = (path: string, cookie?: string) =>
  fetch(`${dash.url}${path}`, { redirect: 'manual', headers: cookie ? { cookie } : {} });

const requestChange = async (text: string): Promise<string> =>
  changeIdOf(
    await app.engine.handleTurn({
      actor: consoleActor('alice'),
      conversation: { surface: 'console', workspaceId: 'console', channelId: 'ops' },
      text,
    }),
  );

const decide = (user: ReturnType<typeof signedIn>, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${dash.url}/dashboard/api/decide`, {
    method: 'POST',
    headers: {
      cookie: user.cookie,
      'content-type': 'application/json',
      'x-csrf-token': user.session.csrfToken,
      origin: dash.url,
      ...headers,
    },
    body: JSON.stringify(body),
  });

describe('dashboard pages', () => {
  it('without a session: 303 to sign in with the whole address as next', async () => {
    const res = await get('/dashboard/inventory?provider=aws&sort=cost');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(
      `/auth/sign-in?next=${encodeURIComponent('/dashboard/inventory?provider=aws&sort=cost')}`,
    );
    const api = await get('/dashboard/api/view/costs');
    expect(api.status).toBe(401);
    expect(((await api.json()) as { signIn: string }).signIn).toBe(
      `/auth/sign-in?next=${encodeURIComponent('/dashboard/costs')}`,
    );
  });

  it('serves the view as HTML under a strict CSP, with its data as JSON that no script runs', async () => {
    const { cookie } = signedIn('bob');
    const res = await get('/dashboard', cookie);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    const body = await res.text();
    expect(body).toContain('<h1 id="view-title">Overview</h1>');
    expect(body).toContain('<script type="application/json" id="dashboard-data">');
    expect(body).not.toMatch(/<script>(?!<\/script>)/);
    expect(body).not.toMatch(/\sstyle="/);
    expect(dash.data.calls.at(-1)).toEqual({ name: 'overview', query: {} });
  });

  it('an unknown view is a 404 page naming the views; a nonsense filter a 400 page with the message', async () => {
    const { cookie } = signedIn('bob');
    const missing = await get('/dashboard/costz', cookie);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain('overview, inventory, costs');
    const bad = await get('/dashboard/inventory?environment=moon', cookie);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('environment: “moon” is not known; use one of prod, staging, dev.');
    const name = await get(`/dashboard/inventory?${'x'.repeat(50)}=1`, cookie);
    expect(name.status).toBe(400);
    expect(await name.text()).toContain('a parameter name is 1-40 letters');
  });

  it('serves Chart.js and its own assets from this server', async () => {
    const chart = await get('/dashboard/assets/chart.umd.js');
    expect(chart.status).toBe(200);
    const code = await chart.text();
    expect(code).toContain('Chart');
    expect(code).not.toContain('sourceMappingURL');
    expect((await get('/dashboard/assets/render.js')).status).toBe(200);
    expect((await get('/dashboard/assets/dashboard.css')).headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect((await get('/dashboard/assets/../../etc/passwd')).status).toBe(404);
  });
});

describe('decisions through the real engine', () => {
  it('an approver approves: 200 with the engine’s confirmation', async () => {
    const id = await requestChange('reboot web-prod-1');
    const res = await decide(signedIn('bob'), { changeId: id, decision: 'approve' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, text: expect.stringMatching(new RegExp(`^You approved ${id}\\.`)) });
    expect((await app.changes.get(id))?.status).not.toBe('pending');
  });

  it('a viewer is refused with the engine’s reason (403); the requester cannot approve her own (403)', async () => {
    const id = await requestChange('reboot api-prod-1');
    const viewer = await decide(signedIn('dave'), { changeId: id, decision: 'approve' });
    expect(viewer.status).toBe(403);
    expect(((await viewer.json()) as { text: string }).text).toContain(`Approving ${id} needs`);
    const own = await decide(signedIn('alice'), { changeId: id, decision: 'approve' });
    expect(own.status).toBe(403);
    expect(((await own.json()) as { text: string }).text).toContain('you cannot approve it yourself');
    expect((await app.changes.get(id))?.status).toBe('pending');
  });

  it('a rejection carries its reason to the change request', async () => {
    const id = await requestChange('reboot api-prod-2');
    const res = await decide(signedIn('carol'), { changeId: id, decision: 'reject', reason: 'freeze week' });
    expect(res.status).toBe(200);
    const change = await app.changes.get(id);
    expect(change?.status).toBe('rejected');
    expect(change?.reason).toBe('freeze week');
  });

  it('refuses without the CSRF token, a bad body with the field named, a non-JSON body, no session', async () => {
    const id = await requestChange('stop worker-prod-1');
    const bob = signedIn('bob');
    expect((await decide(bob, { changeId: id, decision: 'approve' }, { 'x-csrf-token': 'wrong' })).status).toBe(403);
    const bad = await decide(bob, { changeId: 'CR-abc', decision: 'maybe' });
    expect(bad.status).toBe(400);
    const msg = ((await bad.json()) as { error: string }).error;
    expect(msg).toContain('changeId: a change id looks like CR-12');
    expect(msg).toContain('decision: must be approve or reject');
    const form = await decide(bob, { changeId: id, decision: 'approve' }, { 'content-type': 'text/plain' });
    expect(form.status).toBe(415);
    const none = await fetch(`${dash.url}/dashboard/api/decide`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ changeId: id, decision: 'approve' }),
    });
    expect(none.status).toBe(401);
    expect((await app.changes.get(id))?.status).toBe('pending');
  });

  it('the form version: redirect back with the notice, which the next page shows once', async () => {
    const id = await requestChange('stop api-prod-eu-1');
    const bob = signedIn('bob');
    const res = await fetch(`${dash.url}/dashboard/decide`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: bob.cookie, 'content-type': 'application/x-www-form-urlencoded', origin: dash.url },
      body: new URLSearchParams({
        csrf: bob.session.csrfToken,
        changeId: id,
        decision: 'approve',
        next: 'https://evil.example/phish',
      }).toString(),
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/dashboard');
    const flash = res.headers.get('set-cookie')!.split(';')[0]!;
    const page = await get('/dashboard', `${bob.cookie}; ${flash}`);
    expect(await page.text()).toContain(`You approved ${id}.`);
    expect(page.headers.get('set-cookie')).toContain('Max-Age=0');
  });
});

describe('live notices', () => {
  it('streams the viewer’s workspace’s events (and inventory ones), not others’ nor chat messages', async () => {
    const { cookie } = signedIn('bob');
    const received: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const req = http.get(`${dash.url}/dashboard/api/events`, { headers: { cookie } }, (res) => {
        expect(res.headers['content-type']).toBe('text/event-stream');
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          received.push(...chunk.split('\n').filter((l) => l.startsWith('event: ')));
          if (received.includes('event: ready') && received.length === 1) {
            dash.bus.publish({ kind: 'change', workspaceId: 'T-other', changeId: 'CR-1', status: 'approved' });
            dash.bus.publish({ kind: 'message', workspaceId: 'console', conversationKey: 'k', messageId: 1 });
            dash.bus.publish({ kind: 'inventory', workspaceId: '*', source: 'aws' });
            dash.bus.publish({ kind: 'change', workspaceId: 'console', changeId: 'CR-1', status: 'approved' });
          }
          if (received.length >= 3) {
            req.destroy();
            resolve();
          }
        });
      });
      req.on('error', reject);
    });
    expect(received).toEqual(['event: ready', 'event: inventory', 'event: change']);
  });
});

describe('pieces', () => {
  it('decisionOutcome: 200 for a decision taken, else the status of the error code the engine set', () => {
    const text = (t: string, extra: Partial<Reply> = {}): Reply => ({
      text: t,
      blocks: [{ type: 'text', text: t }],
      ...extra,
    });
    expect(decisionOutcome([text('You approved CR-4. CR-4 done.')])).toEqual({
      status: 200,
      text: 'You approved CR-4. CR-4 done.',
    });
    // The text is never read: an error code decides, whatever the answer says.
    expect(decisionOutcome([text('You approved CR-4.', { errorCode: 'forbidden' })]).status).toBe(403);
    expect(decisionOutcome([text('frozen', { errorCode: 'conflict' })]).status).toBe(409);
    expect(decisionOutcome([text('no such change', { errorCode: 'not_found' })]).status).toBe(404);
    expect(decisionOutcome([text('The bot is temporarily unavailable', { errorCode: 'unavailable' })]).status).toBe(
      503,
    );
    // A redaction notice may follow the answer: the answer's code still decides.
    expect(
      decisionOutcome([text('needs an approver', { errorCode: 'forbidden' }), text('I removed a secret')]),
    ).toEqual({ status: 403, text: 'needs an approver\nI removed a secret' });
    expect(decisionOutcome([])).toEqual({ status: 500, text: 'The engine gave no answer.' });
  });

  it('safeNext keeps the dashboard’s own pages only; pageQuery drops blanks', () => {
    expect(safeNext('/dashboard/costs?x=1')).toBe('/dashboard/costs?x=1');
    for (const bad of ['//evil.example', '/dashboard/../auth', 'https://x', '/dashboardx', null])
      expect(safeNext(bad)).toBe('/dashboard');
    expect(pageQuery(new URL('http://h/dashboard?provider=&sort=name'))).toEqual({ sort: 'name' });
  });

  it('renderView escapes every value and drops links that are not http(s)', () => {
    const view: View = {
      name: 'inventory',
      title: '<img src=x onerror=alert(1)>',
      figures: [{ id: 'a"b', label: '<b>', value: '1 & 2' }],
      charts: [],
      tables: [
        {
          id: 't',
          title: 'T',
          columns: [{ key: 'n', label: 'N', sortable: false }],
          rows: [{ id: 'r', cells: { n: { text: 'x', href: 'javascript:alert(1)' } } }],
          empty: '',
        },
      ],
      notes: ['"quoted"'],
      generatedAt: '2026-11-20T10:00:00Z',
    };
    const html = renderView(view, { query: { q: '"><script>' }, csrf: 'tok' });
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<b>');
    expect(html).not.toContain('javascript:');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('1 &amp; 2');
  });
});
