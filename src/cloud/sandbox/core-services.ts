import type { ServiceRouter } from './aws-query.ts';
import type { Transition } from './call.ts';
import { cloudWatchRouter } from './cloudwatch.ts';
import { ecsRouter } from './ecs.ts';
import { elbv2Router } from './elbv2.ts';
import { stsRouter } from './sts.ts';

/**
 * The non-EC2 AWS services the inventory core needs, by SigV4 scope service name: STS (accounts),
 * ELBv2 (load balancers), CloudWatch (`monitoring`, metrics) and ECS (services behind the
 * balancers' target groups: both act on the account's fleet). The per-service scans' emulators
 * (RDS, S3, IAM, …) route separately, from ./aws-services/.
 */
export const coreServiceRouters = (opts: {
  metricDatapointsPerPage?: number | undefined;
  /** How long an ECS rollout's phases last (the instances' transition). */
  transition?: Transition;
}): Record<string, ServiceRouter> => ({
  sts: stsRouter,
  elasticloadbalancing: elbv2Router,
  monitoring: cloudWatchRouter(opts.metricDatapointsPerPage),
  ecs: ecsRouter(opts.transition ?? { describes: 1 }),
});
