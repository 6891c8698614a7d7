import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { appendAudit } from '../../changes/audit.ts';
import type { ActionRunner } from '../../changes/context.ts';
import type { ChangeEvent } from '../../changes/listener.ts';
import type { ChangeRequest } from '../../changes/model.ts';
import type { ActionCatalog, ActionSpec } from '../../cloud/actions.ts';
import { noParams } from '../../cloud/actions.ts';
import type { ActionResult, ResourceAction } from '../../cloud/provider.ts';
import { AppError, conflict } from '../../errors.ts';
import type { Logger } from '../../observability/logger.ts';
import type { Db } from '../../store/db.ts';
import { sql } from '../../store/orm.ts';
import type { ChangePlan } from '../../tools/change-plan.ts';
import type { OffHoursResource } from '../schema.ts';
import {
  auditData,
  getSchedule,
  resourceKey,
  scheduledResources,
  timesText,
  toSchedule,
  type ScheduleRow,
} from './store.ts';
import { ClockTime, DAY_NAMES, type DayName, type ScheduleTimes } from './time.ts';

/**
 * An off-hours schedule is put in force by a change request, like any change: the `offhours`
 * command plans `activate_off_hours` on the schedule (target provider `offhours`, type
 * `off_hours_schedule`), the approval policy gates it, and the executor runs it exactly once
 * through this runner, which the change service looks up like a cloud provider. Nothing else
 * activates a schedule. Its rollback is `remove_off_hours`. The listener hook (`offHoursChanged`)
 * records the request on a `pending` row when it is filed and removes that row when the request
 * ends without running.
 */

export const OFF_HOURS_PROVIDER = 'offhours';
export const OFF_HOURS_TYPE = 'off_hours_schedule';
export const ACTIVATE = 'activate_off_hours';
export const REMOVE = 'remove_off_hours';

/** A new schedule id: `OH-` and 6 hex characters. */
export const newScheduleId = (): string => `OH-${randomBytes(3).toString('hex').toUpperCase()}`;

const Resource = z.object({
  provider: z.string().min(1),
  account: z.string().min(1),
  region: z.string().min(1),
  type: z.string().min(1),
  id: z.string().min(1),
  name: z.string(),
  monthlyCostCents: z.number().int().min(0),
});

/** What an activation carries in its (string) parameters: the whole schedule. */
const ActivateParams = z.object({
  resources: z.string().transform((s, ctx) => {
    const parsed = z.array(Resource).min(1).safeParse(JSON.parse(s));
    if (!parsed.success) {
      ctx.addIssue({ code: 'custom', message: 'not a list of instances' });
      return z.NEVER;
    }
    return parsed.data;
  }),
  stop: ClockTime,
  start: ClockTime,
  days: z
    .string()
    .transform((s) => s.split(',').filter((d): d is DayName => (DAY_NAMES as readonly string[]).includes(d))),
  timezone: z.string().min(1),
  saving: z.coerce.number().int().min(0),
  findings: z.string().default(''),
});

export interface ScheduleSpec extends ScheduleTimes {
  id: string;
  resources: Array<OffHoursResource & { environment?: string }>;
  savingCents: number;
  findingIds: string[];
}

/** The change plan that activates a schedule (filed through the approval policy by the engine). */
export const activationPlan = (s: ScheduleSpec): ChangePlan => {
  const envs = [...new Set(s.resources.map((r) => r.environment ?? '').filter(Boolean))];
  const names = s.resources.map((r) => (r.name && r.name !== r.id ? r.name : r.id));
  const shown = names.length > 5 ? `${names.slice(0, 5).join(', ')} and ${names.length - 5} more` : names.join(', ');
  return {
    action: ACTIVATE,
    target: { provider: OFF_HOURS_PROVIDER, account: 'schedules', region: 'global', type: OFF_HOURS_TYPE, id: s.id },
    resourceName: `off-hours ${s.id}`,
    // The instances' environment(s): a policy rule on environments matches the schedule too.
    environment: envs.length === 1 ? envs[0]! : envs.length === 0 ? 'unknown' : envs.join(','),
    params: {
      resources: JSON.stringify(
        s.resources.map(({ provider, account, region, type, id, name, monthlyCostCents }) => ({
          provider,
          account,
          region,
          type,
          id,
          name,
          monthlyCostCents,
        })),
      ),
      stop: s.stop,
      start: s.start,
      days: s.days.join(','),
      timezone: s.timezone,
      saving: String(s.savingCents),
      findings: s.findingIds.join(','),
    },
    summary: `Schedule off-hours ${s.id} for ${s.resources.length} instance${s.resources.length === 1 ? '' : 's'} (${shown}): ${timesText(s)}`,
    blastRadius: `Every day it runs, a job stops these instances at ${s.stop} and starts them at ${s.start} (${s.timezone}); anything running on them stops with them. Each run is audited; \`offhours pause ${s.id}\` or \`offhours remove ${s.id}\` ends it.`,
    costDeltaCents: -s.savingCents,
    rollback: { action: REMOVE, params: {} },
  };
};

const scheduleSubject = (s: { name: string; id: string }) => (s.name && s.name !== s.id ? `${s.name}` : s.id);

const specs: ActionSpec[] = [
  {
    name: ACTIVATE,
    title: 'Activate off-hours schedule',
    doing: 'activating',
    description: 'Put an off-hours schedule in force: its instances are stopped outside their hours by a daily job',
    params: z.object({
      resources: z.string(),
      stop: z.string(),
      start: z.string(),
      days: z.string(),
      timezone: z.string(),
      saving: z.string(),
      findings: z.string().optional(),
    }),
    blastRadius: (s) => `The instances of ${scheduleSubject(s)} are stopped and started by a daily job.`,
    inverse: () => ({ action: REMOVE, params: {} }),
  },
  {
    name: REMOVE,
    title: 'Remove off-hours schedule',
    doing: 'removing',
    description: 'End an off-hours schedule: its instances are no longer stopped or started by the job',
    params: noParams,
    blastRadius: (s) =>
      `${scheduleSubject(s)} no longer stops or starts its instances; they stay as they are (running or stopped).`,
    inverse: () => ({ why: 'a removed schedule is not restored: ask for a new one with `offhours`' }),
  },
];

/** The action catalog of the `offhours` target (not a resource type of any cloud). */
const catalog = { [OFF_HOURS_TYPE]: specs } as unknown as ActionCatalog;

/** The executing change request for a schedule (the one that is running this action). */
const executingChange = async (
  db: Pick<Db, 'execute'>,
  action: string,
  id: string,
): Promise<{ id: string; requesterKey: string; requesterName: string } | undefined> => {
  const { rows } = await db.execute<{ id: string; requester_key: string; name: string }>(sql`
    select id, requester_key, requester ->> 'displayName' as name from change_requests
    where status = 'executing' and action = ${action} and target ->> 'provider' = ${OFF_HOURS_PROVIDER}
      and target ->> 'id' = ${id}
    order by created_at desc limit 1`);
  const r = rows[0];
  return r ? { id: r.id, requesterKey: r.requester_key, requesterName: r.name } : undefined;
};

const activate = async (db: Db, now: Date, a: ResourceAction): Promise<ActionResult> => {
  const parsed = ActivateParams.safeParse(a.params);
  if (!parsed.success) throw new AppError('bad_request', `the schedule ${a.target.id} in this request is malformed`);
  const p = parsed.data;
  return db.transaction(async (tx) => {
    const change = await executingChange(tx, ACTIVATE, a.target.id);
    if (!change) throw conflict(`no running change request activates ${a.target.id}`);
    const { rows: ws } = await tx.execute<{ workspace_id: string }>(
      sql`select workspace_id from change_requests where id = ${change.id}`,
    );
    const workspaceId = ws[0]!.workspace_id;
    // Instances that another schedule took meanwhile are not scheduled twice.
    const taken = await scheduledResources(tx, workspaceId, a.target.id);
    const clash = p.resources.filter((r) => taken.has(resourceKey(r)));
    if (clash.length > 0)
      throw conflict(
        `${clash.map((r) => r.id).join(', ')} ${clash.length === 1 ? 'is' : 'are'} already on ${[...new Set(clash.map((r) => taken.get(resourceKey(r))!.id))].join(', ')}; nothing was activated`,
      );
    const { rows } = await tx.execute<ScheduleRow>(sql`
      insert into off_hours_schedules (id, workspace_id, resources, stop_time, start_time, days, timezone, status,
        change_id, requester_key, requester_name, saving_cents, finding_ids, created_at, updated_at, armed_at)
      values (${a.target.id}, ${workspaceId}, ${JSON.stringify(p.resources)}::jsonb, ${p.stop}, ${p.start},
        ${p.days.join(',')}, ${p.timezone}, 'active', ${change.id}, ${change.requesterKey}, ${change.requesterName},
        ${p.saving}, ${JSON.stringify(p.findings.split(',').filter(Boolean))}::jsonb, ${now}, ${now}, ${now})
      on conflict (id) do update set status = 'active', change_id = excluded.change_id,
        updated_at = excluded.updated_at, armed_at = excluded.armed_at
      where off_hours_schedules.status = 'pending' and off_hours_schedules.workspace_id = excluded.workspace_id
      returning *`);
    const row = rows[0];
    if (!row) {
      const was = await getSchedule(tx, workspaceId, a.target.id);
      throw conflict(`${a.target.id} is ${was?.status ?? 'unknown'}, not waiting for approval; nothing was activated`);
    }
    const s = toSchedule(row);
    await appendAudit(tx, {
      at: now,
      type: 'offhours.activated',
      actorKey: null,
      subject: `offhours:${s.id}`,
      data: auditData(s),
    });
    return {
      summary: `${s.id} is active: ${s.resources.length} instance${s.resources.length === 1 ? '' : 's'}, ${timesText(s)}`,
      newState: 'active',
      previous: { status: 'pending' },
    };
  });
};

const remove = async (db: Db, now: Date, a: ResourceAction): Promise<ActionResult> =>
  db.transaction(async (tx) => {
    const change = await executingChange(tx, REMOVE, a.target.id);
    const { rows: before } = await tx.execute<{ status: string; workspace_id: string }>(
      sql`select status, workspace_id from off_hours_schedules where id = ${a.target.id} for update`,
    );
    const was = before[0];
    if (!was) throw conflict(`there is no off-hours schedule ${a.target.id}`);
    if (was.status === 'removed') throw conflict(`${a.target.id} is already removed`);
    const { rows } = await tx.execute<ScheduleRow>(sql`
      update off_hours_schedules set status = 'removed', updated_at = ${now},
        reason = ${`removed by ${change?.id ?? 'a change request'}`}
      where id = ${a.target.id} returning *`);
    const s = toSchedule(rows[0]!);
    await appendAudit(tx, {
      at: now,
      type: 'offhours.removed',
      actorKey: null,
      subject: `offhours:${s.id}`,
      data: { ...auditData(s), by: change?.id ?? null },
    });
    return {
      summary: `${s.id} removed (was ${was.status}): its instances are no longer stopped or started`,
      newState: 'removed',
      previous: { status: was.status },
    };
  });

/** The `offhours` target the change service executes activations and removals through. */
export const offHoursRunner = (d: { db: Db; now: () => Date }): ActionRunner => ({
  actions: catalog,
  execute: async (a) => {
    if (a.target.type !== OFF_HOURS_TYPE) throw new AppError('bad_request', `offhours has no ${a.target.type}`);
    if (a.action === ACTIVATE) return activate(d.db, d.now(), a);
    if (a.action === REMOVE) return remove(d.db, d.now(), a);
    throw new AppError('bad_request', `offhours cannot ${a.action}`);
  },
});

/**
 * The change listener's part for schedules: a filed activation request becomes a `pending` row
 * (with its change id), and a request that ends without running removes it. Failures are the
 * caller's to log; the activation itself never depends on this row (the executor upserts it).
 */
export const offHoursChanged = async (
  db: Db,
  now: Date,
  c: ChangeRequest,
  event: ChangeEvent,
  logger?: Logger,
): Promise<void> => {
  if (c.plan.target.provider !== OFF_HOURS_PROVIDER || c.plan.action !== ACTIVATE) return;
  const id = c.plan.target.id;
  if (event === 'requested') {
    const p = ActivateParams.safeParse(c.plan.params);
    if (!p.success) return;
    await db.execute(sql`
      insert into off_hours_schedules (id, workspace_id, resources, stop_time, start_time, days, timezone, status,
        change_id, requester_key, requester_name, saving_cents, finding_ids, created_at, updated_at)
      values (${id}, ${c.workspaceId}, ${JSON.stringify(p.data.resources)}::jsonb, ${p.data.stop}, ${p.data.start},
        ${p.data.days.join(',')}, ${p.data.timezone}, 'pending', ${c.id}, ${c.requesterKey}, ${c.requester.displayName},
        ${p.data.saving}, ${JSON.stringify(p.data.findings.split(',').filter(Boolean))}::jsonb, ${now}, ${now})
      on conflict (id) do nothing`);
    return;
  }
  if (event === 'rejected' || event === 'expired' || event === 'failed' || event === 'interrupted') {
    const why = `${c.id} ${event === 'failed' ? `failed: ${c.error ?? 'unknown error'}` : event}`;
    const { rows } = await db.execute(sql`
      update off_hours_schedules set status = 'removed', updated_at = ${now}, reason = ${why}
      where id = ${id} and status = 'pending' returning id`);
    if (rows.length > 0) logger?.info({ schedule: id, changeId: c.id, event }, 'off-hours schedule not activated');
  }
};
