import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { AwsProvider } from '../../src/cloud/aws/provider.ts';
import type { AwsProviderOptions } from '../../src/cloud/aws/provider.ts';
import { findAction } from '../../src/cloud/actions.ts';
import { monthlyCents } from '../../src/cloud/pricing/index.ts';
import type { ResourceAction } from '../../src/cloud/provider.ts';
import { Resource } from '../../src/cloud/resource.ts';
import { startSandbox } from '../../src/cloud/sandbox/server.ts';
import type { Sandbox } from '../../src/cloud/sandbox/server.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { rejectedAppError } from '../helpers/cloud.ts';

const now = new Date('2026-11-01T12:00:00Z');
let sandbox: Sandbox;
const providers: AwsProvider[] = [];

/** The single-account shape (the main sandbox account); tests for many accounts are in cloud-aws-accounts. */
const provider = (
  opts: Partial<{ regions: string[] }> & Partial<Omit<AwsProviderOptions, 'regions'>> = {},
): AwsProvider => {
  const p = new AwsProvider({
    regions: ['us-east-1', 'eu-west-1'],
    account: '123456789012',
    endpoint: sandbox.url,
    sandbox: true,
    credentials: { accessKeyId: 'AKIDSANDBOX', secretAccessKey: 'secret' },
    now: () => now,
    maxAttempts: 1,
    wait: { attempts: 5, delayMs: 1000, sleep: async () => undefined },
    ...opts,
  } as AwsProviderOptions);
  providers.push(p);
  return p;
};

/** Every regional source of the provider, listed through the port. */
const listAll = async (p: AwsProvider): Promise<Resource[]> => {
  const lists = await Promise.all(
    p
      .sources()
      .filter((s) => s.region !== 'global')
      .map((s) => p.listSource(s)),
  );
  return lists.flat();
};

const fleetInstance = (name: string) => {
  const found = sandbox.fleet.instances.find((i) => i.tags.Name === name);
  if (!found) throw new Error(`no ${name}`);
  return found;
};

const act = (action: ResourceAction['action'], name: string, params: Record<string, string> = {}): ResourceAction => {
  const i = fleetInstance(name);
  return {
    action,
    target: { provider: 'aws', account: '123456789012', region: i.region, type: 'instance', id: i.id },
    params,
  };
};

beforeEach(async () => {
  sandbox = await startSandbox({ now: () => now });
});
afterEach(async () => {
  for (const p of providers.splice(0)) p.destroy();
  await sandbox.stop();
});

describe('AwsProvider.listSource against the sandbox fleet', () => {
  it('has one source per region and one for global services, keyed aws:<account>:<region>', () => {
    const a = '123456789012';
    expect(provider().sources()).toEqual([
      { key: `aws:${a}:us-east-1`, provider: 'aws', account: a, region: 'us-east-1', label: `AWS ${a} us-east-1` },
      { key: `aws:${a}:eu-west-1`, provider: 'aws', account: a, region: 'eu-west-1', label: `AWS ${a} eu-west-1` },
      { key: `aws:${a}:global`, provider: 'aws', account: a, region: 'global', label: `AWS ${a} global` },
    ]);
    expect(
      provider({ account: undefined, regions: ['eu-west-1'] })
        .sources()
        .map((s) => [s.key, s.label]),
    ).toEqual([
      ['aws:default:eu-west-1', 'AWS account eu-west-1'],
      ['aws:default:global', 'AWS account global'],
    ]);
  });

  it('asks STS GetCallerIdentity for the account id when none is configured, once', async () => {
    const p = provider({ account: undefined });
    const all = await listAll(p);
    expect(new Set(all.map((r) => r.account))).toEqual(new Set(['123456789012']));
    await listAll(p);
    expect(sandbox.requests.filter((r) => r.action === 'GetCallerIdentity')).toHaveLength(1);
    // The global source runs the global service listers (IAM, S3) and no EC2 or ELB call.
    const before = sandbox.requests.length;
    const global = await p.listSource(p.sources().find((s) => s.region === 'global')!);
    expect(new Set(global.map((r) => r.type))).toEqual(
      new Set(['bucket', 'iam_user', 'access_key', 'account_settings', 'hosted_zone']),
    );
    expect(global.every((r) => r.account === '123456789012')).toBe(true);
    expect(sandbox.requests.length).toBe(before);
  });

  it('lists every owned resource of both regions, normalized and valid', async () => {
    const all = await listAll(provider());
    for (const r of all) Resource.parse(r);
    const count = (type: string) => all.filter((r) => r.type === type).length;
    expect([count('instance'), count('volume'), count('snapshot'), count('security_group')]).toEqual([19, 6, 5, 8]);
    expect([count('ip_address'), count('nat_gateway'), count('vpc'), count('load_balancer')]).toEqual([2, 1, 2, 4]);
    // Every target group on its own row; the ECS clusters and the checkout services (./ecs-fleet.ts).
    expect([count('target_group'), count('cluster'), count('container_service')]).toEqual([5, 2, 2]);
    expect(new Set(all.map((r) => r.account))).toEqual(new Set(['123456789012']));
    expect(new Set(all.map((r) => r.environment))).toEqual(new Set(['prod', 'staging', 'dev', 'unknown']));
    expect(all.every((r) => r.seenAt === now)).toBe(true);
    expect(all.some((r) => r.attributes.description === 'Amazon Linux 2023 AMI public snapshot')).toBe(false);
  });

  it('contains the unattached volume, the year-old snapshot and the world-open SSH group', async () => {
    const all = await listAll(provider());
    const unattached = all.filter((r) => r.type === 'volume' && r.attributes.attachedTo === null);
    expect(unattached).toMatchObject([
      {
        name: 'old-migration-data',
        state: 'available',
        region: 'eu-west-1',
        monthlyCostCents: monthlyCents('aws', 'disk', 'gp2', 'eu-west-1', 250),
        attributes: { sizeGb: 250, volumeType: 'gp2' },
      },
    ]);
    const yearAgo = now.getTime() - 365 * 86_400_000;
    const old = all.filter((r) => r.type === 'snapshot' && Date.parse(String(r.attributes.startTime)) < yearAgo);
    expect(old).toMatchObject([{ name: 'legacy-db-backup', monthlyCostCents: 1500, attributes: { sizeGb: 300 } }]);
    const sshOpen = all.filter(
      (r) =>
        r.type === 'security_group' &&
        (r.attributes.ingress as Array<{ fromPort: number; toPort: number; cidrs: string[] }>).some(
          (rule) => rule.fromPort <= 22 && rule.toPort >= 22 && rule.cidrs.includes('0.0.0.0/0'),
        ),
    );
    expect(sshOpen).toMatchObject([
      {
        name: 'dev-ssh-open',
        environment: 'dev',
        attributes: {
          ingress: [
            { protocol: 'tcp', fromPort: 22, toPort: 22, cidrs: ['0.0.0.0/0', '::/0'] },
            { protocol: 'all', fromPort: 0, toPort: 65535 },
          ],
        },
      },
    ]);
  });

  it('finds the unassociated Elastic IP, the load balancer with no healthy target and the VPC without flow logs', async () => {
    const all = await listAll(provider());
    const ips = all.filter((r) => r.type === 'ip_address');
    expect(ips.find((r) => r.attributes.associatedTo === null)).toMatchObject({
      name: 'old-demo-ip',
      state: 'idle',
      region: 'eu-west-1',
      environment: 'dev',
      monthlyCostCents: monthlyCents('aws', 'ip_address', 'idle', 'eu-west-1'),
    });
    expect(ips.find((r) => r.name === 'bastion-prod-ip')).toMatchObject({
      state: 'in-use',
      attributes: { associatedTo: sandbox.fleet.instances.find((i) => i.tags.Name === 'bastion-prod')!.id },
    });
    const lbs = all.filter((r) => r.type === 'load_balancer');
    expect(lbs.filter((r) => r.attributes.idle).map((r) => r.name)).toEqual(['legacy-dev-alb']);
    expect(lbs.find((r) => r.name === 'legacy-dev-alb')).toMatchObject({
      environment: 'dev',
      monthlyCostCents: monthlyCents('aws', 'load_balancer', 'application', 'eu-west-1'),
      attributes: {
        lbType: 'application',
        scheme: 'internet-facing',
        healthyTargets: 0,
        listeners: [{ port: 80, protocol: 'HTTP' }],
        targetGroups: [{ name: 'legacy-dev-tg', targets: 1, healthy: 0, unhealthy: 0, unused: 1 }],
      },
    });
    expect(lbs.find((r) => r.name === 'api-prod-nlb')).toMatchObject({
      attributes: { lbType: 'network', scheme: 'internal', idle: false, healthyTargets: 2 },
      monthlyCostCents: monthlyCents('aws', 'load_balancer', 'network', 'us-east-1'),
    });
    const vpcs = all.filter((r) => r.type === 'vpc');
    expect(vpcs.filter((r) => !r.attributes.flowLogsEnabled).map((r) => r.region)).toEqual(['eu-west-1']);
    expect(all.find((r) => r.type === 'nat_gateway')).toMatchObject({
      state: 'available',
      region: 'us-east-1',
      monthlyCostCents: monthlyCents('aws', 'nat_gateway', 'standard', 'us-east-1'),
    });
    expect(all.find((r) => r.name === 'db-prod-1-data')?.attributes).toMatchObject({
      iops: 3000,
      throughput: 125,
      encrypted: true,
      attachments: [{ device: '/dev/sdf', state: 'attached' }],
    });
    expect(all.find((r) => r.name === 'web-prod-1')?.attributes.statusChecks).toBe('ok');
    expect(all.find((r) => r.name === 'worker-staging-1')?.attributes.statusChecks).toBe('not-applicable');
  });

  it('prices running instances from the table and stopped ones at zero compute', async () => {
    const all = await listAll(provider());
    const web = all.find((r) => r.name === 'web-prod-1');
    expect(web).toMatchObject({
      state: 'running',
      monthlyCostCents: monthlyCents('aws', 'instance', 'm5.large', 'us-east-1'),
      tags: { env: 'prod', team: 'web', service: 'web' },
    });
    expect(web?.monthlyCostCents).toBe(7008);
    expect(web?.attributes).toMatchObject({
      instanceType: 'm5.large',
      launchTime: '2026-09-21T12:00:00.000Z',
      privateIp: expect.stringMatching(/^10\.0\./),
    });
    expect(all.find((r) => r.name === 'worker-staging-1')).toMatchObject({ state: 'stopped', monthlyCostCents: 0 });
  });

  it('follows NextToken on every Describe call with a small page size', async () => {
    await listAll(provider({ pageSize: 5, regions: ['us-east-1'] }));
    const pages = (action: string) =>
      sandbox.requests.filter((r) => r.action === action).map((r) => r.params.NextToken !== undefined);
    expect(pages('DescribeInstances')).toEqual([false, true, true]);
    expect(pages('DescribeSecurityGroups')).toEqual([false]);
    expect(sandbox.requests.find((r) => r.action === 'DescribeSnapshots')?.params['Owner.1']).toBe('self');
  });

  it('fails the whole listing with a translated error when a region fails, and counts calls', async () => {
    const metrics = createMetrics();
    sandbox.failNext('DescribeVolumes', {
      code: 'UnauthorizedOperation',
      message: 'You are not authorized to perform this operation.',
      status: 403,
    });
    const err = await rejectedAppError(listAll(provider({ metrics })));
    expect(err.code).toBe('auth_failed');
    expect(err.userMessage).toMatch(/listing EC2 resources in (us-east-1|eu-west-1).*UnauthorizedOperation/);
    const calls = await metrics.registry.getSingleMetricAsString('devops_agent_cloud_calls_total');
    expect(calls).toContain(
      'devops_agent_cloud_calls_total{provider="aws",operation="DescribeVolumes",outcome="error"} 1',
    );
    expect(calls).toMatch(/operation="DescribeInstances",outcome="ok"\} [1-9]/);
  });

  it('retries throttling and lists; reports it as rate_limited once the attempts run out', async () => {
    sandbox.failNext(
      'DescribeInstances',
      { code: 'RequestLimitExceeded', message: 'Request limit exceeded.', status: 503 },
      2,
    );
    sandbox.failNext('DescribeLoadBalancers', { code: 'Throttling', message: 'Rate exceeded', status: 400 }, 2);
    const all = await listAll(provider({ regions: ['us-east-1'], maxAttempts: 3 }));
    expect(all.filter((r) => r.type === 'instance')).toHaveLength(11);
    expect(all.filter((r) => r.type === 'load_balancer')).toHaveLength(3);
    const throttled = sandbox.requests.filter(
      (r) => r.errorCode === 'RequestLimitExceeded' || r.errorCode === 'Throttling',
    );
    expect(throttled).toHaveLength(4);
    sandbox.failNext('*', { code: 'RequestLimitExceeded', message: 'Request limit exceeded.', status: 503 });
    expect((await rejectedAppError(listAll(provider({ regions: ['us-east-1'] })))).code).toBe('rate_limited');
  });

  it('reports a dead endpoint as cloud_error', async () => {
    const dead = provider({ endpoint: 'http://127.0.0.1:9', regions: ['us-east-1'], account: undefined });
    const err = await rejectedAppError(dead.listSource(dead.sources()[0]!));
    expect(err.code).toBe('cloud_error');
    expect(err.userMessage).toContain('Could not reach AWS');
  });
});

describe('AwsProvider.execute', () => {
  it('offers instance actions, and sizes from DescribeInstanceTypes cached per region', async () => {
    const p = provider();
    expect(p.actions.instance?.map((a) => a.name)).toEqual(['start', 'stop', 'reboot', 'resize']);
    // The scanner's fixes on other types are covered in cloud-aws-fix-actions; the deploy and release
    // actions on load balancers in cloud-aws-ecs and the workflow template tests, and their Route 53
    // health checks in workflow-template-failover.
    expect(p.actions.volume?.map((a) => a.name)).toEqual(['snapshot_and_delete', 'modify_volume_type']);
    expect(p.actions.load_balancer?.map((a) => a.name)).toEqual([
      'create_target_group',
      'delete_target_group',
      'create_listener_rule',
      'delete_listener_rule',
      'switch_traffic',
      'create_health_check',
      'delete_health_check',
    ]);
    const sizes = await p.sizesFor('instance', 'eu-west-1', '123456789012');
    expect(sizes).toContain('t3.large');
    // Offered by EC2 though not in the price table for eu-west-1: a valid size all the same.
    expect(sizes).toContain('m7i.large');
    expect(sizes).toHaveLength(46);
    await p.sizesFor('instance', 'eu-west-1', '123456789012');
    const calls = sandbox.requests.filter((r) => r.action === 'DescribeInstanceTypes');
    expect(calls.map((r) => r.region)).toEqual(['eu-west-1']);
    expect(await p.sizesFor('snapshot', 'eu-west-1', '123456789012')).toEqual([]);
  });

  it('stops and starts, returning the previous state as rollback data', async () => {
    const p = provider();
    const stopped = await p.execute(act('stop', 'web-dev-1'));
    expect(stopped).toEqual({
      summary: `web-dev-1 (${fleetInstance('web-dev-1').id}) stopping (was running)`,
      newState: 'stopping',
      previous: { state: 'running' },
    });
    const listed = await listAll(p);
    expect(listed.find((r) => r.name === 'web-dev-1')).toMatchObject({ state: 'stopped', monthlyCostCents: 0 });
    const started = await p.execute(act('start', 'web-dev-1'));
    expect(started).toMatchObject({ newState: 'pending', previous: { state: 'stopped' } });
    expect((await p.execute(act('stop', 'worker-dev-1'))).summary).toContain('was already stopped');
  });

  it('reboots a running instance and refuses a stopped one as a conflict', async () => {
    const p = provider();
    expect(await p.execute(act('reboot', 'db-dev-1'))).toMatchObject({
      newState: 'running',
      previous: { state: 'running' },
    });
    const err = await rejectedAppError(p.execute(act('reboot', 'worker-dev-1')));
    expect(err.code).toBe('conflict');
    expect(err.userMessage).toContain('not in a state from which it can be rebooted');
  });

  it('resizes a running instance by stop → wait → modify → start, polling with the injected sleep', async () => {
    await sandbox.stop();
    sandbox = await startSandbox({ now: () => now, transitionDescribes: 3 });
    const sleeps: number[] = [];
    const p = provider({ wait: { attempts: 5, delayMs: 250, sleep: async (ms) => void sleeps.push(ms) } });
    const result = await p.execute(act('resize', 'api-dev-1', { size: 't3.medium' }));
    expect(result).toEqual({
      summary: `api-dev-1 (${fleetInstance('api-dev-1').id}) resized from t3.large to t3.medium: stopped it, changed the type, started it again (now running)`,
      newState: 'running',
      previous: { size: 't3.large', state: 'running' },
    });
    expect(fleetInstance('api-dev-1')).toMatchObject({ instanceType: 't3.medium', state: 'running' });
    expect(sandbox.requests.map((r) => r.action)).toEqual([
      'DescribeInstances',
      'StopInstances',
      'DescribeInstances',
      'DescribeInstances',
      'DescribeInstances',
      'ModifyInstanceAttribute',
      'StartInstances',
      'DescribeInstances',
      'DescribeInstances',
      'DescribeInstances',
    ]);
    expect(sleeps).toEqual([250, 250, 250, 250]);
  });

  it('gives up waiting after the configured attempts', async () => {
    await sandbox.stop();
    sandbox = await startSandbox({ now: () => now, transitionDescribes: 10 });
    const err = await rejectedAppError(
      provider({ wait: { attempts: 3, delayMs: 1, sleep: async () => undefined } }).execute(
        act('resize', 'api-dev-1', { size: 't3.medium' }),
      ),
    );
    expect(err.code).toBe('cloud_error');
    expect(err.userMessage).toContain('was not stopped after 3 checks');
  });

  it('resizes a stopped instance in place and leaves it stopped', async () => {
    const result = await provider().execute(act('resize', 'worker-staging-1', { size: 't3.xlarge' }));
    expect(result).toMatchObject({ newState: 'stopped', previous: { size: 't3.large', state: 'stopped' } });
    expect(result.summary).toContain('stays stopped');
    expect(sandbox.requests.map((r) => r.action)).toEqual(['DescribeInstances', 'ModifyInstanceAttribute']);
  });

  it('starts the instance again when the type change is refused after stopping it', async () => {
    sandbox.failNext('ModifyInstanceAttribute', {
      code: 'InsufficientInstanceCapacity',
      message: 'We currently do not have sufficient t3.medium capacity.',
      status: 500,
    });
    const err = await rejectedAppError(provider().execute(act('resize', 'api-dev-1', { size: 't3.medium' })));
    expect(err.code).toBe('cloud_error');
    expect(err.userMessage).toContain('It was started again as t3.large.');
    expect(fleetInstance('api-dev-1')).toMatchObject({ instanceType: 't3.large', state: 'pending' });
  });

  it('checks the size against DescribeInstanceTypes before touching the instance', async () => {
    const p = provider();
    const spec = findAction(p.actions, 'instance', 'resize')!;
    const subject = {
      name: 'api-dev-1',
      id: fleetInstance('api-dev-1').id,
      state: 'running',
      attributes: { instanceType: 't3.large' },
    };
    const ctx = { sizes: () => p.sizesFor('instance', 'eu-west-1', '123456789012'), monthlyCostAt: () => undefined };
    const err = await rejectedAppError(
      Promise.resolve(spec.check!(subject as never, { size: 'x9.mega' }, ctx as never)),
    );
    expect(err.code).toBe('bad_request');
    expect(err.userMessage).toContain('“x9.mega” is not a size I can resize to');
    await spec.check!(subject as never, { size: 'm6i.large' }, ctx as never);
    expect(sandbox.requests.map((r) => r.action)).toEqual(['DescribeInstanceTypes']);
    // And EC2 itself refuses a type it does not offer, as InvalidInstanceAttributeValue.
    const refused = await rejectedAppError(provider().execute(act('resize', 'worker-dev-1', { size: 'x9.mega' })));
    expect(refused.code).toBe('bad_request');
    expect(refused.userMessage).toContain('x9.mega is not a valid instance type');
    expect((await provider().execute(act('resize', 'api-dev-1', { size: 't3.large' }))).summary).toContain(
      'already t3.large',
    );
  });

  it('translates NotFound and refuses non-instance targets', async () => {
    const p = provider();
    const missing = {
      action: 'stop' as const,
      target: {
        provider: 'aws',
        account: '123456789012',
        region: 'us-east-1',
        type: 'instance',
        id: 'i-0123456789abcdef0',
      },
      params: {},
    };
    const err = await rejectedAppError(p.execute(missing));
    expect(err.code).toBe('not_found');
    expect(err.userMessage).toBe(
      "AWS could not find it while stopping i-0123456789abcdef0 in us-east-1: The instance ID 'i-0123456789abcdef0' does not exist",
    );
    expect(
      (await rejectedAppError(p.execute({ ...missing, target: { ...missing.target, type: 'volume' } }))).code,
    ).toBe('bad_request');
  });
});

describe('AwsProvider.describe', () => {
  it('reads one instance as the listing would, null for one that is gone, and refuses another type', async () => {
    const p = provider();
    const { target } = act('stop', 'web-dev-1');
    await p.execute(act('stop', 'web-dev-1'));
    const one = await p.describe(target);
    const listed = (await listAll(p)).find((r) => r.id === target.id);
    expect(one).toEqual(listed);
    expect(Resource.parse(one)).toMatchObject({ state: 'stopped', monthlyCostCents: 0 });
    expect(await p.describe({ ...target, id: 'i-0000000000000dead' })).toBeNull();
    // Null would mark a volume gone: a type it cannot read one by one is refused (the next sync reads it).
    expect((await rejectedAppError(p.describe({ ...target, type: 'volume' }))).code).toBe('bad_request');
  });

  it('throws a translated error when the cloud fails', async () => {
    const p = provider({ endpoint: 'http://127.0.0.1:9' });
    expect((await rejectedAppError(p.describe(act('stop', 'web-dev-1').target))).code).toBe('cloud_error');
  });
});
