import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import {
  DescribeInstancesCommand,
  DescribeRegionsCommand,
  DescribeSecurityGroupsCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  EC2Client,
  ModifyInstanceAttributeCommand,
  RebootInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  paginateDescribeInstances,
} from '@aws-sdk/client-ec2';
import type { Instance } from '@aws-sdk/client-ec2';
import { startSandbox } from '../../src/cloud/sandbox/server.ts';
import type { Sandbox } from '../../src/cloud/sandbox/server.ts';
import { awsSdkRejection } from '../helpers/cloud.ts';

// The real @aws-sdk/client-ec2 against the sandbox: what goes over the wire and what the SDK parses.
const now = new Date('2026-11-01T12:00:00Z');
let sandbox: Sandbox;
const clients: EC2Client[] = [];

const ec2 = (region: string, accessKeyId = 'AKIDSANDBOX'): EC2Client => {
  const client = new EC2Client({
    region,
    endpoint: sandbox.url,
    credentials: { accessKeyId, secretAccessKey: 'secret' },
    maxAttempts: 1,
  });
  clients.push(client);
  return client;
};

const byName = (name: string) => {
  const found = sandbox.fleet.instances.find((i) => i.tags.Name === name);
  if (!found) throw new Error(`no ${name} in the fleet`);
  return found;
};

const describeOne = async (client: EC2Client, id: string): Promise<Instance> => {
  const out = await client.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
  return out.Reservations?.[0]?.Instances?.[0] as Instance;
};

beforeEach(async () => {
  sandbox = await startSandbox({ now: () => now });
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await sandbox.stop();
});

describe('sandbox EC2 Query API, driven by the real SDK', () => {
  it('pages DescribeInstances with MaxResults/NextToken until every instance of the region is seen', async () => {
    const client = ec2('us-east-1');
    const pages: number[] = [];
    const ids: string[] = [];
    for await (const page of paginateDescribeInstances({ client, pageSize: 5 }, {})) {
      pages.push(page.Reservations?.length ?? 0);
      for (const r of page.Reservations ?? []) for (const i of r.Instances ?? []) ids.push(i.InstanceId ?? '');
    }
    const expected = sandbox.fleet.instances.filter((i) => i.region === 'us-east-1').map((i) => i.id);
    expect(pages).toEqual([5, 5, 1]);
    expect(ids).toEqual(expected);
    const calls = sandbox.requests.filter((r) => r.action === 'DescribeInstances');
    expect(calls.map((r) => r.params.MaxResults)).toEqual(['5', '5', '5']);
    expect(calls[0]?.params.NextToken).toBeUndefined();
    expect(calls[1]?.params.NextToken).toEqual(expect.any(String));
  });

  it('takes the region from the SigV4 credential scope', async () => {
    const eu = await ec2('eu-west-1').send(new DescribeInstancesCommand({}));
    const names = eu.Reservations?.flatMap((r) => r.Instances ?? []).map(
      (i) => i.Tags?.find((t) => t.Key === 'Name')?.Value,
    );
    expect(names).toContain('ml-dev-1');
    expect(names).not.toContain('db-prod-1');
    expect(sandbox.requests.at(-1)?.region).toBe('eu-west-1');
  });

  it('applies filters: values OR-ed with wildcards, filters AND-ed, unknown filter refused', async () => {
    const client = ec2('eu-west-1');
    const out = await client.send(
      new DescribeInstancesCommand({
        Filters: [
          { Name: 'tag:env', Values: ['de*'] },
          { Name: 'instance-type', Values: ['t3.large', 'm5.*'] },
        ],
      }),
    );
    const names = out.Reservations?.flatMap((r) => r.Instances ?? [])
      .map((i) => i.Tags?.find((t) => t.Key === 'Name')?.Value)
      .sort();
    expect(names).toEqual(['api-dev-1', 'ml-dev-1']);
    const stopped = await ec2('us-east-1').send(
      new DescribeInstancesCommand({ Filters: [{ Name: 'instance-state-name', Values: ['stopped'] }] }),
    );
    expect(stopped.Reservations?.flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId)).toEqual([
      byName('worker-staging-1').id,
    ]);
    const bad = await awsSdkRejection(
      client.send(new DescribeInstancesCommand({ Filters: [{ Name: 'colour', Values: ['blue'] }] })),
    );
    expect(bad).toMatchObject({ name: 'InvalidParameterValue', status: 400 });
  });

  it('answers EC2 id errors: NotFound, Malformed, and MaxResults with ids', async () => {
    const client = ec2('us-east-1');
    const missing = await awsSdkRejection(
      client.send(new DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] })),
    );
    expect(missing).toEqual({
      name: 'InvalidInstanceID.NotFound',
      message: "The instance ID 'i-0123456789abcdef0' does not exist",
      status: 400,
    });
    expect(await awsSdkRejection(client.send(new StopInstancesCommand({ InstanceIds: ['web-prod-1'] })))).toMatchObject(
      {
        name: 'InvalidInstanceID.Malformed',
      },
    );
    expect(
      await awsSdkRejection(
        client.send(new DescribeInstancesCommand({ InstanceIds: [byName('web-prod-1').id], MaxResults: 5 })),
      ),
    ).toMatchObject({ name: 'InvalidParameterCombination' });
    // An instance of the other region does not exist here, as on AWS.
    expect(
      await awsSdkRejection(client.send(new DescribeInstancesCommand({ InstanceIds: [byName('ml-dev-1').id] }))),
    ).toMatchObject({ name: 'InvalidInstanceID.NotFound' });
  });

  it('stops to "stopping", settles on the next describe, and starts back through "pending"', async () => {
    const client = ec2('us-east-1');
    const id = byName('web-prod-1').id;
    const stop = await client.send(new StopInstancesCommand({ InstanceIds: [id] }));
    expect(stop.StoppingInstances).toEqual([
      { InstanceId: id, PreviousState: { Code: 16, Name: 'running' }, CurrentState: { Code: 64, Name: 'stopping' } },
    ]);
    expect((await describeOne(client, id)).State?.Name).toBe('stopped');
    const start = await client.send(new StartInstancesCommand({ InstanceIds: [id] }));
    expect(start.StartingInstances?.[0]?.CurrentState?.Name).toBe('pending');
    const running = await describeOne(client, id);
    expect(running.State?.Name).toBe('running');
    expect(running.LaunchTime).toEqual(now);
  });

  it('refuses to start an instance that is still stopping, and to reboot a stopped one', async () => {
    const client = ec2('us-east-1');
    const id = byName('api-prod-1').id;
    await client.send(new StopInstancesCommand({ InstanceIds: [id] }));
    expect(await awsSdkRejection(client.send(new StartInstancesCommand({ InstanceIds: [id] })))).toMatchObject({
      name: 'IncorrectInstanceState',
      status: 400,
    });
    const stoppedId = byName('worker-staging-1').id;
    expect(await awsSdkRejection(client.send(new RebootInstancesCommand({ InstanceIds: [stoppedId] })))).toMatchObject({
      name: 'IncorrectInstanceState',
    });
  });

  it('refuses ModifyInstanceAttribute on a running instance and applies it once stopped', async () => {
    const client = ec2('eu-west-1');
    const id = byName('api-dev-1').id;
    const refused = await awsSdkRejection(
      client.send(new ModifyInstanceAttributeCommand({ InstanceId: id, InstanceType: { Value: 't3.small' } })),
    );
    expect(refused).toEqual({
      name: 'IncorrectInstanceState',
      message: `The instance '${id}' is not in the 'stopped' state.`,
      status: 400,
    });
    expect(byName('api-dev-1').instanceType).toBe('t3.large');
    await client.send(new StopInstancesCommand({ InstanceIds: [id] }));
    await describeOne(client, id);
    const invalid = await awsSdkRejection(
      client.send(new ModifyInstanceAttributeCommand({ InstanceId: id, InstanceType: { Value: 't3.gigantic' } })),
    );
    expect(invalid.name).toBe('InvalidInstanceAttributeValue');
    await client.send(new ModifyInstanceAttributeCommand({ InstanceId: id, InstanceType: { Value: 't3.small' } }));
    expect((await describeOne(client, id)).InstanceType).toBe('t3.small');
  });

  it('lists only own snapshots with Owner=self, and volumes, groups and regions as EC2 shapes them', async () => {
    const client = ec2('us-east-1');
    const own = await client.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }));
    const all = await client.send(new DescribeSnapshotsCommand({}));
    expect(own.Snapshots?.every((s) => s.OwnerId === '123456789012')).toBe(true);
    expect((all.Snapshots?.length ?? 0) - (own.Snapshots?.length ?? 0)).toBe(1);
    expect(own.Snapshots?.find((s) => s.Tags?.some((t) => t.Value === 'legacy-db-backup'))?.StartTime).toBeInstanceOf(
      Date,
    );
    const volumes = await client.send(
      new DescribeVolumesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [byName('db-prod-1').id] }] }),
    );
    expect(volumes.Volumes).toMatchObject([
      { Size: 500, VolumeType: 'gp3', State: 'in-use', Attachments: [{ InstanceId: byName('db-prod-1').id }] },
    ]);
    const groups = await ec2('eu-west-1').send(
      new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'ip-permission.from-port', Values: ['22'] }] }),
    );
    expect(groups.SecurityGroups).toMatchObject([
      {
        GroupName: 'dev-ssh-open',
        IpPermissions: [
          { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
          { IpProtocol: '-1' },
        ],
      },
    ]);
    const regions = await client.send(new DescribeRegionsCommand({}));
    expect(regions.Regions?.map((r) => r.RegionName)).toEqual(['us-east-1', 'eu-west-1']);
  });

  it('answers injected faults with the given code and status', async () => {
    sandbox.failNext('DescribeVolumes', {
      code: 'UnauthorizedOperation',
      message: 'You are not authorized to perform this operation.',
      status: 403,
    });
    const client = ec2('us-east-1');
    expect(await awsSdkRejection(client.send(new DescribeVolumesCommand({})))).toMatchObject({
      name: 'UnauthorizedOperation',
      status: 403,
    });
    await expect(client.send(new DescribeVolumesCommand({}))).resolves.toBeDefined();
  });
});

describe('sandbox wire format', () => {
  const post = (
    body: string,
    headers: Record<string, string> = {
      authorization:
        'AWS4-HMAC-SHA256 Credential=AKID/20261101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=00',
    },
  ) =>
    fetch(sandbox.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body,
    });

  it('answers XML in the 2016-11-15 namespace with a requestId', async () => {
    const res = await post('Action=DescribeRegions&Version=2016-11-15');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/xml');
    const xml = await res.text();
    expect(xml).toMatch(
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<DescribeRegionsResponse xmlns="http:\/\/ec2.amazonaws.com\/doc\/2016-11-15\/"><requestId>[0-9a-f-]{36}<\/requestId><regionInfo><item><regionName>us-east-1<\/regionName>/,
    );
  });

  it('answers an unknown action with InvalidAction in the EC2 error envelope', async () => {
    const res = await post('Action=LaunchRocket&Version=2016-11-15');
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(
      /<Response><Errors><Error><Code>InvalidAction<\/Code><Message>The action LaunchRocket is not valid for this web service.<\/Message><\/Error><\/Errors><RequestID>[0-9a-f-]{36}<\/RequestID><\/Response>$/,
    );
  });

  it('requires an Authorization header and the 2016-11-15 Version', async () => {
    const anonymous = await post('Action=DescribeInstances&Version=2016-11-15', {});
    expect(anonymous.status).toBe(401);
    expect(await anonymous.text()).toContain('<Code>MissingAuthenticationToken</Code>');
    const oldVersion = await post('Action=DescribeInstances&Version=2014-10-01');
    expect(oldVersion.status).toBe(400);
    expect(await oldVersion.text()).toContain('<Code>NoSuchVersion</Code>');
  });
});
