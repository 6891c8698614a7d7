import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { listAuditEvents, verifyAudit } from '../../src/changes/audit.ts';
import { ActionIds } from '../../src/chat/interaction.ts';
import { buildDigests, renderDigest } from '../../src/scans/digest.ts';
import { activationPlan, offHoursRunner } from '../../src/scans/offhours/executor.ts';
import { runDueSchedules, type OffHoursJobDeps } from '../../src/scans/offhours/jobs.ts';
import { offHoursTools } from '../../src/scans/offhours/tools.ts';
import { getSchedule } from '../../src/scans/offhours/store.ts';
import { builtInRules } from '../../src/scans/rules/index.ts';
import { click, startTestApp, turn, type ReplyLike, type TestApp } from '../helpers/app.ts';

/**
 * Off-hours schedules end to end on the AWS sandbox, through the console: the off-hours findings,
 * the digest button filing one change request, approval and execution activating the schedule
 * (audited), the job at fixed clocks stopping and starting the instances on the emulator (a
 * failing instance not stopping the others, a second replica not running a transition twice, a
 * transition missed while the app was down not replayed), pause / resume / remove with roles, and
 * rollback removing the schedule.
 */

let clock = new Date('2026-12-01T12:00:00Z'); // a Tuesday; Berlin is UTC+1 in December
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({}, { now: () => clock });
  await app.synced;
}, 60_000);
afterAll(async () => {
  await app?.stop();
});

type TableBlock = { type: 'table'; columns: string[]; rows: string[][] };
const table = (r: ReplyLike | undefined) =>
  r?.blocks.find((b) => b.type === 'table') as unknown as TableBlock | undefined;
const jobDeps = (): OffHoursJobDeps => ({
  db: app.store.db,
  now: () => clock,
  provider: (name) => app.providers.find((p) => p.name === name),
  graceMs: 3_600_000,
  runner: 'test-replica',
});
const aws = () => app.providers.find((p) => p.name === 'aws')!;
let scheduleId = '';
let changeId = '';
let instances: Array<{ account: string; region: string; id: string }> = [];
const states = async () =>
  Promise.all(
    instances.map(async (r) => (await aws().describe!({ provider: 'aws', type: 'instance', ...r }))?.state ?? 'gone'),
  );
/** The schedule's audit events, oldest first. */
const events = async () => listAuditEvents(app.store.db, { subject: `offhours:${scheduleId}`, limit: 1000 });

describe('off-hours schedules', () => {
  it('finds the running non-production instances and offers one schedule per owner on the digest', async () => {
    const [scan] = await turn(app, 'alice', 'scan cost');
    expect(scan?.text).toMatch(/^Scan \d+ \(cost\)/);
    const [found] = await turn(app, 'dave', 'findings rule=cost.vm.off_hours.aws');
    const names = table(found)!.rows.map((r) => r[3]!);
    // The sandbox's running dev and staging instances; not prod, not the stopped ones.
    expect(names.some((n) => n.startsWith('web-dev-1'))).toBe(true);
    expect(names.some((n) => n.startsWith('web-staging-1'))).toBe(true);
    expect(names.some((n) => /prod|worker-dev-1|worker-staging-1/.test(n))).toBe(false);

    const scanId = Number(/^Scan (\d+)/.exec(scan!.text)![1]);
    const digests = await buildDigests(
      app.store.db,
      'console',
      scanId,
      { ownerTags: ['owner', 'team'], routes: new Map() },
      builtInRules,
    );
    const web = digests.find((d) => d.owner === 'web')!;
    expect(web.offHours?.instances).toBe(2);
    const button = renderDigest(web, { scanId, sandbox: true })
      .blocks.flatMap((b) => (b.type === 'actions' ? b.buttons : []))
      .find((b) => b.label.startsWith('Schedule off-hours'))!;
    expect(button.label).toBe(
      `Schedule off-hours for 2 instances (saves $${(web.offHours!.savingCents / 100).toLocaleString('en-US', { minimumFractionDigits: 2 })}/month)`,
    );

    // The viewer cannot ask for it; the operator's click files one change request.
    const [denied] = await click(app, 'dave', ActionIds.command, button.value);
    expect(denied?.text).toMatch(/operator/);
    const [card] = await click(app, 'alice', ActionIds.command, button.value);
    expect(card?.changeId).toMatch(/^CR-\d+$/);
    changeId = card!.changeId!;
    expect(card?.text).toMatch(
      /Schedule off-hours OH-[0-9A-F]{6} for 2 instances \(web-staging-1, web-dev-1|web-dev-1, web-staging-1\)/,
    );
    scheduleId = /OH-[0-9A-F]{6}/.exec(card!.text)![0];
    const c = await app.changes.get(changeId);
    expect(c?.status).toBe('pending');
    expect(c?.plan).toMatchObject({ action: 'activate_off_hours', target: { provider: 'offhours', id: scheduleId } });
  });

  it('lists it as awaiting approval, and refuses a second schedule for the same instances', async () => {
    const [list] = await turn(app, 'dave', 'offhours');
    expect(table(list)!.rows[0]!.slice(0, 3)).toEqual([scheduleId, `awaiting approval (${changeId})`, '2']);
    const [again] = await turn(app, 'alice', 'offhours owner=web');
    expect(again?.text).toMatch(/already on an off-hours schedule/);
    // Pending: nothing to pause.
    const [pause] = await turn(app, 'alice', `offhours pause ${scheduleId}`);
    expect(pause?.text).toBe(`${scheduleId} is still waiting for approval (${changeId}); it can only be removed.`);
  });

  it('is activated by approving its change request, once, audited', async () => {
    const s0 = await getSchedule(app.store.db, 'console', scheduleId);
    expect(s0?.status).toBe('pending');
    // A requester cannot approve their own request; an approver can.
    const [own] = await turn(app, 'alice', `approve ${changeId}`);
    expect(own?.text).toMatch(/cannot approve it yourself/);
    await turn(app, 'bob', `approve ${changeId}`);
    const c = await app.changes.get(changeId);
    expect(c?.status).toBe('succeeded');
    expect(c?.result?.summary).toMatch(
      new RegExp(`^${scheduleId} is active: 2 instances, run 08:00–19:00 Mon–Fri \\(UTC\\)`),
    );
    const s = (await getSchedule(app.store.db, 'console', scheduleId))!;
    expect(s).toMatchObject({ status: 'active', changeId, requesterName: 'Alice', timezone: 'UTC' });
    expect(s.savingCents).toBeGreaterThan(0);
    instances = s.resources.map(({ account, region, id }) => ({ account, region, id }));
    expect((await events()).filter((e) => e.type === 'offhours.activated')).toHaveLength(1);
    // Covered now: the next scan resolves its off-hours findings.
    await turn(app, 'alice', 'scan cost');
    const [left] = await turn(app, 'dave', 'findings rule=cost.vm.off_hours.aws owner=web');
    expect(left?.text).toMatch(/^No open findings match/);
  });

  it('stops the instances at the stop time and starts them at the start time, each run audited', async () => {
    expect(await states()).toEqual(['running', 'running']);
    // 19:00 UTC on Tuesday: stop (a second replica ticking at the same time runs nothing).
    clock = new Date('2026-12-01T19:00:30Z');
    const [a, b] = await Promise.all([runDueSchedules(jobDeps()), runDueSchedules({ ...jobDeps(), runner: 'other' })]);
    const reports = [...a, ...b];
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ kind: 'stop', outcome: 'done' });
    expect(reports[0]!.instances.map((i) => i.outcome)).toEqual(['stopped', 'stopped']);
    for (const state of await states()) expect(['stopping', 'stopped']).toContain(state);
    expect(await runDueSchedules(jobDeps())).toEqual([]);
    // 08:00 on Wednesday: start.
    clock = new Date('2026-12-02T08:00:10Z');
    const [start] = await runDueSchedules(jobDeps());
    expect(start).toMatchObject({ kind: 'start', outcome: 'done' });
    for (const state of await states()) expect(['pending', 'running']).toContain(state);
    const runs = (await events()).filter((e) => e.type === 'offhours.run');
    expect(runs.map((e) => e.data.kind)).toEqual(expect.arrayContaining(['stop', 'start']));
    expect(runs.find((e) => e.data.kind === 'stop')?.data).toMatchObject({
      schedule: scheduleId,
      outcome: 'done',
      results: expect.arrayContaining([expect.objectContaining({ outcome: 'stopped' })]),
    });
    const [list] = await turn(app, 'dave', 'offhours');
    expect(table(list)!.rows[0]![4]).toBe('stop Wed 2026-12-02 19:00');
    expect(table(list)!.rows[0]![6]).toBe('start: 2 started');
  });

  it('goes on with the other instances when one fails, and records the failure', async () => {
    app.sandbox!.failNext('StopInstances', { code: 'UnauthorizedOperation', message: 'not allowed', status: 403 });
    clock = new Date('2026-12-02T19:00:05Z');
    const [r] = await runDueSchedules(jobDeps());
    expect(r?.outcome).toBe('partial');
    expect(r!.instances.map((i) => i.outcome).sort()).toEqual(['failed', 'stopped']);
    expect(r!.instances.find((i) => i.outcome === 'failed')?.error).toBeTruthy();
    const run = (await events()).at(-1);
    expect(run?.data).toMatchObject({ outcome: 'partial', dueAt: '2026-12-02T19:00:00.000Z' });
  });

  it('does not replay a transition missed while the app was down', async () => {
    // The app was down from before Thursday's 08:00 start until 10:30: too late (grace 1h).
    clock = new Date('2026-12-03T10:30:00Z');
    const [r] = await runDueSchedules(jobDeps());
    expect(r).toMatchObject({ kind: 'start', outcome: 'missed', instances: [] });
    expect((await events()).at(-1)?.type).toBe('offhours.missed');
    expect(await runDueSchedules(jobDeps())).toEqual([]);
  });

  it('is paused, resumed and removed by operators only, audited', async () => {
    const [viewer] = await turn(app, 'dave', `offhours pause ${scheduleId}`);
    expect(viewer?.text).toMatch(/operator/);
    const [paused] = await turn(app, 'alice', `offhours pause ${scheduleId.toLowerCase()}`);
    expect(paused?.text).toBe(
      `${scheduleId} is paused: its instances stay as they are until \`offhours resume ${scheduleId}\`.`,
    );
    clock = new Date('2026-12-03T19:00:10Z');
    expect(await runDueSchedules(jobDeps())).toEqual([]);
    const [resumed] = await turn(app, 'alice', `offhours resume ${scheduleId}`);
    expect(resumed?.text).toMatch(
      new RegExp(`^${scheduleId} is active again .*; next: start at Fri 2026-12-04 08:00\\.$`),
    );
    // Resumed after the 19:00 stop: that stop is not run; the next start is.
    expect(await runDueSchedules(jobDeps())).toEqual([]);
    clock = new Date('2026-12-04T08:00:10Z');
    expect((await runDueSchedules(jobDeps()))[0]).toMatchObject({ kind: 'start', outcome: 'done' });
    const types = (await events()).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['offhours.paused', 'offhours.resumed']));
  });

  it('is removed by rolling back its change request (after approval)', async () => {
    const [card] = await turn(app, 'alice', `rollback ${changeId}`);
    const rollbackId = card!.changeId!;
    expect((await app.changes.get(rollbackId))?.plan).toMatchObject({
      action: 'remove_off_hours',
      rollbackOf: changeId,
    });
    await turn(app, 'bob', `approve ${rollbackId}`);
    expect((await app.changes.get(rollbackId))?.status).toBe('succeeded');
    expect((await getSchedule(app.store.db, 'console', scheduleId))?.status).toBe('removed');
    expect((await app.changes.get(changeId))?.status).toBe('rolled_back');
    clock = new Date('2026-12-04T19:00:10Z');
    expect(await runDueSchedules(jobDeps())).toEqual([]);
    const [list] = await turn(app, 'dave', 'offhours');
    expect(list?.text).toMatch(/^No off-hours schedules here yet/);
    const [all] = await turn(app, 'dave', 'offhours all');
    expect(table(all)!.rows[0]!.slice(0, 2)).toEqual([scheduleId, 'removed']);
    const [gone] = await turn(app, 'alice', `offhours remove ${scheduleId}`);
    expect(gone?.text).toBe(`${scheduleId} is removed: it cannot be removed.`);
    expect((await verifyAudit(app.store.db)).ok).toBe(true);
  });

  it('cannot be activated but by an executing change request, and only its list is offered to an LLM', async () => {
    const plan = activationPlan({
      id: 'OH-ABCDEF',
      resources: [
        {
          provider: 'aws',
          account: '1',
          region: 'eu-west-1',
          type: 'instance',
          id: 'i-1',
          name: 'x',
          monthlyCostCents: 100,
        },
      ],
      stop: '19:00',
      start: '08:00',
      days: ['mon'],
      timezone: 'UTC',
      savingCents: 67,
      findingIds: [],
    });
    await expect(
      offHoursRunner({ db: app.store.db, now: () => clock }).execute({
        action: plan.action,
        target: plan.target,
        params: plan.params,
      }),
    ).rejects.toThrow(/no running change request activates OH-ABCDEF/);
    expect(await getSchedule(app.store.db, 'console', 'OH-ABCDEF')).toBeUndefined();
    const tools = offHoursTools({ db: app.store.db, provider: () => undefined, timezone: 'UTC', now: () => clock });
    expect(tools.filter((t) => t.llm).map((t) => t.name)).toEqual(['offhours']);
    expect(tools.find((t) => t.name === 'offhours_request')).toMatchObject({ kind: 'change', minRole: 'operator' });
  });

  it('asks by finding and removes a pending schedule when its request is rejected', async () => {
    await turn(app, 'alice', 'scan cost');
    const [found] = await turn(app, 'dave', 'findings rule=cost.vm.off_hours.aws owner=data');
    const ref = table(found)!.rows[0]![0]!;
    const [card] = await turn(app, 'alice', `offhours ${ref} 20:00-07:00 daily tz=Europe/Berlin`);
    expect(card?.text).toMatch(/run 07:00–20:00 every day \(Europe\/Berlin\), stopped otherwise/);
    const id = /OH-[0-9A-F]{6}/.exec(card!.text)![0];
    await turn(app, 'bob', `reject ${card!.changeId!} not now`);
    expect(await getSchedule(app.store.db, 'console', id)).toMatchObject({ status: 'removed' });
    const [idle] = await turn(app, 'alice', 'findings rule=cost.ebs.unattached');
    const other = table(idle)!.rows[0]![0]!;
    const [wrong] = await turn(app, 'alice', `offhours ${other}`);
    expect(wrong?.text).toMatch(/only off-hours findings \(cost\.vm\.off_hours\.\*\) can be scheduled/);
  });
});
