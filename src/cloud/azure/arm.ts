import { performance } from 'node:perf_hooks';
import { ComputeManagementClient } from '@azure/arm-compute';
import type { VirtualMachine } from '@azure/arm-compute';
import { NetworkManagementClient } from '@azure/arm-network';
import { StorageManagementClient } from '@azure/arm-storage';
import type { TokenCredential } from '@azure/identity';
import { ClientSecretCredential, DefaultAzureCredential } from '@azure/identity';
import type { Metrics } from '../../observability/metrics.ts';
import type { Resource } from '../resource.ts';
import { azureFailureKind, rememberArmError } from './errors.ts';
import {
  diskResource,
  nsgResource,
  powerStateOf,
  publicIpResource,
  snapshotResource,
  storageAccountResource,
  vmResource,
} from './normalize.ts';
import type { NormalizeContext } from './normalize.ts';

/** A pipeline policy, typed from the client (core-rest-pipeline is the SDKs' dependency, not ours). */
type PipelinePolicy = Parameters<ComputeManagementClient['pipeline']['addPolicy']>[0];

/** core-rest-pipeline's name for the policy that gets and adds the token. */
const bearerTokenPolicy = 'bearerTokenAuthenticationPolicy';

/**
 * The SDK-bound part of the Azure provider, loaded on its first call: the credential, the three
 * ARM clients per subscription (compute, network, storage) with the call-counting policy, the
 * subscription-wide listings and the VM actions. Nothing else in the app imports an Azure SDK.
 */

export interface CredentialSettings {
  tenantId?: string | undefined;
  clientId?: string | undefined;
  clientSecret?: string | undefined;
  /** Entra authority host (`https://login.microsoftonline.com` by default; the sandbox's URL in sandbox mode). */
  authorityHost?: string | undefined;
  /** PEM to trust for TLS (the sandbox's self-signed certificate). */
  ca?: string | undefined;
  /** Retries of Entra calls (identity's default 3, with backoff). */
  maxRetries?: number | undefined;
  /** Counts Entra calls too (token, discovery) in the cloud-call metrics. */
  metrics?: Metrics | undefined;
}

/** The client secret credential when all three parts are given, else the SDK's default chain (env, managed identity, az login). */
export const makeCredential = (s: CredentialSettings): TokenCredential => {
  const common = {
    ...(s.authorityHost ? { authorityHost: s.authorityHost, disableInstanceDiscovery: true } : {}),
    ...(s.ca ? { tlsOptions: { ca: s.ca } } : {}),
    ...(s.maxRetries !== undefined ? { retryOptions: { maxRetries: s.maxRetries } } : {}),
    additionalPolicies: [{ policy: armPolicy(s.metrics), position: 'perCall' as const }],
  };
  if (s.tenantId && s.clientId && s.clientSecret)
    return new ClientSecretCredential(s.tenantId, s.clientId, s.clientSecret, common);
  return new DefaultAzureCredential({ ...common, ...(s.tenantId ? { tenantId: s.tenantId } : {}) });
};

/** `POST …/virtualMachines/web-1/deallocate` → `virtualMachines.deallocate`; list pages and LRO polls get their own names. */
export const operationOf = (method: string, url: string): string => {
  const path = new URL(url).pathname;
  if (/\/oauth2\/v2\.0\/token$/i.test(path)) return 'entra.token';
  if (/\/\.well-known\/openid-configuration$/i.test(path)) return 'entra.discovery';
  if (/\/operations\/[^/]+$/i.test(path)) return 'operations.poll';
  if (/\/operationresults\/[^/]+$/i.test(path)) return 'operations.result';
  // The last provider segment names the call: `…/virtualMachines/web-1/providers/Microsoft.Insights/metrics` → `metrics.list`.
  const parts = /.*\/providers\/Microsoft\.[A-Za-z]+\/(.+)$/i.exec(path)?.[1]?.split('/') ?? [];
  if (parts[0] === 'locations' && parts[2]) return `${parts[2]}.list`;
  const type = parts[0] ?? 'unknown';
  if (parts.length === 1) return `${type}.list`;
  if (parts.length >= 3) return `${type}.${parts[2]}`;
  return `${type}.${method === 'GET' ? 'get' : method === 'PATCH' ? 'update' : method.toLowerCase()}`;
};

const statusKind = (status: number): string =>
  status === 401 || status === 403
    ? 'auth_failed'
    : status === 404
      ? 'not_found'
      : status === 429
        ? 'rate_limited'
        : status === 409
          ? 'conflict'
          : status >= 400 && status < 500
            ? 'bad_request'
            : 'cloud_error';

/**
 * The provider's one pipeline policy, per call (so the SDK's retries are inside it and a failed
 * token request, thrown by the bearer policy below it, is seen): counts and times each call in
 * `metrics.cloudCalls` / `cloudCallSeconds` with provider="azure", and records ARM's error body
 * for the translator (the SDK's pager drops ARM's message).
 */
export const armPolicy = (metrics: Metrics | undefined): PipelinePolicy => ({
  name: 'devopsAgentArmCalls',
  async sendRequest(request, next) {
    const operation = operationOf(request.method, request.url);
    const started = performance.now();
    const record = (outcome: string, kind: string) => {
      if (!metrics) return;
      metrics.cloudCalls.inc({ provider: 'azure', operation, outcome });
      metrics.cloudCallSeconds.observe(
        { provider: 'azure', operation, outcome: kind },
        (performance.now() - started) / 1000,
      );
    };
    try {
      const response = await next(request);
      if (response.status < 400) record('ok', 'ok');
      else {
        rememberArmError(request, response.bodyAsText ?? undefined);
        record('error', statusKind(response.status));
      }
      return response;
    } catch (e) {
      record('error', azureFailureKind(e));
      throw e;
    }
  },
});

export interface ClientSettings {
  credential: TokenCredential;
  /** ARM base URL (the sandbox); undefined: Azure's public cloud. */
  endpoint?: string | undefined;
  ca?: string | undefined;
  metrics?: Metrics | undefined;
  /** SDK retries per call (429s with Retry-After, 5xx); SDK default 3. */
  maxRetries?: number | undefined;
}

export interface SubscriptionClients {
  compute: ComputeManagementClient;
  network: NetworkManagementClient;
  storage: StorageManagementClient;
}

export const createClients = (subscriptionId: string, s: ClientSettings): SubscriptionClients => {
  const options = {
    ...(s.endpoint ? { endpoint: s.endpoint } : {}),
    ...(s.ca ? { tlsOptions: { ca: s.ca } } : {}),
    ...(s.maxRetries !== undefined ? { retryOptions: { maxRetries: s.maxRetries } } : {}),
  };
  const clients = {
    compute: new ComputeManagementClient(s.credential, subscriptionId, options),
    network: new NetworkManagementClient(s.credential, subscriptionId, options),
    storage: new StorageManagementClient(s.credential, subscriptionId, options),
  };
  // Ahead of the bearer policy (client options' `additionalPolicies` land after it), so a call
  // that fails for want of a token is counted too, like the AWS middleware counts no_credentials.
  for (const client of Object.values(clients))
    client.pipeline.addPolicy(armPolicy(s.metrics), { beforePolicies: [bearerTokenPolicy] });
  return clients;
};

const collect = async <T, R>(items: AsyncIterable<T>, map: (item: T) => R): Promise<R[]> => {
  const out: R[] = [];
  for await (const item of items) out.push(map(item));
  return out;
};

/** Which of the listings failed ("listing storage accounts"), around the SDK's error. */
export class ListStepError extends Error {
  readonly step: string;
  constructor(step: string, cause: unknown) {
    super(`${step} failed`, { cause });
    this.step = step;
  }
}

/**
 * Awaits a listing; if it fails with a ListStepError, `onStep` is told the step that failed and
 * the SDK's own error (its cause) is rethrown, for the caller to translate with that step.
 */
export const unwrapListStep = <T>(listing: Promise<T>, onStep: (step: string) => void): Promise<T> =>
  listing.catch((e: unknown) => {
    if (e instanceof ListStepError) {
      onStep(e.step);
      throw e.cause;
    }
    throw e;
  });

/**
 * Every resource of one subscription, all regions, all pages (the SDK follows `nextLink`). The
 * six listings run in parallel; any failure fails the whole listing so a sync never mistakes an
 * outage for deletions. VMs are listed with `statusOnly=true`, which returns each one's power state.
 */
export const listSubscription = async (
  c: SubscriptionClients,
  ctx: NormalizeContext,
  signal?: AbortSignal,
): Promise<Resource[]> => {
  const o = signal ? { abortSignal: signal } : {};
  const steps: Array<[string, () => Promise<Resource[]>]> = [
    [
      'listing VMs',
      () => collect(c.compute.virtualMachines.listAll({ ...o, statusOnly: 'true' }), (v) => vmResource(v, ctx)),
    ],
    ['listing managed disks', () => collect(c.compute.disks.list(o), (d) => diskResource(d, ctx))],
    ['listing snapshots', () => collect(c.compute.snapshots.list(o), (s) => snapshotResource(s, ctx))],
    ['listing public IPs', () => collect(c.network.publicIPAddresses.listAll(o), (p) => publicIpResource(p, ctx))],
    [
      'listing network security groups',
      () => collect(c.network.networkSecurityGroups.listAll(o), (n) => nsgResource(n, ctx)),
    ],
    [
      'listing storage accounts',
      () => collect(c.storage.storageAccounts.list(o), (a) => storageAccountResource(a, ctx)),
    ],
  ];
  const lists = await Promise.all(
    steps.map(async ([label, run]) => {
      try {
        return await run();
      } catch (e) {
        throw new ListStepError(label, e);
      }
    }),
  );
  return lists.flat();
};

/** VM size names offered in a location (`vmSizes`). */
export const vmSizes = (c: SubscriptionClients, location: string): Promise<string[]> =>
  collect(c.compute.virtualMachineSizes.list(location), (s) => s.name ?? '').then((names) => names.filter(Boolean));

/** One VM with its instance view, or null when ARM answers 404. */
export const readVm = async (
  c: SubscriptionClients,
  resourceGroup: string,
  name: string,
): Promise<{ vm: VirtualMachine; state: string } | null> => {
  try {
    const vm = await c.compute.virtualMachines.get(resourceGroup, name, { expand: 'instanceView' });
    return { vm, state: powerStateOf(vm.instanceView) };
  } catch (e) {
    if ((e as { statusCode?: unknown }).statusCode === 404) return null;
    throw e;
  }
};

/**
 * One resource by type, resource group and name, normalized; null when ARM answers 404 (it no
 * longer exists). Types the provider does not list answer null too.
 */
export const readResource = async (
  c: SubscriptionClients,
  type: string,
  resourceGroup: string,
  name: string,
  ctx: NormalizeContext,
): Promise<Resource | null> => {
  try {
    switch (type) {
      case 'instance': {
        const vm = await c.compute.virtualMachines.get(resourceGroup, name, { expand: 'instanceView' });
        return vmResource(vm, ctx);
      }
      case 'volume':
        return diskResource(await c.compute.disks.get(resourceGroup, name), ctx);
      case 'snapshot':
        return snapshotResource(await c.compute.snapshots.get(resourceGroup, name), ctx);
      case 'ip_address':
        return publicIpResource(await c.network.publicIPAddresses.get(resourceGroup, name), ctx);
      case 'security_group':
        return nsgResource(await c.network.networkSecurityGroups.get(resourceGroup, name), ctx);
      case 'storage_account':
        return storageAccountResource(await c.storage.storageAccounts.getProperties(resourceGroup, name), ctx);
      default:
        return null;
    }
  } catch (e) {
    if ((e as { statusCode?: unknown }).statusCode === 404) return null;
    throw e;
  }
};

export type PowerAction = 'start' | 'deallocate' | 'restart';

/** Long-running operation settings: polling interval and a callback per poll ("check 3"). */
export interface LroOptions {
  pollMs?: number | undefined;
  onPoll?: ((poll: number, status: string) => void) | undefined;
}

/** Awaits an ARM long-running operation, reporting each poll. */
export const settle = async <T>(
  poller: PromiseLike<T> & { onProgress(cb: (state: { status: string }) => void): () => void },
  lro: LroOptions,
): Promise<T> => {
  let polls = 0;
  const cancel = poller.onProgress((state) => lro.onPoll?.((polls += 1), state.status));
  try {
    return await poller;
  } finally {
    cancel();
  }
};

export const lroOptions = (lro: LroOptions) => (lro.pollMs !== undefined ? { updateIntervalInMs: lro.pollMs } : {});

/** Runs a power action as ARM's long-running operation and waits for it to finish. */
export const powerAction = async (
  c: SubscriptionClients,
  action: PowerAction,
  resourceGroup: string,
  name: string,
  lro: LroOptions = {},
): Promise<void> => {
  const vms = c.compute.virtualMachines;
  const o = lroOptions(lro);
  const poller =
    action === 'start'
      ? vms.start(resourceGroup, name, o)
      : action === 'deallocate'
        ? vms.deallocate(resourceGroup, name, o)
        : vms.restart(resourceGroup, name, o);
  await settle(poller, lro);
};

/** Changes the VM's size (ARM restarts a running VM to apply it) and waits for the update. */
export const resizeVm = async (
  c: SubscriptionClients,
  resourceGroup: string,
  name: string,
  size: string,
  lro: LroOptions = {},
): Promise<VirtualMachine> =>
  settle(
    c.compute.virtualMachines.update(resourceGroup, name, { hardwareProfile: { vmSize: size } }, lroOptions(lro)),
    lro,
  );
