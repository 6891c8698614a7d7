import type { Tags } from '../model.ts';

/**
 * The sandbox's in-memory AWS account services (RDS, S3, IAM, CloudTrail, Config, KMS, CloudWatch
 * Logs): plain mutable records the emulators read. Tests may arrange them (add 10,000 log groups,
 * drop a password policy) before listing.
 */

export interface SandboxDbInstance {
  id: string;
  region: string;
  engine: string;
  engineVersion: string;
  instanceClass: string;
  status: string;
  allocatedStorage: number;
  storageType: string;
  storageEncrypted: boolean;
  kmsKeyId?: string;
  publiclyAccessible: boolean;
  backupRetentionPeriod: number;
  multiAZ: boolean;
  deletionProtection: boolean;
  iamAuth: boolean;
  createTime: Date;
  tags: Tags;
  /** Where a transitional status (creating, modifying, deleting) ends, and when: see `Settle`. `deleted` removes it. */
  settle?: Settle;
  /** A read replica: its source's identifier (same region) or ARN (another region). */
  replicaSource?: string;
  /** Its read replicas: identifiers (same region) or ARNs (another region). */
  replicas?: string[];
  /** Changes waiting for the maintenance window (ModifyDBInstance without ApplyImmediately). */
  pending?: { backupRetentionPeriod?: number };
}

/**
 * How a transitional status ends: at a time of the sandbox's clock (`at`, ms since the epoch) or
 * after that many more describes of the resource (`afterDescribes`); no timers, so a fixed clock
 * keeps the emulator deterministic.
 */
export interface Settle {
  to: string;
  afterDescribes?: number;
  at?: number;
}

export interface SandboxDbSnapshot {
  id: string;
  region: string;
  instanceId: string;
  type: 'manual' | 'automated';
  engine: string;
  allocatedStorage: number;
  encrypted: boolean;
  createTime: Date;
  /** The `restore` attribute: account ids it is shared with, `all` when public. */
  restore: string[];
  tags: Tags;
  /** Absent: available. CreateDBSnapshot and CopyDBSnapshot start `creating`. */
  status?: string;
  settle?: Settle;
  engineVersion?: string;
  storageType?: string;
  kmsKeyId?: string;
  /** The class of the instance it was taken of: what a restore gets unless it names another. */
  instanceClass?: string;
  /** A copy: the region and ARN of the snapshot it was copied from. */
  copiedFrom?: { region: string; arn: string };
}

export interface SandboxBucket {
  name: string;
  region: string;
  createTime: Date;
  publicAccessBlock?: {
    blockPublicAcls: boolean;
    ignorePublicAcls: boolean;
    blockPublicPolicy: boolean;
    restrictPublicBuckets: boolean;
  };
  /** SSE algorithm (`AES256`, `aws:kms`), absent when the bucket has no default encryption. */
  encryption?: { algorithm: string; kmsKeyId?: string; bucketKey: boolean };
  /** Absent: versioning was never enabled (S3 answers an empty configuration). */
  versioning?: 'Enabled' | 'Suspended';
  /** Absent: no bucket policy (NoSuchBucketPolicy); otherwise whether S3 judges it public. */
  policyPublic?: boolean;
  /** Absent: NoSuchTagSet. */
  tags?: Tags;
}

export interface SandboxAccessKey {
  id: string;
  status: 'Active' | 'Inactive';
  createDate: Date;
  lastUsed?: { date: Date; service: string; region: string };
}

export interface SandboxIamUser {
  name: string;
  id: string;
  createDate: Date;
  passwordLastUsed?: Date;
  /** When the console password was set; absent: no login profile. */
  loginProfile?: Date;
  mfaDevices: Array<{ serial: string; enableDate: Date }>;
  attachedPolicies: Array<{ name: string; arn: string }>;
  accessKeys: SandboxAccessKey[];
  tags: Tags;
}

export interface SandboxPasswordPolicy {
  minimumPasswordLength: number;
  requireSymbols: boolean;
  requireNumbers: boolean;
  requireUppercase: boolean;
  requireLowercase: boolean;
  allowUsersToChangePassword: boolean;
  maxPasswordAge?: number;
  passwordReusePrevention?: number;
  hardExpiry: boolean;
}

export interface SandboxIam {
  users: SandboxIamUser[];
  passwordPolicy?: SandboxPasswordPolicy;
  rootMfa: boolean;
  rootAccessKeys: boolean;
  rootPasswordLastUsed?: Date;
  rootCreateDate: Date;
  /** Credential report generation: absent until GenerateCredentialReport; `ready` after it. */
  report?: { generated: Date; ready: boolean };
  /** GetCredentialReport answers ReportInProgress this many times after each generation (default 0). */
  reportDelayCalls: number;
}

export interface SandboxTrail {
  name: string;
  homeRegion: string;
  multiRegion: boolean;
  logFileValidation: boolean;
  kmsKeyId?: string;
  bucket: string;
  logging: boolean;
  includeGlobalServiceEvents: boolean;
  latestDelivery?: Date;
}

export interface SandboxRecorder {
  name: string;
  region: string;
  roleArn: string;
  allSupported: boolean;
  includeGlobalResourceTypes: boolean;
  recording: boolean;
  lastStatus: 'Pending' | 'Success' | 'Failure';
  lastStartTime?: Date;
}

export interface SandboxKmsKey {
  id: string;
  region: string;
  manager: 'CUSTOMER' | 'AWS';
  state: 'Enabled' | 'Disabled' | 'PendingDeletion';
  rotation: boolean;
  createDate: Date;
  description: string;
  aliases: string[];
  tags: Tags;
}

export interface SandboxLogGroup {
  name: string;
  region: string;
  createTime: Date;
  retentionInDays?: number;
  storedBytes: number;
  kmsKeyId?: string;
}

/** One record set of a hosted zone (name with its trailing dot, as Route 53 stores it). */
export interface SandboxRecordSet {
  name: string;
  type: string;
  ttl?: number;
  values: string[];
  setIdentifier?: string;
  failover?: 'PRIMARY' | 'SECONDARY';
  healthCheckId?: string;
  alias?: { hostedZoneId: string; dnsName: string; evaluateTargetHealth: boolean };
}

export interface SandboxHostedZone {
  /** Without the `/hostedzone/` prefix: `Z0…`. */
  id: string;
  /** With its trailing dot: `example.com.`. */
  name: string;
  callerReference: string;
  comment?: string;
  private: boolean;
  records: SandboxRecordSet[];
}

export interface SandboxHealthCheck {
  id: string;
  callerReference: string;
  type: string;
  fqdn?: string;
  ipAddress?: string;
  port?: number;
  resourcePath?: string;
  requestInterval: number;
  failureThreshold: number;
  inverted: boolean;
  disabled: boolean;
  version: number;
  createTime: Date;
}

/** A ChangeResourceRecordSets batch: PENDING until it settles, then INSYNC (GetChange). */
export interface SandboxChange {
  id: string;
  submittedAt: Date;
  comment?: string;
  status: 'PENDING' | 'INSYNC';
  settle?: Settle;
}

export interface SandboxRoute53 {
  hostedZones: SandboxHostedZone[];
  healthChecks: SandboxHealthCheck[];
  changes: SandboxChange[];
}

export interface SandboxAwsAccount {
  accountId: string;
  dbInstances: SandboxDbInstance[];
  dbSnapshots: SandboxDbSnapshot[];
  buckets: SandboxBucket[];
  iam: SandboxIam;
  trails: SandboxTrail[];
  recorders: SandboxRecorder[];
  kmsKeys: SandboxKmsKey[];
  logGroups: SandboxLogGroup[];
  /** Route 53 is global: zones, health checks and change batches are the account's, in no region. */
  route53: SandboxRoute53;
}
