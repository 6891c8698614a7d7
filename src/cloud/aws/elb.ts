import {
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  paginateDescribeListeners,
  paginateDescribeLoadBalancers,
  paginateDescribeTargetGroups,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Listener, LoadBalancer, TargetGroup } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Metrics } from '../../observability/metrics.ts';
import type { ResourceKey } from '../../tools/change-plan.ts';
import type { Resource } from '../resource.ts';
import { clientConfig, instrumentAwsClient, type AwsClientSettings } from './clients.ts';
import { collect, type ListOptions } from './ec2.ts';
import { translateAwsError } from './errors.ts';
import { loadBalancerResource, tagsOf, targetGroupResource, type NormalizeContext } from './normalize.ts';

/**
 * Application and network load balancers of one region (`@aws-sdk/client-elastic-load-balancing-v2`,
 * loaded with the other SDKs): each with its listeners, target groups and their targets' health,
 * so an idle balancer (no healthy target) shows; and every target group as a row of its own, its
 * health summary as its state (what a workflow waits on). One group or balancer is described
 * again for a wait or after a change.
 */

export const createElbClient = (
  settings: AwsClientSettings,
  metrics: Metrics | undefined,
): ElasticLoadBalancingV2Client =>
  instrumentAwsClient(new ElasticLoadBalancingV2Client(clientConfig(settings)), metrics);

/** ELB's DescribeTags takes at most 20 ARNs per call. */
const tagBatch = 20;
/** Per-balancer calls in flight at once: ELB's describe quotas are low. */
const parallel = 4;

const inBatches = async <T, R>(items: T[], size: number, run: (batch: T[]) => Promise<R[]>): Promise<R[]> => {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await run(items.slice(i, i + size))));
  return out;
};

export const listLoadBalancers = async (
  client: ElasticLoadBalancingV2Client,
  opts: ListOptions,
): Promise<Resource[]> => {
  const { region, signal } = opts;
  // ELB's paginators take no pageSize (no page-size token in their model): PageSize goes in the input.
  const pageSize = Math.min(400, Math.max(1, opts.pageSize));
  try {
    const [balancers, groups] = await Promise.all([
      collect(paginateDescribeLoadBalancers({ client }, { PageSize: pageSize }), (p) => p.LoadBalancers, signal),
      collect(paginateDescribeTargetGroups({ client }, { PageSize: pageSize }), (p) => p.TargetGroups, signal),
    ]);
    if (balancers.length === 0 && groups.length === 0) return [];
    return await normalizeAll(client, balancers, groups, opts, pageSize);
  } catch (e) {
    throw translateAwsError(e, `listing load balancers in ${region}`);
  }
};

/** Balancers and target groups as rows: each group's target health, each balancer's listeners, the tags of both. */
const normalizeAll = async (
  client: ElasticLoadBalancingV2Client,
  balancers: LoadBalancer[],
  groups: TargetGroup[],
  opts: NormalizeContext & { signal?: AbortSignal | undefined },
  pageSize: number,
): Promise<Resource[]> => {
  const health = new Map(
    await inBatches(groups, parallel, (batch) =>
      Promise.all(
        batch.map(async (g: TargetGroup) => {
          const out = await client.send(new DescribeTargetHealthCommand({ TargetGroupArn: g.TargetGroupArn }));
          return [g.TargetGroupArn, out.TargetHealthDescriptions ?? []] as const;
        }),
      ),
    ),
  );
  const listeners = new Map<string, Listener[]>(
    await inBatches(balancers, parallel, (batch) =>
      Promise.all(
        batch.map(async (lb) => {
          const arn = lb.LoadBalancerArn ?? '';
          const ls = await collect(
            paginateDescribeListeners({ client }, { LoadBalancerArn: arn, PageSize: pageSize }),
            (p) => p.Listeners,
            opts.signal,
          );
          return [arn, ls] as [string, Listener[]];
        }),
      ),
    ),
  );
  const arns = [...balancers.map((b) => b.LoadBalancerArn ?? ''), ...groups.map((g) => g.TargetGroupArn ?? '')];
  const tags = new Map(
    await inBatches(arns, tagBatch, async (batch) => {
      const out = await client.send(new DescribeTagsCommand({ ResourceArns: batch }));
      return (out.TagDescriptions ?? []).map((d) => [d.ResourceArn ?? '', tagsOf(d.Tags)] as const);
    }),
  );
  return [
    ...balancers.map((lb) => {
      const arn = lb.LoadBalancerArn ?? '';
      const mine = groups
        .filter((g) => g.LoadBalancerArns?.includes(arn))
        .map((group) => ({ group, health: health.get(group.TargetGroupArn) ?? [] }));
      return loadBalancerResource(lb, listeners.get(arn) ?? [], mine, tags.get(arn) ?? {}, opts);
    }),
    ...groups.map((g) =>
      targetGroupResource(g, health.get(g.TargetGroupArn) ?? [], tags.get(g.TargetGroupArn ?? '') ?? {}, opts),
    ),
  ];
};

/** One target group as it is now (for a wait on its health); null when it is gone. */
export const describeTargetGroup = async (
  client: ElasticLoadBalancingV2Client,
  key: ResourceKey,
  opts: { seenAt: Date; sandbox: boolean },
): Promise<Resource | null> => {
  const ctx = { account: key.account, region: key.region, ...opts };
  try {
    const out = await client.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [key.id] }));
    const rows = await normalizeAll(client, [], out.TargetGroups ?? [], ctx, 400);
    return rows[0] ?? null;
  } catch (e) {
    const err = translateAwsError(e, `describing target group ${key.id} in ${key.region}`);
    if (err.code === 'not_found') return null;
    throw err;
  }
};

/** One load balancer as it is now, with its listeners and target groups; null when it is gone. */
export const describeLoadBalancer = async (
  client: ElasticLoadBalancingV2Client,
  key: ResourceKey,
  opts: { seenAt: Date; sandbox: boolean },
): Promise<Resource | null> => {
  const ctx = { account: key.account, region: key.region, ...opts };
  try {
    const out = await client.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [key.id] }));
    const lb = out.LoadBalancers?.[0];
    if (!lb) return null;
    const groups = await collect(
      paginateDescribeTargetGroups({ client }, { LoadBalancerArn: key.id }),
      (p) => p.TargetGroups,
    );
    const rows = await normalizeAll(client, [lb], groups, ctx, 400);
    return rows[0] ?? null;
  } catch (e) {
    const err = translateAwsError(e, `describing load balancer ${key.id} in ${key.region}`);
    if (err.code === 'not_found') return null;
    throw err;
  }
};
