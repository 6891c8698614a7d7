import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { AwsProvider } from '../../src/cloud/aws/provider.ts';
import type { AwsProviderOptions } from '../../src/cloud/aws/provider.ts';
import { instanceMonthlyCents } from '../../src/cloud/aws/pricing.ts';
import type { ResourceAction } from '../../src/cloud/provider.ts';
import { Resource } from '../../src/cloud/resource.ts';
import { startSandbox } from '../../src/cloud/sandbox/server.ts';
import type { Sandbox } from '../../src/cloud/sandbox/server.ts';
import { AppError } from '../../src/errors.ts';
import { createMetrics } from '../../src/observability/metrics.ts';

const now = new Date('2026-11-01T12:00:00Z');
let sandbox: Sandbox;
const providers: AwsProvider[] = [];

const provider = (opts: Partial<AwsProviderOptions> = {}): AwsProvider => {
  const p = new AwsProvider({
    regions: ['us-east-1', 'eu-west-1'],
    endpoint: sandbox.url,
    sandbox: true,
    credentials: { accessKeyId: 'AKIDSANDBOX', secretAccessKey: 'secret' },
    now: () => now,
    maxAttempts: 1,
    wait: { attempts: 5, delayMs: 1000, sleep: async () => undefined },
    ...opts,
  });
  providers.push(p);
  return p;
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

const failure = async (p: Promise<unknown>): Promise<AppError> => {
  try {
    await p;
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('expected an AppError');
};

beforeEach(async () => {
  sandbox = await startSandbox({ now: () => now });
});
afterEach(async () => {
  for (const p of providers.splice(0)) p.destroy();
  await sandbox.stop();
});

describe('AwsProvider.listResources against the sandbox fleet', () => {
  it('lists every owned resource of both regions, normalized and valid', async () => {
    const all = await provider().listResources();
    for (const r of all) Resource.parse(r);
    const count = (type: string) => all.filter((r) => r.type === type).length;
    expect([count('instance'), count('volume'), count('snapshot'), count('security_group')]).toEqual([19, 6, 5, 8]);
    expect(new Set(all.map((r) => r.account))).toEqual(new Set(['123456789012']));
    expect(new Set(all.map((r) => r.environment))).toEqual(new Set(['prod', 'staging', 'dev', 'unknown']));
    expect(all.every((r) => r.seenAt === now)).toBe(true);
    expect(all.some((r) => r.attributes.description === 'Amazon Linux 2023 AMI public snapshot')).toBe(false);
  });

  it('contains the idle dev instances, the unattached volume, the year-old snapshot and the world-open SSH group', async () => {
    const all = await provider().listResources();
    const idle = all.filter(
      (r) =>
        r.type === 'instance' && r.environment === 'dev' && r.state === 'running' && Number(r.attributes.cpuAvg7d) < 5,
    );
    expect(idle.map((r) => r.name).sort()).toEqual(['api-dev-1', 'ml-dev-1', 'web-dev-1']);
    const unattached = all.filter((r) => r.type === 'volume' && r.attributes.attachedTo === null);
    expect(unattached).toMatchObject([
      {
        name: 'old-migration-data',
        state: 'available',
        region: 'eu-west-1',
        monthlyCostCents: 2500,
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

  it('prices running instances from the table and stopped ones at zero compute', async () => {
    const all = await provider().listResources();
    const web = all.find((r) => r.name === 'web-prod-1');
    expect(web).toMatchObject({
      state: 'running',
      monthlyCostCents: instanceMonthlyCents('m5.large'),
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

  it('reads the sandbox CPU tag only in sandbox mode', async () => {
    const real = await provider({ sandbox: false, regions: ['eu-west-1'] }).listResources();
    expect(real.find((r) => r.name === 'web-dev-1')?.attributes).not.toHaveProperty('cpuAvg7d');
  });

  it('follows NextToken on every Describe call with a small page size', async () => {
    await provider({ pageSize: 5, regions: ['us-east-1'] }).listResources();
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
    const err = await failure(provider({ metrics }).listResources());
    expect(err.code).toBe('auth_failed');
    expect(err.userMessage).toMatch(/listing EC2 resources in (us-east-1|eu-west-1).*UnauthorizedOperation/);
    const calls = await metrics.registry.getSingleMetricAsString('devops_agent_cloud_calls_total');
    expect(calls).toContain(
      'devops_agent_cloud_calls_total{provider="aws",operation="DescribeVolumes",outcome="error"} 1',
    );
    expect(calls).toMatch(/operation="DescribeInstances",outcome="ok"\} [1-9]/);
  });

  it('reports throttling as rate_limited and a dead endpoint as cloud_error', async () => {
    sandbox.failNext('*', { code: 'RequestLimitExceeded', message: 'Request limit exceeded.', status: 503 });
    expect((await failure(provider({ regions: ['us-east-1'] }).listResources())).code).toBe('rate_limited');
    const dead = provider({ endpoint: 'http://127.0.0.1:9', regions: ['us-east-1'] });
    const err = await failure(dead.listResources());
    expect(err.code).toBe('cloud_error');
    expect(err.userMessage).toContain('Could not reach AWS');
  });
});

describe('AwsProvider.execute', () => {
  it('offers instance actions and priced sizes only', () => {
    const p = provider();
    expect(p.actionsFor('instance')).toEqual(['start', 'stop', 'reboot', 'resize']);
    expect(p.actionsFor('volume')).toEqual([]);
    expect(p.sizesFor('instance')).toContain('t3.large');
    expect(p.sizesFor('snapshot')).toEqual([]);
  });

  it('stops and starts, returning the previous state as rollback data', async () => {
    const p = provider();
    const stopped = await p.execute(act('stop', 'web-dev-1'));
    expect(stopped).toEqual({
      summary: `web-dev-1 (${fleetInstance('web-dev-1').id}) stopping (was running)`,
      newState: 'stopping',
      previous: { state: 'running' },
    });
    const listed = await p.listResources();
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
    const err = await failure(p.execute(act('reboot', 'worker-dev-1')));
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
    const err = await failure(
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
    const err = await failure(provider().execute(act('resize', 'api-dev-1', { size: 't3.medium' })));
    expect(err.code).toBe('cloud_error');
    expect(err.userMessage).toContain('It was started again as t3.large.');
    expect(fleetInstance('api-dev-1')).toMatchObject({ instanceType: 't3.large', state: 'pending' });
  });

  it('validates the size before touching the instance', async () => {
    const err = await failure(provider().execute(act('resize', 'api-dev-1', { size: 'x9.mega' })));
    expect(err.code).toBe('bad_request');
    expect(sandbox.requests.map((r) => r.action)).toEqual(['DescribeInstances']);
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
    const err = await failure(p.execute(missing));
    expect(err.code).toBe('not_found');
    expect(err.userMessage).toBe(
      "AWS could not find it while stopping i-0123456789abcdef0 in us-east-1: The instance ID 'i-0123456789abcdef0' does not exist",
    );
    expect((await failure(p.execute({ ...missing, target: { ...missing.target, type: 'volume' } }))).code).toBe(
      'bad_request',
    );
  });
});

describe('AwsProvider.describe', () => {
  it('reads one instance as the listing would, and null for one that is gone or not an instance', async () => {
    const p = provider();
    const { target } = act('stop', 'web-dev-1');
    await p.execute(act('stop', 'web-dev-1'));
    const one = await p.describe(target);
    const listed = (await p.listResources()).find((r) => r.id === target.id);
    expect(one).toEqual(listed);
    expect(Resource.parse(one)).toMatchObject({ state: 'stopped', monthlyCostCents: 0 });
    expect(await p.describe({ ...target, id: 'i-0000000000000dead' })).toBeNull();
    expect(await p.describe({ ...target, type: 'volume' })).toBeNull();
  });

  it('throws a translated error when the cloud fails', async () => {
    const p = provider({ endpoint: 'http://127.0.0.1:9' });
    expect((await failure(p.describe(act('stop', 'web-dev-1').target))).code).toBe('cloud_error');
  });
});
