import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import {
  CopyDBSnapshotCommand,
  CreateDBInstanceReadReplicaCommand,
  CreateDBSnapshotCommand,
  DeleteDBInstanceCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  ModifyDBInstanceCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import {
  ChangeResourceRecordSetsCommand,
  CreateHealthCheckCommand,
  DeleteHealthCheckCommand,
  GetChangeCommand,
  GetHealthCheckStatusCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
  TestDNSAnswerCommand,
  UpdateHealthCheckCommand,
  paginateListHostedZones,
} from '@aws-sdk/client-route-53';
import type { Change } from '@aws-sdk/client-route-53';
import { balancerDnsName } from '../../src/cloud/sandbox/elbv2.ts';
import { startSandbox, type Sandbox } from '../../src/cloud/sandbox/server.ts';
import { awsSdkRejection } from '../helpers/cloud.ts';

// The RDS changes and the Route 53 API a disaster-recovery or failover run depends on, through the
// real SDK clients, with the rules AWS applies: backups before replicas, KMS keys and presigned
// URLs across regions, deletion protection, statuses that settle with reads or with the clock;
// record-set rules, idempotent health checks, health derived from the sandbox's own fleet, and
// failover answers.
let clock = new Date('2026-11-01T12:00:00Z');
let sandbox: Sandbox;
const clients: Array<{ destroy(): void }> = [];

const config = (region: string) => ({
  region,
  endpoint: sandbox.url,
  credentials: { accessKeyId: 'AKIDSANDBOX', secretAccessKey: 'secret' },
  maxAttempts: 1,
});
const rds = (region: string) => {
  const c = new RDSClient(config(region));
  clients.push(c);
  return c;
};
const route53 = () => {
  const c = new Route53Client(config('us-east-1'));
  clients.push(c);
  return c;
};

beforeEach(async () => {
  clock = new Date('2026-11-01T12:00:00Z');
  sandbox = await startSandbox({ now: () => clock });
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await sandbox.stop();
});

const status = async (c: RDSClient, id: string) =>
  (await c.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances?.[0]?.DBInstanceStatus;

describe('the RDS emulator', () => {
  it('turns backups on only with ApplyImmediately (else at the maintenance window), modifying for one read', async () => {
    const us = rds('us-east-1');
    const later = await us.send(
      new ModifyDBInstanceCommand({ DBInstanceIdentifier: 'legacy-reports', BackupRetentionPeriod: 7 }),
    );
    expect(later.DBInstance).toMatchObject({
      BackupRetentionPeriod: 0,
      DBInstanceStatus: 'available',
      PendingModifiedValues: { BackupRetentionPeriod: 7 },
    });
    const now = await us.send(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: 'legacy-reports',
        BackupRetentionPeriod: 7,
        ApplyImmediately: true,
      }),
    );
    expect(now.DBInstance).toMatchObject({ BackupRetentionPeriod: 7, DBInstanceStatus: 'modifying' });
    expect(await status(us, 'legacy-reports')).toBe('modifying');
    expect(await status(us, 'legacy-reports')).toBe('available');
    expect(
      await awsSdkRejection(
        us.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: 'orders-db', BackupRetentionPeriod: 36 })),
      ),
    ).toMatchObject({ name: 'InvalidParameterValue', status: 400 });
  });

  it('makes a read replica only of an instance with backups, and an encrypted one elsewhere only with a key there', async () => {
    const eu = rds('eu-west-1');
    expect(
      await awsSdkRejection(
        eu.send(
          new CreateDBInstanceReadReplicaCommand({
            DBInstanceIdentifier: 'reports-replica',
            SourceDBInstanceIdentifier: 'arn:aws:rds:us-east-1:123456789012:db:legacy-reports',
          }),
        ),
      ),
    ).toMatchObject({
      name: 'InvalidDBInstanceStateFault',
      message: expect.stringMatching(/^Automated backups are not enabled/),
    });
    expect(
      await awsSdkRejection(
        eu.send(
          new CreateDBInstanceReadReplicaCommand({
            DBInstanceIdentifier: 'orders-replica',
            SourceDBInstanceIdentifier: 'arn:aws:rds:us-east-1:123456789012:db:orders-db',
          }),
        ),
      ),
    ).toMatchObject({
      name: 'InvalidParameterCombination',
      message: expect.stringMatching(/KmsKeyId must name a KMS key of eu-west-1/),
    });
    const made = await eu.send(
      new CreateDBInstanceReadReplicaCommand({
        DBInstanceIdentifier: 'orders-replica',
        SourceDBInstanceIdentifier: 'arn:aws:rds:us-east-1:123456789012:db:orders-db',
        KmsKeyId: 'alias/aws/rds',
        DBInstanceClass: 'db.t3.micro',
      }),
    );
    expect(made.DBInstance).toMatchObject({
      DBInstanceStatus: 'creating',
      DBInstanceClass: 'db.t3.micro',
      ReadReplicaSourceDBInstanceIdentifier: 'arn:aws:rds:us-east-1:123456789012:db:orders-db',
      StorageEncrypted: true,
    });
    expect(made.DBInstance?.Endpoint).toBeUndefined();
    expect(
      await awsSdkRejection(
        eu.send(
          new CreateDBInstanceReadReplicaCommand({
            DBInstanceIdentifier: 'orders-replica',
            SourceDBInstanceIdentifier: 'arn:aws:rds:us-east-1:123456789012:db:orders-db',
            KmsKeyId: 'alias/aws/rds',
          }),
        ),
      ),
    ).toMatchObject({ name: 'DBInstanceAlreadyExistsFault' });
    // A KMS key RDS cannot use there is refused.
    expect(
      await awsSdkRejection(
        eu.send(
          new CreateDBInstanceReadReplicaCommand({
            DBInstanceIdentifier: 'orders-replica-2',
            SourceDBInstanceIdentifier: 'arn:aws:rds:us-east-1:123456789012:db:orders-db',
            KmsKeyId: 'alias/orders-db',
          }),
        ),
      ),
    ).toMatchObject({ name: 'KMSKeyNotAccessibleFault' });
  });

  it('copies a snapshot across regions with the presigned URL the SDK makes, and refuses a forged one', async () => {
    const us = rds('us-east-1');
    const eu = rds('eu-west-1');
    await us.send(
      new CreateDBSnapshotCommand({ DBInstanceIdentifier: 'legacy-reports', DBSnapshotIdentifier: 'reports-dr' }),
    );
    const arn = 'arn:aws:rds:us-east-1:123456789012:snapshot:reports-dr';
    // Still creating: it cannot be copied yet.
    expect(
      await awsSdkRejection(
        eu.send(
          new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: arn, TargetDBSnapshotIdentifier: 'reports-dr' }),
        ),
      ),
    ).toMatchObject({ name: 'InvalidDBSnapshotStateFault' });
    await us.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: 'reports-dr' }));
    const forged = `https://rds.us-east-1.amazonaws.com/?Action=CopyDBSnapshot&SourceDBSnapshotIdentifier=${encodeURIComponent(arn)}&DestinationRegion=eu-west-2&X-Amz-Credential=AKID%2F20261101%2Fus-east-1%2Frds%2Faws4_request&X-Amz-Signature=00`;
    expect(
      await awsSdkRejection(
        eu.send(
          new CopyDBSnapshotCommand({
            SourceDBSnapshotIdentifier: arn,
            TargetDBSnapshotIdentifier: 'reports-dr',
            PreSignedUrl: forged,
          }),
        ),
      ),
    ).toMatchObject({ name: 'InvalidParameterValue', message: 'PreSignedUrl could not be authenticated.' });
    const copy = await eu.send(
      new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: arn, TargetDBSnapshotIdentifier: 'reports-dr' }),
    );
    expect(copy.DBSnapshot).toMatchObject({
      Status: 'creating',
      SourceRegion: 'us-east-1',
      SourceDBSnapshotIdentifier: arn,
      Engine: 'mysql',
      Encrypted: false,
    });
    const presigned = sandbox.services!.requests.filter((r) => r.action === 'CopyDBSnapshot').at(-1)!.params!;
    expect(new URL(presigned.PreSignedUrl!).searchParams.get('DestinationRegion')).toBe('eu-west-1');
    expect(
      await awsSdkRejection(
        eu.send(
          new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: arn, TargetDBSnapshotIdentifier: 'reports-dr' }),
        ),
      ),
    ).toMatchObject({ name: 'DBSnapshotAlreadyExistsFault' });
    expect(
      await awsSdkRejection(
        us.send(new CreateDBSnapshotCommand({ DBInstanceIdentifier: 'orders-db', DBSnapshotIdentifier: 'bad--name' })),
      ),
    ).toMatchObject({ name: 'InvalidParameterValue', message: expect.stringMatching(/not a valid identifier/) });
  });

  it('deletes an instance only with SkipFinalSnapshot or a final snapshot, never a protected one', async () => {
    const us = rds('us-east-1');
    expect(
      await awsSdkRejection(
        us.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'orders-db', SkipFinalSnapshot: true })),
      ),
    ).toMatchObject({ name: 'InvalidParameterCombination', message: expect.stringMatching(/deletion protection/) });
    expect(
      await awsSdkRejection(us.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'legacy-reports' }))),
    ).toMatchObject({
      name: 'InvalidParameterCombination',
      message: expect.stringMatching(/FinalDBSnapshotIdentifier is required/),
    });
    const out = await us.send(
      new DeleteDBInstanceCommand({
        DBInstanceIdentifier: 'legacy-reports',
        FinalDBSnapshotIdentifier: 'legacy-final-2',
      }),
    );
    expect(out.DBInstance?.DBInstanceStatus).toBe('deleting');
    expect(
      (await us.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: 'legacy-final-2' }))).DBSnapshots?.[0],
    ).toMatchObject({ DBInstanceIdentifier: 'legacy-reports', SnapshotType: 'manual', Status: 'creating' });
    expect(await status(us, 'legacy-reports')).toBe('deleting');
    expect(
      await awsSdkRejection(us.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'legacy-reports' }))),
    ).toMatchObject({
      name: 'DBInstanceNotFoundFault',
      status: 404,
    });
  });

  it("settles by the sandbox's clock when the sandbox times its transitions", async () => {
    await sandbox.stop();
    sandbox = await startSandbox({ now: () => clock, transitionMs: 5_000 });
    const us = rds('us-east-1');
    await us.send(new CreateDBSnapshotCommand({ DBInstanceIdentifier: 'orders-db', DBSnapshotIdentifier: 'timed' }));
    const snap = async () =>
      (await us.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: 'timed' }))).DBSnapshots?.[0]?.Status;
    expect([await snap(), await snap(), await snap()]).toEqual(['creating', 'creating', 'creating']);
    clock = new Date(clock.getTime() + 5_000);
    expect(await snap()).toBe('available');
  });
});

describe('the Route 53 emulator', () => {
  const zoneId = async (r53: Route53Client, name = 'example.com.') => {
    const zones = [];
    for await (const page of paginateListHostedZones({ client: r53, pageSize: 1 }, {}))
      zones.push(...(page.HostedZones ?? []));
    expect(zones.map((z) => z.Name)).toEqual(['example.com.', 'example.org.']);
    return zones.find((z) => z.Name === name)!.Id!.replace('/hostedzone/', '');
  };
  const check = (r53: Route53Client, ref: string, fqdn: string, port = 443, type: 'HTTPS' | 'HTTP' | 'TCP' = 'HTTPS') =>
    r53.send(
      new CreateHealthCheckCommand({
        CallerReference: ref,
        HealthCheckConfig: {
          Type: type,
          FullyQualifiedDomainName: fqdn,
          Port: port,
          ...(type === 'TCP' ? {} : { ResourcePath: '/health' }),
        },
      }),
    );
  const statusOf = async (r53: Route53Client, id: string) =>
    (await r53.send(new GetHealthCheckStatusCommand({ HealthCheckId: id }))).HealthCheckObservations?.map(
      (o) => o.StatusReport?.Status,
    );
  const lbName = (name: string) => balancerDnsName(sandbox.fleet.loadBalancers.find((b) => b.name === name)!);
  const pair = (name: string, primary: [string, string?], secondary: [string, string?]): Change[] =>
    (
      [
        ['PRIMARY', primary],
        ['SECONDARY', secondary],
      ] as const
    ).map(([role, [value, hc]]) => ({
      Action: 'UPSERT',
      ResourceRecordSet: {
        Name: name,
        Type: 'CNAME',
        SetIdentifier: role.toLowerCase(),
        Failover: role,
        TTL: 60,
        ResourceRecords: [{ Value: value }],
        ...(hc ? { HealthCheckId: hc } : {}),
      },
    }));
  const answer = async (r53: Route53Client, zone: string, name: string) =>
    (await r53.send(new TestDNSAnswerCommand({ HostedZoneId: zone, RecordName: name, RecordType: 'CNAME' })))
      .RecordData;

  it('derives health from the fleet: a serving internet-facing balancer, an internal one, a stopped target', async () => {
    const r53 = route53();
    const web = (await check(r53, 'web', lbName('web-prod-alb'))).HealthCheck!.Id!;
    const internal = (await check(r53, 'api', lbName('api-prod-nlb'), 443, 'TCP')).HealthCheck!.Id!;
    const legacy = (await check(r53, 'legacy', lbName('legacy-dev-alb'), 80, 'HTTP')).HealthCheck!.Id!;
    const wrongPort = (await check(r53, 'port', lbName('web-prod-alb'), 8443)).HealthCheck!.Id!;
    expect(await statusOf(r53, web)).toEqual(Array(3).fill('Success: HTTP Status Code 200, OK'));
    expect((await statusOf(r53, internal))?.[0]).toMatch(/^Failure: Connection timed out/);
    expect((await statusOf(r53, legacy))?.[0]).toBe('Failure: HTTP Status Code 503, Service Unavailable');
    expect((await statusOf(r53, wrongPort))?.[0]).toMatch(/^Failure: Connection refused/);
    for (const name of ['web-prod-1', 'web-prod-2'])
      sandbox.fleet.instances.find((i) => i.tags.Name === name)!.state = 'stopped';
    expect((await statusOf(r53, web))?.[0]).toBe('Failure: HTTP Status Code 503, Service Unavailable');
  });

  it('makes health checks idempotent by CallerReference and guards updates and deletes', async () => {
    const r53 = route53();
    const first = await check(r53, 'same', lbName('web-prod-alb'));
    expect(first.Location).toBe(`https://route53.amazonaws.com/2013-04-01/healthcheck/${first.HealthCheck!.Id}`);
    expect((await check(r53, 'same', lbName('web-prod-alb'))).HealthCheck!.Id).toBe(first.HealthCheck!.Id);
    expect(await awsSdkRejection(check(r53, 'same', lbName('legacy-dev-alb'), 80, 'HTTP'))).toMatchObject({
      name: 'HealthCheckAlreadyExists',
      status: 409,
    });
    expect(
      await awsSdkRejection(
        r53.send(
          new CreateHealthCheckCommand({
            CallerReference: 'private',
            HealthCheckConfig: { Type: 'HTTP', IPAddress: '10.0.0.5' },
          }),
        ),
      ),
    ).toMatchObject({ name: 'InvalidInput' });
    const id = first.HealthCheck!.Id!;
    expect(
      await awsSdkRejection(
        r53.send(new UpdateHealthCheckCommand({ HealthCheckId: id, HealthCheckVersion: 7, Inverted: true })),
      ),
    ).toMatchObject({ name: 'HealthCheckVersionMismatch', status: 409 });
    const updated = await r53.send(
      new UpdateHealthCheckCommand({ HealthCheckId: id, HealthCheckVersion: 1, Inverted: true }),
    );
    expect(updated.HealthCheck).toMatchObject({ HealthCheckVersion: 2, HealthCheckConfig: { Inverted: true } });
    const zone = await zoneId(r53);
    await r53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zone,
        ChangeBatch: { Changes: pair('app.example.com', [lbName('web-prod-alb'), id], ['b.example.net']) },
      }),
    );
    expect(await awsSdkRejection(r53.send(new DeleteHealthCheckCommand({ HealthCheckId: id })))).toMatchObject({
      name: 'HealthCheckInUse',
    });
  });

  it('answers failover as Route 53 does: primary while healthy, else a healthy or unchecked secondary, else the primary', async () => {
    const r53 = route53();
    const zone = await zoneId(r53);
    const p = (await check(r53, 'p', lbName('web-prod-alb'))).HealthCheck!.Id!;
    const s = (await check(r53, 's', lbName('web-prod-alb'))).HealthCheck!.Id!;
    const changed = await r53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zone,
        ChangeBatch: { Changes: pair('app.example.com', ['primary.example.net', p], ['secondary.example.net', s]) },
      }),
    );
    expect(changed.ChangeInfo?.Status).toBe('PENDING');
    const change = () => r53.send(new GetChangeCommand({ Id: changed.ChangeInfo!.Id }));
    expect([(await change()).ChangeInfo?.Status, (await change()).ChangeInfo?.Status]).toEqual(['PENDING', 'INSYNC']);
    const invert = async (id: string, Inverted: boolean, Disabled = false) =>
      r53.send(new UpdateHealthCheckCommand({ HealthCheckId: id, Inverted, Disabled }));
    expect(await answer(r53, zone, 'app.example.com')).toEqual(['primary.example.net']);
    await invert(p, true);
    expect(await answer(r53, zone, 'app.example.com')).toEqual(['secondary.example.net']);
    await invert(s, true);
    expect(await answer(r53, zone, 'app.example.com')).toEqual(['primary.example.net']);
    // A disabled check counts as healthy whatever the checkers say.
    await invert(s, true, true);
    expect(await answer(r53, zone, 'app.example.com')).toEqual(['secondary.example.net']);
    expect(
      (
        await r53.send(
          new TestDNSAnswerCommand({ HostedZoneId: zone, RecordName: 'nope.example.com', RecordType: 'A' }),
        )
      ).ResponseCode,
    ).toBe('NXDOMAIN');
  });

  it('applies a change batch all or nothing, with every reason, and lists record sets page by page', async () => {
    const r53 = route53();
    const zone = await zoneId(r53);
    const failed = await awsSdkRejection(
      r53.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: zone,
          ChangeBatch: {
            Changes: [
              {
                Action: 'CREATE',
                ResourceRecordSet: {
                  Name: 'new.example.com',
                  Type: 'A',
                  TTL: 60,
                  ResourceRecords: [{ Value: '198.51.100.1' }],
                },
              },
              {
                Action: 'DELETE',
                ResourceRecordSet: {
                  Name: 'www.example.com',
                  Type: 'A',
                  TTL: 60,
                  ResourceRecords: [{ Value: '203.0.113.10' }],
                },
              },
              {
                Action: 'CREATE',
                ResourceRecordSet: {
                  Name: 'elsewhere.example.net',
                  Type: 'A',
                  TTL: 60,
                  ResourceRecords: [{ Value: '198.51.100.2' }],
                },
              },
            ],
          },
        }),
      ),
    );
    expect(failed).toMatchObject({ name: 'InvalidChangeBatch', status: 400 });
    expect(failed.message).toContain(
      "Tried to delete resource record set [name='www.example.com.', type='A'] but the values provided do not match the current values",
    );
    expect(failed.message).toContain(
      'RRSet with DNS name elsewhere.example.net. is not permitted in zone example.com.',
    );
    const names = async (start?: { StartRecordName: string; StartRecordType?: 'A' | 'MX' | 'NS' | 'SOA' }) => {
      const out = await r53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zone, MaxItems: 2, ...start }));
      return {
        sets: out.ResourceRecordSets?.map((r) => `${r.Name} ${r.Type}`),
        next: out.IsTruncated ? [out.NextRecordName, out.NextRecordType] : undefined,
      };
    };
    // Nothing of the refused batch was applied; listed in Route 53's order, two at a time.
    expect(await names()).toEqual({ sets: ['example.com. NS', 'example.com. SOA'], next: ['mail.example.com.', 'MX'] });
    expect(await names({ StartRecordName: 'mail.example.com.', StartRecordType: 'MX' })).toEqual({
      sets: ['mail.example.com. MX', 'www.example.com. A'],
      next: undefined,
    });
    expect(await awsSdkRejection(r53.send(new ListResourceRecordSetsCommand({ HostedZoneId: 'ZNOPE' })))).toMatchObject(
      {
        name: 'NoSuchHostedZone',
        status: 404,
      },
    );
  });
});
