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
}
