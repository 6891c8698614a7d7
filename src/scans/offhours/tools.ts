import { z } from 'zod';
import { actorKey } from '../../chat/actor.ts';
import { formatMoney, plural } from '../../chat/format.ts';
import { reply, textReply } from '../../chat/reply.ts';
import { findAction } from '../../cloud/actions.ts';
import type { CloudProvider } from '../../cloud/provider.ts';
import type { ProviderName } from '../../cloud/resource.ts';
import { badRequest, conflict, notFound } from '../../errors.ts';
import type { Db } from '../../store/db.ts';
import { sql } from '../../store/orm.ts';
import type { Tool } from '../../tools/tool.ts';
import { liveResource } from '../engine.ts';
import { ownerExpr } from '../repository.ts';
import { offHoursRuleIds } from '../rules/cost.ts';
import { findingRef } from '../tools.ts';
import { activationPlan, newScheduleId, type ScheduleSpec } from './executor.ts';
import {
  listSchedules,
  resourceKey,
  scheduledResources,
  ScheduleId,
  setScheduleStatus,
  timesText,
  type OffHoursSchedule,
} from './store.ts';
import {
  checkTimes,
  ClockTime,
  daysText,
  defaultTimes,
  localText,
  nextTransition,
  offShare,
  parseDays,
  type ScheduleTimes,
} from './time.ts';

/**
 * The chat tools of off-hours schedules: `offhours` (list; offered to an LLM planner),
 * `offhours_request` (a change plan that activates a new schedule after approval; people and the
 * digest button only), `offhours_pause`, `offhours_resume`, `offhours_remove` (operators; audited).
 */

export interface OffHoursToolDeps {
  db: Db;
  provider: (name: string) => CloudProvider | undefined;
  /** SCAN_OWNER_TAGS: how `owner=…` finds an owner's findings. */
  ownerTags?: readonly string[] | undefined;
  /** SCAN_SCHEDULE_TIMEZONE: a new schedule's zone unless one is named. */
  timezone: string;
  now: () => Date;
}

const ListInput = z.object({
  all: z.boolean().default(false).describe('Include removed schedules.'),
});

const scheduleRow = (s: OffHoursSchedule, now: Date): string[] => {
  const next = s.status === 'active' ? nextTransition(s, now) : undefined;
  return [
    s.id,
    s.status === 'pending' ? `awaiting approval${s.changeId ? ` (${s.changeId})` : ''}` : s.status,
    String(s.resources.length),
    `${s.start}–${s.stop} ${daysText(s.days)} (${s.timezone})`,
    next ? `${next.kind} ${localText(next.at, s.timezone)}` : '',
    `${formatMoney(s.savingCents)}/mo`,
    s.lastRunSummary ?? '',
  ];
};

export const offHoursListTool = (d: OffHoursToolDeps): Tool<typeof ListInput> => ({
  name: 'offhours',
  description:
    "Lists this workspace's off-hours schedules (instances stopped outside office hours by a daily job): status, hours, next stop or start, estimated saving, last run.",
  input: ListInput,
  kind: 'read',
  minRole: 'viewer',
  llm: true,
  run: async (input, ctx) => {
    const all = await listSchedules(d.db, ctx.actor.workspaceId, { removed: input.all });
    const now = d.now();
    if (all.length === 0)
      return {
        type: 'answer',
        reply: textReply(
          'No off-hours schedules here yet. `offhours owner=<team>` (or the button on a scan digest) asks for one for the off-hours findings.',
        ),
        data: { schedules: [] },
      };
    const saving = all.filter((s) => s.status === 'active').reduce((n, s) => n + s.savingCents, 0);
    return {
      type: 'answer',
      reply: reply([
        {
          type: 'text',
          text: `${plural(all.length, 'off-hours schedule')}; the active ones save about ${formatMoney(saving)}/month.`,
        },
        {
          type: 'table',
          columns: ['Schedule', 'Status', 'Instances', 'Runs', 'Next', 'Saving', 'Last run'],
          rows: all.map((s) => scheduleRow(s, now)),
        },
        { type: 'context', text: '`offhours pause|resume|remove <id>` (operators; audited).' },
      ]),
      data: {
        schedules: all.map((s) => {
          const next = s.status === 'active' ? nextTransition(s, now) : undefined;
          return {
            id: s.id,
            status: s.status,
            changeId: s.changeId,
            instances: s.resources.map((r) => `${r.provider}/${r.account}/${r.id}`),
            stop: s.stop,
            start: s.start,
            days: s.days,
            timezone: s.timezone,
            nextRun: next ? { kind: next.kind, at: next.at.toISOString() } : null,
            savingCentsPerMonth: s.savingCents,
            lastRun: s.lastRunSummary,
          };
        }),
      },
    };
  },
});

const RequestInput = z.object({
  findings: z
    .array(z.string().min(6).max(20))
    .max(50)
    .optional()
    .describe('Off-hours findings (cost.vm.off_hours.*) whose instances to schedule, e.g. F-3fa2c1d9e0b1.'),
  owner: z.string().min(1).max(100).optional().describe('Every open off-hours finding of this owner (owner tag).'),
  window: z
    .string()
    .max(20)
    .optional()
    .describe('When they are stopped: `<stop>-<start>`, e.g. 19:00-08:00 (the default).'),
  days: z
    .string()
    .max(40)
    .optional()
    .describe('The days they run in office hours: weekdays (default), daily, mon-fri, …'),
  timezone: z.string().max(60).optional().describe('IANA time zone of the times (SCAN_SCHEDULE_TIMEZONE by default).'),
});

/** `19:00-08:00` → stop and start. */
export const parseWindow = (text: string): { stop: string; start: string } | undefined => {
  const parts = text.split(/\s*[-–—]\s*|\s+to\s+/);
  if (parts.length !== 2) return undefined;
  const stop = ClockTime.safeParse(parts[0]);
  const start = ClockTime.safeParse(parts[1]);
  return stop.success && start.success ? { stop: stop.data, start: start.data } : undefined;
};

type OffHoursFinding = {
  id: string;
  rule_id: string;
  status: string;
  verdict: string;
  provider: string;
  account: string;
  resource_id: string;
  resource_name: string;
  environment: string;
};

export const offHoursRequestTool = (d: OffHoursToolDeps): Tool<typeof RequestInput> => ({
  name: 'offhours_request',
  description:
    'Requests an off-hours schedule for the instances of off-hours findings (by finding or owner): one change request that, once approved, activates a daily stop/start.',
  input: RequestInput,
  kind: 'change',
  minRole: 'operator',
  // The schedule stops instances every day: asked for by a person or the digest button only.
  llm: false,
  run: async (input, ctx) => {
    const ws = ctx.actor.workspaceId;
    if (!input.findings?.length && !input.owner)
      throw badRequest(
        'Name the off-hours findings (`offhours F-3fa2c1d9e0b1 F-…`) or an owner (`offhours owner=web`).',
      );
    const window = input.window ? parseWindow(input.window) : { stop: defaultTimes.stop, start: defaultTimes.start };
    if (!window) throw badRequest(`“${input.window}” is not a window like 19:00-08:00 (stop-start).`);
    const days = input.days ? parseDays(input.days) : [...defaultTimes.days];
    if (!days) throw badRequest(`“${input.days}” is not a list of days (weekdays, daily, mon-fri, mon,wed,fri).`);
    const times: ScheduleTimes = { ...window, days, timezone: input.timezone?.trim() || d.timezone };
    checkTimes(times);

    const rules = `{${offHoursRuleIds.join(',')}}`;
    let found: OffHoursFinding[];
    if (input.findings?.length) {
      const ids = input.findings.map((f) => f.trim().toLowerCase().replace(/^f-/, ''));
      const { rows } = await d.db.execute<OffHoursFinding>(sql`
        select id, rule_id, status, verdict, provider, account, resource_id, resource_name, environment from findings
        where workspace_id = ${ws} and exists (
          select 1 from json_array_elements_text(${JSON.stringify(ids)}::json) w(ref)
          where id = w.ref or (length(w.ref) >= 6 and left(id, length(w.ref)) = w.ref))
        order by id`);
      for (const ref of ids)
        if (!rows.some((r) => r.id.startsWith(ref)))
          throw notFound(`There is no finding ${findingRef(ref)} in this workspace.`);
      const wrong = rows.find((r) => !(offHoursRuleIds as readonly string[]).includes(r.rule_id));
      if (wrong)
        throw badRequest(
          `${findingRef(wrong.id)} is a ${wrong.rule_id} finding: only off-hours findings (cost.vm.off_hours.*) can be scheduled.`,
        );
      const closed = rows.find((r) => r.status !== 'open' || r.verdict !== 'fail');
      if (closed) throw conflict(`${findingRef(closed.id)} is ${closed.status}: there is nothing to schedule.`);
      found = rows;
    } else {
      const owner = ownerExpr(d.ownerTags?.length ? d.ownerTags : ['owner', 'team']);
      const { rows } = await d.db.execute<OffHoursFinding>(sql`
        select id, rule_id, status, verdict, provider, account, resource_id, resource_name, environment from findings
        where workspace_id = ${ws} and status = 'open' and suppression_id is null and verdict = 'fail'
          and rule_id = any(${rules}::text[]) and ${owner} = ${input.owner!.toLowerCase()}
        order by provider, account, resource_id`);
      if (rows.length === 0)
        throw notFound(`${input.owner} has no open off-hours findings (run \`scan cost\` to look again).`);
      found = rows;
    }

    const taken = await scheduledResources(d.db, ws);
    const named = Boolean(input.findings?.length);
    const resources: ScheduleSpec['resources'] = [];
    const skipped: string[] = [];
    for (const f of found) {
      const key = { provider: f.provider, account: f.account, id: f.resource_id };
      const on = taken.get(resourceKey(key));
      if (on) {
        if (named) throw conflict(`${f.resource_name} (${findingRef(f.id)}) is already on ${on.id} (${on.status}).`);
        skipped.push(f.resource_name);
        continue;
      }
      const r = await liveResource(d.db, { ...key, provider: f.provider as ProviderName });
      if (!r) {
        if (named)
          throw conflict(
            `${f.resource_name} is no longer in the inventory: the next scan resolves ${findingRef(f.id)}.`,
          );
        skipped.push(f.resource_name);
        continue;
      }
      const provider = d.provider(r.provider);
      if (!provider || !findAction(provider.actions, r.type, 'stop') || !findAction(provider.actions, r.type, 'start'))
        throw badRequest(`${r.name} is on ${r.provider}, which cannot stop and start it here.`);
      resources.push({
        provider: r.provider,
        account: r.account,
        region: r.region,
        type: r.type,
        id: r.id,
        name: r.name,
        monthlyCostCents: r.monthlyCostCents,
        environment: r.environment,
      });
    }
    if (resources.length === 0)
      throw conflict(`Every instance of those findings is already on an off-hours schedule (${skipped.join(', ')}).`);
    const share = offShare(times);
    const spec: ScheduleSpec = {
      ...times,
      id: newScheduleId(),
      resources,
      savingCents: resources.reduce((n, r) => n + Math.round(r.monthlyCostCents * share), 0),
      findingIds: found.filter((f) => resources.some((r) => r.id === f.resource_id)).map((f) => f.id),
    };
    const plan = activationPlan(spec);
    return {
      type: 'plan',
      plan: {
        ...plan,
        summary: `${plan.summary}; saves about ${formatMoney(spec.savingCents)}/month${skipped.length ? ` (already scheduled, left out: ${skipped.join(', ')})` : ''}`,
      },
    };
  },
});

const IdInput = z.object({ schedule: z.string().min(2).max(12).describe('The schedule, e.g. OH-3FA2C1.') });

const moveTool = (
  d: OffHoursToolDeps,
  name: 'offhours_pause' | 'offhours_resume' | 'offhours_remove',
  to: 'paused' | 'active' | 'removed',
  description: string,
): Tool<typeof IdInput> => ({
  name,
  description,
  input: IdInput,
  kind: 'record',
  minRole: 'operator',
  llm: false,
  run: async (input, ctx) => {
    const id = ScheduleId.safeParse(input.schedule);
    if (!id.success) throw badRequest(`“${input.schedule}” is not a schedule id (like OH-3FA2C1).`);
    const s = await setScheduleStatus(d.db, {
      workspaceId: ctx.actor.workspaceId,
      id: id.data,
      to,
      now: d.now(),
      actorKey: actorKey(ctx.actor),
      actorName: ctx.actor.displayName,
    });
    const next = to === 'active' ? nextTransition(s, d.now()) : undefined;
    const words =
      to === 'paused'
        ? `${s.id} is paused: its instances stay as they are until \`offhours resume ${s.id}\`.`
        : to === 'active'
          ? `${s.id} is active again (${timesText(s)})${next ? `; next: ${next.kind} at ${localText(next.at, s.timezone)}` : ''}.`
          : `${s.id} is removed: its instances are no longer stopped or started (they stay as they are).`;
    return { type: 'answer', reply: textReply(words), data: { id: s.id, status: s.status } };
  },
});

export const offHoursTools = (d: OffHoursToolDeps) => [
  offHoursListTool(d),
  offHoursRequestTool(d),
  moveTool(
    d,
    'offhours_pause',
    'paused',
    'Pauses an off-hours schedule: the job leaves its instances alone until resumed (operators; audited).',
  ),
  moveTool(
    d,
    'offhours_resume',
    'active',
    'Resumes a paused off-hours schedule from its next stop or start (operators; audited).',
  ),
  moveTool(d, 'offhours_remove', 'removed', 'Removes an off-hours schedule for good (operators; audited).'),
];
