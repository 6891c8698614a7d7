// The nine v1 clients we use, by path: the package index requires every client of v1, v1beta
// and v1small (measured 7.5 s against 2.5 s on this machine). @google-cloud/compute has no
// `exports` map and is pinned (7.8.0), so these paths are stable for us.
import { AddressesClient } from '@google-cloud/compute/build/src/v1/addresses_client.js';
import { DisksClient } from '@google-cloud/compute/build/src/v1/disks_client.js';
import { FirewallsClient } from '@google-cloud/compute/build/src/v1/firewalls_client.js';
import { GlobalOperationsClient } from '@google-cloud/compute/build/src/v1/global_operations_client.js';
import { InstancesClient } from '@google-cloud/compute/build/src/v1/instances_client.js';
import { MachineTypesClient } from '@google-cloud/compute/build/src/v1/machine_types_client.js';
import { RegionOperationsClient } from '@google-cloud/compute/build/src/v1/region_operations_client.js';
import { SnapshotsClient } from '@google-cloud/compute/build/src/v1/snapshots_client.js';
import { ZoneOperationsClient } from '@google-cloud/compute/build/src/v1/zone_operations_client.js';
import { Storage } from '@google-cloud/storage';
import { GoogleAuth, PassThroughClient } from 'google-auth-library';
import type { CallOptions } from 'google-gax';
import { performance } from 'node:perf_hooks';
import { gcpFailureKind } from './errors.ts';

/**
 * The part of the GCP provider that loads Google's SDKs (@google-cloud/compute on its REST
 * transport, @google-cloud/storage, google-auth-library): client construction, retries and the
 * cloud-call metrics. `GcpProvider` imports this module on its first cloud call or in `load()`.
 */

export { listProject, untilAborted } from './listing.ts';
export { describeInstance, regionMachineTypes, zoneMachineTypes } from './compute.ts';
export { executeInstanceAction } from './instance-actions.ts';
export { executeFixAction } from './fix-actions.ts';
export { instanceCpuSamples } from './monitoring.ts';

export { defaultRetry } from './types.ts';
export type { GcpClientOptions, GcpClients, GcpEndpoint, GcpRetryOptions } from './types.ts';
import type { GcpClientOptions, GcpClients, GcpRetryOptions } from './types.ts';

const scopes = ['https://www.googleapis.com/auth/cloud-platform'];

// google.rpc.Code numbers gax retries on.
const DEADLINE_EXCEEDED = 4;
const RESOURCE_EXHAUSTED = 8;
const UNAVAILABLE = 14;

const gaxRetry = (r: GcpRetryOptions, codes: number[]): CallOptions => ({
  // The *Async list methods page on demand anyway; saying so spares gax's AutopaginateTrueWarning.
  autoPaginate: false,
  retry: {
    retryCodes: r.maxRetries > 0 ? codes : [],
    backoffSettings: {
      initialRetryDelayMillis: r.initialDelayMs,
      retryDelayMultiplier: 2,
      maxRetryDelayMillis: r.maxDelayMs,
      initialRpcTimeoutMillis: 60_000,
      rpcTimeoutMultiplier: 1,
      maxRpcTimeoutMillis: 60_000,
      // gax counts attempts here (3 → three requests), ours counts retries after the first.
      maxRetries: r.maxRetries + 1,
    },
  },
});

export const createGcpClients = (opts: GcpClientOptions): GcpClients => {
  const { endpoint, metrics, retry } = opts;
  // Credentials: the given client, else a key file, else (sandbox) none at all, else Application
  // Default Credentials. The sandbox never falls through to ADC: it could ask a metadata server.
  const authClient = opts.authClient ?? (opts.anonymous && !opts.keyFilename ? new PassThroughClient() : undefined);
  const auth = new GoogleAuth({
    scopes,
    ...(authClient ? { authClient } : opts.keyFilename ? { keyFilename: opts.keyFilename } : {}),
  });
  // Compute's REST transport (gax "fallback"); `port` must be separate or the default 443 wins.
  const computeOptions = {
    auth,
    fallback: true as const,
    ...(endpoint ? { apiEndpoint: endpoint.host, port: endpoint.port, protocol: endpoint.protocol } : {}),
  };
  const base = endpoint ? `${endpoint.protocol}://${endpoint.host}:${endpoint.port}` : undefined;
  const iamBase = base ?? 'https://iam.googleapis.com';
  const monitoringBase = base ?? 'https://monitoring.googleapis.com';
  const storages = new Map<string, Storage>();
  const restGet = async (url: string, params?: Record<string, string>): Promise<unknown> => {
    const res = await auth.request({
      url,
      method: 'GET',
      ...(params ? { params } : {}),
      retry: retry.maxRetries > 0,
      retryConfig: {
        retry: retry.maxRetries,
        retryDelay: retry.initialDelayMs,
        retryDelayMultiplier: 2,
        maxRetryDelay: retry.maxDelayMs,
        httpMethodsToRetry: ['GET'],
        statusCodesToRetry: [
          [429, 429],
          [500, 599],
        ],
      },
    });
    return res.data;
  };
  // A refused (429) POST did not run, so it is safe to send again; nothing else is retried.
  const restPost = async (url: string, data: unknown): Promise<unknown> => {
    const res = await auth.request({
      url,
      method: 'POST',
      data,
      retry: retry.maxRetries > 0,
      retryConfig: {
        retry: retry.maxRetries,
        retryDelay: retry.initialDelayMs,
        retryDelayMultiplier: 2,
        maxRetryDelay: retry.maxDelayMs,
        httpMethodsToRetry: ['POST'],
        statusCodesToRetry: [[429, 429]],
      },
    });
    return res.data;
  };
  const compute = {
    instances: new InstancesClient(computeOptions),
    disks: new DisksClient(computeOptions),
    addresses: new AddressesClient(computeOptions),
    snapshots: new SnapshotsClient(computeOptions),
    firewalls: new FirewallsClient(computeOptions),
    machineTypes: new MachineTypesClient(computeOptions),
    zoneOperations: new ZoneOperationsClient(computeOptions),
    globalOperations: new GlobalOperationsClient(computeOptions),
    regionOperations: new RegionOperationsClient(computeOptions),
  };

  return {
    ...compute,
    storage: (project) => {
      let s = storages.get(project);
      if (!s) {
        s = new Storage({
          projectId: project,
          authClient: auth,
          ...(base ? { apiEndpoint: base, useAuthWithCustomEndpoint: true } : {}),
          // Storage's own backoff starts near 1 s (not configurable); its retry count follows ours.
          retryOptions: {
            autoRetry: retry.maxRetries > 0,
            maxRetries: retry.maxRetries,
            maxRetryDelay: retry.maxDelayMs / 1000,
          },
        });
        storages.set(project, s);
      }
      return s;
    },
    // No IAM admin or Monitoring client is installed: their REST APIs are called through
    // google-auth-library's authenticated `request` (gaxios underneath: bearer token, retries).
    iamGet: (path, params) => restGet(`${iamBase}${path}`, params),
    iamPost: (path, body) => restPost(`${iamBase}${path}`, body),
    monitoringGet: (path, params) => restGet(`${monitoringBase}${path}`, params),
    readOptions: gaxRetry(retry, [RESOURCE_EXHAUSTED, UNAVAILABLE, DEADLINE_EXCEEDED]),
    writeOptions: gaxRetry(retry, [RESOURCE_EXHAUSTED]),
    timed: async (operation, fn) => {
      if (!metrics) return fn();
      const started = performance.now();
      const observe = (outcome: string) =>
        metrics.cloudCallSeconds.observe({ provider: 'gcp', operation, outcome }, (performance.now() - started) / 1000);
      try {
        const out = await fn();
        metrics.cloudCalls.inc({ provider: 'gcp', operation, outcome: 'ok' });
        observe('ok');
        return out;
      } catch (e) {
        metrics.cloudCalls.inc({ provider: 'gcp', operation, outcome: 'error' });
        observe(gcpFailureKind(e));
        throw e;
      }
    },
    pageSize: opts.pageSize,
    close: async () => {
      await Promise.all(Object.values(compute).map((c) => c.close().catch(() => undefined)));
      storages.clear();
    },
  };
};
