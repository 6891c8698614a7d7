import { pgTable, primaryKey, text, timestamp } from '../../store/orm.ts';

/**
 * The weekly summary's run keys: one row per conversation and week, inserted before posting, so
 * that two replicas (or a retried run) post a week's summary once.
 */
export const analyticsWeeklyPosts = pgTable(
  'analytics_weekly_posts',
  {
    /** `<surface>:<workspace>:<channel>`. */
    conversation: text('conversation').notNull(),
    /** The week's key: `week-<first day>` (src/analytics/team/period.ts lastWeek). */
    week: text('week').notNull(),
    runner: text('runner').notNull(),
    claimedAt: timestamp('claimed_at', { withTimezone: true }).notNull(),
    postedAt: timestamp('posted_at', { withTimezone: true }),
  },
  (t) => [primaryKey({ columns: [t.conversation, t.week] })],
);
