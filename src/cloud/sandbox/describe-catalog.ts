import type { Ec2Handler } from './call.ts';
import { chosenByIds, instanceIdKind, instancesIn, settleTransitions } from './call.ts';
import { sandboxInstanceTypeCatalogue } from './instance-types.ts';
import type { SandboxInstance, Tags } from './model.ts';
import { Ec2Error, applyFilters, filterAndPage, filtersOf, listParam } from './query.ts';
import type { FilterFields } from './query.ts';
import { itemSet, stateXml } from './xml.ts';

/**
 * What the AWS CLI and SDK users call around the inventory: the instance-type catalogue (where a
 * resize learns its valid sizes), status checks, availability zones and the tag index.
 */

const describeInstanceTypes: Ec2Handler = (call) => {
  const wanted = listParam(call.params, 'InstanceType');
  const unknown = wanted.filter((w) => !sandboxInstanceTypeCatalogue.some((t) => t.name === w));
  if (unknown.length > 0)
    throw new Ec2Error(
      'InvalidInstanceType',
      `The following supplied instance types do not exist: [${unknown.join(', ')}]`,
    );
  const chosen =
    wanted.length > 0
      ? sandboxInstanceTypeCatalogue.filter((t) => wanted.includes(t.name))
      : sandboxInstanceTypeCatalogue;
  const { page, nextToken } = filterAndPage(
    chosen.map((t) => ({ ...t, tags: {} as Tags })),
    call.params,
    {
      'instance-type': (t) => [t.name],
      'vcpu-info.default-vcpus': (t) => [String(t.vcpu)],
      'memory-info.size-in-mib': (t) => [String(t.memoryMib)],
      'current-generation': () => ['true'],
      'processor-info.supported-architecture': () => ['x86_64'],
    },
    {
      action: 'DescribeInstanceTypes',
      min: 5,
      max: 100,
      idParam: 'InstanceType',
    },
  );
  return {
    instanceTypeSet: itemSet(
      page.map((t) => ({
        instanceType: t.name,
        currentGeneration: true,
        freeTierEligible: t.name === 't3.micro',
        supportedUsageClasses: { item: ['on-demand', 'spot'] },
        bareMetal: false,
        hypervisor: 'nitro',
        processorInfo: { supportedArchitectures: { item: ['x86_64'] } },
        vCpuInfo: { defaultVCpus: t.vcpu },
        memoryInfo: { sizeInMiB: t.memoryMib },
        instanceStorageSupported: false,
        ebsInfo: { ebsOptimizedSupport: 'default', encryptionSupport: 'supported' },
      })),
    ),
    ...(nextToken ? { nextToken } : {}),
  };
};

const statusOf = (i: SandboxInstance): { status: string; check: string } =>
  i.state === 'running'
    ? { status: 'ok', check: 'passed' }
    : i.state === 'pending'
      ? { status: 'initializing', check: 'initializing' }
      : { status: 'not-applicable', check: 'not-applicable' };

/** Status checks; like EC2, only running instances unless IncludeAllInstances=true. */
const describeInstanceStatus: Ec2Handler = (call) => {
  const all = instancesIn(call);
  settleTransitions(call, all, false);
  const chosen = chosenByIds(call.params, 'InstanceId', all, instanceIdKind);
  const includeAll = call.params.IncludeAllInstances === 'true';
  const visible = chosen.filter((i) => i.state !== 'terminated' && (includeAll || i.state === 'running'));
  const { page, nextToken } = filterAndPage(
    visible,
    call.params,
    {
      'availability-zone': (i) => [i.availabilityZone],
      'instance-state-name': (i) => [i.state],
      'instance-status.status': (i) => [statusOf(i).status],
      'system-status.status': (i) => [statusOf(i).status],
    },
    {
      action: 'DescribeInstanceStatus',
      min: 5,
      max: 1000,
      idParam: 'InstanceId',
    },
  );
  return {
    instanceStatusSet: itemSet(
      page.map((i) => {
        const { status, check } = statusOf(i);
        const summary = { status, details: itemSet([{ name: 'reachability', status: check }]) };
        return {
          instanceId: i.id,
          availabilityZone: i.availabilityZone,
          instanceState: stateXml(i.state),
          systemStatus: summary,
          instanceStatus: summary,
          attachedEbsStatus: summary,
        };
      }),
    ),
    ...(nextToken ? { nextToken } : {}),
  };
};

const describeAvailabilityZones: Ec2Handler = (call) => {
  const zones = ['a', 'b', 'c'].map((suffix, n) => ({
    zoneName: `${call.region}${suffix}`,
    zoneId: `${call.region.replace(/-/g, '').slice(0, 4)}-az${n + 1}`,
    tags: {} as Tags,
  }));
  const names = listParam(call.params, 'ZoneName');
  const chosen = names.length > 0 ? zones.filter((z) => names.includes(z.zoneName)) : zones;
  const matched = applyFilters(chosen, filtersOf(call.params), {
    'zone-name': (z) => [z.zoneName],
    'zone-id': (z) => [z.zoneId],
    state: () => ['available'],
    'region-name': () => [call.region],
  });
  return {
    availabilityZoneInfo: itemSet(
      matched.map((z) => ({
        zoneName: z.zoneName,
        zoneState: 'available',
        regionName: call.region,
        zoneId: z.zoneId,
        zoneType: 'availability-zone',
        optInStatus: 'opt-in-not-required',
        groupName: call.region,
        networkBorderGroup: call.region,
        messageSet: itemSet([]),
      })),
    ),
  };
};

interface TagRow {
  resourceId: string;
  resourceType: string;
  key: string;
  value: string;
  tags: Tags;
}

const tagRows = (call: Parameters<Ec2Handler>[0]): TagRow[] => {
  const f = call.fleet;
  const here = <T extends { region: string }>(xs: T[]) => xs.filter((x) => x.region === call.region);
  const owned: Array<[string, string, Tags]> = [
    ...here(f.instances).map((i): [string, string, Tags] => [i.id, 'instance', i.tags]),
    ...here(f.volumes).map((v): [string, string, Tags] => [v.id, 'volume', v.tags]),
    ...here(f.snapshots)
      .filter((s) => s.ownerId === f.account)
      .map((s): [string, string, Tags] => [s.id, 'snapshot', s.tags]),
    ...here(f.securityGroups).map((g): [string, string, Tags] => [g.id, 'security-group', g.tags]),
    ...here(f.vpcs).map((v): [string, string, Tags] => [v.id, 'vpc', v.tags]),
    ...here(f.addresses).map((a): [string, string, Tags] => [a.allocationId, 'elastic-ip', a.tags]),
    ...here(f.natGateways).map((n): [string, string, Tags] => [n.id, 'natgateway', n.tags]),
  ];
  return owned.flatMap(([resourceId, resourceType, tags]) =>
    Object.entries(tags).map(([key, value]) => ({ resourceId, resourceType, key, value, tags: {} })),
  );
};

const tagFields: FilterFields<TagRow> = {
  'resource-id': (t) => [t.resourceId],
  'resource-type': (t) => [t.resourceType],
  key: (t) => [t.key],
  value: (t) => [t.value],
};

const describeTags: Ec2Handler = (call) => {
  const { page, nextToken } = filterAndPage(tagRows(call), call.params, tagFields, {
    action: 'DescribeTags',
    min: 5,
    max: 1000,
    idParam: 'ResourceId',
  });
  return {
    tagSet: itemSet(
      page.map((t) => ({ resourceId: t.resourceId, resourceType: t.resourceType, key: t.key, value: t.value })),
    ),
    ...(nextToken ? { nextToken } : {}),
  };
};

export const catalogHandlers: Record<string, Ec2Handler> = {
  DescribeInstanceTypes: describeInstanceTypes,
  DescribeInstanceStatus: describeInstanceStatus,
  DescribeAvailabilityZones: describeAvailabilityZones,
  DescribeTags: describeTags,
};
