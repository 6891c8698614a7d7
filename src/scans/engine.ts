import { hash } from 'node:crypto';
import type { ProviderName, Resource } from '../cloud/resource.ts';
import { AppError, conflict } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { Db } from '../store/db.ts';
import { vacuumIfNeeded } from '../store/maintenance.ts';
import { sql } from '../store/orm.ts';
import { inSession, type Session } from '../store/session.ts';
import type {
  CoveringSchedule,
  DailyMetric,
  Evaluation,
  ResourceRef,
  Rule,
  RuleCategory,
  RuleContext,
} from './rule.ts';
import type { RuleTally } from './schema.ts';
import { listOf, metricWindowDays, thresholdOf, type ListValues, type ThresholdValues } from './settings.ts';
import type { LiveBus } from '../util/live.ts';

type SQL = ReturnType<typeof sql>;
/**
 * The scan engine: evaluates rules over the synced inventory in PostgreSQL. It streams the live
 * resources of the rules' types in primary-key order, batch by batch; for each batch it reads
 * what the rules declared (daily metrics, referenced resources, account-wide types) in a few
 * set-based queries, and evaluates every applicable rule on every resource. A result judged as
 * its open finding was is only stamped seen; the others are written once: on external PostgreSQL
 * (`direct`) inside one transaction that spans the scan, each batch copied in with COPY and
 * upserted while the next is evaluated; on the embedded store staged in `scan_results` and
 * upserted in one short transaction at the end. Either way the end resolves the open findings
 * the scan no longer made (history: `first_scan_id` and `finding_events`, the view
 * `finding_history`). A scan that stops half way (an error, a restart, a cancel) is marked failed
 * and the findings are as they were before it.
 */

export type ScanCategory = RuleCategory | 'all';

export interface ScanScope {
  provider?: ProviderName | undefined;
  account?: string | undefined;
  environment?: string | undefined;
}

export interface ScanRequest {
  workspaceId: string;
  category: ScanCategory;
  scope?: ScanScope;
  /** `schedule`, or the display name of the person who asked. */
  startedBy: string;
}

export interface ScanProgress {
  scanId: number;
  evaluated: number;
  total: number;
}

export interface ScanDeps {
  db: Db;
  rules: readonly Rule[];
  thresholds: ThresholdValues;
  /** The rules' list settings as configured (SCAN_OFF_HOURS_ENVS…); their defaults when absent. */
  lists?: ListValues | undefined;
  now: () => Date;
  /** This app instance (the scan's lease holder). */
  runner: string;
  logger?: Logger | undefined;
  /** Resources per batch (default 5,000: fewer round trips; ~15 MB of rows and results at a time). */
  batchSize?: number | undefined;
  signal?: AbortSignal | undefined;
  onProgress?: ((p: ScanProgress) => void | Promise<void>) | undefined;
  /** Where the scan's start, progress and end are announced to live pages (src/util/live.ts). */
  live?: Pick<LiveBus, 'publish'> | undefined;
  /**
   * Vacuum the scan tables after a scan by PostgreSQL's rules (the embedded store has no
   * autovacuum; each scan stages and deletes a row per finding and rewrites the open ones).
   */
  vacuum?: boolean | undefined;
  /**
   * Write findings while the scan runs, inside one transaction that spans it (external
   * PostgreSQL): each changed finding is written once, while the next batch is evaluated, and a
   * scan that stops half way is rolled back by the server. Off (the embedded store, where an open
   * transaction stalls every other connection and a query outside it deadlocks), results are
   * staged in `scan_results` and merged in one short transaction at the end.
   */
  direct?: boolean | undefined;
}

export interface ScanSummary {
  scanId: number;
  workspaceId: string;
  category: ScanCategory;
  scope: ScanScope;
  resources: number;
  evaluated: number;
  newFindings: number;
  resolvedFindings: number;
  /** Open, unsuppressed findings of the workspace after the scan. */
  openFindings: number;
  errorFindings: number;
  openSavingCents: number;
  tally: RuleTally;
  startedAt: Date;
  finishedAt: Date;
}

/** Findings people type: 12 hex characters of a hash of rule, provider, account, region and resource. */
export const findingId = (k: {
  ruleId: string;
  provider: string;
  account: string;
  region: string;
  resourceId: string;
}): string =>
  hash('sha256', [k.ruleId, k.provider, k.account, k.region, k.resourceId].join('\u0000'), 'hex').slice(0, 12);

/** A scan whose runner has not been heard of for this long is taken as dead (marked failed). */
export const scanStaleMs = 5 * 60_000;

const keyOf = (r: { provider: string; account: string; id: string }) => `${r.provider}\u0000${r.account}\u0000${r.id}`;

/**
 * A result to write: its finding id and its row as one line of PostgreSQL's COPY text format
 * (`lineColumns`, tab-separated, the digest last). The row is encoded once: its digest
 * (`findings.digest`) is the hash of the same line without it, and the line is what a direct
 * scan streams to the server with COPY (one parse there, no key names: 60,000 findings are
 * ~26 MB as lines against ~44 MB as JSON objects).
 */
interface StagedRow {
  id: string;
  /** The line without its digest and newline. */
  line: string;
  digest: string;
  /**
   * The staged path's encoding of the same row (the embedded store's socket takes no COPY): a
   * JSON array of the line's fields in `lineColumns` order, tags and evidence as objects.
   */
  json?: string | undefined;
}

/**
 * The columns of a result line, in line order: what the finding says first, then what it copies
 * of its resource (encoded once per resource, `ResourceAt.part`). tags, evidence and fix_params
 * are JSON texts; fix_params `\N` (null) when the rule has no fix or the result is not a fail.
 */
const lineColumns = [
  'id',
  'rule_id',
  'category',
  'severity',
  'verdict',
  'detail',
  'evidence',
  'saving_cents',
  'fix_params',
  'workspace_id',
  'provider',
  'account',
  'region',
  'resource_type',
  'resource_id',
  'resource_name',
  'environment',
  'tags',
  'digest',
] as const;

const copySpecial = /[\\\t\n\r]/;
const copyEscapes: Record<string, string> = { '\\': '\\\\', '\t': '\\011', '\n': '\\012', '\r': '\\015' };
/**
 * A text as a field of COPY's text format. Backslash, tab, newline and carriage return are the
 * characters that format gives a meaning; a backslash is doubled and the others become octal
 * escapes.
 */
export const copyField = (s: string): string =>
  copySpecial.test(s) ? s.replace(/[\\\t\n\r]/g, (c) => copyEscapes[c]!) : s;

/** The line's resource part (from `workspace_id` to `tags`): the same for every finding of a resource. */
const resourcePart = (workspaceId: string, r: Resource): string =>
  `${copyField(workspaceId)}\t${copyField(r.provider)}\t${copyField(r.account)}\t${copyField(r.region)}\t` +
  `${copyField(r.type)}\t${copyField(r.id)}\t${copyField(r.name)}\t${copyField(r.environment)}\t` +
  copyField(JSON.stringify(r.tags ?? {}));

/**
 * The columns of `resources` a rule reads, named as `Resource` names them: the driver's rows are
 * the resources themselves (timestamps parsed to Date, integers to numbers), with no copy of
 * each of 100,000 rows into a second object.
 */
const resourceColumns = (alias = '') => {
  const p = alias ? `${alias}.` : '';
  return sql.raw(
    `${p}provider, ${p}account, ${p}id, ${p}region, ${p}type, ${p}name, ${p}state, ${p}tags, ${p}environment, ` +
      `${p}monthly_cost_cents as "monthlyCostCents", ${p}attributes, ${p}seen_at as "seenAt"`,
  );
};

const scopeSql = (scope: ScanScope, alias = '') => {
  const col = (c: string) => sql.raw(alias ? `${alias}.${c}` : c);
  return sql.join(
    [
      scope.provider ? sql` and ${col('provider')} = ${scope.provider}` : sql``,
      scope.account ? sql` and ${col('account')} = ${scope.account}` : sql``,
      scope.environment ? sql` and ${col('environment')} = ${scope.environment.toLowerCase()}` : sql``,
    ],
    sql``,
  );
};

/** An evaluation a rule returned, checked: anything malformed is the rule's error, not a finding. */
const checked = (rule: Rule, e: Evaluation): Evaluation => {
  if (e === null || typeof e !== 'object' || !['pass', 'fail', 'manual'].includes(e.verdict))
    throw new AppError('internal', `returned no verdict`);
  if (e.savingCents !== undefined && !(Number.isInteger(e.savingCents) && e.savingCents >= 0))
    throw new AppError('internal', `returned a saving that is not whole cents ≥ 0: ${String(e.savingCents)}`);
  if (rule.category !== 'cost' && e.savingCents)
    throw new AppError('internal', 'is not a cost rule but returned a saving');
  return e;
};

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e)).slice(0, 300);

/**
 * Claims the workspace's scan (one running at a time) and returns its id. A running scan whose
 * runner went silent for `scanStaleMs` is marked failed first; a live one is a conflict.
 */
const claim = async (deps: ScanDeps, req: ScanRequest, total: number): Promise<{ id: number; startedAt: Date }> => {
  const now = deps.now();
  await failStale(deps.db, now, req.workspaceId);
  const startedAt = now;
  const { rows } = await deps.db.execute<{ id: number }>(sql`
    insert into scans (workspace_id, category, scope, status, started_by, runner, heartbeat_at, started_at, resources)
    values (${req.workspaceId}, ${req.category}, ${JSON.stringify(req.scope ?? {})}::jsonb, 'running',
      ${req.startedBy}, ${deps.runner}, ${now}, ${now}, ${total})
    on conflict (workspace_id) where status = 'running' do nothing
    returning id`);
  const id = rows[0]?.id;
  if (id === undefined) {
    const { rows: running } = await deps.db.execute<{
      id: number;
      started_by: string;
      evaluated: number;
      resources: number;
    }>(
      sql`select id, started_by, evaluated, resources from scans where workspace_id = ${req.workspaceId} and status = 'running'`,
    );
    const r = running[0];
    throw conflict(
      r
        ? `a scan is already running (scan ${r.id}, started by ${r.started_by}, ${r.evaluated} of ${r.resources} resources done)`
        : 'a scan is already running',
    );
  }
  return { id: Number(id), startedAt };
};

/**
 * Marks failed every running scan (of one workspace, or all) whose runner has been silent for
 * `scanStaleMs` (the process stopped), and deletes what it had staged. Returns their ids.
 */
export const failStale = async (db: Db, now: Date, workspaceId?: string): Promise<number[]> => {
  const before = new Date(now.getTime() - scanStaleMs);
  const { rows } = await db.execute<{ id: number }>(sql`
    update scans set status = 'failed', finished_at = ${now},
      error = 'interrupted: the app running it stopped before it ended; no finding was changed'
    where status = 'running' and heartbeat_at < ${before}
      ${workspaceId ? sql`and workspace_id = ${workspaceId}` : sql``}
    returning id`);
  const ids = rows.map((r) => Number(r.id));
  if (ids.length > 0)
    await db.execute(
      sql`delete from scan_results where scan_id in (select json_array_elements_text(${JSON.stringify(ids)}::json)::int)`,
    );
  return ids;
};

/**
 * Marks failed every running scan and deletes their staging: at the start of an app on an
 * embedded store, whose running scans can only have belonged to a previous process.
 */
export const failAllRunning = async (db: Db, now: Date, why: string): Promise<number[]> => {
  const { rows } = await db.execute<{ id: number }>(sql`
    update scans set status = 'failed', finished_at = ${now}, error = ${why}
    where status = 'running' returning id`);
  const ids = rows.map((r) => Number(r.id));
  if (ids.length > 0)
    await db.execute(
      sql`delete from scan_results where scan_id in (select json_array_elements_text(${JSON.stringify(ids)}::json)::int)`,
    );
  return ids;
};

/** Runs one scan to its end. Throws a conflict when the workspace already has one running. */
export const runScan = async (deps: ScanDeps, req: ScanRequest): Promise<ScanSummary> => {
  const { db } = deps;
  const scope = req.scope ?? {};
  const rules = deps.rules.filter(
    (r) =>
      (req.category === 'all' || r.category === req.category) && (!scope.provider || r.provider === scope.provider),
  );
  const types = [...new Set(rules.flatMap((r) => r.types))];
  // An array parameter, not a subquery: the page query stays a primary-key range read in key
  // order whatever the statistics say (a subquery made PostgreSQL sort the table for every page).
  const typesArray = `{${types.join(',')}}`;
  const { rows: countRows } = await db.execute<{ n: number }>(sql`
    select count(*)::int as n from resources
    where gone_at is null and type = any(${typesArray}::text[]) ${scopeSql(scope)}`);
  const total = Number(countRows[0]?.n ?? 0);
  const { id: scanId, startedAt } = await claim(deps, req, total);
  const announce = (status: string, done: number): void =>
    deps.live?.publish({ kind: 'scan', workspaceId: req.workspaceId, scanId: String(scanId), status, done, total });
  announce('running', 0);
  const now = startedAt;
  const tally: RuleTally = Object.fromEntries(rules.map((r) => [r.id, { pass: 0, fail: 0, manual: 0, error: 0 }]));
  const accountCache: AccountCache = new Map();
  const offHours = rules.some((r) => r.readsOffHours)
    ? await coveringSchedules(db, req.workspaceId)
    : new Map<string, CoveringSchedule>();
  const batchSize = deps.batchSize ?? 5000;
  const runs = ruleRuns(deps, rules, now);
  const byKind: ByKind = new Map();
  for (const run of runs.values())
    for (const t of run.rule.types) {
      let byType = byKind.get(run.rule.provider);
      if (!byType) byKind.set(run.rule.provider, (byType = new Map()));
      byType.set(t, [...(byType.get(t) ?? []), run]);
    }
  let evaluated = 0;
  try {
    // The open findings as they were judged: one judged the same again is only stamped seen.
    const { rows: openRows } = await db.execute<{ id: string; digest: string }>(
      sql`select id, digest from findings where workspace_id = ${req.workspaceId} and status = 'open'`,
    );
    const state: BatchState = {
      scanId,
      workspaceId: req.workspaceId,
      now,
      tally,
      accountCache,
      open: new Map(openRows.map((r) => [r.id, r.digest])),
      staged: !deps.direct,
      unchanged: [],
      fresh: 0,
      offHours,
    };
    // One batch ahead: the next page and what its rules read are fetched while this one is
    // evaluated (on PostgreSQL over other pooled connections; on the embedded store the
    // database's process reads while this one evaluates).
    const load = async (after?: { provider: string; account: string; id: string }): Promise<Loaded | undefined> => {
      const { rows: batch } = await db.execute<Resource>(sql`
        select ${resourceColumns()} from resources
        where gone_at is null and type = any(${typesArray}::text[]) ${scopeSql(scope)}
          ${after ? sql`and (provider, account, id) > (${after.provider}, ${after.account}, ${after.id})` : sql``}
        order by provider, account, id limit ${batchSize}`);
      if (batch.length === 0) return undefined;
      return { batch, full: batch.length === batchSize, inputs: await prefetch(deps, byKind, batch, state) };
    };
    /**
     * Evaluates every batch and hands its results to `write`, which runs while the next batch is
     * evaluated (one write in flight: the next waits for it).
     */
    const evaluateAll = async (write: (rows: StagedRow[]) => Promise<void>): Promise<void> => {
      let next: Promise<Loaded | undefined> | undefined = load();
      let writing: Promise<void> = Promise.resolve();
      try {
        while (next) {
          deps.signal?.throwIfAborted();
          const current: Loaded | undefined = await next;
          if (!current) break;
          const last: Resource = current.batch.at(-1)!;
          next = current.full ? load({ provider: last.provider, account: last.account, id: last.id }) : undefined;
          // Awaited at the top of the loop; a failure meanwhile is not an unhandled rejection.
          next?.catch(() => undefined);
          const results = evaluateBatch(byKind, current.batch, current.inputs, state, deps.logger);
          await writing;
          writing = write(results);
          writing.catch(() => undefined);
          evaluated += current.batch.length;
          // The heartbeat doubles as a check that nobody marked this scan failed meanwhile.
          const { rows: alive } = await db.execute<{ id: number }>(sql`
            update scans set evaluated = ${evaluated}, heartbeat_at = ${deps.now()}
            where id = ${scanId} and status = 'running' returning id`);
          if (alive.length === 0)
            throw new AppError(
              'conflict',
              `scan ${scanId} was marked failed while it ran (its runner was taken as dead)`,
            );
          announce('running', evaluated);
          await deps.onProgress?.({ scanId, evaluated, total });
        }
        await writing;
      } finally {
        // A failure half way lets the read ahead and the last write settle before the scan is
        // marked failed.
        await next?.catch(() => undefined);
        await writing.catch(() => undefined);
      }
      deps.signal?.throwIfAborted();
    };
    const end = {
      scanId,
      workspaceId: req.workspaceId,
      scope,
      ruleIds: rules.map((r) => r.id),
      now,
      tally,
    };
    const summary = deps.direct
      ? // The whole scan in one transaction on a connection of its own: a changed finding is
        // written once, while the next batch is evaluated; unchanged ones are stamped seen batch
        // by batch.
        await inSession(db, async (session) => {
          const { tx } = session;
          await createBatchTable(tx);
          const w = await writeContext(tx, scanId, req.workspaceId, now);
          await evaluateAll(async (rows) => {
            if (rows.length > 0) {
              await copyBatch(session, rows);
              await upsertFindings(tx, batchSource, w);
            }
            // In a few large statements: one per batch of 5,000 resources cost 4× as much.
            if (state.unchanged.length >= 25_000) await stampSeen(tx, state.unchanged.splice(0), w);
          });
          await stampSeen(tx, state.unchanged.splice(0), w);
          await lockRunning(tx, scanId);
          return finish(tx, { ...end, staged: false, fresh: state.fresh, finishedAt: deps.now(), evaluated });
        })
      : await (async () => {
          await evaluateAll((rows) => stage(db, scanId, rows));
          return db.transaction(async (tx) => {
            const w = await writeContext(tx, scanId, req.workspaceId, now);
            await lockRunning(tx, scanId);
            await upsertFindings(tx, sql`select ${judgedColumns} from scan_results where scan_id = ${scanId}`, w);
            await stampSeen(tx, state.unchanged, w);
            return finish(tx, { ...end, staged: true, fresh: state.fresh, finishedAt: deps.now(), evaluated });
          });
        })();
    announce('succeeded', evaluated);
    deps.logger?.info(
      {
        scanId,
        workspaceId: req.workspaceId,
        resources: total,
        new: summary.newFindings,
        resolved: summary.resolvedFindings,
      },
      'scan finished',
    );
    if (deps.vacuum)
      await vacuumIfNeeded(db, ['scan_results', 'findings', 'finding_events'], deps.logger).catch((e: unknown) =>
        deps.logger?.warn({ err: e }, 'could not vacuum the scan tables'),
      );
    const errors = Object.entries(tally).filter(([, t]) => t.error > 0);
    if (errors.length > 0)
      deps.logger?.warn(
        { scanId, rules: Object.fromEntries(errors.map(([id, t]) => [id, t.error])) },
        'scan rules failed on some resources (error findings)',
      );
    return {
      ...summary,
      scanId,
      workspaceId: req.workspaceId,
      category: req.category,
      scope,
      resources: total,
      evaluated,
      tally,
      startedAt,
    };
  } catch (e) {
    const why = deps.signal?.aborted
      ? 'cancelled before it ended; no finding was changed'
      : `failed: ${errorText(e)}; no finding was changed`;
    await db
      .execute(
        sql`update scans set status = 'failed', finished_at = ${deps.now()}, error = ${why}, evaluated = ${evaluated}
        where id = ${scanId} and status = 'running'`,
      )
      .then(() => db.execute(sql`delete from scan_results where scan_id = ${scanId}`))
      .catch((cleanup: unknown) => deps.logger?.warn({ err: cleanup, scanId }, 'could not mark the scan failed'));
    announce('failed', evaluated);
    throw e;
  }
};

/**
 * Resources of a type across an account (rules' `accountTypes`), read once per scan: provider and
 * account (`accountKey`) → type → resources.
 */
type AccountCache = Map<string, Map<string, Resource[]>>;

const accountKey = (r: { provider: string; account: string }) => `${r.provider}\u0000${r.account}`;

interface BatchState {
  scanId: number;
  workspaceId: string;
  now: Date;
  tally: RuleTally;
  accountCache: AccountCache;
  /** Open finding id → its digest, read when the scan began. */
  open: Map<string, string>;
  /** Results also encoded as JSON for `scan_results` (the staged path: `StagedRow.json`). */
  staged: boolean;
  /** Ids of open findings this scan judged as before (not staged). */
  unchanged: string[];
  /** Results written that were not open before the scan: new or reopened findings. */
  fresh: number;
  /** Resources covered by an active or paused off-hours schedule of the workspace, by key. */
  offHours: ReadonlyMap<string, CoveringSchedule>;
}

/** The resources an active or paused off-hours schedule of the workspace covers (read once per scan). */
const coveringSchedules = async (db: Db, workspaceId: string): Promise<Map<string, CoveringSchedule>> => {
  const { rows } = await db.execute<{ id: string; status: string; provider: string; account: string; rid: string }>(sql`
    select s.id, s.status, r ->> 'provider' as provider, r ->> 'account' as account, r ->> 'id' as rid
    from off_hours_schedules s, jsonb_array_elements(s.resources) r
    where s.workspace_id = ${workspaceId} and s.status in ('active', 'paused')
    order by s.id`);
  const out = new Map<string, CoveringSchedule>();
  for (const row of rows) {
    const k = keyOf({ provider: row.provider, account: row.account, id: row.rid });
    if (!out.has(k)) out.set(k, { id: row.id, status: row.status });
  }
  return out;
};

/** What a batch's rules read, fetched before they run. */
interface BatchInputs {
  /** Resource (of the batch) → metric → its days as stored ("day avg max …", oldest first), parsed when a rule asks. */
  metrics: Map<Resource, Map<string, string>>;
  referenced: Map<string, Resource>;
}

interface Loaded {
  batch: Resource[];
  /** A full page: there may be more after it. */
  full: boolean;
  inputs: BatchInputs;
}

/**
 * A rule as one scan runs it: its metric window's first day and one context object, made once
 * per scan instead of once per evaluation (234,000 evaluations at 100,000 resources). `at` is
 * the resource being judged and what its batch read; evaluation is synchronous, so one context
 * serves every resource in turn.
 */
interface RuleRun {
  rule: Rule;
  /** Days of metrics it reads (0: none) and the first of them (YYYY-MM-DD) at the scan's clock; '' without metrics. */
  windowDays: number;
  since: string;
  ctx: RuleContext;
  at: ResourceAt;
}

/** The resource being judged, what its batch read, and its metric days parsed so far. */
interface ResourceAt {
  r: Resource;
  metrics: Map<string, string> | undefined;
  /** Metric → its days from `since` on, parsed for the first rule that asked. */
  parsed: Map<string, { since: string; days: DailyMetric[] }> | undefined;
  /** Its provider and account (`accountKey`), shared by the resources of one account in a batch. */
  account: string;
  /** Its part of a result line (`resourcePart`), encoded for its first finding. */
  part: string | undefined;
  inputs: BatchInputs;
  state: BatchState;
}

const ruleRuns = (deps: ScanDeps, rules: readonly Rule[], now: Date): Map<string, RuleRun> => {
  const out = new Map<string, RuleRun>();
  for (const rule of rules) {
    const windowDays = metricWindowDays(rule, deps.thresholds);
    const since = windowDays > 0 ? dayBefore(now, windowDays) : '';
    const run: RuleRun = {
      rule,
      windowDays,
      since,
      at: undefined as unknown as RuleRun['at'],
      ctx: {
        now,
        threshold: (name) => thresholdOf(rule, name, deps.thresholds),
        daily: (metric) => {
          if (!rule.metrics?.names.includes(metric))
            throw new AppError('internal', `read metric "${metric}" it did not declare`);
          return dailyOf(run.at, metric, since);
        },
        lookup: (ref) => run.at.inputs.referenced.get(keyOf(ref)),
        inAccount: (type) => {
          if (!rule.accountTypes?.includes(type))
            throw new AppError('internal', `read account type "${type}" it did not declare`);
          return run.at.state.accountCache.get(run.at.account)?.get(type) ?? [];
        },
        list: (name) => listOf(rule, name, deps.lists),
        offHours: () => {
          if (!rule.readsOffHours) throw new AppError('internal', 'read off-hours schedules it did not declare');
          return run.at.state.offHours.get(keyOf(run.at.r));
        },
      },
    };
    out.set(rule.id, run);
  }
  return out;
};

/** The rules of each provider and resource type. */
type ByKind = Map<string, Map<string, RuleRun[]>>;

const noRules: RuleRun[] = [];
const applicableTo = (byKind: ByKind, r: Resource) => byKind.get(r.provider)?.get(r.type) ?? noRules;

/** Reads what a batch's rules declared: metrics, referenced resources, account-wide types (cached). */
const prefetch = async (deps: ScanDeps, byKind: ByKind, batch: Resource[], state: BatchState): Promise<BatchInputs> => {
  const { db } = deps;
  const metricNames = new Set<string>();
  let maxDays = 0;
  const metricKeys: Resource[] = [];
  const refs = new Map<string, ResourceRef>();
  // provider and account → types a rule reads across it and the scan has not read yet. The batch
  // comes in provider and account order: the key is made once per account, not per resource.
  const accountNeeds = new Map<string, { provider: string; account: string; types: Set<string> }>();
  let account = '';
  let last: Resource | undefined;
  for (const r of batch) {
    if (r.provider !== last?.provider || r.account !== last.account) account = accountKey(r);
    last = r;
    let wantsMetrics = false;
    for (const run of applicableTo(byKind, r)) {
      const { rule } = run;
      if (rule.metrics) {
        wantsMetrics = true;
        for (const m of rule.metrics.names) metricNames.add(m);
        maxDays = Math.max(maxDays, run.windowDays);
      }
      if (rule.refs) for (const ref of safeRefs(rule, r)) refs.set(keyOf(ref), ref);
      if (rule.accountTypes) {
        const cached = state.accountCache.get(account);
        for (const t of rule.accountTypes) {
          if (cached?.has(t)) continue;
          let need = accountNeeds.get(account);
          if (!need) accountNeeds.set(account, (need = { provider: r.provider, account: r.account, types: new Set() }));
          need.types.add(t);
        }
      }
    }
    if (wantsMetrics) metricKeys.push(r);
  }
  const metrics = await readDaily(db, metricKeys, [...metricNames], maxDays);
  const referenced = await readRefs(db, [...refs.values()]);
  for (const [k, need] of accountNeeds)
    for (const type of need.types) {
      const { rows } = await db.execute<Resource>(sql`
        select ${resourceColumns()} from resources
        where gone_at is null and provider = ${need.provider} and account = ${need.account} and type = ${type}
        order by id`);
      let byType = state.accountCache.get(k);
      if (!byType) state.accountCache.set(k, (byType = new Map()));
      byType.set(type, rows);
    }
  return { metrics, referenced };
};

/** The UTC day (YYYY-MM-DD) `days` before `now`. */
const dayBefore = (now: Date, days: number): string =>
  new Date(now.getTime() - days * 86_400_000).toISOString().slice(0, 10);

/**
 * A metric's days from `since` on for the resource being judged, parsed on the first ask and kept
 * for the other rules of the resource: a rule that judges by CPU first never pays for its network
 * days. Parsed from the asking rule's first day, not the batch's (a NAT gateway's 32-day window
 * made every instance's days parsed from 32 days back, then copied for the 14-day rules).
 */
const dailyOf = (at: ResourceAt, metric: string, since: string): readonly DailyMetric[] => {
  let p = at.parsed?.get(metric);
  if (!p || p.since > since) {
    p = { since, days: parseDays(at.metrics?.get(metric) ?? '', since) };
    (at.parsed ??= new Map()).set(metric, p);
  }
  // Oldest first: when the first day is in the window, all are (no copy).
  const { days } = p;
  return p.since === since || days.length === 0 || days[0]!.day >= since ? days : days.filter((d) => d.day >= since);
};

/**
 * Parses "day avg max day avg max …" (days carry no spaces; PostgreSQL's float output, NaN and
 * Infinity included, is what Number reads), keeping the days from `since` on. Scanned in place,
 * not split: 600,000 days a scan made 1.8 million short strings.
 */
const parseDays = (text: string, since: string): DailyMetric[] => {
  const days: DailyMetric[] = [];
  for (let i = 0; i < text.length;) {
    const a = text.indexOf(' ', i);
    const b = a < 0 ? -1 : text.indexOf(' ', a + 1);
    if (b < 0) break;
    let c = text.indexOf(' ', b + 1);
    if (c < 0) c = text.length;
    const day = text.slice(i, a);
    if (day >= since) days.push({ day, avg: Number(text.slice(a + 1, b)), max: Number(text.slice(b + 1, c)) });
    i = c + 1;
  }
  return days;
};

/**
 * Evaluates every applicable rule on a batch. Returns the results to write (fail, manual,
 * error) that differ from the open finding they match; the ids of open findings judged the same
 * again go to `state.unchanged`.
 */
const evaluateBatch = (
  byKind: ByKind,
  batch: Resource[],
  inputs: BatchInputs,
  state: BatchState,
  logger: Logger | undefined,
): StagedRow[] => {
  const out: StagedRow[] = [];
  let account = '';
  let last: Resource | undefined;
  for (const r of batch) {
    if (r.provider !== last?.provider || r.account !== last.account) account = accountKey(r);
    last = r;
    const at: ResourceAt = {
      r,
      metrics: inputs.metrics.get(r),
      parsed: undefined,
      account,
      part: undefined,
      inputs,
      state,
    };
    for (const run of applicableTo(byKind, r)) {
      const { rule } = run;
      run.at = at;
      let verdict: 'fail' | 'manual' | 'error' | 'pass';
      let e: Evaluation;
      try {
        e = checked(rule, rule.evaluate(r, run.ctx));
        verdict = e.verdict;
      } catch (err) {
        verdict = 'error';
        e = { verdict: 'manual', evidence: {}, detail: `The rule could not judge this resource: ${errorText(err)}` };
        // Logged once per rule and scan (its first resource); the scan's end counts them all.
        if (state.tally[rule.id]!.error === 0)
          logger?.warn({ err, rule: rule.id, resource: r.id }, 'scan rule failed on a resource');
      }
      state.tally[rule.id]![verdict]++;
      if (verdict === 'pass') continue;
      const id = findingId({
        ruleId: rule.id,
        provider: r.provider,
        account: r.account,
        region: r.region,
        resourceId: r.id,
      });
      const fixParams = verdict === 'fail' && rule.fix ? (e.fixParams ?? {}) : null;
      const line =
        `${id}\t${rule.id}\t${rule.category}\t${rule.severity}\t${verdict}\t${copyField(e.detail ?? rule.title)}\t` +
        `${copyField(JSON.stringify(e.evidence ?? {}))}\t${verdict === 'fail' ? (e.savingCents ?? 0) : 0}\t` +
        `${fixParams ? copyField(JSON.stringify(fixParams)) : '\\N'}\t${(at.part ??= resourcePart(state.workspaceId, r))}`;
      const digest = hash('sha256', line, 'base64url').slice(0, 22);
      const was = state.open.get(id);
      if (was === digest) state.unchanged.push(id);
      else {
        if (was === undefined) state.fresh++;
        out.push({
          id,
          line,
          digest,
          json: state.staged
            ? JSON.stringify([
                id,
                rule.id,
                rule.category,
                rule.severity,
                verdict,
                e.detail ?? rule.title,
                e.evidence ?? {},
                verdict === 'fail' ? (e.savingCents ?? 0) : 0,
                fixParams,
                state.workspaceId,
                r.provider,
                r.account,
                r.region,
                r.type,
                r.id,
                r.name,
                r.environment,
                r.tags ?? {},
                digest,
              ])
            : undefined,
        });
      }
    }
  }
  return out;
};

/** A rule's refs for a resource; a rule that throws here is judged (as an error) when evaluated. */
const safeRefs = (rule: Rule, r: Resource): ResourceRef[] => {
  try {
    return rule.refs?.(r) ?? [];
  } catch {
    return [];
  }
};

/**
 * Days of the wanted metrics for the given resources since `days` ago: key → metric → days (oldest
 * first). Read from resource_metric_series, the rollup the metrics collection keeps (its last 92
 * days per resource and metric, as text in day order), not aggregated from resource_metrics here.
 */
const readDaily = async (
  db: Db,
  resources: Resource[],
  metrics: string[],
  days: number,
): Promise<Map<Resource, Map<string, string>>> => {
  const out = new Map<Resource, Map<string, string>>();
  if (resources.length === 0 || metrics.length === 0 || days <= 0) return out;
  // A batch comes in primary-key order, so its resources of one provider and account span one
  // range of ids, from the first to the last of them (the database's order, which may not be
  // JavaScript's): one primary-key range read per (provider, account) of the batch, instead of a
  // lookup per resource (3 s of a 100,000-resource scan on the embedded store went to those).
  // Ids in the range without metrics (volumes, buckets) cost nothing; rows of resources the
  // batch did not ask for are dropped below.
  const ranges = new Map<
    string,
    { provider: string; account: string; from: string; to: string; ids: Map<string, Resource> }
  >();
  let range: { provider: string; account: string; from: string; to: string; ids: Map<string, Resource> } | undefined;
  for (const r of resources) {
    if (r.provider !== range?.provider || r.account !== range.account) {
      const k = accountKey(r);
      range = ranges.get(k);
      if (!range)
        ranges.set(k, (range = { provider: r.provider, account: r.account, from: r.id, to: r.id, ids: new Map() }));
    }
    range.to = r.id;
    range.ids.set(r.id, r);
  }
  const metricList = `{${metrics.map((m) => `"${m.replace(/["\\]/g, '')}"`).join(',')}}`;
  // One row per resource and metric, its days as one string ("day avg max day avg max …", oldest
  // first): a 100,000-resource estate has ~600,000 daily rows, and aggregating them here cost
  // 0.9 s of server CPU a scan on PostgreSQL 15; the collection keeps them aggregated instead.
  // The text is parsed only when a rule asks (`dailyOf`).
  for (const { provider, account, from, to, ids } of ranges.values()) {
    const { rows } = await db.execute<{ id: string; metric: string; days: string }>(sql`
      select resource_id as id, metric, days
      from resource_metric_series
      where provider = ${provider} and account = ${account}
        and resource_id between ${from} and ${to}
        and metric = any(${metricList}::text[])`);
    for (const row of rows) {
      const r = ids.get(row.id);
      if (!r) continue;
      let byMetric = out.get(r);
      if (!byMetric) out.set(r, (byMetric = new Map()));
      byMetric.set(row.metric, row.days);
    }
  }
  return out;
};

/** One live resource by key (undefined: not in the inventory, or gone). */
export const liveResource = async (db: Db, ref: ResourceRef): Promise<Resource | undefined> =>
  (await readRefs(db, [ref])).get(keyOf(ref));

/** Live resources by key. */
const readRefs = async (db: Db, refs: ResourceRef[]): Promise<Map<string, Resource>> => {
  const out = new Map<string, Resource>();
  if (refs.length === 0) return out;
  const { rows } = await db.execute<Resource>(sql`
    select ${resourceColumns('r')}
    from json_to_recordset(${JSON.stringify(refs)}::json) as k(provider text, account text, id text)
    join resources r on r.provider = k.provider and r.account = k.account and r.id = k.id
    where r.gone_at is null`);
  for (const row of rows) out.set(keyOf(row), row);
  return out;
};

/** The columns a scan result and a finding share (`judged` in schema.ts), in one order. */
const judgedColumns = sql.raw(
  'workspace_id, id, rule_id, category, severity, provider, account, region, resource_type, resource_id, ' +
    'resource_name, environment, tags, verdict, detail, evidence, saving_cents, fix_params, digest',
);

/**
 * Results sent as one JSON parameter (arrays of the line's fields), as rows of `judgedColumns`:
 * the staged path's source. Parsed once as jsonb, whose array elements are read by position in
 * constant time; tags and evidence come out as jsonb without a second parse. (On PGlite, lines
 * split with `string_to_array` and unescaped field by field cost 40 % more database time.)
 */
const jsonSource = (rows: StagedRow[]) => {
  const at = (name: (typeof lineColumns)[number]) => lineColumns.indexOf(name);
  const text = (name: (typeof lineColumns)[number]) => `j ->> ${at(name)}`;
  const json = (name: (typeof lineColumns)[number]) => `j -> ${at(name)}`;
  return sql`
  select ${sql.raw(
    [
      text('workspace_id'),
      text('id'),
      text('rule_id'),
      text('category'),
      text('severity'),
      text('provider'),
      text('account'),
      text('region'),
      text('resource_type'),
      text('resource_id'),
      text('resource_name'),
      text('environment'),
      json('tags'),
      text('verdict'),
      text('detail'),
      json('evidence'),
      `(${text('saving_cents')})::integer`,
      `case when jsonb_typeof(${json('fix_params')}) = 'null' then null else ${json('fix_params')} end`,
      text('digest'),
    ].join(', '),
  )}
  from jsonb_array_elements(${`[${rows.map((r) => r.json ?? '').join(',')}]`}::jsonb) as j`;
};

/** Stages a batch's results in `scan_results` (the embedded store's path), 2,000 per statement. */
const stage = async (db: Db, scanId: number, rows: StagedRow[]): Promise<void> => {
  for (let i = 0; i < rows.length; i += 2000)
    await db.execute(sql`
      insert into scan_results (scan_id, ${judgedColumns})
      select ${scanId}, x.* from (${jsonSource(rows.slice(i, i + 2000))}) x
      on conflict (scan_id, id) do nothing`);
};

/**
 * The direct path's batch table: a temporary table of result lines on the scan's own connection,
 * dropped with its transaction. Each batch's lines are streamed in with COPY (PostgreSQL's
 * cheapest way in: 60,000 findings took 0.19 s to copy and 0.74 s to upsert from here, against
 * 1.5 s from a JSON parameter), then upserted into `findings`.
 */
const createBatchTable = (tx: Db) =>
  tx.execute(
    sql.raw(
      `create temporary table scan_batch (${lineColumns
        .map((c) => `${c} ${c === 'saving_cents' ? 'integer' : 'text'}`)
        .join(', ')}) on commit drop`,
    ),
  );

const batchSource = sql`
  select workspace_id, id, rule_id, category, severity, provider, account, region, resource_type, resource_id,
    resource_name, environment, tags::jsonb, verdict, detail, evidence::jsonb, saving_cents, fix_params::jsonb, digest
  from scan_batch`;

/** Replaces the batch table's rows with `rows` (COPY FROM STDIN). */
const copyBatch = async (session: Session, rows: StagedRow[]): Promise<void> => {
  await session.tx.execute(sql`truncate scan_batch`);
  await session.copyIn('scan_batch', lineColumns, lines(rows));
};

/**
 * The lines as UTF-8 in chunks of ~1 MB, each line written straight into the chunk (no joined
 * string: a detail with "≤" makes a line two bytes a character in V8, and 60,000 of them joined
 * were 48 MB of garbage a scan).
 */
function* lines(rows: StagedRow[]): Generator<Buffer> {
  const size = 1 << 20;
  let chunk = Buffer.allocUnsafe(size);
  let at = 0;
  for (const r of rows) {
    // At most 3 bytes of UTF-8 per UTF-16 unit, then a tab, the digest (base64url) and a newline.
    const most = r.line.length * 3 + r.digest.length + 2;
    if (at + most > chunk.length) {
      if (at > 0) yield chunk.subarray(0, at);
      chunk = Buffer.allocUnsafe(Math.max(size, most));
      at = 0;
    }
    at += chunk.write(r.line, at);
    chunk[at++] = 0x09;
    at += chunk.write(r.digest, at, 'latin1');
    chunk[at++] = 0x0a;
  }
  if (at > 0) yield chunk.subarray(0, at);
}

/** The active suppression (lowest id) covering a result row `s` at `now`, as a scalar subquery. */
const suppressionOf = (now: Date) => sql`(
  select min(p.id) from suppressions p
  where p.workspace_id = s.workspace_id and p.removed_at is null and p.expires_at > ${now} and (
    (p.scope = 'finding' and p.finding_id = s.id)
    or (p.scope = 'rule' and p.rule_id = s.rule_id and (p.tag_key is null or s.tags ->> p.tag_key = p.tag_value))
    or (p.scope = 'account' and p.provider = s.provider and p.account = s.account and (p.rule_id is null or p.rule_id = s.rule_id))
  ))`;

/** Locks the scan's row; only the runner's own running scan may write (it could have been marked failed as stale). */
const lockRunning = async (tx: Pick<Db, 'execute'>, scanId: number): Promise<void> => {
  const { rows } = await tx.execute<{ id: number }>(
    sql`select id from scans where id = ${scanId} and status = 'running' for update`,
  );
  if (rows.length === 0)
    throw new AppError('conflict', `scan ${scanId} was marked failed before it could record its findings`);
};

/** What every write of a scan needs to know, read when it starts writing. */
interface WriteContext {
  scanId: number;
  workspaceId: string;
  now: Date;
  /** The workspace has a suppression in force: the per-row lookup runs only then (most have none). */
  suppressed: boolean;
  /** The workspace has resolved findings (none before its first scans): only then can one reopen. */
  anyResolved: boolean;
}

const writeContext = async (
  tx: Pick<Db, 'execute'>,
  scanId: number,
  workspaceId: string,
  now: Date,
): Promise<WriteContext> => {
  const { rows } = await tx.execute<{ suppressed: boolean; resolved: boolean }>(sql`
    select exists (select 1 from suppressions
        where workspace_id = ${workspaceId} and removed_at is null and expires_at > ${now}) as suppressed,
      exists (select 1 from findings where workspace_id = ${workspaceId} and status = 'resolved') as resolved`);
  return {
    scanId,
    workspaceId,
    now,
    suppressed: Boolean(rows[0]?.suppressed),
    anyResolved: Boolean(rows[0]?.resolved),
  };
};

/**
 * Writes results (rows of `judgedColumns` from `source`) into `findings`, each once: new ones
 * inserted (their first scan is their `new` event), the others updated and opened again, and a
 * resolved one that came back recorded as `reopened` in the same statement, which sees the
 * findings as they were before it.
 */
const upsertFindings = (tx: Pick<Db, 'execute'>, source: SQL, w: WriteContext) =>
  tx.execute(sql`
    with s (${judgedColumns}) as ${w.anyResolved ? sql`materialized` : sql``} (${source})
    ${
      w.anyResolved
        ? sql`, history as (
      insert into finding_events (workspace_id, finding_id, scan_id, kind, at)
      select s.workspace_id, s.id, ${w.scanId}, 'reopened', ${w.now}
      from s join findings f on f.workspace_id = s.workspace_id and f.id = s.id
      where f.status = 'resolved')`
        : sql``
    }
    insert into findings (${judgedColumns}, status, first_seen_at, last_seen_at, resolved_at, first_scan_id, last_scan_id,
      suppression_id)
    select s.*, 'open', ${w.now}, ${w.now}, null, ${w.scanId}, ${w.scanId},
      ${w.suppressed ? suppressionOf(w.now) : sql`null::bigint`}
    from s
    on conflict (workspace_id, id) do update set
      category = excluded.category, severity = excluded.severity, region = excluded.region,
      resource_type = excluded.resource_type, resource_name = excluded.resource_name,
      environment = excluded.environment, tags = excluded.tags, verdict = excluded.verdict,
      detail = excluded.detail, evidence = excluded.evidence, saving_cents = excluded.saving_cents,
      fix_params = excluded.fix_params, digest = excluded.digest, status = 'open', last_seen_at = excluded.last_seen_at,
      resolved_at = null, last_scan_id = excluded.last_scan_id, suppression_id = excluded.suppression_id`);

/**
 * Stamps seen the open findings a scan judged as before (not written again), and looks their
 * suppression up again (one may have expired or been added). Those columns are in no index and
 * the table leaves room in its pages (fillfactor 70), so PostgreSQL updates the rows in place
 * (HOT): 0.5 s for 64,186 rows on PostgreSQL 15 against 1.7 s for new row versions and their
 * index entries.
 */
const stampSeen = async (tx: Pick<Db, 'execute'>, ids: string[], w: WriteContext): Promise<void> => {
  for (let i = 0; i < ids.length; i += 50_000)
    await tx.execute(sql`
      update findings s set last_seen_at = ${w.now}, last_scan_id = ${w.scanId},
        suppression_id = ${w.suppressed ? suppressionOf(w.now) : sql`null::bigint`}
      from unnest(${`{${ids.slice(i, i + 50_000).join(',')}}`}::text[]) as u(id)
      where s.workspace_id = ${w.workspaceId} and s.status = 'open' and s.id = u.id`);
};

interface FinishArgs {
  scanId: number;
  workspaceId: string;
  scope: ScanScope;
  ruleIds: string[];
  now: Date;
  finishedAt: Date;
  tally: RuleTally;
  evaluated: number;
  /** The results went through `scan_results` (deleted here). */
  staged: boolean;
  /** Findings the scan opened: new or reopened (written, and not open before). */
  fresh: number;
}

/**
 * The end of a scan, inside its transaction once every result is written: the open findings of
 * the scanned rules and scope that this scan did not make again are resolved, and the scan's
 * totals recorded.
 */
const finish = async (tx: Pick<Db, 'execute'>, a: FinishArgs) => {
  const ws = a.workspaceId;
  const { rows: gone } = await tx.execute<{ n: number }>(sql`
    with gone as (
      update findings f set status = 'resolved', resolved_at = ${a.now}, last_scan_id = ${a.scanId}
      where f.workspace_id = ${ws} and f.status = 'open' and f.last_scan_id <> ${a.scanId}
        and f.rule_id in (select json_array_elements_text(${JSON.stringify(a.ruleIds)}::json)) ${scopeSql(a.scope, 'f')}
      returning f.id),
    history as (
      insert into finding_events (workspace_id, finding_id, scan_id, kind, at)
      select ${ws}, id, ${a.scanId}, 'resolved', ${a.now} from gone)
    select count(*)::int as n from gone`);
  const resolved = Number(gone[0]?.n ?? 0);
  const totals = await openTotals(tx, ws);
  if (a.staged) await tx.execute(sql`delete from scan_results where scan_id = ${a.scanId}`);
  await tx.execute(sql`
    update scans set status = 'succeeded', finished_at = ${a.finishedAt}, evaluated = ${a.evaluated},
      new_findings = ${a.fresh}, resolved_findings = ${resolved},
      open_findings = ${totals.open}, error_findings = ${totals.errors}, open_saving_cents = ${totals.savingCents},
      tally = ${JSON.stringify(a.tally)}::jsonb, heartbeat_at = ${a.finishedAt}
    where id = ${a.scanId}`);
  return {
    newFindings: a.fresh,
    resolvedFindings: resolved,
    openFindings: totals.open,
    errorFindings: totals.errors,
    openSavingCents: totals.savingCents,
    finishedAt: a.finishedAt,
  };
};

/**
 * Open, unsuppressed findings of a workspace: how many, how many are rule errors, and the monthly
 * saving if all were fixed, one saving per resource (the largest of its findings), so a volume
 * that is both unattached and gp2 is not counted twice.
 */
export const openTotals = async (
  db: Pick<Db, 'execute'>,
  workspaceId: string,
): Promise<{ open: number; errors: number; savingCents: number }> => {
  // One pass over the open findings, grouped by resource (0.3 s for three passes at 60,000). The
  // grouping compares bytes, most distinct column first: the database's collation and the four
  // providers first made the sort of 60,000 rows take 140 ms of this statement's 210.
  const { rows } = await db.execute<{ open: number; errors: number; saving: string | number }>(sql`
    select coalesce(sum(n), 0)::int as open, coalesce(sum(e), 0)::int as errors, coalesce(sum(m), 0) as saving
    from (
      select count(*) as n, count(*) filter (where verdict = 'error') as e, max(saving_cents) as m from findings
      where workspace_id = ${workspaceId} and status = 'open' and suppression_id is null
      group by resource_id collate "C", account collate "C", provider collate "C") x`);
  const r = rows[0];
  return { open: Number(r?.open ?? 0), errors: Number(r?.errors ?? 0), savingCents: Number(r?.saving ?? 0) };
};
