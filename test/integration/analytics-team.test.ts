import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Reply } from '../../src/chat/reply.ts';
import { teamAnalytics, type TeamAnalytics, type TeamFigures } from '../../src/analytics/team/analytics.ts';
import { parsePeriod } from '../../src/analytics/team/period.ts';
import { renderAnalytics } from '../../src/analytics/team/render.ts';
import { workspaceGlance } from '../../src/analytics/team/glance.ts';
import {
  parseAnalyticsConversations,
  parseWeeklyAt,
  postedWeeks,
  postWeeklySummaries,
  weeklyCron,
  type AnalyticsJobDeps,
} from '../../src/analytics/jobs.ts';
import { isAppError } from '../../src/errors.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { loadWorkspaceTemplates, workspaceTemplates } from '../../src/workflows/registry.ts';
import { createTestStore, testStoreTimeoutMs, type TestStore } from '../helpers/db.ts';
import { at, seedAnalytics } from '../helpers/analytics.ts';

// Team analytics over records written through the capabilities' own repositories (changes filed,
// decided and run; a workflow run; a fix; incidents; two scans) with fixed times, on the test store
// (PGlite, or PostgreSQL with DATABASE_URL).

let store: TestStore;
const ws = 'T-AN';
const now = at('2026-12-03T12:00');
const MIN = 60_000;
const HOUR = 60 * MIN;
let november: TeamAnalytics;
const team = (a: TeamAnalytics, name: string): TeamFigures => a.teams.find((t) => t.team === name)!;

beforeAll(async () => {
  store = await createTestStore();
  await seedAnalytics(store.db, ws, { surface: 'console', workspaceId: ws, channelId: 'ops' });
  const templates = workspaceTemplates({ db: store.db, base: await loadWorkspaceTemplates() });
  november = await teamAnalytics(store.db, { workspaceId: ws, period: '2026-11', now, templates });
}, testStoreTimeoutMs);
afterAll(async () => store?.dispose());

describe('teamAnalytics over November 2026', () => {
  it('counts deployments, failures and lead time per team; rollbacks are neither, other workspaces nothing', () => {
    expect(november.period).toMatchObject({ key: '2026-11', from: at('2026-11-01T00:00'), to: at('2026-12-01T00:00') });
    expect(november.total).toMatchObject({ deployments: 5, workflowRuns: 1, executed: 6, failed: 2 });
    expect(november.total.changeFailureRate).toBeCloseTo(2 / 6);
    const payments = team(november, 'payments');
    // api-1 (succeeded), db-1 by its owner tag (failed), api-1 again (succeeded, then rolled back).
    expect(payments).toMatchObject({ deployments: 2, executed: 3, failed: 2, workflowRuns: 0 });
    expect(payments.changeFailureRate).toBeCloseTo(2 / 3);
    // Lead times 90 and 10 minutes: median 50, p90 82 (linear interpolation).
    expect(payments.leadTime).toEqual({ count: 2, medianMs: 50 * MIN, p90Ms: 82 * MIN });
    // The run's first target has no owner tag: its second step's (etl-1) decides. And the fix.
    expect(team(november, 'data')).toMatchObject({ deployments: 2, workflowRuns: 1, failed: 0, changeFailureRate: 0 });
    expect(team(november, 'unowned')).toMatchObject({ deployments: 1, executed: 1 });
    expect(november.total.deploymentsPerWeek).toBeCloseTo((5 / 30) * 7);
  });

  it('measures approval turnaround from filing to the decision, leaving auto-approved requests out', () => {
    expect(team(november, 'payments').approvalTurnaround).toEqual({
      count: 2,
      medianMs: 2.5 * HOUR,
      p90Ms: 3.7 * HOUR,
    });
    expect(team(november, 'data').approvalTurnaround).toEqual({ count: 1, medianMs: 30 * MIN, p90Ms: 30 * MIN });
    expect(november.total.approvalTurnaround).toMatchObject({ count: 3, medianMs: HOUR });
  });

  it('attributes incidents by their resources, then their labels; time to restore from opened to resolved', () => {
    expect(team(november, 'payments').timeToRestore).toEqual({ count: 1, medianMs: 2 * HOUR, p90Ms: 2 * HOUR });
    expect(team(november, 'data').timeToRestore).toEqual({ count: 1, medianMs: 30 * MIN, p90Ms: 30 * MIN });
    expect(november.total.timeToRestore).toMatchObject({ count: 2, medianMs: 75 * MIN });
    // Teams with as many deployments: the larger estate first, `unowned` last.
    expect(november.teams.map((t) => [t.team, t.incidentsOpened])).toEqual([
      ['payments', 1],
      ['data', 1],
      ['unowned', 1],
    ]);
    expect(november.total.incidentsOpened).toBe(3);
  });

  it('realises the saving of a fixed finding, counts resolved security findings and time saved by templates', () => {
    const data = team(november, 'data');
    expect(data).toMatchObject({ savingsRealisedCents: 800, fixesApplied: 1, securityFindingsResolved: 1 });
    // blue-green v1 is estimated at 45 minutes by hand; the run took 30.
    expect(data.timeSaved).toEqual({ runs: 1, minutes: 15, runsWithoutEstimate: 0 });
    expect(november.total).toMatchObject({ savingsRealisedCents: 800, fixesApplied: 1, securityFindingsResolved: 1 });
  });

  it('shares the estate by owner tag', () => {
    expect(team(november, 'payments').estate).toEqual({
      resources: 2,
      monthlyCostCents: 30_000,
      shareOfResources: 2 / 6,
      shareOfCost: 30_000 / 36_800,
    });
    expect(november.attributed.shareOfCost).toBeCloseTo(35_800 / 36_800);
    expect(november.total.estate.monthlyCostCents).toBe(36_800);
  });

  it('gives DORA bands and a monthly trend', () => {
    expect(team(november, 'payments').bands).toEqual({
      deploymentFrequency: 'medium',
      leadTime: 'elite',
      changeFailureRate: 'low',
      timeToRestore: 'high',
    });
    expect(november.trend.months).toEqual(['2026-06', '2026-07', '2026-08', '2026-09', '2026-10', '2026-11']);
    expect(november.trend.byTeam.data!.map((p) => p.deployments)).toEqual([0, 0, 0, 0, 1, 2]);
    expect(november.trend.total.at(-1)).toMatchObject({ deployments: 5, timeToRestoreMedianMs: 75 * MIN });
    expect(november.knownTeams).toEqual(['data', 'payments', 'unowned']);
  });

  it('narrows to one team in any case, and refuses an unknown one naming the known teams', async () => {
    const one = await teamAnalytics(store.db, { workspaceId: ws, team: ' Payments ', period: '2026-11', now });
    expect(one.team).toBe('payments');
    expect(one.total).toMatchObject({ team: 'payments', deployments: 2 });
    expect(one.teams).toHaveLength(1);
    // Without the template registry, time saved is not computed.
    expect(team(one, 'payments').timeSaved.minutes).toBeNull();
    const err = await teamAnalytics(store.db, { workspaceId: ws, team: 'billing', period: '2026-11', now }).catch(
      (e: unknown) => e,
    );
    expect(isAppError(err) && err.code).toBe('not_found');
    expect((err as Error).message).toBe('There is no team “billing”. Known teams: data, payments, unowned.');
  });

  it('reads each period form, and refuses the rest naming the accepted forms', async () => {
    expect(parsePeriod('last-month', now)).toMatchObject({
      key: 'last-month',
      label: 'November 2026',
      from: at('2026-11-01T00:00'),
      to: at('2026-12-01T00:00'),
    });
    expect(parsePeriod('this month', now)).toMatchObject({ from: at('2026-12-01T00:00'), to: now });
    expect(parsePeriod('30d', now)).toMatchObject({ from: at('2026-11-03T12:00'), to: now, label: 'the last 30 days' });
    expect(parsePeriod(undefined, now).key).toBe('this-month');
    for (const bad of ['2026-13', '12d', 'nonsense', '2027-01'])
      expect(() => parsePeriod(bad, now)).toThrow(/2026-11, this-month, last-month, 7d, 30d or 90d/);
    const last30 = await teamAnalytics(store.db, { workspaceId: ws, period: '30d', now });
    // From 3 November noon: the first api-1 change is outside; db-1 (14:10) and the rolled-back one are in.
    expect(team(last30, 'payments')).toMatchObject({ executed: 2, failed: 2, deployments: 1 });
  });

  it('renders a valid Reply: figures, a row per team, the chart with its numbers', () => {
    const r = renderAnalytics(november, { sandbox: false, ownerTags: ['owner', 'team'] });
    expect(Reply.parse(r)).toEqual(r);
    expect(r.blocks[0]).toEqual({ type: 'header', text: 'Team analytics: all teams, November 2026' });
    const table = r.blocks.find((b) => b.type === 'table');
    expect(table?.type === 'table' && table.rows.map((row) => row.slice(0, 4))).toEqual([
      ['payments', '2', '50 min', '66.7 %'],
      // The run (60 min) and the fix (1 min).
      ['data', '2', '31 min', '0 %'],
      ['unowned', '1', '2 min', '0 %'],
    ]);
    const chart = r.blocks.find((b) => b.type === 'chart');
    expect(chart).toMatchObject({ kind: 'bar', categories: november.trend.months });
    expect(r.text).toContain('5 deployments, change failure rate 33.3 %');
  });
});

describe('workspaceGlance (Home)', () => {
  it('gives open findings with their saving, open incidents and the last 30 days', async () => {
    const g = await workspaceGlance(store.db, ws, now, []);
    expect(g).toMatchObject({ openFindings: 1, potentialSavingCents: 800, openIncidents: 1, compliance: [] });
    expect(g.incidents.map((i) => [i.ref, i.title])).toEqual([['INC-3', 'Disk full']]);
    // 3 Nov 12:00 onwards: db-1 (failed), the rolled-back api-1 change, the run, misc-1 and the fix.
    expect(g).toMatchObject({ deployments30d: 4, executed30d: 5 });
    expect(g.changeFailureRate30d).toBeCloseTo(2 / 5);
  });
});

describe('postWeeklySummaries', () => {
  const conversation = { surface: 'slack' as const, workspaceId: ws, channelId: 'C-WEEKLY' };
  const deps = (post: AnalyticsJobDeps['post'], runner = 'r1'): AnalyticsJobDeps => ({
    db: store.db,
    now: () => now,
    runner,
    logger: createLogger('silent'),
    conversations: [conversation],
    at: parseWeeklyAt('thu 09:00'),
    ownerTags: ['owner', 'team'],
    sandbox: false,
    post,
  });

  it('gives the week back when posting fails, then posts it once', async () => {
    const sent: Reply[] = [];
    const posted = (_to: unknown, r: Reply) => {
      sent.push(r);
      return Promise.resolve({ surface: 'slack' as const, conversation, messageId: String(sent.length) });
    };
    expect(await postWeeklySummaries(deps(() => Promise.reject(new Error('slack is down'))))).toBe(0);
    expect(await postedWeeks(store.db, `slack:${ws}:C-WEEKLY`)).toEqual([]);
    // Two replicas at once: one run key, one post.
    expect(
      await Promise.all([postWeeklySummaries(deps(posted, 'r1')), postWeeklySummaries(deps(posted, 'r2'))]),
    ).toEqual(expect.arrayContaining([0, 1]));
    expect(sent).toHaveLength(1);
    expect(sent[0]!.text).toMatch(/^Weekly summary: all teams, 2026-11-26 – 2026-12-02: /);
    expect(await postedWeeks(store.db, `slack:${ws}:C-WEEKLY`)).toEqual(['week-2026-11-26']);
  });

  it('reads ANALYTICS_WEEKLY_AT and ANALYTICS_CONVERSATION, refusing malformed values by name', () => {
    expect(weeklyCron(parseWeeklyAt('Monday 7:30 Europe/Paris'))).toBe('30 7 * * 1');
    expect(parseWeeklyAt('sun 23:59')).toEqual({ day: 0, hour: 23, minute: 59, timezone: 'UTC' });
    for (const bad of ['someday 09:00', 'mon 25:00', 'mon 09:00 Mars/Olympus', 'mon'])
      expect(() => parseWeeklyAt(bad)).toThrow(/^ANALYTICS_WEEKLY_AT: /);
    expect(parseAnalyticsConversations('slack:T1:C1, teams:t:19:abc@thread.tacv2')).toEqual([
      { surface: 'slack', workspaceId: 'T1', channelId: 'C1' },
      { surface: 'teams', workspaceId: 't', channelId: '19:abc@thread.tacv2' },
    ]);
    expect(() => parseAnalyticsConversations('irc:x:y')).toThrow(/^ANALYTICS_CONVERSATION: "irc:x:y" is not/);
  });
});
