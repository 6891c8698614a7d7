import type { ConversationRef } from '../chat/actor.ts';
import type { PostedMessage } from '../chat/surface.ts';
import type { Diagnosis, RecordedCause } from './model.ts';
import {
  bigserial,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  serial,
  text,
  timestamp,
  uniqueIndex,
} from '../store/orm.ts';

/**
 * Webhook deliveries as received, once each: the HTTP handler verifies, parses and inserts here
 * (a redelivery's `(source, event_id)` conflicts and is dropped) and answers at once; processing
 * happens after, claimed by one replica (`claimed_by`, `claimed_at` as a lease), and a crash
 * leaves the row for the next pass of the `incidents.inbox` job.
 */
export const incidentInbox = pgTable(
  'incident_inbox',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    source: text('source').notNull(),
    eventId: text('event_id').notNull(),
    /** The normalised IncidentSignal (dates as ISO strings). */
    signal: jsonb('signal').$type<Record<string, unknown>>().notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull(),
    claimedBy: text('claimed_by'),
    claimedAt: timestamp('claimed_at', { withTimezone: true }),
    processedAt: timestamp('processed_at', { withTimezone: true }),
    attempts: integer('attempts').notNull().default(0),
    error: text('error'),
  },
  (t) => [
    uniqueIndex('incident_inbox_event').on(t.source, t.eventId),
    index('incident_inbox_pending').on(t.processedAt, t.id),
  ],
);

/**
 * One row per incident (per workspace, source and the source's id: a PagerDuty incident, an
 * Alertmanager group). `number` is ours (`INC-7`), per workspace. `version` moves with every
 * change of what the thread's first message shows, so a replica that posted an older rendering
 * knows to update it.
 */
export const incidents = pgTable(
  'incidents',
  {
    id: serial('id').primaryKey(),
    workspaceId: text('workspace_id').notNull(),
    number: integer('number').notNull(),
    source: text('source').notNull(),
    externalId: text('external_id').notNull(),
    externalNumber: integer('external_number'),
    title: text('title').notNull(),
    service: text('service').notNull(),
    serviceId: text('service_id'),
    urgency: text('urgency').notNull(),
    status: text('status').notNull(),
    /** When the current status was set at the source (events arriving out of order do not go back). */
    statusAt: timestamp('status_at', { withTimezone: true }).notNull(),
    environment: text('environment'),
    htmlUrl: text('html_url'),
    labels: jsonb('labels').$type<Record<string, string>>().notNull(),
    resources: jsonb('resources').$type<string[]>().notNull(),
    assignees: jsonb('assignees').$type<string[]>().notNull(),
    escalationLevel: integer('escalation_level'),
    /** Where the thread is: the channel it was posted in, and its first message. */
    channel: jsonb('channel').$type<ConversationRef>().notNull(),
    thread: jsonb('thread').$type<PostedMessage>(),
    threadClaimedBy: text('thread_claimed_by'),
    threadClaimedAt: timestamp('thread_claimed_at', { withTimezone: true }),
    version: integer('version').notNull().default(1),
    /** The version the thread's first message shows. */
    shownVersion: integer('shown_version').notNull().default(0),
    diagnosis: jsonb('diagnosis').$type<Diagnosis>(),
    /** Repeats of a `triggered` for an open incident (Alertmanager re-sends firing groups). */
    repeats: integer('repeats').notNull().default(0),
    openedAt: timestamp('opened_at', { withTimezone: true }).notNull(),
    acknowledgedAt: timestamp('acknowledged_at', { withTimezone: true }),
    acknowledgedBy: text('acknowledged_by'),
    resolvedAt: timestamp('resolved_at', { withTimezone: true }),
    resolvedBy: text('resolved_by'),
    cause: jsonb('cause').$type<RecordedCause>(),
    causeBy: text('cause_by'),
    causeAt: timestamp('cause_at', { withTimezone: true }),
    /** The grade of the diagnosis against the recorded cause (model.ts Grade). */
    grade: text('grade'),
    gradeCategory: text('grade_category'),
    summary: jsonb('summary').$type<Record<string, unknown>>(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    uniqueIndex('incidents_external').on(t.workspaceId, t.source, t.externalId),
    uniqueIndex('incidents_number').on(t.workspaceId, t.number),
    index('incidents_status').on(t.workspaceId, t.status, t.openedAt),
  ],
);

/** The incident's timeline: every signal applied, every click and remediation, in order. */
export const incidentEvents = pgTable(
  'incident_events',
  {
    incidentId: integer('incident_id').notNull(),
    seq: integer('seq').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull(),
    /** A SignalKind, or ours: diagnosed, remediation_proposed, remediation_filed, auto_remediation, cause_recorded, summary. */
    kind: text('kind').notNull(),
    /** Who: a PagerDuty user's name, a chat person's name, `Alertmanager`, `DevOps Agent`. */
    actor: text('actor'),
    text: text('text').notNull(),
    changeId: text('change_id'),
    /** Where it came from: the source (`pagerduty`, `alertmanager`) or `chat`. */
    origin: text('origin').notNull(),
  },
  (t) => [primaryKey({ columns: [t.incidentId, t.seq] })],
);

/**
 * Chat people's PagerDuty login emails, set by an admin (`pagerduty map @ana ana@example.com`)
 * where the platform does not tell the bot a person's email.
 */
export const incidentUserEmails = pgTable(
  'incident_user_emails',
  {
    surface: text('surface').notNull(),
    workspaceId: text('workspace_id').notNull(),
    userId: text('user_id').notNull(),
    email: text('email').notNull(),
    setBy: text('set_by').notNull(),
    setAt: timestamp('set_at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.surface, t.workspaceId, t.userId] })],
);

/**
 * What auto-remediation rules filed in the last hour, one row per change request a rule is about
 * to file (`maxPerHour`). A row is claimed under a transaction-scoped advisory lock per workspace
 * and rule, only while fewer than the limit were claimed in the hour before, so two replicas
 * deciding at once cannot both take the last place; a filing that fails gives its row back.
 * Rows older than an hour are deleted by the next claim of their rule.
 */
export const autoRemediationClaims = pgTable(
  'auto_remediation_claims',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    workspaceId: text('workspace_id').notNull(),
    rule: text('rule').notNull(),
    claimedAt: timestamp('claimed_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('auto_remediation_claims_rule_idx').on(t.workspaceId, t.rule, t.claimedAt)],
);
