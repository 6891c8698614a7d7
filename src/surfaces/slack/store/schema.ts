import { boolean, jsonb, pgTable, text, timestamp } from '../../../store/orm.ts';

/**
 * Bolt's OAuth installations (one row per Slack workspace, or per Enterprise Grid org for an org
 * install), so one deployment serves many workspaces and every replica sees the same tokens.
 * The installation (@slack/oauth's `Installation`, tokens included) is stored only sealed with
 * TOKEN_ENCRYPTION_KEY (store/secret-box.ts); the ids beside it stay readable for operators.
 */
export const slackInstallations = pgTable('slack_installations', {
  /** `team:<T…>` for a workspace install, `enterprise:<E…>` for an org-wide install. */
  id: text('id').primaryKey(),
  teamId: text('team_id'),
  enterpriseId: text('enterprise_id'),
  isEnterpriseInstall: boolean('is_enterprise_install').notNull().default(false),
  /**
   * Plaintext installation written before encryption (or by an older replica during an upgrade).
   * Never written now: such a row is sealed and this cleared at start-up or when next read.
   */
  installation: jsonb('installation').$type<Record<string, unknown>>(),
  /** The installation's JSON sealed by the secret box (`v1:…`), the row id as its context. */
  sealedInstallation: text('sealed_installation'),
  installedAt: timestamp('installed_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * Which Enterprise Grid org each workspace belongs to, learned from the signed requests Slack
 * sends. An org-wide install is one row (`enterprise:<E…>`) for all the org's workspaces, and
 * outbound calls (card updates, approval-channel copies) know only the workspace: this finds the
 * org's installation for them. Ids only, nothing secret; kept across uninstalls (a reinstall of
 * the org serves its workspaces again at once).
 */
export const slackEnterpriseTeams = pgTable('slack_enterprise_teams', {
  teamId: text('team_id').primaryKey(),
  enterpriseId: text('enterprise_id').notNull(),
  seenAt: timestamp('seen_at', { withTimezone: true }).notNull().defaultNow(),
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
