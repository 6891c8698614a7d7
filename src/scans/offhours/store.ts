import { z } from 'zod';
import { appendAudit } from '../../changes/audit.ts';
import { badRequest, notFound } from '../../errors.ts';
import type { Db } from '../../store/db.ts';
import { sql } from '../../store/orm.ts';
import type { OffHoursResource } from '../schema.ts';
import { DAY_NAMES, daysText, type DayName, type ScheduleTimes } from './time.ts';

/** Off-hours schedules as stored (`off_hours_schedules`), read and moved between statuses. */

export const ScheduleStatus = z.enum(['pending', 'active', 'paused', 'removed']);
export type ScheduleStatus = z.infer<typeof ScheduleStatus>;

/** `OH-` and 6 hex characters. */
export const ScheduleId = z
  .string()
  .trim()
  .transform((s) => s.toUpperCase().replace(/^(OH)?-?/, 'OH-'))
  .pipe(z.string().regex(/^OH-[0-9A-F]{6}$/, 'an off-hours schedule id looks like OH-3FA2C1'));

export interface OffHoursSchedule extends ScheduleTimes {
  id: string;
  workspaceId: string;
  resources: OffHoursResource[];
  status: ScheduleStatus;
  changeId: string | null;
  requesterKey: string;
  requesterName: string;
  savingCents: number;
  findingIds: string[];
  createdAt: Date;
  updatedAt: Date;
  armedAt: Date | null;
  lastRunAt: Date | null;
  lastRunKind: string | null;
  lastRunSummary: string | null;
  reason: string | null;
}

export type ScheduleRow = {
  id: string;
  workspace_id: string;
  resources: OffHoursResource[] | string;
  stop_time: string;
  start_time: string;
  days: string;
  timezone: string;
  status: string;
  change_id: string | null;
  requester_key: string;
  requester_name: string;
  saving_cents: number;
  finding_ids: string[] | string;
  created_at: string | Date;
  updated_at: string | Date;
  armed_at: string | Date | null;
  last_run_at: string | Date | null;
  last_run_kind: string | null;
  last_run_summary: string | null;
  reason: string | null;
};

const json = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);
const date = (v: string | Date | null): Date | null => (v === null ? null : new Date(v));

export const toSchedule = (r: ScheduleRow): OffHoursSchedule => ({
  id: r.id,
  workspaceId: r.workspace_id,
  resources: json(r.resources),
  stop: r.stop_time,
  start: r.start_time,
  days: r.days.split(',').filter((d): d is DayName => (DAY_NAMES as readonly string[]).includes(d)),
  timezone: r.timezone,
  status: ScheduleStatus.parse(r.status),
  changeId: r.change_id,
  requesterKey: r.requester_key,
  requesterName: r.requester_name,
  savingCents: Number(r.saving_cents),
  findingIds: json(r.finding_ids),
  createdAt: new Date(r.created_at),
  updatedAt: new Date(r.updated_at),
  armedAt: date(r.armed_at),
  lastRunAt: date(r.last_run_at),
  lastRunKind: r.last_run_kind,
  lastRunSummary: r.last_run_summary,
  reason: r.reason,
});

/** "run 08:00–19:00 Mon–Fri (Europe/Berlin), stopped otherwise". */
export const timesText = (t: ScheduleTimes): string =>
  `run ${t.start}–${t.stop} ${daysText(t.days)} (${t.timezone}), stopped otherwise`;

/** The workspace's schedules (removed ones only when asked), newest first. */
export const listSchedules = async (
  db: Pick<Db, 'execute'>,
  workspaceId: string,
  opts: { removed?: boolean } = {},
): Promise<OffHoursSchedule[]> => {
  const { rows } = await db.execute<ScheduleRow>(sql`
    select * from off_hours_schedules where workspace_id = ${workspaceId}
      ${opts.removed ? sql`` : sql`and status <> 'removed'`}
    order by created_at desc, id`);
  return rows.map(toSchedule);
};

export const getSchedule = async (
  db: Pick<Db, 'execute'>,
  workspaceId: string,
  id: string,
): Promise<OffHoursSchedule | undefined> => {
  const { rows } = await db.execute<ScheduleRow>(
    sql`select * from off_hours_schedules where workspace_id = ${workspaceId} and id = ${id}`,
  );
  return rows[0] ? toSchedule(rows[0]) : undefined;
};

/** Every active schedule of every workspace (the job's work list). */
export const activeSchedules = async (db: Pick<Db, 'execute'>): Promise<OffHoursSchedule[]> => {
  const { rows } = await db.execute<ScheduleRow>(
    sql`select * from off_hours_schedules where status = 'active' order by id`,
  );
  return rows.map(toSchedule);
};

/**
 * Resources of `keys` already in a pending, active or paused schedule of the workspace:
 * resource key (`provider/account/id`) → schedule id.
 */
export const scheduledResources = async (
  db: Pick<Db, 'execute'>,
  workspaceId: string,
  exceptId?: string,
): Promise<Map<string, { id: string; status: string }>> => {
  const { rows } = await db.execute<{ id: string; status: string; provider: string; account: string; rid: string }>(sql`
    select s.id, s.status, r ->> 'provider' as provider, r ->> 'account' as account, r ->> 'id' as rid
    from off_hours_schedules s, jsonb_array_elements(s.resources) r
    where s.workspace_id = ${workspaceId} and s.status in ('pending', 'active', 'paused')
      ${exceptId ? sql`and s.id <> ${exceptId}` : sql``}
    order by s.id`);
  return new Map(rows.map((r) => [resourceKey({ provider: r.provider, account: r.account, id: r.rid }), r]));
};

export const resourceKey = (r: { provider: string; account: string; id: string }) =>
  `${r.provider}/${r.account}/${r.id}`;

/** What a schedule looks like in an audit event (no secrets: ids, names, times). */
export const auditData = (s: OffHoursSchedule): Record<string, unknown> => ({
  schedule: s.id,
  changeId: s.changeId,
  stop: s.stop,
  start: s.start,
  days: s.days.join(','),
  timezone: s.timezone,
  savingCents: s.savingCents,
  instances: s.resources.map((r) => `${r.provider}/${r.account}/${r.region}/${r.id}`),
});

const verbs = { paused: 'paused', active: 'resumed', removed: 'removed' } as const;

/**
 * Moves a schedule by command (pause, resume, remove): one compare-and-set from the statuses
 * allowed, committed with its audit event. Resume re-arms it: transitions due while it was paused
 * are not run.
 */
export const setScheduleStatus = (
  db: Db,
  a: {
    workspaceId: string;
    id: string;
    to: 'paused' | 'active' | 'removed';
    now: Date;
    actorKey: string | null;
    actorName: string;
    reason?: string;
  },
): Promise<OffHoursSchedule> =>
  db.transaction(async (tx) => {
    const from: ScheduleStatus[] =
      a.to === 'paused' ? ['active'] : a.to === 'active' ? ['paused'] : ['pending', 'active', 'paused'];
    const { rows } = await tx.execute<ScheduleRow>(sql`
      update off_hours_schedules set status = ${a.to}, updated_at = ${a.now},
        armed_at = case when ${a.to} = 'active' then ${a.now}::timestamptz else armed_at end,
        reason = case when ${a.to} = 'removed' then ${a.reason ?? `removed by ${a.actorName}`} else reason end
      where workspace_id = ${a.workspaceId} and id = ${a.id}
        and status in (select json_array_elements_text(${JSON.stringify(from)}::json))
      returning *`);
    const moved = rows[0];
    if (!moved) {
      const was = await getSchedule(tx, a.workspaceId, a.id);
      if (!was) throw notFound(`There is no off-hours schedule ${a.id} in this workspace.`);
      throw badRequest(
        was.status === 'pending' && a.to !== 'removed'
          ? `${a.id} is still waiting for approval (${was.changeId ?? 'its change request'}); it can only be removed.`
          : `${a.id} is ${was.status}: it cannot be ${verbs[a.to]}.`,
      );
    }
    const s = toSchedule(moved);
    await appendAudit(tx, {
      at: a.now,
      type: a.to === 'paused' ? 'offhours.paused' : a.to === 'active' ? 'offhours.resumed' : 'offhours.removed',
      actorKey: a.actorKey,
      subject: `offhours:${s.id}`,
      data: { ...auditData(s), by: a.actorName, ...(a.reason ? { reason: a.reason } : {}) },
    });
    return s;
  });
