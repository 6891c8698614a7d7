import type { SecurityRule } from '@azure/arm-network';
import { AppError, badRequest, conflict } from '../../errors.ts';
import type { ActionResult } from '../provider.ts';
import { RecordedRules, type RecordedRule } from './actions.ts';
import { lroOptions, settle } from './arm.ts';
import type { LroOptions, SubscriptionClients } from './arm.ts';

/**
 * The scanner's fixes on Azure (src/scans/rules/azure.ts, cost.ts), through @azure/arm-network:
 * delete the NSG security rules that open SSH/RDP to the Internet (recording each definition, so
 * restore_security_rules can PUT them back), delete a public IP nothing holds, snapshot and delete
 * an unattached managed disk, and set a storage
 * account's secure transfer, minimum TLS and anonymous blob access (recording what they were). The resource is
 * read first: one that vanished after the plan fails with not_found before anything is sent.
 * Loaded with arm.ts, on the first cloud call.
 */

export interface FixTarget {
  type: string;
  action: string;
  params: Record<string, string>;
  resourceGroup: string;
  name: string;
  /** `resource group …, subscription …`, for messages. */
  where: string;
}

const both = (one: string | undefined, many: string[] | undefined): string[] =>
  many?.length ? many : one ? [one] : [];

const recorded = (r: SecurityRule): RecordedRule => ({
  name: r.name ?? '',
  priority: r.priority ?? 0,
  direction: r.direction === 'Outbound' ? 'Outbound' : 'Inbound',
  access: r.access === 'Deny' ? 'Deny' : 'Allow',
  protocol: r.protocol ?? '*',
  sourceAddressPrefixes: both(r.sourceAddressPrefix, r.sourceAddressPrefixes),
  sourcePortRanges: both(r.sourcePortRange, r.sourcePortRanges).length
    ? both(r.sourcePortRange, r.sourcePortRanges)
    : ['*'],
  destinationAddressPrefixes: both(r.destinationAddressPrefix, r.destinationAddressPrefixes).length
    ? both(r.destinationAddressPrefix, r.destinationAddressPrefixes)
    : ['*'],
  destinationPortRanges: both(r.destinationPortRange, r.destinationPortRanges),
  ...(r.description ? { description: r.description } : {}),
});

/** ARM takes the singular field for one value and the plural one for several. */
const field = (one: string, many: string, values: string[]) =>
  values.length === 1 ? { [one]: values[0] } : { [many]: values };

const armRule = (r: RecordedRule): SecurityRule => ({
  priority: r.priority,
  direction: r.direction,
  access: r.access,
  protocol: r.protocol,
  ...field('sourceAddressPrefix', 'sourceAddressPrefixes', r.sourceAddressPrefixes),
  ...field('sourcePortRange', 'sourcePortRanges', r.sourcePortRanges),
  ...field('destinationAddressPrefix', 'destinationAddressPrefixes', r.destinationAddressPrefixes),
  ...field('destinationPortRange', 'destinationPortRanges', r.destinationPortRanges),
  ...(r.description ? { description: r.description } : {}),
});

const words = (r: RecordedRule): string =>
  `${r.name} (${r.access.toLowerCase()} ${r.protocol} ${r.destinationPortRanges.join(',')} from ${r.sourceAddressPrefixes.join(',')}, priority ${r.priority})`;

const readNsg = async (c: SubscriptionClients, t: FixTarget) => {
  try {
    return await c.network.networkSecurityGroups.get(t.resourceGroup, t.name);
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404)
      throw new AppError(
        'not_found',
        `The network security group ${t.name} (${t.where}) no longer exists; nothing was changed.`,
      );
    throw e;
  }
};

const revokeIngress = async (c: SubscriptionClients, t: FixTarget, lro: LroOptions): Promise<ActionResult> => {
  const names = t.params.rules!.split(',').map((n) => n.trim());
  const nsg = await readNsg(c, t);
  const rules = names.map((n) => (nsg.securityRules ?? []).find((r) => r.name?.toLowerCase() === n.toLowerCase()));
  const found = rules.filter((r): r is SecurityRule => Boolean(r));
  if (!found.length)
    throw new AppError(
      'not_found',
      `${t.name} (${t.where}) has no rule ${names.join(' or ')} any more; nothing was changed.`,
    );
  const definitions = found.map(recorded);
  for (const rule of definitions) {
    await settle(c.network.securityRules.delete(t.resourceGroup, t.name, rule.name, lroOptions(lro)), lro);
  }
  const missing = names.filter((n) => !found.some((r) => r.name?.toLowerCase() === n.toLowerCase()));
  return {
    summary: `${t.name}: removed ${definitions.map(words).join('; ')}${missing.length ? `; ${missing.join(', ')} was already gone` : ''}`,
    newState: 'active',
    previous: { rules: JSON.stringify(definitions) },
  };
};

const restoreRules = async (c: SubscriptionClients, t: FixTarget, lro: LroOptions): Promise<ActionResult> => {
  const definitions = RecordedRules.parse(JSON.parse(t.params.rules!));
  await readNsg(c, t);
  for (const rule of definitions) {
    await settle(
      c.network.securityRules.createOrUpdate(t.resourceGroup, t.name, rule.name, armRule(rule), lroOptions(lro)),
      lro,
    );
  }
  return {
    summary: `${t.name}: restored ${definitions.map(words).join('; ')}`,
    newState: 'active',
    previous: { names: definitions.map((r) => r.name).join(',') },
  };
};

const releaseAddress = async (c: SubscriptionClients, t: FixTarget, lro: LroOptions): Promise<ActionResult> => {
  let ip;
  try {
    ip = await c.network.publicIPAddresses.get(t.resourceGroup, t.name);
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404)
      throw new AppError('not_found', `The public IP ${t.name} (${t.where}) no longer exists; nothing was changed.`);
    throw e;
  }
  const holder = ip.ipConfiguration?.id ?? ip.natGateway?.id;
  if (holder)
    throw conflict(`The public IP ${t.name} is associated with ${holder}; detach it first. Nothing was deleted.`);
  await settle(c.network.publicIPAddresses.delete(t.resourceGroup, t.name, lroOptions(lro)), lro);
  return {
    summary: `Public IP ${t.name}${ip.ipAddress ? ` (${ip.ipAddress})` : ''} deleted`,
    newState: 'deleted',
    previous: { ipAddress: ip.ipAddress ?? '', sku: ip.sku?.name ?? '', allocation: ip.publicIPAllocationMethod ?? '' },
  };
};

/** `<disk>-<yyyymmddhhmmss>`, within ARM's 80 characters. */
const snapshotName = (disk: string, at: Date): string =>
  `${disk.slice(0, 64)}-${at.toISOString().replace(/\D/g, '').slice(0, 14)}`;

/** Snapshot (incremental) an unattached managed disk into its group, then delete the disk. */
const snapshotAndDelete = async (
  c: SubscriptionClients,
  t: FixTarget,
  lro: LroOptions,
  now: () => Date,
): Promise<ActionResult> => {
  let disk;
  try {
    disk = await c.compute.disks.get(t.resourceGroup, t.name);
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404)
      throw new AppError('not_found', `The disk ${t.name} (${t.where}) no longer exists; nothing was changed.`);
    throw e;
  }
  if (disk.managedBy && disk.diskState !== 'Unattached')
    throw conflict(`The disk ${t.name} is attached to ${disk.managedBy}; detach it first. Nothing was changed.`);
  const snapshot = snapshotName(t.name, now());
  await settle(
    c.compute.snapshots.createOrUpdate(
      t.resourceGroup,
      snapshot,
      {
        location: disk.location ?? '',
        incremental: true,
        creationData: { createOption: 'Copy', sourceResourceId: disk.id ?? '' },
        tags: disk.tags ?? {},
      },
      lroOptions(lro),
    ),
    lro,
  );
  await settle(c.compute.disks.delete(t.resourceGroup, t.name, lroOptions(lro)), lro);
  return {
    summary: `Disk ${t.name} deleted after snapshot ${snapshot} completed`,
    newState: 'deleted',
    previous: { snapshotId: snapshot, availabilityZone: disk.zones?.[0] ?? '', resourceGroup: t.resourceGroup },
  };
};

const secureStorageAccount = async (c: SubscriptionClients, t: FixTarget): Promise<ActionResult> => {
  let before;
  try {
    before = await c.storage.storageAccounts.getProperties(t.resourceGroup, t.name);
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404)
      throw new AppError(
        'not_found',
        `The storage account ${t.name} (${t.where}) no longer exists; nothing was changed.`,
      );
    throw e;
  }
  const { httpsOnly, minimumTlsVersion, allowBlobPublicAccess } = t.params;
  const previous: Record<string, string> = {};
  const changes: string[] = [];
  const update: { enableHttpsTrafficOnly?: boolean; minimumTlsVersion?: string; allowBlobPublicAccess?: boolean } = {};
  if (httpsOnly && String(before.enableHttpsTrafficOnly ?? '') !== httpsOnly) {
    update.enableHttpsTrafficOnly = httpsOnly === 'true';
    if (before.enableHttpsTrafficOnly !== undefined) previous.httpsOnly = String(before.enableHttpsTrafficOnly);
    changes.push(`secure transfer ${httpsOnly === 'true' ? 'required' : 'not required'}`);
  }
  if (minimumTlsVersion && before.minimumTlsVersion !== minimumTlsVersion) {
    update.minimumTlsVersion = minimumTlsVersion;
    if (before.minimumTlsVersion) previous.minimumTlsVersion = before.minimumTlsVersion;
    changes.push(`minimum TLS ${minimumTlsVersion} (was ${before.minimumTlsVersion ?? 'not set'})`);
  }
  if (allowBlobPublicAccess && String(before.allowBlobPublicAccess ?? '') !== allowBlobPublicAccess) {
    update.allowBlobPublicAccess = allowBlobPublicAccess === 'true';
    if (before.allowBlobPublicAccess !== undefined)
      previous.allowBlobPublicAccess = String(before.allowBlobPublicAccess);
    changes.push(`anonymous blob access ${allowBlobPublicAccess === 'true' ? 'allowed' : 'blocked'}`);
  }
  if (!changes.length) return { summary: `${t.name} already had those settings`, newState: 'available', previous: {} };
  const after = await c.storage.storageAccounts.update(t.resourceGroup, t.name, update);
  return {
    summary: `${t.name}: ${changes.join(', ')}`,
    newState: after.statusOfPrimary ?? 'available',
    previous,
  };
};

export const executeFixAction = (
  c: SubscriptionClients,
  t: FixTarget,
  lro: LroOptions,
  now: () => Date,
): Promise<ActionResult> => {
  switch (`${t.type}/${t.action}`) {
    case 'security_group/revoke_ingress':
      return revokeIngress(c, t, lro);
    case 'security_group/restore_security_rules':
      return restoreRules(c, t, lro);
    case 'ip_address/release_address':
      return releaseAddress(c, t, lro);
    case 'volume/snapshot_and_delete':
      return snapshotAndDelete(c, t, lro, now);
    case 'storage_account/secure_storage_account':
      return secureStorageAccount(c, t);
    default:
      throw badRequest(`Azure ${t.type} resources have no action “${t.action}” here.`);
  }
};
