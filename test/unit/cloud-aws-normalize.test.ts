import { describe, expect, it } from '@jest/globals';
import { translateAwsError } from '../../src/cloud/aws/errors.ts';
import { ingressRule, instanceResource, volumeResource } from '../../src/cloud/aws/normalize.ts';
import {
  instanceMonthlyCents,
  pricedInstanceTypes,
  snapshotMonthlyCents,
  volumeMonthlyCents,
} from '../../src/cloud/aws/pricing.ts';
import { AppError } from '../../src/errors.ts';

const ctx = { account: '111122223333', region: 'eu-west-1', seenAt: new Date('2026-11-01T00:00:00Z'), sandbox: false };
const sdkError = (name: string, message = `${name} happened`) =>
  Object.assign(new Error(message), { name, $fault: 'client' });

describe('AWS price table', () => {
  it('turns hourly and GB-month prices into integer monthly cents', () => {
    expect(instanceMonthlyCents('t3.micro')).toBe(759);
    expect(instanceMonthlyCents('m5.large')).toBe(7008);
    expect(instanceMonthlyCents('z1d.metal')).toBeUndefined();
    expect(volumeMonthlyCents('gp3', 100)).toBe(800);
    expect(volumeMonthlyCents('magnetic-tape', 100)).toBeUndefined();
    expect(snapshotMonthlyCents(300)).toBe(1500);
    expect(pricedInstanceTypes()).toContain('r5.xlarge');
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
    const running = instanceResource({ ...base, State: { Name: 'running', Code: 16 } }, ctx);
    expect(running).toMatchObject({
      name: 'api',
      environment: 'prod',
      monthlyCostCents: 6074,
      attributes: { instanceType: 't3.large', launchTime: null },
    });
    expect(running.attributes).not.toHaveProperty('cpuAvg7d');
    expect(
      instanceResource({ ...base, State: { Name: 'stopped', Code: 80 } }, { ...ctx, sandbox: true }),
    ).toMatchObject({ monthlyCostCents: 0, attributes: { cpuAvg7d: 1.5 } });
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
      monthlyCostCents: 500,
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

  it('keeps credentials advice free of AWS detail text', () => {
    const err = translateAwsError(
      sdkError('SignatureDoesNotMatch', 'The request signature we calculated does not match … AKIDEXAMPLE'),
      'listing EC2 resources in us-east-1',
    );
    expect(err.userMessage).not.toContain('AKIDEXAMPLE');
  });
});
