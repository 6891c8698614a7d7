import type { Actor, ConversationRef } from '../../src/chat/actor.ts';
import { insertChange, recordDecision, transition } from '../../src/changes/repository.ts';
import { resourceRepository } from '../../src/cloud/repository.ts';
import type { Resource } from '../../src/cloud/resource.ts';
import { applySignal } from '../../src/incidents/repository.ts';
import type { IncidentSignal } from '../../src/incidents/model.ts';
import { runScan } from '../../src/scans/engine.ts';
import { fail, pass, type Rule } from '../../src/scans/rule.ts';
import { findingRef } from '../../src/scans/tools.ts';
import type { Db } from '../../src/store/db.ts';
import { sql } from '../../src/store/orm.ts';
import type { ChangePlan, ResourceKey, WorkflowPlan } from '../../src/tools/change-plan.ts';
import { resourceOf } from './scan-rule.ts';

/**
 * A month of records for team analytics, written through the capabilities' own repositories with
 * fixed times (November 2026, workspace `ws`): resources with owner tags, change requests filed,
 * decided and executed, a workflow run, a fix of a finding, incidents, and two scans.
 *
 * Teams: `payments` (api-1; db-1 by its `owner` tag, which wins over `team`), `data` (etl-1, sg-1,
 * vol-1; INC by label), `unowned` (misc-1). Expected November figures are in the tests.
 */

export const at = (iso: string): Date => new Date(`${iso}Z`);

const rules: Rule[] = [
  {
    id: 'test.sg.open',
    title: 'Open to the world',
    category: 'security',
    provider: 'aws',
    types: ['security_group'],
    severity: 'high',
    remediation: 'Close it.',
    evaluate: (r) => (r.attributes.open ? fail({ open: true }, 'open') : pass({})),
  },
  {
    id: 'test.volume.unattached',
    title: 'Unattached',
    category: 'cost',
    provider: 'aws',
    types: ['volume'],
    severity: 'medium',
    remediation: 'Delete it.',
    fix: { action: 'delete', title: 'Delete' },
    evaluate: (r) => (r.state === 'available' ? fail({}, 'unattached', { savingCents: r.monthlyCostCents }) : pass({})),
  },
];

const key = (r: Resource): ResourceKey => ({
  provider: r.provider,
  account: r.account,
  region: r.region,
  type: r.type,
  id: r.id,
});

export interface Seeded {
  resources: Record<string, Resource>;
  /** The volume finding the fix change fixed. */
  fixedFinding: string;
}

export const seedAnalytics = async (db: Db, ws: string, channel: ConversationRef): Promise<Seeded> => {
  const res: Record<string, Resource> = {};
  const put = async (r: Partial<Resource> & { type: Resource['type']; id: string }) => {
    const full = resourceOf({ name: r.id, seenAt: at('2026-10-01T00:00'), ...r });
    await resourceRepository(db).upsertOne(full);
    res[r.id] = full;
  };
  await put({ type: 'instance', id: 'api-1', tags: { team: 'payments' }, monthlyCostCents: 10_000 });
  await put({ type: 'database', id: 'db-1', tags: { owner: 'Payments', team: 'data' }, monthlyCostCents: 20_000 });
  await put({ type: 'instance', id: 'etl-1', tags: { team: 'data' }, monthlyCostCents: 5_000 });
  await put({ type: 'instance', id: 'misc-1', tags: { owner: '' }, monthlyCostCents: 1_000 });
  await put({ type: 'security_group', id: 'sg-1', tags: { team: 'data' }, attributes: { open: true } });
  await put({ type: 'volume', id: 'vol-1', tags: { team: 'data' }, state: 'available', monthlyCostCents: 800 });

  // Findings: a first scan opens both; the second, after sg-1 is closed, resolves the security one.
  const scan = (now: Date) =>
    runScan(
      { db, rules, thresholds: new Map(), now: () => now, runner: 'seed' },
      { workspaceId: ws, category: 'all', startedBy: 'schedule' },
    );
  await scan(at('2026-10-30T07:00'));
  await put({ type: 'security_group', id: 'sg-1', tags: { team: 'data' }, attributes: { open: false } });
  await scan(at('2026-11-26T07:00'));
  const { rows } = await db.execute<{ id: string }>(
    sql`select id from findings where workspace_id = ${ws} and rule_id = 'test.volume.unattached'`,
  );
  const fixedFinding = rows[0]!.id;

  const requester: Actor = { surface: channel.surface, workspaceId: ws, userId: 'U-REQ', displayName: 'Rita' };
  const approver: Actor = { surface: channel.surface, workspaceId: ws, userId: 'U-APP', displayName: 'Abe' };
  const plan = (r: Resource, over: Partial<ChangePlan> = {}): ChangePlan => ({
    action: 'stop',
    target: key(r),
    resourceName: r.name,
    environment: r.environment,
    params: {},
    summary: `Stop ${r.name}`,
    blastRadius: 'none',
    costDeltaCents: 0,
    rollback: { action: 'start', params: {} },
    ...over,
  });
  /** Files, (decides,) runs and ends one change at the given times. */
  const change = async (
    p: ChangePlan,
    t: { filed: string; decided?: string; started: string; ended: string },
    outcome: 'succeeded' | 'failed' | 'rolled_back',
    workspaceId = ws,
  ): Promise<string> => {
    const filed = await insertChange(db, {
      plan: p,
      requester: { ...requester, workspaceId },
      conversation: { ...channel, workspaceId },
      policy: {
        rule: 'test',
        approvals: 1,
        approverRoles: ['approver'],
        allowSelfApproval: false,
        autoApprove: !t.decided,
      },
      expiresAt: null,
      now: at(t.filed),
    });
    if (t.decided)
      await recordDecision(db, {
        id: filed.id,
        by: { ...approver, workspaceId },
        decision: 'approved',
        now: at(t.decided),
      });
    await transition(db, {
      id: filed.id,
      from: 'approved',
      to: 'executing',
      now: at(t.started),
      patch: { startedAt: at(t.started) },
      by: null,
    });
    const end = outcome === 'failed' ? 'failed' : 'succeeded';
    await transition(db, {
      id: filed.id,
      from: 'executing',
      to: end,
      now: at(t.ended),
      patch: { finishedAt: at(t.ended), ...(end === 'failed' ? { error: 'boom' } : {}) },
      by: null,
    });
    return filed.id;
  };

  // payments: two deployments (one rolled back since), one failure.
  await change(
    plan(res['api-1']!),
    { filed: '2026-11-02T10:00', decided: '2026-11-02T11:00', started: '2026-11-02T11:00', ended: '2026-11-02T11:30' },
    'succeeded',
  );
  await change(
    plan(res['db-1']!),
    { filed: '2026-11-03T10:00', decided: '2026-11-03T14:00', started: '2026-11-03T14:00', ended: '2026-11-03T14:10' },
    'failed',
  );
  const rolled = await change(
    plan(res['api-1']!),
    { filed: '2026-11-05T09:00', started: '2026-11-05T09:00', ended: '2026-11-05T09:10' },
    'succeeded',
  );
  // Its rollback: a change of its own, counted neither as a deployment nor as a failure.
  await change(
    plan(res['api-1']!, { action: 'start', rollbackOf: rolled, summary: 'Start api-1', rollback: null }),
    { filed: '2026-11-06T08:00', started: '2026-11-06T08:00', ended: '2026-11-06T08:05' },
    'succeeded',
  );
  await transition(db, { id: rolled, from: 'succeeded', to: 'rolled_back', now: at('2026-11-06T08:05'), by: null });

  // data: a workflow run whose first step's target is unowned and second is data's; and the fix.
  const step = (r: Resource, id: string) => ({
    kind: 'action' as const,
    id,
    title: `Stop ${r.name}`,
    target: key(r),
    resourceName: r.name,
    environment: r.environment,
    timeoutMs: 60_000,
    retries: 0,
    action: 'stop',
    params: {},
    summary: `Stop ${r.name}`,
    blastRadius: 'none',
    costDeltaCents: 0,
    compensate: null,
  });
  const workflow: WorkflowPlan = {
    template: 'blue-green',
    version: 1,
    inputs: {},
    steps: [step(res['misc-1']!, 'one'), step(res['etl-1']!, 'two')],
    monthlyCents: 0,
    unpriced: [],
    hash: '0'.repeat(64),
  };
  await change(
    plan(res['misc-1']!, { action: 'run_workflow', workflow, rollback: null, summary: 'Run blue-green (v1), 2 steps' }),
    { filed: '2026-11-10T08:00', decided: '2026-11-10T08:30', started: '2026-11-10T08:30', ended: '2026-11-10T09:00' },
    'succeeded',
  );
  await change(
    plan(res['vol-1']!, {
      action: 'delete',
      summary: `Delete vol-1 (fixes ${findingRef(fixedFinding)}, test.volume.unattached)`,
      rollback: null,
    }),
    { filed: '2026-11-25T10:00', started: '2026-11-25T10:00', ended: '2026-11-25T10:01' },
    'succeeded',
  );
  // October (the trend) for data; November for no team; another workspace's change counts nowhere here.
  await change(
    plan(res['etl-1']!),
    { filed: '2026-10-15T10:00', started: '2026-10-15T10:00', ended: '2026-10-15T10:20' },
    'succeeded',
  );
  await change(
    plan(res['misc-1']!),
    { filed: '2026-11-20T10:00', started: '2026-11-20T10:00', ended: '2026-11-20T10:02' },
    'succeeded',
  );
  await change(
    plan(res['api-1']!),
    { filed: '2026-11-21T10:00', started: '2026-11-21T10:00', ended: '2026-11-21T10:02' },
    'failed',
    `${ws}-other`,
  );

  // Incidents: payments (its resource), data (by label; the host is not in the inventory), one open without a team.
  const signal = (
    over: Partial<IncidentSignal> & Pick<IncidentSignal, 'eventId' | 'kind' | 'occurredAt' | 'externalId'>,
  ): IncidentSignal => ({
    source: 'alertmanager',
    title: 'High error rate',
    service: 'checkout',
    urgency: 'high',
    labels: {},
    resources: [],
    ...over,
  });
  const apply = (s: IncidentSignal) => applySignal(db, s, ws, channel, s.occurredAt);
  await apply(
    signal({
      eventId: 'e1',
      kind: 'triggered',
      occurredAt: at('2026-11-04T10:00'),
      externalId: 'g1',
      resources: ['api-1'],
    }),
  );
  await apply(
    signal({
      eventId: 'e2',
      kind: 'resolved',
      occurredAt: at('2026-11-04T12:00'),
      externalId: 'g1',
      resources: ['api-1'],
    }),
  );
  await apply(
    signal({
      eventId: 'e3',
      kind: 'triggered',
      occurredAt: at('2026-11-07T00:00'),
      externalId: 'g2',
      resources: ['etl-host-9'],
      labels: { team: 'Data' },
    }),
  );
  await apply(
    signal({
      eventId: 'e4',
      kind: 'resolved',
      occurredAt: at('2026-11-07T00:30'),
      externalId: 'g2',
      resources: ['etl-host-9'],
      labels: { team: 'Data' },
    }),
  );
  await apply(
    signal({
      eventId: 'e5',
      kind: 'triggered',
      occurredAt: at('2026-11-28T09:00'),
      externalId: 'g3',
      title: 'Disk full',
    }),
  );
  return { resources: res, fixedFinding };
};
