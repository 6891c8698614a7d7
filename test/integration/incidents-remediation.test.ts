import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from '../../src/store/orm.ts';
import { listAuditEvents, verifyAudit } from '../../src/changes/audit.ts';
import { createFreeze } from '../../src/changes/freezes.ts';
import { DEFAULT_POLICY } from '../../src/changes/policy.ts';
import { createChangeService, type ChangeService } from '../../src/changes/service.ts';
import { resourceRepository } from '../../src/cloud/repository.ts';
import { diagnose } from '../../src/incidents/diagnosis.ts';
import type { Diagnosis } from '../../src/incidents/model.ts';
import {
  autoRemediationLimiter,
  chooseAutoRemediation,
  fileRemediation,
  loadAutoRemediationRules,
  type AutoRemediationRule,
  type RemediationIncident,
} from '../../src/incidents/remediation.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { createTestStore, testStoreTimeoutMs, type TestStore } from '../helpers/db.ts';
import { syncedKubeFleet } from '../helpers/incidents.ts';
import { manualClock, recordingListener } from '../fixtures/changes-harness.ts';
import { conversation, person } from '../fixtures/changes-plans.ts';

/**
 * Auto-remediation end to end on a real store and the Kubernetes sandbox: a rule that matches a
 * crash-looping deployment files a rollout restart as the bot, auto-approved under
 * `auto-remediation:<rule>`, and the real provider runs it; the hourly limit, an environment the
 * rule does not cover, a rule without autoApprove and a freeze each keep it from running.
 */

let store: TestStore;
let fleet: Awaited<ReturnType<typeof syncedKubeFleet>>;
let changes: ChangeService;
let diagnosis: Diagnosis;
const now = new Date('2026-11-01T12:00:00Z');
const clock = manualClock(now.toISOString());
const incident: RemediationIncident = {
  source: 'alertmanager',
  service: 'search',
  title: 'KubePodCrashLooping search-indexer',
  labels: { severity: 'warning', namespace: 'search' },
  environment: 'dev',
};

beforeAll(async () => {
  store = await createTestStore();
  fleet = await syncedKubeFleet(store.db, now);
  changes = createChangeService({
    db: store.db,
    providers: new Map([['kubernetes', fleet.provider]]),
    policy: DEFAULT_POLICY,
    approvalTtlMs: 3_600_000,
    now: clock.now,
    listener: recordingListener(),
    logger: createLogger('silent'),
    metrics: createMetrics(),
    executor: { id: 'test-executor', leaseMs: 60_000 },
  });
  diagnosis = await diagnose(
    {
      workspaceId: 'T1',
      title: incident.title,
      service: 'search',
      resources: ['search/search-indexer'],
      environment: 'dev',
      labels: incident.labels,
      openedAt: now,
    },
    { db: store.db, now: clock.now },
  );
}, testStoreTimeoutMs);
afterAll(async () => {
  await fleet?.stop();
  await store?.dispose();
});

const rule = (over: Partial<AutoRemediationRule> & { name: string }): AutoRemediationRule =>
  loadAutoRemediationRules([
    {
      match: { service: 'search', titleMatches: 'crash ?loop' },
      action: 'rollout_restart',
      environments: ['dev'],
      maxPerHour: 1,
      autoApprove: true,
      ...over,
    },
  ])[0]!;

const deps = () => ({
  db: store.db,
  changes,
  provider: (name: string) => (name === 'kubernetes' ? fleet.provider : undefined),
});
const limiter = () => autoRemediationLimiter(store.db, 'T1', clock.now);

describe('auto-remediation', () => {
  it('files the proposal as the bot, auto-approved under its rule, and the provider runs it', async () => {
    const r = rule({ name: 'restart-crashloop' });
    const choice = await chooseAutoRemediation(incident, diagnosis, [r], limiter());
    expect(choice).toMatchObject({ kind: 'chosen', rule: r, proposal: { kind: 'rollout_restart' } });
    if (choice.kind !== 'chosen') throw new Error('unreachable');

    const c = await fileRemediation(deps(), { proposal: choice.proposal, rule: choice.rule, conversation });
    expect(c).toMatchObject({
      status: 'succeeded',
      plan: { action: 'rollout_restart', target: { provider: 'kubernetes', id: 'search/deployment/search-indexer' } },
      requester: { userId: 'devops-agent', displayName: 'DevOps Agent (auto-remediation)' },
      decidedBy: null,
      policy: {
        rule: 'auto-remediation:restart-crashloop',
        autoApprove: true,
        approvals: 0,
        autoRemediation: 'restart-crashloop',
      },
    });
    const events = await listAuditEvents(store.db, { subject: c.id });
    expect(events.map((e) => e.type)).toEqual([
      'change.requested',
      'change.approved',
      'change.executing',
      'change.succeeded',
    ]);
    expect(events[1]!.data).toEqual({
      from: 'pending',
      to: 'approved',
      auto: true,
      rule: 'auto-remediation:restart-crashloop',
    });
    // The sandbox's deployment was restarted: its pod template carries the annotation now.
    const described = await fleet.provider.describe!(c.plan.target);
    expect(described?.attributes.restartedAt).toEqual(expect.any(String));
    expect(await verifyAudit(store.db)).toMatchObject({ ok: true });
  });

  it('stops at the hourly limit and says so; an hour later it may act again', async () => {
    const r = rule({ name: 'restart-crashloop' });
    expect(await chooseAutoRemediation(incident, diagnosis, [r], limiter())).toEqual({
      kind: 'none',
      reasons: ['rule restart-crashloop: limit 1/hour reached'],
    });
    clock.advance(3_600_001);
    expect(await chooseAutoRemediation(incident, diagnosis, [r], limiter())).toMatchObject({ kind: 'chosen' });
  });

  it('gives each of many deciders at once a place only while the limit has room (as replicas would)', async () => {
    // Open every connection of the pool first, so the claims below really run side by side.
    await Promise.all(Array.from({ length: 5 }, () => store.db.execute(sql`select pg_sleep(0.05)`)));
    const deciders = Array.from({ length: 6 }, () => autoRemediationLimiter(store.db, 'T1', clock.now));
    const claims = await Promise.all(deciders.map((l) => l.claim('storm', 2)));
    expect(claims.filter(Boolean)).toHaveLength(2);
    expect(await limiter().count('storm')).toBe(2);
    await claims.find(Boolean)!.release();
    expect(await limiter().claim('storm', 2)).toBeDefined();
    expect(await limiter().claim('storm', 2)).toBeUndefined();
    // Another workspace's rule of the same name has its own places.
    expect(await autoRemediationLimiter(store.db, 'T2', clock.now).claim('storm', 2)).toBeDefined();
  });

  it('does nothing in an environment the rule does not cover, or when no rule matches', async () => {
    expect(
      await chooseAutoRemediation(
        incident,
        diagnosis,
        [rule({ name: 'prod-only', environments: ['prod'] })],
        limiter(),
      ),
    ).toEqual({
      kind: 'none',
      reasons: ['rule prod-only: search-indexer is in dev, and the rule acts only in prod'],
    });
    expect(
      await chooseAutoRemediation(
        incident,
        diagnosis,
        [rule({ name: 'other', match: { service: 'payments' } })],
        limiter(),
      ),
    ).toEqual({ kind: 'none', reasons: ['no auto-remediation rule matches this incident'] });
    expect(
      await chooseAutoRemediation(incident, diagnosis, [rule({ name: 'scale', action: 'scale_out' })], limiter()),
    ).toEqual({ kind: 'none', reasons: ['rule scale: no scale out was proposed for this incident'] });
  });

  it('files a rule without autoApprove pending, for the policy’s approvers', async () => {
    const r = rule({ name: 'restart-asks', autoApprove: false });
    const choice = await chooseAutoRemediation(incident, diagnosis, [r], limiter());
    if (choice.kind !== 'chosen') throw new Error(`not chosen: ${JSON.stringify(choice)}`);
    const c = await fileRemediation(deps(), { proposal: choice.proposal, rule: r, conversation });
    expect(c).toMatchObject({
      status: 'pending',
      approvalsRequired: 1,
      policy: { rule: 'default', autoApprove: false, autoRemediation: 'restart-asks' },
    });
    // Counted for its rule's limit like any other it filed.
    expect(await limiter().count('restart-asks')).toBe(1);
    await changes.reject(c.id, person('bob'), 'approver', 'not now');
  });

  it('holds an auto-approving rule’s change pending under a freeze', async () => {
    await createFreeze(store.db, {
      workspaceId: 'T1',
      environment: 'dev',
      reason: 'release day',
      by: person('carol'),
      conversation,
      now: clock.now(),
      endsAt: new Date(clock.now().getTime() + 3_600_000),
    });
    const r = rule({ name: 'restart-frozen' });
    const choice = await chooseAutoRemediation(incident, diagnosis, [r], limiter());
    if (choice.kind !== 'chosen') throw new Error(`not chosen: ${JSON.stringify(choice)}`);
    const c = await fileRemediation(deps(), { proposal: choice.proposal, rule: r, conversation });
    expect(c).toMatchObject({
      status: 'pending',
      approvalsRequired: 1,
      policy: { rule: 'auto-remediation:restart-frozen', autoApprove: false, autoRemediation: 'restart-frozen' },
    });
    expect(c.policy.autoApproveHeld).toBe('dev is frozen by Carol until 2026-11-01 14:00 UTC (“release day”)');
    expect((await listAuditEvents(store.db, { subject: c.id })).map((e) => e.type)).toEqual(['change.requested']);
  });

  it('refuses a proposal whose target is gone from the inventory', async () => {
    const r = rule({ name: 'restart-gone' });
    const proposal = diagnosis.proposals.find((p) => p.kind === 'rollout_restart')!;
    const gone = {
      ...proposal,
      call: { tool: 'resource_action', input: { action: 'rollout_restart', resource: 'search/deployment/nope' } },
    };
    const choice = await chooseAutoRemediation(incident, diagnosis, [r], limiter());
    if (choice.kind !== 'chosen') throw new Error(`not chosen: ${JSON.stringify(choice)}`);
    expect(await limiter().count('restart-gone')).toBe(1);
    await expect(fileRemediation(deps(), { proposal: gone, rule: r, conversation })).rejects.toMatchObject({
      code: 'not_found',
    });
    // As the app does when filing fails: the place goes back.
    await choice.claim.release();
    expect(await limiter().count('restart-gone')).toBe(0);
    expect((await resourceRepository(store.db).findByIdOrName('search/deployment/search-indexer')).length).toBe(1);
  });
});
