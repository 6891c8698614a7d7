import type { Disk, Snapshot, VirtualMachine, VirtualMachineInstanceView } from '@azure/arm-compute';
import type { NetworkSecurityGroup, PublicIPAddress, SecurityRule } from '@azure/arm-network';
import type { StorageAccount } from '@azure/arm-storage';
import { monthlyCents } from '../pricing/index.ts';
import { environmentFromTags } from '../resource.ts';
import type { Resource } from '../resource.ts';

/**
 * ARM shapes (as the modular SDKs deserialize them: `properties` flattened) → normalized
 * Resources. The resource id is the ARM id (it carries the resource group the actions need);
 * `region` is the resource's own location, `account` the subscription id. Prices come from
 * src/cloud/pricing/azure.json: VM compute is billed while the VM is allocated (running, starting,
 * stopping and also `stopped`, which Azure still bills), not once deallocated; the table holds
 * Linux prices, so a Windows VM is `priced: false` rather than guessed.
 */

export interface NormalizeContext {
  subscriptionId: string;
  seenAt: Date;
  sandbox: boolean;
}

type Tagged = { tags?: Record<string, string>; location?: string; id?: string; name?: string };

const base = (r: Tagged, ctx: NormalizeContext) => {
  const tags = { ...(r.tags ?? {}) };
  return {
    provider: 'azure' as const,
    account: ctx.subscriptionId,
    region: (r.location ?? 'unknown').toLowerCase(),
    id: r.id ?? '',
    name: r.name ?? r.id ?? '',
    tags,
    environment: environmentFromTags(tags),
    seenAt: ctx.seenAt,
  };
};

/** `/subscriptions/s/resourceGroups/RG/providers/…` → `RG`. */
export const resourceGroupOf = (armId: string | undefined): string | null =>
  /\/resourceGroups\/([^/]+)/i.exec(armId ?? '')?.[1] ?? null;

/** The last segment of an ARM id (a resource's name). */
export const nameOfId = (armId: string | undefined | null): string | null =>
  armId ? (armId.split('/').filter(Boolean).at(-1) ?? null) : null;

/** `PowerState/running` → `running`; `unknown` when the view has none (a list without statusOnly). */
export const powerStateOf = (view: VirtualMachineInstanceView | undefined): string => {
  const code = view?.statuses?.find((s) => s.code?.startsWith('PowerState/'))?.code;
  return code ? code.slice('PowerState/'.length).toLowerCase() : 'unknown';
};

const unbilledStates = new Set(['deallocated', 'deallocating']);

/** Monthly compute cost of a size while allocated (Linux), or undefined when unpriced. */
export const vmMonthlyCents = (size: string, location: string, osType?: string): number | undefined =>
  osType === 'Windows' ? undefined : monthlyCents('azure', 'instance', size, location);

export const vmResource = (vm: VirtualMachine, ctx: NormalizeContext, view?: VirtualMachineInstanceView): Resource => {
  const b = base(vm, ctx);
  const state = powerStateOf(view ?? vm.instanceView);
  const size = vm.hardwareProfile?.vmSize ?? 'unknown';
  const osType = vm.storageProfile?.osDisk?.osType;
  const price = vmMonthlyCents(size, b.region, osType);
  return {
    ...b,
    type: 'instance',
    state,
    monthlyCostCents: unbilledStates.has(state) ? 0 : (price ?? 0),
    attributes: {
      vmSize: size,
      resourceGroup: resourceGroupOf(vm.id),
      vmId: vm.vmId ?? null,
      osType: osType ?? null,
      provisioningState: vm.provisioningState ?? null,
      timeCreated: vm.timeCreated?.toISOString() ?? null,
      osDisk: vm.storageProfile?.osDisk?.name ?? null,
      ...(price === undefined ? { priced: false } : {}),
    },
  };
};

/** Azure bills a managed disk by its provisioned tier (P10 = up to 128 GiB), not per GB. */
const tierSizes: Array<[number, number]> = [
  [4, 32],
  [6, 64],
  [10, 128],
  [15, 256],
  [20, 512],
  [30, 1024],
  [40, 2048],
  [50, 4096],
];
const tierLetter: Record<string, string> = { Premium_LRS: 'P', StandardSSD_LRS: 'E', Standard_LRS: 'S' };

/** `Premium_LRS` at 100 GiB → `Premium_LRS/P10`; undefined for SKUs or sizes the table does not tier. */
export const diskTierKey = (sku: string, sizeGb: number): string | undefined => {
  const letter = tierLetter[sku];
  const tier = tierSizes.find(([, max]) => sizeGb <= max);
  return letter && tier ? `${sku}/${letter}${tier[0]}` : undefined;
};

const diskStates: Record<string, string> = { unattached: 'available', attached: 'in-use', reserved: 'in-use' };

export const diskResource = (d: Disk, ctx: NormalizeContext): Resource => {
  const b = base(d, ctx);
  const sku = d.sku?.name ?? 'unknown';
  const sizeGb = d.diskSizeGB ?? 0;
  const diskState = d.diskState ?? 'Unknown';
  const tier = diskTierKey(sku, sizeGb);
  const price = tier ? monthlyCents('azure', 'disk', tier, b.region) : undefined;
  const attached = diskState !== 'Unattached' && d.managedBy ? d.managedBy : null;
  return {
    ...b,
    type: 'volume',
    state: diskStates[diskState.toLowerCase()] ?? diskState.toLowerCase(),
    monthlyCostCents: price ?? 0,
    attributes: {
      sizeGb,
      volumeType: sku,
      tier: tier ? tier.split('/')[1] : null,
      diskState,
      attachedTo: attached,
      attachedToName: nameOfId(attached),
      resourceGroup: resourceGroupOf(d.id),
      osType: d.osType ?? null,
      timeCreated: d.timeCreated?.toISOString() ?? null,
      encryption: d.encryption?.type ?? null,
      ...(price === undefined ? { priced: false } : {}),
    },
  };
};

export const snapshotResource = (s: Snapshot, ctx: NormalizeContext): Resource => {
  const b = base(s, ctx);
  const sizeGb = s.diskSizeGB ?? 0;
  const sku = s.sku?.name ?? 'Standard_LRS';
  const price = monthlyCents('azure', 'snapshot', sku, b.region, sizeGb);
  return {
    ...b,
    type: 'snapshot',
    state: s.provisioningState === 'Succeeded' ? 'completed' : (s.provisioningState ?? 'unknown').toLowerCase(),
    monthlyCostCents: price ?? 0,
    attributes: {
      sizeGb,
      sku,
      timeCreated: s.timeCreated?.toISOString() ?? null,
      sourceResourceId: s.creationData?.sourceResourceId ?? null,
      incremental: s.incremental ?? false,
      resourceGroup: resourceGroupOf(s.id),
      encryption: s.encryption?.type ?? null,
      ...(price === undefined ? { priced: false } : {}),
    },
  };
};

export const publicIpResource = (p: PublicIPAddress, ctx: NormalizeContext): Resource => {
  const b = base(p, ctx);
  const associatedTo = p.ipConfiguration?.id ?? p.natGateway?.id ?? null;
  const price = monthlyCents('azure', 'ip_address', associatedTo ? 'in_use' : 'idle', b.region);
  return {
    ...b,
    type: 'ip_address',
    state: associatedTo ? 'in-use' : 'available',
    monthlyCostCents: price ?? 0,
    attributes: {
      ipAddress: p.ipAddress ?? null,
      associatedTo,
      sku: p.sku?.name ?? null,
      allocation: p.publicIPAllocationMethod ?? null,
      version: p.publicIPAddressVersion ?? null,
      resourceGroup: resourceGroupOf(p.id),
      ...(price === undefined ? { priced: false } : {}),
    },
  };
};

/** NSG source words that mean "anyone on the Internet". */
const anywhere = new Set(['*', 'internet', '0.0.0.0/0', 'any']);
const protocols: Record<string, string> = { '*': 'all', tcp: 'tcp', udp: 'udp', icmp: 'icmp', esp: 'esp', ah: 'ah' };

const portRange = (range: string): [number, number] => {
  if (range === '*') return [0, 65535];
  const [from, to] = range.split('-').map((n) => Number.parseInt(n.trim(), 10));
  return [Number.isFinite(from) ? from! : 0, Number.isFinite(to) ? to! : Number.isFinite(from) ? from! : 65535];
};

/**
 * Inbound rules of one access in the AWS `ingress` shape (`{ protocol, fromPort, toPort, cidrs }`,
 * plus the rule's name and priority), one entry per destination port range, lowest priority
 * number (evaluated first) first; `*`/`Internet` sources become `0.0.0.0/0`, service tags
 * (VirtualNetwork, AzureLoadBalancer) stay as named. The Allow rules are `ingress`; the Deny
 * rules are kept beside them (`denyIngress`) so a reader can tell an Allow that a Deny of a lower
 * priority number shadows. Azure's default rules open nothing to the Internet and are not listed.
 */
export const ingressOf = (rules: SecurityRule[] | undefined, access: 'Allow' | 'Deny' = 'Allow') =>
  (rules ?? [])
    .filter((r) => r.direction === 'Inbound' && r.access === access)
    .sort((a, b) => (a.priority ?? 0) - (b.priority ?? 0))
    .flatMap((r) => {
      const sources = [...(r.sourceAddressPrefix ? [r.sourceAddressPrefix] : []), ...(r.sourceAddressPrefixes ?? [])];
      const cidrs = [...new Set(sources.map((s) => (anywhere.has(s.toLowerCase()) ? '0.0.0.0/0' : s)))];
      const protocol = protocols[(r.protocol ?? '*').toLowerCase()] ?? (r.protocol ?? 'all').toLowerCase();
      const ranges = [...(r.destinationPortRange ? [r.destinationPortRange] : []), ...(r.destinationPortRanges ?? [])];
      return (ranges.length ? ranges : ['*']).map((range) => {
        const [fromPort, toPort] = protocol === 'all' ? [0, 65535] : portRange(range);
        return { protocol, fromPort, toPort, cidrs, name: r.name ?? null, priority: r.priority ?? null };
      });
    });

export const nsgResource = (n: NetworkSecurityGroup, ctx: NormalizeContext): Resource => {
  const b = base(n, ctx);
  return {
    ...b,
    type: 'security_group',
    state: 'active',
    monthlyCostCents: 0,
    attributes: {
      ingress: ingressOf(n.securityRules),
      denyIngress: ingressOf(n.securityRules, 'Deny'),
      resourceGroup: resourceGroupOf(n.id),
      subnets: (n.subnets ?? []).map((s) => s.id).filter(Boolean),
      networkInterfaces: (n.networkInterfaces ?? []).map((i) => i.id).filter(Boolean),
    },
  };
};

/** Storage is billed by use (GB stored, operations), which ARM does not report: unpriced, cost 0. */
export const storageAccountResource = (a: StorageAccount, ctx: NormalizeContext): Resource => {
  const b = base(a, ctx);
  const services = a.encryption?.services;
  return {
    ...b,
    type: 'storage_account',
    state: a.statusOfPrimary ?? (a.provisioningState === 'Succeeded' ? 'available' : 'unknown'),
    monthlyCostCents: 0,
    attributes: {
      kind: a.kind ?? null,
      sku: a.sku?.name ?? null,
      // null when ARM omits it (older accounts): reported as unknown, not assumed either way.
      allowBlobPublicAccess: a.allowBlobPublicAccess ?? null,
      minimumTlsVersion: a.minimumTlsVersion ?? null,
      httpsOnly: a.enableHttpsTrafficOnly ?? null,
      publicNetworkAccess: a.publicNetworkAccess ?? null,
      encryption: {
        keySource: a.encryption?.keySource ?? null,
        blob: services?.blob?.enabled ?? null,
        file: services?.file?.enabled ?? null,
        infrastructure: a.encryption?.requireInfrastructureEncryption ?? false,
      },
      resourceGroup: resourceGroupOf(a.id),
      creationTime: a.creationTime?.toISOString() ?? null,
      priced: false,
    },
  };
};
