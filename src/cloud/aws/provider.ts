import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { z } from 'zod';
import { AppError, badRequest, formatZodIssues } from '../../errors.ts';
import type { Metrics } from '../../observability/metrics.ts';
import type { ResourceKey } from '../../tools/change-plan.ts';
import { findAction, type ActionCatalog } from '../actions.ts';
import { monthlyCents } from '../pricing/index.ts';
import type {
  ActionResult,
  CloudProvider,
  ExecuteOptions,
  ListOptions,
  MetricSample,
  MetricsOptions,
  ResourceAction,
  SyncSource,
} from '../provider.ts';
import type { Resource, ResourceType } from '../resource.ts';
import { awsActions } from './actions.ts';
import { rdsActions } from './rds-actions.ts';
import { route53Actions } from './route53-actions.ts';
import { eksActionNames } from './eks-actions.ts';
import { accountOfRole, type AwsClientSettings } from './clients.ts';
import { settleAll } from '../settle.ts';
import { translateAwsError } from './errors.ts';
import { defaultWait, type WaitOptions } from './wait.ts';

/**
 * CloudProvider for AWS, across many accounts: each account is reached with the process's own
 * credentials or through an IAM role assumed with STS, and listed per region (EC2, EBS, Elastic
 * IPs, NAT gateways, VPCs, ELBv2 balancers and target groups, ECS clusters and services, and the
 * per-service listers of ./services/) plus once per account for global services (IAM, S3, Route 53).
 * ECS and ELB deploy actions run in ./ecs.ts and ./elb-actions.ts, RDS disaster-recovery actions in
 * ./rds-dr.ts and Route 53 failover actions in ./route53-failover.ts. Reads no environment itself: without `endpoint`/`endpoints`/
 * `credentials` the SDK's default chain and AWS_ENDPOINT_URL[_<SERVICE>] apply, as the SDK
 * documents. The SDKs load on the first cloud call (or `load()`), not with this module.
 */

export const AwsAccountConfig = z
  .object({
    /** What people call it: in source keys (`aws:<name>:<region>`) and labels. */
    name: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[\w.-]+$/, 'letters, digits, . _ - only'),
    /** Assumed through STS AssumeRole with the process's credentials; the account id comes from it. */
    roleArn: z
      .string()
      .regex(/^arn:aws[\w-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, 'an IAM role ARN (arn:aws:iam::<account>:role/<name>)')
      .optional(),
    /** The ExternalId the role's trust policy asks for. */
    externalId: z.string().min(2).max(1224).optional(),
    /** The account id, when known and no role names it (saves an STS GetCallerIdentity). */
    accountId: z
      .string()
      .regex(/^\d{12}$/, 'a 12-digit AWS account id')
      .optional(),
    regions: z.array(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region such as us-east-1')).min(1),
  })
  .strict();
export type AwsAccountConfig = z.infer<typeof AwsAccountConfig>;

interface CommonOptions {
  /** One base URL for every AWS service (the sandbox, an emulator), instead of AWS's endpoints. */
  endpoint?: string;
  /** Per-service base URLs (`ec2`, `sts`, `monitoring`, `elasticloadbalancing`, `ecs`, `rds`, `s3`, `iam`, …), over `endpoint`. */
  endpoints?: Record<string, string>;
  /** True when the endpoints are the local sandbox: answers say so. */
  sandbox: boolean;
  /** The base credentials (roles are assumed with them); default: the SDK's chain. */
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  now?: () => Date;
  metrics?: Metrics;
  /** MaxResults per Describe* page (EC2 accepts 5…1000; default 200). */
  pageSize?: number;
  /** SDK attempts per call, retries included (SDK default 3). */
  maxAttempts?: number;
  /** Polling while a resize waits for stopped/running. */
  wait?: Partial<WaitOptions>;
}

export type AwsProviderOptions = CommonOptions &
  (
    | { accounts: AwsAccountConfig[]; regions?: never; account?: never }
    | {
        /** The single-account shape: one account (named after `account`, or `default`). */
        regions: string[];
        /** Account id of the single account. */
        account?: string;
        accounts?: never;
      }
  );

/** Refresh assumed-role credentials this long before they expire. */
const refreshBeforeMs = 5 * 60_000;
const sessionName = 'devops-agent';

interface AccountState {
  config: AwsAccountConfig;
  /** Resolved account id (from config, the role, or GetCallerIdentity). */
  id?: Promise<string>;
  role?: { credentials: AwsCredentialIdentity & { expiration: Date } };
  assuming?: Promise<AwsCredentialIdentity & { expiration: Date }>;
}

type Sdk = {
  ec2: typeof import('./ec2.ts');
  elb: typeof import('./elb.ts');
  elbActions: typeof import('./elb-actions.ts');
  ecs: typeof import('./ecs.ts');
  cloudwatch: typeof import('./cloudwatch.ts');
  sts: typeof import('./sts.ts');
  services: typeof import('./service-actions.ts');
  rdsDr: typeof import('./rds-dr.ts');
  route53: typeof import('./route53-failover.ts');
  eks: typeof import('./eks.ts');
};

/** Whether a catalog declares an action for a type (which module runs it). */
const declares = (catalog: ActionCatalog, type: string, action: string): boolean =>
  Boolean(catalog[type as ResourceType]?.some((s) => s.name === action));

const route53Types = new Set(['hosted_zone', 'health_check', 'dns_record']);

/** The SigV4 service (and `endpoints` key) of the account-service types the provider acts on. */
const serviceOfType: Partial<Record<string, string>> = {
  log_group: 'logs',
  kms_key: 'kms',
  bucket: 's3',
  db_snapshot: 'rds',
};

const normalizeAccounts = (opts: AwsProviderOptions): AwsAccountConfig[] => {
  const raw = opts.accounts ?? [
    {
      name: opts.account ?? 'default',
      regions: opts.regions ?? [],
      ...(opts.account && /^\d{12}$/.test(opts.account) ? { accountId: opts.account } : {}),
    },
  ];
  const parsed = z.array(AwsAccountConfig).min(1, 'at least one account').safeParse(raw);
  if (!parsed.success) throw badRequest(`AWS accounts are not valid: ${formatZodIssues(parsed.error)}`);
  const names = new Set<string>();
  for (const a of parsed.data) {
    if (names.has(a.name)) throw badRequest(`Two AWS accounts are named “${a.name}”; names must be unique.`);
    names.add(a.name);
  }
  return parsed.data;
};

export class AwsProvider implements CloudProvider {
  readonly name = 'aws' as const;
  readonly sandbox: boolean;
  readonly actions: ActionCatalog = awsActions;
  readonly #opts: AwsProviderOptions;
  readonly #accounts: AccountState[];
  readonly #clients = new Map<string, { destroy(): void }>();
  readonly #sizes = new Map<string, Promise<string[]>>();
  #sdk: Partial<{ [K in keyof Sdk]: Promise<Sdk[K]> }> = {};
  readonly #now: () => Date;
  readonly #wait: WaitOptions;

  constructor(opts: AwsProviderOptions) {
    if (!opts.accounts && (!opts.regions || opts.regions.length === 0))
      throw badRequest('The AWS provider needs at least one region.');
    this.#opts = opts;
    this.#accounts = normalizeAccounts(opts).map((config) => ({ config }));
    this.sandbox = opts.sandbox;
    this.#now = opts.now ?? (() => new Date());
    this.#wait = { ...defaultWait, ...opts.wait };
  }

  /** The accounts as configured (no secrets in them). */
  get accounts(): readonly AwsAccountConfig[] {
    return this.#accounts.map((a) => a.config);
  }

  /** Every region of every account (deduplicated). */
  get regions(): readonly string[] {
    return [...new Set(this.#accounts.flatMap((a) => a.config.regions))];
  }

  /**
   * Per account: one source per region (`aws:<name>:<region>`) and one for its global services
   * (`aws:<name>:global`: IAM, S3's bucket list, …).
   */
  sources(): SyncSource[] {
    return this.#accounts.flatMap(({ config }) => {
      const id = config.accountId ?? (config.roleArn ? accountOfRole(config.roleArn) : undefined);
      const label = (where: string) =>
        `AWS ${config.name === 'default' && !id ? 'account' : config.name}${id && id !== config.name ? ` (${id})` : ''} ${where}`;
      return [...config.regions, 'global'].map((region) => ({
        key: `aws:${config.name}:${region}`,
        provider: 'aws' as const,
        account: config.name,
        region,
        label: label(region),
      }));
    });
  }

  async listSource(source: SyncSource, opts: ListOptions = {}): Promise<Resource[]> {
    const account = this.#sourceAccount(source);
    const accountId = await this.#accountId(account);
    const { awsServiceListers } = await import('./services/index.ts');
    const global = source.region === 'global';
    const clientRegion = global ? account.config.regions[0]! : source.region;
    const seenAt = this.#now();
    const pageSize = this.#opts.pageSize ?? 200;
    const listers = awsServiceListers.filter((l) => l.scope === (global ? 'global' : 'regional'));
    const [ec2, elb, ecs] = global
      ? [undefined, undefined, undefined]
      : await Promise.all([this.#load('ec2'), this.#load('elb'), this.#load('ecs')]);
    const [ec2Client, elbClient, ecsClient] = global
      ? [undefined, undefined, undefined]
      : await Promise.all([
          this.#ec2(account, source.region),
          this.#elb(account, source.region),
          this.#ecs(account, source.region),
        ]);
    const regional = (signal: AbortSignal) => ({
      account: accountId,
      region: source.region,
      seenAt,
      sandbox: this.sandbox,
      pageSize,
      signal,
    });
    // All or nothing: a source that fails keeps its last rows (see CloudProvider.listSource), and
    // no part keeps writing batches after another failed.
    const parts = await settleAll(
      (signal) =>
        [
          ...listers.map((l) =>
            l.list({
              account: accountId,
              region: clientRegion,
              seenAt,
              sandbox: this.sandbox,
              client: this.#settings(account, l.service, clientRegion),
              metrics: this.#opts.metrics,
              pageSize,
              signal,
            }),
          ),
          ...(ec2 && elb && ecs && ec2Client && elbClient && ecsClient
            ? [
                ec2.listRegion(ec2Client, { ...regional(signal), onBatch: opts.onBatch }),
                elb.listLoadBalancers(elbClient, regional(signal)),
                ecs.listEcs(ecsClient, regional(signal)),
              ]
            : []),
        ] as Array<Promise<Resource[]>>,
      opts.signal,
    );
    return parts.flat();
  }

  /** CPU and network, daily average and max per instance, for `days` whole UTC days before `now`. */
  async metrics(
    source: SyncSource,
    range: { days: number; now: Date },
    opts: MetricsOptions = {},
  ): Promise<MetricSample[]> {
    if (source.region === 'global') return [];
    const account = this.#sourceAccount(source);
    const accountId = await this.#accountId(account);
    const [ec2, cloudwatch] = await Promise.all([this.#load('ec2'), this.#load('cloudwatch')]);
    const ids =
      opts.instanceIds ??
      (await ec2.instanceIds(await this.#ec2(account, source.region), source.region, this.#opts.pageSize ?? 200));
    if (ids.length === 0) return [];
    const client = await this.#client(account, 'monitoring', source.region, (s) =>
      cloudwatch.createCloudWatchClient(s, this.#opts.metrics),
    );
    return cloudwatch.instanceMetrics(client as CloudWatchClient, {
      account: accountId,
      region: source.region,
      instanceIds: ids,
      days: range.days > 0 ? range.days : 14,
      now: range.now,
      signal: opts.signal,
      onSamples: opts.onSamples,
    });
  }

  /** Instance types EC2 offers in the region (DescribeInstanceTypes), cached per region. */
  async sizesFor(type: ResourceType, region: string, account?: string): Promise<string[]> {
    if (type !== 'instance') return [];
    const state = await this.#accountFor(account, region);
    let sizes = this.#sizes.get(region);
    if (!sizes) {
      sizes = (async () => {
        const ec2 = await this.#load('ec2');
        return ec2.instanceTypes(await this.#ec2(state, region), region);
      })();
      this.#sizes.set(region, sizes);
      // A failure is not cached: the next resize asks again.
      sizes.catch(() => this.#sizes.delete(region));
    }
    return sizes;
  }

  monthlyCostFor(type: ResourceType, size: string, region: string): number | undefined {
    return type === 'instance' ? monthlyCents('aws', 'instance', size, region) : undefined;
  }

  async execute(action: ResourceAction, opts: ExecuteOptions = {}): Promise<ActionResult> {
    const { target } = action;
    if (target.provider !== 'aws') throw badRequest(`The AWS provider cannot act on a ${target.provider} resource.`);
    const spec = findAction(this.actions, target.type, action.action);
    if (!spec) throw badRequest(`AWS ${target.type} resources have no action “${action.action}” here.`);
    // Checked again here: a rollback's or a stored plan's parameters reach execute without the planner.
    const parsed = spec.params.safeParse(action.params);
    if (!parsed.success) throw badRequest(`${spec.title}: ${formatZodIssues(parsed.error)}`);
    const params = Object.fromEntries(
      Object.entries(parsed.data as Record<string, string | undefined>).filter(
        (e): e is [string, string] => e[1] !== undefined,
      ),
    );
    const named: ResourceAction = { ...action, action: spec.name, params };
    // Route 53 is global: its zones and health checks are in no region.
    const doing = `${spec.doing} ${target.id}${target.region === 'global' ? '' : ` in ${target.region}`}`;
    try {
      const progress = (step: string): void => {
        try {
          opts.progress?.(step);
        } catch {
          // Reporting must never fail the action.
        }
      };
      const account = await this.#accountFor(target.account, target.region);
      if (eksActionNames.has(spec.name)) {
        const eks = await this.#load('eks');
        const client = await this.#client(account, 'eks', target.region, (s) =>
          eks.createEksClient(s, this.#opts.metrics),
        );
        return await eks.executeEksAction(client, named, this.#wait, progress);
      }
      if (declares(rdsActions, target.type, spec.name)) {
        const rds = await this.#load('rdsDr');
        return await rds.executeRdsAction(await this.#rdsContext(account), named);
      }
      if (declares(route53Actions, target.type, spec.name)) {
        const route53 = await this.#load('route53');
        return await route53.executeRoute53Action(await this.#route53Context(account, progress), named, {
          idempotencyKey: opts.idempotencyKey,
        });
      }
      if (target.type === 'cluster' || target.type === 'container_service') {
        const ecs = await this.#load('ecs');
        return await ecs.executeEcsAction(
          await this.#ecs(account, target.region),
          await this.#elb(account, target.region),
          named,
          doing,
        );
      }
      if (target.type === 'load_balancer') {
        const elbActions = await this.#load('elbActions');
        return await elbActions.executeElbAction(await this.#elb(account, target.region), named, doing);
      }
      const service = serviceOfType[target.type];
      if (service) {
        const services = await this.#load('services');
        return await services.executeServiceAction(
          this.#settings(account, service, target.region),
          this.#opts.metrics,
          named,
          doing,
        );
      }
      const ec2 = await this.#load('ec2');
      const client = await this.#ec2(account, target.region);
      return target.type === 'instance'
        ? await ec2.executeInstanceAction(client, named, this.#wait, progress)
        : await ec2.executeEc2ResourceAction(client, named, this.#wait, progress);
    } catch (e) {
      throw translateAwsError(e, doing);
    }
  }

  async describe(key: ResourceKey): Promise<Resource | null> {
    if (key.provider !== 'aws') throw badRequest(`The AWS provider cannot describe a ${key.provider} resource.`);
    // EKS clusters, node groups and add-ons (by ARN): what a workflow waits on.
    if (key.id.startsWith('arn:aws:eks:') && ['cluster', 'node_group', 'addon'].includes(key.type)) {
      const eks = await this.#load('eks');
      const account = await this.#accountFor(key.account, key.region);
      const client = await this.#client(account, 'eks', key.region, (s) => eks.createEksClient(s, this.#opts.metrics));
      try {
        return await eks.describeEks(client, key, { account: key.account, region: key.region, seenAt: this.#now() });
      } catch (e) {
        throw translateAwsError(e, `reading ${key.id}`);
      }
    }
    const account = await this.#accountFor(key.account, key.region);
    if (key.type === 'database' || key.type === 'db_snapshot') {
      const rds = await this.#load('rdsDr');
      const ctx = await this.#rdsContext(account);
      return rds.describeRds(ctx, key).catch((e: unknown) => {
        throw translateAwsError(e, `reading ${key.id}`);
      });
    }
    if (route53Types.has(key.type)) {
      const route53 = await this.#load('route53');
      const ctx = await this.#route53Context(account);
      return route53.describeRoute53(ctx, key).catch((e: unknown) => {
        throw translateAwsError(e, `reading Route 53 ${key.type.replace('_', ' ')} ${key.id}`);
      });
    }
    const opts = { seenAt: this.#now(), sandbox: this.sandbox };
    switch (key.type) {
      case 'instance': {
        const ec2 = await this.#load('ec2');
        return ec2.describeInstance(await this.#ec2(account, key.region), key, opts);
      }
      case 'container_service': {
        const ecs = await this.#load('ecs');
        return ecs.describeService(await this.#ecs(account, key.region), key, {
          account: key.account,
          region: key.region,
          ...opts,
        });
      }
      case 'target_group':
      case 'load_balancer': {
        const elb = await this.#load('elb');
        const client = await this.#elb(account, key.region);
        return key.type === 'target_group'
          ? elb.describeTargetGroup(client, key, opts)
          : elb.describeLoadBalancer(client, key, opts);
      }
      case 'cluster':
        if (/^arn:aws[\w-]*:ecs:/.test(key.id)) {
          const ecs = await this.#load('ecs');
          return ecs.describeCluster(await this.#ecs(account, key.region), key, {
            account: key.account,
            region: key.region,
            ...opts,
          });
        }
        break;
    }
    // Null would mean "gone": a type it cannot read one by one is left to the next sync instead.
    throw badRequest(
      `The AWS provider describes instances, ECS clusters and services, EKS clusters, node groups and add-ons, load balancers and target groups, RDS databases and snapshots, and Route 53 zones, health checks and failover records, not ${key.type}.`,
    );
  }

  /**
   * Where EC2 calls go: the `endpoints.ec2` or `endpoint` option (the sandbox), else the endpoint
   * the SDK's own configuration names (AWS_ENDPOINT_URL_EC2, AWS_ENDPOINT_URL, `endpoint_url` in
   * the AWS profile; none with AWS_IGNORE_CONFIGURED_ENDPOINT_URLS), asked of the SDK itself;
   * undefined: AWS's own regional endpoints. For the start-up summary.
   */
  async endpointInUse(): Promise<string | undefined> {
    const set = this.#opts.endpoints?.ec2 ?? this.#opts.endpoint;
    if (set) return set;
    const ec2 = await this.#load('ec2');
    const first = this.#accounts[0]!;
    // The base client: no role is assumed just to read the configuration.
    const client = ec2.createEc2Client(this.#baseSettings('ec2', first.config.regions[0]!), undefined);
    try {
      return await ec2.configuredEndpoint(client);
    } finally {
      client.destroy();
    }
  }

  async load(): Promise<void> {
    await Promise.all([this.#load('ec2'), this.#load('sts')]).catch(() => undefined);
  }

  /** Closes the SDK clients' sockets (tests, shutdown). */
  close(): void {
    this.destroy();
  }

  destroy(): void {
    for (const client of this.#clients.values()) client.destroy();
    this.#clients.clear();
  }

  #load<K extends keyof Sdk>(name: K): Promise<Sdk[K]> {
    const loaders: { [P in keyof Sdk]: () => Promise<Sdk[P]> } = {
      ec2: () => import('./ec2.ts'),
      elb: () => import('./elb.ts'),
      elbActions: () => import('./elb-actions.ts'),
      ecs: () => import('./ecs.ts'),
      cloudwatch: () => import('./cloudwatch.ts'),
      sts: () => import('./sts.ts'),
      services: () => import('./service-actions.ts'),
      rdsDr: () => import('./rds-dr.ts'),
      route53: () => import('./route53-failover.ts'),
      eks: () => import('./eks.ts'),
    };
    const loaded = (this.#sdk[name] ??= loaders[name]() as never) as Promise<Sdk[K]>;
    return loaded;
  }

  async #rdsContext(account: AccountState) {
    return {
      settings: (region: string) => this.#settings(account, 'rds', region),
      metrics: this.#opts.metrics,
      now: this.#now,
      account: await this.#accountId(account),
      sandbox: this.sandbox,
    };
  }

  async #route53Context(account: AccountState, progress?: (step: string) => void) {
    return {
      settings: (service: string, region: string) => this.#settings(account, service, region),
      // Route 53 is global: its calls go out from the account's first region.
      homeRegion: account.config.regions[0]!,
      metrics: this.#opts.metrics,
      now: this.#now,
      wait: this.#wait,
      progress,
      account: await this.#accountId(account),
      sandbox: this.sandbox,
    };
  }

  #sourceAccount(source: SyncSource): AccountState {
    const account = this.#accounts.find((a) => a.config.name === source.account);
    if (
      source.provider !== 'aws' ||
      !account ||
      (source.region !== 'global' && !account.config.regions.includes(source.region))
    )
      throw badRequest(`The AWS provider has no source ${source.key}.`);
    return account;
  }

  /** The account an id or name means; without one (or unknown), the first account that has the region. */
  async #accountFor(account: string | undefined, region: string): Promise<AccountState> {
    if (account) {
      const byName = this.#accounts.find((a) => a.config.name === account);
      if (byName) return byName;
      for (const a of this.#accounts) {
        const id = await this.#accountId(a).catch(() => undefined);
        if (id === account) return a;
      }
    }
    const fallback = this.#accounts.find((a) => a.config.regions.includes(region)) ?? this.#accounts[0]!;
    if (account && this.#accounts.length > 1)
      throw new AppError('not_found', `No configured AWS account is ${account}.`);
    return fallback;
  }

  /** Where a service's calls go: `endpoints[service]`, else `endpoint`, else the SDK's own chain (undefined). */
  #endpoint(service: string): string | undefined {
    return this.#opts.endpoints?.[service] ?? this.#opts.endpoint;
  }

  #baseSettings(service: string, region: string): AwsClientSettings {
    return {
      region,
      endpoint: this.#endpoint(service),
      credentials: this.#opts.credentials,
      maxAttempts: this.#opts.maxAttempts,
    };
  }

  /** Client settings acting in `account`: its role's credentials, or the base ones. */
  #settings(account: AccountState, service: string, region: string): AwsClientSettings {
    const settings = this.#baseSettings(service, region);
    return account.config.roleArn ? { ...settings, credentials: () => this.#roleCredentials(account) } : settings;
  }

  async #sts(region: string): Promise<STSClient> {
    const sts = await this.#load('sts');
    return (await this.#clientFor(`base:sts:${region}`, () =>
      sts.createStsClient(this.#baseSettings('sts', region), this.#opts.metrics),
    )) as STSClient;
  }

  /** Assumed-role credentials, fetched once and again shortly before they expire. */
  #roleCredentials(account: AccountState): Promise<AwsCredentialIdentity & { expiration: Date }> {
    const held = account.role?.credentials;
    if (held && held.expiration.getTime() - this.#now().getTime() > refreshBeforeMs) return Promise.resolve(held);
    account.assuming ??= (async () => {
      try {
        const sts = await this.#load('sts');
        const out = await sts.assumeRole(await this.#sts(account.config.regions[0]!), {
          roleArn: account.config.roleArn!,
          externalId: account.config.externalId,
          sessionName,
        });
        account.role = { credentials: out.credentials };
        return out.credentials;
      } finally {
        account.assuming = undefined;
      }
    })();
    return account.assuming;
  }

  /** The account id: configured, from the role ARN, or STS GetCallerIdentity (cached; a failure is retried next time). */
  #accountId(account: AccountState): Promise<string> {
    const known =
      account.config.accountId ?? (account.config.roleArn ? accountOfRole(account.config.roleArn) : undefined);
    if (known) return Promise.resolve(known);
    if (!account.id) {
      const id = (async () => {
        const sts = await this.#load('sts');
        return sts.callerAccount(await this.#sts(account.config.regions[0]!));
      })();
      account.id = id;
      id.catch(() => {
        if (account.id === id) account.id = undefined;
      });
    }
    return account.id;
  }

  async #clientFor<C extends { destroy(): void }>(key: string, make: () => C): Promise<C> {
    let client = this.#clients.get(key) as C | undefined;
    if (!client) {
      client = make();
      this.#clients.set(key, client);
    }
    return client;
  }

  async #client<C extends { destroy(): void }>(
    account: AccountState,
    service: string,
    region: string,
    make: (s: AwsClientSettings) => C,
  ): Promise<C> {
    return this.#clientFor(`${account.config.name}:${service}:${region}`, () =>
      make(this.#settings(account, service, region)),
    );
  }

  async #ec2(account: AccountState, region: string): Promise<EC2Client> {
    const ec2 = await this.#load('ec2');
    return this.#client(account, 'ec2', region, (s) => ec2.createEc2Client(s, this.#opts.metrics));
  }

  async #ecs(account: AccountState, region: string): Promise<ECSClient> {
    const ecs = await this.#load('ecs');
    return this.#client(account, 'ecs', region, (s) => ecs.createEcsClient(s, this.#opts.metrics));
  }

  async #elb(account: AccountState, region: string): Promise<ElasticLoadBalancingV2Client> {
    const elb = await this.#load('elb');
    return this.#client(account, 'elasticloadbalancing', region, (s) => elb.createElbClient(s, this.#opts.metrics));
  }
}
