import type {
  AzureDisk,
  AzureNsg,
  AzurePublicIp,
  AzureSecurityRule,
  AzureSnapshot,
  AzureStorageAccount,
  AzureVm,
  AzureVmSize,
  PowerState,
} from './fleet.ts';

/**
 * Fleet records → ARM JSON as the REST API returns them (`properties` nested, ids as
 * `/subscriptions/…/resourceGroups/…/providers/<namespace>/<type>/<name>`), so the real SDKs'
 * deserializers run over the same shapes they meet on Azure.
 */

export const armId = (r: { subscriptionId: string; resourceGroup: string }, type: string, name: string): string =>
  `/subscriptions/${r.subscriptionId}/resourceGroups/${r.resourceGroup}/providers/${type}/${name}`;

const displayPower: Record<PowerState, string> = {
  running: 'VM running',
  starting: 'VM starting',
  stopping: 'VM stopping',
  stopped: 'VM stopped',
  deallocating: 'VM deallocating',
  deallocated: 'VM deallocated',
};

export const instanceViewJson = (vm: AzureVm, power: PowerState, provisioning: string) => ({
  computerName: vm.name,
  osName: vm.osType === 'Windows' ? 'Windows Server 2022 Datacenter' : 'ubuntu',
  statuses: [
    {
      code: `ProvisioningState/${provisioning.toLowerCase()}`,
      level: 'Info',
      displayStatus:
        provisioning === 'Succeeded' ? 'Provisioning succeeded' : `Provisioning ${provisioning.toLowerCase()}`,
    },
    { code: `PowerState/${power}`, level: 'Info', displayStatus: displayPower[power] },
  ],
});

export const vmJson = (vm: AzureVm, view?: { power: PowerState; provisioning: string }) => ({
  id: armId(vm, 'Microsoft.Compute/virtualMachines', vm.name),
  name: vm.name,
  type: 'Microsoft.Compute/virtualMachines',
  location: vm.location,
  tags: vm.tags,
  properties: {
    vmId: vm.vmId,
    hardwareProfile: { vmSize: vm.size },
    provisioningState: view?.provisioning ?? 'Succeeded',
    timeCreated: vm.timeCreated.toISOString(),
    storageProfile: {
      osDisk: {
        osType: vm.osType,
        name: vm.osDiskName,
        createOption: 'FromImage',
        managedDisk: { id: armId(vm, 'Microsoft.Compute/disks', vm.osDiskName) },
      },
    },
    ...(view ? { instanceView: instanceViewJson(vm, view.power, view.provisioning) } : {}),
  },
});

const diskTier = (sku: string) => (sku.startsWith('Premium') ? 'Premium' : 'Standard');

export const diskJson = (d: AzureDisk) => ({
  id: armId(d, 'Microsoft.Compute/disks', d.name),
  name: d.name,
  type: 'Microsoft.Compute/disks',
  location: d.location,
  tags: d.tags,
  ...(d.managedBy ? { managedBy: armId(d, 'Microsoft.Compute/virtualMachines', d.managedBy) } : {}),
  sku: { name: d.sku, tier: diskTier(d.sku) },
  properties: {
    diskSizeGB: d.sizeGb,
    diskState: d.managedBy ? 'Attached' : 'Unattached',
    timeCreated: d.timeCreated.toISOString(),
    provisioningState: 'Succeeded',
    ...(d.osType ? { osType: d.osType } : {}),
    creationData: { createOption: d.osType ? 'FromImage' : 'Empty' },
    encryption: { type: 'EncryptionAtRestWithPlatformKey' },
  },
});

export const snapshotJson = (s: AzureSnapshot) => ({
  id: armId(s, 'Microsoft.Compute/snapshots', s.name),
  name: s.name,
  type: 'Microsoft.Compute/snapshots',
  location: s.location,
  tags: s.tags,
  sku: { name: s.sku, tier: 'Standard' },
  properties: {
    diskSizeGB: s.sizeGb,
    timeCreated: s.timeCreated.toISOString(),
    incremental: s.incremental,
    provisioningState: 'Succeeded',
    creationData: { createOption: 'Copy', sourceResourceId: armId(s, 'Microsoft.Compute/disks', s.sourceDisk) },
    encryption: { type: 'EncryptionAtRestWithPlatformKey' },
  },
});

export const publicIpJson = (p: AzurePublicIp) => ({
  id: armId(p, 'Microsoft.Network/publicIPAddresses', p.name),
  name: p.name,
  type: 'Microsoft.Network/publicIPAddresses',
  location: p.location,
  tags: p.tags,
  sku: { name: p.sku, tier: 'Regional' },
  properties: {
    provisioningState: 'Succeeded',
    ipAddress: p.ipAddress,
    publicIPAddressVersion: 'IPv4',
    publicIPAllocationMethod: p.allocation,
    idleTimeoutInMinutes: 4,
    ...(p.attachedVm
      ? {
          ipConfiguration: {
            id: `${armId(p, 'Microsoft.Network/networkInterfaces', `${p.attachedVm}-nic`)}/ipConfigurations/ipconfig1`,
          },
        }
      : {}),
  },
});

/** One security rule of the NSG `nsgId`, as ARM renders it in the NSG and on its own. */
export const securityRuleJson = (nsgId: string, r: AzureSecurityRule) => ({
  id: `${nsgId}/securityRules/${r.name}`,
  name: r.name,
  properties: {
    protocol: r.protocol,
    sourcePortRange: '*',
    ...(r.sourceAddressPrefixes.length === 1
      ? { sourceAddressPrefix: r.sourceAddressPrefixes[0], sourceAddressPrefixes: [] }
      : { sourceAddressPrefixes: r.sourceAddressPrefixes }),
    destinationAddressPrefix: '*',
    ...(r.destinationPortRanges.length === 1
      ? { destinationPortRange: r.destinationPortRanges[0], destinationPortRanges: [] }
      : { destinationPortRanges: r.destinationPortRanges }),
    access: r.access,
    priority: r.priority,
    direction: r.direction,
    provisioningState: 'Succeeded',
  },
});

export const nsgJson = (n: AzureNsg) => {
  const id = armId(n, 'Microsoft.Network/networkSecurityGroups', n.name);
  return {
    id,
    name: n.name,
    type: 'Microsoft.Network/networkSecurityGroups',
    location: n.location,
    tags: n.tags,
    properties: {
      provisioningState: 'Succeeded',
      // ARM uses the singular field for one value and the plural one for several.
      securityRules: n.rules.map((r) => securityRuleJson(id, r)),
      defaultSecurityRules: [
        ['AllowVnetInBound', 65000, 'Allow', 'VirtualNetwork'],
        ['AllowAzureLoadBalancerInBound', 65001, 'Allow', 'AzureLoadBalancer'],
        ['DenyAllInBound', 65500, 'Deny', '*'],
      ].map(([name, priority, access, source]) => ({
        id: `${id}/defaultSecurityRules/${name}`,
        name,
        properties: {
          protocol: '*',
          sourcePortRange: '*',
          destinationPortRange: '*',
          sourceAddressPrefix: source,
          destinationAddressPrefix: '*',
          access,
          priority,
          direction: 'Inbound',
        },
      })),
    },
  };
};

export const storageAccountJson = (a: AzureStorageAccount) => ({
  id: armId(a, 'Microsoft.Storage/storageAccounts', a.name),
  name: a.name,
  type: 'Microsoft.Storage/storageAccounts',
  location: a.location,
  tags: a.tags,
  kind: a.kind,
  sku: { name: a.sku, tier: 'Standard' },
  properties: {
    provisioningState: 'Succeeded',
    creationTime: a.timeCreated.toISOString(),
    primaryLocation: a.location,
    statusOfPrimary: 'available',
    primaryEndpoints: { blob: `https://${a.name}.blob.core.windows.net/` },
    allowBlobPublicAccess: a.allowBlobPublicAccess,
    minimumTlsVersion: a.minimumTlsVersion,
    supportsHttpsTrafficOnly: a.httpsOnly,
    publicNetworkAccess: a.publicNetworkAccess,
    encryption: {
      keySource: 'Microsoft.Storage',
      requireInfrastructureEncryption: a.infrastructureEncryption,
      services: {
        blob: { enabled: true, keyType: 'Account' },
        file: { enabled: true, keyType: 'Account' },
      },
    },
  },
});

export const vmSizeJson = (s: AzureVmSize) => ({
  name: s.name,
  numberOfCores: s.numberOfCores,
  memoryInMB: s.memoryInMB,
  maxDataDiskCount: Math.max(2, s.numberOfCores * 2),
  osDiskSizeInMB: 1_047_552,
  resourceDiskSizeInMB: s.numberOfCores * 8192,
});
