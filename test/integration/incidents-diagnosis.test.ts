import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { resourceRepository } from '../../src/cloud/repository.ts';
import { diagnose } from '../../src/incidents/diagnosis.ts';
import { Diagnosis } from '../../src/incidents/model.ts';
import { createTestStore, testStoreTimeoutMs, type TestStore } from '../helpers/db.ts';
import { awsResource, syncedKubeFleet } from '../helpers/incidents.ts';
import { harness } from '../fixtures/changes-harness.ts';
import { conversation, person, planFor } from '../fixtures/changes-plans.ts';

/**
 * Diagnosis over a real store: our change requests (filed and approved through the real
 * ChangeService) and the inventory as a sync stores it — hand-made AWS rows, and the Kubernetes
 * sandbox's fleet listed by the real provider — become facts, ranked suspects and proposals.
 */

let store: TestStore;
beforeAll(async () => {
  store = await createTestStore();
}, testStoreTimeoutMs);
afterAll(() => store?.dispose());

const MIN = 60_000;
const tgArn = 'arn:aws:elasticloadbalancing:eu-west-1:111111111111:targetgroup/api/0123456789abcdef';
const lbArn = 'arn:aws:elasticloadbalancing:eu-west-1:111111111111:loadbalancer/app/api/0123456789abcdef';

describe('an AWS service resized shortly before its alert', () => {
  let diagnosis: Diagnosis;
  let changeId: string;

  beforeAll(async () => {
    const repo = resourceRepository(store.db);
    for (const r of [
      awsResource({ type: 'instance', id: 'i-0api1', name: 'api-prod-1', tags: { service: 'api', env: 'prod' } }),
      awsResource({ type: 'instance', id: 'i-0api2', name: 'api-prod-2', tags: { service: 'api', env: 'prod' } }),
      awsResource({
        type: 'target_group',
        id: tgArn,
        name: 'api',
        state: 'unhealthy',
        attributes: {
          targets: 2,
          unhealthy: 1,
          healthy: 1,
          loadBalancerArns: [lbArn],
          failing: [{ id: 'i-0api1', reason: 'Target.FailedHealthChecks' }],
        },
      }),
      awsResource({ type: 'load_balancer', id: lbArn, name: 'api-lb', state: 'active', attributes: {} }),
      awsResource({ type: 'database', id: 'api-db', name: 'api-db', state: 'storage-full', tags: { service: 'api' } }),
      awsResource({ type: 'instance', id: 'i-0web1', name: 'web-prod-1', tags: { service: 'web' }, state: 'stopped' }),
    ])
      await repo.upsertOne(r);

    // CR: resize api-prod-1, requested by Alice, approved by Bob at 10:00; the alert opens at 10:30.
    const h = harness(store.db);
    const filed = await h.service.request(
      planFor({
        action: 'resize',
        target: { provider: 'aws', account: '111111111111', region: 'eu-west-1', type: 'instance', id: 'i-0api1' },
        resourceName: 'api-prod-1',
        params: { size: 't3.large' },
        summary: 'Resize api-prod-1 (i-0api1) from t3.small to t3.large in eu-west-1, env=prod',
        rollback: { action: 'resize', params: { size: 't3.small' } },
      }),
      person('alice'),
      'operator',
      conversation,
    );
    const done = await h.service.approve(filed.id, person('bob'), 'approver');
    expect(done.status).toBe('succeeded');
    changeId = done.id;
    // A change on another service the same morning: not related, never a fact.
    await h.service.request(
      planFor({ target: { ...planFor().target, id: 'i-0web1' }, resourceName: 'web-prod-1' }),
      person('alice'),
      'operator',
      conversation,
    );
    h.clock.advance(30 * MIN);
    diagnosis = await diagnose(
      {
        workspaceId: 'T1',
        title: 'High 5xx rate on api',
        service: 'api',
        resources: ['api-prod-1.internal:9100'],
        environment: 'prod',
        labels: { alertname: 'Api5xx', severity: 'critical', token: 'not shown' },
        openedAt: h.clock.now(),
      },
      { db: store.db, now: h.clock.now },
    );
  });

  it('resolves the host the alert names and validates as the model says', () => {
    expect(Diagnosis.parse(diagnosis)).toEqual(diagnosis);
    expect(diagnosis.affected).toEqual([
      expect.objectContaining({ id: 'i-0api1', name: 'api-prod-1', environment: 'prod' }),
    ]);
  });

  it('lists the change first, with who asked and who approved, and the neighbours after', () => {
    const [first] = diagnosis.facts;
    expect(first).toMatchObject({ id: 'F1', kind: 'change', changeId, relation: 'affected', source: changeId });
    expect(first!.text).toBe(
      `Resize api-prod-1 (i-0api1) from t3.small to t3.large in eu-west-1, env=prod: succeeded 30 min before the alert (${changeId}), requested by Alice, approved by Bob`,
    );
    const texts = diagnosis.facts.map((f) => f.text);
    expect(texts).toEqual(
      expect.arrayContaining([
        'target group api: 1 of 2 targets unhealthy: i-0api1 (Target.FailedHealthChecks)',
        'database api-db is storage-full',
        expect.stringMatching(/^Alert "High 5xx rate on api" on api opened \(alertname=Api5xx, severity=critical\)$/),
      ]),
    );
    expect(texts.join('\n')).not.toMatch(/web-prod-1|not shown/);
    expect(diagnosis.facts.map((f) => f.id)).toEqual(diagnosis.facts.map((_f, i) => `F${i + 1}`));
    const weights = diagnosis.facts.map((f) => f.weight);
    expect(weights).toEqual([...weights].sort((a, b) => b - a));
  });

  it('suspects the change first, then the database dependency', () => {
    expect(diagnosis.suspects[0]).toMatchObject({
      category: 'change',
      changeId,
      resource: expect.objectContaining({ id: 'i-0api1' }),
      factIds: expect.arrayContaining(['F1']),
    });
    expect(diagnosis.suspects.map((s) => s.category)).toEqual(expect.arrayContaining(['dependency', 'infrastructure']));
  });

  it('proposes rolling the change back first, and restarting the failing instance', () => {
    expect(diagnosis.proposals[0]).toMatchObject({
      kind: 'rollback',
      call: { tool: 'rollback_change', input: { changeId } },
      factIds: ['F1'],
      target: expect.objectContaining({ id: 'i-0api1' }),
    });
    expect(diagnosis.proposals).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          kind: 'restart',
          call: { tool: 'resource_action', input: { action: 'reboot', resource: 'i-0api1' } },
        }),
      ]),
    );
  });
});

describe('the Kubernetes sandbox fleet', () => {
  const now = new Date('2026-11-01T12:00:00Z');
  let fleet: Awaited<ReturnType<typeof syncedKubeFleet>>;
  beforeAll(async () => {
    fleet = await syncedKubeFleet(store.db, now);
  }, 60_000);
  afterAll(() => fleet?.stop());

  const run = (resources: string[], service: string, environment?: string) =>
    diagnose(
      {
        workspaceId: 'T1',
        title: `${service} is down`,
        service,
        resources,
        ...(environment ? { environment } : {}),
        labels: {},
        openedAt: now,
      },
      { db: store.db, now: () => now },
    );

  it('blames the rollout of a deployment whose new image cannot be pulled, and proposes undoing it', async () => {
    const d = await run(['payments/payments-worker'], 'payments');
    expect(d.affected.map((a) => a.id)).toEqual(['payments/deployment/payments-worker']);
    const rollout = d.facts.find((f) => f.kind === 'rollout')!;
    expect(rollout.text).toMatch(
      /^deployment payments\/payments-worker rolled out revision 2 \(registry\.example\.com\/payments-worker:2\.4\.0-rc1\) 24 h before the alert, replacing revision 1 \(registry\.example\.com\/payments-worker:2\.3\.5\); it is degraded$/,
    );
    const pulls = d.facts.filter((f) => /ImagePullBackOff/.test(f.text));
    expect(pulls.length).toBeGreaterThan(0);
    expect(pulls[0]).toMatchObject({ relation: 'neighbour', resource: expect.objectContaining({ type: 'pod' }) });
    expect(d.suspects[0]).toMatchObject({
      category: 'change',
      resource: expect.objectContaining({ id: 'payments/deployment/payments-worker' }),
      factIds: expect.arrayContaining([rollout.id, pulls[0]!.id]),
    });
    expect(d.proposals[0]).toMatchObject({
      kind: 'rollback',
      call: {
        tool: 'resource_action',
        input: { action: 'undo_rollout', resource: 'payments/deployment/payments-worker' },
      },
    });
    // A restart would pull the same missing image: not offered.
    expect(d.proposals.map((p) => p.kind)).not.toContain('rollout_restart');
  });

  it('calls a crash loop with no recent rollout a code problem and proposes a rollout restart', async () => {
    const d = await run(['search-indexer'], 'search', 'dev');
    expect(d.affected.map((a) => a.id)).toEqual(['search/deployment/search-indexer']);
    const crash = d.facts.find((f) => /CrashLoopBackOff/.test(f.text))!;
    expect(crash.text).toMatch(
      /^pod search\/search-indexer-\S+ is CrashLoopBackOff \(\d+ restarts\), image registry\.example\.com\/search-indexer:5\.0\.0/,
    );
    expect(d.facts.some((f) => f.kind === 'rollout')).toBe(false);
    expect(d.suspects[0]).toMatchObject({
      category: 'code',
      resource: expect.objectContaining({ id: 'search/deployment/search-indexer' }),
    });
    expect(d.suspects[0]!.factIds).toContain(crash.id);
    expect(d.proposals).toEqual([
      expect.objectContaining({
        kind: 'rollout_restart',
        call: {
          tool: 'resource_action',
          input: { action: 'rollout_restart', resource: 'search/deployment/search-indexer' },
        },
        target: expect.objectContaining({ environment: 'dev' }),
      }),
    ]);
  });

  it('falls back to the resources tagged with the service, and proposes starting a stopped VM among them', async () => {
    await resourceRepository(store.db).upsertOne(
      awsResource({ type: 'instance', id: 'i-0web1', name: 'web-prod-1', tags: { service: 'web' }, state: 'stopped' }),
    );
    const d = await run(['nothing-by-this-name'], 'web');
    // Tagged service=web, and everything in the Kubernetes namespace named web.
    expect(d.affected.map((a) => a.id).sort()).toEqual([
      'i-0web1',
      'web/deployment/frontend',
      'web/deployment/legacy-admin',
      'web/pod/frontend-7jhn984lq9-7jvqn',
      'web/pod/frontend-7jhn984lq9-g9vwn',
      'web/pod/frontend-7jhn984lq9-wxbl2',
      'web/pod/legacy-admin-hx2xcjfnn9-fftgm',
      'web/service/frontend',
    ]);
    expect(d.suspects[0]).toMatchObject({
      category: 'infrastructure',
      resource: expect.objectContaining({ id: 'i-0web1' }),
    });
    expect(d.proposals).toEqual([
      expect.objectContaining({
        kind: 'start',
        call: { tool: 'resource_action', input: { action: 'start', resource: 'i-0web1' } },
      }),
    ]);
  });

  it('names a node under memory pressure as infrastructure, with the pods it runs as neighbours', async () => {
    const d = await run(['prod-eu-node-3'], 'kubelet');
    expect(d.affected.map((a) => a.id)).toEqual(['node/prod-eu-node-3']);
    expect(d.facts[0]).toMatchObject({
      kind: 'health',
      relation: 'affected',
      text: 'node prod-eu-node-3 reports MemoryPressure',
    });
    expect(d.suspects[0]).toMatchObject({ category: 'infrastructure', factIds: [d.facts[0]!.id] });
  });
});
