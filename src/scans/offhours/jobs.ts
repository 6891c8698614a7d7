import { appendAudit } from '../../changes/audit.ts';
import { findAction } from '../../cloud/actions.ts';
import type { CloudProvider } from '../../cloud/provider.ts';
import { isUserFacing } from '../../errors.ts';
import type { Scheduler } from '../../jobs/scheduler.ts';
import type { Logger } from '../../observability/logger.ts';
import type { Db } from '../../store/db.ts';
import { sql } from '../../store/orm.ts';
import type { OffHoursResource } from '../schema.ts';
import { activeSchedules, auditData, type OffHoursSchedule } from './store.ts';
import { latestDue, localText, type Transition } from './time.ts';

/**
 * The off-hours job (`offhours.tick`, every minute on whichever instance Agenda gives it): for
 * each active schedule, the latest start or stop due by now, if it was not handled yet and is not
 * older than the schedule's arming (activation or resume). It is claimed by inserting its run
 * key (schedule, due time) into `off_hours_runs`: a second replica, or a second tick, finds the
 * key taken and does nothing. A transition older than the grace window (the app was down at its
 * time) is recorded as missed and not run: only the latest one ever counts, so a night of
 * downtime never replays a stop and a start in a row. Each instance is stopped or started through
 * its provider's own action (`stop`: EC2 stop, Azure deallocate, GCE stop; `start`), one failure
 * not stopping the others; the run is written to the audit log with each instance's outcome.
 */

export const offHoursTickJob = 'offhours.tick';

/** Instances of one run acted on at once. */
const instanceConcurrency = 8;

export interface OffHoursJobDeps {
  db: Db;
  now: () => Date;
  provider(name: string): CloudProvider | undefined;
  /** SCAN_OFF_HOURS_GRACE: how late a transition may still run. */
  graceMs: number;
  /** This app instance (recorded on each run). */
  runner: string;
  logger?: Logger | undefined;
  /** Re-reads an instance into the inventory after acting on it (best effort). */
  refresh?(provider: CloudProvider, r: OffHoursResource): Promise<unknown>;
}

export interface InstanceOutcome {
  instance: string;
  name: string;
  /** `stopped`, `started`, `already stopped`, `already running`, `gone`, `skipped`, `failed`. */
  outcome: string;
  error?: string;
}

export interface RunReport {
  schedule: string;
  kind: Transition['kind'];
  dueAt: Date;
  outcome: 'done' | 'partial' | 'missed';
  instances: InstanceOutcome[];
}

const actOn = async (d: OffHoursJobDeps, kind: Transition['kind'], r: OffHoursResource): Promise<InstanceOutcome> => {
  const base = { instance: `${r.provider}/${r.account}/${r.region}/${r.id}`, name: r.name };
  try {
    const provider = d.provider(r.provider);
    if (!provider) return { ...base, outcome: 'failed', error: `no cloud provider "${r.provider}" is configured` };
    const spec = findAction(provider.actions, r.type, kind);
    if (!spec) return { ...base, outcome: 'failed', error: `${r.provider} cannot ${kind} a ${r.type}` };
    const key = { provider: r.provider, account: r.account, region: r.region, type: r.type, id: r.id };
    if (provider.describe) {
      const now = await provider.describe(key);
      if (!now) return { ...base, outcome: 'gone' };
      if (spec.doneStates?.includes(now.state))
        return { ...base, outcome: kind === 'stop' ? 'already stopped' : 'already running' };
      if (spec.states && !spec.states.includes(now.state))
        return { ...base, outcome: 'skipped', error: `it is ${now.state}` };
    }
    await provider.execute({ action: spec.name, target: key, params: {} });
    await d
      .refresh?.(provider, r)
      ?.catch((err: unknown) =>
        d.logger?.warn({ err, instance: r.id }, 'could not re-read an instance after an off-hours run'),
      );
    return { ...base, outcome: kind === 'stop' ? 'stopped' : 'started' };
  } catch (err) {
    d.logger?.warn({ err, instance: r.id, kind }, 'off-hours run failed on an instance');
    return {
      ...base,
      outcome: 'failed',
      error: isUserFacing(err) ? err.userMessage : 'the cloud provider failed unexpectedly',
    };
  }
};

const summaryOf = (r: RunReport): string => {
  if (r.outcome === 'missed') return `${r.kind} due ${r.dueAt.toISOString()} missed (the app was not running)`;
  const counts = new Map<string, number>();
  for (const i of r.instances) counts.set(i.outcome, (counts.get(i.outcome) ?? 0) + 1);
  return `${r.kind}: ${[...counts].map(([o, n]) => `${n} ${o}`).join(', ')}`;
};

/** Claims a transition's run key; false when another replica (or tick) already has it. */
const claim = async (d: OffHoursJobDeps, s: OffHoursSchedule, due: Transition, outcome: string): Promise<boolean> => {
  const { rows } = await d.db.execute(sql`
    insert into off_hours_runs (schedule_id, due_at, kind, outcome, runner, started_at)
    values (${s.id}, ${due.at}, ${due.kind}, ${outcome}, ${d.runner}, ${d.now()})
    on conflict (schedule_id, due_at) do nothing returning schedule_id`);
  return rows.length > 0;
};

/** Records a handled transition on its run row, on the schedule, and in the audit log (one transaction). */
const record = (d: OffHoursJobDeps, s: OffHoursSchedule, r: RunReport) =>
  d.db.transaction(async (tx) => {
    const now = d.now();
    const summary = summaryOf(r);
    await tx.execute(sql`
      update off_hours_runs set outcome = ${r.outcome}, finished_at = ${now}, instances = ${JSON.stringify(r.instances)}::jsonb
      where schedule_id = ${s.id} and due_at = ${r.dueAt}`);
    await tx.execute(sql`
      update off_hours_schedules set last_run_at = ${r.dueAt}, last_run_kind = ${r.kind}, last_run_summary = ${summary},
        updated_at = ${now}
      where id = ${s.id} and (last_run_at is null or last_run_at < ${r.dueAt})`);
    await appendAudit(tx, {
      at: now,
      type: r.outcome === 'missed' ? 'offhours.missed' : 'offhours.run',
      actorKey: null,
      subject: `offhours:${s.id}`,
      data: {
        ...auditData(s),
        kind: r.kind,
        dueAt: r.dueAt.toISOString(),
        dueLocal: localText(r.dueAt, s.timezone),
        outcome: r.outcome,
        results: r.instances,
      },
    });
  });

/** Runs one schedule's latest due transition if it is its turn; undefined when nothing was due. */
export const runSchedule = async (d: OffHoursJobDeps, s: OffHoursSchedule): Promise<RunReport | undefined> => {
  const now = d.now();
  const due = latestDue(s, now);
  if (!due) return undefined;
  // Armed after it: the schedule was activated or resumed since; handled already: nothing to do.
  if (s.armedAt && due.at.getTime() < s.armedAt.getTime()) return undefined;
  if (s.lastRunAt && due.at.getTime() <= s.lastRunAt.getTime()) return undefined;
  const missed = now.getTime() - due.at.getTime() > d.graceMs;
  if (!(await claim(d, s, due, missed ? 'missed' : 'running'))) return undefined;
  if (missed) {
    const report: RunReport = { schedule: s.id, kind: due.kind, dueAt: due.at, outcome: 'missed', instances: [] };
    await record(d, s, report);
    d.logger?.warn({ schedule: s.id, kind: due.kind, dueAt: due.at }, 'off-hours transition missed (too late to run)');
    return report;
  }
  // A few at a time (an Azure deallocate waits minutes for its operation); results in the schedule's order.
  const instances: InstanceOutcome[] = new Array<InstanceOutcome>(s.resources.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < s.resources.length; i = next++) instances[i] = await actOn(d, due.kind, s.resources[i]!);
  };
  await Promise.all(Array.from({ length: Math.min(instanceConcurrency, s.resources.length) }, worker));
  const report: RunReport = {
    schedule: s.id,
    kind: due.kind,
    dueAt: due.at,
    outcome: instances.some((i) => i.outcome === 'failed') ? 'partial' : 'done',
    instances,
  };
  await record(d, s, report);
  d.logger?.info({ schedule: s.id, kind: due.kind, summary: summaryOf(report) }, 'off-hours run');
  return report;
};

/** One tick: every active schedule whose transition is due. A failing schedule does not stop the others. */
export const runDueSchedules = async (d: OffHoursJobDeps): Promise<RunReport[]> => {
  const out: RunReport[] = [];
  for (const s of await activeSchedules(d.db)) {
    try {
      const r = await runSchedule(d, s);
      if (r) out.push(r);
    } catch (err) {
      d.logger?.error({ err, schedule: s.id }, 'off-hours schedule run failed');
    }
  }
  return out;
};

export const registerOffHoursJobs = async (scheduler: Scheduler, d: OffHoursJobDeps): Promise<void> => {
  // A lock that lapses during a long run only lets another replica tick: the run keys keep each
  // transition to one run whatever Agenda does.
  scheduler.define(offHoursTickJob, async () => void (await runDueSchedules(d)));
  await scheduler.every(60_000, offHoursTickJob);
};
