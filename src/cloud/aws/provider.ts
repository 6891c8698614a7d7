import type { EC2Client, EC2ClientConfig } from '@aws-sdk/client-ec2';
import { badRequest } from '../../errors.ts';
import type { Metrics } from '../../observability/metrics.ts';
import type { ResourceKey } from '../../tools/change-plan.ts';
import { findAction, type ActionCatalog } from '../actions.ts';
import { monthlyCents, pricedKeys } from '../pricing/index.ts';
import type { ActionResult, CloudProvider, ExecuteOptions, ListOptions, ResourceAction, SyncSource } from '../provider.ts';
import type { Resource, ResourceType } from '../resource.ts';
import { awsActions } from './actions.ts';
import { translateAwsError } from './errors.ts';
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

export class AwsProvider implements CloudProvider {
  readonly name = 'aws' as const;
  readonly sandbox: boolean;
  readonly actions: ActionCatalog = awsActions;
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

  /** One source per region of the configured account. */
  sources(): SyncSource[] {
    const account = this.#opts.account ?? 'default';
    return this.#opts.regions.map((region) => ({
      key: `aws:${account}:${region}`,
      provider: 'aws',
      account,
      region,
      label: `AWS ${account === 'default' ? 'account' : account} ${region}`,
    }));
  }

  /** EC2 instances, volumes, own snapshots and security groups of one region, every page. */
  async listSource(source: SyncSource, _opts: ListOptions = {}): Promise<Resource[]> {
    const ec2 = await this.#sdk();
    return ec2.listRegion(await this.#client(source.region), {
      region: source.region,
      seenAt: this.#now(),
      sandbox: this.sandbox,
      pageSize: this.#opts.pageSize ?? 200,
      account: this.#opts.account,
    });
  }

  async sizesFor(type: ResourceType, region: string): Promise<string[]> {
    return type === 'instance' ? pricedKeys('aws', 'instance', region) : [];
  }

  monthlyCostFor(type: ResourceType, size: string, region: string): number | undefined {
    return type === 'instance' ? monthlyCents('aws', 'instance', size, region) : undefined;
  }

  async execute(action: ResourceAction, opts: ExecuteOptions = {}): Promise<ActionResult> {
    const { target } = action;
    if (target.provider !== 'aws') throw badRequest(`The AWS provider cannot act on a ${target.provider} resource.`);
    const spec = findAction(this.actions, target.type, action.action);
    if (!spec) throw badRequest(`AWS ${target.type} resources have no action “${action.action}” here.`);
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
      throw translateAwsError(e, `${spec.doing} ${target.id} in ${target.region}`);
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
