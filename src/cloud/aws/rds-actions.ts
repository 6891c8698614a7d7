import { z } from 'zod';
import { badRequest } from '../../errors.ts';
import { noParams, subjectLabel as label, type ActionCatalog, type ActionSubject, type Inverse } from '../actions.ts';
import { monthlyCents } from '../pricing/index.ts';

/**
 * RDS actions for disaster recovery, as data (executed by ./rds.ts): automated backups, a manual
 * snapshot, a copy in another region, a cross-region read replica, and a restore drill (restore a
 * copy into a throwaway instance, prove it matches, delete it). What an action makes is reported in
 * its outputs and recorded in `previous`, so its inverse deletes exactly that again; the deleting
 * actions check that what they delete was made that way (a snapshot of this database, a replica of
 * it, an instance a drill restored), so they cannot be pointed at anything else.
 */

const AwsRegion = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region such as eu-west-1');

/** RDS identifiers: a letter first, then letters, digits and single hyphens, not ending in one. */
const identifier = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[A-Za-z](?:-?[A-Za-z0-9])*$/, 'an RDS identifier: a letter, then letters, digits and single hyphens');
const DbIdentifier = identifier(63);
const SnapshotIdentifier = identifier(255);
const InstanceClass = z.string().regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, 'an RDS instance class such as db.t3.micro');

const Days = z
  .string()
  .regex(/^\d{1,2}$/, 'a whole number of days')
  .refine((d) => Number(d) <= 35, 'at most 35 days (RDS keeps automated backups 0 to 35 days)');

/** The tag a restore drill puts on the instance it restores: what `delete_drill_instance` requires. */
export const drillTag = 'devops-agent:restore-drill';

const was = (s: ActionSubject | undefined, key: string): string | undefined =>
  s && s.attributes[key] != null ? String(s.attributes[key]) : undefined;

/** The monthly cents of an instance like `s` (its class, engine and storage) in `region`, Single-AZ; undefined when unpriced. */
const replicaCents = (s: ActionSubject, region: string, cls?: string): number | undefined => {
  const compute = monthlyCents('aws', 'database', `${cls ?? was(s, 'class') ?? ''}:${was(s, 'engine') ?? ''}`, region);
  const storage = monthlyCents(
    'aws',
    'db_storage',
    was(s, 'storageType') ?? '',
    region,
    Number(s.attributes.allocatedStorage ?? 0),
  );
  return compute === undefined || storage === undefined ? undefined : compute + storage;
};

const backupCents = (s: ActionSubject, region: string): number | undefined =>
  monthlyCents('aws', 'db_backup', 'standard', region, Number(s.attributes.allocatedStorage ?? 0));

const made =
  (what: string, action: string, key: string, extra: string[] = []) =>
  ({ params, previous }: { params: Record<string, string>; previous?: Record<string, string> }): Inverse => {
    const id = previous?.[key] ?? params[key];
    if (!id) return { why: `the ${what} is named when it runs; its inverse deletes it then` };
    const more = Object.fromEntries(
      extra.map((k) => [k, previous?.[k] ?? params[k]]).filter((e): e is [string, string] => Boolean(e[1])),
    );
    return { action, params: { [key]: id, ...more } };
  };

const checkOtherRegion = async (s: ActionSubject, p: Record<string, string>) => {
  if (p.region === s.region)
    throw badRequest(`${label(s)} is in ${s.region} already; name another region.`, undefined, 'region');
};

export const rdsActions: ActionCatalog = {
  database: [
    {
      name: 'raise_backup_retention',
      aliases: ['enable_backups'],
      title: 'Raise backup retention',
      doing: 'raising the backup retention of',
      description:
        'Turn automated backups on, or keep them at least a number of days (1–35); a longer retention is left as it is',
      params: z.object({ days: Days.refine((d) => Number(d) >= 1, 'at least 1 day (0 would turn backups off)') }),
      states: ['available'],
      detail: (s, p) =>
        `to at least ${p.days} days${was(s, 'backupRetentionPeriod') ? ` (was ${was(s, 'backupRetentionPeriod')})` : ''}`,
      blastRadius: (s, p) => {
        const before = Number(s.attributes.backupRetentionPeriod ?? 0);
        if (before >= Number(p.days))
          return `Nothing changes: ${label(s)} already keeps automated backups ${before} days.`;
        return before === 0
          ? `${label(s)} restarts for a few minutes (turning automated backups on is applied at once, with an outage); point-in-time restore becomes possible.`
          : `${label(s)} keeps automated backups ${p.days} days instead of ${before}; no downtime. Backup storage beyond the database's size is billed.`;
      },
      inverse: ({ subject, previous }) => {
        const before = previous?.backupRetentionPeriod ?? was(subject, 'backupRetentionPeriod');
        return before === undefined
          ? { why: 'its previous retention was not recorded' }
          : { action: 'set_backup_retention', params: { days: before } };
      },
    },
    {
      name: 'set_backup_retention',
      title: 'Set backup retention',
      doing: 'setting the backup retention of',
      description: 'Keep automated backups (daily snapshots and transaction logs) for 0–35 days; 0 turns them off',
      params: z.object({ days: Days }),
      states: ['available'],
      detail: (s, p) =>
        `to ${p.days} days${was(s, 'backupRetentionPeriod') ? ` (was ${was(s, 'backupRetentionPeriod')})` : ''}`,
      blastRadius: (s, p) => {
        const before = Number(s.attributes.backupRetentionPeriod ?? 0);
        const after = Number(p.days);
        if ((before === 0) !== (after === 0))
          return `${label(s)} restarts for a few minutes (turning automated backups ${after === 0 ? 'off' : 'on'} is applied at once, with an outage); ${after === 0 ? 'its automated backups are deleted and point-in-time restore stops' : 'point-in-time restore becomes possible'}.`;
        return after < before
          ? `Automated backups of ${label(s)} older than ${after} days are deleted; no downtime.`
          : `${label(s)} keeps automated backups ${after} days; no downtime. Backup storage beyond the database's size is billed.`;
      },
      inverse: ({ subject, previous }) => {
        const before = previous?.backupRetentionPeriod ?? was(subject, 'backupRetentionPeriod');
        return before === undefined
          ? { why: 'its previous retention was not recorded' }
          : { action: 'set_backup_retention', params: { days: before } };
      },
    },
    {
      name: 'create_snapshot',
      title: 'Create DB snapshot',
      doing: 'creating a snapshot of',
      description: 'Take a manual snapshot of a DB instance (kept until deleted); its id is the output `snapshot`',
      params: z.object({ snapshot: SnapshotIdentifier.optional() }),
      states: ['available'],
      blastRadius: (s) =>
        `RDS snapshots the storage of ${label(s)}${s.attributes.multiAZ ? ' from its standby (no I/O pause)' : ': on a Single-AZ instance I/O pauses for a moment'}; the snapshot is kept until deleted and counts as backup storage.`,
      costDeltaCents: (s) => backupCents(s, s.region) ?? 0,
      inverse: made('snapshot', 'delete_db_snapshot', 'snapshot'),
    },
    {
      name: 'delete_db_snapshot',
      title: 'Delete DB snapshot of',
      doing: 'deleting a manual snapshot of',
      description: "Delete one manual snapshot of this DB instance (refused for another instance's snapshot)",
      params: z.object({ snapshot: SnapshotIdentifier }),
      detail: (_s, p) => p.snapshot!,
      blastRadius: (s, p) =>
        `Snapshot ${p.snapshot} of ${label(s)} is deleted for good: nothing can be restored from it afterwards.`,
      inverse: () => ({ why: 'a deleted snapshot cannot be restored' }),
    },
    {
      name: 'create_read_replica',
      title: 'Create read replica',
      doing: 'creating a read replica of',
      description:
        'Create a read replica of a DB instance, in another region for disaster recovery; its id is the output `replica`',
      params: z.object({
        region: AwsRegion,
        class: InstanceClass.optional(),
        replica: DbIdentifier.optional(),
      }),
      states: ['available'],
      check: async (s) => {
        if (Number(s.attributes.backupRetentionPeriod ?? 0) === 0)
          throw badRequest(
            `${label(s)} has automated backups off; RDS makes read replicas only of instances with backups (set_backup_retention first).`,
          );
      },
      detail: (s, p) => `in ${p.region}${p.class ? ` as ${p.class}` : was(s, 'class') ? ` as ${was(s, 'class')}` : ''}`,
      blastRadius: (s, p) =>
        `RDS snapshots ${label(s)} to seed the replica (${s.attributes.multiAZ ? 'from its standby' : 'a brief I/O pause on a Single-AZ instance'}), then streams every change to ${p.region}; the replica is billed as a DB instance there, and cross-region replication traffic is billed.`,
      costDeltaCents: (s, p) => replicaCents(s, p.region!, p.class) ?? 0,
      inverse: made('replica', 'delete_read_replica', 'replica', ['region']),
    },
    {
      name: 'delete_read_replica',
      title: 'Delete read replica of',
      doing: 'deleting a read replica of',
      description:
        'Delete one read replica of this DB instance, with no final snapshot (refused for any other instance)',
      params: z.object({ replica: DbIdentifier, region: AwsRegion.optional() }),
      detail: (s, p) => `${p.replica} in ${p.region ?? s.region}`,
      blastRadius: (s, p) =>
        `Replica ${p.replica} of ${label(s)} in ${p.region ?? s.region} is deleted with no final snapshot; reads sent to it fail. ${label(s)} itself is not touched.`,
      inverse: () => ({ why: 'a deleted replica cannot come back; create a new one' }),
    },
    {
      name: 'verify_restore',
      title: 'Verify restore',
      doing: 'checking the restore of',
      description:
        'Prove a restored DB instance matches the snapshot it came from: available, same engine and version, same encryption, at least its storage',
      params: z.object({ snapshot: SnapshotIdentifier }),
      states: ['available'],
      detail: (_s, p) => `from ${p.snapshot}`,
      blastRadius: (s, p) => `Nothing changes: it reads ${label(s)} and snapshot ${p.snapshot}.`,
      inverse: () => ({ why: 'a check changes nothing' }),
    },
    {
      name: 'delete_drill_instance',
      deletes: true,
      title: 'Delete drill instance',
      doing: 'deleting the drill instance',
      description: `Delete a DB instance a restore drill made (tagged ${drillTag}), with no final snapshot`,
      params: noParams,
      blastRadius: (s) =>
        `${label(s)} is deleted with no final snapshot; only an instance a restore drill made (tagged ${drillTag}) is accepted.`,
      costDeltaCents: (s) => -s.monthlyCostCents,
      inverse: () => ({ why: 'a deleted instance cannot come back; restore the snapshot again' }),
    },
  ],
  db_snapshot: [
    {
      name: 'copy_to_region',
      title: 'Copy DB snapshot',
      doing: 'copying DB snapshot',
      description:
        'Copy a DB snapshot to another region (encrypted ones with a KMS key there, by default RDS’s own); the copy is the output `snapshot`',
      params: z.object({
        region: AwsRegion,
        kms_key: z.string().min(1).max(2048).optional(),
      }),
      states: ['available'],
      check: checkOtherRegion,
      detail: (_s, p) => `to ${p.region}`,
      blastRadius: (s, p) =>
        `A copy of ${label(s)} is made in ${p.region} under the same name; the source is unchanged. The copy counts as backup storage in ${p.region}, and the transfer between regions is billed.`,
      costDeltaCents: (s, p) => backupCents(s, p.region!) ?? 0,
      inverse: made('copy', 'delete_snapshot_copy', 'snapshot', ['region']),
    },
    {
      name: 'delete_snapshot_copy',
      title: 'Delete copy of',
      doing: 'deleting a copy of',
      description:
        'Delete the copy of this DB snapshot in another region (refused for a snapshot copied from elsewhere)',
      params: z.object({ snapshot: SnapshotIdentifier, region: AwsRegion }),
      detail: (_s, p) => `in ${p.region}`,
      blastRadius: (s, p) =>
        `The copy ${p.snapshot} of ${label(s)} in ${p.region} is deleted for good; ${label(s)} itself is kept.`,
      inverse: () => ({ why: 'a deleted snapshot cannot be restored' }),
    },
    {
      name: 'restore_snapshot',
      title: 'Restore DB snapshot',
      doing: 'restoring DB snapshot',
      description: `Restore a DB snapshot into a new, private, Single-AZ instance tagged ${drillTag}; the instance is the output \`instance\``,
      params: z.object({ class: InstanceClass.optional(), instance: DbIdentifier.optional() }),
      states: ['available'],
      detail: (_s, p) => (p.class ? `as ${p.class}` : ''),
      blastRadius: (s, p) =>
        `A new DB instance${p.class ? ` (${p.class})` : ''} is created from ${label(s)}, not publicly reachable, and billed until it is deleted; nothing existing changes.`,
      inverse: made('instance', 'delete_restored_instance', 'instance'),
    },
    {
      name: 'delete_restored_instance',
      title: 'Delete instance restored from',
      doing: 'deleting the instance restored from',
      description: 'Delete the drill instance restored from this snapshot (refused for any other instance)',
      params: z.object({ instance: DbIdentifier }),
      detail: (_s, p) => `(${p.instance})`,
      blastRadius: (s, p) => `${p.instance}, restored from ${label(s)} by a drill, is deleted with no final snapshot.`,
      inverse: () => ({ why: 'a deleted instance cannot come back; restore the snapshot again' }),
    },
  ],
};
