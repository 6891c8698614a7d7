import { createHash } from 'node:crypto';
import type {
  GceStatus,
  GcpAddress,
  GcpDisk,
  GcpFirewall,
  GcpFleet,
  GcpInstance,
  GcpMachineType,
  GcpOperation,
  GcpSnapshot,
} from './model.ts';
import { GcpApiError, computeBase, iso, notFoundError, page, regionOfZone } from './wire.ts';

/**
 * The compute v1 REST surface the provider uses: aggregated lists of instances, disks and
 * addresses, global lists of snapshots and firewalls, get of one instance, firewall, snapshot or address, start/stop/reset/
 * setMachineType answered with zone Operations, operations get/wait, and machineTypes per zone.
 * Deleting a firewall rule or a snapshot (global), releasing an address (regional), snapshotting
 * and deleting a disk (zonal) change the state at once and answer a DONE Operation; an address or
 * disk still in use is refused with GCE's 400 resourceInUseByAnotherResource.
 * Lists page with `maxResults` (at most 500, as GCE) and opaque `pageToken`s.
 */

export interface ComputeCall {
  fleet: GcpFleet;
  project: string;
  query: Record<string, string>;
  body: unknown;
  now: () => Date;
  transitionPolls: number;
  /** Path parameters after the project (zone, instance, operation). */
  params: Record<string, string>;
}

export type ComputeHandler = (call: ComputeCall) => unknown;

const listPage = { defaultSize: 500, max: 500 };
const url = (project: string, rest: string): string => `${computeBase}/projects/${project}/${rest}`;
const zoneUrl = (project: string, zone: string): string => url(project, `zones/${zone}`);

/** Reads advance a transition: the status seen now, then one step closer to where it settles. */
const observe = (i: GcpInstance): GcpInstance => {
  const seen = { ...i };
  if (i.settle) {
    i.settle.left -= 1;
    if (i.settle.left <= 0) settle(i);
  }
  return seen;
};

const settle = (i: GcpInstance): void => {
  if (!i.settle) return;
  i.status = i.settle.to;
  i.settle = undefined;
};

export const instanceJson = (i: GcpInstance, fleet: GcpFleet) => {
  const disks = i.disks
    .map((name) => fleet.disks.find((d) => d.project === i.project && d.zone === i.zone && d.name === name))
    .filter((d): d is GcpDisk => Boolean(d));
  return {
    kind: 'compute#instance',
    id: i.id,
    creationTimestamp: iso(i.created),
    name: i.name,
    machineType: url(i.project, `zones/${i.zone}/machineTypes/${i.machineType}`),
    status: i.status,
    zone: zoneUrl(i.project, i.zone),
    networkInterfaces: [
      {
        network: url(i.project, 'global/networks/default'),
        networkIP: i.networkIp,
        name: 'nic0',
        accessConfigs: i.natIp
          ? [{ type: 'ONE_TO_ONE_NAT', name: 'External NAT', natIP: i.natIp, networkTier: 'PREMIUM' }]
          : [],
      },
    ],
    disks: disks.map((d, index) => ({
      type: 'PERSISTENT',
      mode: 'READ_WRITE',
      source: url(i.project, `zones/${i.zone}/disks/${d.name}`),
      deviceName: d.name,
      index,
      boot: index === 0,
      autoDelete: index === 0,
      diskSizeGb: String(d.sizeGb),
    })),
    labels: i.labels,
    selfLink: url(i.project, `zones/${i.zone}/instances/${i.name}`),
    ...(i.lastStart ? { lastStartTimestamp: iso(i.lastStart) } : {}),
    ...(i.lastStop ? { lastStopTimestamp: iso(i.lastStop) } : {}),
    deletionProtection: false,
  };
};

const diskJson = (d: GcpDisk) => ({
  kind: 'compute#disk',
  id: d.id,
  creationTimestamp: iso(d.created),
  name: d.name,
  sizeGb: String(d.sizeGb),
  zone: zoneUrl(d.project, d.zone),
  status: 'READY',
  selfLink: url(d.project, `zones/${d.zone}/disks/${d.name}`),
  type: url(d.project, `zones/${d.zone}/diskTypes/${d.type}`),
  ...(d.users.length ? { users: d.users.map((u) => url(d.project, `zones/${d.zone}/instances/${u}`)) } : {}),
  labels: d.labels,
  ...(d.kmsKeyName ? { diskEncryptionKey: { kmsKeyName: `${d.kmsKeyName}/cryptoKeyVersions/1` } } : {}),
});

const addressJson = (a: GcpAddress) => ({
  kind: 'compute#address',
  id: a.id,
  creationTimestamp: iso(a.created),
  name: a.name,
  address: a.address,
  status: a.users.length ? 'IN_USE' : 'RESERVED',
  region: url(a.project, `regions/${a.region}`),
  selfLink: url(a.project, `regions/${a.region}/addresses/${a.name}`),
  ...(a.users.length
    ? {
        users: a.users.map((u) => {
          const [zone, name] = u.split('/');
          return url(a.project, `zones/${zone}/instances/${name}`);
        }),
      }
    : {}),
  networkTier: 'PREMIUM',
  addressType: 'EXTERNAL',
  labels: a.labels,
});

const snapshotJson = (s: GcpSnapshot) => {
  const [zone, disk] = s.sourceDisk.split('/');
  return {
    kind: 'compute#snapshot',
    id: s.id,
    creationTimestamp: iso(s.created),
    name: s.name,
    status: 'READY',
    sourceDisk: url(s.project, `zones/${zone}/disks/${disk}`),
    diskSizeGb: String(s.diskSizeGb),
    storageBytes: String(s.storageBytes),
    storageBytesStatus: 'UP_TO_DATE',
    storageLocations: [regionOfZone(zone!).split('-')[0]],
    labels: s.labels,
    selfLink: url(s.project, `global/snapshots/${s.name}`),
  };
};

const firewallJson = (f: GcpFirewall) => ({
  kind: 'compute#firewall',
  id: f.id,
  creationTimestamp: iso(f.created),
  name: f.name,
  description: f.description,
  network: url(f.project, `global/networks/${f.network}`),
  priority: f.priority,
  direction: f.direction,
  ...(f.direction === 'INGRESS' ? { sourceRanges: f.sourceRanges } : { destinationRanges: ['0.0.0.0/0'] }),
  ...(f.allowed.length ? { allowed: f.allowed } : {}),
  ...(f.denied.length ? { denied: f.denied } : {}),
  ...(f.targetTags.length ? { targetTags: f.targetTags } : {}),
  disabled: f.disabled,
  selfLink: url(f.project, `global/firewalls/${f.name}`),
});

/**
 * An aggregated list page: items grouped by scope (`zones/us-central1-a`, `regions/us-central1`);
 * scopes with nothing on this page get GCE's NO_RESULTS_ON_PAGE warning.
 */
const aggregated = <T>(
  kind: string,
  field: string,
  project: string,
  items: T[],
  scopeOf: (item: T) => string,
  allScopes: string[],
  query: Record<string, string>,
  render: (item: T) => unknown,
) => {
  const sorted = [...items].sort((a, b) => scopeOf(a).localeCompare(scopeOf(b)));
  const p = page(sorted, query, listPage);
  const groups: Record<string, unknown> = {};
  for (const scope of allScopes)
    groups[scope] = {
      warning: {
        code: 'NO_RESULTS_ON_PAGE',
        message: `There are no results for scope '${scope}' on this page.`,
        data: [{ key: 'scope', value: scope }],
      },
    };
  for (const item of p.items) {
    const scope = scopeOf(item);
    const g = groups[scope] as Record<string, unknown[]> | undefined;
    if (!g || !Array.isArray(g[field])) groups[scope] = { [field]: [] };
    (groups[scope] as Record<string, unknown[]>)[field]!.push(render(item));
  }
  return {
    kind,
    id: `projects/${project}/aggregated/${field}`,
    items: groups,
    selfLink: url(project, `aggregated/${field}`),
    ...(p.nextPageToken ? { nextPageToken: p.nextPageToken } : {}),
  };
};

const zonesOf = (fleet: GcpFleet): string[] => [...new Set(fleet.machineTypes.map((m) => m.zone))].sort();

const findInstance = (call: ComputeCall): GcpInstance => {
  const { zone, instance } = call.params;
  const i = call.fleet.instances.find((x) => x.project === call.project && x.zone === zone && x.name === instance);
  if (!i) throw notFoundError(`projects/${call.project}/zones/${zone}/instances/${instance}`);
  return i;
};

const operationJson = (op: GcpOperation, fleet: GcpFleet, now: Date) => {
  const target = fleet.instances.find((i) => i.project === op.project && i.zone === op.zone && i.name === op.target);
  const done = !target?.settle || target.settle.operation !== op.name;
  return {
    kind: 'compute#operation',
    id: op.id,
    name: op.name,
    operationType: op.operationType,
    targetLink: url(op.project, `zones/${op.zone}/instances/${op.target}`),
    targetId: op.targetId,
    status: done ? 'DONE' : 'RUNNING',
    user: 'sandbox@example.iam.gserviceaccount.com',
    progress: done ? 100 : 0,
    insertTime: iso(op.inserted),
    startTime: iso(op.inserted),
    ...(done ? { endTime: iso(now) } : {}),
    selfLink: url(op.project, `zones/${op.zone}/operations/${op.name}`),
    zone: zoneUrl(op.project, op.zone),
  };
};

let opCounter = 0;
const operation = (call: ComputeCall, i: GcpInstance, operationType: string): GcpOperation => {
  opCounter += 1;
  const now = call.now();
  const op = {
    project: i.project,
    zone: i.zone,
    name: `operation-${now.getTime()}-${createHash('sha256').update(`${i.id}/${opCounter}`).digest('hex').slice(0, 13)}`,
    id: String(7_000_000_000_000_000n + BigInt(opCounter)),
    operationType,
    target: i.name,
    targetId: i.id,
    inserted: now,
  };
  call.fleet.operations.push(op);
  return op;
};

const notReady = (i: GcpInstance, why: string): GcpApiError =>
  new GcpApiError(
    400,
    'resourceNotReady',
    `The resource 'projects/${i.project}/zones/${i.zone}/instances/${i.name}' is not ready: ${why}`,
  );

/** Starts a transition that settles after `transitionPolls` reads; answers the zone Operation. */
const transition = (call: ComputeCall, i: GcpInstance, type: string, via: GceStatus | undefined, to: GceStatus) => {
  const op = operation(call, i, type);
  if (via) {
    i.status = via;
    i.settle = { to, left: call.transitionPolls, operation: op.name };
  }
  return operationJson(op, call.fleet, call.now());
};

const start: ComputeHandler = (call) => {
  const i = findInstance(call);
  if (i.status === 'RUNNING' || i.status === 'PROVISIONING' || i.status === 'STAGING')
    return transition(call, i, 'start', undefined, 'RUNNING');
  if (i.status !== 'TERMINATED') throw notReady(i, `it is ${i.status}.`);
  i.lastStart = call.now();
  return transition(call, i, 'start', 'STAGING', 'RUNNING');
};

const stop: ComputeHandler = (call) => {
  const i = findInstance(call);
  if (i.status === 'TERMINATED' || i.status === 'STOPPING') return transition(call, i, 'stop', undefined, 'TERMINATED');
  if (i.status !== 'RUNNING') throw notReady(i, `it is ${i.status}.`);
  i.lastStop = call.now();
  return transition(call, i, 'stop', 'STOPPING', 'TERMINATED');
};

const reset: ComputeHandler = (call) => {
  const i = findInstance(call);
  if (i.status !== 'RUNNING') throw notReady(i, `only a RUNNING instance can be reset; it is ${i.status}.`);
  // A reset keeps RUNNING; its operation stays RUNNING for the transition's reads.
  const op = operation(call, i, 'reset');
  i.settle = { to: 'RUNNING', left: call.transitionPolls, operation: op.name };
  return operationJson(op, call.fleet, call.now());
};

const setMachineType: ComputeHandler = (call) => {
  const i = findInstance(call);
  const asked = (call.body as { machineType?: unknown } | undefined)?.machineType;
  if (typeof asked !== 'string' || !asked)
    throw new GcpApiError(400, 'required', "Required field 'resource.machineType' not specified");
  const name = asked.split('/').pop()!;
  if (!call.fleet.machineTypes.some((m) => m.zone === i.zone && m.name === name))
    throw new GcpApiError(
      400,
      'invalid',
      `Invalid value for field 'resource.machineType': '${asked}'. Machine type with name '${name}' does not exist in zone '${i.zone}'.`,
    );
  if (i.status !== 'TERMINATED')
    throw notReady(i, `the instance must be stopped (TERMINATED) to change its machine type; it is ${i.status}.`);
  i.machineType = name;
  return transition(call, i, 'setMachineType', undefined, 'TERMINATED');
};

const findOperation = (call: ComputeCall): GcpOperation => {
  const { zone, operation: name } = call.params;
  const op = call.fleet.operations.find((o) => o.project === call.project && o.zone === zone && o.name === name);
  if (!op) throw notFoundError(`projects/${call.project}/zones/${zone}/operations/${name}`);
  return op;
};

/** Polling an operation (get or wait) advances its instance's transition by one read. */
const pollOperation: ComputeHandler = (call) => {
  const op = findOperation(call);
  const target = call.fleet.instances.find(
    (i) => i.project === op.project && i.zone === op.zone && i.name === op.target,
  );
  if (target?.settle?.operation === op.name) observe(target);
  return operationJson(op, call.fleet, call.now());
};

/** A global or region Operation that finished at once (deletes of records the emulator holds). */
const doneOperation = (call: ComputeCall, scope: string, operationType: string, target: string, targetId: string) => {
  opCounter += 1;
  const now = call.now();
  const name = `operation-${now.getTime()}-${createHash('sha256').update(`${targetId}/${opCounter}`).digest('hex').slice(0, 13)}`;
  return {
    kind: 'compute#operation',
    id: String(7_000_000_000_000_000n + BigInt(opCounter)),
    name,
    operationType,
    targetLink: url(call.project, `${scope}/${target}`),
    targetId,
    status: 'DONE',
    user: 'sandbox@example.iam.gserviceaccount.com',
    progress: 100,
    insertTime: iso(now),
    startTime: iso(now),
    endTime: iso(now),
    selfLink: url(call.project, `${scope}/operations/${name}`),
    ...(scope.startsWith('regions/') ? { region: url(call.project, scope) } : {}),
  };
};

const findNamed = <T extends { project: string; name: string }>(
  list: T[],
  call: ComputeCall,
  name: string,
  path: string,
): T => {
  const found = list.find((x) => x.project === call.project && x.name === name);
  if (!found) throw notFoundError(`projects/${call.project}/${path}`);
  return found;
};

/** Removes the record `find` matches from `list`, or answers GCE's 404 for `path`. */
const removeFrom = <T>(list: T[], find: (x: T) => boolean, path: string): T => {
  const index = list.findIndex(find);
  if (index < 0) throw notFoundError(path);
  return list.splice(index, 1)[0]!;
};

const findDisk = (call: ComputeCall): GcpDisk => {
  const { zone, disk } = call.params;
  const d = call.fleet.disks.find((x) => x.project === call.project && x.zone === zone && x.name === disk);
  if (!d) throw notFoundError(`projects/${call.project}/zones/${zone}/disks/${disk}`);
  return d;
};

const createSnapshot: ComputeHandler = (call) => {
  const d = findDisk(call);
  const name = (call.body as { name?: unknown } | undefined)?.name;
  if (typeof name !== 'string' || !/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name))
    throw new GcpApiError(400, 'invalid', `Invalid value for field 'resource.name': '${String(name)}'.`);
  if (call.fleet.snapshots.some((x) => x.project === call.project && x.name === name))
    throw new GcpApiError(
      409,
      'alreadyExists',
      `The resource 'projects/${call.project}/global/snapshots/${name}' already exists`,
    );
  const now = call.now();
  call.fleet.snapshots.push({
    project: call.project,
    name,
    id: String(
      BigInt(`0x${createHash('sha256').update(`snapshot:${call.project}/${name}`).digest('hex').slice(0, 15)}`),
    ),
    diskSizeGb: d.sizeGb,
    storageBytes: d.sizeGb * 1024 ** 3,
    sourceDisk: `${d.zone}/${d.name}`,
    labels: { ...d.labels },
    created: now,
  });
  return doneOperation(call, `zones/${d.zone}`, 'createSnapshot', `disks/${d.name}`, d.id);
};

const deleteDisk: ComputeHandler = (call) => {
  const d = findDisk(call);
  if (d.users.length)
    throw new GcpApiError(
      400,
      'resourceInUseByAnotherResource',
      `The disk resource 'projects/${d.project}/zones/${d.zone}/disks/${d.name}' is already being used by 'projects/${d.project}/zones/${d.zone}/instances/${d.users[0]}'`,
    );
  call.fleet.disks.splice(call.fleet.disks.indexOf(d), 1);
  return doneOperation(call, `zones/${d.zone}`, 'delete', `disks/${d.name}`, d.id);
};

const deleteFirewall: ComputeHandler = (call) => {
  const { firewall } = call.params;
  const f = removeFrom(
    call.fleet.firewalls,
    (x) => x.project === call.project && x.name === firewall,
    `projects/${call.project}/global/firewalls/${firewall}`,
  );
  return doneOperation(call, 'global', 'delete', `firewalls/${f.name}`, f.id);
};

const deleteSnapshot: ComputeHandler = (call) => {
  const { snapshot } = call.params;
  const s = removeFrom(
    call.fleet.snapshots,
    (x) => x.project === call.project && x.name === snapshot,
    `projects/${call.project}/global/snapshots/${snapshot}`,
  );
  return doneOperation(call, 'global', 'delete', `snapshots/${s.name}`, s.id);
};

const deleteAddress: ComputeHandler = (call) => {
  const { region, address } = call.params;
  const path = `projects/${call.project}/regions/${region}/addresses/${address}`;
  const a = call.fleet.addresses.find((x) => x.project === call.project && x.region === region && x.name === address);
  if (!a) throw notFoundError(path);
  if (a.users.length) {
    const [zone, name] = a.users[0]!.split('/');
    throw new GcpApiError(
      400,
      'resourceInUseByAnotherResource',
      `The address resource '${path}' is already being used by 'projects/${call.project}/zones/${zone}/instances/${name}'`,
    );
  }
  removeFrom(call.fleet.addresses, (x) => x === a, path);
  return doneOperation(call, `regions/${region}`, 'delete', `addresses/${a.name}`, a.id);
};

export const computeHandlers: Record<string, ComputeHandler> = {
  'compute.instances.aggregatedList': (call) =>
    aggregated(
      'compute#instanceAggregatedList',
      'instances',
      call.project,
      call.fleet.instances.filter((i) => i.project === call.project),
      (i) => `zones/${i.zone}`,
      zonesOf(call.fleet).map((z) => `zones/${z}`),
      call.query,
      (i) => instanceJson(observe(i), call.fleet),
    ),
  'compute.disks.aggregatedList': (call) =>
    aggregated(
      'compute#diskAggregatedList',
      'disks',
      call.project,
      call.fleet.disks.filter((d) => d.project === call.project),
      (d) => `zones/${d.zone}`,
      zonesOf(call.fleet).map((z) => `zones/${z}`),
      call.query,
      diskJson,
    ),
  'compute.addresses.aggregatedList': (call) =>
    aggregated(
      'compute#addressAggregatedList',
      'addresses',
      call.project,
      call.fleet.addresses.filter((a) => a.project === call.project),
      (a) => `regions/${a.region}`,
      [...new Set(zonesOf(call.fleet).map(regionOfZone))].map((r) => `regions/${r}`),
      call.query,
      addressJson,
    ),
  'compute.snapshots.list': (call) => {
    const p = page(
      call.fleet.snapshots.filter((s) => s.project === call.project),
      call.query,
      listPage,
    );
    return {
      kind: 'compute#snapshotList',
      id: `projects/${call.project}/global/snapshots`,
      items: p.items.map(snapshotJson),
      selfLink: url(call.project, 'global/snapshots'),
      ...(p.nextPageToken ? { nextPageToken: p.nextPageToken } : {}),
    };
  },
  'compute.firewalls.list': (call) => {
    const p = page(
      call.fleet.firewalls.filter((f) => f.project === call.project),
      call.query,
      listPage,
    );
    return {
      kind: 'compute#firewallList',
      id: `projects/${call.project}/global/firewalls`,
      items: p.items.map(firewallJson),
      selfLink: url(call.project, 'global/firewalls'),
      ...(p.nextPageToken ? { nextPageToken: p.nextPageToken } : {}),
    };
  },
  'compute.instances.get': (call) => instanceJson(observe(findInstance(call)), call.fleet),
  'compute.instances.start': start,
  'compute.instances.stop': stop,
  'compute.instances.reset': reset,
  'compute.instances.setMachineType': setMachineType,
  'compute.machineTypes.aggregatedList': (call) =>
    aggregated(
      'compute#machineTypeAggregatedList',
      'machineTypes',
      call.project,
      call.fleet.machineTypes,
      (m) => `zones/${m.zone}`,
      zonesOf(call.fleet).map((z) => `zones/${z}`),
      call.query,
      (m) => machineTypeJson(call.project, m),
    ),
  'compute.machineTypes.list': (call) => {
    const { zone } = call.params;
    const types = call.fleet.machineTypes.filter((m) => m.zone === zone);
    if (types.length === 0) throw notFoundError(`projects/${call.project}/zones/${zone}`);
    const p = page(types, call.query, listPage);
    return {
      kind: 'compute#machineTypeList',
      id: `projects/${call.project}/zones/${zone}/machineTypes`,
      items: p.items.map((m) => machineTypeJson(call.project, m)),
      selfLink: url(call.project, `zones/${zone}/machineTypes`),
      ...(p.nextPageToken ? { nextPageToken: p.nextPageToken } : {}),
    };
  },
  'compute.firewalls.get': (call) =>
    firewallJson(
      findNamed(call.fleet.firewalls, call, call.params.firewall!, `global/firewalls/${call.params.firewall}`),
    ),
  'compute.snapshots.get': (call) =>
    snapshotJson(
      findNamed(call.fleet.snapshots, call, call.params.snapshot!, `global/snapshots/${call.params.snapshot}`),
    ),
  'compute.addresses.get': (call) => {
    const { region, address } = call.params;
    const a = call.fleet.addresses.find((x) => x.project === call.project && x.region === region && x.name === address);
    if (!a) throw notFoundError(`projects/${call.project}/regions/${region}/addresses/${address}`);
    return addressJson(a);
  },
  'compute.disks.get': (call) => diskJson(findDisk(call)),
  'compute.disks.createSnapshot': createSnapshot,
  'compute.disks.delete': deleteDisk,
  'compute.firewalls.delete': deleteFirewall,
  'compute.snapshots.delete': deleteSnapshot,
  'compute.addresses.delete': deleteAddress,
  'compute.zoneOperations.get': pollOperation,
  'compute.zoneOperations.wait': pollOperation,
};

const machineTypeJson = (project: string, m: GcpMachineType) => ({
  kind: 'compute#machineType',
  id: String(gcpMachineTypeId(m.name)),
  name: m.name,
  description: `${m.guestCpus} vCPUs, ${m.memoryMb / 1024} GB RAM`,
  guestCpus: m.guestCpus,
  memoryMb: m.memoryMb,
  zone: m.zone,
  selfLink: url(project, `zones/${m.zone}/machineTypes/${m.name}`),
});

const gcpMachineTypeId = (name: string): number =>
  Number.parseInt(createHash('sha256').update(name).digest('hex').slice(0, 8), 16);
