import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { consoleCookieName } from '../../src/surfaces/console/auth.ts';
import { consoleConversation } from '../../src/surfaces/console/surface.ts';
import { textReply, type Reply } from '../../src/chat/reply.ts';
import type { FieldIssue } from '../../src/http/errors.ts';
import type { ConsoleUser } from '../../src/surfaces/console/api.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { startConsoleApp, type ConsoleTestApp } from './http-console-app.ts';

interface WireMessage {
  id: number;
  author: string;
  actorKey: string | null;
  text: string;
  reply: { text: string; ephemeral?: boolean } | null;
  createdAt: string;
  updatedAt: string;
}

/** The union of the API's answers, loosely: each test reads the part its route returns. */
interface ApiBody {
  error: string;
  issues: FieldIssue[];
  users: ConsoleUser[];
  replies: Reply[];
  messages: WireMessage[];
  now: string;
}

const call = async (
  app: ConsoleTestApp,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) => {
  const res = await fetch(`${app.baseUrl}${path}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as ApiBody, headers: res.headers };
};

const messages = async (
  app: ConsoleTestApp,
  user: string,
  since?: string,
): Promise<{ messages: WireMessage[]; now: string }> => {
  const res = await call(
    app,
    'GET',
    `/console/api/messages?channel=ops&user=${user}${since ? `&since=${encodeURIComponent(since)}` : ''}`,
  );
  expect(res.status).toBe(200);
  return res.body;
};

describe('console API', () => {
  let app: ConsoleTestApp;
  beforeAll(async () => {
    app = await startConsoleApp();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('lists the console users', async () => {
    const res = await call(app, 'GET', '/console/api/users');
    expect(res.body.users.map((u) => `${u.userId}:${u.role}`)).toEqual([
      'alice:operator',
      'bob:approver',
      'carol:viewer',
      'dave:admin',
    ]);
  });

  it('runs a turn as the console actor in #ops and returns the replies', async () => {
    const res = await call(app, 'POST', '/console/api/turn', { user: 'alice', text: 'list instances' });
    expect(res.status).toBe(200);
    expect(res.body.replies[0]!.blocks[0]).toEqual({ type: 'header', text: 'Echo' });
    expect(app.engine.turns.at(-1)).toEqual({
      actor: { surface: 'console', workspaceId: 'console', userId: 'alice', displayName: 'Alice' },
      conversation: { surface: 'console', workspaceId: 'console', channelId: 'ops' },
      text: 'list instances',
    });
  });

  it('refuses unknown users, wrong fields and non-JSON bodies with the reason', async () => {
    expect(await call(app, 'POST', '/console/api/turn', { user: 'mallory', text: 'hi' })).toMatchObject({
      status: 400,
      body: { error: 'unknown console user' },
    });
    const wrong = await call(app, 'POST', '/console/api/turn', { user: 'alice', text: 42 });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toBe('invalid request: text: Invalid input: expected string, received number');
    const channel = await call(app, 'POST', '/console/api/turn', { user: 'alice', text: 'x', channel: '../etc' });
    expect(channel.body.issues[0]!.path).toBe('channel');
    const form = await fetch(`${app.baseUrl}/console/api/turn`, {
      method: 'POST',
      body: 'user=alice&text=hi',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(415);
    expect(
      (await call(app, 'GET', '/console/api/messages?channel=ops&user=alice&since=yesterday')).body.issues[0]!.path,
    ).toBe('since');
  });

  it('answers 500 without details when the engine fails', async () => {
    const res = await call(app, 'POST', '/console/api/turn', { user: 'alice', text: 'fail' });
    expect(res).toMatchObject({ status: 500, body: { error: 'internal error' } });
  });

  it('runs an interaction and shows its replies to everyone in the channel', async () => {
    const res = await call(app, 'POST', '/console/api/interaction', {
      user: 'bob',
      actionId: 'echo.confirm',
      value: 'list instances',
    });
    expect(res.status).toBe(200);
    expect(res.body.replies[0]!.text).toBe('Bob chose echo.confirm on "list instances"');
    expect(app.engine.interactions.at(-1)).toMatchObject({
      actor: { userId: 'bob' },
      actionId: 'echo.confirm',
      value: 'list instances',
    });
    const seenByCarol = (await messages(app, 'carol')).messages.map((m) => m.text);
    expect(seenByCarol).toContain('Bob chose echo.confirm on "list instances"');
  });

  it('polls messages in order, ephemeral ones only for their user', async () => {
    await call(app, 'POST', '/console/api/turn', { user: 'alice', text: 'secret token-7' });
    const alice = (await messages(app, 'alice')).messages;
    const bob = (await messages(app, 'bob')).messages;
    const secret = 'Only you can see this: token-7';
    expect(alice.map((m) => m.text)).toContain(secret);
    expect(bob.map((m) => m.text)).not.toContain(secret);
    // Bob still sees Alice's question: only the reply is private.
    expect(bob.map((m) => m.text)).toContain('secret token-7');
    const mine = alice.find((m) => m.text === 'secret token-7')!;
    expect(mine).toMatchObject({ author: 'user', actorKey: 'console:console:alice', reply: null });
    const ids = alice.map((m) => m.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
  });

  it('returns only messages created or updated after `since`, and a `now` that overlaps', async () => {
    const posted = await app.surface.post(consoleConversation('ops'), textReply('deploy finished'));
    const first = await messages(app, 'dave');
    const row = first.messages.find((m) => String(m.id) === posted.messageId)!;
    expect(Date.parse(first.now)).toBeLessThan(Date.now() - 1_000);
    // ISO strings carry milliseconds, the database microseconds: one ms past the row's time excludes it.
    const after = new Date(Date.parse(row.updatedAt) + 1).toISOString();
    expect((await messages(app, 'dave', after)).messages.map((m) => m.id)).not.toContain(row.id);
    // The update must be stamped after `after` (at most a millisecond away).
    await waitFor(() => Date.now() > Date.parse(after), {
      what: `the clock to pass ${after}`,
      timeoutMs: 1_000,
      intervalMs: 1,
    });
    await app.surface.update(posted, textReply('deploy finished: 3 of 3 healthy'));
    const changed = (await messages(app, 'dave', after)).messages;
    expect(changed).toHaveLength(1);
    expect(changed[0]).toMatchObject({ id: row.id, text: 'deploy finished: 3 of 3 healthy', createdAt: row.createdAt });
    expect(Date.parse(changed[0]!.updatedAt)).toBeGreaterThan(Date.parse(row.updatedAt));
  });

  it('serves the page and its assets with a strict content security policy', async () => {
    const res = await fetch(`${app.baseUrl}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await res.text()).toContain('data-testid="message-log"');
    expect((await fetch(`${app.baseUrl}/console/app.js`)).headers.get('content-type')).toBe(
      'text/javascript; charset=utf-8',
    );
    expect((await fetch(`${app.baseUrl}/console/style.css`)).status).toBe(200);
  });
});

const token = 'console-token-for-tests-0123456789';

/** A console app behind CONSOLE_TOKEN for the describe it is called in (its own throttle too). */
const appWithToken = (): (() => ConsoleTestApp) => {
  let app: ConsoleTestApp;
  beforeAll(async () => {
    app = await startConsoleApp({ CONSOLE_TOKEN: token });
  });
  afterAll(async () => {
    await app?.close();
  });
  return () => app;
};

describe('console behind CONSOLE_TOKEN', () => {
  const current = appWithToken();
  let app: ConsoleTestApp;
  beforeAll(() => {
    app = current();
  });

  it('refuses the API without the token or with a wrong one, and serves it with the bearer token', async () => {
    const none = await call(app, 'GET', '/console/api/users');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="console"');
    expect(
      (await call(app, 'GET', '/console/api/users', undefined, { authorization: 'Bearer not-the-console-token-000' }))
        .status,
    ).toBe(401);
    expect((await call(app, 'POST', '/console/api/turn', { user: 'alice', text: 'hi' })).status).toBe(401);
    expect((await call(app, 'GET', '/console/api/users', undefined, { authorization: `Bearer ${token}` })).status).toBe(
      200,
    );
    expect((await fetch(`${app.baseUrl}/console/app.js`)).status).toBe(401);
    // Probes stay open for the orchestrator.
    expect((await fetch(`${app.baseUrl}/healthz`)).status).toBe(200);
  });

  it('opens the page with ?token=, which sets a strict HttpOnly cookie that the API accepts', async () => {
    expect((await fetch(`${app.baseUrl}/`)).status).toBe(401);
    expect((await fetch(`${app.baseUrl}/?token=wrong-token-wrong-token-wrong`)).status).toBe(401);
    const page = await fetch(`${app.baseUrl}/?token=${token}`);
    expect(page.status).toBe(200);
    const cookie = page.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly; SameSite=Strict/);
    const pair = cookie.split(';')[0]!;
    expect(pair.startsWith(`${consoleCookieName}=`)).toBe(true);
    expect((await fetch(`${app.baseUrl}/`, { headers: { cookie: pair } })).status).toBe(200);
    expect((await call(app, 'GET', '/console/api/users', undefined, { cookie: pair })).status).toBe(200);
    expect(
      (
        await call(app, 'GET', '/console/api/users', undefined, {
          cookie: `${consoleCookieName}=forged-forged-forged-forged`,
        })
      ).status,
    ).toBe(401);
  });
});

describe('wrong console tokens from one address', () => {
  const current = appWithToken();
  let app: ConsoleTestApp;
  beforeAll(() => {
    app = current();
  });

  it('are answered 429 after ten in a minute, the right token too; a request with no token is not a guess', async () => {
    const users = (authorization?: string) =>
      call(app, 'GET', '/console/api/users', undefined, authorization ? { authorization } : {});
    for (let i = 0; i < 5; i++) expect((await users()).status).toBe(401);
    for (let i = 0; i < 9; i++) expect((await users(`Bearer wrong-token-${i}-0123456789`)).status).toBe(401);
    // The page's ?token= form counts against the same address.
    expect((await fetch(`${app.baseUrl}/?token=wrong-token-wrong-token-wrong`)).status).toBe(401);
    const locked = await users(`Bearer ${token}`);
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(locked.body).toMatchObject({ error: expect.stringMatching(/too many wrong tokens from this address/) });
    expect((await fetch(`${app.baseUrl}/?token=${token}`)).status).toBe(429);
    // Without a token there is nothing to guess: the usual 401 that says what to send.
    expect((await users()).status).toBe(401);
  });
});
