import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { startApp, type App } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { scanRunJob } from '../../src/scans/jobs.ts';
import { startSlackFake, type SlackFake } from '../fakes/slack-api.ts';
import { createTestStore, testStoreTimeoutMs, type TestStore } from '../helpers/db.ts';
import { waitFor } from '../helpers/wait-for.ts';

/**
 * A scheduled scan end to end on the wire: the Agenda job scans the Slack workspace's estate (the
 * sandbox) and posts one digest per owner through the Slack surface, as Block Kit the Web API
 * fake validates, into the conversations SCAN_DIGEST_ROUTES and SCAN_DIGEST_CONVERSATION name.
 */
const TEAM = 'T0FAKE0001';
const SEC = 'C0SEC00001';
const PLATFORM = 'C0PLAT0001';

let fake: SlackFake;
let store: TestStore;
let app: App;

beforeAll(async () => {
  store = await createTestStore();
  fake = await startSlackFake({
    teamId: TEAM,
    channels: [
      { id: SEC, name: 'security' },
      { id: PLATFORM, name: 'platform' },
    ],
  });
  const config = loadConfig({
    PORT: '0',
    LOG_LEVEL: 'silent',
    SANDBOX: 'on',
    SLACK_BOT_TOKEN: 'xoxb-test-token',
    SLACK_SIGNING_SECRET: 'digest-signing-secret-0123456789',
    SLACK_API_URL: fake.url,
    SCAN_DIGEST_ROUTES: `platform=slack:${TEAM}:${PLATFORM}`,
    SCAN_DIGEST_CONVERSATION: `slack:${TEAM}:${SEC}`,
  });
  app = await startApp(config, {
    logger: createLogger('silent'),
    store,
    lockLifetimeMs: 2_000,
    slack: { retryConfig: { retries: 0 } },
  });
}, testStoreTimeoutMs);
afterAll(async () => {
  await app?.close();
  await store?.dispose();
  await fake?.stop();
});

it('posts one digest per owner to its conversation, with the change since the last scan and Fix buttons', async () => {
  await app.scheduler.now(scanRunJob, { workspaceId: TEAM });
  // Digests are posted most severe owner first and `unowned` last: its digest means all were posted.
  const digests = await waitFor(
    () => fake.messages(SEC).some((m) => m.text.startsWith('Findings without an owner tag:')) && fake.messages(SEC),
    {
      what: 'the scheduled scan to post its last digest',
      timeoutMs: 30_000,
      detail: () => fake.calls.map((c) => c.method),
    },
  );
  // Each message is one owner's digest: a header with the change, never one message per finding.
  const headers = [...fake.messages(SEC), ...fake.messages(PLATFORM)].map(
    (m) => (m.blocks?.find((b) => (b as { type: string }).type === 'header') as { text: { text: string } }).text.text,
  );
  expect(headers.length).toBe(new Set(headers.map((h) => h.split(':')[0])).size);
  expect(
    headers.every((h) =>
      /^Findings (for \S+|without an owner tag): \d+ new, 0 resolved, \$[\d,.]+\/month open$/.test(h),
    ),
  ).toBe(true);
  // The sandbox tags some resources team=platform: their digest went to #platform, the rest to #security.
  expect(fake.messages(PLATFORM).map((m) => m.text)).toEqual([expect.stringMatching(/^Findings for platform: /)]);
  expect(headers).toEqual(expect.arrayContaining([expect.stringMatching(/^Findings for data: /)]));
  const buttons = digests.flatMap((m) =>
    (m.blocks ?? [])
      .filter((b) => (b as { type: string }).type === 'actions')
      .flatMap((b) => (b as { elements: Array<{ text: { text: string } }> }).elements.map((e) => e.text.text)),
  );
  expect(buttons.length).toBeGreaterThan(0);
  expect(
    buttons.every(
      (t) =>
        /^Fix F-[0-9a-f]{12}$/.test(t) || /^Schedule off-hours for \d+ instances? \(saves \$[\d,.]+\/month\)$/.test(t),
    ),
  ).toBe(true);
  // The sandbox's running dev and staging instances: one off-hours button per owner that has them.
  expect(buttons.some((t) => t.startsWith('Schedule off-hours for '))).toBe(true);
}, 60_000);
