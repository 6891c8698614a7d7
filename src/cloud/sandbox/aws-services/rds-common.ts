import type { SandboxDbInstance, SandboxDbSnapshot, SandboxKmsKey } from './model.ts';
import { sandboxKeyId } from './seed.ts';
import { countDescribe, dueStatus } from './settle.ts';
import { ServiceError, defined, iso, xmlList } from './wire.ts';
import type { Params, ServiceCall, XmlNode } from './wire.ts';

/**
 * What the RDS emulator's reads and changes share: ARNs, the XML of an instance and a snapshot,
 * lookups with RDS's own errors, identifier rules, KMS keys and the statuses that settle with time.
 */

export type QueryHandler = (call: ServiceCall, params: Params) => XmlNode;

export const rdsArn = (call: ServiceCall, region: string, kind: 'db' | 'snapshot', id: string): string =>
  `arn:aws:rds:${region}:${call.account.accountId}:${kind}:${id}`;

/** `arn:aws:rds:<region>:<account>:<kind>:<id>` → its parts, or undefined for a plain identifier. */
export const parseRdsArn = (ref: string): { region: string; account: string; kind: string; id: string } | undefined => {
  const m = /^arn:aws[\w-]*:rds:([a-z0-9-]+):(\d{12}):(db|snapshot):(.+)$/.exec(ref);
  return m ? { region: m[1]!, account: m[2]!, kind: m[3]!, id: m[4]! } : undefined;
};

const tagList = (tags: Record<string, string>) =>
  xmlList(
    'Tag',
    Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
  );

/** `Tags.member.N.Key` / `.Value` (the Query protocol's list of Tag) → a record. */
export const tagsParam = (params: Params): Record<string, string> => {
  const tags: Record<string, string> = {};
  for (let n = 1; params[`Tags.Tag.${n}.Key`] !== undefined || params[`Tags.member.${n}.Key`] !== undefined; n++) {
    const key = params[`Tags.Tag.${n}.Key`] ?? params[`Tags.member.${n}.Key`]!;
    tags[key] = params[`Tags.Tag.${n}.Value`] ?? params[`Tags.member.${n}.Value`] ?? '';
  }
  return tags;
};

export const instanceXml = (call: ServiceCall, i: SandboxDbInstance): XmlNode =>
  defined({
    DBInstanceIdentifier: i.id,
    DBInstanceClass: i.instanceClass,
    Engine: i.engine,
    DBInstanceStatus: i.status,
    MasterUsername: 'admin',
    // RDS gives an instance its endpoint once it has been created.
    Endpoint:
      i.status === 'creating'
        ? undefined
        : {
            Address: `${i.id}.c0sandbox.${i.region}.rds.amazonaws.com`,
            Port: i.engine === 'postgres' ? 5432 : 3306,
          },
    AllocatedStorage: i.allocatedStorage,
    InstanceCreateTime: iso(i.createTime),
    BackupRetentionPeriod: i.backupRetentionPeriod,
    AvailabilityZone: `${i.region}a`,
    PendingModifiedValues:
      i.pending?.backupRetentionPeriod !== undefined
        ? { BackupRetentionPeriod: i.pending.backupRetentionPeriod }
        : undefined,
    MultiAZ: i.multiAZ,
    EngineVersion: i.engineVersion,
    ReadReplicaSourceDBInstanceIdentifier: i.replicaSource,
    ReadReplicaDBInstanceIdentifiers: i.replicas?.length
      ? xmlList('ReadReplicaDBInstanceIdentifier', i.replicas)
      : undefined,
    PubliclyAccessible: i.publiclyAccessible,
    StorageType: i.storageType,
    StorageEncrypted: i.storageEncrypted,
    KmsKeyId: i.kmsKeyId,
    DBInstanceArn: rdsArn(call, i.region, 'db', i.id),
    IAMDatabaseAuthenticationEnabled: i.iamAuth,
    DeletionProtection: i.deletionProtection,
    TagList: tagList(i.tags),
  });

export const snapshotXml = (call: ServiceCall, s: SandboxDbSnapshot): XmlNode =>
  defined({
    DBSnapshotIdentifier: s.id,
    DBInstanceIdentifier: s.instanceId,
    SnapshotCreateTime: iso(s.createTime),
    Engine: s.engine,
    AllocatedStorage: s.allocatedStorage,
    Status: s.status ?? 'available',
    AvailabilityZone: `${s.region}a`,
    EngineVersion: s.engineVersion,
    SnapshotType: s.type,
    PercentProgress: s.status === 'creating' ? 0 : 100,
    SourceRegion: s.copiedFrom?.region,
    SourceDBSnapshotIdentifier: s.copiedFrom?.arn,
    StorageType: s.storageType,
    Encrypted: s.encrypted,
    KmsKeyId: s.kmsKeyId,
    DBSnapshotArn: rdsArn(call, s.region, 'snapshot', s.id),
    TagList: tagList(s.tags),
  });

export const instancesIn = (call: ServiceCall, region = call.region): SandboxDbInstance[] =>
  call.account.dbInstances.filter((i) => i.region === region);
export const snapshotsIn = (call: ServiceCall, region = call.region): SandboxDbSnapshot[] =>
  call.account.dbSnapshots.filter((s) => s.region === region);

/**
 * Applies the transitions whose time has come (a `deleted` instance leaves the account and its
 * source's replica list), without counting a describe.
 */
export const settleDue = (call: ServiceCall): void => {
  const { account } = call;
  for (const i of [...account.dbInstances]) {
    const to = dueStatus(call, i);
    if (to === undefined) continue;
    delete i.settle;
    if (to !== 'deleted') {
      i.status = to;
      continue;
    }
    account.dbInstances.splice(account.dbInstances.indexOf(i), 1);
    const arn = rdsArn(call, i.region, 'db', i.id);
    for (const other of account.dbInstances) other.replicas = other.replicas?.filter((r) => r !== i.id && r !== arn);
  }
  for (const s of account.dbSnapshots) {
    const to = dueStatus(call, s);
    if (to === undefined) continue;
    delete s.settle;
    s.status = to;
  }
};

/** A describe answered these: their counted transitions move one step on. */
export const seen = countDescribe;

/** An instance of this region by identifier or ARN, or DBInstanceNotFound. */
export const instanceOf = (call: ServiceCall, ref: string | undefined, region = call.region): SandboxDbInstance => {
  const arn = ref ? parseRdsArn(ref) : undefined;
  const id = arn
    ? arn.kind === 'db' && arn.region === region && arn.account === call.account.accountId
      ? arn.id
      : ''
    : ref;
  const i = instancesIn(call, region).find((x) => x.id === id);
  if (!i) throw new ServiceError('DBInstanceNotFound', `DBInstance ${ref ?? ''} not found.`, 404);
  return i;
};

/** A snapshot of this region by identifier or ARN, or DBSnapshotNotFound. */
export const snapshotOf = (call: ServiceCall, ref: string | undefined, region = call.region): SandboxDbSnapshot => {
  const arn = ref ? parseRdsArn(ref) : undefined;
  const id = arn
    ? arn.kind === 'snapshot' && arn.region === region && arn.account === call.account.accountId
      ? arn.id
      : ''
    : ref;
  const s = snapshotsIn(call, region).find((x) => x.id === id);
  if (!s) throw new ServiceError('DBSnapshotNotFound', `DBSnapshot ${ref ?? ''} not found.`, 404);
  return s;
};

/** RDS's identifier rule: a letter first, then letters, digits and single hyphens, not ending in one. */
export const checkIdentifier = (name: string, value: string | undefined, max: number): string => {
  if (!value) throw new ServiceError('MissingParameter', `The request must contain the parameter ${name}`);
  if (value.length > max || !/^[A-Za-z](?!.*--)[A-Za-z0-9-]*$/.test(value) || value.endsWith('-'))
    throw new ServiceError(
      'InvalidParameterValue',
      `The parameter ${name} is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens.`,
    );
  // RDS stores identifiers in lower case.
  return value.toLowerCase();
};

export const requireAvailable = (i: SandboxDbInstance, doing: string): void => {
  if (i.status !== 'available')
    throw new ServiceError(
      'InvalidDBInstanceState',
      `Cannot ${doing} because DB instance ${i.id} is not currently in the available state (it is ${i.status}).`,
    );
};

const kmsArn = (call: ServiceCall, k: SandboxKmsKey) => `arn:aws:kms:${k.region}:${call.account.accountId}:key/${k.id}`;

/**
 * The KMS key a KmsKeyId names in the call's region (key id, key ARN, alias or alias ARN), as its
 * ARN. `alias/aws/rds` is the AWS-managed key, which AWS makes in a region the first time RDS uses it.
 */
export const kmsKeyFor = (call: ServiceCall, ref: string): string => {
  const region = call.region;
  const keys = call.account.kmsKeys.filter((k) => k.region === region);
  const aliasName = ref.replace(/^arn:aws[\w-]*:kms:[a-z0-9-]+:\d{12}:/, '');
  let key = keys.find((k) => k.id === ref || kmsArn(call, k) === ref || k.aliases.includes(aliasName));
  if (!key && aliasName === 'alias/aws/rds') {
    key = {
      id: sandboxKeyId(`aws-rds:${call.account.accountId}:${region}`),
      region,
      manager: 'AWS',
      state: 'Enabled',
      rotation: true,
      createDate: call.now(),
      description: 'Default key that protects my RDS database volumes when no other key is defined',
      aliases: ['alias/aws/rds'],
      tags: {},
    };
    call.account.kmsKeys.push(key);
  }
  if (!key || key.state !== 'Enabled')
    throw new ServiceError(
      'KMSKeyNotAccessibleFault',
      `The specified KMS key [${ref}] does not exist, is not enabled or you do not have permissions to access it in ${region}.`,
    );
  return kmsArn(call, key);
};

/**
 * Checks the PreSignedUrl the SDK makes for a cross-region call (CopyDBSnapshot,
 * CreateDBInstanceReadReplica): a request for `action` in the source region, signed there, naming
 * the same source and this region as its destination. Absent is accepted (RDS signs for itself
 * outside GovCloud); one that does not match is refused as RDS refuses it.
 */
export const checkPresignedUrl = (
  call: ServiceCall,
  params: Params,
  action: string,
  sourceKey: string,
  sourceRegion: string,
): void => {
  const given = params.PreSignedUrl;
  if (!given) return;
  const bad = () => new ServiceError('InvalidParameterValue', 'PreSignedUrl could not be authenticated.');
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    throw bad();
  }
  const q = url.searchParams;
  const scope = /^[^/]+\/\d{8}\/([a-z0-9-]+)\/rds\/aws4_request$/.exec(q.get('X-Amz-Credential') ?? '');
  if (
    q.get('Action') !== action ||
    q.get(sourceKey) !== params[sourceKey] ||
    q.get('DestinationRegion') !== call.region ||
    scope?.[1] !== sourceRegion ||
    !q.get('X-Amz-Signature')
  )
    throw bad();
};
