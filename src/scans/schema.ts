import {
  bigserial,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  sql,
  text,
  timestamp,
  uniqueIndex,
} from '../store/orm.ts';

/** Per-rule tallies of one scan: what a compliance score is computed from. */
export type RuleTally = Record<string, { pass: number; fail: number; manual: number; error: number }>;

/**
 * One scan of one workspace. `running` → `succeeded` | `failed`; at most one `running` per
 * workspace (partial unique index). A scan's findings are staged in `scan_results` and merged
 * into `findings` in one transaction at its end, so an interrupted scan leaves the findings as
 * they were.
 */
export const scans = pgTable(
  'scans',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    workspaceId: text('workspace_id').notNull(),
    /** `cost`, `security` or `all`. */
    category: text('category').notNull(),
    /** Provider / account / environment filters the scan was limited to (empty: the whole estate). */
    scope: jsonb('scope').$type<Record<string, string>>().notNull().default({}),
    status: text('status').notNull(),
    /** Who or what started it (`schedule`, or a user's display name). */
    startedBy: text('started_by').notNull(),
    /** The app instance running it and its last sign of life (like the executor lease). */
    runner: text('runner'),
    heartbeatAt: timestamp('heartbeat_at', { withTimezone: true }),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    /** Resources in scope and how many were evaluated so far (progress). */
    resources: integer('resources').notNull().default(0),
    evaluated: integer('evaluated').notNull().default(0),
    newFindings: integer('new_findings').notNull().default(0),
    resolvedFindings: integer('resolved_findings').notNull().default(0),
    openFindings: integer('open_findings').notNull().default(0),
    errorFindings: integer('error_findings').notNull().default(0),
    /** Open (unsuppressed) savings after the scan, one saving per resource (the largest). */
    openSavingCents: integer('open_saving_cents').notNull().default(0),
    tally: jsonb('tally').$type<RuleTally>().notNull().default({}),
    error: text('error'),
  },
  (t) => [
    uniqueIndex('scans_one_running_idx')
      .on(t.workspaceId)
      .where(sql`${t.status} = 'running'`),
    index('scans_workspace_idx').on(t.workspaceId, t.id),
  ],
);

/** Columns a scan result and a finding share: what the rule said about one resource. */
const judged = {
  workspaceId: text('workspace_id').notNull(),
  /** Deterministic: a hash of rule, provider, account, region and resource id (`findingId`). */
  id: text('id').notNull(),
  ruleId: text('rule_id').notNull(),
  category: text('category').notNull(),
  severity: text('severity').notNull(),
  provider: text('provider').notNull(),
  account: text('account').notNull(),
  region: text('region').notNull(),
  resourceType: text('resource_type').notNull(),
  resourceId: text('resource_id').notNull(),
  resourceName: text('resource_name').notNull(),
  environment: text('environment').notNull(),
  /** The resource's tags when judged: owner routing and tag-scoped suppressions read them. */
  tags: jsonb('tags').$type<Record<string, string>>().notNull(),
  /** `fail`, `manual`, or `error` (the rule threw on this resource). */
  verdict: text('verdict').notNull(),
  detail: text('detail').notNull(),
  evidence: jsonb('evidence').$type<Record<string, unknown>>().notNull(),
  savingCents: integer('saving_cents').notNull().default(0),
  fixParams: jsonb('fix_params').$type<Record<string, string>>(),
  /**
   * A hash of what the rule said (the columns above, as the scan serialises them): a scan that
   * judges an open finding the same way leaves its row alone and only stamps it seen.
   */
  digest: text('digest').notNull().default(''),
};

/** A scan's findings while it runs (merged into `findings` at its end, then deleted). */
export const scanResults = pgTable(
  'scan_results',
  {
    scanId: integer('scan_id').notNull(),
    ...judged,
  },
  (t) => [primaryKey({ columns: [t.scanId, t.id] })],
);

/** Every finding a workspace's scans have made, open or resolved, with its lifecycle. */
export const findings = pgTable(
  'findings',
  {
    ...judged,
    /** `open` or `resolved`. */
    status: text('status').notNull(),
    firstSeenAt: timestamp('first_seen_at', { withTimezone: true }).notNull(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull(),
    resolvedAt: timestamp('resolved_at', { withTimezone: true }),
    /** The scan that last saw it (open) or resolved it. */
    lastScanId: integer('last_scan_id').notNull(),
    /**
     * The scan that first made it: its `new` event (`finding_history`). Not a row of
     * `finding_events`: a first scan of 100,000 resources makes 60,000 findings, and writing an
     * event for each cost as much as a third of writing the findings.
     */
    firstScanId: integer('first_scan_id').notNull().default(0),
    /** The active suppression covering it at the last scan (null: not suppressed). */
    suppressionId: integer('suppression_id'),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.id] }),
    // No index on status or severity: every reader of open findings reads a workspace's whole
    // set (the primary key's prefix finds it), and each index cost a fifth of writing a finding
    // (0.17 s of 0.8 s for 60,000 on PostgreSQL 15).
    index('findings_resource_idx').on(t.workspaceId, t.provider, t.account, t.resourceId),
  ],
);

/**
 * The history of findings: each scan's reopened and resolved ones. With the findings' first
 * scans it makes the view `finding_history` (kind `new`, `reopened` or `resolved`), which is
 * what readers query.
 */
export const findingEvents = pgTable(
  'finding_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    workspaceId: text('workspace_id').notNull(),
    findingId: text('finding_id').notNull(),
    scanId: integer('scan_id').notNull(),
    /** `reopened` or `resolved` (`new`: findings.first_scan_id). */
    kind: text('kind').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull(),
  },
  (t) => [
    index('finding_events_scan_idx').on(t.scanId, t.kind),
    index('finding_events_finding_idx').on(t.workspaceId, t.findingId),
  ],
);

/**
 * A suppression: findings it covers stay recorded but leave digests, totals and scores until it
 * expires or is removed. Scope `finding` (one finding id), `rule` (a rule, optionally only on
 * resources with a tag `tagKey`=`tagValue`), or `account` (a provider account, optionally one rule).
 */
export const suppressions = pgTable(
  'suppressions',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    workspaceId: text('workspace_id').notNull(),
    scope: text('scope').notNull(),
    findingId: text('finding_id'),
    ruleId: text('rule_id'),
    tagKey: text('tag_key'),
    tagValue: text('tag_value'),
    provider: text('provider'),
    account: text('account'),
    owner: text('owner').notNull(),
    reason: text('reason').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    createdBy: text('created_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    removedAt: timestamp('removed_at', { withTimezone: true }),
    removedBy: text('removed_by'),
  },
  (t) => [index('suppressions_workspace_idx').on(t.workspaceId, t.expiresAt)],
);

/** One instance an off-hours schedule stops and starts. */
export interface OffHoursResource {
  provider: string;
  account: string;
  region: string;
  type: string;
  id: string;
  name: string;
  /** Monthly cost when it was scheduled (the saving is a share of it). */
  monthlyCostCents: number;
}

/**
 * An off-hours schedule (src/scans/offhours/): instances that run on the listed days between
 * `start` and `stop` (wall times in `timezone`) and are stopped otherwise. `pending` from the
 * moment its change request is filed, `active` once the executor ran the approved request,
 * `paused` / `active` by command, `removed` by command, by rollback, or when its request ended
 * without running (rejected, expired, failed).
 */
export const offHoursSchedules = pgTable(
  'off_hours_schedules',
  {
    /** `OH-` and 6 hex characters, chosen when the request is planned. */
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id').notNull(),
    resources: jsonb('resources').$type<OffHoursResource[]>().notNull(),
    /** `HH:MM`. */
    stopTime: text('stop_time').notNull(),
    startTime: text('start_time').notNull(),
    /** Listed days, comma-separated in week order (`mon,tue,wed,thu,fri`). */
    days: text('days').notNull(),
    timezone: text('timezone').notNull(),
    /** `pending`, `active`, `paused` or `removed`. */
    status: text('status').notNull(),
    /** The change request that approved it (CR-n). */
    changeId: text('change_id'),
    /** Who asked: `actorKey` and display name. */
    requesterKey: text('requester_key').notNull(),
    requesterName: text('requester_name').notNull(),
    /** Estimated monthly saving in cents. */
    savingCents: integer('saving_cents').notNull(),
    /** The findings it came from (finding ids). */
    findingIds: jsonb('finding_ids').$type<string[]>().notNull().default([]),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
    /** Transitions due before this (activation or resume) are not run. */
    armedAt: timestamp('armed_at', { withTimezone: true }),
    /** The last transition handled (run or missed): its due time, kind and outcome. */
    lastRunAt: timestamp('last_run_at', { withTimezone: true }),
    lastRunKind: text('last_run_kind'),
    lastRunSummary: text('last_run_summary'),
    /** Why it was removed. */
    reason: text('reason'),
  },
  (t) => [index('off_hours_schedules_workspace_idx').on(t.workspaceId, t.status)],
);

/**
 * One transition of one schedule, claimed by the replica that runs it: the primary key is the
 * unique run key, so two replicas never run the same transition.
 */
export const offHoursRuns = pgTable(
  'off_hours_runs',
  {
    scheduleId: text('schedule_id').notNull(),
    dueAt: timestamp('due_at', { withTimezone: true }).notNull(),
    /** `stop` or `start`. */
    kind: text('kind').notNull(),
    /** `running`, `done` (every instance handled), `partial` (some failed) or `missed` (too late, not run). */
    outcome: text('outcome').notNull(),
    runner: text('runner').notNull(),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    /** Per instance: id, what happened, error. */
    instances: jsonb('instances').$type<Array<Record<string, string>>>().notNull().default([]),
  },
  (t) => [primaryKey({ columns: [t.scheduleId, t.dueAt] })],
);
