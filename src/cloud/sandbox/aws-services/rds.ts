import type { SandboxDbInstance, SandboxDbSnapshot } from './model.ts';
import { ServiceError, defined, intParam, iso, pageOf, xmlList } from './wire.ts';
import type { Params, ServiceCall, XmlNode } from './wire.ts';

/**
 * RDS over its Query API (form POST, version 2014-10-31, XML with named list members: `DBInstance`,
 * `DBSnapshot`, `Tag`): DescribeDBInstances, DescribeDBSnapshots, DescribeDBSnapshotAttributes, and
 * DeleteDBSnapshot (manual snapshots only, as RDS allows).
 */

export const rdsVersion = '2014-10-31';
export const rdsNamespace = 'http://rds.amazonaws.com/doc/2014-10-31/';

export type QueryHandler = (call: ServiceCall, params: Params) => XmlNode;

const tagList = (tags: Record<string, string>) =>
  xmlList(
    'Tag',
    Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
  );

const arn = (call: ServiceCall, region: string, kind: string, id: string) =>
  `arn:aws:rds:${region}:${call.account.accountId}:${kind}:${id}`;

/** RDS refuses MaxRecords outside 20–100 (the SDK's paginator sends pageSize as MaxRecords). */
const maxRecords = (params: Params): number | undefined => {
  const bad = () =>
    new ServiceError(
      'InvalidParameterValue',
      `Invalid value ${params.MaxRecords} for MaxRecords. Must be between 20 and 100`,
    );
  const n = intParam(params.MaxRecords, bad);
  if (n !== undefined && (n < 20 || n > 100)) throw bad();
  return n;
};
const badMarker = () => new ServiceError('InvalidParameterValue', 'The marker is not valid.');

const instanceXml = (call: ServiceCall, i: SandboxDbInstance): XmlNode =>
  defined({
    DBInstanceIdentifier: i.id,
    DBInstanceClass: i.instanceClass,
    Engine: i.engine,
    DBInstanceStatus: i.status,
    MasterUsername: 'admin',
    Endpoint: {
      Address: `${i.id}.c0sandbox.${i.region}.rds.amazonaws.com`,
      Port: i.engine === 'postgres' ? 5432 : 3306,
    },
    AllocatedStorage: i.allocatedStorage,
    InstanceCreateTime: iso(i.createTime),
    BackupRetentionPeriod: i.backupRetentionPeriod,
    AvailabilityZone: `${i.region}a`,
    MultiAZ: i.multiAZ,
    EngineVersion: i.engineVersion,
    PubliclyAccessible: i.publiclyAccessible,
    StorageType: i.storageType,
    StorageEncrypted: i.storageEncrypted,
    KmsKeyId: i.kmsKeyId,
    DBInstanceArn: arn(call, i.region, 'db', i.id),
    IAMDatabaseAuthenticationEnabled: i.iamAuth,
    DeletionProtection: i.deletionProtection,
    TagList: tagList(i.tags),
  });

const snapshotXml = (call: ServiceCall, s: SandboxDbSnapshot): XmlNode => ({
  DBSnapshotIdentifier: s.id,
  DBInstanceIdentifier: s.instanceId,
  SnapshotCreateTime: iso(s.createTime),
  Engine: s.engine,
  AllocatedStorage: s.allocatedStorage,
  Status: 'available',
  SnapshotType: s.type,
  Encrypted: s.encrypted,
  DBSnapshotArn: arn(call, s.region, 'snapshot', s.id),
  TagList: tagList(s.tags),
});

const snapshotsIn = (call: ServiceCall) => call.account.dbSnapshots.filter((s) => s.region === call.region);

export const rdsHandlers: Record<string, QueryHandler> = {
  DescribeDBInstances: (call, params) => {
    let all = call.account.dbInstances.filter((i) => i.region === call.region);
    if (params.DBInstanceIdentifier) {
      all = all.filter((i) => i.id === params.DBInstanceIdentifier);
      if (all.length === 0)
        throw new ServiceError('DBInstanceNotFound', `DBInstance ${params.DBInstanceIdentifier} not found.`, 404);
    }
    const page = pageOf(all, params.Marker, maxRecords(params), call, badMarker());
    return defined({
      DBInstances: xmlList(
        'DBInstance',
        page.items.map((i) => instanceXml(call, i)),
      ),
      Marker: page.next,
    });
  },
  DescribeDBSnapshots: (call, params) => {
    const all = snapshotsIn(call).filter(
      (s) =>
        (!params.SnapshotType || s.type === params.SnapshotType) &&
        (!params.DBInstanceIdentifier || s.instanceId === params.DBInstanceIdentifier),
    );
    const page = pageOf(all, params.Marker, maxRecords(params), call, badMarker());
    return defined({
      DBSnapshots: xmlList(
        'DBSnapshot',
        page.items.map((s) => snapshotXml(call, s)),
      ),
      Marker: page.next,
    });
  },
  DeleteDBSnapshot: (call, params) => {
    const s = snapshotsIn(call).find((x) => x.id === params.DBSnapshotIdentifier);
    if (!s)
      throw new ServiceError('DBSnapshotNotFound', `DBSnapshot ${params.DBSnapshotIdentifier ?? ''} not found.`, 404);
    // RDS deletes automated snapshots itself, with their retention period or their instance.
    if (s.type !== 'manual') throw new ServiceError('InvalidDBSnapshotState', 'Only manual snapshots may be deleted.');
    call.account.dbSnapshots.splice(call.account.dbSnapshots.indexOf(s), 1);
    return { DBSnapshot: { ...snapshotXml(call, s), Status: 'deleted' } };
  },
  DescribeDBSnapshotAttributes: (call, params) => {
    const s = snapshotsIn(call).find((x) => x.id === params.DBSnapshotIdentifier);
    if (!s)
      throw new ServiceError('DBSnapshotNotFound', `DBSnapshot ${params.DBSnapshotIdentifier ?? ''} not found.`, 404);
    return {
      DBSnapshotAttributesResult: {
        DBSnapshotIdentifier: s.id,
        DBSnapshotAttributes: {
          DBSnapshotAttribute: [{ AttributeName: 'restore', AttributeValues: xmlList('AttributeValue', s.restore) }],
        },
      },
    };
  },
};
