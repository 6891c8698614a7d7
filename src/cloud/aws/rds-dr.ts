import {
  CopyDBSnapshotCommand,
  CreateDBInstanceReadReplicaCommand,
  CreateDBSnapshotCommand,
  DeleteDBInstanceCommand,
  DeleteDBSnapshotCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotAttributesCommand,
  DescribeDBSnapshotsCommand,
  ModifyDBInstanceCommand,
  RDSClient,
  RestoreDBInstanceFromDBSnapshotCommand,
} from '@aws-sdk/client-rds';
import type { DBInstance, DBSnapshot } from '@aws-sdk/client-rds';
import { AppError, badRequest, conflict } from '../../errors.ts';
import type { Metrics } from '../../observability/metrics.ts';
import type { ResourceKey } from '../../tools/change-plan.ts';
import type { ActionResult, ResourceAction } from '../provider.ts';
import type { Resource } from '../resource.ts';
import { clientConfig, instrumentAwsClient, type AwsClientSettings } from './clients.ts';
import { drillTag } from './rds-actions.ts';
import { awsCodeOf } from './services/common.ts';
import { instanceRow, snapshotRow } from './services/rds.ts';

/**
 * Runs the RDS disaster-recovery actions (./rds-actions.ts) through `@aws-sdk/client-rds`, and
 * reads one DB instance or DB snapshot back (`describe`, so a workflow can wait for `available`).
 * A cross-region call is made in the destination region with the source's ARN; the SDK signs the
 * PreSignedUrl RDS asks for from the source region itself. Each action returns what it made in
 * `outputs` (inventory ids, identifiers, ARNs) and what its inverse needs in `previous`; the
 * deleting ones treat "already gone" as done, so a compensation that runs twice is harmless.
 */

export interface RdsDrContext {
  /** Client settings for a region of the target's account. */
  settings(region: string): AwsClientSettings;
  metrics?: Metrics | undefined;
  now: () => Date;
  /** For describe: the account id rows carry, and whether this is the sandbox. */
  account: string;
  sandbox: boolean;
}

/** `db/<region>/<identifier>` or `db-snapshot/<region>/<identifier>` → the identifier. */
const identifierOf = (key: Pick<ResourceKey, 'id' | 'region' | 'type'>): string => {
  const prefix = `${key.type === 'database' ? 'db' : 'db-snapshot'}/${key.region}/`;
  if (!key.id.startsWith(prefix))
    throw badRequest(
      `“${key.id}” is not an RDS ${key.type === 'database' ? 'DB instance' : 'DB snapshot'} id in ${key.region} (${prefix}<identifier>).`,
    );
  return key.id.slice(prefix.length);
};

/** `20261101120000`: a name part from the clock, so a run's names are unique and reproducible. */
const stamp = (d: Date, digits: number) => d.toISOString().replace(/\D/g, '').slice(0, digits);
const named = (base: string, suffix: string) => `${base.slice(0, 40).replace(/-+$/, '')}-${suffix}`;

const isMissing = (e: unknown) => /NotFound/.test(awsCodeOf(e));

type Clients = (region: string) => RDSClient;

const instance = async (rds: RDSClient, id: string): Promise<DBInstance | undefined> => {
  try {
    return (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances?.[0];
  } catch (e) {
    if (isMissing(e)) return undefined;
    throw e;
  }
};

const snapshot = async (rds: RDSClient, id: string): Promise<DBSnapshot | undefined> => {
  try {
    return (await rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: id }))).DBSnapshots?.[0];
  } catch (e) {
    if (isMissing(e)) return undefined;
    throw e;
  }
};

const must = <T>(found: T | undefined, what: string): T => {
  if (!found) throw new AppError('not_found', `${what} was not found.`);
  return found;
};

const tagOf = (tags: Array<{ Key?: string; Value?: string }> | undefined, key: string) =>
  tags?.find((t) => t.Key === key)?.Value;

type Run = (rds: Clients, a: ResourceAction, id: string, ctx: RdsDrContext) => Promise<ActionResult>;

/** Sets the backup retention (or, `raising`, keeps a longer one as it is), recording the one before. */
const retention = async (rds: Clients, a: ResourceAction, id: string, raising: boolean): Promise<ActionResult> => {
  const client = rds(a.target.region);
  const db = must(await instance(client, id), `DB instance ${id}`);
  const before = db.BackupRetentionPeriod ?? 0;
  const days = Number(a.params.days);
  const previous = { backupRetentionPeriod: String(before) };
  if (before === days || (raising && before > days))
    return {
      summary: `${id} already keeps automated backups ${before} days`,
      newState: db.DBInstanceStatus ?? 'available',
      previous,
    };
  const out = await client.send(
    new ModifyDBInstanceCommand({ DBInstanceIdentifier: id, BackupRetentionPeriod: days, ApplyImmediately: true }),
  );
  return {
    summary: `${id} keeps automated backups ${days} days (was ${before})`,
    newState: out.DBInstance?.DBInstanceStatus ?? 'modifying',
    previous,
  };
};

const database: Record<string, Run> = {
  set_backup_retention: async (rds, a, id) => retention(rds, a, id, false),
  raise_backup_retention: async (rds, a, id) => retention(rds, a, id, true),
  create_snapshot: async (rds, a, id, ctx) => {
    const name = a.params.snapshot ?? named(id, `dr-${stamp(ctx.now(), 14)}`);
    const out = await rds(a.target.region).send(
      new CreateDBSnapshotCommand({ DBInstanceIdentifier: id, DBSnapshotIdentifier: name }),
    );
    const s = out.DBSnapshot;
    return {
      summary: `snapshot ${name} of ${id} started`,
      newState: 'available',
      previous: { snapshot: name },
      outputs: {
        snapshot: `db-snapshot/${a.target.region}/${name}`,
        snapshot_identifier: name,
        snapshot_arn: s?.DBSnapshotArn ?? '',
      },
    };
  },
  delete_db_snapshot: async (rds, a, id) => {
    const region = a.target.region;
    const client = rds(region);
    const name = a.params.snapshot!;
    const s = await snapshot(client, name);
    if (!s) return { summary: `snapshot ${name} of ${id} was already gone`, newState: 'deleted', previous: {} };
    if (s.SnapshotType !== 'manual' || s.DBInstanceIdentifier !== id)
      throw conflict(`${name} is not a manual snapshot of ${id} in ${region}; I delete only those.`);
    await client.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: name }));
    return { summary: `snapshot ${name} of ${id} deleted`, newState: 'deleted', previous: {} };
  },
  create_read_replica: async (rds, a, id, ctx) => {
    const region = a.params.region!;
    const source = must(await instance(rds(a.target.region), id), `DB instance ${id}`);
    const cross = region !== a.target.region;
    const name = a.params.replica ?? named(id, `replica-${stamp(ctx.now(), 12)}`);
    const out = await rds(region).send(
      new CreateDBInstanceReadReplicaCommand({
        DBInstanceIdentifier: name,
        // Another region takes the source's ARN (and the SDK presigns the call in the source's region).
        SourceDBInstanceIdentifier: cross ? source.DBInstanceArn : id,
        ...(cross ? { SourceRegion: a.target.region } : {}),
        ...(a.params.class ? { DBInstanceClass: a.params.class } : {}),
        // An encrypted source needs a key of the replica's region: RDS's own, unless told otherwise.
        ...(cross && source.StorageEncrypted ? { KmsKeyId: 'alias/aws/rds' } : {}),
        PubliclyAccessible: false,
      }),
    );
    const r = out.DBInstance;
    return {
      summary: `read replica ${name} of ${id} started in ${region}${r?.DBInstanceClass ? ` (${r.DBInstanceClass})` : ''}`,
      newState: source.DBInstanceStatus ?? 'available',
      previous: { replica: name, region },
      outputs: {
        replica: `db/${region}/${name}`,
        replica_identifier: name,
        replica_arn: r?.DBInstanceArn ?? '',
        region,
      },
    };
  },
  delete_read_replica: async (rds, a, id) => {
    const region = a.params.region ?? a.target.region;
    const client = rds(region);
    const name = a.params.replica!;
    const r = await instance(client, name);
    if (!r || r.DBInstanceStatus === 'deleting')
      return {
        summary: `replica ${name} of ${id} was already ${r ? 'being deleted' : 'gone'}`,
        newState: 'deleted',
        previous: {},
      };
    const source = r.ReadReplicaSourceDBInstanceIdentifier ?? '';
    if (source !== id && !new RegExp(`^arn:aws[\\w-]*:rds:${a.target.region}:\\d{12}:db:${id}$`).test(source))
      throw conflict(`${name} in ${region} is not a read replica of ${id}; I delete only those.`);
    await client.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: name, SkipFinalSnapshot: true }));
    return { summary: `replica ${name} of ${id} in ${region} is being deleted`, newState: 'deleting', previous: {} };
  },
  verify_restore: async (rds, a, id) => {
    const client = rds(a.target.region);
    const db = must(await instance(client, id), `DB instance ${id}`);
    const name = a.params.snapshot!;
    const s = must(await snapshot(client, name), `DB snapshot ${name} in ${a.target.region}`);
    const problems = [
      db.DBInstanceStatus !== 'available' && `it is ${db.DBInstanceStatus ?? 'in no state'}, not available`,
      db.Engine !== s.Engine && `its engine is ${db.Engine ?? '?'}, the snapshot's ${s.Engine ?? '?'}`,
      s.EngineVersion &&
        db.EngineVersion !== s.EngineVersion &&
        `its engine version is ${db.EngineVersion ?? '?'}, the snapshot's ${s.EngineVersion}`,
      Boolean(db.StorageEncrypted) !== Boolean(s.Encrypted) &&
        `it is ${db.StorageEncrypted ? '' : 'not '}encrypted, the snapshot ${s.Encrypted ? 'is' : 'is not'}`,
      (db.AllocatedStorage ?? 0) < (s.AllocatedStorage ?? 0) &&
        `it has ${db.AllocatedStorage ?? 0} GiB, the snapshot ${s.AllocatedStorage ?? 0} GiB`,
    ].filter((p): p is string => Boolean(p));
    if (problems.length > 0)
      throw conflict(`The restore drill failed: ${id} does not match snapshot ${name}: ${problems.join('; ')}.`);
    return {
      summary: `${id} restored from ${name}: ${db.Engine} ${db.EngineVersion ?? ''}, ${db.AllocatedStorage ?? 0} GiB${db.StorageEncrypted ? ', encrypted' : ''}, available`,
      newState: 'available',
      previous: {},
    };
  },
  delete_drill_instance: async (rds, a, id) => {
    const client = rds(a.target.region);
    const db = await instance(client, id);
    if (!db || db.DBInstanceStatus === 'deleting')
      return { summary: `${id} was already ${db ? 'being deleted' : 'gone'}`, newState: 'deleted', previous: {} };
    if (!tagOf(db.TagList, drillTag))
      throw conflict(`${id} was not made by a restore drill (no ${drillTag} tag); I delete only drill instances.`);
    await client.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: id, SkipFinalSnapshot: true }));
    return { summary: `drill instance ${id} is being deleted`, newState: 'deleting', previous: {} };
  },
};

const dbSnapshot: Record<string, Run> = {
  copy_to_region: async (rds, a, id) => {
    const region = a.params.region!;
    if (region === a.target.region) throw badRequest(`${id} is in ${region} already; name another region.`);
    const source = must(await snapshot(rds(a.target.region), id), `DB snapshot ${id}`);
    const out = await rds(region).send(
      new CopyDBSnapshotCommand({
        SourceDBSnapshotIdentifier: source.DBSnapshotArn,
        TargetDBSnapshotIdentifier: id,
        CopyTags: true,
        ...(a.params.kms_key ? { KmsKeyId: a.params.kms_key } : source.Encrypted ? { KmsKeyId: 'alias/aws/rds' } : {}),
      }),
    );
    const copy = out.DBSnapshot;
    return {
      summary: `copy of ${id} to ${region} started`,
      newState: source.Status ?? 'available',
      previous: { snapshot: id, region },
      outputs: {
        snapshot: `db-snapshot/${region}/${id}`,
        snapshot_identifier: id,
        snapshot_arn: copy?.DBSnapshotArn ?? '',
        region,
      },
    };
  },
  delete_snapshot_copy: async (rds, a, id) => {
    const region = a.params.region!;
    const client = rds(region);
    const name = a.params.snapshot!;
    const copy = await snapshot(client, name);
    if (!copy)
      return { summary: `copy ${name} of ${id} in ${region} was already gone`, newState: 'deleted', previous: {} };
    if (!new RegExp(`:rds:${a.target.region}:\\d{12}:snapshot:${id}$`).test(copy.SourceDBSnapshotIdentifier ?? ''))
      throw conflict(`${name} in ${region} is not a copy of ${id}; I delete only those.`);
    await client.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: name }));
    return { summary: `copy ${name} of ${id} in ${region} deleted`, newState: 'deleted', previous: {} };
  },
  restore_snapshot: async (rds, a, id, ctx) => {
    const name = a.params.instance ?? named(id.replace(/^rds:/, ''), `drill-${stamp(ctx.now(), 12)}`);
    const out = await rds(a.target.region).send(
      new RestoreDBInstanceFromDBSnapshotCommand({
        DBInstanceIdentifier: name,
        DBSnapshotIdentifier: id,
        ...(a.params.class ? { DBInstanceClass: a.params.class } : {}),
        PubliclyAccessible: false,
        MultiAZ: false,
        DeletionProtection: false,
        BackupRetentionPeriod: 0,
        Tags: [{ Key: drillTag, Value: id }],
      }),
    );
    return {
      summary: `${id} is being restored into ${name}${out.DBInstance?.DBInstanceClass ? ` (${out.DBInstance.DBInstanceClass})` : ''}`,
      newState: 'available',
      previous: { instance: name },
      outputs: { instance: `db/${a.target.region}/${name}`, instance_identifier: name },
    };
  },
  delete_restored_instance: async (rds, a, id) => {
    const client = rds(a.target.region);
    const name = a.params.instance!;
    const db = await instance(client, name);
    if (!db || db.DBInstanceStatus === 'deleting')
      return { summary: `${name} was already ${db ? 'being deleted' : 'gone'}`, newState: 'deleted', previous: {} };
    if (tagOf(db.TagList, drillTag) !== id)
      throw conflict(
        `${name} was not restored from ${id} by a drill (its ${drillTag} tag says otherwise); I delete only that one.`,
      );
    await client.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: name, SkipFinalSnapshot: true }));
    return { summary: `${name}, restored from ${id}, is being deleted`, newState: 'deleting', previous: {} };
  },
};

/** Runs one RDS disaster-recovery action; clients are made per region for the call and closed after. */
export const executeRdsAction = async (ctx: RdsDrContext, a: ResourceAction): Promise<ActionResult> => {
  const run = (a.target.type === 'database' ? database : a.target.type === 'db_snapshot' ? dbSnapshot : {})[a.action];
  if (!run) throw badRequest(`AWS ${a.target.type} resources have no action “${a.action}” here.`);
  const clients = new Map<string, RDSClient>();
  const rds: Clients = (region) => {
    let c = clients.get(region);
    if (!c) {
      c = instrumentAwsClient(new RDSClient(clientConfig(ctx.settings(region))), ctx.metrics);
      clients.set(region, c);
    }
    return c;
  };
  try {
    return await run(rds, a, identifierOf(a.target), ctx);
  } finally {
    for (const c of clients.values()) c.destroy();
  }
};

/** One DB instance or DB snapshot as the inventory lists it, or null when RDS no longer has it. */
export const describeRds = async (ctx: RdsDrContext, key: ResourceKey): Promise<Resource | null> => {
  const id = identifierOf(key);
  const client = instrumentAwsClient(new RDSClient(clientConfig(ctx.settings(key.region))), ctx.metrics);
  const rowCtx = {
    account: ctx.account,
    region: key.region,
    seenAt: ctx.now(),
    sandbox: ctx.sandbox,
    client: ctx.settings(key.region),
    metrics: ctx.metrics,
    pageSize: 100,
  };
  try {
    if (key.type === 'database') {
      const db = await instance(client, id);
      return db ? instanceRow(rowCtx, db) : null;
    }
    const s = await snapshot(client, id);
    if (!s) return null;
    let restore: string[] = [];
    if (s.SnapshotType === 'manual') {
      const out = await client.send(new DescribeDBSnapshotAttributesCommand({ DBSnapshotIdentifier: id }));
      restore =
        out.DBSnapshotAttributesResult?.DBSnapshotAttributes?.find((x) => x.AttributeName === 'restore')
          ?.AttributeValues ?? [];
    }
    return snapshotRow(rowCtx, s, restore);
  } finally {
    client.destroy();
  }
};
