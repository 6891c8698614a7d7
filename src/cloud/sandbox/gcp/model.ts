/**
 * The GCP emulator's state: plain records, not wire shapes (compute.ts and storage.ts render
 * Google's JSON from them). Names are unique per project and zone (instances, disks), region
 * (addresses) or project (snapshots, firewalls, service accounts), as on Google Cloud.
 */

/** GCE instance statuses (compute v1 `Instance.status`). */
export type GceStatus = 'PROVISIONING' | 'STAGING' | 'RUNNING' | 'STOPPING' | 'TERMINATED' | 'SUSPENDED';

export interface GcpProject {
  id: string;
  number: string;
}

export interface GcpMachineType {
  zone: string;
  name: string;
  guestCpus: number;
  memoryMb: number;
}

export interface GcpInstance {
  project: string;
  zone: string;
  name: string;
  /** uint64 as a decimal string, as the API sends it. */
  id: string;
  machineType: string;
  status: GceStatus;
  labels: Record<string, string>;
  /** Emulator only: the average CPU % its Cloud Monitoring series is drawn around (not an API field). */
  cpuPercent?: number;
  created: Date;
  lastStart?: Date;
  lastStop?: Date;
  /** Disk names in the same zone, boot disk first. */
  disks: string[];
  networkIp: string;
  natIp?: string;
  /** A transition in progress: the status after `left` more reads (of the instance or its operation). */
  settle?: { to: GceStatus; left: number; operation: string };
}

export interface GcpDisk {
  project: string;
  zone: string;
  name: string;
  id: string;
  sizeGb: number;
  /** pd-standard, pd-balanced, pd-ssd. */
  type: string;
  /** Instance names (same zone) using it; empty: unattached. */
  users: string[];
  labels: Record<string, string>;
  created: Date;
  kmsKeyName?: string;
}

export interface GcpSnapshot {
  project: string;
  name: string;
  id: string;
  diskSizeGb: number;
  storageBytes: number;
  /** `zone/disk` of the source disk. */
  sourceDisk: string;
  labels: Record<string, string>;
  created: Date;
}

export interface GcpAddress {
  project: string;
  region: string;
  name: string;
  id: string;
  address: string;
  /** `zone/instance` names using it; empty: RESERVED (unassociated). */
  users: string[];
  labels: Record<string, string>;
  created: Date;
}

export interface GcpFirewallEntry {
  IPProtocol: string;
  ports?: string[];
}

export interface GcpFirewall {
  project: string;
  name: string;
  id: string;
  network: string;
  direction: 'INGRESS' | 'EGRESS';
  priority: number;
  sourceRanges: string[];
  allowed: GcpFirewallEntry[];
  denied: GcpFirewallEntry[];
  targetTags: string[];
  disabled: boolean;
  description: string;
  created: Date;
}

export interface GcpBinding {
  role: string;
  members: string[];
}

export interface GcpBucket {
  project: string;
  name: string;
  /** Upper case, as GCS reports it: `US-CENTRAL1`, `EU`. */
  location: string;
  storageClass: string;
  uniformBucketLevelAccess: boolean;
  publicAccessPrevention: 'enforced' | 'inherited';
  versioning: boolean;
  defaultKmsKeyName?: string;
  labels: Record<string, string>;
  bindings: GcpBinding[];
  created: Date;
}

export interface GcpServiceAccountKey {
  /** 40 hex characters. */
  id: string;
  keyType: 'USER_MANAGED' | 'SYSTEM_MANAGED';
  validAfter: Date;
  validBefore: Date;
  disabled: boolean;
}

export interface GcpServiceAccount {
  project: string;
  email: string;
  uniqueId: string;
  displayName: string;
  disabled: boolean;
  keys: GcpServiceAccountKey[];
}

export interface GcpOperation {
  project: string;
  zone: string;
  name: string;
  id: string;
  operationType: string;
  /** Instance name. */
  target: string;
  targetId: string;
  inserted: Date;
}

export interface GcpFleet {
  projects: GcpProject[];
  machineTypes: GcpMachineType[];
  instances: GcpInstance[];
  disks: GcpDisk[];
  snapshots: GcpSnapshot[];
  addresses: GcpAddress[];
  firewalls: GcpFirewall[];
  buckets: GcpBucket[];
  serviceAccounts: GcpServiceAccount[];
  operations: GcpOperation[];
}

/** One request the emulator answered (for tests). */
export interface GcpRequest {
  method: string;
  /** Path without the query. */
  path: string;
  query: Record<string, string>;
  /** The project the path names, if any. */
  project?: string;
  status: number;
}
