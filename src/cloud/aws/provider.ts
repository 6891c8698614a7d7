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
import { badRequest } from '../../errors.ts';
import type { Metrics } from '../../observability/metrics.ts';
import type { ActionName, ResourceKey } from '../../tools/change-plan.ts';
import type { ActionResult, CloudProvider, ExecuteOptions, ResourceAction } from '../provider.ts';
import type { Resource, ResourceType } from '../resource.ts';
import { awsFailureKind, translateAwsError } from './errors.ts';
import { defaultWait, executeInstanceAction } from './instance-actions.ts';
import type { WaitOptions } from './instance-actions.ts';
import { instanceResource, securityGroupResource, snapshotResource, volumeResource } from './normalize.ts';
import { instanceMonthlyCents, pricedInstanceTypes } from './pricing.ts';

/**
 * CloudProvider for AWS EC2 (instances, EBS volumes, own snapshots, security groups), one SDK
 * client per region. Reads no environment itself: without `endpoint`/`credentials` the SDK's
 * default chain and AWS_ENDPOINT_URL apply, as the SDK documents.
 */

export interface AwsProviderOptions {
  regions: string[];
  /** Base URL of an EC2-compatible endpoint (the sandbox), instead of AWS's regional endpoints. */
  endpoint?: string;
  /** True when `endpoint` is the local sandbox: answers say so, and the sandbox CPU tag is read. */
  sandbox: boolean;
  credentials?: EC2ClientConfig['credentials'];
  now?: () => Date;
  metrics?: Metrics;
  /** Account id to report when no EC2 response names the owner (rare: an empty region). */
  account?: string;
  /** MaxResults per Describe* page (EC2 accepts 5…1000; default 200). */
  pageSize?: number;
  /** SDK attempts per call, retries included (SDK default 3). */
  maxAttempts?: number;
  /** Polling while a resize waits for stopped/running. */
  wait?: Partial<WaitOptions>;
}

const doing: Record<ActionName, string> = {
  start: 'starting',
  stop: 'stopping',
  reboot: 'rebooting',
  resize: 'resizing',
};

const collect = async <P, T>(pages: AsyncIterable<P>, pick: (page: P) => T[] | undefined): Promise<T[]> => {
  const all: T[] = [];
  for await (const page of pages) all.push(...(pick(page) ?? []));
  return all;
};

export class AwsProvider implements CloudProvider {
  readonly name = 'aws' as const;
  readonly sandbox: boolean;
  readonly #opts: AwsProviderOptions;
  readonly #clients = new Map<string, EC2Client>();
  readonly #now: () => Date;
  readonly #wait: WaitOptions;

  constructor(opts: AwsProviderOptions) {
    if (opts.regions.length === 0) throw badRequest('The AWS provider needs at least one region.');
    this.#opts = opts;
    this.sandbox = opts.sandbox;
    this.#now = opts.now ?? (() => new Date());
    this.#wait = { ...defaultWait, ...opts.wait };
  }

  /** Lists every region in parallel; one failing region fails the listing, so a sync never mistakes an outage for deletions. */
  async listResources(): Promise<Resource[]> {
    const seenAt = this.#now();
    const perRegion = await Promise.all(this.#opts.regions.map((region) => this.#listRegion(region, seenAt)));
    return perRegion.flat();
  }

  actionsFor(type: ResourceType): ActionName[] {
    return type === 'instance' ? ['start', 'stop', 'reboot', 'resize'] : [];
  }

  sizesFor(type: ResourceType): string[] {
    return type === 'instance' ? pricedInstanceTypes() : [];
  }

  monthlyCostFor(type: ResourceType, size: string): number | undefined {
    return type === 'instance' ? instanceMonthlyCents(size) : undefined;
  }

  async execute(action: ResourceAction, opts: ExecuteOptions = {}): Promise<ActionResult> {
    const { target } = action;
    if (target.provider !== 'aws') throw badRequest(`The AWS provider cannot act on a ${target.provider} resource.`);
    if (target.type !== 'instance')
      throw badRequest(
        `AWS ${target.type} resources have no actions here; only instances can be started, stopped, rebooted or resized.`,
      );
    try {
      const progress = (step: string): void => {
        try {
          opts.progress?.(step);
        } catch {
          // Reporting must never fail the action.
        }
      };
      return await executeInstanceAction(this.#client(target.region), action, this.#wait, progress);
    } catch (e) {
      throw translateAwsError(e, `${doing[action.action]} ${target.id} in ${target.region}`);
    }
  }

  async describe(key: ResourceKey): Promise<Resource | null> {
    if (key.provider !== 'aws' || key.type !== 'instance') return null;
    const client = this.#client(key.region);
    try {
      const out = await client.send(new DescribeInstancesCommand({ InstanceIds: [key.id] }));
      const instance = out.Reservations?.[0]?.Instances?.[0];
      if (!instance || instance.State?.Name === 'terminated') return null;
      return instanceResource(instance, {
        account: key.account,
        region: key.region,
        seenAt: this.#now(),
        sandbox: this.sandbox,
      });
    } catch (e) {
      const err = translateAwsError(e, `describing ${key.id} in ${key.region}`);
      if (err.code === 'not_found') return null;
      throw err;
    }
  }

  /** The regions this provider inventories. */
  get regions(): readonly string[] {
    return this.#opts.regions;
  }

  /**
   * Where EC2 calls go: the `endpoint` option (the sandbox), else the endpoint the SDK's own
   * configuration names (AWS_ENDPOINT_URL_EC2, AWS_ENDPOINT_URL, `endpoint_url` in the AWS profile;
   * none with AWS_IGNORE_CONFIGURED_ENDPOINT_URLS), asked of the SDK itself; undefined: AWS's own
   * regional endpoints. For the start-up summary.
   */
  async endpointInUse(): Promise<string | undefined> {
    if (this.#opts.endpoint) return this.#opts.endpoint;
    // The SDK resolves this lazily, per client, on the first call; asking it now reads the same settings.
    const config = this.#client(this.#opts.regions[0]!).config as {
      serviceConfiguredEndpoint?: () => Promise<string | undefined>;
    };
    return (await config.serviceConfiguredEndpoint?.()) || undefined;
  }

  /** Closes the SDK clients' sockets (tests, shutdown). */
  close(): void {
    this.destroy();
  }

  destroy(): void {
    for (const client of this.#clients.values()) client.destroy();
    this.#clients.clear();
  }

  async #listRegion(region: string, seenAt: Date): Promise<Resource[]> {
    const client = this.#client(region);
    const pageSize = this.#opts.pageSize ?? 200;
    try {
      const [groups, reservations, volumes, snapshots] = await Promise.all([
        collect(paginateDescribeSecurityGroups({ client, pageSize }, {}), (p) => p.SecurityGroups),
        collect(paginateDescribeInstances({ client, pageSize }, {}), (p) => p.Reservations),
        collect(paginateDescribeVolumes({ client, pageSize }, {}), (p) => p.Volumes),
        collect(paginateDescribeSnapshots({ client, pageSize }, { OwnerIds: ['self'] }), (p) => p.Snapshots),
      ]);
      // EC2 has no "who am I" call; every listing carries the owner somewhere (the default group at least).
      const account =
        this.#opts.account ??
        [
          ...groups.map((g) => g.OwnerId),
          ...reservations.map((r) => r.OwnerId),
          ...snapshots.map((s) => s.OwnerId),
        ].find(Boolean) ??
        'unknown';
      const ctx = { account, region, seenAt, sandbox: this.sandbox };
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
  }

  #client(region: string): EC2Client {
    let client = this.#clients.get(region);
    if (client) return client;
    const { endpoint, credentials, maxAttempts, metrics } = this.#opts;
    client = new EC2Client({
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
    this.#clients.set(region, client);
    return client;
  }
}
