import type { SandboxDbInstance, SandboxDbSnapshot } from './model.ts';
import {
  checkIdentifier,
  checkPresignedUrl,
  instanceOf,
  instanceXml,
  instancesIn,
  kmsKeyFor,
  parseRdsArn,
  rdsArn,
  requireAvailable,
  settleDue,
  snapshotOf,
  snapshotXml,
  snapshotsIn,
  tagsParam,
} from './rds-common.ts';
import type { QueryHandler } from './rds-common.ts';
import { beginSettle } from './settle.ts';
import { ServiceError, intParam } from './wire.ts';
import type { Params, ServiceCall } from './wire.ts';

/**
 * The RDS changes a disaster-recovery run makes, with RDS's rules where a run depends on them:
 * - ModifyDBInstance (BackupRetentionPeriod, 0–35; a change between 0 and non-zero waits for the
 *   maintenance window unless ApplyImmediately, as RDS documents; applied ones leave the instance
 *   `modifying` for a while);
 * - CreateDBSnapshot (of an available instance), CopyDBSnapshot (called in the destination region,
 *   the source named by ARN when it is in another; an encrypted copy to another region needs a KMS
 *   key of that region; the SDK's PreSignedUrl is checked when sent);
 * - CreateDBInstanceReadReplica (the same, for an instance whose automated backups are on);
 * - RestoreDBInstanceFromDBSnapshot and DeleteDBInstance (SkipFinalSnapshot or a final snapshot;
 *   deletion protection refuses it).
 * New instances and snapshots start `creating`, deleted instances stay `deleting`, and both settle
 * by the sandbox's clock or after describes (./settle.ts).
 */

const classPattern = /^db\.[a-z0-9]+\.[a-z0-9]+$/;

const checkClass = (value: string | undefined, engine: string): string | undefined => {
  if (value !== undefined && !classPattern.test(value))
    throw new ServiceError(
      'InvalidParameterCombination',
      `RDS does not support creating a DB instance with the following combination: DBInstanceClass=${value}, Engine=${engine}.`,
    );
  return value;
};

const alreadyInstance = (call: ServiceCall, id: string) => {
  if (instancesIn(call).some((i) => i.id === id))
    throw new ServiceError('DBInstanceAlreadyExists', `DB instance ${id} already exists.`);
};

const alreadySnapshot = (call: ServiceCall, id: string) => {
  if (snapshotsIn(call).some((s) => s.id === id))
    throw new ServiceError(
      'DBSnapshotAlreadyExists',
      `Cannot create the snapshot because a snapshot with the identifier ${id} already exists.`,
    );
};

const required = (params: Params, name: string): string => {
  const v = params[name];
  if (!v) throw new ServiceError('MissingParameter', `The request must contain the parameter ${name}`);
  return v;
};

/** Where the source of a cross-region call is: the region in its ARN, else the call's own. */
const sourceOf = (call: ServiceCall, ref: string) => {
  const arn = parseRdsArn(ref);
  return { region: arn?.region ?? call.region, crossRegion: Boolean(arn && arn.region !== call.region) };
};

/** The key an encrypted copy is made with: the one named, else (same region only) the source's. */
const copyKey = (
  call: ServiceCall,
  params: Params,
  encrypted: boolean,
  sourceKey: string | undefined,
  cross: boolean,
) => {
  if (params.KmsKeyId) return kmsKeyFor(call, params.KmsKeyId);
  if (encrypted && cross)
    throw new ServiceError(
      'InvalidParameterCombination',
      `KmsKeyId must name a KMS key of ${call.region} to copy an encrypted resource there from another region.`,
    );
  return sourceKey;
};

const newSnapshot = (
  call: ServiceCall,
  from: Omit<SandboxDbSnapshot, 'region' | 'createTime' | 'restore' | 'status' | 'settle' | 'type'>,
): SandboxDbSnapshot => {
  const s: SandboxDbSnapshot = {
    ...from,
    region: call.region,
    type: 'manual',
    createTime: call.now(),
    restore: [],
    status: 'creating',
    settle: beginSettle(call, 'available'),
  };
  call.account.dbSnapshots.push(s);
  return s;
};

const newInstance = (
  call: ServiceCall,
  from: Omit<SandboxDbInstance, 'region' | 'createTime' | 'status' | 'settle'>,
): SandboxDbInstance => {
  const i: SandboxDbInstance = {
    ...from,
    region: call.region,
    createTime: call.now(),
    status: 'creating',
    settle: beginSettle(call, 'available'),
  };
  call.account.dbInstances.push(i);
  return i;
};

export const rdsChangeHandlers: Record<string, QueryHandler> = {
  ModifyDBInstance: (call, params) => {
    settleDue(call);
    const i = instanceOf(call, required(params, 'DBInstanceIdentifier'));
    requireAvailable(i, 'modify it');
    if (params.BackupRetentionPeriod !== undefined) {
      const bad = () =>
        new ServiceError('InvalidParameterValue', 'Invalid backup retention period: it must be between 0 and 35 days.');
      const days = intParam(params.BackupRetentionPeriod, bad)!;
      if (days < 0 || days > 35) throw bad();
      const outage = (days === 0) !== (i.backupRetentionPeriod === 0);
      if (outage && params.ApplyImmediately !== 'true') i.pending = { ...i.pending, backupRetentionPeriod: days };
      else if (days !== i.backupRetentionPeriod) {
        i.backupRetentionPeriod = days;
        delete i.pending?.backupRetentionPeriod;
        i.status = 'modifying';
        i.settle = beginSettle(call, 'available');
      }
    }
    return { DBInstance: instanceXml(call, i) };
  },

  CreateDBSnapshot: (call, params) => {
    settleDue(call);
    const id = checkIdentifier('DBSnapshotIdentifier', params.DBSnapshotIdentifier, 255);
    const i = instanceOf(call, required(params, 'DBInstanceIdentifier'));
    requireAvailable(i, 'create a snapshot of it');
    alreadySnapshot(call, id);
    const s = newSnapshot(call, {
      id,
      instanceId: i.id,
      engine: i.engine,
      engineVersion: i.engineVersion,
      allocatedStorage: i.allocatedStorage,
      storageType: i.storageType,
      encrypted: i.storageEncrypted,
      ...(i.kmsKeyId ? { kmsKeyId: i.kmsKeyId } : {}),
      instanceClass: i.instanceClass,
      tags: tagsParam(params),
    });
    return { DBSnapshot: snapshotXml(call, s) };
  },

  CopyDBSnapshot: (call, params) => {
    settleDue(call);
    const ref = required(params, 'SourceDBSnapshotIdentifier');
    const { region, crossRegion } = sourceOf(call, ref);
    const src = snapshotOf(call, ref, region);
    if ((src.status ?? 'available') !== 'available')
      throw new ServiceError('InvalidDBSnapshotState', `DBSnapshot ${src.id} is not in the available state.`);
    if (crossRegion) checkPresignedUrl(call, params, 'CopyDBSnapshot', 'SourceDBSnapshotIdentifier', region);
    const id = checkIdentifier('TargetDBSnapshotIdentifier', params.TargetDBSnapshotIdentifier, 255);
    alreadySnapshot(call, id);
    const kmsKeyId = copyKey(call, params, src.encrypted, src.kmsKeyId, crossRegion);
    const copy = newSnapshot(call, {
      id,
      instanceId: src.instanceId,
      engine: src.engine,
      ...(src.engineVersion ? { engineVersion: src.engineVersion } : {}),
      allocatedStorage: src.allocatedStorage,
      ...(src.storageType ? { storageType: src.storageType } : {}),
      ...(src.instanceClass ? { instanceClass: src.instanceClass } : {}),
      encrypted: src.encrypted || Boolean(kmsKeyId),
      ...(kmsKeyId ? { kmsKeyId } : {}),
      copiedFrom: { region, arn: rdsArn(call, region, 'snapshot', src.id) },
      tags: { ...(params.CopyTags === 'true' ? src.tags : {}), ...tagsParam(params) },
    });
    return { DBSnapshot: snapshotXml(call, copy) };
  },

  CreateDBInstanceReadReplica: (call, params) => {
    settleDue(call);
    const ref = required(params, 'SourceDBInstanceIdentifier');
    const { region, crossRegion } = sourceOf(call, ref);
    const src = instanceOf(call, ref, region);
    requireAvailable(src, 'create a read replica of it');
    if (src.backupRetentionPeriod === 0)
      throw new ServiceError(
        'InvalidDBInstanceState',
        'Automated backups are not enabled for this database instance. To enable automated backups, use ModifyDBInstance to set the backup retention period to a non-zero value.',
      );
    if (crossRegion)
      checkPresignedUrl(call, params, 'CreateDBInstanceReadReplica', 'SourceDBInstanceIdentifier', region);
    const id = checkIdentifier('DBInstanceIdentifier', params.DBInstanceIdentifier, 63);
    alreadyInstance(call, id);
    const kmsKeyId = src.storageEncrypted ? copyKey(call, params, true, src.kmsKeyId, crossRegion) : undefined;
    const replica = newInstance(call, {
      id,
      engine: src.engine,
      engineVersion: src.engineVersion,
      instanceClass: checkClass(params.DBInstanceClass, src.engine) ?? src.instanceClass,
      allocatedStorage: src.allocatedStorage,
      storageType: params.StorageType ?? src.storageType,
      storageEncrypted: src.storageEncrypted,
      ...(kmsKeyId ? { kmsKeyId } : {}),
      publiclyAccessible: params.PubliclyAccessible === 'true',
      backupRetentionPeriod: 0,
      multiAZ: params.MultiAZ === 'true',
      deletionProtection: params.DeletionProtection === 'true',
      iamAuth: false,
      tags: tagsParam(params),
      replicaSource: crossRegion ? rdsArn(call, region, 'db', src.id) : src.id,
    });
    src.replicas = [...(src.replicas ?? []), crossRegion ? rdsArn(call, call.region, 'db', id) : id];
    return { DBInstance: instanceXml(call, replica) };
  },

  RestoreDBInstanceFromDBSnapshot: (call, params) => {
    settleDue(call);
    const s = snapshotOf(call, required(params, 'DBSnapshotIdentifier'));
    if ((s.status ?? 'available') !== 'available')
      throw new ServiceError('InvalidDBSnapshotState', `DBSnapshot ${s.id} is not in the available state.`);
    if (params.Engine && params.Engine !== s.engine)
      throw new ServiceError(
        'InvalidParameterCombination',
        `The engine ${params.Engine} does not match the snapshot's engine ${s.engine}.`,
      );
    const id = checkIdentifier('DBInstanceIdentifier', params.DBInstanceIdentifier, 63);
    alreadyInstance(call, id);
    const instanceClass = checkClass(params.DBInstanceClass, s.engine) ?? s.instanceClass;
    if (!instanceClass)
      throw new ServiceError('MissingParameter', 'The request must contain the parameter DBInstanceClass');
    const bad = () => new ServiceError('InvalidParameterValue', 'Invalid backup retention period.');
    const i = newInstance(call, {
      id,
      engine: s.engine,
      engineVersion: s.engineVersion ?? '',
      instanceClass,
      allocatedStorage: s.allocatedStorage,
      storageType: params.StorageType ?? s.storageType ?? 'gp2',
      storageEncrypted: s.encrypted,
      ...(s.kmsKeyId ? { kmsKeyId: s.kmsKeyId } : {}),
      publiclyAccessible: params.PubliclyAccessible === 'true',
      backupRetentionPeriod: intParam(params.BackupRetentionPeriod, bad) ?? 1,
      multiAZ: params.MultiAZ === 'true',
      deletionProtection: params.DeletionProtection === 'true',
      iamAuth: false,
      tags: tagsParam(params),
    });
    return { DBInstance: instanceXml(call, i) };
  },

  DeleteDBInstance: (call, params) => {
    settleDue(call);
    const i = instanceOf(call, required(params, 'DBInstanceIdentifier'));
    if (i.status === 'deleting')
      throw new ServiceError('InvalidDBInstanceState', `DB instance ${i.id} is already being deleted.`);
    if (i.deletionProtection)
      throw new ServiceError(
        'InvalidParameterCombination',
        'Cannot delete protected DB Instance, please disable deletion protection and try again.',
      );
    const skip = params.SkipFinalSnapshot === 'true';
    const final = params.FinalDBSnapshotIdentifier;
    if (skip && final)
      throw new ServiceError(
        'InvalidParameterCombination',
        'Cannot specify both SkipFinalSnapshot and FinalDBSnapshotIdentifier.',
      );
    if (!skip && !final)
      throw new ServiceError(
        'InvalidParameterCombination',
        'FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.',
      );
    if (final) {
      if (i.replicaSource)
        throw new ServiceError(
          'InvalidParameterCombination',
          'FinalDBSnapshotIdentifier can not be specified when deleting a replica instance',
        );
      const id = checkIdentifier('FinalDBSnapshotIdentifier', final, 255);
      alreadySnapshot(call, id);
      newSnapshot(call, {
        id,
        instanceId: i.id,
        engine: i.engine,
        engineVersion: i.engineVersion,
        allocatedStorage: i.allocatedStorage,
        storageType: i.storageType,
        encrypted: i.storageEncrypted,
        ...(i.kmsKeyId ? { kmsKeyId: i.kmsKeyId } : {}),
        instanceClass: i.instanceClass,
        tags: {},
      });
    }
    i.status = 'deleting';
    i.settle = beginSettle(call, 'deleted');
    return { DBInstance: instanceXml(call, i) };
  },
};
