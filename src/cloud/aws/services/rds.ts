import {
  DescribeDBSnapshotAttributesCommand,
  RDSClient,
  paginateDescribeDBInstances,
  paginateDescribeDBSnapshots,
} from '@aws-sdk/client-rds';
import type { DBInstance, DBSnapshot } from '@aws-sdk/client-rds';
import { monthlyCents } from '../../pricing/index.ts';
import type { Resource } from '../../resource.ts';
import { instrumentAwsClient } from '../clients.ts';
import { clampPage, isoOrNull, listing, mapLimit, row, settingsFor, tagsOf } from './common.ts';
import type { AwsServiceContext, AwsServiceLister } from './types.ts';

/**
 * RDS DB instances (`database`) and DB snapshots (`db_snapshot`) of one region. Identifiers are
 * unique per account and region only, so row ids are `db/<region>/<identifier>` and
 * `db-snapshot/<region>/<identifier>` (attributes keep `identifier` and `arn`). A manual snapshot is
 * `public` when its `restore` attribute lists `all` (DescribeDBSnapshotAttributes).
 */

/**
 * Compute (`database`, key `<class>:<engine>`) plus storage (`db_storage`, key storage type) a
 * month, doubled for Multi-AZ (a standby of the same class and storage); undefined unless both are priced.
 */
export const dbMonthlyCents = (i: DBInstance, region: string, price = monthlyCents): number | undefined => {
  const compute = price('aws', 'database', `${i.DBInstanceClass ?? ''}:${i.Engine ?? ''}`, region);
  const storage = price('aws', 'db_storage', i.StorageType ?? '', region, i.AllocatedStorage ?? 0);
  if (compute === undefined || storage === undefined) return undefined;
  return (compute + storage) * (i.MultiAZ ? 2 : 1);
};

export const instanceRow = (ctx: AwsServiceContext, i: DBInstance): Resource => {
  const id = i.DBInstanceIdentifier ?? 'unknown';
  return row(ctx, {
    type: 'database',
    id: `db/${ctx.region}/${id}`,
    name: id,
    state: i.DBInstanceStatus ?? 'unknown',
    tags: tagsOf(i.TagList),
    monthlyCostCents: dbMonthlyCents(i, ctx.region),
    attributes: {
      identifier: id,
      arn: i.DBInstanceArn ?? null,
      engine: i.Engine ?? null,
      engineVersion: i.EngineVersion ?? null,
      class: i.DBInstanceClass ?? null,
      storageEncrypted: i.StorageEncrypted ?? false,
      kmsKeyId: i.KmsKeyId ?? null,
      publiclyAccessible: i.PubliclyAccessible ?? false,
      backupRetentionPeriod: i.BackupRetentionPeriod ?? 0,
      multiAZ: i.MultiAZ ?? false,
      allocatedStorage: i.AllocatedStorage ?? null,
      storageType: i.StorageType ?? null,
      deletionProtection: i.DeletionProtection ?? false,
      iamAuth: i.IAMDatabaseAuthenticationEnabled ?? false,
      availabilityZone: i.AvailabilityZone ?? null,
      endpoint: i.Endpoint?.Address ? `${i.Endpoint.Address}:${i.Endpoint.Port ?? ''}` : null,
      createTime: isoOrNull(i.InstanceCreateTime),
      readReplicaSource: i.ReadReplicaSourceDBInstanceIdentifier ?? null,
      readReplicas: i.ReadReplicaDBInstanceIdentifiers ?? [],
    },
  });
};

export const snapshotRow = (ctx: AwsServiceContext, s: DBSnapshot, restore: string[]): Resource => {
  const id = s.DBSnapshotIdentifier ?? 'unknown';
  return row(ctx, {
    type: 'db_snapshot',
    id: `db-snapshot/${ctx.region}/${id}`,
    name: id,
    state: s.Status ?? 'unknown',
    tags: tagsOf(s.TagList),
    // Backup storage is billed beyond the free allowance, which depends on the whole region's usage.
    monthlyCostCents: undefined,
    attributes: {
      identifier: id,
      arn: s.DBSnapshotArn ?? null,
      instance: s.DBInstanceIdentifier ?? null,
      engine: s.Engine ?? null,
      encrypted: s.Encrypted ?? false,
      snapshotCreateTime: isoOrNull(s.SnapshotCreateTime),
      snapshotType: s.SnapshotType ?? null,
      allocatedStorage: s.AllocatedStorage ?? null,
      engineVersion: s.EngineVersion ?? null,
      copiedFrom: s.SourceDBSnapshotIdentifier ?? null,
      public: restore.includes('all'),
      sharedWith: restore.filter((a) => a !== 'all'),
    },
  });
};

export const rdsLister: AwsServiceLister = {
  service: 'rds',
  scope: 'regional',
  list: (ctx) =>
    listing(`listing RDS databases in ${ctx.region}`, async () => {
      const client = instrumentAwsClient(new RDSClient(settingsFor(ctx)), ctx.metrics);
      try {
        const opts = { abortSignal: ctx.signal };
        const pageSize = clampPage(ctx, 20, 100);
        const rows: Resource[] = [];
        for await (const page of paginateDescribeDBInstances({ client, pageSize }, {}, opts))
          for (const i of page.DBInstances ?? []) rows.push(instanceRow(ctx, i));
        const snapshots: DBSnapshot[] = [];
        for await (const page of paginateDescribeDBSnapshots({ client, pageSize }, {}, opts))
          snapshots.push(...(page.DBSnapshots ?? []));
        // Only manual snapshots can be shared; automated ones have no restore attribute to read.
        const restores = await mapLimit(snapshots, 4, async (s) => {
          if (s.SnapshotType !== 'manual') return [];
          const out = await client.send(
            new DescribeDBSnapshotAttributesCommand({ DBSnapshotIdentifier: s.DBSnapshotIdentifier }),
            opts,
          );
          const attrs = out.DBSnapshotAttributesResult?.DBSnapshotAttributes ?? [];
          return attrs.find((a) => a.AttributeName === 'restore')?.AttributeValues ?? [];
        });
        snapshots.forEach((s, n) => rows.push(snapshotRow(ctx, s, restores[n] ?? [])));
        return rows;
      } finally {
        client.destroy();
      }
    }),
};
