import type { AuthClient } from 'google-auth-library';
import { z } from 'zod';
import { badRequest, formatZodIssues } from '../../errors.ts';
import type { Metrics } from '../../observability/metrics.ts';
import type { ResourceKey } from '../../tools/change-plan.ts';
import { findAction } from '../actions.ts';
import type { ActionCatalog } from '../actions.ts';
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
import { gcpActions } from './actions.ts';
import { translateGcpError } from './errors.ts';
import type { GcpClients, GcpRetryOptions } from './sdk.ts';

/**
 * CloudProvider for Google Cloud: Compute Engine (instances, disks, snapshots, addresses,
 * firewall rules), Cloud Storage buckets and service-account keys, in several projects. Reads no
 * environment itself: credentials are the `authClient` given, else `keyFilename`, else Google's
 * Application Default Credentials. The SDKs (sdk.ts) load on the first cloud call or in `load()`.
 */

export interface GcpProviderOptions {
  /** Projects to inventory; `name` is what people call it (default: the id). */
  projects: Array<{ id: string; name?: string | undefined }>;
  /** One host for compute, storage and IAM (the sandbox, an emulator), instead of Google's endpoints. */
  endpoint?: { host: string; port: number; protocol: 'http' | 'https' } | undefined;
  /**
   * A google-auth-library client (OAuth2Client with a token, PassThroughClient…). Without it and
   * without `keyFilename`: no credentials in sandbox mode, Application Default Credentials otherwise.
   */
  authClient?: AuthClient | undefined;
  /** A service-account key file, when no authClient is given. */
  keyFilename?: string | undefined;
  /** True when `endpoint` is the local sandbox: answers say so, and the sandbox CPU label is read. */
  sandbox: boolean;
  now?: (() => Date) | undefined;
  metrics?: Metrics | undefined;
  /** maxResults per list page (compute caps it at 500; default 500). */
  pageSize?: number | undefined;
  /** Backoff on throttling (defaults: 5 retries from 500 ms, doubling, at most 32 s). */
  retry?: Partial<GcpRetryOptions> | undefined;
  /** Blocking `operations.wait` rounds before an action gives up (default 20; each waits up to ~2 min at Google). */
  maxWaits?: number | undefined;
}

const ProjectId = z
  .string()
  .regex(/^[a-z][-a-z0-9]{4,28}[a-z0-9]$/, 'must be a GCP project id (6–30 lower-case letters, digits, hyphens)');
const Options = z.object({
  projects: z
    .array(z.object({ id: ProjectId, name: z.string().min(1).optional() }))
    .min(1, 'needs at least one project'),
  endpoint: z
    .object({ host: z.string().min(1), port: z.number().int().min(1).max(65535), protocol: z.enum(['http', 'https']) })
    .optional(),
  pageSize: z.number().int().min(1).max(500).optional(),
  maxWaits: z.number().int().min(1).optional(),
});

export class GcpProvider implements CloudProvider {
  readonly name = 'gcp' as const;
  readonly sandbox: boolean;
  readonly actions: ActionCatalog;
  readonly #opts: GcpProviderOptions;
  readonly #now: () => Date;
  #sdkModule: Promise<typeof import('./sdk.ts')> | undefined;
  #clients: Promise<GcpClients> | undefined;
  readonly #sizes = new Map<string, Promise<string[]>>();

  constructor(opts: GcpProviderOptions) {
    const checked = Options.safeParse(opts);
    if (!checked.success) throw badRequest(`GCP provider options: ${formatZodIssues(checked.error)}`);
    const ids = opts.projects.map((p) => p.id);
    if (new Set(ids).size !== ids.length)
      throw badRequest(`GCP provider options: a project is listed twice (${ids.join(', ')}).`);
    this.#opts = opts;
    this.sandbox = opts.sandbox;
    this.#now = opts.now ?? (() => new Date());
    this.actions = gcpActions((project, zone) =>
      this.#cachedSizes(`${project}/zone/${zone}`, (c, sdk) => sdk.zoneMachineTypes(c, project, zone)),
    );
  }

  sources(): SyncSource[] {
    return this.#opts.projects.map((p) => ({
      key: `gcp:${p.id}:all`,
      provider: 'gcp',
      account: p.id,
      region: 'all',
      label: p.name && p.name !== p.id ? `GCP ${p.name} (${p.id})` : `GCP ${p.id}`,
    }));
  }

  async listSource(source: SyncSource, opts: ListOptions = {}): Promise<Resource[]> {
    const project = this.#project(source.account);
    const [sdk, clients] = await Promise.all([this.#sdk(), this.#client()]);
    return sdk.listProject(clients, { project, seenAt: this.#now(), sandbox: this.sandbox }, opts.signal);
  }

  /** Daily CPU of the project's instances (Cloud Monitoring), for `days` whole UTC days before `now`. */
  async metrics(
    source: SyncSource,
    range: { days: number; now: Date },
    opts: ListOptions = {},
  ): Promise<MetricSample[]> {
    const project = this.#project(source.account);
    const [sdk, clients] = await Promise.all([this.#sdk(), this.#client()]);
    return sdk.untilAborted(
      sdk.instanceCpuSamples(clients, project, range),
      opts.signal,
      `reading instance CPU of project ${project}`,
    );
  }

  /** Machine types offered in the region (any of its zones); set_machine_type checks the instance's own zone. */
  async sizesFor(type: ResourceType, region: string, account: string): Promise<string[]> {
    if (type !== 'instance') return [];
    const project = this.#project(account);
    return this.#cachedSizes(`${project}/region/${region}`, (c, sdk) => sdk.regionMachineTypes(c, project, region));
  }

  monthlyCostFor(type: ResourceType, size: string, region: string): number | undefined {
    return type === 'instance' ? monthlyCents('gcp', 'instance', size, region) : undefined;
  }

  async describe(key: ResourceKey): Promise<Resource | null> {
    if (key.provider !== 'gcp') throw badRequest(`The GCP provider cannot describe a ${key.provider} resource.`);
    if (key.type !== 'instance') throw badRequest(`The GCP provider describes instances only, not ${key.type}.`);
    const [sdk, clients] = await Promise.all([this.#sdk(), this.#client()]);
    return sdk.describeInstance(
      clients,
      { ...key, account: this.#project(key.account) },
      {
        seenAt: this.#now(),
        sandbox: this.sandbox,
      },
    );
  }

  async execute(action: ResourceAction, opts: ExecuteOptions = {}): Promise<ActionResult> {
    const { target } = action;
    if (target.provider !== 'gcp') throw badRequest(`The GCP provider cannot act on a ${target.provider} resource.`);
    const spec = findAction(this.actions, target.type, action.action);
    if (!spec) {
      const offered = (this.actions[target.type as ResourceType] ?? []).map((a) => a.name);
      throw badRequest(
        `GCP ${target.type} resources have no action “${action.action}”${offered.length ? `; they have ${offered.join(', ')}` : ''}.`,
      );
    }
    const parsed = spec.params.safeParse(action.params);
    if (!parsed.success) throw badRequest(`${spec.title}: ${formatZodIssues(parsed.error)}`);
    const params = Object.fromEntries(
      Object.entries(parsed.data).filter((e): e is [string, string] => e[1] !== undefined),
    );
    this.#project(target.account);
    const progress = (step: string): void => {
      try {
        opts.progress?.(step);
      } catch {
        // Reporting must never fail the action.
      }
    };
    try {
      const [sdk, clients] = await Promise.all([this.#sdk(), this.#client()]);
      const run = target.type === 'instance' ? sdk.executeInstanceAction : sdk.executeFixAction;
      return await run(
        clients,
        { ...action, action: spec.name, params },
        {
          maxWaits: this.#opts.maxWaits ?? 20,
          progress,
          now: this.#now,
        },
      );
    } catch (e) {
      throw translateGcpError(e, `${spec.doing} ${target.id}`, target.account);
    }
  }

  /**
   * Loads the SDKs and builds the clients: the first compute client parses the 12 MB proto
   * bundle (~3 s here), better spent while the database starts than on the first listing.
   * Building a client sends nothing, so this never reaches Google.
   */
  async load(): Promise<void> {
    await this.#client().catch(() => undefined);
  }

  close(): void {
    const clients = this.#clients;
    this.#clients = undefined;
    void clients?.then((c) => c.close()).catch(() => undefined);
  }

  /** Closes the clients and waits for their sockets (tests). */
  async closeAsync(): Promise<void> {
    const clients = this.#clients;
    this.#clients = undefined;
    await clients?.then((c) => c.close()).catch(() => undefined);
  }

  /** The configured project for an account, or a clear refusal (never a call to an unconfigured project). */
  #project(account: string): string {
    const p = this.#opts.projects.find((x) => x.id === account || x.name === account);
    if (!p)
      throw badRequest(
        `GCP project ${account} is not configured; configured: ${this.#opts.projects.map((x) => x.id).join(', ')}.`,
      );
    return p.id;
  }

  #sdk(): Promise<typeof import('./sdk.ts')> {
    return (this.#sdkModule ??= import('./sdk.ts'));
  }

  #client(): Promise<GcpClients> {
    this.#clients ??= this.#sdk().then((sdk) =>
      sdk.createGcpClients({
        endpoint: this.#opts.endpoint,
        authClient: this.#opts.authClient,
        keyFilename: this.#opts.keyFilename,
        anonymous: this.sandbox,
        metrics: this.#opts.metrics,
        pageSize: this.#opts.pageSize ?? 500,
        retry: { ...sdk.defaultRetry, ...this.#opts.retry },
      }),
    );
    const clients = this.#clients;
    // A failed load (a broken install) is reported by this call and retried by the next one.
    clients.catch(() => {
      if (this.#clients === clients) this.#clients = undefined;
      this.#sdkModule = undefined;
    });
    return clients;
  }

  /** Machine-type lists change rarely: one call per key per process; a failed call is not cached. */
  #cachedSizes(
    key: string,
    fetch: (c: GcpClients, sdk: typeof import('./sdk.ts')) => Promise<string[]>,
  ): Promise<string[]> {
    let p = this.#sizes.get(key);
    if (!p) {
      p = Promise.all([this.#client(), this.#sdk()]).then(([c, sdk]) => fetch(c, sdk));
      p.catch(() => this.#sizes.delete(key));
      this.#sizes.set(key, p);
    }
    return p;
  }
}
