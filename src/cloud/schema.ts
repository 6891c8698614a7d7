import {
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  serial,
  sql,
  text,
  timestamp,
} from '../store/orm.ts';

/** The synced inventory: one row per provider resource, normalized. */
export const resources = pgTable(
  'resources',
  {
    provider: text('provider').notNull(),
    account: text('account').notNull(),
    id: text('id').notNull(),
    region: text('region').notNull(),
    type: text('type').notNull(),
    name: text('name').notNull(),
    state: text('state').notNull(),
    tags: jsonb('tags').$type<Record<string, string>>().notNull(),
    environment: text('environment').notNull(),
    monthlyCostCents: integer('monthly_cost_cents').notNull(),
    attributes: jsonb('attributes').$type<Record<string, unknown>>().notNull(),
    seenAt: timestamp('seen_at', { withTimezone: true }).notNull(),
    firstSeenAt: timestamp('first_seen_at', { withTimezone: true }).notNull().defaultNow(),
    /** Set when a sync no longer sees it; such rows are hidden from answers. */
    goneAt: timestamp('gone_at', { withTimezone: true }),
    /** The sync source that listed it last (`aws:prod:us-east-1`); a source's listing replaces its rows. */
    source: text('source').notNull().default(''),
    /** The listing that last stored it: a listing marks gone the source's live rows it did not stamp. */
    syncId: text('sync_id'),
  },
  (t) => [
    primaryKey({ columns: [t.provider, t.account, t.id] }),
    index('resources_type_env_idx').on(t.type, t.environment),
    // `list instances env=prod`: the page in the list's order straight from the index, live rows only.
    index('resources_list_idx')
      .on(t.type, t.environment, t.provider, t.name, t.id)
      .where(sql`${t.goneAt} is null`),
    index('resources_name_idx').on(t.name),
    // The dashboard's inventory, most expensive first: the page from the index, live rows only.
    index('resources_cost_idx')
      .on(t.monthlyCostCents, t.provider, t.account, t.id)
      .where(sql`${t.goneAt} is null`),
    index('resources_source_idx').on(t.source),
  ],
);

/** Each sync source's last pass: what `inventory status` shows. */
export const inventorySources = pgTable('inventory_sources', {
  key: text('key').primaryKey(),
  provider: text('provider').notNull(),
  account: text('account').notNull(),
  region: text('region').notNull(),
  label: text('label').notNull(),
  lastAttemptAt: timestamp('last_attempt_at', { withTimezone: true }).notNull(),
  lastSuccessAt: timestamp('last_success_at', { withTimezone: true }),
  /** Resources the last successful pass stored. */
  count: integer('count').notNull().default(0),
  durationMs: integer('duration_ms').notNull().default(0),
  /** The provider's own message when the last pass failed; null after a success. */
  error: text('error'),
  consecutiveFailures: integer('consecutive_failures').notNull().default(0),
  metricsAt: timestamp('metrics_at', { withTimezone: true }),
  metricsError: text('metrics_error'),
  /** The listing in progress and until when its claim holds: one source is listed by one replica at a time. */
  listingId: text('listing_id'),
  listingUntil: timestamp('listing_until', { withTimezone: true }),
});

/** Daily aggregates of resource metrics (CPU, network, usage), one row per resource, metric and UTC day. */
export const resourceMetrics = pgTable(
  'resource_metrics',
  {
    provider: text('provider').notNull(),
    account: text('account').notNull(),
    resourceId: text('resource_id').notNull(),
    metric: text('metric').notNull(),
    day: text('day').notNull(),
    avg: doublePrecision('avg').notNull(),
    max: doublePrecision('max').notNull(),
    unit: text('unit').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.provider, t.account, t.resourceId, t.metric, t.day] }),
    index('resource_metrics_day_idx').on(t.day),
  ],
);

/** The longest run of days a series keeps: a scan threshold's metric window is at most 90 days (SCAN_IDLE_WINDOW_DAYS in src/scans/rules/cost.ts), plus two. */
export const metricSeriesDays = 92;

/**
 * The last `metricSeriesDays` days of resource_metrics as one row per resource and metric, their
 * days as text ("YYYY-MM-DD avg max YYYY-MM-DD avg max …", in day order): kept by whoever writes
 * resource_metrics (refreshMetricSeries in metric-series.ts, after each write), read by scans, so
 * a scan reads one short row per resource and metric instead of aggregating every daily row.
 */
export const resourceMetricSeries = pgTable(
  'resource_metric_series',
  {
    provider: text('provider').notNull(),
    account: text('account').notNull(),
    resourceId: text('resource_id').notNull(),
    metric: text('metric').notNull(),
    days: text('days').notNull(),
  },
  (t) => [primaryKey({ columns: [t.provider, t.account, t.resourceId, t.metric] })],
);

/** A recorded baseline of the inventory (one scope); drift compares the live inventory with the newest of its scope. */
export const inventoryBaselines = pgTable(
  'inventory_baselines',
  {
    id: serial('id').primaryKey(),
    /** Canonical scope text (`all`, `provider=aws env=prod`). */
    scope: text('scope').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    createdBy: text('created_by').notNull(),
    count: integer('count').notNull(),
  },
  (t) => [index('inventory_baselines_scope_idx').on(t.scope, t.createdAt)],
);

/** The resources of a baseline, each with the fingerprint drift compares (size, state, tags, rules, replicas, image). */
export const baselineResources = pgTable(
  'baseline_resources',
  {
    baselineId: integer('baseline_id')
      .notNull()
      .references(() => inventoryBaselines.id, { onDelete: 'cascade' }),
    provider: text('provider').notNull(),
    account: text('account').notNull(),
    id: text('id').notNull(),
    type: text('type').notNull(),
    name: text('name').notNull(),
    region: text('region').notNull(),
    fingerprint: jsonb('fingerprint').$type<Record<string, unknown>>().notNull(),
  },
  (t) => [primaryKey({ columns: [t.baselineId, t.provider, t.account, t.id] })],
);
