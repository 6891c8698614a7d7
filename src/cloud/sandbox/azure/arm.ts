import { ArmError } from './arm-error.ts';
import type { AzureFleet, AzureSecurityRule, AzureVm, PowerState } from './fleet.ts';
import { vmMetricsJson } from './monitor.ts';
import {
  diskJson,
  instanceViewJson,
  nsgJson,
  publicIpJson,
  securityRuleJson,
  snapshotJson,
  storageAccountJson,
  vmJson,
  vmSizeJson,
} from './shapes.ts';

/**
 * The emulator's ARM handlers: subscription-wide lists with `nextLink` paging, one VM (GET with
 * `$expand=instanceView`, instanceView, PATCH for a resize), the power actions as long-running
 * operations (202 with `Azure-AsyncOperation` and `Location`, polled until `Succeeded`), and the
 * location's VM sizes. The scanner's fixes: DELETE of a public IP (refused while a NIC holds it,
 * as ARM does) and DELETE / PUT of one NSG security rule, each completing at once (200, or 204 for
 * one already gone), and PATCH of a storage account's secure-transfer, minimum-TLS and
 * anonymous-blob settings, PUT of a snapshot copied from a disk and DELETE of a disk (refused
 * while a VM holds it). Errors carry ARM's codes and statuses (ResourceNotFound 404,
 * OperationNotAllowed 409, SkuNotAvailable 409, PublicIPAddressCannotBeDeleted 400).
 */

export { ArmError };

export interface ArmReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** An action in flight: polled through its operation URL. */
interface Operation {
  id: string;
  vm: AzureVm;
  kind: 'power' | 'update';
  /** Polls left before an update settles (power actions settle with the VM's transition). */
  pollsLeft: number;
  startTime: string;
}

export interface ArmContext {
  fleet: AzureFleet;
  base: string;
  pageSize: number;
  transitionPolls: number;
  now: () => Date;
  operations: Map<string, Operation>;
  nextOperationId: () => string;
}

/**
 * The VM's power state as one read sees it: a transition shows its transitional state for
 * `transitionPolls` reads, then settles. Each read (instanceView, a status list, an operation poll)
 * counts, so a change can be observed while it runs and tests need no sleeps.
 */
export const observePower = (vm: AzureVm): PowerState => {
  const t = vm.transition;
  if (!t) return vm.power;
  if (t.readsLeft > 0) {
    t.readsLeft -= 1;
    return vm.power;
  }
  vm.power = t.to;
  delete vm.transition;
  return vm.power;
};

const findVm = (ctx: ArmContext, sub: string, group: string, name: string): AzureVm => {
  const vm = ctx.fleet.vms.find(
    (v) =>
      v.subscriptionId === sub &&
      v.resourceGroup.toLowerCase() === group.toLowerCase() &&
      v.name.toLowerCase() === name.toLowerCase(),
  );
  if (!vm)
    throw new ArmError(
      404,
      'ResourceNotFound',
      `The Resource 'Microsoft.Compute/virtualMachines/${name}' under resource group '${group}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
    );
  return vm;
};

/** One resource of a listed kind by group and name, or ARM's 404. */
const findNamed = <T extends { subscriptionId: string; resourceGroup: string; name: string }>(
  items: T[],
  type: string,
  m: string[],
): T => {
  const [, sub, group, name] = m as [string, string, string, string];
  const found = items.find(
    (i) =>
      i.subscriptionId === sub &&
      i.resourceGroup.toLowerCase() === group.toLowerCase() &&
      i.name.toLowerCase() === name.toLowerCase(),
  );
  if (!found)
    throw new ArmError(
      404,
      'ResourceNotFound',
      `The Resource '${type}/${name}' under resource group '${group}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
    );
  return found;
};

const provisioningOf = (ctx: ArmContext, vm: AzureVm): string =>
  [...ctx.operations.values()].some((o) => o.vm === vm && o.kind === 'update' && o.pollsLeft > 0)
    ? 'Updating'
    : 'Succeeded';

/**
 * One page of a list; `$skiptoken` is the offset, the nextLink keeps the request's other query
 * parameters. Only the page's items are rendered (and, for VMs, have their power state read).
 */
const page = <T>(ctx: ArmContext, url: URL, items: T[], render: (item: T) => unknown): ArmReply => {
  const skip = Number.parseInt(url.searchParams.get('$skiptoken') ?? '0', 10) || 0;
  const value = items.slice(skip, skip + ctx.pageSize).map(render);
  const body: { value: unknown[]; nextLink?: string } = { value };
  if (skip + ctx.pageSize < items.length) {
    const next = new URL(url.pathname + url.search, ctx.base);
    next.searchParams.set('$skiptoken', String(skip + ctx.pageSize));
    body.nextLink = next.toString();
  }
  return { status: 200, body };
};

const inSub = <T extends { subscriptionId: string }>(items: T[], sub: string): T[] =>
  items.filter((i) => i.subscriptionId === sub);

const startOperation = (ctx: ArmContext, vm: AzureVm, kind: Operation['kind']): ArmReply => {
  const id = ctx.nextOperationId();
  ctx.operations.set(id, {
    id,
    vm,
    kind,
    pollsLeft: kind === 'update' ? ctx.transitionPolls : 0,
    startTime: ctx.now().toISOString(),
  });
  const ops = `${ctx.base}/subscriptions/${vm.subscriptionId}/providers/Microsoft.Compute/locations/${vm.location}`;
  return {
    status: 202,
    headers: {
      'azure-asyncoperation': `${ops}/operations/${id}?api-version=2026-04-01`,
      location: `${ops}/operationresults/${id}?api-version=2026-04-01`,
    },
  };
};

const transitions: Record<string, { from: PowerState[]; via: PowerState; to: PowerState }> = {
  start: { from: ['stopped', 'deallocated', 'running'], via: 'starting', to: 'running' },
  deallocate: { from: ['running', 'stopped', 'deallocated'], via: 'deallocating', to: 'deallocated' },
  poweroff: { from: ['running', 'stopped'], via: 'stopping', to: 'stopped' },
  restart: { from: ['running'], via: 'starting', to: 'running' },
};

const powerAction = (ctx: ArmContext, vm: AzureVm, action: string): ArmReply => {
  const t = transitions[action]!;
  const current = observePower(vm);
  if (vm.transition || !t.from.includes(current))
    throw new ArmError(
      409,
      'OperationNotAllowed',
      `Operation '${action}' is not allowed on VM '${vm.name}' since the VM is ${current}.`,
    );
  vm.power = t.via;
  vm.transition = { to: t.to, readsLeft: ctx.transitionPolls };
  return startOperation(ctx, vm, 'power');
};

const resize = (ctx: ArmContext, vm: AzureVm, body: unknown): ArmReply => {
  const size = (body as { properties?: { hardwareProfile?: { vmSize?: unknown } } } | undefined)?.properties
    ?.hardwareProfile?.vmSize;
  if (size === undefined) return { status: 200, body: vmJson(vm) };
  if (typeof size !== 'string')
    throw new ArmError(400, 'InvalidParameter', `The value of parameter hardwareProfile.vmSize is invalid.`);
  if (!(ctx.fleet.sizes[vm.location] ?? []).some((s) => s.name.toLowerCase() === size.toLowerCase()))
    throw new ArmError(
      409,
      'SkuNotAvailable',
      `The requested VM size for resource 'Following SKUs have failed for Capacity Restrictions: ${size}' is currently not available in location '${vm.location}'. Please try another size or deploy to a different location or zones.`,
    );
  if (vm.transition)
    throw new ArmError(
      409,
      'OperationNotAllowed',
      `Operation 'update' is not allowed on VM '${vm.name}' since the VM is ${vm.power}.`,
    );
  vm.size = size;
  return startOperation(ctx, vm, 'update');
};

const pollOperation = (ctx: ArmContext, id: string, result: boolean): ArmReply => {
  const op = ctx.operations.get(id);
  if (!op) throw new ArmError(404, 'NotFound', `The operation '${id}' was not found.`);
  let done: boolean;
  if (op.kind === 'update') {
    if (!result && op.pollsLeft > 0) op.pollsLeft -= 1;
    done = op.pollsLeft === 0;
  } else {
    observePower(op.vm);
    done = !op.vm.transition;
  }
  if (result) return done ? { status: 200, body: op.kind === 'update' ? vmJson(op.vm) : undefined } : { status: 202 };
  return {
    status: 200,
    body: {
      name: id,
      status: done ? 'Succeeded' : 'InProgress',
      startTime: op.startTime,
      ...(done ? { endTime: ctx.now().toISOString() } : {}),
    },
  };
};

const sub = '/subscriptions/([^/]+)';
const group = `${sub}/resourceGroups/([^/]+)/providers`;

const deletePublicIp = (ctx: ArmContext, m: string[]): ArmReply => {
  const [, subscription, rgName, name] = m as [string, string, string, string];
  const ip = ctx.fleet.publicIps.find(
    (p) =>
      p.subscriptionId === subscription &&
      p.resourceGroup.toLowerCase() === rgName.toLowerCase() &&
      p.name.toLowerCase() === name.toLowerCase(),
  );
  if (!ip) return { status: 204 };
  if (ip.attachedVm) {
    const json = publicIpJson(ip);
    throw new ArmError(
      400,
      'PublicIPAddressCannotBeDeleted',
      `Public IP address ${json.id} can not be deleted since it is still allocated to resource ${json.properties.ipConfiguration?.id ?? ''}. In order to delete the public IP, disassociate/detach the Public IP address from the resource.`,
    );
  }
  ctx.fleet.publicIps.splice(ctx.fleet.publicIps.indexOf(ip), 1);
  return { status: 200 };
};

const nsgOf = (ctx: ArmContext, m: string[]) =>
  findNamed(ctx.fleet.nsgs, 'Microsoft.Network/networkSecurityGroups', m.slice(0, 4));

const deleteSecurityRule = (ctx: ArmContext, m: string[]): ArmReply => {
  const nsg = nsgOf(ctx, m);
  const index = nsg.rules.findIndex((r) => r.name.toLowerCase() === m[4]!.toLowerCase());
  if (index < 0) return { status: 204 };
  nsg.rules.splice(index, 1);
  return { status: 200 };
};

const SecurityRuleBody = (body: unknown, name: string): AzureSecurityRule => {
  const p = ((body as { properties?: Record<string, unknown> } | undefined)?.properties ?? {}) as Record<
    string,
    unknown
  >;
  const list = (one: unknown, many: unknown): string[] =>
    Array.isArray(many) && many.length ? many.map(String) : typeof one === 'string' ? [one] : [];
  const invalid = (field: string) =>
    new ArmError(400, 'SecurityRuleInvalidParameter', `Security rule ${name} has invalid or missing ${field}.`);
  const priority = Number(p.priority);
  if (!Number.isInteger(priority) || priority < 100 || priority > 4096) throw invalid('priority (100-4096)');
  if (p.direction !== 'Inbound' && p.direction !== 'Outbound') throw invalid('direction');
  if (p.access !== 'Allow' && p.access !== 'Deny') throw invalid('access');
  const protocol = ['Tcp', 'Udp', 'Icmp', '*'].find((x) => x.toLowerCase() === String(p.protocol).toLowerCase());
  if (!protocol) throw invalid('protocol');
  const sources = list(p.sourceAddressPrefix, p.sourceAddressPrefixes);
  const ports = list(p.destinationPortRange, p.destinationPortRanges);
  if (!sources.length) throw invalid('sourceAddressPrefix');
  if (!ports.length) throw invalid('destinationPortRange');
  return {
    name,
    priority,
    direction: p.direction,
    access: p.access,
    protocol: protocol as AzureSecurityRule['protocol'],
    sourceAddressPrefixes: sources,
    destinationPortRanges: ports,
  };
};

const putSnapshot = (ctx: ArmContext, m: string[], body: unknown): ArmReply => {
  const [, subscription, rgName, name] = m as [string, string, string, string];
  const b = (body ?? {}) as {
    location?: unknown;
    properties?: { creationData?: { createOption?: unknown; sourceResourceId?: unknown }; incremental?: unknown };
  };
  const source = b.properties?.creationData?.sourceResourceId;
  if (b.properties?.creationData?.createOption !== 'Copy' || typeof source !== 'string')
    throw new ArmError(
      400,
      'InvalidParameter',
      "Snapshot creationData must be createOption 'Copy' with a sourceResourceId.",
    );
  const disk = ctx.fleet.disks.find((d) => diskJson(d).id.toLowerCase() === source.toLowerCase());
  if (!disk) throw new ArmError(404, 'NotFound', `Resource ${source} is not found.`);
  const existing = ctx.fleet.snapshots.find(
    (x) =>
      x.subscriptionId === subscription && x.resourceGroup.toLowerCase() === rgName.toLowerCase() && x.name === name,
  );
  if (existing) throw new ArmError(409, 'Conflict', `Snapshot ${name} already exists.`);
  const snapshot = {
    subscriptionId: subscription,
    resourceGroup: disk.resourceGroup,
    location: typeof b.location === 'string' ? b.location : disk.location,
    tags: { ...disk.tags },
    name,
    sizeGb: disk.sizeGb,
    sku: 'Standard_LRS',
    sourceDisk: disk.name,
    incremental: b.properties?.incremental === true,
    timeCreated: ctx.now(),
  };
  ctx.fleet.snapshots.push(snapshot);
  return { status: 200, body: snapshotJson(snapshot) };
};

const deleteDisk = (ctx: ArmContext, m: string[]): ArmReply => {
  const [, subscription, rgName, name] = m as [string, string, string, string];
  const disk = ctx.fleet.disks.find(
    (d) =>
      d.subscriptionId === subscription &&
      d.resourceGroup.toLowerCase() === rgName.toLowerCase() &&
      d.name.toLowerCase() === name.toLowerCase(),
  );
  if (!disk) return { status: 204 };
  if (disk.managedBy)
    throw new ArmError(
      409,
      'OperationNotAllowed',
      `Disk ${disk.name} is attached to VM ${armIdOf(disk, 'Microsoft.Compute/virtualMachines', disk.managedBy)}.`,
    );
  ctx.fleet.disks.splice(ctx.fleet.disks.indexOf(disk), 1);
  return { status: 200 };
};

const armIdOf = (r: { subscriptionId: string; resourceGroup: string }, type: string, name: string): string =>
  `/subscriptions/${r.subscriptionId}/resourceGroups/${r.resourceGroup}/providers/${type}/${name}`;

const patchStorageAccount = (ctx: ArmContext, m: string[], body: unknown): ArmReply => {
  const account = findNamed(ctx.fleet.storageAccounts, 'Microsoft.Storage/storageAccounts', m);
  const p = ((body as { properties?: Record<string, unknown> } | undefined)?.properties ?? {}) as Record<
    string,
    unknown
  >;
  const bool = (name: string): boolean | undefined => {
    const v = p[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean')
      throw new ArmError(400, 'InvalidRequestPropertyValue', `The value of property '${name}' is not valid.`);
    return v;
  };
  const tls = p.minimumTlsVersion;
  if (tls !== undefined && tls !== 'TLS1_0' && tls !== 'TLS1_1' && tls !== 'TLS1_2')
    throw new ArmError(
      400,
      'InvalidRequestPropertyValue',
      `The value '${String(tls)}' is not allowed for property 'minimumTlsVersion'; allowed: TLS1_0, TLS1_1, TLS1_2.`,
    );
  const https = bool('supportsHttpsTrafficOnly');
  const blob = bool('allowBlobPublicAccess');
  if (https !== undefined) account.httpsOnly = https;
  if (blob !== undefined) account.allowBlobPublicAccess = blob;
  if (tls !== undefined) account.minimumTlsVersion = tls;
  return { status: 200, body: storageAccountJson(account) };
};

const putSecurityRule = (ctx: ArmContext, m: string[], body: unknown): ArmReply => {
  const nsg = nsgOf(ctx, m);
  const rule = SecurityRuleBody(body, m[4]!);
  const index = nsg.rules.findIndex((r) => r.name.toLowerCase() === rule.name.toLowerCase());
  const clash = nsg.rules.find((r, i) => i !== index && r.direction === rule.direction && r.priority === rule.priority);
  if (clash)
    throw new ArmError(
      400,
      'SecurityRuleConflict',
      `Security rule ${rule.name} conflicts with rule ${clash.name}. Rules cannot have the same Priority and Direction.`,
    );
  if (index >= 0) nsg.rules[index] = rule;
  else nsg.rules.push(rule);
  const id = publicIdOfNsg(nsg);
  return { status: index >= 0 ? 200 : 201, body: securityRuleJson(id, rule) };
};

const publicIdOfNsg = (nsg: { subscriptionId: string; resourceGroup: string; name: string }): string =>
  `/subscriptions/${nsg.subscriptionId}/resourceGroups/${nsg.resourceGroup}/providers/Microsoft.Network/networkSecurityGroups/${nsg.name}`;
const vmPath = `${sub}/resourceGroups/([^/]+)/providers/Microsoft\\.Compute/virtualMachines/([^/]+)`;
type Route = [
  method: string,
  pattern: RegExp,
  handler: (ctx: ArmContext, m: string[], url: URL, body: unknown) => ArmReply,
];
const re = (s: string) => new RegExp(`^${s}$`, 'i');

const routes: Route[] = [
  [
    'GET',
    re(`${sub}/providers/Microsoft\\.Compute/virtualMachines`),
    (ctx, m, url) => {
      const status = url.searchParams.get('statusOnly') === 'true';
      return page(ctx, url, inSub(ctx.fleet.vms, m[1]!), (vm) =>
        vmJson(vm, status ? { power: observePower(vm), provisioning: provisioningOf(ctx, vm) } : undefined),
      );
    },
  ],
  [
    'GET',
    re(`${sub}/providers/Microsoft\\.Compute/disks`),
    (ctx, m, url) => page(ctx, url, inSub(ctx.fleet.disks, m[1]!), diskJson),
  ],
  [
    'GET',
    re(`${sub}/providers/Microsoft\\.Compute/snapshots`),
    (ctx, m, url) => page(ctx, url, inSub(ctx.fleet.snapshots, m[1]!), snapshotJson),
  ],
  [
    'GET',
    re(`${sub}/providers/Microsoft\\.Network/publicIPAddresses`),
    (ctx, m, url) => page(ctx, url, inSub(ctx.fleet.publicIps, m[1]!), publicIpJson),
  ],
  [
    'GET',
    re(`${sub}/providers/Microsoft\\.Network/networkSecurityGroups`),
    (ctx, m, url) => page(ctx, url, inSub(ctx.fleet.nsgs, m[1]!), nsgJson),
  ],
  [
    'GET',
    re(`${sub}/providers/Microsoft\\.Storage/storageAccounts`),
    (ctx, m, url) => page(ctx, url, inSub(ctx.fleet.storageAccounts, m[1]!), storageAccountJson),
  ],
  [
    'GET',
    re(`${sub}/providers/Microsoft\\.Compute/locations/([^/]+)/vmSizes`),
    (ctx, m) => {
      const sizes = ctx.fleet.sizes[m[2]!.toLowerCase()];
      if (!sizes)
        throw new ArmError(
          404,
          'NoRegisteredProviderFound',
          `No registered resource provider found for location '${m[2]}'.`,
        );
      return { status: 200, body: { value: sizes.map(vmSizeJson) } };
    },
  ],
  [
    'GET',
    re(`${sub}/providers/Microsoft\\.Compute/locations/[^/]+/operations/([^/]+)`),
    (ctx, m) => pollOperation(ctx, m[2]!, false),
  ],
  [
    'GET',
    re(`${sub}/providers/Microsoft\\.Compute/locations/[^/]+/operationresults/([^/]+)`),
    (ctx, m) => pollOperation(ctx, m[2]!, true),
  ],
  [
    'GET',
    re(`${vmPath}/providers/Microsoft\\.Insights/metrics`),
    (ctx, m, url) => {
      const vm = findVm(ctx, m[1]!, m[2]!, m[3]!);
      return { status: 200, body: vmMetricsJson(vm, vmJson(vm).id, url, ctx.now()) };
    },
  ],
  [
    'GET',
    re(`${vmPath}/instanceView`),
    (ctx, m) => {
      const vm = findVm(ctx, m[1]!, m[2]!, m[3]!);
      return { status: 200, body: instanceViewJson(vm, observePower(vm), provisioningOf(ctx, vm)) };
    },
  ],
  [
    'GET',
    re(vmPath),
    (ctx, m, url) => {
      const vm = findVm(ctx, m[1]!, m[2]!, m[3]!);
      const expand = url.searchParams.get('$expand') === 'instanceView';
      return {
        status: 200,
        body: vmJson(vm, expand ? { power: observePower(vm), provisioning: provisioningOf(ctx, vm) } : undefined),
      };
    },
  ],
  ...(
    [
      ['Microsoft.Compute/disks', (ctx: ArmContext) => ctx.fleet.disks, diskJson],
      ['Microsoft.Compute/snapshots', (ctx: ArmContext) => ctx.fleet.snapshots, snapshotJson],
      ['Microsoft.Network/publicIPAddresses', (ctx: ArmContext) => ctx.fleet.publicIps, publicIpJson],
      ['Microsoft.Network/networkSecurityGroups', (ctx: ArmContext) => ctx.fleet.nsgs, nsgJson],
      ['Microsoft.Storage/storageAccounts', (ctx: ArmContext) => ctx.fleet.storageAccounts, storageAccountJson],
    ] as const
  ).map(([type, items, json]): Route => [
    'GET',
    re(`${sub}/resourceGroups/([^/]+)/providers/${type.replace('.', '\\.')}/([^/]+)`),
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- one table over six record types
    (ctx, m) => ({ status: 200, body: (json as (r: any) => unknown)(findNamed(items(ctx) as any[], type, m)) }),
  ]),
  [
    'GET',
    re(`${group}/Microsoft\\.Network/networkSecurityGroups/([^/]+)/securityRules/([^/]+)`),
    (ctx, m) => {
      const nsg = nsgOf(ctx, m);
      const rule = nsg.rules.find((r) => r.name.toLowerCase() === m[4]!.toLowerCase());
      if (!rule) throw new ArmError(404, 'NotFound', `Resource ${publicIdOfNsg(nsg)}/securityRules/${m[4]} not found.`);
      return { status: 200, body: securityRuleJson(publicIdOfNsg(nsg), rule) };
    },
  ],
  ['DELETE', re(`${group}/Microsoft\\.Network/publicIPAddresses/([^/]+)`), deletePublicIp],
  ['DELETE', re(`${group}/Microsoft\\.Compute/disks/([^/]+)`), deleteDisk],
  ['PUT', re(`${group}/Microsoft\\.Compute/snapshots/([^/]+)`), (ctx, m, _url, body) => putSnapshot(ctx, m, body)],
  [
    'PATCH',
    re(`${group}/Microsoft\\.Storage/storageAccounts/([^/]+)`),
    (ctx, m, _url, body) => patchStorageAccount(ctx, m, body),
  ],
  [
    'DELETE',
    re(`${group}/Microsoft\\.Network/networkSecurityGroups/([^/]+)/securityRules/([^/]+)`),
    deleteSecurityRule,
  ],
  [
    'PUT',
    re(`${group}/Microsoft\\.Network/networkSecurityGroups/([^/]+)/securityRules/([^/]+)`),
    (ctx, m, _url, body) => putSecurityRule(ctx, m, body),
  ],
  ['PATCH', re(vmPath), (ctx, m, _url, body) => resize(ctx, findVm(ctx, m[1]!, m[2]!, m[3]!), body)],
  [
    'POST',
    re(`${vmPath}/(start|deallocate|powerOff|restart)`),
    (ctx, m) => powerAction(ctx, findVm(ctx, m[1]!, m[2]!, m[3]!), m[4]!.toLowerCase()),
  ],
];

/** The subscription a path is about, or undefined (Entra, unknown paths). */
export const subscriptionOfPath = (path: string): string | undefined => /^\/subscriptions\/([^/]+)/i.exec(path)?.[1];

/** What a request reads or does, for AuthorizationFailed messages: `Microsoft.Compute/virtualMachines/read`. */
export const permissionOf = (method: string, path: string): string => {
  // The last provider segment: reading a VM's metrics is `Microsoft.Insights/metrics/read`.
  const m = /.*\/providers\/(Microsoft\.[A-Za-z]+\/[A-Za-z]+)(?:\/[^/]+\/?([A-Za-z]+)?)?/i.exec(path);
  const type = m?.[1] ?? 'Microsoft.Resources/subscriptions';
  if (method === 'GET') return `${type}/read`;
  if (m?.[2]) return `${type}/${m[2]}/action`;
  return `${type}/write`;
};

export const routeArm = (ctx: ArmContext, method: string, url: URL, body: unknown): ArmReply => {
  for (const [verb, pattern, handler] of routes) {
    if (verb !== method) continue;
    const m = pattern.exec(url.pathname);
    if (m) return handler(ctx, [...m], url, body);
  }
  throw new ArmError(404, 'InvalidResourceType', `The resource type could not be found for ${method} ${url.pathname}.`);
};
