import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { createLogger } from '../../src/observability/logger.ts';
import { parseDigestSettings } from '../../src/scans/digest.ts';
import { runScheduledScan } from '../../src/scans/jobs.ts';
import { builtInRules } from '../../src/scans/rules/index.ts';
import { TENANT, startTeamsHarness, type TeamsHarness, botAddedToChannel } from '../fixtures/teams-harness.ts';

/**
 * Scan digests on Microsoft Teams, on the wire: a scheduled scan of the tenant's workspace posts
 * one Adaptive Card digest per owner into the channel SCAN_DIGEST_CONVERSATION names, through the
 * Teams surface and the Bot Connector fake, with Fix buttons as card actions.
 */
const FINOPS = '19:finops-digests@thread.tacv2';
let h: TeamsHarness;
beforeAll(async () => {
  h = await startTeamsHarness({ appId: true });
  // The bot is added to the channel (Teams sends conversationUpdate): the surface keeps its reference.
  await botAddedToChannel(h, FINOPS);
}, 60_000);
afterAll(async () => {
  await h?.stop();
});

it('posts one Adaptive Card digest per owner into the configured channel, with Fix actions', async () => {
  const app = h.app;
  const summary = await runScheduledScan(
    {
      db: app.store.db,
      rules: builtInRules,
      thresholds: app.config.scanThresholds,
      now: () => new Date(),
      runner: 'test',
      logger: createLogger('silent'),
      schedule: '0 7 * * *',
      timezone: 'UTC',
      digests: parseDigestSettings({ SCAN_DIGEST_CONVERSATION: `teams:${TENANT}:${FINOPS}` }),
      post: (conversation, reply) => app.teams!.surface.post(conversation, reply),
      sandbox: true,
    },
    TENANT,
  );
  expect(summary?.newFindings).toBeGreaterThan(0);
  const posted = h.fake.messages(FINOPS).map((a) => JSON.stringify(a.activity));
  // Every owner of the sandbox estate (owner/team tags, and the untagged) gets one card, no more.
  const heads = posted.map((p) => /Findings (for [a-z0-9@.-]+|without an owner tag): \d+ new, 0 resolved/.exec(p)?.[0]);
  expect(heads.every(Boolean)).toBe(true);
  expect(new Set(heads).size).toBe(heads.length);
  expect(heads).toEqual(expect.arrayContaining([expect.stringMatching(/^Findings for platform: /)]));
  expect(posted.every((p) => p.includes('application/vnd.microsoft.card.adaptive'))).toBe(true);
  expect(posted.some((p) => /"title":"Fix F-[0-9a-f]{12}"/.test(p))).toBe(true);
}, 60_000);
