import { z } from 'zod';
import type { ConversationRef } from '../chat/actor.ts';
import type { Reply } from '../chat/reply.ts';
import type { ChatFile, PostedMessage } from '../chat/surface.ts';
import { isAppError } from '../errors.ts';
import type { Scheduler } from '../jobs/scheduler.ts';
import type { Logger } from '../observability/logger.ts';
import type { Db } from '../store/db.ts';
import { sql } from '../store/orm.ts';
import { buildDigests, renderDigest, type DigestSettings } from './digest.ts';
import { runScan, type ScanDeps, type ScanSummary } from './engine.ts';
import type { Rule } from './rule.ts';
import type { ListValues, ThresholdValues } from './settings.ts';

/**
 * Scheduled scans: one Agenda schedule per workspace (`scans.run`, cron `SCAN_SCHEDULE`, or the
 * workspace's own `settings.scans.schedule`), kept in step with the workspaces by `scans.schedule`
 * (at start and hourly: a workspace created since gets its schedule). A run scans everything and
 * posts one digest per owner. A run that finds a scan already running skips (the next one comes).
 */

export const scanRunJob = 'scans.run';
export const scanScheduleJob = 'scans.schedule';

/** Cron: five fields (minute hour day-of-month month day-of-week); Agenda checks the rest. */
export const CronExpression = z
  .string()
  .trim()
  .regex(/^\S+(\s+\S+){4}$/, 'must be a cron expression of five fields, like "0 7 * * *"');

export interface ScanJobDeps {
  db: Db;
  rules: readonly Rule[];
  thresholds: ThresholdValues;
  /** SCAN_OFF_HOURS_ENVS and other list settings (defaults when absent). */
  lists?: ListValues | undefined;
  now: () => Date;
  runner: string;
  logger: Logger;
  /** SCAN_SCHEDULE and SCAN_SCHEDULE_TIMEZONE: every workspace's default. */
  schedule: string;
  timezone: string;
  digests: DigestSettings;
  /** Posts into a conversation when its surface runs here (the message posted); undefined when it does not. */
  post(conversation: ConversationRef, reply: Reply): Promise<PostedMessage | undefined>;
  /**
   * The reports attached in each digest's thread (SCAN_DIGEST_REPORTS): `files` builds one
   * owner's, `attach` puts them in the thread of the posted digest (false: that surface cannot).
   */
  reports?: {
    files(workspaceId: string, owner: string): Promise<ChatFile[]>;
    attach(digest: PostedMessage, files: readonly ChatFile[]): Promise<boolean>;
  };
  sandbox: boolean;
  /** The embedded store: vacuum the scan tables after each scan. */
  vacuum?: boolean | undefined;
  /** External PostgreSQL: a scan writes its findings in one transaction as it goes (`ScanDeps.direct`). */
  direct?: boolean | undefined;
  /** Where scans announce their start, progress and end (`ScanDeps.live`). */
  live?: ScanDeps['live'];
}

const WorkspaceSettings = z
  .object({ scans: z.object({ schedule: z.union([z.literal('off'), CronExpression]).optional() }).optional() })
  .passthrough();

/** Scans a workspace and posts its digests; returns the scan, or undefined when one was running. */
export const runScheduledScan = async (d: ScanJobDeps, workspaceId: string): Promise<ScanSummary | undefined> => {
  let summary: ScanSummary;
  try {
    summary = await runScan(
      {
        db: d.db,
        rules: d.rules,
        thresholds: d.thresholds,
        lists: d.lists,
        now: d.now,
        runner: d.runner,
        logger: d.logger,
        vacuum: d.vacuum,
        direct: d.direct,
        live: d.live,
      },
      { workspaceId, category: 'all', startedBy: 'schedule' },
    );
  } catch (e) {
    if (isAppError(e) && e.code === 'conflict') {
      d.logger.info({ workspaceId, reason: e.message }, 'scheduled scan skipped');
      return undefined;
    }
    throw e;
  }
  await postDigests(d, workspaceId, summary.scanId);
  return summary;
};

/** Posts one digest per owner of the workspace after a scan; returns how many were posted. */
export const postDigests = async (d: ScanJobDeps, workspaceId: string, scanId: number): Promise<number> => {
  const digests = await buildDigests(d.db, workspaceId, scanId, d.digests, d.rules);
  let posted = 0;
  for (const digest of digests) {
    const to = digest.conversation;
    // A digest goes only to a conversation of the scanned workspace, and only when something is open or changed.
    if (!to || to.workspaceId !== workspaceId) continue;
    if (digest.open === 0 && digest.newFindings === 0 && digest.resolvedFindings === 0) continue;
    let message: PostedMessage | undefined;
    try {
      message = await d.post(to, renderDigest(digest, { scanId, sandbox: d.sandbox }));
    } catch (err) {
      d.logger.warn({ err, owner: digest.owner, workspaceId }, 'could not post a scan digest');
    }
    if (!message) continue;
    posted++;
    await attachReports(d, workspaceId, digest.owner, message);
  }
  const unrouted = digests.filter((g) => !g.conversation || g.conversation.workspaceId !== workspaceId);
  if (unrouted.length > 0)
    d.logger.info(
      { workspaceId, owners: unrouted.map((g) => g.owner) },
      'scan digests without a conversation (SCAN_DIGEST_ROUTES, SCAN_DIGEST_CONVERSATION)',
    );
  return posted;
};

/** The owner's reports in the digest's thread; a failure is logged, the digest stays posted. */
const attachReports = async (
  d: ScanJobDeps,
  workspaceId: string,
  owner: string,
  digest: PostedMessage,
): Promise<void> => {
  if (!d.reports) return;
  try {
    const files = await d.reports.files(workspaceId, owner);
    if (files.length > 0 && !(await d.reports.attach(digest, files)))
      d.logger.debug({ surface: digest.surface }, 'this surface takes no files: digest reports not attached');
  } catch (err) {
    d.logger.warn(
      { err, owner, workspaceId, surface: digest.surface },
      'could not attach the reports to a scan digest (the digest is posted)',
    );
  }
};

/** The schedule of each workspace: its own setting, or the default. */
export const workspaceSchedules = async (
  db: Db,
  fallback: string,
): Promise<Array<{ workspaceId: string; schedule: string }>> => {
  // Findings, like users, are keyed by the surface's own workspace id (a Slack team, `console`).
  const { rows } = await db.execute<{ id: string; settings: unknown }>(
    sql`select external_id as id, settings from workspaces order by external_id, id`,
  );
  const seen = new Map<string, string>();
  for (const r of rows) {
    const s = WorkspaceSettings.safeParse(r.settings ?? {});
    if (!seen.has(r.id)) seen.set(r.id, (s.success && s.data.scans?.schedule) || fallback);
  }
  return [...seen].map(([workspaceId, schedule]) => ({ workspaceId, schedule }));
};

/** Puts a workspace's schedule in force: `off` keeps its Agenda schedule, whose runs then do nothing. */
export const applySchedule = async (
  scheduler: Scheduler,
  timezone: string,
  workspaceId: string,
  schedule: string,
): Promise<void> => {
  if (schedule !== 'off') await scheduler.cron(schedule, scanRunJob, { workspaceId }, { key: 'workspaceId', timezone });
};

export const registerScanJobs = async (scheduler: Scheduler, d: ScanJobDeps): Promise<void> => {
  scheduler.define(
    scanRunJob,
    async ({ workspaceId }) => {
      const own = (await workspaceSchedules(d.db, d.schedule)).find((w) => w.workspaceId === workspaceId);
      if (own?.schedule === 'off') return void d.logger.info({ workspaceId }, 'scheduled scans are off here');
      await runScheduledScan(d, workspaceId);
    },
    z.object({ workspaceId: z.string().min(1) }),
  );
  const sync = async () => {
    for (const w of await workspaceSchedules(d.db, d.schedule))
      await applySchedule(scheduler, d.timezone, w.workspaceId, w.schedule);
  };
  scheduler.define(scanScheduleJob, sync);
  await sync();
  await scheduler.every(3_600_000, scanScheduleJob, {}, { skipImmediate: true });
};

/** A workspace's own scan schedule: a cron expression, `off`, or undefined for SCAN_SCHEDULE. */
export const setWorkspaceSchedule = async (
  db: Db,
  workspaceId: string,
  schedule: string | undefined,
): Promise<number> => {
  const { rows } = await db.execute<{ id: string }>(sql`
    update workspaces set settings = case
      when ${schedule ?? null}::text is null then settings #- '{scans,schedule}'
      else jsonb_set(coalesce(settings, '{}'::jsonb), '{scans}',
        coalesce(settings -> 'scans', '{}'::jsonb) || jsonb_build_object('schedule', ${schedule ?? null}::text))
    end
    where external_id = ${workspaceId} returning id`);
  return rows.length;
};
