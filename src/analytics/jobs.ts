import { z } from 'zod';
import { ConversationRef } from '../chat/actor.ts';
import type { Reply } from '../chat/reply.ts';
import type { PostedMessage } from '../chat/surface.ts';
import { AppError } from '../errors.ts';
import type { Scheduler } from '../jobs/scheduler.ts';
import type { Logger } from '../observability/logger.ts';
import type { Db } from '../store/db.ts';
import { and, eq, sql } from '../store/orm.ts';
import { teamAnalytics, type TemplateEstimates } from './team/analytics.ts';
import { isTimeZone } from '../util/time-zone.ts';
import { lastWeek } from './team/period.ts';
import { renderAnalytics } from './team/render.ts';
import { analyticsWeeklyPosts } from './team/schema.ts';

/**
 * The weekly summary: job `analytics.weekly`, on a cron made from ANALYTICS_WEEKLY_AT (one
 * schedule shared by every replica), posts last week's figures per team (the seven whole days
 * before the run's day, in ANALYTICS_WEEKLY_AT's zone) to each ANALYTICS_CONVERSATION, for that conversation's workspace. A run key
 * per conversation and week (`analytics_weekly_posts`) is claimed before posting, so a week is
 * posted once even when two replicas or a retry run the job.
 */

export const analyticsWeeklyJob = 'analytics.weekly';

/** When the summary goes out: a weekday, a wall time and the zone it is read in. */
export interface WeeklyAt {
  /** 0 = Sunday … 6 = Saturday (cron's numbering). */
  day: number;
  hour: number;
  minute: number;
  timezone: string;
}

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/** ANALYTICS_WEEKLY_AT: `<day> <HH:MM> [<IANA zone>]`, e.g. `mon 09:00 Europe/Berlin` (default zone UTC). */
export const parseWeeklyAt = (value: string): WeeklyAt => {
  const [dayText = '', time = '', zone = 'UTC', ...extra] = value.trim().split(/\s+/);
  const day = DAYS.indexOf(dayText.slice(0, 3).toLowerCase());
  const m = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(time);
  if (day < 0 || !m || extra.length > 0 || !isTimeZone(zone))
    throw new AppError(
      'config_invalid',
      `ANALYTICS_WEEKLY_AT: "${value}" is not <day> <HH:MM> [<time zone>], like "mon 09:00 Europe/Berlin" (days mon…sun, an IANA zone)`,
    );
  return { day, hour: Number(m[1]), minute: Number(m[2]), timezone: zone };
};

/** The five-field cron of a WeeklyAt. */
export const weeklyCron = (w: WeeklyAt): string => `${w.minute} ${w.hour} * * ${w.day}`;

/** ANALYTICS_CONVERSATION: comma-separated `<surface>:<workspace>:<channel>` (the scan digests' form). */
export const parseAnalyticsConversations = (value: string | undefined): ConversationRef[] =>
  (value ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean)
    .map((v) => {
      const [surface, workspaceId, ...channel] = v.split(':');
      const parsed = ConversationRef.safeParse({ surface, workspaceId, channelId: channel.join(':') });
      if (!parsed.success)
        throw new AppError(
          'config_invalid',
          `ANALYTICS_CONVERSATION: "${v}" is not <surface>:<workspace>:<channel> (surface slack, teams or console)`,
        );
      return parsed.data;
    });

export interface AnalyticsJobDeps {
  db: Db;
  now: () => Date;
  /** This instance (written on the run key). */
  runner: string;
  logger: Logger;
  conversations: readonly ConversationRef[];
  at: WeeklyAt;
  ownerTags: readonly string[];
  templates?: TemplateEstimates | undefined;
  sandbox: boolean;
  /** Posts into a conversation when its surface runs here (the message posted); undefined when it does not. */
  post(conversation: ConversationRef, reply: Reply): Promise<PostedMessage | undefined>;
}

const named = (c: ConversationRef): string => `${c.surface}:${c.workspaceId}:${c.channelId}`;

/** Posts last week's summary to every configured conversation not posted this week; returns how many were posted. */
export const postWeeklySummaries = async (d: AnalyticsJobDeps): Promise<number> => {
  const now = d.now();
  const week = lastWeek(now, d.at.timezone);
  let posted = 0;
  for (const conversation of d.conversations) {
    const key = named(conversation);
    const claimed = await d.db
      .insert(analyticsWeeklyPosts)
      .values({ conversation: key, week: week.key, runner: d.runner, claimedAt: now })
      .onConflictDoNothing()
      .returning({ week: analyticsWeeklyPosts.week });
    if (claimed.length === 0) continue;
    const here = and(eq(analyticsWeeklyPosts.conversation, key), eq(analyticsWeeklyPosts.week, week.key));
    let message: PostedMessage | undefined;
    try {
      const analytics = await teamAnalytics(d.db, {
        workspaceId: conversation.workspaceId,
        period: week,
        now,
        ownerTags: d.ownerTags,
        templates: d.templates,
      });
      message = await d.post(
        conversation,
        renderAnalytics(analytics, { sandbox: d.sandbox, ownerTags: d.ownerTags, title: 'Weekly summary' }),
      );
    } catch (err) {
      // Nothing was posted: give the week back, so the next run (or a retry) posts it.
      await d.db.delete(analyticsWeeklyPosts).where(here);
      d.logger.warn({ err, conversation: key }, 'could not post the weekly analytics summary');
      continue;
    }
    if (!message) {
      d.logger.warn({ conversation: key }, 'weekly analytics summary: that surface does not run here');
      continue;
    }
    await d.db.update(analyticsWeeklyPosts).set({ postedAt: d.now() }).where(here);
    posted++;
  }
  return posted;
};

export const registerAnalyticsJobs = async (scheduler: Scheduler, d: AnalyticsJobDeps): Promise<void> => {
  scheduler.define(
    analyticsWeeklyJob,
    async () => {
      const n = await postWeeklySummaries(d);
      d.logger.info({ posted: n }, 'weekly analytics summary');
    },
    z.object({ schedule: z.string().optional() }),
  );
  if (d.conversations.length === 0) return;
  await scheduler.cron(
    weeklyCron(d.at),
    analyticsWeeklyJob,
    { schedule: 'weekly' },
    {
      key: 'schedule',
      timezone: d.at.timezone,
    },
  );
};

/** For tests and `inventory status`-like checks: the weeks posted to a conversation, newest first. */
export const postedWeeks = async (db: Db, conversation: string): Promise<string[]> => {
  const { rows } = await db.execute<{ week: string }>(
    sql`select week from analytics_weekly_posts where conversation = ${conversation} and posted_at is not null order by week desc`,
  );
  return rows.map((r) => r.week);
};
