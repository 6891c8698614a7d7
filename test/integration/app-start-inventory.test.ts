import { afterEach, describe, expect, it } from '@jest/globals';
import { startApp, type App } from '../../src/app.ts';
import { resourceRepository } from '../../src/cloud/repository.ts';
import { startSandbox, type Sandbox } from '../../src/cloud/sandbox/server.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createTestStore, type TestStore } from '../helpers/db.ts';

/**
 * The start's inventory pass: a provider never synced is listed before the app is ready (a first
 * start must not answer "no instances" only because nothing was read yet); one with a stored
 * inventory serves it at once and is refreshed in the background, so a slow or stuck cloud never
 * holds readiness (every provider, account and region listed at each start).
 */
let store: TestStore | undefined;
let sandbox: Sandbox | undefined;
const apps: App[] = [];
const releases: Array<() => void> = [];
afterEach(async () => {
  for (const release of releases.splice(0)) release();
  for (const app of apps.splice(0)) await app.close();
  await sandbox?.stop();
  await store?.dispose();
  store = sandbox = undefined;
});

const config = loadConfig({
  NODE_ENV: 'test',
  PORT: '0',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'silent',
  SANDBOX: 'on',
  SANDBOX_CLOUDS: 'aws',
});
const start = async (): Promise<App> => {
  const app = await startApp(config, { logger: createLogger('silent'), jobs: false, store: store!, sandbox: sandbox! });
  apps.push(app);
  return app;
};
const stateOf = async (name: string): Promise<string | undefined> =>
  (await resourceRepository(store!.db).findByIdOrName(name))[0]?.state;
const describes = (): number => sandbox!.requests.filter((r) => r.action === 'DescribeInstances').length;

describe('the inventory pass at start', () => {
  it('lists a never-synced provider before ready, and refreshes a stored one in the background', async () => {
    store = await createTestStore();
    sandbox = await startSandbox({ now: () => new Date('2026-11-02T09:00:00Z') });

    // First start: nothing stored, so the listing is part of starting.
    const first = await start();
    expect(await stateOf('web-prod-1')).toBe('running');
    expect(describes()).toBeGreaterThan(0);
    await first.synced;
    await first.close();
    apps.splice(0);

    // While the app is down, someone stops web-prod-1 in the cloud; then the cloud gets stuck.
    const instance = sandbox.fleet.instances.find((i) => i.tags.Name === 'web-prod-1');
    expect(instance).toBeDefined();
    instance!.state = 'stopped';
    const before = describes();
    const release = sandbox.hold();
    releases.push(release);

    // Second start: ready while the cloud answers nothing, serving what was stored.
    const second = await start();
    const res = await fetch(`${second.url}/readyz`);
    expect(res.status).toBe(200);
    expect(await stateOf('web-prod-1')).toBe('running');
    let refreshed = false;
    void second.synced.then(() => (refreshed = true));
    await new Promise((r) => setImmediate(r));
    expect(refreshed).toBe(false);

    // The cloud answers again: the background pass stores what it sees now.
    release();
    await second.synced;
    expect(describes()).toBeGreaterThan(before);
    expect(await stateOf('web-prod-1')).toBe('stopped');
  }, 60_000);
});
