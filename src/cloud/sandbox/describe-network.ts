import type { Ec2Call, Ec2Handler } from './call.ts';
import { chosenByIds, requireIds } from './call.ts';
import type { SandboxAddress, SandboxFlowLog, SandboxNatGateway, SandboxVpc } from './model.ts';
import { applyFilters, filterAndPage, filtersOf, listParam } from './query.ts';
import type { FilterFields } from './query.ts';
import { itemSet, tagSet } from './xml.ts';

/**
 * The EC2 network describes the inventory reads: Elastic IPs, NAT gateways, VPCs and their flow
 * logs. Element names and paging limits as EC2's 2016-11-15 API has them.
 */

const inRegion = <T extends { region: string }>(call: Ec2Call, items: T[]): T[] =>
  items.filter((x) => x.region === call.region);

const addressFields: FilterFields<SandboxAddress> = {
  'allocation-id': (a) => [a.allocationId],
  'association-id': (a) => [a.associationId],
  'instance-id': (a) => [a.instanceId],
  'public-ip': (a) => [a.publicIp],
  'private-ip-address': (a) => [a.privateIp],
  domain: () => ['vpc'],
};

/** DescribeAddresses has no paging on EC2: every address of the region in one answer. */
const describeAddresses: Ec2Handler = (call) => {
  let all = inRegion(call, call.fleet.addresses);
  const ids = listParam(call.params, 'AllocationId');
  if (ids.length > 0)
    all = requireIds(
      ids,
      all.map((a) => ({ ...a, id: a.allocationId })),
      {
        pattern: /^eipalloc-[0-9a-f]{8,17}$/,
        malformed: 'InvalidAllocationID.Malformed',
        notFound: 'InvalidAllocationID.NotFound',
        describe: (m) => `The allocation IDs '${m.join(', ')}' do not exist`,
      },
    );
  const ips = listParam(call.params, 'PublicIp');
  if (ips.length > 0) all = all.filter((a) => ips.includes(a.publicIp));
  const matched = applyFilters(all, filtersOf(call.params), addressFields);
  return {
    addressesSet: itemSet(
      matched.map((a) => ({
        publicIp: a.publicIp,
        allocationId: a.allocationId,
        domain: 'vpc',
        ...(a.instanceId
          ? { instanceId: a.instanceId, associationId: a.associationId, privateIpAddress: a.privateIp }
          : {}),
        publicIpv4Pool: 'amazon',
        networkBorderGroup: a.region,
        tagSet: tagSet(a.tags),
      })),
    ),
  };
};

const natFields: FilterFields<SandboxNatGateway> = {
  'nat-gateway-id': (n) => [n.id],
  state: (n) => [n.state],
  'subnet-id': (n) => [n.subnetId],
  'vpc-id': (n) => [n.vpcId],
};

const describeNatGateways: Ec2Handler = (call) => {
  const all = inRegion(call, call.fleet.natGateways);
  const chosen = chosenByIds(call.params, 'NatGatewayId', all, {
    pattern: /^nat-[0-9a-f]{8,17}$/,
    malformed: 'InvalidParameterValue',
    notFound: 'NatGatewayNotFound',
    describe: (m) => `NAT gateway ${m[0]} was not found`,
  });
  const { page, nextToken } = filterAndPage(chosen, call.params, natFields, {
    action: 'DescribeNatGateways',
    min: 5,
    max: 1000,
    idParam: 'NatGatewayId',
  });
  return {
    natGatewaySet: itemSet(
      page.map((n) => ({
        natGatewayId: n.id,
        vpcId: n.vpcId,
        subnetId: n.subnetId,
        state: n.state,
        createTime: n.createTime.toISOString(),
        connectivityType: 'public',
        natGatewayAddressSet: itemSet([
          {
            allocationId: n.allocationId,
            publicIp: n.publicIp,
            privateIp: n.privateIp,
            isPrimary: true,
            status: 'succeeded',
          },
        ]),
        tagSet: tagSet(n.tags),
      })),
    ),
    ...(nextToken ? { nextToken } : {}),
  };
};

const vpcFields: FilterFields<SandboxVpc> = {
  'vpc-id': (v) => [v.id],
  'is-default': (v) => [String(v.isDefault)],
  'cidr-block': (v) => [v.cidr],
  state: () => ['available'],
};

const describeVpcs: Ec2Handler = (call) => {
  const all = inRegion(call, call.fleet.vpcs);
  const chosen = chosenByIds(call.params, 'VpcId', all, {
    pattern: /^vpc-[0-9a-f]{8,17}$/,
    malformed: 'InvalidVpcID.Malformed',
    notFound: 'InvalidVpcID.NotFound',
    describe: (m) => `The vpc ID '${m.join(', ')}' does not exist`,
  });
  const { page, nextToken } = filterAndPage(chosen, call.params, vpcFields, {
    action: 'DescribeVpcs',
    min: 5,
    max: 1000,
    idParam: 'VpcId',
  });
  return {
    vpcSet: itemSet(
      page.map((v) => ({
        vpcId: v.id,
        ownerId: call.fleet.account,
        state: 'available',
        cidrBlock: v.cidr,
        dhcpOptionsId: `dopt-${v.id.slice(4, 12)}`,
        instanceTenancy: 'default',
        isDefault: v.isDefault,
        tagSet: tagSet(v.tags),
      })),
    ),
    ...(nextToken ? { nextToken } : {}),
  };
};

const flowLogFields: FilterFields<SandboxFlowLog> = {
  'flow-log-id': (f) => [f.id],
  'resource-id': (f) => [f.resourceId],
  'traffic-type': (f) => [f.trafficType],
  'log-destination-type': (f) => [f.logDestinationType],
  'log-group-name': (f) => [f.logGroupName],
  'deliver-log-status': () => ['SUCCESS'],
};

const describeFlowLogs: Ec2Handler = (call) => {
  const all = inRegion(call, call.fleet.flowLogs);
  const ids = listParam(call.params, 'FlowLogId');
  const chosen = ids.length > 0 ? all.filter((f) => ids.includes(f.id)) : all;
  const { page, nextToken } = filterAndPage(
    chosen.map((f) => ({ ...f, tags: {} })),
    call.params,
    flowLogFields,
    {
      action: 'DescribeFlowLogs',
      min: 1,
      max: 1000,
      idParam: 'FlowLogId',
    },
  );
  return {
    flowLogSet: itemSet(
      page.map((f) => ({
        flowLogId: f.id,
        resourceId: f.resourceId,
        trafficType: f.trafficType,
        logDestinationType: f.logDestinationType,
        ...(f.logGroupName ? { logGroupName: f.logGroupName } : {}),
        flowLogStatus: 'ACTIVE',
        deliverLogsStatus: 'SUCCESS',
        creationTime: f.createTime.toISOString(),
        maxAggregationInterval: 600,
        tagSet: tagSet({}),
      })),
    ),
    ...(nextToken ? { nextToken } : {}),
  };
};

export const networkHandlers: Record<string, Ec2Handler> = {
  DescribeAddresses: describeAddresses,
  DescribeNatGateways: describeNatGateways,
  DescribeVpcs: describeVpcs,
  DescribeFlowLogs: describeFlowLogs,
};
