import { describe, expect, it } from '@jest/globals';
import { translateAwsError } from '../../src/cloud/aws/errors.ts';
import {
  addressResource,
  ingressRule,
  instanceResource,
  loadBalancerResource,
  natGatewayResource,
  volumeResource,
  vpcResource,
} from '../../src/cloud/aws/normalize.ts';
import { monthlyCents, pricedKeys } from '../../src/cloud/pricing/index.ts';
import { AppError } from '../../src/errors.ts';

const ctx = { account: '111122223333', region: 'eu-west-1', seenAt: new Date('2026-11-01T00:00:00Z'), sandbox: false };
const sdkError = (name: string, message = `${name} happened`) =>
  Object.assign(new Error(message), { name, $fault: 'client' });

describe('AWS price table', () => {
  it('turns hourly and GB-month prices into integer monthly cents', () => {
    expect(monthlyCents('aws', 'instance', 't3.micro', 'us-east-1')).toBe(759);
    expect(monthlyCents('aws', 'instance', 'm5.large', 'us-east-1')).toBe(7008);
    expect(monthlyCents('aws', 'instance', 'z1d.metal', 'us-east-1')).toBeUndefined();
    expect(monthlyCents('aws', 'disk', 'gp3', 'us-east-1', 100)).toBe(800);
    expect(monthlyCents('aws', 'disk', 'magnetic-tape', 'us-east-1', 100)).toBeUndefined();
    expect(monthlyCents('aws', 'snapshot', 'standard', 'us-east-1', 300)).toBe(1500);
    expect(pricedKeys('aws', 'instance', 'us-east-1')).toContain('r5.xlarge');
  });

  it('prices public IPs, load balancers and NAT gateways per hour, and leaves unknown regions unpriced', () => {
    expect(monthlyCents('aws', 'ip_address', 'idle', 'eu-west-1')).toBe(365);
    expect(monthlyCents('aws', 'ip_address', 'in_use', 'us-east-1')).toBe(365);
    expect(monthlyCents('aws', 'load_balancer', 'application', 'us-east-1')).toBe(1643);
    expect(monthlyCents('aws', 'load_balancer', 'network', 'eu-west-1')).toBe(1840);
    expect(monthlyCents('aws', 'nat_gateway', 'standard', 'us-east-1')).toBe(3285);
    expect(monthlyCents('aws', 'instance', 'm7i.large', 'us-east-1')).toBe(7358);
    // Not read for eu-west-1: unpriced there, never borrowed from us-east-1.
    expect(monthlyCents('aws', 'instance', 'm7i.large', 'eu-west-1')).toBeUndefined();
    expect(monthlyCents('aws', 'nat_gateway', 'standard', 'ap-south-1')).toBeUndefined();
  });
});

describe('EC2 → Resource', () => {
  it('charges compute only while running, names from the Name tag, environment from tags', () => {
    const base = {
      InstanceId: 'i-0abc',
      InstanceType: 't3.large' as const,
      Tags: [
        { Key: 'Name', Value: 'api' },
        { Key: 'Stage', Value: 'Prod' },
        { Key: 'sandbox:cpu-avg-7d', Value: '1.5' },
      ],
    };
    const running = instanceResource({ ...base, State: { Name: 'running', Code: 16 } }, ctx, 'impaired');
    expect(running).toMatchObject({
      name: 'api',
      environment: 'prod',
      monthlyCostCents: 6658, // t3.large in eu-west-1
      attributes: { instanceType: 't3.large', launchTime: null, statusChecks: 'impaired' },
    });
    // Metrics are time series now, never a resource attribute (not even from the old sandbox tag).
    expect(running.attributes).not.toHaveProperty('cpuAvg7d');
    expect(
      instanceResource({ ...base, State: { Name: 'stopped', Code: 80 } }, { ...ctx, sandbox: true }),
    ).toMatchObject({ monthlyCostCents: 0, attributes: { statusChecks: null } });
    expect(
      instanceResource(
        { InstanceId: 'i-0def', InstanceType: 'x2gd.metal' as never, State: { Name: 'running', Code: 16 } },
        ctx,
      ),
    ).toMatchObject({ name: 'i-0def', environment: 'unknown', monthlyCostCents: 0, attributes: { priced: false } });
  });

  it('reports unattached volumes with attachedTo null', () => {
    expect(
      volumeResource({ VolumeId: 'vol-1', Size: 50, VolumeType: 'gp2', State: 'available', Attachments: [] }, ctx),
    ).toMatchObject({
      name: 'vol-1',
      state: 'available',
      monthlyCostCents: 550, // 50 GB gp2 in eu-west-1
      attributes: { sizeGb: 50, attachedTo: null },
    });
  });

  it('spells "all traffic" rules out as every port, IPv4 and IPv6 ranges together', () => {
    expect(
      ingressRule({ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [{ CidrIpv6: '::/0' }] }),
    ).toEqual({ protocol: 'all', fromPort: 0, toPort: 65535, cidrs: ['0.0.0.0/0', '::/0'] });
    expect(ingressRule({ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '10.0.0.0/8' }] })).toEqual({
      protocol: 'tcp',
      fromPort: 22,
      toPort: 22,
      cidrs: ['10.0.0.0/8'],
    });
  });
});

describe('EBS, Elastic IP, NAT gateway, VPC and load balancer → Resource', () => {
  it('carries the EBS details: IOPS, throughput, attachments, encryption, key and source snapshot', () => {
    const v = volumeResource(
      {
        VolumeId: 'vol-2',
        Size: 100,
        VolumeType: 'gp3',
        State: 'in-use',
        Iops: 3000,
        Throughput: 125,
        Encrypted: true,
        KmsKeyId: 'arn:aws:kms:eu-west-1:111122223333:key/k1',
        SnapshotId: 'snap-1',
        Attachments: [{ InstanceId: 'i-1', Device: '/dev/sdf', State: 'attached', DeleteOnTermination: true }],
      },
      ctx,
    );
    expect(v.attributes).toMatchObject({
      iops: 3000,
      throughput: 125,
      encrypted: true,
      kmsKeyId: 'arn:aws:kms:eu-west-1:111122223333:key/k1',
      snapshotId: 'snap-1',
      attachedTo: 'i-1',
      attachments: [{ instanceId: 'i-1', device: '/dev/sdf', state: 'attached', deleteOnTermination: true }],
    });
    expect(volumeResource({ VolumeId: 'vol-3', SnapshotId: '' }, ctx).attributes).toMatchObject({
      snapshotId: null,
      kmsKeyId: null,
      iops: null,
    });
  });

  it('marks an unassociated Elastic IP idle and prices it as such', () => {
    const idle = addressResource({ AllocationId: 'eipalloc-1', PublicIp: '203.0.113.9', Domain: 'vpc' }, ctx);
    expect(idle).toMatchObject({
      type: 'ip_address',
      id: 'eipalloc-1',
      name: '203.0.113.9',
      state: 'idle',
      monthlyCostCents: 365,
      attributes: { associatedTo: null, publicIp: '203.0.113.9' },
    });
    expect(
      addressResource({ AllocationId: 'eipalloc-2', PublicIp: '203.0.113.10', InstanceId: 'i-1' }, ctx),
    ).toMatchObject({ state: 'in-use', attributes: { associatedTo: 'i-1' } });
    expect(
      addressResource({ AllocationId: 'eipalloc-3', PublicIp: '203.0.113.11' }, { ...ctx, region: 'ap-south-1' }),
    ).toMatchObject({ monthlyCostCents: 0, attributes: { priced: false } });
  });

  it('bills a NAT gateway while it is available, not once deleting', () => {
    const n = { NatGatewayId: 'nat-1', State: 'available' as const, VpcId: 'vpc-1' };
    expect(natGatewayResource(n, ctx)).toMatchObject({ type: 'nat_gateway', monthlyCostCents: 3504 });
    expect(natGatewayResource({ ...n, State: 'deleting' }, ctx).monthlyCostCents).toBe(0);
  });

  it('says whether a VPC has an active flow log', () => {
    const logs = [{ FlowLogId: 'fl-1', ResourceId: 'vpc-1', FlowLogStatus: 'ACTIVE' }];
    expect(vpcResource({ VpcId: 'vpc-1', IsDefault: true, State: 'available' }, logs, ctx).attributes).toMatchObject({
      flowLogsEnabled: true,
      isDefault: true,
      flowLogIds: ['fl-1'],
    });
    expect(vpcResource({ VpcId: 'vpc-2', State: 'available' }, logs, ctx).attributes).toMatchObject({
      flowLogsEnabled: false,
      isDefault: false,
    });
  });

  it('counts target health per group and calls a balancer without a healthy target idle', () => {
    const lb = {
      LoadBalancerArn: 'arn:lb/app/web/1',
      LoadBalancerName: 'web',
      Type: 'application' as const,
      Scheme: 'internet-facing' as const,
      State: { Code: 'active' as const },
    };
    const group = { TargetGroupArn: 'arn:tg/web/1', TargetGroupName: 'web', Port: 80, Protocol: 'HTTP' as const };
    const health = (...states: string[]) => states.map((State) => ({ TargetHealth: { State: State as never } }));
    const busy = loadBalancerResource(lb, [], [{ group, health: health('healthy', 'unhealthy', 'unused') }], {}, ctx);
    expect(busy).toMatchObject({
      type: 'load_balancer',
      monthlyCostCents: 1840,
      attributes: {
        lbType: 'application',
        idle: false,
        healthyTargets: 1,
        targetGroups: [{ name: 'web', targets: 3, healthy: 1, unhealthy: 1, unused: 1 }],
      },
    });
    expect(loadBalancerResource(lb, [], [{ group, health: health('unused') }], {}, ctx).attributes.idle).toBe(true);
    expect(loadBalancerResource(lb, [], [], {}, ctx).attributes.idle).toBe(true);
  });
});

describe('translateAwsError', () => {
  it.each([
    ['InvalidInstanceID.NotFound', 'not_found'],
    ['InvalidVolume.NotFound', 'not_found'],
    ['IncorrectInstanceState', 'conflict'],
    ['UnauthorizedOperation', 'auth_failed'],
    ['AuthFailure', 'auth_failed'],
    ['CredentialsProviderError', 'auth_failed'],
    ['RequestLimitExceeded', 'rate_limited'],
    ['InvalidInstanceID.Malformed', 'bad_request'],
    ['InvalidParameterValue', 'bad_request'],
    ['InsufficientInstanceCapacity', 'cloud_error'],
    ['InternalError', 'cloud_error'],
  ])('%s → %s', (name, code) => {
    const err = translateAwsError(sdkError(name), 'stopping i-1 in eu-west-1');
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe(code);
    expect(err.userMessage).toContain('stopping i-1 in eu-west-1');
    expect(err.cause).toBeInstanceOf(Error);
  });

  it('names network failures without leaking internals, and passes AppErrors through', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    expect(translateAwsError(refused, 'listing EC2 resources in us-east-1')).toMatchObject({
      code: 'cloud_error',
      userMessage: 'Could not reach AWS while listing EC2 resources in us-east-1 (ECONNREFUSED).',
    });
    const own = new AppError('conflict', 'already running');
    expect(translateAwsError(own, 'x')).toBe(own);
  });

  it('tells "no credentials found" apart from "AWS refused the credentials"', () => {
    const none = translateAwsError(
      sdkError('CredentialsProviderError', 'Could not load credentials from any providers'),
      'listing EC2 resources in us-east-1',
    );
    expect(none.userMessage).toBe(
      'No AWS credentials were found for listing EC2 resources in us-east-1 (Could not load credentials from any providers). ' +
        'Give the process credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, a web identity token, or a container or instance role.',
    );
    expect(none.userMessage).not.toMatch(/refused/);
    const refused = translateAwsError(sdkError('AuthFailure'), 'listing EC2 resources in us-east-1');
    expect(refused.userMessage).toMatch(/^AWS refused the credentials or permissions for listing EC2 resources/);
    expect(refused.userMessage).not.toMatch(/No AWS credentials/);
  });

  it("shows AWS's own text for a denied permission (principal, action, resource)", () => {
    const denied = translateAwsError(
      sdkError(
        'AccessDenied',
        'User: arn:aws:iam::1:user/x is not authorized to perform: sts:AssumeRole on resource: r',
      ),
      'assuming the role r',
    );
    expect(denied.code).toBe('auth_failed');
    expect(denied.userMessage).toContain('is not authorized to perform: sts:AssumeRole on resource: r');
  });

  it('keeps credentials advice free of AWS detail text', () => {
    const err = translateAwsError(
      sdkError('SignatureDoesNotMatch', 'The request signature we calculated does not match … AKIDEXAMPLE'),
      'listing EC2 resources in us-east-1',
    );
    expect(err.userMessage).not.toContain('AKIDEXAMPLE');
  });
});
