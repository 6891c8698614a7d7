import { boolean, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Bolt's OAuth installations (one row per Slack workspace, or per Enterprise Grid org for an org
 * install), so one deployment serves many workspaces and every replica sees the same tokens.
 * `installation` is @slack/oauth's `Installation` object as Bolt hands it over (tokens included:
 * protect database backups like the secrets they are).
 */
export const slackInstallations = pgTable('slack_installations', {
  /** `team:<T…>` for a workspace install, `enterprise:<E…>` for an org-wide install. */
  id: text('id').primaryKey(),
  teamId: text('team_id'),
  enterpriseId: text('enterprise_id'),
  isEnterpriseInstall: boolean('is_enterprise_install').notNull().default(false),
  installation: jsonb('installation').$type<Record<string, unknown>>().notNull(),
  installedAt: timestamp('installed_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * Forms (neutral `Form`s) behind buttons the bot posted. A Slack button carries only an action id
 * and a 2,000-character value, yet a click must open the modal its Reply described: the button's
 * value names the form by the hash of its content, and the form itself lives here, so a click
 * handled by any replica, after any restart, finds it.
 */
export const slackForms = pgTable('slack_forms', {
  /** Hex SHA-256 prefix of the form's canonical JSON. */
  key: text('key').primaryKey(),
  form: jsonb('form').$type<Record<string, unknown>>().notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});
