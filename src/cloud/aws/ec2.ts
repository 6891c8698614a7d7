import {
  DescribeInstancesCommand,
  EC2Client,
  paginateDescribeInstances,
  paginateDescribeSecurityGroups,
  paginateDescribeSnapshots,
  paginateDescribeVolumes,
} from '@aws-sdk/client-ec2';
import type { EC2ClientConfig, Instance } from '@aws-sdk/client-ec2';
import { performance } from 'node:perf_hooks';
import type { Metrics } from '../../observability/metrics.ts';
import type { ResourceKey } from '../../tools/change-plan.ts';
import type { Resource } from '../resource.ts';
import { awsFailureKind, translateAwsError } from './errors.ts';
import { instanceResource, securityGroupResource, snapshotResource, volumeResource } from './normalize.ts';

/**
 * The part of the AWS provider that needs the EC2 SDK (`@aws-sdk/client-ec2`, ~0.3 s of CPU to
 * load): clients, listings and describes. `AwsProvider` imports this module on its first cloud
 * call, so a start that serves a stored inventory is ready before the SDK has loaded.
 */

export { executeInstanceAction } from './instance-actions.ts';

export interface ClientOptions {
  region: string;
  endpoint?: string | undefined;
  credentials?: EC2ClientConfig['credentials'] | undefined;
  maxAttempts?: number | undefined;
  metrics?: Metrics | undefined;
}

export const createEc2Client = ({ region, endpoint, credentials, maxAttempts, metrics }: ClientOptions): EC2Client => {
  const client = new EC2Client({
    region,
    ...(endpoint ? { endpoint } : {}),
    ...(credentials ? { credentials } : {}),
    ...(maxAttempts ? { maxAttempts } : {}),
  });
  if (metrics) {
    // Counted and timed once per logical call (retries happen further down the stack, so they
    // are inside the time); a missing credential fails below this step too, before any request.
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const operation = (context.commandName ?? 'unknown').replace(/Command$/, '');
        const started = performance.now();
        const observe = (outcome: string) =>
          metrics.cloudCallSeconds.observe(
            { provider: 'aws', operation, outcome },
            (performance.now() - started) / 1000,
          );
        try {
          const out = await next(args);
          metrics.cloudCalls.inc({ provider: 'aws', operation, outcome: 'ok' });
          observe('ok');
          return out;
        } catch (e) {
          metrics.cloudCalls.inc({ provider: 'aws', operation, outcome: 'error' });
          observe(awsFailureKind(e));
          throw e;
        }
      },
      { step: 'initialize', name: 'devopsAgentCloudCalls' },
    );
  }
  return client;
};

const collect = async <P, T>(pages: AsyncIterable<P>, pick: (page: P) => T[] | undefined): Promise<T[]> => {
  const all: T[] = [];
  for await (const page of pages) all.push(...(pick(page) ?? []));
  return all;
};

export interface ListOptions {
  region: string;
  seenAt: Date;
  sandbox: boolean;
  pageSize: number;
  /** Account id to report when no EC2 response names the owner. */
  account?: string | undefined;
}

/** Instances, volumes, own snapshots and security groups of one region. */
export const listRegion = async (client: EC2Client, opts: ListOptions): Promise<Resource[]> => {
  const { region, seenAt, sandbox, pageSize } = opts;
  try {
    const [groups, reservations, volumes, snapshots] = await Promise.all([
      collect(paginateDescribeSecurityGroups({ client, pageSize }, {}), (p) => p.SecurityGroups),
      collect(paginateDescribeInstances({ client, pageSize }, {}), (p) => p.Reservations),
      collect(paginateDescribeVolumes({ client, pageSize }, {}), (p) => p.Volumes),
      collect(paginateDescribeSnapshots({ client, pageSize }, { OwnerIds: ['self'] }), (p) => p.Snapshots),
    ]);
    // EC2 has no "who am I" call; every listing carries the owner somewhere (the default group at least).
    const account =
      opts.account ??
      [...groups.map((g) => g.OwnerId), ...reservations.map((r) => r.OwnerId), ...snapshots.map((s) => s.OwnerId)].find(
        Boolean,
      ) ??
      'unknown';
    const ctx = { account, region, seenAt, sandbox };
    const instances = reservations
      .flatMap((r) => r.Instances ?? [])
      .filter((i: Instance) => i.State?.Name !== 'terminated');
    return [
      ...instances.map((i) => instanceResource(i, ctx)),
      ...volumes.map((v) => volumeResource(v, ctx)),
      ...snapshots.map((s) => snapshotResource(s, ctx)),
      ...groups.map((g) => securityGroupResource(g, ctx)),
    ];
  } catch (e) {
    throw translateAwsError(e, `listing EC2 resources in ${region}`);
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
    return instanceResource(instance, { account: key.account, region: key.region, ...opts });
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
