import type { EC2Client, EC2ClientConfig } from '@aws-sdk/client-ec2';
import { badRequest } from '../../errors.ts';
import type { Metrics } from '../../observability/metrics.ts';
import type { ActionName, ResourceKey } from '../../tools/change-plan.ts';
import type { ActionResult, CloudProvider, ExecuteOptions, ResourceAction } from '../provider.ts';
import type { Resource, ResourceType } from '../resource.ts';
import { translateAwsError } from './errors.ts';
import { instanceMonthlyCents, pricedInstanceTypes } from './pricing.ts';
import { defaultWait, type WaitOptions } from './wait.ts';

/**
 * CloudProvider for AWS EC2 (instances, EBS volumes, own snapshots, security groups), one SDK
 * client per region. Reads no environment itself: without `endpoint`/`credentials` the SDK's
 * default chain and AWS_ENDPOINT_URL apply, as the SDK documents. The SDK itself (ec2.ts) loads
 * on the first cloud call, not with this module.
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

export class AwsProvider implements CloudProvider {
  readonly name = 'aws' as const;
  readonly sandbox: boolean;
  readonly #opts: AwsProviderOptions;
  readonly #clients = new Map<string, EC2Client>();
  #ec2: Promise<typeof import('./ec2.ts')> | undefined;
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
    const ec2 = await this.#sdk();
    const perRegion = await Promise.all(
      this.#opts.regions.map(async (region) =>
        ec2.listRegion(await this.#client(region), {
          region,
          seenAt,
          sandbox: this.sandbox,
          pageSize: this.#opts.pageSize ?? 200,
          account: this.#opts.account,
        }),
      ),
    );
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
      const ec2 = await this.#sdk();
      return await ec2.executeInstanceAction(await this.#client(target.region), action, this.#wait, progress);
    } catch (e) {
      throw translateAwsError(e, `${doing[action.action]} ${target.id} in ${target.region}`);
    }
  }

  async describe(key: ResourceKey): Promise<Resource | null> {
    if (key.provider !== 'aws' || key.type !== 'instance') return null;
    const ec2 = await this.#sdk();
    return ec2.describeInstance(await this.#client(key.region), key, { seenAt: this.#now(), sandbox: this.sandbox });
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
    const ec2 = await this.#sdk();
    return ec2.configuredEndpoint(await this.#client(this.#opts.regions[0]!));
  }

  async load(): Promise<void> {
    await this.#sdk().catch(() => undefined);
  }

  /** Closes the SDK clients' sockets (tests, shutdown). */
  close(): void {
    this.destroy();
  }

  destroy(): void {
    for (const client of this.#clients.values()) client.destroy();
    this.#clients.clear();
  }

  #sdk(): Promise<typeof import('./ec2.ts')> {
    return (this.#ec2 ??= import('./ec2.ts'));
  }

  async #client(region: string): Promise<EC2Client> {
    const ec2 = await this.#sdk();
    let client = this.#clients.get(region);
    if (!client) {
      const { endpoint, credentials, maxAttempts, metrics } = this.#opts;
      client = ec2.createEc2Client({ region, endpoint, credentials, maxAttempts, metrics });
      this.#clients.set(region, client);
    }
    return client;
  }
}
