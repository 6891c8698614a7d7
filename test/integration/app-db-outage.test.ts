import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { startApp, type App } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/observability/logger.ts';
import type { Store } from '../../src/store/open.ts';
import { decisionOutcome } from '../../src/surfaces/dashboard/decide.ts';
import { openProxiedStore, type ProxiedStore } from '../helpers/proxied-store.ts';
import { turn, postJson } from '../helpers/app.ts';
import type { TcpProxy } from '../helpers/tcp-proxy.ts';

/**
 * The database lost while the app runs: /readyz fails, chat answers "temporarily unavailable",
 * nothing is half-written, and service resumes by itself when the database is back.
 */
let db: ProxiedStore;
let proxy: TcpProxy;
let store: Store;
let app: App;

beforeAll(async () => {
  db = await openProxiedStore();
  ({ proxy, store } = db);
  const logger = createLogger('silent');
  const config = loadConfig({ PORT: '0', LOG_LEVEL: 'silent', SANDBOX: 'on', SANDBOX_CLOUDS: 'aws' });
  app = await startApp(config, { logger, store, jobs: false });
}, 60_000);
afterAll(async () => {
  await app?.close();
  await db?.close();
});

it('answers "temporarily unavailable" while the database is down and recovers when it is back', async () => {
  expect((await fetch(`${app.url}/readyz`)).status).toBe(200);
  const changesBefore = (await app.changes.list({ limit: 200 })).length;

  proxy.cut('reset');
  expect((await fetch(`${app.url}/readyz`)).status).toBe(503);
  // The console cannot even look its user up: 503 with the reason (the page shows it).
  const down = await postJson(app, '/console/api/turn', { user: 'alice', text: 'stop web-prod-1' });
  expect(down.status).toBe(503);
  expect(down.body.error).toMatch(/temporarily unavailable/);
  const click = await postJson(app, '/console/api/interaction', {
    user: 'bob',
    actionId: 'change.approve',
    value: 'CR-1',
  });
  expect(click.status).toBe(503);
  // The engine itself (what Slack and Teams call) answers in chat rather than failing.
  const [reply] = await app.engine.handleTurn({
    actor: { surface: 'console', workspaceId: 'console', userId: 'alice', displayName: 'Alice' },
    conversation: { surface: 'console', workspaceId: 'console', channelId: 'ops' },
    text: 'stop web-prod-1',
  });
  expect(reply?.text).toMatch(/temporarily unavailable/);
  expect(reply?.errorCode).toBe('unavailable');
  // A click (as the dashboard's decisions make it) is marked the same, so the dashboard answers 503.
  const clicked = await app.engine.handleInteraction({
    actor: { surface: 'console', workspaceId: 'console', userId: 'bob', displayName: 'Bob' },
    conversation: { surface: 'console', workspaceId: 'console', channelId: 'dashboard' },
    actionId: 'change.approve',
    value: 'CR-1',
  });
  expect(decisionOutcome(clicked).status).toBe(503);
  expect(app.sandbox!.requests.some((r) => r.action === 'StopInstances')).toBe(false);

  proxy.restore();
  expect((await fetch(`${app.url}/readyz`)).status).toBe(200);
  // Nothing was filed while the database was down; a new request works at once.
  expect((await app.changes.list({ limit: 200 })).length).toBe(changesBefore);
  const [card] = await turn(app, 'alice', 'stop web-prod-1');
  expect(card?.changeId).toMatch(/^CR-\d+$/);
}, 60_000);
