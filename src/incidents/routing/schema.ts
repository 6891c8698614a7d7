import { index, integer, jsonb, pgTable, serial, text, timestamp, uniqueIndex } from '../../store/orm.ts';
import type { IncidentRouteEvent } from './notice.ts';

/**
 * Every email and webhook delivery of an incident event (src/incidents/routing/dispatch.ts), one row
 * per target and event, shared by every replica.
 *
 * `dedup_key` is `<workspace>/<incident>/<kind>/<target>`. The row that opens a dedup window for it
 * (status sending, sent, held or failed) carries `window_key` = `<dedup_key>#<window_seq>`, unique:
 * of two replicas told the same thing at once, one inserts it and sends; the other finds it and
 * records a `grouped` row (a repeat, `window_key` null). A later delivery of the same key claims the
 * grouped rows not yet reported (`reported_in` = its id) and says "+N repeats". A `held` row waits
 * for its target's quiet hours to end; `flushHeld` claims the held rows of a target (held →
 * sending, one `batch_id`) and sends them as one message.
 */
export const incidentDeliveries = pgTable(
  'incident_deliveries',
  {
    id: serial('id').primaryKey(),
    /** Sent as X-DevOps-Agent-Event-Id (a UUID); a batch uses its `batch_id` instead. */
    eventId: text('event_id').notNull(),
    workspaceId: text('workspace_id').notNull(),
    incidentId: integer('incident_id').notNull(),
    kind: text('kind').notNull(),
    /** `email:<address>` or `webhook:<name>`. */
    target: text('target').notNull(),
    dedupKey: text('dedup_key').notNull(),
    windowSeq: integer('window_seq').notNull(),
    windowKey: text('window_key'),
    /** sending, sent, held, grouped, failed. */
    status: text('status').notNull(),
    urgency: text('urgency').notNull(),
    /** The event as notified (incident, facts): what a held delivery sends later. No secrets. */
    event: jsonb('event').$type<IncidentRouteEvent>().notNull(),
    /** Repeats this delivery reported (+N). */
    repeats: integer('repeats').notNull().default(0),
    /** For a grouped row: the delivery that reported it. */
    reportedIn: integer('reported_in'),
    /** The held rows flushed together in one message. */
    batchId: text('batch_id'),
    attempts: integer('attempts').notNull().default(0),
    error: text('error'),
    /** For a held row: when the target's quiet hours were to end when it was held. */
    heldUntil: timestamp('held_until', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
    sentAt: timestamp('sent_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('incident_deliveries_window_key').on(t.windowKey),
    index('incident_deliveries_dedup').on(t.dedupKey, t.windowSeq),
    index('incident_deliveries_status_target').on(t.status, t.target),
    index('incident_deliveries_incident').on(t.workspaceId, t.incidentId),
  ],
);
