import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { AwsProvider } from '../../src/cloud/aws/provider.ts';
import type { Resource } from '../../src/cloud/resource.ts';
import { balancerDnsName } from '../../src/cloud/sandbox/elbv2.ts';
import { startSandbox, type Sandbox } from '../../src/cloud/sandbox/server.ts';
import { planWorkflow, type PlanDeps } from '../../src/workflows/plan.ts';
import { loadWorkspaceTemplates } from '../../src/workflows/registry.ts';
import { runWorkflow } from '../../src/workflows/run.ts';
import type { Template } from '../../src/workflows/template.ts';
import { inventoryOf, planDepsOf, sandboxAws } from '../fixtures/workflow-sandbox.ts';
import { runDepsFor } from '../fixtures/workflow-aws-run.ts';

// The built-in multi-region-failover template, loaded as the app loads it, planned over the
// sandbox's inventory and run through the real @aws-sdk/client-route-53 against the sandbox's
// Route 53 emulator, whose health checkers probe the sandbox's own load balancers: health checks
// and failover records made, the drill switching Route 53's answer to the secondary and back, and
// what compensation removes when a step fails (a secondary that never gets healthy, a record
// Route 53 refuses, a record set that was there before).
const now = new Date('2026-11-01T12:00:00Z');
let sandbox: Sandbox;
let aws: AwsProvider;
let planDeps: PlanDeps;
let template: Template;

const inputs = {
  zone: 'example.com',
  record_name: 'app',
  primary: 'web-prod-alb',
  secondary: 'legacy-dev-alb',
};

const runDeps = (o: { pollsBeforeTimeout?: number } = {}) => runDepsFor(aws, () => now, o);

const zone = () => sandbox.services!.account.route53.hostedZones.find((z) => z.name === 'example.com.')!;
const failoverSets = () => zone().records.filter((r) => r.failover);
const healthChecks = () => sandbox.services!.account.route53.healthChecks;
const rows = async (type: string): Promise<Resource[]> => (await inventoryOf(aws)).filter((r) => r.type === type);
const lb = (name: string) => sandbox.fleet.loadBalancers.find((b) => b.name === name)!;
/** legacy-dev-alb's only target is stopped in the seeded fleet: start it so the secondary serves. */
const startSecondary = () => {
  sandbox.fleet.instances.find((i) => i.tags.Name === 'worker-dev-1')!.state = 'running';
};

beforeEach(async () => {
  sandbox = await startSandbox({ now: () => now });
  aws = sandboxAws(sandbox.url, () => now);
  planDeps = planDepsOf(aws);
  template = (await loadWorkspaceTemplates()).latest('multi-region-failover')!;
});
afterEach(async () => {
  aws.destroy();
  await sandbox.stop();
});

describe('the multi-region-failover template', () => {
  it('is built in, and plans health checks on the picked load balancers and records in the picked zone', async () => {
    expect(template).toMatchObject({ category: 'resilience', provider: 'aws', version: 1 });
    const plan = await planWorkflow(planDeps, template, inputs);
    expect(plan.inputs.health_path).toBe('/health');
    // Every step of this template has a target (it has no approval gate).
    const targeted = plan.steps.map((s) => ('target' in s ? s : undefined)!);
    expect(targeted.map((s) => [s.id, s.kind, s.target.type, s.resourceName])).toEqual([
      ['primary_check', 'action', 'load_balancer', 'web-prod-alb'],
      ['secondary_check', 'action', 'load_balancer', 'legacy-dev-alb'],
      ['primary_record', 'action', 'hosted_zone', 'example.com'],
      ['secondary_record', 'action', 'hosted_zone', 'example.com'],
      ['primary_healthy', 'wait', 'health_check', 'the health_check step primary_check makes'],
      ['secondary_healthy', 'wait', 'health_check', 'the health_check step secondary_check makes'],
      ['serving_primary', 'wait', 'dns_record', 'the dns_record step secondary_record makes'],
      ['fail_primary', 'action', 'health_check', 'the health_check step primary_check makes'],
      ['serving_secondary', 'wait', 'dns_record', 'the dns_record step primary_record makes'],
      ['restore_primary', 'action', 'health_check', 'the health_check step primary_check makes'],
      ['serving_primary_again', 'wait', 'dns_record', 'the dns_record step primary_record makes'],
    ]);
    expect(plan.steps[0]).toMatchObject({ action: 'create_health_check', params: { path: '/health' } });
    expect(plan.steps[0]!.kind === 'action' && plan.steps[0]!.blastRadius).toContain(
      `${balancerDnsName(lb('web-prod-alb'))}/health every 30 s`,
    );
    expect(targeted[4]!.target.region).toBe('global');
  });

  it('a health check made again under the same key is the one made before (a retried step makes no second)', async () => {
    const plan = await planWorkflow(planDeps, template, inputs);
    const step = plan.steps[0]!;
    if (step.kind !== 'action') throw new Error('the first step is an action');
    const create = { action: step.action, target: step.target, params: step.params };
    const first = await aws.execute(create, { idempotencyKey: 'CR-7/primary_check' });
    const again = await aws.execute(create, { idempotencyKey: 'CR-7/primary_check' });
    expect(again.outputs!.health_check).toBe(first.outputs!.health_check);
    expect(healthChecks()).toHaveLength(1);
    // Another execution (another run, or no key at all) makes its own.
    const other = await aws.execute(create, { idempotencyKey: 'CR-8/primary_check' });
    expect(other.outputs!.health_check).not.toBe(first.outputs!.health_check);
    await aws.execute(create);
    expect(healthChecks()).toHaveLength(3);
  });

  it("passes each action step the run's key and its own id, the same on every attempt", async () => {
    startSecondary();
    const plan = await planWorkflow(planDeps, template, inputs);
    const keys: string[] = [];
    const execute = aws.execute.bind(aws);
    aws.execute = async (a, o) => {
      keys.push(`${a.action}:${o?.idempotencyKey ?? 'none'}`);
      return execute(a, o);
    };
    const { deps } = runDeps();
    expect(await runWorkflow({ ...deps, runKey: 'CR-7' }, plan)).toMatchObject({ status: 'succeeded' });
    expect(keys).toEqual([
      'create_health_check:CR-7/primary_check',
      'create_health_check:CR-7/secondary_check',
      'upsert_failover_record:CR-7/primary_record',
      'upsert_failover_record:CR-7/secondary_record',
      'set_inverted:CR-7/fail_primary',
      'set_inverted:CR-7/restore_primary',
    ]);
  });

  it('runs end to end: the drill switches Route 53 to the secondary and back, and the checks and records stay', async () => {
    startSecondary();
    const plan = await planWorkflow(planDeps, template, inputs);
    const states: string[] = [];
    const describe = aws.describe.bind(aws);
    aws.describe = async (key) => {
      const r = await describe(key);
      if (key.type === 'dns_record' && r) states.push(r.state);
      return r;
    };
    const { deps, records } = runDeps();
    const out = await runWorkflow(deps, plan);
    expect(out).toMatchObject({ status: 'succeeded', summary: 'multi-region-failover: all 11 steps done.' });
    expect(states).toEqual(['serving-primary', 'serving-secondary', 'serving-primary']);
    expect(records.find((r) => r.id === 'fail_primary')).toMatchObject({
      previous: { inverted: 'false' },
      outputs: { state: 'unhealthy' },
    });

    const primary = balancerDnsName(lb('web-prod-alb'));
    const secondary = balancerDnsName(lb('legacy-dev-alb'));
    const checks = records.filter((r) => r.id.endsWith('_check')).map((r) => r.outputs.health_check);
    expect(records.find((r) => r.id === 'primary_check')!.outputs.endpoint).toBe(primary);
    // In the emulator: two HTTP(S) checks, none inverted any more, and the failover pair.
    expect(healthChecks().map((h) => [h.id, h.type, h.fqdn, h.port, h.resourcePath, h.inverted])).toEqual([
      [checks[0], 'HTTPS', primary, 443, '/health', false],
      [checks[1], 'HTTP', secondary, 80, '/health', false],
    ]);
    expect(failoverSets()).toEqual([
      {
        name: 'app.example.com.',
        type: 'CNAME',
        ttl: 60,
        values: [primary],
        setIdentifier: 'primary',
        failover: 'PRIMARY',
        healthCheckId: checks[0],
      },
      {
        name: 'app.example.com.',
        type: 'CNAME',
        ttl: 60,
        values: [secondary],
        setIdentifier: 'secondary',
        failover: 'SECONDARY',
        healthCheckId: checks[1],
      },
    ]);
    // As the provider lists them: healthy checks, and the record serving the primary.
    const listed = await rows('health_check');
    expect(listed.map((r) => [r.id, r.state, r.region])).toEqual([
      [checks[0], 'healthy', 'global'],
      [checks[1], 'healthy', 'global'],
    ]);
    const zoneId = zone().id;
    const [record] = await rows('dns_record');
    expect(record).toMatchObject({
      id: `${zoneId}/app.example.com/CNAME`,
      name: 'app.example.com',
      state: 'serving-primary',
      attributes: { primary, secondary, primaryHealthCheck: checks[0], secondaryHealthCheck: checks[1], ttl: 60 },
    });
    expect((await rows('hosted_zone')).map((z) => [z.name, z.state])).toEqual([
      ['example.com', 'active'],
      ['example.org', 'active'],
    ]);
  });

  it('undoes what it made when the secondary never gets healthy: records deleted, then health checks', async () => {
    // The seeded legacy-dev-alb serves nothing (its only target is stopped): Route 53 sees 503.
    const plan = await planWorkflow(planDeps, template, inputs);
    const { deps, records } = runDeps({ pollsBeforeTimeout: 3 });
    const out = await runWorkflow(deps, plan);
    expect(out).toMatchObject({ status: 'failed', error: 'did not finish within 600 s' });
    expect(records.map((r) => [r.id, r.status])).toEqual([
      ['primary_check', 'succeeded'],
      ['secondary_check', 'succeeded'],
      ['primary_record', 'succeeded'],
      ['secondary_record', 'succeeded'],
      ['primary_healthy', 'succeeded'],
      ['secondary_healthy', 'timed_out'],
      ['secondary_record', 'compensated'],
      ['primary_record', 'compensated'],
      ['secondary_check', 'compensated'],
      ['primary_check', 'compensated'],
    ]);
    expect(failoverSets()).toEqual([]);
    expect(healthChecks()).toEqual([]);
    // The zone keeps what it had.
    expect(zone().records.map((r) => `${r.name} ${r.type}`)).toEqual([
      'example.com. SOA',
      'example.com. NS',
      'www.example.com. A',
      'mail.example.com. MX',
    ]);
  });

  it("gives Route 53's own reason when it refuses a record, and deletes the health checks it made", async () => {
    startSecondary();
    // www has a simple A record: Route 53 refuses a CNAME beside it.
    const plan = await planWorkflow(planDeps, template, { ...inputs, record_name: 'www' });
    const { deps, records } = runDeps();
    const out = await runWorkflow(deps, plan);
    expect(out.status).toBe('failed');
    expect(out.error).toBe(
      `AWS rejected the request for setting a failover record in ${zone().id}: RRSet of type CNAME with DNS name www.example.com. is not permitted as it conflicts with other records with the same DNS name in zone example.com.`,
    );
    expect(records.map((r) => [r.id, r.status])).toEqual([
      ['primary_check', 'succeeded'],
      ['secondary_check', 'succeeded'],
      ['primary_record', 'failed'],
      ['secondary_check', 'compensated'],
      ['primary_check', 'compensated'],
    ]);
    expect(healthChecks()).toEqual([]);
    expect(zone().records.find((r) => r.name === 'www.example.com.')).toMatchObject({
      type: 'A',
      values: ['203.0.113.10'],
    });
  });

  it('puts back the failover record it replaced when a later step fails', async () => {
    startSecondary();
    // A PRIMARY record for app was there before (say from an earlier setup), with no health check.
    zone().records.push({
      name: 'app.example.com.',
      type: 'CNAME',
      ttl: 300,
      values: ['old-primary.example.net'],
      setIdentifier: 'primary',
      failover: 'PRIMARY',
    });
    const before = structuredClone(zone().records);
    const plan = await planWorkflow(planDeps, template, inputs);
    // The secondary record is refused (Route 53 still busy with the previous change).
    let upserts = 0;
    const execute = aws.execute.bind(aws);
    aws.execute = async (action, opts) => {
      if (action.action === 'upsert_failover_record' && ++upserts === 2)
        sandbox.services!.failNext('route53', 'ChangeResourceRecordSets', {
          code: 'PriorRequestNotComplete',
          message: 'The request was rejected because Route 53 was still processing a prior request.',
        });
      return execute(action, opts);
    };
    const { deps, records } = runDeps();
    const out = await runWorkflow(deps, plan);
    expect(out.status).toBe('failed');
    expect(out.error).toMatch(/Route 53 was still processing a prior request/);
    expect(records.find((r) => r.id === 'primary_record' && r.status === 'succeeded')!.previous).toEqual({
      existed: 'true',
      name: 'app.example.com',
      type: 'CNAME',
      set_identifier: 'primary',
      role: 'PRIMARY',
      value: 'old-primary.example.net',
      ttl: '300',
    });
    expect(records.slice(3).map((r) => [r.id, r.status])).toEqual([
      ['secondary_record', 'failed'],
      ['primary_record', 'compensated'],
      ['secondary_check', 'compensated'],
      ['primary_check', 'compensated'],
    ]);
    expect(zone().records).toEqual(before);
    expect(healthChecks()).toEqual([]);
  });
});
