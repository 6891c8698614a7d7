import { z } from 'zod';
import {
  checkSize,
  noParams,
  powerInverse,
  sizeInverse,
  subjectLabel,
  type ActionCatalog,
  type ActionSpec,
  type ActionSubject,
  type Inverse,
} from '../actions.ts';
import { monthlyCents } from '../pricing/index.ts';
import { appActions } from './app-actions.ts';
import { rdsActions } from './rds-actions.ts';
import { route53Actions } from './route53-actions.ts';
import { eksActions } from './eks-actions.ts';

/**
 * What the AWS provider can do, as data (src/cloud/actions.ts). EC2 instances: start, stop,
 * reboot, resize. A power action records `{ state }` before it ran and a resize `{ size }`, so
 * rollback restores what was there, not what the plan guessed. The scanner's fixes (src/scans/rules)
 * act on volumes, snapshots, Elastic IPs, security groups, log groups, buckets and KMS keys; each
 * records what it replaced, so rollback puts that back where AWS allows it. RDS disaster recovery
 * (./rds-actions.ts) and Route 53 failover (./route53-actions.ts) add their own.
 */

const label = subjectLabel;

const Size = z.object({
  size: z
    .string()
    .min(1)
    .max(60)
    .transform((s) => s.toLowerCase()),
});

const running = ['running', 'pending'];

type InverseArgs = Parameters<ActionSpec['inverse']>[0];

/** EBS volume types a volume can be changed to: the scanner's targets (gp3, io2) and the older ones rollback returns to. */
const volumeTypes = ['gp2', 'gp3', 'io1', 'io2'] as const;
const VolumeType = z.object({ volumeType: z.enum(volumeTypes) });

const diskCents = (s: ActionSubject, volumeType: string): number | undefined =>
  monthlyCents('aws', 'disk', volumeType, s.region, Number(s.attributes.sizeGb ?? 0));

/** The retention periods CloudWatch Logs accepts (PutRetentionPolicy refuses any other). */
export const logRetentionDays = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;
const Retention = z.object({
  days: z.string().refine((d) => (logRetentionDays as readonly number[]).includes(Number(d)) && /^\d+$/.test(d), {
    message: `one of ${logRetentionDays.join(', ')}`,
  }),
});

/** The retention recorded before a change (`never`: no policy) → what puts it back. */
const retentionInverse = ({ subject, previous }: InverseArgs): Inverse => {
  const before =
    previous?.retentionInDays ??
    (subject
      ? subject.attributes.retentionInDays == null
        ? 'never'
        : String(subject.attributes.retentionInDays)
      : '');
  if (!before) return { why: 'its previous retention was not recorded' };
  return before === 'never'
    ? { action: 'clear_retention', params: {} }
    : { action: 'set_retention', params: { days: before } };
};

/** An ingress rule as the inventory shows it (`all` for every protocol) and the scanner names it. */
const Ingress = z.object({
  protocol: z
    .string()
    .regex(/^(all|-1|tcp|udp|icmp|icmpv6|\d{1,3})$/, 'tcp, udp, icmp, icmpv6, all or a protocol number'),
  fromPort: z.string().regex(/^-?\d{1,5}$/, 'a port number'),
  toPort: z.string().regex(/^-?\d{1,5}$/, 'a port number'),
  cidr: z
    .string()
    .regex(/^(\d{1,3}(\.\d{1,3}){3}\/\d{1,2}|[0-9a-fA-F:]*:[0-9a-fA-F:]*\/\d{1,3})$/, 'an IPv4 or IPv6 CIDR'),
});
/** `tcp 22 from 0.0.0.0/0`, `all traffic from ::/0`: one ingress rule in words. */
export const ruleWords = (p: Record<string, string>): string => {
  const all = p.protocol === 'all' || p.protocol === '-1';
  const ports = p.fromPort === p.toPort ? p.fromPort : `${p.fromPort}-${p.toPort}`;
  return `${all ? 'all traffic' : `${p.protocol} ${ports}`} from ${p.cidr}`;
};
const sameRule = (p: Record<string, string>) => ({
  protocol: p.protocol!,
  fromPort: p.fromPort!,
  toPort: p.toPort!,
  cidr: p.cidr!,
});

/** S3 Block Public Access, the four settings in the order S3 lists them. */
export const publicAccessSettings = [
  'blockPublicAcls',
  'ignorePublicAcls',
  'blockPublicPolicy',
  'restrictPublicBuckets',
] as const;
const flag = z.enum(['true', 'false']);
const PublicAccessBlock = z.object(
  Object.fromEntries(publicAccessSettings.map((k) => [k, flag])) as Record<
    (typeof publicAccessSettings)[number],
    typeof flag
  >,
);

/** The configuration recorded before a change (`configured: 'false'`: none) → what puts it back. */
const publicAccessInverse = ({ subject, previous }: InverseArgs): Inverse => {
  let before: Record<string, string> | undefined = previous;
  if (!before && subject) {
    const block = subject.attributes.publicAccessBlock as Record<string, unknown> | null | undefined;
    if (block === null) before = { configured: 'false' };
    else if (block)
      before = {
        configured: 'true',
        ...Object.fromEntries(publicAccessSettings.map((k) => [k, String(block[k] === true)])),
      };
  }
  if (!before?.configured) return { why: 'its previous Block Public Access settings were not recorded' };
  if (before.configured === 'false') return { action: 'delete_public_access_block', params: {} };
  return {
    action: 'set_public_access_block',
    params: Object.fromEntries(publicAccessSettings.map((k) => [k, before[k] === 'true' ? 'true' : 'false'])),
  };
};

const ec2AndServiceActions: ActionCatalog = {
  instance: [
    {
      name: 'start',
      title: 'Start',
      doing: 'starting',
      description: 'Boot a stopped instance (compute billing resumes)',
      params: noParams,
      states: ['stopped'],
      doneStates: ['running', 'pending'],
      blastRadius: (s) => `${label(s)} boots and starts billing compute again.`,
      costDeltaCents: (s, _p, ctx) => ctx.monthlyCostAt(String(s.attributes.instanceType ?? '')) ?? 0,
      inverse: powerInverse('start', 'start', 'stop'),
    },
    {
      name: 'stop',
      aliases: ['shutdown', 'halt'],
      title: 'Stop',
      doing: 'stopping',
      description: 'Stop a running instance (EBS volumes and private IP kept)',
      params: noParams,
      states: running,
      doneStates: ['stopped', 'stopping'],
      blastRadius: (s) =>
        `${label(s)} stops serving until started again; its EBS volumes and private IP are kept, a public IP may change.`,
      costDeltaCents: (s) => -s.monthlyCostCents,
      inverse: powerInverse('stop', 'start', 'stop'),
    },
    {
      name: 'reboot',
      aliases: ['restart'],
      title: 'Reboot',
      doing: 'rebooting',
      description: 'Reboot a running instance',
      params: noParams,
      states: ['running'],
      blastRadius: (s) => `${label(s)} is unavailable for a minute or two while it reboots.`,
      inverse: () => ({ why: 'a reboot cannot be undone' }),
    },
    {
      name: 'resize',
      aliases: ['set_instance_type'],
      title: 'Resize',
      doing: 'resizing',
      description: 'Change the instance type (a running instance is stopped, changed and started)',
      params: Size,
      sizeAttribute: 'instanceType',
      states: ['running', 'stopped'],
      check: (s, p, ctx) => checkSize(p.size!, String(s.attributes.instanceType ?? ''), label(s), ctx.sizes),
      detail: (s, p) =>
        s.attributes.instanceType ? `from ${String(s.attributes.instanceType)} to ${p.size}` : `to ${p.size}`,
      blastRadius: (s, p) =>
        s.state === 'running'
          ? `${label(s)} is stopped, changed to ${p.size} and started again: a few minutes of downtime.`
          : `${label(s)} is stopped, so no downtime; it runs as ${p.size} when next started.`,
      costDeltaCents: (s, p, ctx) => {
        if (s.state !== 'running') return 0;
        const before = ctx.monthlyCostAt(String(s.attributes.instanceType ?? ''));
        const after = ctx.monthlyCostAt(p.size!);
        return before !== undefined && after !== undefined ? after - before : 0;
      },
      inverse: sizeInverse('resize', 'instanceType'),
    },
  ],
  volume: [
    {
      name: 'snapshot_and_delete',
      deletes: true,
      title: 'Snapshot and delete',
      doing: 'snapshotting and deleting',
      description: 'Snapshot an unattached volume, wait for the snapshot to complete, then delete the volume',
      params: noParams,
      states: ['available'],
      blastRadius: (s) =>
        `${label(s)} is deleted once its snapshot completes; its data survives only in that snapshot, from which a new volume (with a new id) can be made.`,
      costDeltaCents: (s) =>
        -s.monthlyCostCents +
        (monthlyCents('aws', 'snapshot', 'standard', s.region, Number(s.attributes.sizeGb ?? 0)) ?? 0),
      inverse: ({ previous }) => ({
        why: previous?.snapshotId
          ? `a deleted volume cannot come back; create a new volume from snapshot ${previous.snapshotId}${previous.availabilityZone ? ` in ${previous.availabilityZone}` : ''}`
          : 'a deleted volume cannot come back; a new one can be made from the snapshot taken first',
      }),
    },
    {
      name: 'modify_volume_type',
      aliases: ['change_volume_type'],
      title: 'Change volume type',
      doing: 'changing the volume type of',
      description: 'Change an EBS volume to another type (gp3, io2, …) online, with no detach',
      params: VolumeType,
      states: ['available', 'in-use'],
      detail: (s, p) =>
        s.attributes.volumeType ? `from ${String(s.attributes.volumeType)} to ${p.volumeType}` : `to ${p.volumeType}`,
      blastRadius: (s, p) =>
        `${label(s)} stays attached and usable while it changes to ${p.volumeType}; performance sits between the old and new type until the change completes (minutes to hours), and another change waits until then.`,
      costDeltaCents: (s, p) => {
        const before = diskCents(s, String(s.attributes.volumeType ?? ''));
        const after = diskCents(s, p.volumeType!);
        return before !== undefined && after !== undefined ? after - before : 0;
      },
      inverse: ({ subject, previous }) => {
        const before = previous?.volumeType ?? (subject ? String(subject.attributes.volumeType ?? '') : '');
        return (volumeTypes as readonly string[]).includes(before)
          ? { action: 'modify_volume_type', params: { volumeType: before } }
          : {
              why: before
                ? `it was ${before}, a type this action does not change to`
                : 'its previous type was not recorded',
            };
      },
    },
  ],
  snapshot: [
    {
      name: 'delete_snapshot',
      deletes: true,
      title: 'Delete snapshot',
      doing: 'deleting snapshot',
      description: 'Delete an EBS snapshot (refused by EC2 while a registered AMI uses it)',
      params: noParams,
      blastRadius: (s) =>
        `${label(s)} is deleted for good: nothing can be restored from it afterwards${s.attributes.volumeId ? ` (it was taken of ${String(s.attributes.volumeId)})` : ''}.`,
      costDeltaCents: (s) => -s.monthlyCostCents,
      inverse: () => ({ why: 'a deleted snapshot cannot be restored' }),
    },
  ],
  db_snapshot: [
    {
      name: 'delete_snapshot',
      deletes: true,
      title: 'Delete DB snapshot',
      doing: 'deleting DB snapshot',
      description: 'Delete a manual RDS snapshot (RDS deletes automated ones itself)',
      params: noParams,
      states: ['available'],
      blastRadius: (s) =>
        `${label(s)} is deleted for good: its database${s.attributes.instance ? ` ${String(s.attributes.instance)}` : ''} can no longer be restored from it.`,
      // RDS snapshots are unpriced (backup storage beyond the free allowance): no saving claimed then.
      costDeltaCents: (s) => -(s.monthlyCostCents || 0),
      inverse: () => ({ why: 'a deleted snapshot cannot be restored' }),
    },
  ],
  ip_address: [
    {
      name: 'release_address',
      deletes: true,
      aliases: ['release'],
      title: 'Release address',
      doing: 'releasing',
      description: 'Release an Elastic IP back to AWS (disassociating it first if it is attached)',
      params: noParams,
      blastRadius: (s) => {
        const ip = s.attributes.publicIp ? String(s.attributes.publicIp) : 'the address';
        return s.attributes.associatedTo
          ? `${String(s.attributes.associatedTo)} loses ${ip} first; then ${ip} goes back to AWS and may never be yours again (anything pointing at it, DNS or allow-lists, stops working).`
          : `${ip} goes back to AWS and may never be yours again (anything pointing at it, DNS or allow-lists, stops working).`;
      },
      costDeltaCents: (s) => -s.monthlyCostCents,
      inverse: () => ({
        why: 'a released Elastic IP cannot be claimed back; allocating a new one gives another address',
      }),
    },
  ],
  security_group: [
    {
      name: 'revoke_ingress',
      title: 'Revoke ingress',
      doing: 'revoking an ingress rule of',
      description: 'Remove one inbound rule (protocol, port range, CIDR) from a security group',
      params: Ingress,
      detail: (_s, p) => ruleWords(p),
      blastRadius: (s, p) =>
        `Every instance, load balancer and interface in ${label(s)} stops accepting ${ruleWords(p)} at once; established connections may drop and other rules still apply.`,
      inverse: ({ params }) => ({ action: 'authorize_ingress', params: sameRule(params) }),
    },
    {
      name: 'authorize_ingress',
      title: 'Authorize ingress',
      doing: 'authorizing an ingress rule of',
      description: 'Add one inbound rule (protocol, port range, CIDR) to a security group',
      params: Ingress,
      detail: (_s, p) => ruleWords(p),
      blastRadius: (s, p) =>
        `Every instance, load balancer and interface in ${label(s)} starts accepting ${ruleWords(p)}.`,
      inverse: ({ params }) => ({ action: 'revoke_ingress', params: sameRule(params) }),
    },
  ],
  log_group: [
    {
      name: 'set_retention',
      title: 'Set retention',
      doing: 'setting the retention of',
      description: 'Keep log events a set number of days; older ones are deleted',
      params: Retention,
      detail: (s, p) =>
        `to ${p.days} days${s.attributes.retentionInDays == null ? ' (it never expired)' : ` (was ${String(s.attributes.retentionInDays)})`}`,
      blastRadius: (s, p) =>
        `Events in ${label(s)} older than ${p.days} days are deleted by CloudWatch Logs within about three days and cannot be read again; newer ones are kept.`,
      inverse: retentionInverse,
    },
    {
      name: 'clear_retention',
      title: 'Never expire',
      doing: 'removing the retention of',
      description: 'Remove the retention policy so events are kept forever',
      params: noParams,
      blastRadius: (s) => `${label(s)} keeps every event from now on; its storage (and bill) grows without bound.`,
      inverse: retentionInverse,
    },
  ],
  bucket: [
    {
      name: 'block_public_access',
      title: 'Block public access',
      doing: 'blocking public access to',
      description: 'Turn on all four S3 Block Public Access settings of a bucket',
      params: noParams,
      blastRadius: (s) =>
        `Public ACLs and public bucket policies of ${label(s)} stop working at once: anyone reading it anonymously (a website, public downloads) is refused; access through IAM, CloudFront with origin access and presigned URLs goes on.`,
      inverse: publicAccessInverse,
    },
    {
      name: 'set_public_access_block',
      title: 'Set Block Public Access',
      doing: 'setting Block Public Access of',
      description: 'Set each of the four S3 Block Public Access settings of a bucket',
      params: PublicAccessBlock,
      detail: (_s, p) => publicAccessSettings.map((k) => `${k}=${p[k]}`).join(', '),
      blastRadius: (s, p) => {
        const off = publicAccessSettings.filter((k) => p[k] !== 'true');
        return off.length
          ? `${label(s)} may be made public again through ${off.join(', ')} being off: its ACLs and policy decide who reads it.`
          : `Public ACLs and public policies of ${label(s)} stop working at once.`;
      },
      inverse: publicAccessInverse,
    },
    {
      name: 'delete_public_access_block',
      title: 'Remove Block Public Access',
      doing: 'removing Block Public Access of',
      description: 'Delete the bucket-level Block Public Access configuration (the account-level one still applies)',
      params: noParams,
      blastRadius: (s) =>
        `${label(s)} has no bucket-level Block Public Access: its ACLs and policy (and any account-level block) decide who reads it.`,
      inverse: publicAccessInverse,
    },
  ],
  kms_key: [
    {
      name: 'enable_key_rotation',
      title: 'Enable key rotation',
      doing: 'enabling rotation of',
      description: 'Turn on automatic yearly rotation of a customer-managed symmetric KMS key',
      params: noParams,
      states: ['enabled'],
      blastRadius: (s) =>
        `${label(s)} gets new key material every year; what it encrypted before still decrypts, and nothing using it changes.`,
      inverse: ({ subject, previous }) =>
        (previous?.rotationEnabled ?? String(subject?.attributes.rotationEnabled ?? '')) === 'true'
          ? { why: 'rotation was already on before it ran' }
          : { action: 'disable_key_rotation', params: {} },
    },
    {
      name: 'disable_key_rotation',
      title: 'Disable key rotation',
      doing: 'disabling rotation of',
      description: 'Turn off automatic rotation of a customer-managed KMS key',
      params: noParams,
      states: ['enabled'],
      blastRadius: (s) =>
        `${label(s)} keeps its current key material; material already rotated stays usable for decryption.`,
      inverse: ({ subject, previous }) =>
        (previous?.rotationEnabled ?? String(subject?.attributes.rotationEnabled ?? '')) === 'false'
          ? { why: 'rotation was already off before it ran' }
          : { action: 'enable_key_rotation', params: {} },
    },
  ],
};

/** Catalogs joined type by type (each adds its own actions to a type's list). */
const joined = (...catalogs: ActionCatalog[]): ActionCatalog => {
  const out: ActionCatalog = {};
  for (const c of catalogs)
    for (const [type, specs] of Object.entries(c) as Array<[keyof ActionCatalog, ActionSpec[]]>)
      out[type] = [...(out[type] ?? []), ...specs];
  return out;
};

/** Every AWS action: the instance actions and the scanner's fixes above, deploying apps, RDS recovery, Route 53 failover, EKS clusters. */
// EKS (eks-actions.ts): clusters made in a VPC, and node groups, access entries and policies, and
// add-ons made on a cluster (the k8s-production-cluster template).
export const awsActions: ActionCatalog = joined(
  ec2AndServiceActions,
  appActions,
  rdsActions,
  route53Actions,
  eksActions,
);
