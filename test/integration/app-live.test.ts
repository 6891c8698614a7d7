import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startApp, type App } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { openStore, type Store } from '../../src/store/open.ts';
import type { LiveEvent } from '../../src/util/live.ts';
import { buildAlertmanagerPayload, postAlertmanager } from '../fakes/alertmanager/sender.ts';
import { startTestApp, turn, type TestApp } from '../helpers/app.ts';
import { testStoreTimeoutMs } from '../helpers/db.ts';
import { openSse, type SseClient } from '../helpers/sse-client.ts';
import { waitFor } from '../helpers/wait-for.ts';

/**
 * Live events through the whole app: what the publishers announce (messages, change transitions,
 * scans), the console's event stream, and, on PostgreSQL, a turn on one replica reaching a stream
 * served by another.
 */
const ops = 'console:console:ops:';

const messageIds = (c: SseClient): number[] =>
  c.events('message').map((f) => (JSON.parse(f.data!) as Extract<LiveEvent, { kind: 'message' }>).messageId);

/** The ops channel's messages as `user` reads them on `app`. */
const readLog = async (app: Pick<App, 'url'>, user: string) => {
  const res = await fetch(`${app.url}/console/api/messages?user=${user}`);
  return ((await res.json()) as { messages: Array<{ id: number; text: string }> }).messages;
};

describe('live events in the app', () => {
  let app: TestApp;
  const heard: LiveEvent[] = [];
  beforeAll(async () => {
    app = await startTestApp({ ALERTMANAGER_TOKENS: 'am-live-token' });
    app.live.subscribe((e) => heard.push(e));
  }, testStoreTimeoutMs);
  afterAll(async () => {
    await app?.stop();
  });

  it("streams the ops channel's messages to the console, ids only", async () => {
    const stream = await openSse(`${app.url}/console/api/events?user=carol`);
    try {
      expect(stream.status).toBe(200);
      await waitFor(() => stream.events('ready').length === 1, { what: 'ready', timeoutMs: 5_000 });
      await turn(app, 'bob', 'help');
      const log = await readLog(app, 'bob');
      const mine = log.filter((m) => m.text === 'help' || m.id > log.find((x) => x.text === 'help')!.id);
      await waitFor(() => mine.every((m) => messageIds(stream).includes(m.id)), {
        what: "every message of bob's turn on the stream",
        timeoutMs: 5_000,
        detail: () => ({ stream: messageIds(stream), log: mine.map((m) => m.id) }),
      });
      const frame = JSON.parse(stream.events('message')[0]!.data!) as Record<string, unknown>;
      expect(Object.keys(frame).sort()).toEqual(['conversationKey', 'kind', 'messageId', 'workspaceId']);
      expect(frame).toMatchObject({ kind: 'message', workspaceId: 'console', conversationKey: ops });
    } finally {
      stream.close();
    }
  });

  it('refuses a stream to someone who is not a console user', async () => {
    const res = await fetch(`${app.url}/console/api/events?user=mallory`);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'unknown console user' });
  });

  it('announces a change request as it is filed, and its card updated in place when it is rejected', async () => {
    const [card] = await turn(app, 'alice', 'stop web-prod-1');
    const changeId = card!.changeId!;
    await waitFor(() => heard.some((e) => e.kind === 'change' && e.changeId === changeId && e.status === 'pending'), {
      what: `${changeId} pending`,
      timeoutMs: 5_000,
      detail: () => heard,
    });
    const before = heard.length;
    await turn(app, 'bob', `reject ${changeId} not now`);
    await waitFor(() => heard.some((e) => e.kind === 'change' && e.changeId === changeId && e.status === 'rejected'), {
      what: `${changeId} rejected`,
      timeoutMs: 5_000,
      detail: () => heard.slice(before),
    });
    // The card's copy in #ops was rewritten: a message notice for its id.
    const cardId = Number(card!.messageId);
    await waitFor(() => heard.slice(before).some((e) => e.kind === 'message' && e.messageId === cardId), {
      what: 'the card update',
      timeoutMs: 5_000,
      detail: () => heard.slice(before),
    });
  });

  it('announces a scan as it starts, advances and ends', async () => {
    const before = heard.length;
    await turn(app, 'alice', 'scan cost');
    const scans = () => heard.slice(before).filter((e) => e.kind === 'scan');
    await waitFor(() => scans().some((e) => e.status === 'succeeded'), {
      what: 'the scan to end',
      timeoutMs: 5_000,
      detail: scans,
    });
    const [first] = scans();
    expect(first).toMatchObject({ kind: 'scan', workspaceId: 'console', status: 'running', done: 0 });
    const last = scans().at(-1)!;
    expect(last.kind === 'scan' && last.done === last.total).toBe(true);
  });

  it('announces an incident as it opens and as it is resolved', async () => {
    const before = heard.length;
    const group = { receiver: 'devops-agent', groupLabels: { alertname: 'LiveErrors', service: 'checkout' } };
    const alert = {
      labels: { alertname: 'LiveErrors', service: 'checkout', severity: 'critical' },
      annotations: { summary: 'Checkout 5xx above 5%' },
      startsAt: new Date(Date.now() - 60_000),
    };
    const url = `${app.url}/webhooks/alertmanager`;
    const incidents = () => heard.slice(before).filter((e) => e.kind === 'incident');
    expect(
      (await postAlertmanager(url, buildAlertmanagerPayload(group, [alert]), { bearer: 'am-live-token' })).status,
    ).toBe(202);
    await app.incidents.idle();
    await waitFor(() => incidents().some((e) => e.status === 'triggered'), {
      what: 'the incident opened',
      timeoutMs: 5_000,
      detail: incidents,
    });
    const resolved = buildAlertmanagerPayload(group, [{ ...alert, endsAt: new Date() }]);
    expect((await postAlertmanager(url, resolved, { bearer: 'am-live-token' })).status).toBe(202);
    await app.incidents.idle();
    await waitFor(() => incidents().some((e) => e.status === 'resolved'), {
      what: 'the incident resolved',
      timeoutMs: 5_000,
      detail: incidents,
    });
    expect(incidents()[0]).toMatchObject({
      kind: 'incident',
      workspaceId: 'console',
      incidentId: expect.stringMatching(/^INC-\d+$/),
    });
  });

  it('announces each inventory source listed', async () => {
    const before = heard.length;
    const outcomes = await app.syncNow();
    const listed = outcomes.filter((o) => !o.error && !o.skipped).map((o) => o.source);
    expect(listed.length).toBeGreaterThan(0);
    await waitFor(
      () => listed.every((s) => heard.slice(before).some((e) => e.kind === 'inventory' && e.source === s)),
      { what: 'every source announced', timeoutMs: 5_000, detail: () => heard.slice(before) },
    );
  });
});

const onServer = process.env.DATABASE_URL ? describe : describe.skip;

onServer('live events across two app replicas on one PostgreSQL', () => {
  let a: TestApp;
  let b: App;
  let bStore: Store;
  beforeAll(async () => {
    a = await startTestApp();
    // Replica B: its own Store (pool and listener) on A's database, its own HTTP server.
    bStore = await openStore({
      databaseUrl: a.testStore.connectionString,
      dataDir: '/tmp',
      poolMax: 4,
      logger: createLogger('silent'),
    });
    b = await startApp(
      loadConfig({
        NODE_ENV: 'test',
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'silent',
        SANDBOX: 'on',
        SANDBOX_CLOUDS: 'aws',
      }),
      { logger: createLogger('silent'), jobs: false, refreshDelayMs: 0, store: bStore },
    );
  }, 2 * testStoreTimeoutMs);
  afterAll(async () => {
    await b?.close();
    await bStore?.close();
    await a?.stop();
  });

  it('a turn on replica A reaches a console stream served by replica B as message notices', async () => {
    const stream = await openSse(`${b.url}/console/api/events?user=carol`);
    try {
      await waitFor(() => stream.events('ready').length === 1, { what: 'ready on B', timeoutMs: 5_000 });
      await turn(a, 'bob', 'help me replica');
      const log = await readLog(b, 'bob');
      const asked = log.find((m) => m.text === 'help me replica');
      expect(asked).toBeDefined();
      await waitFor(() => messageIds(stream).includes(asked!.id), {
        what: "bob's message on B's stream",
        timeoutMs: 5_000,
        detail: () => messageIds(stream),
      });
      // Once each: no notice twice (B hears A's NOTIFY once through its own LISTEN).
      const ids = messageIds(stream);
      expect(new Set(ids).size).toBe(ids.length);
    } finally {
      stream.close();
    }
  });
});
