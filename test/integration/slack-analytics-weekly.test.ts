import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { analyticsWeeklyJob } from '../../src/analytics/jobs.ts';
import { startApp, type App } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { sql } from '../../src/store/orm.ts';
import { startSlackFake, type SlackFake } from '../fakes/slack-api.ts';
import { at, seedAnalytics } from '../helpers/analytics.ts';
import { createTestStore, testStoreTimeoutMs, type TestStore } from '../helpers/db.ts';
import { waitFor } from '../helpers/wait-for.ts';

/**
 * The weekly team analytics summary on the wire: the Agenda job posts last week's figures per team
 * through the Slack surface into ANALYTICS_CONVERSATION, as Block Kit the Web API fake validates
 * (fields, a native table, the chart as a data_visualization block), once per week.
 */
const TEAM = 'T0FAKE0001';
const CHANNEL = 'C0DORA0001';
const now = at('2026-12-03T12:00');

let fake: SlackFake;
let store: TestStore;
let app: App;

beforeAll(async () => {
  store = await createTestStore();
  fake = await startSlackFake({ teamId: TEAM, channels: [{ id: CHANNEL, name: 'engineering' }] });
  const config = loadConfig({
    PORT: '0',
    LOG_LEVEL: 'silent',
    SANDBOX: 'on',
    SANDBOX_CLOUDS: 'aws',
    SLACK_BOT_TOKEN: 'xoxb-test-token',
    SLACK_SIGNING_SECRET: 'weekly-signing-secret-0123456789',
    SLACK_API_URL: fake.url,
    ANALYTICS_CONVERSATION: `slack:${TEAM}:${CHANNEL}`,
  });
  app = await startApp(config, {
    logger: createLogger('silent'),
    store,
    now: () => now,
    lockLifetimeMs: 2_000,
    refreshDelayMs: 0,
    slack: { retryConfig: { retries: 0 } },
  });
  await seedAnalytics(store.db, TEAM, { surface: 'slack', workspaceId: TEAM, channelId: CHANNEL });
}, testStoreTimeoutMs);
afterAll(async () => {
  await app?.close();
  await store?.dispose();
  await fake?.stop();
});

it('posts last week per team to the configured Slack channel, once', async () => {
  await app.scheduler.now(analyticsWeeklyJob);
  const [message] = await waitFor(() => fake.messages(CHANNEL).length > 0 && fake.messages(CHANNEL), {
    what: 'the weekly summary in Slack',
    timeoutMs: 30_000,
    detail: () => fake.calls.map((c) => c.method),
  });
  expect(message!.text).toMatch(/^Weekly summary: all teams, 2026-11-26 – 2026-12-02: 0 deployments/);
  const types = (message!.blocks ?? []).map((b) => (b as { type: string }).type);
  expect(types[0]).toBe('header');
  expect(types).toContain('table');
  // The deployments chart drawn natively, its numbers in the text too.
  expect(types).toContain('data_visualization');
  const json = JSON.stringify(message!.blocks);
  expect(json).toContain('Security findings resolved');
  expect(json).toContain('Known teams: data, payments, platform, web, unowned.');

  // The job again (a retry, another replica's tick): the week's run key is taken, nothing more is posted.
  await app.scheduler.now(analyticsWeeklyJob);
  await waitFor(
    async () =>
      (
        await store.db.execute(
          sql`select 1 from agenda_jobs where name = ${analyticsWeeklyJob} and last_finished_at is not null`,
        )
      ).rows.length >= 2,
    { what: 'the second run to end', timeoutMs: 30_000 },
  );
  expect(fake.messages(CHANNEL)).toHaveLength(1);
  expect(fake.callsTo('chat.postMessage').every((c) => c.response.ok === true)).toBe(true);
}, 60_000);
