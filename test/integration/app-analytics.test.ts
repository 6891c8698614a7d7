import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { analyticsWeeklyJob, postedWeeks, postWeeklySummaries } from '../../src/analytics/jobs.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { sql } from '../../src/store/orm.ts';
import { startTestApp, turn, type ReplyLike, type TestApp } from '../helpers/app.ts';
import { at, seedAnalytics } from '../helpers/analytics.ts';
import { waitFor } from '../helpers/wait-for.ts';

// Team analytics through the whole app, on the console: `analytics [team] [period]` in the grammar
// (the `team_analytics` tool), an unknown team and a nonsense period, the weekly summary job
// posting into ANALYTICS_CONVERSATION once per week, and Home's figures.

let app: TestApp;
const now = at('2026-12-03T12:00');
const textOf = (replies: ReplyLike[]): string =>
  replies.map((r) => [r.text, JSON.stringify(r.blocks)].join('\n')).join('\n');

interface Message {
  id: string;
  text: string;
  reply?: { text: string; blocks: ReplyLike['blocks'] };
}
const channel = async (): Promise<Message[]> => {
  const res = await fetch(`${app.url}/console/api/messages?user=alice&channel=ops`);
  return ((await res.json()) as { messages: Message[] }).messages;
};

beforeAll(async () => {
  app = await startTestApp(
    { ANALYTICS_CONVERSATION: 'console:console:ops', ANALYTICS_WEEKLY_AT: 'thu 09:00 Europe/Berlin' },
    { now: () => now, jobs: true },
  );
  await seedAnalytics(app.store.db, 'console', { surface: 'console', workspaceId: 'console', channelId: 'ops' });
}, 120_000);
afterAll(async () => app?.stop());

describe('analytics in chat', () => {
  it('answers `analytics payments 2026-11` with the figures, the chart and the trend', async () => {
    const replies = await turn(app, 'alice', 'analytics payments 2026-11');
    expect(replies).toHaveLength(1);
    const r = replies[0]!;
    expect(r.blocks[0]).toEqual({ type: 'header', text: 'Team analytics: payments, November 2026' });
    const fields = (r.blocks[1] as unknown as { fields: Array<{ label: string; value: string }> }).fields;
    expect(Object.fromEntries(fields.map((f) => [f.label, f.value]))).toMatchObject({
      Deployments: '2 (0.5/week) (medium)',
      'Lead time': '50 min median, 1 h 22 min p90 (2) (elite)',
      'Change failure rate': '66.7 % (2 of 3) (low)',
      'Time to restore': '2 h median, 2 h p90 (1) (high)',
      'Approval turnaround': '2 h 30 min median, 3 h 42 min p90 (2)',
    });
    expect(r.blocks.some((b) => b.type === 'chart')).toBe(true);
  });

  it('answers `analytics last-month` with a row per team, and `analytics` for this month', async () => {
    const all = textOf(await turn(app, 'alice', 'analytics last-month'));
    expect(all).toContain('Team analytics: all teams, November 2026');
    expect(all).toContain('"payments","2","50 min","66.7 %"');
    // The sandbox's own resources carry owner tags too (platform, web).
    expect(all).toContain('Known teams: data, payments, platform, web, unowned.');
    // December so far: nothing executed yet.
    const december = textOf(await turn(app, 'bob', 'analytics'));
    expect(december).toContain('Team analytics: all teams, December 2026 so far');
  });

  it('names the known teams for an unknown one, and the accepted forms for a nonsense period', async () => {
    expect(textOf(await turn(app, 'alice', 'analytics billing 2026-11'))).toContain(
      'There is no team “billing”. Known teams: data, payments, platform, web, unowned.',
    );
    const bad = textOf(await turn(app, 'alice', 'analytics payments nonsense'));
    expect(bad).toContain(
      '“nonsense” is not a period: say a month like 2026-11, this-month, last-month, 7d, 30d or 90d',
    );
    expect(bad).toContain('usage: analytics [team] [period]');
  });
});

describe('the weekly summary', () => {
  it('posts last week to ANALYTICS_CONVERSATION once, however often the job runs', async () => {
    const before = (await channel()).length;
    await app.scheduler.now(analyticsWeeklyJob);
    const posted = await waitFor(
      async () =>
        (await channel()).find((m) => m.text.startsWith('Weekly summary: all teams, 2026-11-26 – 2026-12-02')),
      { what: 'the weekly summary in the console channel', timeoutMs: 30_000 },
    );
    // Last week held the scan that resolved sg-1 and the incident that opened on the 28th.
    expect(JSON.stringify(posted.reply?.blocks)).toContain('{"label":"Security findings resolved","value":"1"}');
    expect(JSON.stringify(posted.reply?.blocks)).toContain('{"label":"Incidents opened","value":"1"}');
    expect(await postedWeeks(app.store.db, 'console:console:ops')).toEqual(['week-2026-11-26']);

    // Another run, and two replicas at once: the week's run key is taken.
    await app.scheduler.now(analyticsWeeklyJob);
    const deps = {
      db: app.store.db,
      now: () => now,
      logger: createLogger('silent'),
      conversations: app.config.analyticsWeekly.conversations,
      at: app.config.analyticsWeekly.at,
      ownerTags: ['owner', 'team'],
      sandbox: true,
      post: () => Promise.reject(new Error('must not post twice')),
    };
    expect(
      await Promise.all([
        postWeeklySummaries({ ...deps, runner: 'replica-a' }),
        postWeeklySummaries({ ...deps, runner: 'replica-b' }),
      ]),
    ).toEqual([0, 0]);
    // Both queued runs have ended once Agenda records their finish.
    await waitFor(
      async () =>
        (
          await app.store.db.execute(
            sql`select 1 from agenda_jobs where name = ${analyticsWeeklyJob} and repeat_interval is null and last_finished_at is not null`,
          )
        ).rows.length >= 2,
      { what: 'the second run to finish', timeoutMs: 30_000 },
    );
    expect((await channel()).filter((m) => m.text.startsWith('Weekly summary')).length).toBe(1);
    expect((await channel()).length).toBe(before + 1);
  });

  it('reads ANALYTICS_WEEKLY_AT as a cron in its zone', () => {
    expect(app.config.analyticsWeekly.at).toEqual({ day: 4, hour: 9, minute: 0, timezone: 'Europe/Berlin' });
  });
});

describe('Home', () => {
  it('shows the workspace at a glance and the incidents an operator may act on', async () => {
    const home = await app.engine.home({
      surface: 'console',
      workspaceId: 'console',
      userId: 'alice',
      displayName: 'Alice',
    });
    const text = JSON.stringify(home.blocks);
    expect(text).toContain('{"type":"header","text":"At a glance"}');
    // The seeded scans judged the sandbox's volumes too.
    expect(text).toMatch(/\{"label":"Open findings","value":"[1-9]\d* \(could save \$[\d,.]+\/month\)"\}/);
    expect(text).toContain('{"label":"Open incidents","value":"1"}');
    expect(text).toContain('{"label":"Deployments (30 days)","value":"4"}');
    expect(text).toContain('{"label":"Change failure rate (30 days)","value":"40 % of 5 changes"}');
    expect(text).toContain('Open incidents you can act on');
    expect(text).toContain('"INC-3","triggered","Disk full"');
  });

  it('leaves the incident list out for a viewer', async () => {
    const home = await app.engine.home({
      surface: 'console',
      workspaceId: 'console',
      userId: 'dave',
      displayName: 'Dave',
    });
    expect(JSON.stringify(home.blocks)).not.toContain('Open incidents you can act on');
  });
});
