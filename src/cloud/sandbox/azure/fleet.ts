import { createHash } from 'node:crypto';

/**
 * The Azure emulator's in-memory cloud and its seeded demo fleet: two subscriptions (prod and
 * dev) over eastus and westeurope, with the waste and risk scans should find (idle dev VMs, a
 * deallocated VM, an unattached disk, a ~400-day-old snapshot, an unassociated public IP, an NSG
 * open to the Internet on RDP and SSH, a storage account allowing public blob access and one
 * accepting TLS 1.0 over plain HTTP). Ids are derived from names, times are offsets from `now`:
 * the same `now` always gives the same fleet. Records are plain and mutable so tests can arrange
 * odd cases (a VM deleted between plan and execution).
 */

export type Tags = Record<string, string>;

/** Azure power states as instanceView reports them (`PowerState/<state>`). */
export type PowerState = 'running' | 'starting' | 'stopping' | 'stopped' | 'deallocating' | 'deallocated';

export interface AzureSubscription {
  id: string;
  name: string;
  tenantId: string;
}

interface Located {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  location: string;
  tags: Tags;
}

export interface AzureVm extends Located {
  vmId: string;
  size: string;
  power: PowerState;
  /** A transition in progress: `to` is reached after `readsLeft` more reads have seen `power`. */
  transition?: { to: PowerState; readsLeft: number };
  osType: 'Linux' | 'Windows';
  osDiskName: string;
  timeCreated: Date;
  /**
   * The VM's typical CPU use in percent: Azure Monitor's `Percentage CPU` (and the network totals)
   * are derived from it, day by day, while the VM runs (src/cloud/sandbox/azure/monitor.ts).
   */
  cpuPercent: number;
}

export interface AzureDisk extends Located {
  sizeGb: number;
  sku: string;
  /** Name of the VM it is attached to (same subscription and group), or undefined. */
  managedBy?: string;
  timeCreated: Date;
  osType?: 'Linux' | 'Windows';
}

export interface AzureSnapshot extends Located {
  sizeGb: number;
  sku: string;
  sourceDisk: string;
  incremental: boolean;
  timeCreated: Date;
}

export interface AzurePublicIp extends Located {
  ipAddress: string;
  sku: 'Standard' | 'Basic';
  allocation: 'Static' | 'Dynamic';
  /** The VM whose NIC holds it, or undefined when unassociated. */
  attachedVm?: string;
}

export interface AzureSecurityRule {
  name: string;
  priority: number;
  direction: 'Inbound' | 'Outbound';
  access: 'Allow' | 'Deny';
  protocol: 'Tcp' | 'Udp' | 'Icmp' | '*';
  sourceAddressPrefixes: string[];
  destinationPortRanges: string[];
}

export interface AzureNsg extends Located {
  rules: AzureSecurityRule[];
}

export interface AzureStorageAccount extends Located {
  sku: string;
  kind: string;
  allowBlobPublicAccess: boolean;
  minimumTlsVersion: 'TLS1_0' | 'TLS1_1' | 'TLS1_2';
  httpsOnly: boolean;
  publicNetworkAccess: 'Enabled' | 'Disabled';
  infrastructureEncryption: boolean;
  timeCreated: Date;
}

export interface AzureVmSize {
  name: string;
  numberOfCores: number;
  memoryInMB: number;
}

export interface AzureFleet {
  subscriptions: AzureSubscription[];
  vms: AzureVm[];
  disks: AzureDisk[];
  snapshots: AzureSnapshot[];
  publicIps: AzurePublicIp[];
  nsgs: AzureNsg[];
  storageAccounts: AzureStorageAccount[];
  /** VM sizes offered per location (`vmSizes`); a resize to a size not listed is refused. */
  sizes: Record<string, AzureVmSize[]>;
}

/** The tenant, app registration and secret the emulator's Entra accepts by default. */
export const sandboxTenantId = '72f988bf-0000-4000-8000-00000000a2e1';
export const sandboxClientId = '0c0ffee0-0000-4000-8000-00000000c11e';
export const sandboxClientSecret = 'sandbox-client-secret';
export const prodSubscriptionId = '11111111-1111-4111-8111-111111111111';
export const devSubscriptionId = '22222222-2222-4222-8222-222222222222';
export const sandboxLocations = ['eastus', 'westeurope'];

const day = 86_400_000;
const ago = (now: Date, days: number): Date => new Date(now.getTime() - Math.round(days * day));
const guid = (seed: string): string => {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
};

const gib = (n: number) => n * 1024;
const size = (name: string, numberOfCores: number, memoryGib: number): AzureVmSize => ({
  name,
  numberOfCores,
  memoryInMB: gib(memoryGib),
});
const commonSizes: AzureVmSize[] = [
  size('Standard_B1s', 1, 1),
  size('Standard_B1ms', 1, 2),
  size('Standard_B2s', 2, 4),
  size('Standard_B2ms', 2, 8),
  size('Standard_B4ms', 4, 16),
  size('Standard_D2s_v3', 2, 8),
  size('Standard_D4s_v3', 4, 16),
  size('Standard_D2s_v5', 2, 8),
  size('Standard_D4s_v5', 4, 16),
  size('Standard_D8s_v5', 8, 32),
  size('Standard_D16s_v5', 16, 64),
  size('Standard_E2s_v5', 2, 16),
  size('Standard_E4s_v5', 4, 32),
  size('Standard_E8s_v5', 8, 64),
  size('Standard_F2s_v2', 2, 4),
  size('Standard_F4s_v2', 4, 8),
  size('Standard_F8s_v2', 8, 16),
];
/** eastus offers one size westeurope does not, so "not offered in this region" can be seen. */
export const sandboxSizes = (): Record<string, AzureVmSize[]> => ({
  eastus: [...commonSizes, size('Standard_F16s_v2', 16, 32)],
  westeurope: [...commonSizes],
});

const rg = (subscription: 'prod' | 'dev', service: string, location: string) =>
  `rg-${service}-${subscription}-${location === 'eastus' ? 'eus' : 'weu'}`;

// name, subscription, location, service, owner, size, power, os, created days ago, typical CPU %
type VmRow = [string, 'prod' | 'dev', string, string, string, string, PowerState, 'Linux' | 'Windows', number, number];
/** The idle dev VMs (web-dev-1, api-dev-1, ml-dev-1) average under 5 % CPU; the prod ones are busy. */
const vmRows: VmRow[] = [
  ['web-prod-1', 'prod', 'eastus', 'web', 'web-team', 'Standard_D4s_v5', 'running', 'Linux', 90, 38],
  ['web-prod-2', 'prod', 'eastus', 'web', 'web-team', 'Standard_D4s_v5', 'running', 'Linux', 90, 35],
  ['api-prod-1', 'prod', 'eastus', 'api', 'platform', 'Standard_F4s_v2', 'running', 'Linux', 120, 52],
  ['db-prod-1', 'prod', 'eastus', 'db', 'data', 'Standard_E8s_v5', 'running', 'Linux', 300, 61],
  ['web-prod-weu-1', 'prod', 'westeurope', 'web', 'web-team', 'Standard_D2s_v5', 'running', 'Linux', 60, 27],
  ['jump-prod-weu', 'prod', 'westeurope', 'bastion', 'platform', 'Standard_B2s', 'running', 'Windows', 200, 9],
  ['batch-prod-old', 'prod', 'westeurope', 'batch', 'data', 'Standard_D8s_v5', 'deallocated', 'Linux', 400, 45],
  ['web-dev-1', 'dev', 'eastus', 'web', 'web-team', 'Standard_B2ms', 'running', 'Linux', 75, 1.4],
  ['api-dev-1', 'dev', 'eastus', 'api', 'platform', 'Standard_D2s_v5', 'running', 'Linux', 75, 0.9],
  ['ml-dev-1', 'dev', 'westeurope', 'ml', 'data', 'Standard_E4s_v5', 'running', 'Linux', 58, 2.2],
  ['win-dev-1', 'dev', 'westeurope', 'desktop', 'qa', 'Standard_B4ms', 'stopped', 'Windows', 150, 12],
];

export const seedAzureFleet = (now: Date): AzureFleet => {
  const subscriptions: AzureSubscription[] = [
    { id: prodSubscriptionId, name: 'prod', tenantId: sandboxTenantId },
    { id: devSubscriptionId, name: 'dev', tenantId: sandboxTenantId },
  ];
  const subOf = (s: 'prod' | 'dev') => (s === 'prod' ? prodSubscriptionId : devSubscriptionId);
  const vms: AzureVm[] = [];
  const disks: AzureDisk[] = [];
  const publicIps: AzurePublicIp[] = [];
  vmRows.forEach(([name, sub, location, service, owner, vmSize, power, osType, created, cpuPercent], i) => {
    const tags: Tags = { env: sub, service, owner };
    const base = { subscriptionId: subOf(sub), resourceGroup: rg(sub, service, location), location, tags };
    vms.push({
      ...base,
      name,
      vmId: guid(`vm/${name}`),
      size: vmSize,
      power,
      osType,
      osDiskName: `${name}-osdisk`,
      timeCreated: ago(now, created),
      cpuPercent,
    });
    disks.push({
      ...base,
      name: `${name}-osdisk`,
      sizeGb: osType === 'Windows' ? 128 : 64,
      sku: sub === 'prod' ? 'Premium_LRS' : 'StandardSSD_LRS',
      managedBy: name,
      timeCreated: ago(now, created),
      osType,
    });
    if (service === 'web' || service === 'bastion' || service === 'desktop')
      publicIps.push({
        ...base,
        name: `${name}-pip`,
        ipAddress: `20.${location === 'eastus' ? 62 : 103}.${10 + i}.${20 + i}`,
        sku: 'Standard',
        allocation: 'Static',
        attachedVm: name,
      });
  });
  const dataDisk = (
    name: string,
    vm: string | undefined,
    sub: 'prod' | 'dev',
    location: string,
    service: string,
    sizeGb: number,
    sku: string,
    created: number,
  ): AzureDisk => ({
    subscriptionId: subOf(sub),
    resourceGroup: rg(sub, service, location),
    location,
    tags: { env: sub, service, owner: 'data' },
    name,
    sizeGb,
    sku,
    ...(vm ? { managedBy: vm } : {}),
    timeCreated: ago(now, created),
  });
  disks.push(
    dataDisk('db-prod-1-data', 'db-prod-1', 'prod', 'eastus', 'db', 1024, 'Premium_LRS', 300),
    dataDisk('ml-dev-1-data', 'ml-dev-1', 'dev', 'westeurope', 'ml', 256, 'StandardSSD_LRS', 58),
    dataDisk('old-migration-data', undefined, 'dev', 'westeurope', 'ml', 512, 'Premium_LRS', 240),
  );
  const snapshots: AzureSnapshot[] = [
    ['db-prod-1-nightly', 'prod', 'eastus', 'db', 'db-prod-1-data', 1024, 1],
    ['db-prod-1-weekly', 'prod', 'eastus', 'db', 'db-prod-1-data', 1024, 6],
    ['legacy-db-backup', 'prod', 'eastus', 'db', 'legacy-db-data', 512, 400],
    ['ml-dev-1-baseline', 'dev', 'westeurope', 'ml', 'ml-dev-1-data', 256, 30],
  ].map(([name, sub, location, service, sourceDisk, sizeGb, created]) => ({
    subscriptionId: subOf(sub as 'prod' | 'dev'),
    resourceGroup: rg(sub as 'prod' | 'dev', service as string, location as string),
    location: location as string,
    tags: { env: sub as string, service: service as string },
    name: name as string,
    sizeGb: sizeGb as number,
    sku: 'Standard_LRS',
    sourceDisk: sourceDisk as string,
    incremental: false,
    timeCreated: ago(now, created as number),
  }));
  publicIps.push({
    subscriptionId: devSubscriptionId,
    resourceGroup: rg('dev', 'web', 'eastus'),
    location: 'eastus',
    tags: { env: 'dev', service: 'web', owner: 'web-team' },
    name: 'old-demo-pip',
    ipAddress: '20.62.99.99',
    sku: 'Standard',
    allocation: 'Static',
  });
  const allow = (
    name: string,
    priority: number,
    protocol: AzureSecurityRule['protocol'],
    sources: string[],
    ports: string[],
  ): AzureSecurityRule => ({
    name,
    priority,
    direction: 'Inbound',
    access: 'Allow',
    protocol,
    sourceAddressPrefixes: sources,
    destinationPortRanges: ports,
  });
  const nsgs: AzureNsg[] = [
    {
      subscriptionId: prodSubscriptionId,
      resourceGroup: rg('prod', 'web', 'eastus'),
      location: 'eastus',
      tags: { env: 'prod', service: 'web' },
      name: 'nsg-web-prod',
      rules: [allow('allow-https', 100, 'Tcp', ['Internet'], ['443']), allow('allow-http', 110, 'Tcp', ['*'], ['80'])],
    },
    {
      subscriptionId: prodSubscriptionId,
      resourceGroup: rg('prod', 'db', 'eastus'),
      location: 'eastus',
      tags: { env: 'prod', service: 'db' },
      name: 'nsg-db-prod',
      rules: [
        allow('allow-postgres-vnet', 100, 'Tcp', ['10.10.0.0/16'], ['5432']),
        { ...allow('deny-internet-inbound', 4000, '*', ['Internet'], ['*']), access: 'Deny' },
      ],
    },
    {
      subscriptionId: devSubscriptionId,
      resourceGroup: rg('dev', 'desktop', 'westeurope'),
      location: 'westeurope',
      tags: { env: 'dev', service: 'desktop' },
      name: 'nsg-dev-open',
      rules: [
        allow('allow-rdp-anywhere', 100, 'Tcp', ['*'], ['3389']),
        allow('allow-ssh-internet', 110, 'Tcp', ['Internet'], ['22']),
        allow('allow-vnet-all', 200, '*', ['10.20.0.0/16'], ['*']),
        { ...allow('deny-outbound-smtp', 300, 'Tcp', ['*'], ['25']), direction: 'Outbound', access: 'Deny' },
      ],
    },
  ];
  const account = (
    name: string,
    sub: 'prod' | 'dev',
    location: string,
    service: string,
    o: Partial<AzureStorageAccount>,
  ): AzureStorageAccount => ({
    subscriptionId: subOf(sub),
    resourceGroup: rg(sub, service, location),
    location,
    tags: { env: sub, service },
    name,
    sku: 'Standard_LRS',
    kind: 'StorageV2',
    allowBlobPublicAccess: false,
    minimumTlsVersion: 'TLS1_2',
    httpsOnly: true,
    publicNetworkAccess: 'Enabled',
    infrastructureEncryption: false,
    timeCreated: ago(now, 200),
    ...o,
  });
  const storageAccounts = [
    account('stprodlogs001', 'prod', 'eastus', 'logs', { sku: 'Standard_GRS', publicNetworkAccess: 'Disabled' }),
    account('stprodassets001', 'prod', 'westeurope', 'web', { allowBlobPublicAccess: true }),
    account('stdevlegacy001', 'dev', 'eastus', 'ml', {
      minimumTlsVersion: 'TLS1_0',
      httpsOnly: false,
      kind: 'Storage',
    }),
  ];
  return { subscriptions, vms, disks, snapshots, publicIps, nsgs, storageAccounts, sizes: sandboxSizes() };
};

/**
 * A large generated fleet for pagination and benchmarks: `vms` running VMs in the prod
 * subscription, spread over both locations, each with its OS disk; nothing else.
 */
export const generatedAzureFleet = (now: Date, vms: number): AzureFleet => {
  const fleet: AzureFleet = {
    subscriptions: [
      { id: prodSubscriptionId, name: 'prod', tenantId: sandboxTenantId },
      { id: devSubscriptionId, name: 'dev', tenantId: sandboxTenantId },
    ],
    vms: [],
    disks: [],
    snapshots: [],
    publicIps: [],
    nsgs: [],
    storageAccounts: [],
    sizes: sandboxSizes(),
  };
  for (let i = 0; i < vms; i += 1) {
    const subscriptionId = prodSubscriptionId;
    const location = sandboxLocations[i % 2]!;
    const name = `vm-${String(i).padStart(5, '0')}`;
    const base = {
      subscriptionId,
      resourceGroup: `rg-gen-${i % 10}`,
      location,
      tags: { env: i % 2 === 0 ? 'prod' : 'dev', service: `svc-${i % 7}` },
    };
    fleet.vms.push({
      ...base,
      name,
      vmId: guid(`gen/${name}`),
      size: 'Standard_B2s',
      power: 'running',
      osType: 'Linux',
      osDiskName: `${name}-osdisk`,
      timeCreated: ago(now, i % 365),
      cpuPercent: 2 + (i % 9) * 7,
    });
    fleet.disks.push({
      ...base,
      name: `${name}-osdisk`,
      sizeGb: 64,
      sku: 'StandardSSD_LRS',
      managedBy: name,
      timeCreated: ago(now, i % 365),
      osType: 'Linux',
    });
  }
  return fleet;
};
