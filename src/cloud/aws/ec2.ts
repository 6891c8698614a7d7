import {
  DescribeAddressesCommand,
  DescribeInstanceStatusCommand,
  DescribeInstancesCommand,
  EC2Client,
  paginateDescribeFlowLogs,
  paginateDescribeInstanceStatus,
  paginateDescribeInstanceTypes,
  paginateDescribeInstances,
  paginateDescribeNatGateways,
  paginateDescribeSecurityGroups,
  paginateDescribeSnapshots,
  paginateDescribeVolumes,
  paginateDescribeVpcs,
} from '@aws-sdk/client-ec2';
import type { Instance } from '@aws-sdk/client-ec2';
import type { Metrics } from '../../observability/metrics.ts';
import type { ResourceKey } from '../../tools/change-plan.ts';
import type { Resource } from '../resource.ts';
import { clientConfig, instrumentAwsClient, type AwsClientSettings } from './clients.ts';
import { translateAwsError } from './errors.ts';
import { settleAll } from '../settle.ts';
import {
  addressResource,
  instanceResource,
  natGatewayResource,
  securityGroupResource,
  snapshotResource,
  volumeResource,
  vpcResource,
} from './normalize.ts';

/**
 * The part of the AWS provider that needs the EC2 SDK (`@aws-sdk/client-ec2`, ~0.3 s of CPU to
 * load): clients, listings and describes. `AwsProvider` imports this module on its first cloud
 * call, so a start that serves a stored inventory is ready before the SDK has loaded.
 */

export { executeInstanceAction } from './instance-actions.ts';
export { executeEc2ResourceAction } from './ec2-actions.ts';

export const createEc2Client = (settings: AwsClientSettings, metrics: Metrics | undefined): EC2Client =>
  instrumentAwsClient(new EC2Client(clientConfig(settings)), metrics);

/** Every page's items; stops between pages once `signal` aborts (the paginators take no signal). */
export const collect = async <P, T>(
  pages: AsyncIterable<P>,
  pick: (page: P) => T[] | undefined,
  signal?: AbortSignal,
): Promise<T[]> => {
  const all: T[] = [];
  for await (const page of pages) {
    signal?.throwIfAborted();
    for (const item of pick(page) ?? []) all.push(item);
  }
  return all;
};

export interface ListOptions {
  account: string;
  region: string;
  seenAt: Date;
  sandbox: boolean;
  pageSize: number;
  signal?: AbortSignal | undefined;
  /** Receives instances, volumes and snapshots page by page; those are then not returned. */
  onBatch?: ((resources: Resource[]) => Promise<void>) | undefined;
}

/** DescribeInstanceStatus and DescribeFlowLogs cap MaxResults lower than the other describes. */
const statusPage = (n: number) => Math.max(5, Math.min(n, 1000));

/**
 * Instances (with their status checks), volumes, own snapshots, security groups, Elastic IPs,
 * NAT gateways and VPCs (with flow-log status) of one region, every page.
 */
export const listRegion = async (client: EC2Client, opts: ListOptions): Promise<Resource[]> => {
  const { account, region, seenAt, sandbox, pageSize, onBatch } = opts;
  const paging = { client, pageSize };
  const ctx = { account, region, seenAt, sandbox };
  // A batch the receiver (the store) failed to take is its failure, not EC2's.
  let receiverFailure: unknown;
  /**
   * The large types page by page: each page normalized as it arrives and handed on when the
   * caller takes batches, so 50,000 SDK instance objects are never held at once.
   */
  const stream = async <P, T>(
    signal: AbortSignal,
    pages: AsyncIterable<P>,
    pick: (page: P) => T[] | undefined,
    normalize: (items: T[]) => Resource[] | Promise<Resource[]>,
  ): Promise<Resource[]> => {
    const kept: Resource[] = [];
    for await (const page of pages) {
      signal?.throwIfAborted();
      const batch = await normalize(pick(page) ?? []);
      if (onBatch)
        await onBatch(batch).catch((e: unknown) => {
          receiverFailure = e;
          throw e;
        });
      else kept.push(...batch);
    }
    return kept;
  };
  try {
    // Every part runs to its end before a failure is reported: none writes a batch after that.
    const [instances, volumes, snapshots, groups, addresses, nats, vpcs, flowLogs] = await settleAll((signal) => {
      // Instances wait for the status checks to carry theirs. Only the id → status pairs are
      // kept, page by page: 50,000 SDK status objects (events, details) held at once were most
      // of a large listing's live heap.
      const checks = (async () => {
        const byId = new Map<string | undefined, string | undefined>();
        const pages = paginateDescribeInstanceStatus(
          { client, pageSize: statusPage(pageSize) },
          { IncludeAllInstances: true },
        );
        for await (const page of pages) {
          signal.throwIfAborted();
          for (const s of page.InstanceStatuses ?? []) byId.set(s.InstanceId, s.InstanceStatus?.Status);
        }
        return byId;
      })();
      return [
        stream(
          signal,
          paginateDescribeInstances(paging, {}),
          (p) => p.Reservations,
          async (reservations) => {
            const byId = await checks;
            return reservations
              .flatMap((r) => r.Instances ?? [])
              .filter((i: Instance) => i.State?.Name !== 'terminated')
              .map((i) => instanceResource(i, ctx, byId.get(i.InstanceId) ?? undefined));
          },
        ),
        stream(
          signal,
          paginateDescribeVolumes(paging, {}),
          (p) => p.Volumes,
          (vs) => vs.map((v) => volumeResource(v, ctx)),
        ),
        stream(
          signal,
          paginateDescribeSnapshots(paging, { OwnerIds: ['self'] }),
          (p) => p.Snapshots,
          (ss) => ss.map((s) => snapshotResource(s, ctx)),
        ),
        collect(paginateDescribeSecurityGroups(paging, {}), (p) => p.SecurityGroups, signal),
        client.send(new DescribeAddressesCommand({}), { abortSignal: signal }).then((o) => o.Addresses ?? []),
        collect(paginateDescribeNatGateways(paging, {}), (p) => p.NatGateways, signal),
        collect(paginateDescribeVpcs(paging, {}), (p) => p.Vpcs, signal),
        collect(paginateDescribeFlowLogs({ client, pageSize: statusPage(pageSize) }, {}), (p) => p.FlowLogs, signal),
        // Awaited by the instances too, but settled here like every part.
        checks,
      ] as const;
    }, opts.signal);
    return [
      ...instances,
      ...volumes,
      ...snapshots,
      ...groups.map((g) => securityGroupResource(g, ctx)),
      ...addresses.map((a) => addressResource(a, ctx)),
      ...nats.filter((n) => n.State !== 'deleted').map((n) => natGatewayResource(n, ctx)),
      ...vpcs.map((v) => vpcResource(v, flowLogs, ctx)),
    ];
  } catch (e) {
    if (e === receiverFailure) throw e;
    throw translateAwsError(e, `listing EC2 resources in ${region}`);
  }
};

/** Ids of the region's instances that are not terminated (what metrics are asked for). */
export const instanceIds = async (client: EC2Client, region: string, pageSize: number): Promise<string[]> => {
  try {
    // Only the ids are kept, page by page: 50,000 SDK instance objects would hold hundreds of MB.
    const ids: string[] = [];
    for await (const page of paginateDescribeInstances({ client, pageSize }, {}))
      for (const r of page.Reservations ?? [])
        for (const i of r.Instances ?? []) if (i.State?.Name !== 'terminated' && i.InstanceId) ids.push(i.InstanceId);
    return ids;
  } catch (e) {
    throw translateAwsError(e, `listing EC2 instances in ${region}`);
  }
};

/** Every instance type EC2 offers in the client's region (DescribeInstanceTypes, all pages), sorted. */
export const instanceTypes = async (client: EC2Client, region: string): Promise<string[]> => {
  try {
    const types = await collect(paginateDescribeInstanceTypes({ client, pageSize: 100 }, {}), (p) => p.InstanceTypes);
    return types
      .map((t) => t.InstanceType)
      .filter((t): t is NonNullable<typeof t> => Boolean(t))
      .map(String)
      .sort();
  } catch (e) {
    throw translateAwsError(e, `listing the instance types of ${region}`);
  }
};

/** One instance as stored, or null when EC2 no longer has it. */
export const describeInstance = async (
  client: EC2Client,
  key: ResourceKey,
  opts: { seenAt: Date; sandbox: boolean },
): Promise<Resource | null> => {
  try {
    const out = await client.send(new DescribeInstancesCommand({ InstanceIds: [key.id] }));
    const instance = out.Reservations?.[0]?.Instances?.[0];
    if (!instance || instance.State?.Name === 'terminated') return null;
    // The same status-check attribute the listing has, so a describe and a listing compare equal.
    const status = await client.send(
      new DescribeInstanceStatusCommand({ InstanceIds: [key.id], IncludeAllInstances: true }),
    );
    const checks = status.InstanceStatuses?.[0]?.InstanceStatus?.Status;
    return instanceResource(instance, { account: key.account, region: key.region, ...opts }, checks);
  } catch (e) {
    const err = translateAwsError(e, `describing ${key.id} in ${key.region}`);
    if (err.code === 'not_found') return null;
    throw err;
  }
};

/**
 * The endpoint the SDK's own configuration names (AWS_ENDPOINT_URL_EC2, AWS_ENDPOINT_URL,
 * `endpoint_url` in the AWS profile); undefined: AWS's regional endpoints. The SDK resolves this
 * lazily, per client, on the first call; asking it now reads the same settings.
 */
export const configuredEndpoint = async (client: EC2Client): Promise<string | undefined> => {
  const config = client.config as { serviceConfiguredEndpoint?: () => Promise<string | undefined> };
  return (await config.serviceConfiguredEndpoint?.()) || undefined;
};
