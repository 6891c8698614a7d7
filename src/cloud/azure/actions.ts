import { z } from 'zod';
import { monthlyCents } from '../pricing/index.ts';
import { checkSize, noParams, powerInverse, sizeInverse, subjectLabel, type ActionCatalog } from '../actions.ts';
import type { ActionCheckContext, ActionSubject, Inverse } from '../actions.ts';

/**
 * What the Azure provider can do, as data (src/cloud/actions.ts). VMs: start, deallocate (what
 * people mean by "stop" on Azure: a VM that is only powered off is still billed), restart and
 * resize. A power action records `{ state }` before it ran and a resize `{ size }`, so rollback
 * restores what was there. Azure's own `stopped` (powered off, allocated) is undone by
 * deallocate, the nearest action that exists here.
 *
 * The scanner's fixes (src/scans/rules/azure.ts, cost.ts): revoke_ingress deletes the NSG rules
 * that open SSH/RDP to the Internet and records their definitions, which restore_security_rules
 * puts back; release_address deletes a public IP nothing holds; secure_storage_account sets a
 * storage account's secure transfer, minimum TLS and anonymous blob access, and rollback runs it
 * again with the values it recorded.
 */

const label = subjectLabel;
const sizeOf = (s: ActionSubject): string => String(s.attributes.vmSize ?? '');

const Size = z.object({
  size: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_-]{2,64}$/, 'must be an Azure VM size such as Standard_D2s_v5'),
});

/** ARM treats size names case-insensitively: a case-only difference is accepted, anything else gets the "did you mean". */
const checkAzureSize = async (s: ActionSubject, size: string, ctx: ActionCheckContext): Promise<void> => {
  const valid = await ctx.sizes();
  const match = valid.find((v) => v.toLowerCase() === size.toLowerCase());
  await checkSize(match ?? size, sizeOf(s), label(s), async () => valid);
};

/** What restore_security_rules takes and revoke_ingress records: the rules as ARM had them. */
export const RecordedRule = z.object({
  name: z.string().min(1).max(80),
  priority: z.number().int().min(100).max(4096),
  direction: z.enum(['Inbound', 'Outbound']),
  access: z.enum(['Allow', 'Deny']),
  protocol: z.string().min(1),
  sourceAddressPrefixes: z.array(z.string().min(1)).min(1),
  sourcePortRanges: z.array(z.string().min(1)).min(1),
  destinationAddressPrefixes: z.array(z.string().min(1)).min(1),
  destinationPortRanges: z.array(z.string().min(1)).min(1),
  description: z.string().optional(),
});
export type RecordedRule = z.infer<typeof RecordedRule>;
export const RecordedRules = z.array(RecordedRule).min(1);

const ruleName = '[A-Za-z0-9](?:[-\\w.]{0,78}[\\w])?';
const cidr = '(?:\\d{1,3}(?:\\.\\d{1,3}){3}/\\d{1,2}|[0-9a-fA-F:]*:[0-9a-fA-F:]*/\\d{1,3})';
/** What az.nsg.admin_ports puts in fixParams: the Allow rules, the admin ports and the world CIDRs they open. */
const RevokeIngress = z.object({
  rules: z.string().regex(new RegExp(`^${ruleName}(,${ruleName})*$`), 'comma-separated NSG rule names'),
  ports: z
    .string()
    .regex(/^\d{1,5}(,\d{1,5})*$/, 'comma-separated port numbers')
    .optional(),
  cidrs: z
    .string()
    .regex(new RegExp(`^${cidr}(,${cidr})*$`), 'comma-separated CIDRs')
    .optional(),
});

/** The rule definitions as JSON (what revoke_ingress recorded). */
const RestoreRules = z.object({
  rules: z
    .string()
    .max(20_000)
    .refine((s) => {
      try {
        return RecordedRules.safeParse(JSON.parse(s)).success;
      } catch {
        return false;
      }
    }, 'the security rule definitions revoke_ingress recorded (JSON)'),
});

const rulesOf = (json: string): RecordedRule[] => {
  try {
    return RecordedRules.parse(JSON.parse(json));
  } catch {
    return [];
  }
};

const revokeInverse = ({ previous }: { previous?: Record<string, string> }): Inverse =>
  previous?.rules
    ? { action: 'restore_security_rules', params: { rules: previous.rules } }
    : { why: 'the removed rules are recorded when it runs; rollback re-creates them from that record' };

const flag = z.enum(['true', 'false']);
/** What az.storage.secure puts in fixParams (only the settings it found wrong); rollback sends the recorded values. */
const StorageSettings = z
  .object({
    httpsOnly: flag.optional(),
    minimumTlsVersion: z.enum(['TLS1_0', 'TLS1_1', 'TLS1_2']).optional(),
    allowBlobPublicAccess: flag.optional(),
  })
  .refine(
    (p) => Object.values(p).some((v) => v !== undefined),
    'needs httpsOnly, minimumTlsVersion or allowBlobPublicAccess',
  );

const storageWords = (p: Record<string, string>): string =>
  [
    p.httpsOnly ? (p.httpsOnly === 'true' ? 'require HTTPS' : 'accept plain HTTP') : '',
    p.minimumTlsVersion ? `minimum TLS ${p.minimumTlsVersion.replace('TLS', '').replace('_', '.')}` : '',
    p.allowBlobPublicAccess
      ? p.allowBlobPublicAccess === 'true'
        ? 'allow anonymous blob access'
        : 'block anonymous blob access'
      : '',
  ]
    .filter(Boolean)
    .join(', ');

export const azureActions: ActionCatalog = {
  instance: [
    {
      name: 'start',
      title: 'Start',
      doing: 'starting',
      description: 'Start a deallocated or stopped VM (compute billing resumes)',
      params: noParams,
      states: ['deallocated', 'stopped'],
      doneStates: ['running', 'starting'],
      blastRadius: (s) =>
        `${label(s)} boots and bills compute again; a dynamic public IP may change if it was deallocated.`,
      // A `stopped` VM is still allocated and billed, so starting it adds nothing.
      costDeltaCents: (s, _p, ctx) => (s.state === 'deallocated' ? (ctx.monthlyCostAt(sizeOf(s)) ?? 0) : 0),
      inverse: powerInverse('start', 'start', 'deallocate'),
    },
    {
      name: 'deallocate',
      aliases: ['stop', 'shutdown'],
      title: 'Deallocate',
      doing: 'deallocating',
      description: 'Stop the VM and release its compute (billing for compute stops; disks are kept)',
      params: noParams,
      states: ['running', 'stopped'],
      doneStates: ['deallocated', 'deallocating'],
      blastRadius: (s) =>
        `${label(s)} shuts down and its compute is released until started again; managed disks are kept, a dynamic public IP is released.`,
      costDeltaCents: (s) => -s.monthlyCostCents,
      inverse: powerInverse('deallocate', 'start', 'deallocate'),
    },
    {
      name: 'restart',
      aliases: ['reboot'],
      title: 'Restart',
      doing: 'restarting',
      description: 'Restart a running VM',
      params: noParams,
      states: ['running'],
      blastRadius: (s) => `${label(s)} is unavailable for a minute or two while it restarts.`,
      inverse: () => ({ why: 'a restart cannot be undone' }),
    },
    {
      name: 'resize',
      aliases: ['set_size'],
      title: 'Resize',
      doing: 'resizing',
      description: 'Change the VM size (Azure restarts a running VM to apply it)',
      params: Size,
      sizeAttribute: 'vmSize',
      states: ['running', 'stopped', 'deallocated'],
      check: (s, p, ctx) => checkAzureSize(s, p.size!, ctx),
      detail: (s, p) => `from ${sizeOf(s) || '?'} to ${p.size}`,
      blastRadius: (s, p) =>
        s.state === 'deallocated'
          ? `${label(s)} is deallocated, so no downtime; it runs as ${p.size} when next started.`
          : `${label(s)} restarts as ${p.size}: a few minutes of downtime.`,
      costDeltaCents: (s, p, ctx) => {
        if (s.state === 'deallocated') return 0;
        const before = ctx.monthlyCostAt(sizeOf(s));
        const after = ctx.monthlyCostAt(p.size!);
        return before !== undefined && after !== undefined ? after - before : 0;
      },
      inverse: sizeInverse('resize', 'vmSize'),
    },
  ],
  security_group: [
    {
      name: 'revoke_ingress',
      aliases: ['delete_security_rules'],
      title: 'Remove security rules',
      doing: 'removing security rules from',
      description:
        'Delete the NSG’s inbound Allow rules that open SSH/RDP to the Internet (their definitions are kept for rollback)',
      params: RevokeIngress,
      detail: (_s, p) => `(${p.rules}${p.ports ? `: port ${p.ports}` : ''}${p.cidrs ? ` from ${p.cidrs}` : ''})`,
      blastRadius: (s, p) =>
        `Rules ${(p.rules ?? '').split(',').join(', ')} are deleted from ${label(s)}: everything they allowed (not only SSH/RDP from the Internet) falls to the NSG's next rules, by default DenyAllInBound, for every subnet and NIC the NSG is attached to; sessions that need them break.`,
      costDeltaCents: () => 0,
      inverse: revokeInverse,
    },
    {
      name: 'restore_security_rules',
      title: 'Restore security rules',
      doing: 'restoring security rules of',
      description: 'Re-create NSG security rules from the definitions revoke_ingress recorded',
      params: RestoreRules,
      detail: (_s, p) =>
        `(${rulesOf(p.rules ?? '')
          .map((r) => r.name)
          .join(', ')})`,
      blastRadius: (s, p) =>
        `${label(s)} allows again what ${rulesOf(p.rules ?? '')
          .map(
            (r) =>
              `${r.name} (${r.protocol} ${r.destinationPortRanges.join(',')} from ${r.sourceAddressPrefixes.join(',')})`,
          )
          .join('; ')} allowed, for every subnet and NIC it is attached to.`,
      costDeltaCents: () => 0,
      inverse: ({ params }) => ({
        why: `remove ${
          rulesOf(params.rules ?? '')
            .map((r) => r.name)
            .join(', ') || 'the rules'
        } with revoke_ingress instead`,
      }),
    },
  ],
  volume: [
    {
      name: 'snapshot_and_delete',
      deletes: true,
      title: 'Snapshot and delete',
      doing: 'snapshotting and deleting',
      description: 'Take an incremental snapshot of an unattached managed disk, then delete the disk',
      params: noParams,
      states: ['available'],
      // The first incremental snapshot holds every used block: priced here as the full size.
      blastRadius: (s) =>
        `${label(s)} is deleted once its snapshot completes; its data survives only in that snapshot (in the same resource group), from which a new disk can be made.`,
      costDeltaCents: (s) =>
        -s.monthlyCostCents +
        (monthlyCents('azure', 'snapshot', 'Standard_LRS', s.region, Number(s.attributes.sizeGb ?? 0)) ?? 0),
      inverse: ({ previous }) => ({
        why: previous?.snapshotId
          ? `a deleted disk cannot come back; create a new disk from snapshot ${previous.snapshotId}${previous.resourceGroup ? ` in resource group ${previous.resourceGroup}` : ''}`
          : 'a deleted disk cannot come back; a new one can be made from the snapshot taken first',
      }),
    },
  ],
  ip_address: [
    {
      name: 'release_address',
      aliases: ['delete_public_ip'],
      deletes: true,
      title: 'Delete public IP',
      doing: 'deleting public IP',
      description: 'Delete a public IP address nothing is associated with',
      params: noParams,
      states: ['available'],
      blastRadius: (s) =>
        `${label(s)}${s.attributes.ipAddress ? ` (${String(s.attributes.ipAddress)})` : ''} is deleted for good: a new public IP gets another address, so DNS records or allow-lists naming it must change.`,
      costDeltaCents: (s) => -s.monthlyCostCents,
      inverse: ({ previous }) => ({
        why: `a deleted public IP cannot be taken back${previous?.ipAddress ? `; ${previous.ipAddress} returns to Azure's pool` : ''}`,
      }),
    },
  ],
  storage_account: [
    {
      name: 'secure_storage_account',
      aliases: ['set_storage_account_settings'],
      title: 'Secure storage account',
      doing: 'updating storage account',
      description: 'Require HTTPS, set the minimum TLS version, block anonymous blob access (each only where asked)',
      params: StorageSettings,
      detail: (_s, p) => `(${storageWords(p)})`,
      blastRadius: (s, p) =>
        `${label(s)} will ${storageWords(p)}: clients using plain HTTP, an older TLS version or anonymous blob URLs, as the change applies, are refused at once; signed-in and SAS access over HTTPS keeps working.`,
      costDeltaCents: () => 0,
      inverse: ({ subject, params, previous }) => {
        const before: Record<string, string> = previous ?? {};
        if (!previous && subject) {
          const attr = subject.attributes;
          if (params.httpsOnly && typeof attr.httpsOnly === 'boolean') before.httpsOnly = String(attr.httpsOnly);
          if (params.minimumTlsVersion && typeof attr.minimumTlsVersion === 'string')
            before.minimumTlsVersion = attr.minimumTlsVersion;
          if (params.allowBlobPublicAccess && typeof attr.allowBlobPublicAccess === 'boolean')
            before.allowBlobPublicAccess = String(attr.allowBlobPublicAccess);
        }
        return Object.keys(before).length
          ? { action: 'secure_storage_account', params: before }
          : { why: 'nothing was changed, or the previous settings were not reported' };
      },
    },
  ],
};
