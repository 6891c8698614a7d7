import type { AddressesClient } from '@google-cloud/compute/build/src/v1/addresses_client.js';
import type { DisksClient } from '@google-cloud/compute/build/src/v1/disks_client.js';
import type { FirewallsClient } from '@google-cloud/compute/build/src/v1/firewalls_client.js';
import type { GlobalOperationsClient } from '@google-cloud/compute/build/src/v1/global_operations_client.js';
import type { InstancesClient } from '@google-cloud/compute/build/src/v1/instances_client.js';
import type { MachineTypesClient } from '@google-cloud/compute/build/src/v1/machine_types_client.js';
import type { RegionOperationsClient } from '@google-cloud/compute/build/src/v1/region_operations_client.js';
import type { SnapshotsClient } from '@google-cloud/compute/build/src/v1/snapshots_client.js';
import type { ZoneOperationsClient } from '@google-cloud/compute/build/src/v1/zone_operations_client.js';
import type { Storage } from '@google-cloud/storage';
import type { AuthClient } from 'google-auth-library';
import type { CallOptions } from 'google-gax';
import type { Metrics } from '../../observability/metrics.ts';

/**
 * The shapes the GCP provider's SDK-bound modules share (sdk.ts builds the clients; listing,
 * compute, instance actions and monitoring use them). Type-only SDK imports: nothing loads with
 * this module, and none of them imports sdk.ts back.
 */

export interface GcpEndpoint {
  host: string;
  port: number;
  protocol: 'http' | 'https';
}

/** Backoff on throttling (HTTP 429 / RESOURCE_EXHAUSTED) and unavailability (503), for every client. */
export interface GcpRetryOptions {
  /** Retries after the first attempt (default 5). */
  maxRetries: number;
  /** First pause (default 500 ms); doubles each retry. */
  initialDelayMs: number;
  /** Longest pause (default 32 s). */
  maxDelayMs: number;
}

export const defaultRetry: GcpRetryOptions = { maxRetries: 5, initialDelayMs: 500, maxDelayMs: 32_000 };

export interface GcpClientOptions {
  endpoint?: GcpEndpoint | undefined;
  authClient?: AuthClient | undefined;
  keyFilename?: string | undefined;
  /** No credentials when neither authClient nor keyFilename is given (the sandbox), instead of ADC. */
  anonymous?: boolean | undefined;
  metrics?: Metrics | undefined;
  pageSize: number;
  retry: GcpRetryOptions;
}

export interface GcpClients {
  instances: InstancesClient;
  disks: DisksClient;
  addresses: AddressesClient;
  snapshots: SnapshotsClient;
  firewalls: FirewallsClient;
  machineTypes: MachineTypesClient;
  zoneOperations: ZoneOperationsClient;
  globalOperations: GlobalOperationsClient;
  regionOperations: RegionOperationsClient;
  /** One Storage client per project (its `projectId` scopes the bucket list). */
  storage(project: string): Storage;
  /** GET on the IAM admin REST API, parsed JSON (validated by the caller). */
  iamGet(path: string, params?: Record<string, string>): Promise<unknown>;
  /** POST on the IAM admin REST API (key disable/enable), retried only on 429; parsed JSON. */
  iamPost(path: string, body: unknown): Promise<unknown>;
  /** GET on the Cloud Monitoring v3 REST API, parsed JSON (validated by the caller). */
  monitoringGet(path: string, params?: Record<string, string>): Promise<unknown>;
  /** gax call options for reads: retry on 429, 503 and deadline. */
  readOptions: CallOptions;
  /** gax call options for mutations: retry only on 429 (refused before anything ran). */
  writeOptions: CallOptions;
  /** Counts and times one logical call (all its pages and retries) in the cloud-call metrics. */
  timed<T>(operation: string, fn: () => Promise<T>): Promise<T>;
  pageSize: number;
  close(): Promise<void>;
}
