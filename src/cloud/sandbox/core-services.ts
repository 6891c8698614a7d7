import type { ServiceRouter } from './aws-query.ts';
import { cloudWatchRouter } from './cloudwatch.ts';
import { elbv2Router } from './elbv2.ts';
import { stsRouter } from './sts.ts';

/**
 * The non-EC2 AWS services the inventory core needs, by SigV4 scope service name: STS (accounts),
 * ELBv2 (load balancers) and CloudWatch (`monitoring`, metrics). The per-service scans' emulators
 * (RDS, S3, IAM, …) route separately, from ./aws-services/.
 */
export const coreServiceRouters = (opts: {
  metricDatapointsPerPage?: number | undefined;
}): Record<string, ServiceRouter> => ({
  sts: stsRouter,
  elasticloadbalancing: elbv2Router,
  monitoring: cloudWatchRouter(opts.metricDatapointsPerPage),
});
