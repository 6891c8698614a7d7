import type { MonitorClient } from '@azure/arm-monitor';
import type { TokenCredential } from '@azure/identity';
import { z } from 'zod';
import { AppError, badRequest, conflict, formatZodIssues, notFound } from '../../errors.ts';
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
  ResourceAction,
  SyncSource,
} from '../provider.ts';
import type { Resource, ResourceType } from '../resource.ts';
import { azureActions } from './actions.ts';
import { translateAzureError } from './errors.ts';
import type { PowerAction, SubscriptionClients } from './arm.ts';

/**
 * CloudProvider for Azure: VMs (with power state), managed disks, snapshots, public IPs, NSGs and
 * storage accounts of each configured subscription, through ARM (which lists every region at
 * once, so each subscription is one source with region `all`; rows carry their own location).
 * Reads no environment itself: without a service principal in the options the SDK's
 * DefaultAzureCredential chain applies. The SDKs (arm.ts) load on the first cloud call or `load()`.
 */

const Guid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be a GUID');

const SubscriptionOption = z
  .object({
    id: Guid,
    /** What people call it ("prod"); the id when absent. */
    name: z.string().min(1).max(80).optional(),
    /** A subscription in another tenant, or read by another service principal, overrides these. */
    tenantId: z.string().min(1).optional(),
    clientId: z.string().min(1).optional(),
    clientSecret: z.string().min(1).optional(),
  })
  .strict();

const ProviderOptions = z.object({
  subscriptions: z.array(SubscriptionOption).min(1, 'needs at least one subscription'),
  tenantId: z.string().min(1).optional(),
  clientId: z.string().min(1).optional(),
  clientSecret: z.string().min(1).optional(),
  authorityHost: z.url({ protocol: /^https$/ }).optional(),
  endpoint: z.url({ protocol: /^https$/ }).optional(),
  ca: z.string().includes('BEGIN CERTIFICATE').optional(),
  maxRetries: z.number().int().min(0).max(10).optional(),
  pollIntervalMs: z.number().int().min(0).max(60_000).optional(),
});

export type AzureSubscriptionOption = z.infer<typeof SubscriptionOption>;

export interface AzureProviderOptions {
  subscriptions: AzureSubscriptionOption[];
  /** A ready credential (tests, or an app that builds its own); wins over the service-principal fields. */
  credential?: TokenCredential;
  /** Service principal for every subscription (each may override): ClientSecretCredential when all three are set. */
  tenantId?: string;
  clientId?: string;
  clientSecret?: string;
  /** Entra authority host, https (the sandbox's URL in sandbox mode). */
  authorityHost?: string;
  /** ARM base URL, https (the sandbox's URL); default Azure's public cloud. */
  endpoint?: string;
  /** PEM certificate to trust for ARM and Entra (the sandbox's self-signed `ca`). */
  ca?: string;
  /** True when `endpoint` is the local sandbox: answers say so. */
  sandbox: boolean;
  now?: () => Date;
  metrics?: Metrics;
  /** SDK retries per call, ARM and Entra (throttling with Retry-After, 5xx, network); SDK default 3. */
  maxRetries?: number;
  /** Long-running operation polling interval; default: the SDK's (2 s, or the server's Retry-After). */
  pollIntervalMs?: number;
}

type Arm = typeof import('./arm.ts');
type Monitor = typeof import('./monitor.ts');

const MetricsRange = z.object({
  days: z.number().int().min(1).max(93),
  now: z.date().refine((d) => !Number.isNaN(d.getTime()), 'must be a valid date'),
});

/** `/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/name` → its parts. */
const parseArmId = (id: string): { subscriptionId: string; resourceGroup: string; name: string } | undefined => {
  const m = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/[^/]+\/[^/]+\/([^/]+)$/i.exec(id);
  return m ? { subscriptionId: m[1]!, resourceGroup: m[2]!, name: m[3]! } : undefined;
};

const pastTense: Record<PowerAction | 'resize', string> = {
  start: 'started',
  deallocate: 'deallocated',
  restart: 'restarted',
  resize: 'resized',
};

export class AzureProvider implements CloudProvider {
  readonly name = 'azure' as const;
  readonly sandbox: boolean;
  readonly actions: ActionCatalog = azureActions;
  readonly #opts: AzureProviderOptions;
  readonly #now: () => Date;
  readonly #clients = new Map<string, SubscriptionClients>();
  readonly #credentials = new Map<string, TokenCredential>();
  readonly #sizes = new Map<string, Promise<string[]>>();
  readonly #monitors = new Map<string, MonitorClient>();
  #arm: Promise<Arm> | undefined;
  #monitor: Promise<Monitor> | undefined;

  constructor(opts: AzureProviderOptions) {
    const { credential: _c, sandbox: _s, now: _n, metrics: _m, ...checked } = opts;
    const r = ProviderOptions.safeParse(checked);
    if (!r.success) throw new AppError('config_invalid', `Azure provider options: ${formatZodIssues(r.error)}`);
    const ids = opts.subscriptions.map((s) => s.id.toLowerCase());
    if (new Set(ids).size !== ids.length)
      throw new AppError('config_invalid', 'Azure provider options: a subscription is listed twice.');
    this.#opts = opts;
    this.sandbox = opts.sandbox;
    this.#now = opts.now ?? (() => new Date());
  }

  /** One source per subscription: ARM lists all regions at once. */
  sources(): SyncSource[] {
    return this.#opts.subscriptions.map((s) => ({
      key: `azure:${s.id}:all`,
      provider: 'azure',
      account: s.id,
      region: 'all',
      label: `Azure ${this.#label(s.id)}`,
    }));
  }

  /** VMs, managed disks, snapshots, public IPs, NSGs and storage accounts of one subscription, every page. */
  async listSource(source: SyncSource, opts: ListOptions = {}): Promise<Resource[]> {
    const sub = this.#subscription(source.account);
    let step = 'listing resources';
    try {
      const arm = await this.#sdk();
      const clients = await this.#clientsFor(sub.id);
      return await arm.unwrapListStep(
        arm.listSubscription(clients, this.#ctx(sub.id), opts.signal),
        (failed) => (step = failed),
      );
    } catch (e) {
      throw translateAzureError(e, { doing: step, subscription: this.#label(sub.id) });
    }
  }

  /**
   * Daily Azure Monitor aggregates of the subscription's VMs (monitor.ts): `cpu_percent`,
   * `network_in_bytes`, `network_out_bytes` for `days` whole UTC days before `now`'s day. VMs
   * without data (deallocated all along) give no rows. Azure Monitor keeps 93 days.
   */
  async metrics(
    source: SyncSource,
    range: { days: number; now: Date },
    opts: ListOptions = {},
  ): Promise<MetricSample[]> {
    const r = MetricsRange.safeParse(range);
    if (!r.success) throw badRequest(`Azure metrics range: ${formatZodIssues(r.error)}`);
    const sub = this.#subscription(source.account);
    let step = 'reading VM metrics';
    try {
      const arm = await this.#sdk();
      const monitor = await (this.#monitor ??= import('./monitor.ts'));
      const clients = await this.#clientsFor(sub.id);
      let client = this.#monitors.get(sub.id);
      if (!client) {
        client = monitor.createMonitorClient(sub.id, this.#clientSettings(await this.#credentialFor(sub.id)));
        this.#monitors.set(sub.id, client);
      }
      return await arm.unwrapListStep(
        monitor.vmDailyMetrics(clients, client, { subscriptionId: sub.id, ...r.data, signal: opts.signal }),
        (failed) => (step = failed),
      );
    } catch (e) {
      throw translateAzureError(e, { doing: step, subscription: this.#label(sub.id) });
    }
  }

  /** VM sizes the location offers, as ARM lists them (cached per subscription and location). */
  async sizesFor(type: ResourceType, region: string, account: string): Promise<string[]> {
    if (type !== 'instance') return [];
    const sub = this.#subscription(account);
    const key = `${sub.id}/${region.toLowerCase()}`;
    let sizes = this.#sizes.get(key);
    if (!sizes) {
      sizes = (async () => {
        try {
          const arm = await this.#sdk();
          return await arm.vmSizes(await this.#clientsFor(sub.id), region.toLowerCase());
        } catch (e) {
          throw translateAzureError(e, { doing: `listing VM sizes in ${region}`, subscription: this.#label(sub.id) });
        }
      })();
      this.#sizes.set(key, sizes);
      sizes.catch(() => this.#sizes.delete(key));
    }
    return sizes;
  }

  monthlyCostFor(type: ResourceType, size: string, region: string): number | undefined {
    return type === 'instance' ? monthlyCents('azure', 'instance', size, region) : undefined;
  }

  async describe(key: ResourceKey): Promise<Resource | null> {
    if (key.provider !== 'azure') return null;
    const sub = this.#subscription(key.account);
    const parts = parseArmId(key.id);
    if (!parts) throw badRequest(`“${key.id}” is not an Azure resource id.`);
    try {
      const arm = await this.#sdk();
      return await arm.readResource(
        await this.#clientsFor(sub.id),
        key.type,
        parts.resourceGroup,
        parts.name,
        this.#ctx(sub.id),
      );
    } catch (e) {
      throw translateAzureError(e, { doing: `reading ${parts.name}`, subscription: this.#label(sub.id) });
    }
  }

  async execute(action: ResourceAction, opts: ExecuteOptions = {}): Promise<ActionResult> {
    const { target } = action;
    if (target.provider !== 'azure')
      throw badRequest(`The Azure provider cannot act on a ${target.provider} resource.`);
    const spec = findAction(this.actions, target.type, action.action);
    if (!spec) throw badRequest(`Azure ${target.type} resources have no action “${action.action}” here.`);
    const params = spec.params.safeParse(action.params);
    if (!params.success) throw badRequest(`${spec.title}: ${formatZodIssues(params.error, 'params')}`);
    const sub = this.#subscription(target.account);
    const parts = parseArmId(target.id);
    if (!parts) throw badRequest(`“${target.id}” is not an Azure resource id.`);
    const { resourceGroup, name } = parts;
    const where = `resource group ${resourceGroup}, subscription ${this.#label(sub.id)}`;
    const progress = (step: string): void => {
      try {
        opts.progress?.(step);
      } catch {
        // Reporting must never fail the action.
      }
    };
    try {
      const arm = await this.#sdk();
      const clients = await this.#clientsFor(sub.id);
      if (target.type !== 'instance') {
        const fix = await import('./fix-actions.ts');
        progress(`${spec.doing} ${name}`);
        return await fix.executeFixAction(
          clients,
          {
            type: target.type,
            action: spec.name,
            params: Object.fromEntries(
              Object.entries(params.data).filter((e): e is [string, string] => typeof e[1] === 'string'),
            ),
            resourceGroup,
            name,
            where,
          },
          {
            pollMs: this.#opts.pollIntervalMs,
            onPoll: (poll: number, status: string) =>
              progress(`${spec.doing} ${name}: ${status === 'running' ? 'in progress' : status}, check ${poll}`),
          },
          this.#now,
        );
      }
      const before = await arm.readVm(clients, resourceGroup, name);
      if (!before)
        throw notFound(
          `The Azure VM ${name} (${where}) no longer exists, so it was not ${pastTense[spec.name as PowerAction | 'resize']}; nothing was changed.`,
        );
      if (spec.states && !spec.states.includes(before.state))
        throw conflict(
          `${name} is ${before.state} now; ${spec.title.toLowerCase()} needs it ${spec.states.join(' or ')}. Nothing was changed.`,
        );
      const lro = {
        pollMs: this.#opts.pollIntervalMs,
        // core-lro calls an unfinished operation `running`, which reads like the VM's power state.
        onPoll: (poll: number, status: string) =>
          progress(`${spec.doing} ${name}: ${status === 'running' ? 'in progress' : status}, check ${poll}`),
      };
      if (spec.name === 'resize') {
        const previousSize = before.vm.hardwareProfile?.vmSize ?? '';
        const offered = await this.sizesFor('instance', before.vm.location ?? '', sub.id);
        const size = offered.find((s) => s.toLowerCase() === String(params.data.size).toLowerCase());
        if (!size)
          throw badRequest(
            `${String(params.data.size)} is not offered in ${before.vm.location}; nothing was changed.`,
            undefined,
            'size',
          );
        if (size === previousSize) throw conflict(`${name} is already ${size}.`);
        progress(`resizing ${name} from ${previousSize} to ${size}`);
        await arm.resizeVm(clients, resourceGroup, name, size, lro);
        const after = await this.#reread(arm, clients, resourceGroup, name, where, 'resized');
        return {
          summary: `${name} resized from ${previousSize} to ${after.vm.hardwareProfile?.vmSize ?? size} (${after.state})`,
          newState: after.state,
          previous: { size: previousSize },
        };
      }
      const power = spec.name as PowerAction;
      progress(`${spec.doing} ${name}`);
      await arm.powerAction(clients, power, resourceGroup, name, lro);
      const after = await this.#reread(arm, clients, resourceGroup, name, where, pastTense[power]);
      return {
        summary: `${name} ${pastTense[power]} (was ${before.state})`,
        newState: after.state,
        previous: { state: before.state },
      };
    } catch (e) {
      throw translateAzureError(e, { doing: `${spec.doing} ${name}`, subscription: this.#label(sub.id) });
    }
  }

  async load(): Promise<void> {
    await Promise.all([
      this.#sdk().catch(() => undefined),
      (this.#monitor ??= import('./monitor.ts')).catch(() => undefined),
    ]);
  }

  /** Forgets clients and credentials (their sockets close with the process's keep-alive timeout). */
  close(): void {
    this.#clients.clear();
    this.#monitors.clear();
    this.#credentials.clear();
    this.#sizes.clear();
  }

  async #reread(arm: Arm, clients: SubscriptionClients, rg: string, name: string, where: string, done: string) {
    const after = await arm.readVm(clients, rg, name);
    if (!after) throw notFound(`The Azure VM ${name} (${where}) was ${done} but no longer exists.`);
    return after;
  }

  #ctx(subscriptionId: string) {
    return { subscriptionId, seenAt: this.#now(), sandbox: this.sandbox };
  }

  #subscription(account: string): AzureSubscriptionOption {
    const sub = this.#opts.subscriptions.find((s) => s.id.toLowerCase() === account.toLowerCase());
    if (!sub) throw badRequest(`Azure subscription ${account} is not configured.`);
    return sub;
  }

  #label(id: string): string {
    const sub = this.#opts.subscriptions.find((s) => s.id.toLowerCase() === id.toLowerCase());
    return sub?.name ? `${sub.name} (${id})` : id;
  }

  #sdk(): Promise<Arm> {
    return (this.#arm ??= import('./arm.ts'));
  }

  async #clientsFor(subscriptionId: string): Promise<SubscriptionClients> {
    let clients = this.#clients.get(subscriptionId);
    if (clients) return clients;
    const arm = await this.#sdk();
    clients = arm.createClients(subscriptionId, this.#clientSettings(await this.#credentialFor(subscriptionId)));
    this.#clients.set(subscriptionId, clients);
    return clients;
  }

  #clientSettings(credential: TokenCredential) {
    const o = this.#opts;
    return { credential, endpoint: o.endpoint, ca: o.ca, metrics: o.metrics, maxRetries: o.maxRetries };
  }

  async #credentialFor(subscriptionId: string): Promise<TokenCredential> {
    const o = this.#opts;
    if (o.credential) return o.credential;
    const sub = this.#subscription(subscriptionId);
    // Subscriptions without their own principal share the provider's credential (and its token cache).
    const key = sub.tenantId || sub.clientId || sub.clientSecret ? `subscription:${sub.id}` : 'default';
    let credential = this.#credentials.get(key);
    if (!credential) {
      const arm = await this.#sdk();
      credential = arm.makeCredential({
        tenantId: sub.tenantId ?? o.tenantId,
        clientId: sub.clientId ?? o.clientId,
        clientSecret: sub.clientSecret ?? o.clientSecret,
        authorityHost: o.authorityHost,
        ca: o.ca,
        maxRetries: o.maxRetries,
        metrics: o.metrics,
      });
      this.#credentials.set(key, credential);
    }
    return credential;
  }
}
