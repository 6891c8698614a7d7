import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { awsServiceListers } from '../../src/cloud/aws/services/index.ts';
import type { AwsServiceContext, AwsServiceLister } from '../../src/cloud/aws/services/types.ts';
import { awsServiceNames } from '../../src/cloud/sandbox/aws-services/router.ts';
import type { AwsServiceName, AwsServicesSandbox } from '../../src/cloud/sandbox/aws-services/router.ts';
import { bulkLogGroups } from '../../src/cloud/sandbox/aws-services/seed.ts';
import { startSandbox } from '../../src/cloud/sandbox/server.ts';
import type { Sandbox } from '../../src/cloud/sandbox/server.ts';
import { rejectedAppError, sandboxServiceContext } from '../helpers/cloud.ts';

// Paging, throttling and refusals of the AWS service listers, through the real SDKs over HTTP.
const now = new Date('2026-11-01T12:00:00Z');
let sandbox: Sandbox;
let services: AwsServicesSandbox;

const ctx = (region: string, over: Partial<AwsServiceContext> = {}, maxAttempts = 1): AwsServiceContext =>
  sandboxServiceContext(sandbox, region, now, over, maxAttempts);

const lister = (service: string): AwsServiceLister => {
  const found = awsServiceListers.find((l) => l.service === service);
  if (!found) throw new Error(`no ${service} lister`);
  return found;
};

const calls = (service: string, action: string) =>
  services.requests.filter((r) => r.service === service && r.action === action);

const ids = async (service: string, region = 'us-east-1') =>
  (await lister(service).list(ctx(region))).map((r) => r.id).sort();

beforeEach(async () => {
  sandbox = await startSandbox({ now: () => now });
  services = sandbox.services!;
});
afterEach(async () => {
  await sandbox.stop();
});

describe('paging', () => {
  const paged: Array<[AwsServiceName, string, string]> = [
    ['rds', 'DescribeDBInstances', 'us-east-1'],
    ['rds', 'DescribeDBSnapshots', 'us-east-1'],
    ['s3', 'ListBuckets', 'us-east-1'],
    ['iam', 'ListUsers', 'us-east-1'],
    ['iam', 'ListAccessKeys', 'us-east-1'],
    ['cloudtrail', 'ListTrails', 'us-east-1'],
    ['kms', 'ListKeys', 'us-east-1'],
    ['kms', 'ListAliases', 'us-east-1'],
    ['logs', 'DescribeLogGroups', 'us-east-1'],
    ['route53', 'ListHostedZones', 'us-east-1'],
    ['route53', 'ListResourceRecordSets', 'us-east-1'],
  ];

  it.each(paged)('%s %s follows every page and loses nothing', async (service, action, region) => {
    const whole = await ids(service, region);
    const oneShot = calls(service, action).length;
    services.requests.splice(0);
    services.pageCaps[service] = 1;
    expect(await ids(service, region)).toEqual(whole);
    expect(calls(service, action).length).toBeGreaterThan(oneShot);
    expect(calls(service, action).every((r) => r.status === 200)).toBe(true);
  });

  it('lists 10,000+ log groups in pages of 50', async () => {
    services.account.logGroups.push(...bulkLogGroups(now, 'eu-west-1', 10_000));
    const rows = await lister('logs').list(ctx('eu-west-1', { pageSize: 1000 }));
    expect(rows).toHaveLength(10_002);
    expect(new Set(rows.map((r) => r.id)).size).toBe(10_002);
    expect(rows.find((r) => r.name === '/sandbox/bulk/10000')?.attributes.retentionInDays).toBe(14);
    // The API takes at most 50 a page: the lister clamps the configured page size.
    expect(calls('logs', 'DescribeLogGroups')).toHaveLength(201);
  });

  it('RDS page sizes stay within the 20–100 the API accepts', async () => {
    services.pageCaps.rds = 1;
    const rows = await lister('rds').list(ctx('us-east-1', { pageSize: 5 }));
    expect(rows.filter((r) => r.type === 'database')).toHaveLength(2);
    expect(calls('rds', 'DescribeDBInstances').every((r) => r.status === 200)).toBe(true);
  });

  it('every service answers over the sandbox port; an unknown service is refused', async () => {
    expect(awsServiceNames).toEqual(['rds', 's3', 'iam', 'cloudtrail', 'config', 'kms', 'logs', 'route53', 'eks']);
    const res = await fetch(`${sandbox.url}/`, {
      method: 'POST',
      headers: {
        authorization: 'AWS4-HMAC-SHA256 Credential=AKID/20261101/us-east-1/dynamodb/aws4_request, Signature=x',
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'Action=ListTables',
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('UnrecognizedService');
  });
});

describe('throttling and refusals', () => {
  const throttles: Array<[AwsServiceName, string, string, number]> = [
    ['rds', 'DescribeDBInstances', 'Throttling', 400],
    ['s3', 'ListBuckets', 'SlowDown', 503],
    ['iam', 'ListUsers', 'Throttling', 400],
    ['cloudtrail', 'GetTrail', 'ThrottlingException', 400],
    ['kms', 'DescribeKey', 'ThrottlingException', 400],
    ['logs', 'DescribeLogGroups', 'ThrottlingException', 400],
    ['route53', 'ListHostedZones', 'Throttling', 400],
    ['eks', 'ListClusters', 'ThrottlingException', 429],
  ];

  it.each(throttles)('%s: a throttled %s is retried by the SDK', async (service, action, code, status) => {
    const whole = await ids(service);
    services.requests.splice(0);
    services.failNext(service, action, { code, message: 'Rate exceeded', status });
    const rows = await lister(service).list(ctx('us-east-1', {}, 3));
    expect(rows.map((r) => r.id).sort()).toEqual(whole);
    expect(calls(service, action).map((r) => r.errorCode ?? r.status)).toEqual(expect.arrayContaining([code, 200]));
  });

  it('throttling beyond the retries rejects as rate_limited', async () => {
    services.failNext('config', '*', { code: 'ThrottlingException', message: 'Rate exceeded' }, 10);
    const err = await rejectedAppError(lister('config').list(ctx('eu-west-1', {}, 2)));
    expect(err.code).toBe('rate_limited');
    expect(err.message).toContain('listing AWS Config recorders in eu-west-1');
  });

  const denials: Array<[AwsServiceName, string, string, number]> = [
    ['rds', 'DescribeDBSnapshots', 'AccessDenied', 403],
    ['s3', 'GetBucketPolicyStatus', 'AccessDenied', 403],
    ['iam', 'GetAccountSummary', 'AccessDenied', 403],
    ['cloudtrail', 'ListTrails', 'AccessDeniedException', 400],
    ['config', 'DescribeConfigurationRecorders', 'AccessDeniedException', 400],
    ['kms', 'ListKeys', 'AccessDeniedException', 400],
    ['logs', 'DescribeLogGroups', 'AccessDeniedException', 400],
    ['route53', 'ListHealthChecks', 'AccessDenied', 403],
    ['eks', 'ListClusters', 'AccessDeniedException', 403],
  ];

  it.each(denials)("%s: %s refused → the lister rejects with AWS's message", async (service, action, code, status) => {
    const message = `User: arn:aws:iam::123456789012:user/readonly is not authorized to perform: ${service}:${action}`;
    services.failNext(service, action, { code, message, status });
    const err = await rejectedAppError(lister(service).list(ctx('us-east-1')));
    expect(err.code).toBe('auth_failed');
    expect(err.message).toContain(code);
    expect(err.message).toContain(`not authorized to perform: ${service}:${action}`);
    // The other services are not affected.
    const other = awsServiceListers.find((l) => l.service !== service)!;
    await expect(other.list(ctx('us-east-1'))).resolves.not.toHaveLength(0);
  });

  it('credentials the JSON services do not know are auth failures too', async () => {
    services.failNext('logs', '*', {
      code: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
    });
    const err = await rejectedAppError(lister('logs').list(ctx('eu-west-1')));
    expect(err.code).toBe('auth_failed');
    expect(err.message).toContain('The security token included in the request is invalid.');
  });

  it('a key the sandbox does not know is refused the way each service refuses it', async () => {
    await sandbox.stop();
    sandbox = await startSandbox({ now: () => now, accessKeyIds: ['AKIDOTHER'] });
    services = sandbox.services!;
    const codes: Record<string, string> = {};
    for (const l of awsServiceListers) {
      const err = await rejectedAppError(l.list(ctx('us-east-1')));
      expect(err.code).toBe('auth_failed');
      codes[l.service] = services.requests.at(-1)?.errorCode ?? '';
    }
    expect(codes).toEqual({
      rds: 'InvalidClientTokenId',
      s3: 'InvalidAccessKeyId',
      iam: 'InvalidClientTokenId',
      cloudtrail: 'UnrecognizedClientException',
      config: 'UnrecognizedClientException',
      kms: 'UnrecognizedClientException',
      logs: 'UnrecognizedClientException',
      route53: 'InvalidClientTokenId',
      eks: 'UnrecognizedClientException',
    });
  });

  it('an aborted listing stops at once, even while AWS holds the call', async () => {
    const release = sandbox.hold();
    const abort = new AbortController();
    const pending = lister('logs').list(ctx('us-east-1', { signal: abort.signal }));
    abort.abort();
    const err = await rejectedAppError(pending);
    release();
    expect(err.message).toMatch(/abort/i);
    expect(err.message).toContain('listing CloudWatch log groups in us-east-1');
  });
});
