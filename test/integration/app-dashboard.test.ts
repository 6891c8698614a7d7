import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { viewNames } from '../../src/surfaces/dashboard/ports.ts';
import { startTestApp, turn, type TestApp } from '../helpers/app.ts';

/**
 * The dashboard as the app serves it (issue 18): the console's sign-in, every view over the
 * sandbox's inventory and the app's own records, approving from the page with the chat's roles and
 * policy, CSRF, and nonsense filters. The page's rendering is tested in test/browser/dashboard*.
 */
jest.setTimeout(120_000);

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.stop();
});

interface Signed {
  cookie: string;
  csrf: string;
}

const firstCookie = (res: Response, name: string): string | undefined =>
  res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .find((c) => c.startsWith(`${name}=`));

const csrfIn = (html: string): string => {
  const m = /name="csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error(`no csrf field in ${html.slice(0, 300)}`);
  return m[1]!;
};

/** Signs in through the sign-in page's console form, as a browser would. */
const signIn = async (user: string): Promise<Signed> => {
  const page = await fetch(`${app.url}/auth/sign-in?next=%2Fdashboard`);
  expect(page.status).toBe(200);
  const formCookie = page.headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .join('; ');
  const res = await fetch(`${app.url}/auth/console`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: formCookie, origin: app.url },
    body: new URLSearchParams({ user, next: '/dashboard', csrf: csrfIn(await page.text()) }),
  });
  expect(res.status).toBe(303);
  expect(res.headers.get('location')).toBe('/dashboard');
  const cookie = firstCookie(res, 'devops_agent_session');
  expect(cookie).toBeDefined();
  const dash = await fetch(`${app.url}/dashboard`, { headers: { cookie: cookie! } });
  expect(dash.status).toBe(200);
  return { cookie: cookie!, csrf: csrfIn(await dash.text()) };
};

/** The parts of a View (src/surfaces/dashboard/ports.ts) the checks read; loose on purpose. */
interface ViewJson {
  name: string;
  error: string;
  figures: { id: string; value: string; link: { view: string } }[];
  tables: { paging?: { total: number }; rows: { id: string; cells: unknown; actions?: { kind: string }[] }[] }[];
}

const view = async (s: Signed, name: string, query = ''): Promise<{ status: number; body: ViewJson }> => {
  const res = await fetch(`${app.url}/dashboard/api/view/${name}${query}`, { headers: { cookie: s.cookie } });
  return { status: res.status, body: (await res.json()) as ViewJson };
};

const decide = (s: Signed, body: unknown, csrf: string | null = s.csrf) =>
  fetch(`${app.url}/dashboard/api/decide`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      cookie: s.cookie,
      origin: app.url,
      ...(csrf ? { 'x-csrf-token': csrf } : {}),
    },
    body: JSON.stringify(body),
  });

describe('the dashboard in the app', () => {
  it('sends a visitor without a session to sign in, keeping where they were going', async () => {
    const res = await fetch(`${app.url}/dashboard/inventory?provider=aws`, { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(
      `/auth/sign-in?next=${encodeURIComponent('/dashboard/inventory?provider=aws')}`,
    );
    const api = await fetch(`${app.url}/dashboard/api/view/overview`);
    expect(api.status).toBe(401);
    expect(((await api.json()) as { signIn: string }).signIn).toMatch(/^\/auth\/sign-in\?next=/);
  });

  it('shows every view over the sandbox inventory and the records, with links behind the figures', async () => {
    const alice = await signIn('alice');
    for (const name of viewNames) {
      const { status, body } = await view(alice, name);
      expect({ name, status }).toEqual({ name, status: 200 });
      expect(body.name).toBe(name);
    }
    const overview = (await view(alice, 'overview')).body;
    const resources = overview.figures.find((f) => /resources/i.test(f.id))!;
    expect(resources).toBeDefined();
    expect(Number(String(resources.value).replace(/,/g, ''))).toBeGreaterThan(0);
    expect(resources.link.view).toBe('inventory');
    const inventory = (await view(alice, 'inventory', '?provider=aws&limit=5')).body;
    const main = inventory.tables.find((t) => t.paging)!;
    expect(main.rows.length).toBeGreaterThan(0);
    expect(main.rows.length).toBeLessThanOrEqual(5);
    expect(main.paging!.total).toBeGreaterThan(5);
  });

  it('lets an approver approve from the page; a viewer and a request without the CSRF token cannot', async () => {
    const [card] = await turn(app, 'alice', 'stop web-prod-1');
    const changeId = card!.changeId!;
    expect(changeId).toMatch(/^CR-\d+$/);

    const dave = await signIn('dave');
    const daveRows = (await view(dave, 'approvals')).body.tables.flatMap((t) => t.rows);
    const daveRow = daveRows.find((r) => r.id === changeId)!;
    expect(daveRow).toBeDefined();
    expect(daveRow.actions ?? []).toEqual([]);
    const refused = await decide(dave, { changeId, decision: 'approve' });
    expect(refused.status).toBe(403);

    const bob = await signIn('bob');
    const bobRow = (await view(bob, 'approvals')).body.tables.flatMap((t) => t.rows).find((r) => r.id === changeId)!;
    expect(bobRow.actions!.map((a) => a.kind)).toEqual(['approve', 'reject']);

    const forged = await decide(bob, { changeId, decision: 'approve' }, null);
    expect(forged.status).toBe(403);
    const wrong = await decide(bob, { changeId, decision: 'approve' }, 'not-the-token');
    expect(wrong.status).toBe(403);

    const ok = await decide(bob, { changeId, decision: 'approve' });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { text: string }).text).toMatch(new RegExp(`approved ${changeId}`, 'i'));
    // The changes view reads the change as stored: no longer pending.
    const row = (await view(bob, 'changes')).body.tables.flatMap((t) => t.rows).find((r) => r.id === changeId)!;
    expect(JSON.stringify(row.cells)).toMatch(/approved|succeeded|executing/i);
    expect((await view(bob, 'approvals')).body.tables.flatMap((t) => t.rows.map((r) => r.id))).not.toContain(changeId);

    // The engine's error code, not its wording, gives the status: decided already, and no such change.
    const again = await decide(bob, { changeId, decision: 'approve' });
    expect(again.status).toBe(409);
    expect(((await again.json()) as { ok: boolean }).ok).toBe(false);
    expect((await decide(bob, { changeId: 'CR-999999', decision: 'reject' })).status).toBe(404);
  });

  it('answers 409 when a freeze holds the approval, and decides once the freeze is lifted', async () => {
    await turn(app, 'carol', 'freeze prod for 1d release week');
    try {
      const [card] = await turn(app, 'alice', 'reboot web-prod-2');
      const changeId = card!.changeId!;
      const bob = await signIn('bob');
      const held = await decide(bob, { changeId, decision: 'approve' });
      expect(held.status).toBe(409);
      expect(((await held.json()) as { text: string }).text).toMatch(/frozen/);
      await turn(app, 'carol', 'unfreeze prod');
      expect((await decide(bob, { changeId, decision: 'approve' })).status).toBe(200);
    } finally {
      await turn(app, 'carol', 'unfreeze prod');
    }
  });

  it('answers nonsense filters with a message naming the parameter, on the page and in the API', async () => {
    const alice = await signIn('alice');
    const api = await view(alice, 'inventory', '?provider=nope');
    expect(api.status).toBe(400);
    expect(api.body.error).toMatch(/provider/);
    const page = await fetch(`${app.url}/dashboard/changes?limit=-3`, { headers: { cookie: alice.cookie } });
    expect(page.status).toBe(400);
    expect(await page.text()).toMatch(/limit/);
  });

  it('serves its chart library itself', async () => {
    const res = await fetch(`${app.url}/dashboard/assets/chart.umd.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/javascript/);
  });
});
