import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { GetBucketVersioningCommand, S3Client } from '@aws-sdk/client-s3';
import { GetLoginProfileCommand, IAMClient } from '@aws-sdk/client-iam';
import { GetKeyRotationStatusCommand, KMSClient, ListKeysCommand } from '@aws-sdk/client-kms';
import { DescribeLogGroupsCommand, CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { GetTrailCommand, CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { sandboxKeyId } from '../../src/cloud/sandbox/aws-services/seed.ts';
import { startSandbox } from '../../src/cloud/sandbox/server.ts';
import type { Sandbox } from '../../src/cloud/sandbox/server.ts';
import { awsSdkRejection } from '../helpers/cloud.ts';

// The account-service emulators answer the way AWS does where the listers depend on it: errors,
// codes and statuses read by the real SDKs.
const now = new Date('2026-11-01T12:00:00Z');
let sandbox: Sandbox;
const destroyers: Array<{ destroy(): void }> = [];

const config = (region: string) => ({
  region,
  endpoint: sandbox.url,
  credentials: { accessKeyId: 'AKIDSANDBOX', secretAccessKey: 'secret' },
  maxAttempts: 1,
});
const track = <C extends { destroy(): void }>(c: C): C => (destroyers.push(c), c);

beforeAll(async () => {
  sandbox = await startSandbox({ now: () => now });
});
afterAll(async () => {
  for (const c of destroyers) c.destroy();
  await sandbox.stop();
});

describe('AWS account-service emulators', () => {
  it('RDS refuses MaxRecords outside 20–100 and a forged marker; an unknown instance is DBInstanceNotFound', async () => {
    const rds = track(new RDSClient(config('us-east-1')));
    expect(await awsSdkRejection(rds.send(new DescribeDBInstancesCommand({ MaxRecords: 5 })))).toMatchObject({
      name: 'InvalidParameterValue',
      status: 400,
    });
    expect(await awsSdkRejection(rds.send(new DescribeDBInstancesCommand({ Marker: 'forged' })))).toMatchObject({
      name: 'InvalidParameterValue',
    });
    expect(
      await awsSdkRejection(rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'nope' }))),
    ).toMatchObject({
      name: 'DBInstanceNotFoundFault',
      status: 404,
    });
    const eu = await track(new RDSClient(config('eu-west-1'))).send(new DescribeDBInstancesCommand({}));
    expect(eu.DBInstances?.map((i) => i.DBInstanceIdentifier)).toEqual(['billing-db']);
  });

  it('S3 answers a bucket only in its own region (301 PermanentRedirect elsewhere)', async () => {
    const wrong = track(new S3Client({ ...config('us-east-1'), forcePathStyle: true }));
    expect(
      await awsSdkRejection(wrong.send(new GetBucketVersioningCommand({ Bucket: 'acme-prod-backups' }))),
    ).toMatchObject({
      name: 'PermanentRedirect',
      status: 301,
    });
    const right = track(new S3Client({ ...config('eu-west-1'), forcePathStyle: true }));
    expect((await right.send(new GetBucketVersioningCommand({ Bucket: 'acme-prod-backups' }))).Status).toBe('Enabled');
    expect(
      await awsSdkRejection(right.send(new GetBucketVersioningCommand({ Bucket: 'no-such-bucket' }))),
    ).toMatchObject({
      name: 'NoSuchBucket',
      status: 404,
    });
  });

  it('IAM: a user without a console password is NoSuchEntity (404)', async () => {
    const iam = track(new IAMClient(config('us-east-1')));
    expect(await awsSdkRejection(iam.send(new GetLoginProfileCommand({ UserName: 'ci-deploy' })))).toMatchObject({
      name: 'NoSuchEntityException',
      status: 404,
    });
    const bob = await iam.send(new GetLoginProfileCommand({ UserName: 'bob' }));
    expect(bob.LoginProfile?.UserName).toBe('bob');
  });

  it('KMS refuses rotation status for AWS-managed keys and pages with Truncated/NextMarker', async () => {
    const kms = track(new KMSClient(config('us-east-1')));
    expect(
      await awsSdkRejection(kms.send(new GetKeyRotationStatusCommand({ KeyId: sandboxKeyId('aws-rds') }))),
    ).toMatchObject({
      name: 'AccessDeniedException',
    });
    sandbox.services!.pageCaps.kms = 2;
    const first = await kms.send(new ListKeysCommand({ Limit: 100 }));
    expect(first.Keys).toHaveLength(2);
    expect(first.Truncated).toBe(true);
    const second = await kms.send(new ListKeysCommand({ Limit: 100, Marker: first.NextMarker }));
    expect(second).toMatchObject({ Truncated: false });
    expect(second.Keys).toHaveLength(1);
    sandbox.services!.pageCaps.kms = 100;
  });

  it('Logs refuses a limit over 50; CloudTrail does not know a trail of another region by name', async () => {
    const logs = track(new CloudWatchLogsClient(config('us-east-1')));
    expect(await awsSdkRejection(logs.send(new DescribeLogGroupsCommand({ limit: 51 })))).toMatchObject({
      name: 'InvalidParameterException',
    });
    const trail = track(new CloudTrailClient(config('eu-west-1')));
    expect(await awsSdkRejection(trail.send(new GetTrailCommand({ Name: 'management-events' })))).toMatchObject({
      name: 'TrailNotFoundException',
    });
    const byArn = await trail.send(
      new GetTrailCommand({ Name: 'arn:aws:cloudtrail:us-east-1:123456789012:trail/management-events' }),
    );
    expect(byArn.Trail?.IsMultiRegionTrail).toBe(false);
  });

  it('the same seed for the same clock', async () => {
    const other = await startSandbox({ now: () => now });
    try {
      expect(other.services?.account).toEqual(sandbox.services?.account);
    } finally {
      await other.stop();
    }
  });
});
