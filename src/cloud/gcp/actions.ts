import { z } from 'zod';
import { monthlyCents } from '../pricing/index.ts';
import { conflict } from '../../errors.ts';
import {
  checkSize,
  noParams,
  powerInverse,
  sizeInverse,
  subjectLabel,
  type ActionCatalog,
  type ActionSubject,
  type Inverse,
} from '../actions.ts';

/**
 * What the GCP provider can do, as data (src/cloud/actions.ts). GCE instances: start, stop,
 * reset, set machine type. A power action records `{ state }` before it ran and a machine-type
 * change `{ size }`, so rollback restores what was there. The scanner's fixes (src/scans/rules/gcp.ts,
 * cost.ts) delete a firewall rule that opens SSH/RDP to the Internet, delete an old snapshot,
 * release an unused address, snapshot and delete an unattached disk, enforce a bucket's public access prevention and disable an old
 * user-managed service-account key (enable_key undoes it).
 *
 * set_machine_type needs a stopped (TERMINATED) instance, as GCE itself requires: a running one
 * is refused with a sentence telling to stop it first, rather than stopped behind the user's
 * back (a `stop` change, then this one, then `start`: each approved and undoable on its own).
 */

const label = subjectLabel;
const machineTypeOf = (s: { attributes: Record<string, unknown> }): string => String(s.attributes.machineType ?? '');

const Size = z.object({
  size: z
    .string()
    .min(1)
    .max(60)
    .transform((s) => s.trim().toLowerCase()),
});

const gceName = '[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?';
const cidr = '(?:\\d{1,3}(?:\\.\\d{1,3}){3}/\\d{1,2}|[0-9a-fA-F:]*:[0-9a-fA-F:]*/\\d{1,3})';
/** What gcp.fw.admin_ports puts in fixParams: the rule's name, the admin ports and the world CIDRs it opens. */
const RevokeIngress = z.object({
  rules: z.string().regex(new RegExp(`^${gceName}$`), 'the name of the firewall rule'),
  ports: z
    .string()
    .regex(/^\d{1,5}(,\d{1,5})*$/, 'comma-separated port numbers')
    .optional(),
  cidrs: z
    .string()
    .regex(new RegExp(`^${cidr}(,${cidr})*$`), 'comma-separated CIDRs')
    .optional(),
});

const Prevention = z.enum(['enforced', 'inherited']);

/** The firewall's ingress in words (`tcp 22-22 from 0.0.0.0/0`), as the inventory saw it. */
const ingressWords = (s: ActionSubject): string => {
  const ingress = Array.isArray(s.attributes.ingress)
    ? (s.attributes.ingress as Array<{ protocol?: string; fromPort?: number; toPort?: number }>)
    : [];
  return [
    ...new Set(
      ingress.map((e) =>
        e.protocol === 'all' || (e.fromPort === 0 && e.toPort === 65535)
          ? `${e.protocol ?? 'all'} (every port)`
          : `${e.protocol} ${e.fromPort === e.toPort ? e.fromPort : `${e.fromPort}-${e.toPort}`}`,
      ),
    ),
  ].join(', ');
};

const targetsOf = (s: ActionSubject): string => {
  const tags = Array.isArray(s.attributes.targetTags) ? (s.attributes.targetTags as string[]) : [];
  const network = String(s.attributes.network ?? '') || 'its network';
  return tags.length ? `instances tagged ${tags.join(', ')} on ${network}` : `every instance on ${network}`;
};

/** The public access prevention recorded before a change (or seen at plan time) → what puts it back. */
const preventionInverse = ({
  subject,
  previous,
}: {
  subject?: ActionSubject;
  previous?: Record<string, string>;
}): Inverse => {
  const before = previous ? previous.publicAccessPrevention : String(subject?.attributes.publicAccessPrevention ?? '');
  if (previous && !before) return { why: 'it was already enforced, so nothing changed' };
  const parsed = Prevention.safeParse(before);
  return parsed.success
    ? { action: 'set_public_access_prevention', params: { publicAccessPrevention: parsed.data } }
    : { why: 'its previous public access prevention was not recorded' };
};

/** What gcp.iam.sa_keys puts in fixParams: the key's service account and id. */
const KeyParams = z.object({
  serviceAccount: z
    .string()
    .regex(/^[^/\s@]+@[^/\s@]+$/, 'a service-account email')
    .optional(),
  keyId: z
    .string()
    .regex(/^[0-9a-f]{8,64}$/, 'a key id (hex)')
    .optional(),
});

const keyPower =
  (self: 'disable_key' | 'enable_key') =>
  ({ subject, previous }: { subject?: ActionSubject; previous?: Record<string, string> }): Inverse => {
    const before = previous ? previous.state : subject?.state;
    if (previous && !before) return { why: 'the key was already in that state, so nothing changed' };
    if (before === 'active')
      return self === 'disable_key' ? { action: 'enable_key', params: {} } : { why: 'the key was already enabled' };
    if (before === 'inactive')
      return self === 'enable_key' ? { action: 'disable_key', params: {} } : { why: 'the key was already disabled' };
    return { why: 'its previous state was not recorded' };
  };

/** Valid machine types of one zone of a project (the provider's cached machineTypes.list). */
export type ZoneSizes = (project: string, zone: string) => Promise<string[]>;

/** The sentence for a machine-type change asked of an instance that is not stopped. */
export const stopFirst = (name: string, state: string): string =>
  `${name} is ${state}; GCE changes the machine type of a stopped instance only. Stop it first (a \`stop\` change), then set the machine type, then start it.`;

/**
 * The catalog. `zoneSizes` checks a size against the instance's own zone (machine types differ
 * by zone); without it the check uses the region-wide list the change tool passes in.
 */
export const gcpActions = (zoneSizes?: ZoneSizes): ActionCatalog => ({
  instance: [
    {
      name: 'start',
      title: 'Start',
      doing: 'starting',
      description: 'Boot a stopped (TERMINATED) instance (compute billing resumes)',
      params: noParams,
      states: ['stopped'],
      doneStates: ['running', 'pending'],
      blastRadius: (s) => `${label(s)} boots and starts billing compute again.`,
      costDeltaCents: (s, _p, ctx) => ctx.monthlyCostAt(machineTypeOf(s)) ?? 0,
      inverse: powerInverse('start', 'start', 'stop'),
    },
    {
      name: 'stop',
      aliases: ['shutdown', 'halt'],
      title: 'Stop',
      doing: 'stopping',
      description: 'Stop a running instance (persistent disks, internal IP and static addresses kept)',
      params: noParams,
      states: ['running', 'pending'],
      doneStates: ['stopped', 'stopping'],
      blastRadius: (s) =>
        `${label(s)} stops serving until started again; its persistent disks and internal IP are kept, an ephemeral external IP is released.`,
      costDeltaCents: (s) => -s.monthlyCostCents,
      inverse: powerInverse('stop', 'start', 'stop'),
    },
    {
      name: 'reset',
      aliases: ['reboot', 'restart'],
      title: 'Reset',
      doing: 'resetting',
      description: 'Hard-reset a running instance (like the reset button: no clean shutdown)',
      params: noParams,
      states: ['running'],
      blastRadius: (s) =>
        `${label(s)} restarts at once without a clean shutdown: unavailable for a minute or two, unsaved memory is lost.`,
      inverse: () => ({ why: 'a reset cannot be undone' }),
    },
    {
      name: 'set_machine_type',
      aliases: ['resize', 'set_instance_type'],
      title: 'Set machine type',
      doing: 'changing the machine type of',
      description: 'Change the machine type of a stopped instance',
      params: Size,
      sizeAttribute: 'machineType',
      // No `states`: the generic "needs it to be stopped" would pre-empt check()'s sentence that
      // says what to do (stop it first), and the resize button stays offered to say it.
      check: async (s, p, ctx) => {
        if (s.state !== 'stopped') throw conflict(stopFirst(label(s), s.state));
        const zone = String(s.attributes.zone ?? '');
        const sizes = zoneSizes && zone ? () => zoneSizes(s.account, zone) : ctx.sizes;
        await checkSize(p.size!, machineTypeOf(s), label(s), sizes);
      },
      detail: (s, p) => `from ${machineTypeOf(s) || '?'} to ${p.size}`,
      blastRadius: (s, p) => `${label(s)} is stopped, so no downtime; it runs as ${p.size} when next started.`,
      // A stopped instance bills no compute either way; the difference shows when it is started.
      costDeltaCents: () => 0,
      inverse: sizeInverse('set_machine_type', 'machineType'),
    },
  ],
  security_group: [
    {
      name: 'revoke_ingress',
      aliases: ['delete_firewall_rule'],
      deletes: true,
      title: 'Delete firewall rule',
      doing: 'deleting firewall rule',
      description:
        'Delete a firewall rule that opens SSH/RDP to the Internet (GCE firewall rules are deleted whole, every port they allow with them)',
      params: RevokeIngress,
      states: ['active', 'disabled'],
      detail: (_s, p) => (p.ports ? `(opens port ${p.ports} from ${p.cidrs ?? 'the Internet'})` : ''),
      blastRadius: (s) => {
        const allowed = ingressWords(s);
        return `${label(s)} is deleted whole: ${targetsOf(s)} stop accepting what it allowed${allowed ? ` (${allowed})` : ''} from ${((s.attributes.sourceRanges as string[] | undefined) ?? []).join(', ') || 'its sources'}, not only SSH/RDP from the Internet, unless another rule allows it; IAP or bastion access from known ranges needs its own rule.`;
      },
      costDeltaCents: () => 0,
      inverse: ({ previous }) => ({
        why: previous?.firewall
          ? `a deleted firewall rule cannot be restored by this app; recreate ${previous.firewall} on network ${previous.network || 'default'} (${previous.direction || 'INGRESS'}, priority ${previous.priority || '1000'}, allow ${previous.allowed || 'nothing'} from ${previous.sourceRanges || 'no range'}${previous.targetTags ? `, target tags ${previous.targetTags}` : ''}) with narrower source ranges`
          : 'a deleted firewall rule cannot be restored by this app; recreate it with narrower source ranges',
      }),
    },
  ],
  volume: [
    {
      name: 'snapshot_and_delete',
      deletes: true,
      title: 'Snapshot and delete',
      doing: 'snapshotting and deleting',
      description: 'Snapshot an unattached persistent disk, wait for the snapshot, then delete the disk',
      params: noParams,
      states: ['available'],
      blastRadius: (s) =>
        `${label(s)} is deleted once its snapshot completes; its data survives only in that snapshot, from which a new disk (same name possible) can be made.`,
      costDeltaCents: (s) =>
        -s.monthlyCostCents +
        (monthlyCents('gcp', 'snapshot', 'standard', s.region, Number(s.attributes.sizeGb ?? 0)) ?? 0),
      inverse: ({ previous }) => ({
        why: previous?.snapshotId
          ? `a deleted disk cannot come back; create a new disk from snapshot ${previous.snapshotId}${previous.zone ? ` in ${previous.zone}` : ''}`
          : 'a deleted disk cannot come back; a new one can be made from the snapshot taken first',
      }),
    },
  ],
  snapshot: [
    {
      name: 'delete_snapshot',
      deletes: true,
      title: 'Delete snapshot',
      doing: 'deleting snapshot',
      description: 'Delete a Compute Engine snapshot',
      params: noParams,
      blastRadius: (s) =>
        `${label(s)} is deleted for good: no disk can be restored from it afterwards${s.attributes.sourceDisk ? ` (it was taken of ${String(s.attributes.sourceDisk)})` : ''}; a later incremental snapshot of the same disk keeps the data it needs.`,
      costDeltaCents: (s) => -s.monthlyCostCents,
      inverse: () => ({ why: 'a deleted snapshot cannot come back' }),
    },
  ],
  ip_address: [
    {
      name: 'release_address',
      aliases: ['delete_address'],
      deletes: true,
      title: 'Release address',
      doing: 'releasing address',
      description: 'Release a reserved static external address nothing uses',
      params: noParams,
      states: ['reserved'],
      blastRadius: (s) =>
        `${label(s)}${s.attributes.address ? ` (${String(s.attributes.address)})` : ''} is released for good: the same IP cannot be reserved again, so DNS records or allow-lists naming it must change.`,
      costDeltaCents: (s) => -s.monthlyCostCents,
      inverse: ({ previous }) => ({
        why: `a released address cannot be taken back${previous?.address ? `; ${previous.address} returns to Google's pool` : ''}`,
      }),
    },
  ],
  bucket: [
    {
      name: 'block_public_access',
      aliases: ['enforce_public_access_prevention'],
      title: 'Enforce public access prevention',
      doing: 'enforcing public access prevention of',
      description: 'Set the bucket’s public access prevention to enforced (allUsers grants stop working)',
      params: z.object({ publicAccessPrevention: z.literal('enforced').optional() }),
      blastRadius: (s) =>
        `Nobody outside the project can read ${label(s)} any more: allUsers and allAuthenticatedUsers grants${Array.isArray(s.attributes.publicGrants) && s.attributes.publicGrants.length ? ` (${(s.attributes.publicGrants as string[]).join('; ')})` : ''} stop working, as do public URLs of its objects.`,
      costDeltaCents: () => 0,
      inverse: preventionInverse,
    },
    {
      name: 'set_public_access_prevention',
      title: 'Set public access prevention',
      doing: 'setting public access prevention of',
      description:
        'Set the bucket’s public access prevention to enforced or inherited (follow the organization policy)',
      params: z.object({ publicAccessPrevention: Prevention }),
      detail: (_s, p) => `to ${p.publicAccessPrevention}`,
      blastRadius: (s, p) =>
        p.publicAccessPrevention === 'enforced'
          ? `Nobody outside the project can read ${label(s)} any more: allUsers and allAuthenticatedUsers grants stop working.`
          : `${label(s)} follows the organization policy again: any allUsers or allAuthenticatedUsers grant in its IAM policy makes it public.`,
      costDeltaCents: () => 0,
      inverse: preventionInverse,
    },
  ],
  access_key: [
    {
      name: 'disable_key',
      aliases: ['deactivate_key'],
      title: 'Disable key',
      doing: 'disabling',
      description: 'Disable a user-managed service-account key (it can be enabled again)',
      params: KeyParams,
      states: ['active'],
      doneStates: ['inactive'],
      blastRadius: (s) =>
        `Whatever authenticates as ${String(s.attributes.serviceAccount ?? 'the service account')} with ${label(s)} (CI jobs, scripts, servers outside Google Cloud) is refused until the key is enabled again; its other keys and attached identities keep working.`,
      costDeltaCents: () => 0,
      inverse: keyPower('disable_key'),
    },
    {
      name: 'enable_key',
      aliases: ['activate_key'],
      title: 'Enable key',
      doing: 'enabling',
      description: 'Enable a disabled user-managed service-account key',
      params: KeyParams,
      states: ['inactive'],
      doneStates: ['active'],
      blastRadius: (s) =>
        `${label(s)} authenticates as ${String(s.attributes.serviceAccount ?? 'its service account')} again, for whoever holds the key file.`,
      costDeltaCents: () => 0,
      inverse: keyPower('enable_key'),
    },
  ],
});
