import { index, pgTable, text, timestamp } from '../../../store/orm.ts';

/**
 * Dashboard sessions (src/surfaces/dashboard/auth/): one row per signed-in browser, shared by every
 * replica. The cookie holds a random 256-bit id; only its SHA-256 is stored, so a copy of this
 * table signs nobody in. The role is not stored: it is read from the users module on each request.
 */
export const dashboardSessions = pgTable(
  'dashboard_sessions',
  {
    /** Hex SHA-256 of the cookie's id. */
    idHash: text('id_hash').primaryKey(),
    surface: text('surface').notNull(),
    workspaceId: text('workspace_id').notNull(),
    userId: text('user_id').notNull(),
    displayName: text('display_name').notNull(),
    /** How the person signed in: slack, microsoft or console. */
    via: text('via').notNull(),
    /** Sent back by the page on every POST (x-csrf-token or the form field `csrf`). */
    csrfToken: text('csrf_token').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    /** Absolute: created + DASHBOARD_SESSION_TTL; never extended. */
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('dashboard_sessions_expires_idx').on(t.expiresAt)],
);

/**
 * Sign-ins under way with Slack or Microsoft: what the callback must check (state, nonce, PKCE
 * verifier) and where to go afterwards. A row, not process memory, so the replica that answers the
 * callback need not be the one that started it; taken (deleted) by the callback, so a state works once.
 */
export const dashboardSignIns = pgTable(
  'dashboard_sign_ins',
  {
    /** Hex SHA-256 of the `state` sent to the provider (the browser also holds it in a cookie). */
    stateHash: text('state_hash').primaryKey(),
    provider: text('provider').notNull(),
    nonce: text('nonce').notNull(),
    codeVerifier: text('code_verifier').notNull(),
    /** The local path to return to. */
    next: text('next').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('dashboard_sign_ins_expires_idx').on(t.expiresAt)],
);
