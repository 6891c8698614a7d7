import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { parseWeeklyAt, postWeeklySummaries } from '../../src/analytics/jobs.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { at, seedAnalytics } from '../helpers/analytics.ts';
import { TENANT, startTeamsHarness, type TeamsHarness, botAddedToChannel } from '../fixtures/teams-harness.ts';

/**
 * The weekly team analytics summary on Microsoft Teams, on the wire: posted through the Teams
 * surface and the Bot Connector fake as an Adaptive Card into the channel ANALYTICS_CONVERSATION
 * names, once per week.
 */
const CHANNEL = '19:engineering-weekly@thread.tacv2';
let h: TeamsHarness;
beforeAll(async () => {
  h = await startTeamsHarness({ appId: true });
  // The bot is added to the channel (Teams sends conversationUpdate): the surface keeps its reference.
  await botAddedToChannel(h, CHANNEL);
}, 60_000);
afterAll(async () => {
  await h?.stop();
});

it('posts last week per team into the configured Teams channel as an Adaptive Card, once', async () => {
  const app = h.app;
  const conversation = { surface: 'teams' as const, workspaceId: TENANT, channelId: CHANNEL };
  await seedAnalytics(app.store.db, TENANT, conversation);
  const deps = {
    db: app.store.db,
    now: () => at('2026-12-03T12:00'),
    runner: 'test',
    logger: createLogger('silent'),
    conversations: [conversation],
    at: parseWeeklyAt('thu 12:00 UTC'),
    ownerTags: ['owner', 'team'],
    sandbox: true,
    post: (c: typeof conversation, reply: Parameters<NonNullable<typeof app.teams>['surface']['post']>[1]) =>
      app.teams!.surface.post(c, reply),
  };
  expect(await postWeeklySummaries(deps)).toBe(1);
  const posted = h.fake.messages(CHANNEL).map((a) => JSON.stringify(a.activity));
  expect(posted).toHaveLength(1);
  expect(posted[0]).toContain('application/vnd.microsoft.card.adaptive');
  expect(posted[0]).toMatch(/Weekly summary: all teams, 2026-11-26 – 2026-12-02/);
  expect(posted[0]).toContain('Security findings resolved');
  // A second run in the same week (a retry, another replica) posts nothing more.
  expect(await postWeeklySummaries(deps)).toBe(0);
  expect(h.fake.messages(CHANNEL)).toHaveLength(1);
}, 60_000);
