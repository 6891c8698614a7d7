import {
  bigserial,
  index,
  integer,
  jsonb,
  pgSequence,
  pgTable,
  primaryKey,
  sql,
  text,
  timestamp,
  uniqueIndex,
} from '../store/orm.ts';
import type { Actor, ConversationRef } from '../chat/actor.ts';
import type { ResourceKey } from '../tools/change-plan.ts';

export const changeRequestSeq = pgSequence('change_request_seq', { startWith: 1 });

/** A change request and its whole lifecycle. `status` moves only by compare-and-set. */
export const changeRequests = pgTable(
  'change_requests',
  {
    /** Human id, `CR-<n>`. */
    id: text('id')
      .primaryKey()
      .default(sql`'CR-' || nextval('change_request_seq')`),
    workspaceId: text('workspace_id').notNull(),
    status: text('status').notNull(),
    action: text('action').notNull(),
    target: jsonb('target').$type<ResourceKey>().notNull(),
    resourceName: text('resource_name').notNull(),
    environment: text('environment').notNull(),
    params: jsonb('params').$type<Record<string, string>>().notNull(),
    summary: text('summary').notNull(),
    blastRadius: text('blast_radius').notNull(),
    costDeltaCents: integer('cost_delta_cents').notNull(),
    rollback: jsonb('rollback').$type<{ action: string; params: Record<string, string> } | null>(),
    rollbackOf: text('rollback_of'),
    requester: jsonb('requester').$type<Actor>().notNull(),
    requesterKey: text('requester_key').notNull(),
    conversation: jsonb('conversation').$type<ConversationRef>().notNull(),
    /** The policy rule that matched and what it requires. */
    policy: jsonb('policy').$type<Record<string, unknown>>().notNull(),
    approvalsRequired: integer('approvals_required').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    /** Who moved it to its current terminal/decided state, and why. */
    decidedBy: jsonb('decided_by').$type<Actor>(),
    reason: text('reason'),
    /** Provider's previous state/size, as it reported after executing (written with `succeeded`): the rollback data. */
    rollbackData: jsonb('rollback_data').$type<Record<string, string>>(),
    result: jsonb('result').$type<Record<string, unknown>>(),
    error: text('error'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    startedAt: timestamp('started_at', { withTimezone: true }),
    /** The app instance running it (executing only) and its last sign of life: the executor lease. */
    executor: text('executor'),
    heartbeatAt: timestamp('heartbeat_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    /** A workflow run: its plan of steps (null for a single action). Steps as they ran: `workflow_steps`. */
    workflow: jsonb('workflow').$type<Record<string, unknown>>(),
    /** Someone asked to stop the run; the runner stops before its next step and compensates. */
    cancelRequestedAt: timestamp('cancel_requested_at', { withTimezone: true }),
    /** An admin's override of the freezes or approval window that blocked approving it (model.ts ChangeOverride). */
    override: jsonb('override').$type<Record<string, unknown>>(),
    /** A waiting workflow run: the approval gate (step id) it stopped at, and when that gate lapses. */
    gateStep: text('gate_step'),
    gateDeadline: timestamp('gate_deadline', { withTimezone: true }),
  },
  (t) => [
    index('change_requests_status_idx').on(t.status, t.expiresAt),
    index('change_requests_requester_idx').on(t.requesterKey, t.createdAt),
    // A workspace's requests newest first (the dashboard's changes and approvals).
    index('change_requests_workspace_idx').on(t.workspaceId, t.createdAt),
    // At most one open rollback per change: two people asking at once cannot both file one.
    uniqueIndex('change_requests_open_rollback_idx')
      .on(t.rollbackOf)
      .where(sql`${t.rollbackOf} is not null and ${t.status} in ('draft', 'pending', 'approved', 'executing')`),
  ],
);

/** One approver's decision on a change request. */
export const approvals = pgTable(
  'approvals',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    changeId: text('change_id').notNull(),
    approverKey: text('approver_key').notNull(),
    approver: jsonb('approver').$type<Actor>().notNull(),
    decision: text('decision').notNull(),
    reason: text('reason'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('approvals_change_approver_idx').on(t.changeId, t.approverKey)],
);

/**
 * A change freeze: while one covers a change's environment (`*`: all), approving it is refused
 * unless an admin overrides (audited). It ends at `ends_at` by itself, or earlier when lifted.
 */
export const changeFreezes = pgTable(
  'change_freezes',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    workspaceId: text('workspace_id').notNull(),
    /** Lowercased environment name, or `*` for every environment. */
    environment: text('environment').notNull(),
    reason: text('reason'),
    createdBy: jsonb('created_by').$type<Actor>().notNull(),
    /** Where it was declared. */
    conversation: jsonb('conversation').$type<ConversationRef>().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    endsAt: timestamp('ends_at', { withTimezone: true }).notNull(),
    liftedAt: timestamp('lifted_at', { withTimezone: true }),
    liftedBy: jsonb('lifted_by').$type<Actor>(),
  },
  (t) => [index('change_freezes_active_idx').on(t.workspaceId, t.endsAt)],
);

/** One approver's decision on an approval gate inside a workflow run (a step of its plan). */
export const gateApprovals = pgTable(
  'gate_approvals',
  {
    changeId: text('change_id').notNull(),
    step: text('step').notNull(),
    approverKey: text('approver_key').notNull(),
    approver: jsonb('approver').$type<Actor>().notNull(),
    decision: text('decision').notNull(),
    reason: text('reason'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.changeId, t.step, t.approverKey] })],
);

/** Every posted copy of a change card, so all copies can be updated in place after a decision. */
export const changeCards = pgTable(
  'change_cards',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    changeId: text('change_id').notNull(),
    surface: text('surface').notNull(),
    conversation: jsonb('conversation').$type<ConversationRef>().notNull(),
    messageId: text('message_id').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('change_cards_change_idx').on(t.changeId)],
);

/** Append-only, hash-chained audit log: hash = sha256(prevHash + canonical JSON of the event). */
export const auditEvents = pgTable('audit_events', {
  seq: bigserial('seq', { mode: 'number' }).primaryKey(),
  at: timestamp('at', { withTimezone: true }).notNull(),
  type: text('type').notNull(),
  actorKey: text('actor_key'),
  subject: text('subject'),
  data: jsonb('data').$type<Record<string, unknown>>().notNull(),
  prevHash: text('prev_hash').notNull(),
  hash: text('hash').notNull().unique(),
});
