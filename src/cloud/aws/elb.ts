import {
  DescribeTagsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  paginateDescribeListeners,
  paginateDescribeLoadBalancers,
  paginateDescribeTargetGroups,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Listener, TargetGroup } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Metrics } from '../../observability/metrics.ts';
import type { Resource } from '../resource.ts';
import { clientConfig, instrumentAwsClient, type AwsClientSettings } from './clients.ts';
import { collect, type ListOptions } from './ec2.ts';
import { translateAwsError } from './errors.ts';
import { loadBalancerResource, tagsOf } from './normalize.ts';

/**
 * Application and network load balancers of one region (`@aws-sdk/client-elastic-load-balancing-v2`,
 * loaded with the other SDKs): each with its listeners, target groups and their targets' health,
 * so an idle balancer (no healthy target) shows.
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
    const balancers = await collect(
      paginateDescribeLoadBalancers({ client }, { PageSize: pageSize }),
      (p) => p.LoadBalancers,
      signal,
    );
    if (balancers.length === 0) return [];
    const groups = await collect(
      paginateDescribeTargetGroups({ client }, { PageSize: pageSize }),
      (p) => p.TargetGroups,
      signal,
    );
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
              signal,
            );
            return [arn, ls] as [string, Listener[]];
          }),
        ),
      ),
    );
    const tags = new Map(
      await inBatches(balancers, tagBatch, async (batch) => {
        const out = await client.send(
          new DescribeTagsCommand({ ResourceArns: batch.map((b) => b.LoadBalancerArn ?? '') }),
        );
        return (out.TagDescriptions ?? []).map((d) => [d.ResourceArn ?? '', tagsOf(d.Tags)] as const);
      }),
    );
    return balancers.map((lb) => {
      const arn = lb.LoadBalancerArn ?? '';
      const mine = groups
        .filter((g) => g.LoadBalancerArns?.includes(arn))
        .map((group) => ({ group, health: health.get(group.TargetGroupArn) ?? [] }));
      return loadBalancerResource(lb, listeners.get(arn) ?? [], mine, tags.get(arn) ?? {}, opts);
    });
  } catch (e) {
    throw translateAwsError(e, `listing load balancers in ${region}`);
  }
};
