import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  DescribeAddressesCommand,
  DescribeAvailabilityZonesCommand,
  DescribeFlowLogsCommand,
  DescribeInstanceStatusCommand,
  DescribeInstanceTypesCommand,
  DescribeInstancesCommand,
  DescribeNatGatewaysCommand,
  DescribeTagsCommand,
  DescribeVpcsCommand,
  EC2Client,
  ModifyInstanceAttributeCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  paginateDescribeInstanceTypes,
} from '@aws-sdk/client-ec2';
import {
  DescribeListenersCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  paginateDescribeLoadBalancers,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { sandboxSecondAccount, sandboxSecondRoleArn } from '../../src/cloud/sandbox/fleet.ts';
import { startSandbox } from '../../src/cloud/sandbox/server.ts';
import type { Sandbox, SandboxOptions } from '../../src/cloud/sandbox/server.ts';

/**
 * The sandbox's AWS emulators as the official SDKs and the AWS CLI speak to them: the EC2 calls
 * the CLI and the inventory make, timed transitions, STS sessions, ELBv2 paging and target
 * health, CloudWatch's limits.
 */

let clock = new Date('2026-11-01T12:00:00Z');
let sandbox: Sandbox;
const clients: Array<{ destroy(): void }> = [];
const credentials = { accessKeyId: 'AKIDSANDBOX', secretAccessKey: 'secret' };

const start = async (opts: SandboxOptions = {}) => {
  sandbox = await startSandbox({ now: () => clock, ...opts });
};
const client = <C extends { destroy(): void }>(
  make: (cfg: { region: string; endpoint: string; credentials: typeof credentials; maxAttempts: number }) => C,
  region = 'us-east-1',
): C => {
  const c = make({ region, endpoint: sandbox.url, credentials, maxAttempts: 1 });
  clients.push(c);
  return c;
};
const ec2 = (region = 'us-east-1') => client((cfg) => new EC2Client(cfg), region);
const named = (name: string) => sandbox.fleet.instances.find((i) => i.tags.Name === name)!;
const errorOf = async (
  p: Promise<unknown>,
): Promise<{ name: string; message: string; $metadata?: { httpStatusCode?: number } }> => {
  try {
    await p;
  } catch (e) {
    return e as never;
  }
  throw new Error('expected a failure');
};

/** What `aws ec2 describe-volumes` sends: a form POST with MaxResults=1000, SigV4-signed (the sandbox reads only the scope). */
const cliRequest = (body: string) =>
  fetch(sandbox.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
      authorization:
        'AWS4-HMAC-SHA256 Credential=AKIDSANDBOX/20261101/us-east-1/ec2/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=0000',
      'x-amz-date': '20261101T120000Z',
    },
    body,
  });

beforeEach(() => {
  clock = new Date('2026-11-01T12:00:00Z');
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await sandbox.stop();
});

describe('EC2 as the AWS CLI calls it', () => {
  beforeEach(() => start());

  it('answers Action=DescribeVolumes&MaxResults=1000, and refuses more than 1000 as EC2 does', async () => {
    const ok = await cliRequest('Action=DescribeVolumes&Version=2016-11-15&MaxResults=1000');
    expect(ok.status).toBe(200);
    const body = await ok.text();
    expect(body.match(/<volumeType>/g)).toHaveLength(3);
    expect(body).not.toContain('<nextToken>');
    const tooMany = await cliRequest('Action=DescribeVolumes&Version=2016-11-15&MaxResults=1001');
    expect(tooMany.status).toBe(400);
    expect(await tooMany.text()).toContain('<Code>InvalidParameterValue</Code>');
  });

  it('lists the instance types page by page, and names unknown ones', async () => {
    const c = ec2();
    const pages: number[] = [];
    const types: string[] = [];
    for await (const page of paginateDescribeInstanceTypes({ client: c, pageSize: 10 }, {})) {
      pages.push(page.InstanceTypes?.length ?? 0);
      types.push(...(page.InstanceTypes ?? []).map((t) => String(t.InstanceType)));
    }
    expect(pages).toEqual([10, 10, 10, 10, 6]);
    expect(types).toContain('t3.micro');
    const one = await c.send(new DescribeInstanceTypesCommand({ InstanceTypes: ['r5.xlarge'] }));
    expect(one.InstanceTypes?.[0]).toMatchObject({ VCpuInfo: { DefaultVCpus: 4 }, MemoryInfo: { SizeInMiB: 32768 } });
    const err = await errorOf(c.send(new DescribeInstanceTypesCommand({ InstanceTypes: ['t3.humongous' as never] })));
    expect(err.name).toBe('InvalidInstanceType');
    expect((await errorOf(c.send(new DescribeInstanceTypesCommand({ MaxResults: 101 })))).name).toBe(
      'InvalidParameterValue',
    );
  });

  it('changes an instance type only to one DescribeInstanceTypes lists', async () => {
    const c = ec2();
    const id = named('worker-staging-1').id;
    const err = await errorOf(
      c.send(new ModifyInstanceAttributeCommand({ InstanceId: id, InstanceType: { Value: 'm9.huge' } })),
    );
    expect(err.name).toBe('InvalidInstanceAttributeValue');
    expect(err.message).toContain('m9.huge is not a valid instance type');
    await c.send(new ModifyInstanceAttributeCommand({ InstanceId: id, InstanceType: { Value: 'c7i.large' } }));
    expect(named('worker-staging-1').instanceType).toBe('c7i.large');
  });

  it('escapes what it writes: a tag value with XML metacharacters comes back unchanged', async () => {
    const odd = `R&D <ops> "quoted" 'single'`;
    named('web-prod-1').tags.team = odd;
    const out = await ec2().send(new DescribeInstancesCommand({ InstanceIds: [named('web-prod-1').id] }));
    expect(out.Reservations?.[0]?.Instances?.[0]?.Tags).toContainEqual({ Key: 'team', Value: odd });
  });

  it('serves availability zones, the tag index, addresses, NAT gateways, VPCs and flow logs', async () => {
    const c = ec2();
    const eu = ec2('eu-west-1');
    const zones = await c.send(new DescribeAvailabilityZonesCommand({}));
    expect(zones.AvailabilityZones?.map((z) => z.ZoneName)).toEqual(['us-east-1a', 'us-east-1b', 'us-east-1c']);
    const tags = await c.send(
      new DescribeTagsCommand({
        Filters: [
          { Name: 'resource-type', Values: ['instance'] },
          { Name: 'key', Values: ['env'] },
          { Name: 'value', Values: ['staging'] },
        ],
      }),
    );
    expect(tags.Tags?.map((t) => t.ResourceId).sort()).toEqual(
      ['web-staging-1', 'api-staging-1', 'worker-staging-1', 'db-staging-1'].map((n) => named(n).id).sort(),
    );
    const idle = await eu.send(new DescribeAddressesCommand({}));
    expect(idle.Addresses).toMatchObject([{ PublicIp: '203.0.113.101', Domain: 'vpc' }]);
    expect(idle.Addresses?.[0]?.InstanceId).toBeUndefined();
    const used = await c.send(
      new DescribeAddressesCommand({ Filters: [{ Name: 'instance-id', Values: [named('bastion-prod').id] }] }),
    );
    expect(used.Addresses).toHaveLength(1);
    const nats = await c.send(new DescribeNatGatewaysCommand({}));
    expect(nats.NatGateways).toMatchObject([{ State: 'available', NatGatewayAddresses: [{ IsPrimary: true }] }]);
    const vpcs = await eu.send(new DescribeVpcsCommand({}));
    expect(vpcs.Vpcs).toMatchObject([{ IsDefault: true, CidrBlock: '10.1.0.0/16', OwnerId: '123456789012' }]);
    expect((await eu.send(new DescribeFlowLogsCommand({}))).FlowLogs).toEqual([]);
    const usVpc = (await c.send(new DescribeVpcsCommand({}))).Vpcs![0]!.VpcId!;
    const logs = await c.send(new DescribeFlowLogsCommand({ Filter: [{ Name: 'resource-id', Values: [usVpc] }] }));
    expect(logs.FlowLogs).toMatchObject([{ ResourceId: usVpc, FlowLogStatus: 'ACTIVE', TrafficType: 'ALL' }]);
  });

  it('reports status checks for running instances, and every instance with IncludeAllInstances', async () => {
    const c = ec2();
    const running = await c.send(new DescribeInstanceStatusCommand({}));
    expect(running.InstanceStatuses).toHaveLength(10);
    expect(running.InstanceStatuses?.[0]).toMatchObject({
      InstanceStatus: { Status: 'ok' },
      SystemStatus: { Status: 'ok' },
    });
    const all = await c.send(new DescribeInstanceStatusCommand({ IncludeAllInstances: true }));
    expect(all.InstanceStatuses).toHaveLength(11);
    expect(all.InstanceStatuses?.find((s) => s.InstanceId === named('worker-staging-1').id)).toMatchObject({
      InstanceState: { Name: 'stopped' },
      InstanceStatus: { Status: 'not-applicable' },
    });
  });
});

describe('timed transitions', () => {
  it('keeps stopping and pending visible for transitionMs of the sandbox clock', async () => {
    await start({ transitionMs: 2000 });
    const c = ec2('eu-west-1');
    const id = named('web-dev-1').id;
    const state = async () =>
      (await c.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations?.[0]?.Instances?.[0]?.State
        ?.Name;
    await c.send(new StopInstancesCommand({ InstanceIds: [id] }));
    // However often it is described, it is still stopping until the time has passed.
    for (let k = 0; k < 5; k++) expect(await state()).toBe('stopping');
    clock = new Date(clock.getTime() + 1999);
    expect(await state()).toBe('stopping');
    const status = await c.send(new DescribeInstanceStatusCommand({ InstanceIds: [id], IncludeAllInstances: true }));
    expect(status.InstanceStatuses?.[0]?.InstanceState?.Name).toBe('stopping');
    clock = new Date(clock.getTime() + 1);
    expect(await state()).toBe('stopped');
    await c.send(new StartInstancesCommand({ InstanceIds: [id] }));
    expect(await state()).toBe('pending');
    clock = new Date(clock.getTime() + 2000);
    expect(await state()).toBe('running');
  });

  it('still counts describes when a test asks for transitionDescribes', async () => {
    await start({ transitionDescribes: 2 });
    const c = ec2('eu-west-1');
    const id = named('web-dev-1').id;
    await c.send(new StopInstancesCommand({ InstanceIds: [id] }));
    const state = async () =>
      (await c.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations?.[0]?.Instances?.[0]?.State
        ?.Name;
    expect(await state()).toBe('stopping');
    expect(await state()).toBe('stopped');
  });
});

describe('STS', () => {
  beforeEach(() => start());

  it('hands out a session that acts in the role’s account until it expires', async () => {
    const sts = client((cfg) => new STSClient(cfg));
    expect((await sts.send(new GetCallerIdentityCommand({}))).Account).toBe('123456789012');
    const out = await sts.send(
      new AssumeRoleCommand({ RoleArn: sandboxSecondRoleArn, RoleSessionName: 'tests', DurationSeconds: 900 }),
    );
    expect(out.Credentials?.Expiration).toEqual(new Date(clock.getTime() + 900_000));
    const session = {
      accessKeyId: out.Credentials!.AccessKeyId!,
      secretAccessKey: out.Credentials!.SecretAccessKey!,
      sessionToken: out.Credentials!.SessionToken!,
    };
    const asRole = client((cfg) => new STSClient({ ...cfg, credentials: session }));
    expect(await asRole.send(new GetCallerIdentityCommand({}))).toMatchObject({
      Account: sandboxSecondAccount,
      Arn: `arn:aws:sts::${sandboxSecondAccount}:assumed-role/DevOpsAgentRead/tests`,
    });
    clock = new Date(clock.getTime() + 900_000);
    const expired = await errorOf(asRole.send(new GetCallerIdentityCommand({})));
    expect(expired.name).toBe('ExpiredToken');
    const bad = await errorOf(
      sts.send(new AssumeRoleCommand({ RoleArn: sandboxSecondRoleArn, RoleSessionName: 'x y', DurationSeconds: 900 })),
    );
    expect(bad.name).toBe('ValidationError');
    const short = await errorOf(
      sts.send(new AssumeRoleCommand({ RoleArn: sandboxSecondRoleArn, RoleSessionName: 'ok', DurationSeconds: 60 })),
    );
    expect(short.message).toContain('between 900 and 43200');
  });
});

describe('ELBv2', () => {
  beforeEach(() => start());

  it('pages load balancers with Marker, and reports the stopped target unused until it runs', async () => {
    const elb = client((cfg) => new ElasticLoadBalancingV2Client(cfg));
    const names: string[] = [];
    for await (const page of paginateDescribeLoadBalancers({ client: elb }, { PageSize: 1 }))
      names.push(...(page.LoadBalancers ?? []).map((b) => b.LoadBalancerName ?? ''));
    expect(names).toEqual(['web-prod-alb', 'api-prod-nlb', 'checkout-prod-alb']);
    const markers = sandbox.requests
      .filter((r) => r.action === 'DescribeLoadBalancers')
      .map((r) => r.params.Marker !== undefined);
    expect(markers).toEqual([false, true, true]);

    const eu = client((cfg) => new ElasticLoadBalancingV2Client(cfg), 'eu-west-1');
    const legacy = sandbox.fleet.loadBalancers.find((b) => b.name === 'legacy-dev-alb')!;
    const listeners = await eu.send(new DescribeListenersCommand({ LoadBalancerArn: legacy.arn }));
    const tg = listeners.Listeners?.[0]?.DefaultActions?.[0]?.TargetGroupArn;
    const health = async () =>
      (await eu.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg }))).TargetHealthDescriptions?.[0]
        ?.TargetHealth;
    expect(await health()).toEqual({
      State: 'unused',
      Reason: 'Target.InvalidState',
      Description: 'Target is in the stopped state',
    });
    named('worker-dev-1').state = 'running';
    expect(await health()).toEqual({ State: 'healthy' });
    const missing = await errorOf(eu.send(new DescribeTargetHealthCommand({ TargetGroupArn: `${tg}0` })));
    expect(missing.name).toBe('TargetGroupNotFoundException');
  });
});

describe('CloudWatch', () => {
  beforeEach(() => start());

  it('refuses more than 500 queries in one call, as CloudWatch does', async () => {
    const cw = client((cfg) => new CloudWatchClient(cfg));
    const queries = Array.from({ length: 501 }, (_, k) => ({
      Id: `q${k}`,
      MetricStat: { Metric: { Namespace: 'AWS/EC2', MetricName: 'CPUUtilization' }, Period: 86_400, Stat: 'Average' },
    }));
    const err = await errorOf(
      cw.send(
        new GetMetricDataCommand({
          MetricDataQueries: queries,
          StartTime: new Date('2026-10-01'),
          EndTime: new Date('2026-10-02'),
        }),
      ),
    );
    expect(err.message).toContain('must not have a size greater than 500');
    expect(err.$metadata?.httpStatusCode).toBe(400);
  });
});
