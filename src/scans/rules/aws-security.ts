import type { Resource } from '../../cloud/resource.ts';
import { dateAttr, daysBetween, fail, manual, pass } from '../rule.ts';
import type { Evaluation, Rule } from '../rule.ts';

/**
 * AWS security rules (the `aws.` rows of issue 15's rule table). They judge only what the
 * inventory collects (src/cloud/aws/normalize.ts and src/cloud/aws/services/): where it does not
 * collect what a rule needs, the rule says `manual` and names the missing piece rather than passing.
 * An attribute absent from a row (an older sync, a lister that did not run) is `manual` too: absent
 * is not the same as false. Account-wide rules judge the one `account_settings` row per account and
 * read the account's other rows through `accountTypes`.
 */

type Evidence = Record<string, unknown>;

const has = (r: Resource, key: string): boolean => Object.hasOwn(r.attributes, key);
const flag = (r: Resource, key: string): boolean | undefined => {
  const v = r.attributes[key];
  return typeof v === 'boolean' ? v : undefined;
};
const count = (r: Resource, key: string): number | undefined => {
  const v = r.attributes[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
};
const text = (r: Resource, key: string): string | null => {
  const v = r.attributes[key];
  return typeof v === 'string' ? v : null;
};

const notCollected = (evidence: Evidence, what: string): Evaluation =>
  manual(evidence, `The inventory has no ${what} for this resource (sync it again, or check in the AWS console).`);

/** `a`, `a and b`, `a, b and c`: details read as sentences. */
const list = (items: readonly string[]): string =>
  items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;

// --- IAM -------------------------------------------------------------------------------------

const rootMfa: Rule = {
  id: 'aws.iam.root_mfa',
  title: 'Root user has MFA',
  category: 'security',
  provider: 'aws',
  types: ['account_settings'],
  severity: 'critical',
  remediation:
    'Sign in as the root user and assign an MFA device (a hardware key for the strictest benchmarks); keep the root credentials locked away.',
  evaluate: (r) => {
    const rootMfaEnabled = flag(r, 'rootMfaEnabled');
    if (rootMfaEnabled === undefined) return notCollected({}, 'root MFA status (GetAccountSummary)');
    return rootMfaEnabled
      ? pass({ rootMfaEnabled })
      : fail({ rootMfaEnabled }, 'The root user has no MFA device: its password alone opens the whole account.');
  },
};

const rootAccessKey: Rule = {
  id: 'aws.iam.root_access_key',
  title: 'Root user has no access keys',
  category: 'security',
  provider: 'aws',
  types: ['account_settings'],
  severity: 'critical',
  remediation:
    'Delete the root access keys (Security credentials of the root user) and give the tools that used them an IAM role or user of their own.',
  evaluate: (r) => {
    const rootAccessKeysPresent = flag(r, 'rootAccessKeysPresent');
    const evidence = { rootAccessKeysPresent, rootAccessKeyLastUsed: text(r, 'rootAccessKeyLastUsed') };
    if (rootAccessKeysPresent === undefined) return notCollected({}, 'root access key status (GetAccountSummary)');
    if (!rootAccessKeysPresent) return pass(evidence);
    const used = evidence.rootAccessKeyLastUsed ? `, last used ${evidence.rootAccessKeyLastUsed}` : '';
    return fail(evidence, `The root user has access keys${used}: they cannot be limited by any policy.`);
  },
};

const userMfa: Rule = {
  id: 'aws.iam.user_mfa',
  title: 'Console users have MFA',
  category: 'security',
  provider: 'aws',
  types: ['iam_user'],
  severity: 'high',
  remediation: 'Assign an MFA device to the user, or remove the console password if the user only needs access keys.',
  evaluate: (r) => {
    const consoleAccess = flag(r, 'consoleAccess');
    const mfaEnabled = flag(r, 'mfaEnabled');
    const evidence = { consoleAccess, mfaEnabled, mfaDevices: count(r, 'mfaDevices') };
    if (consoleAccess === false) return pass(evidence);
    if (consoleAccess === undefined || mfaEnabled === undefined)
      return notCollected(evidence, 'console password or MFA device list');
    return mfaEnabled
      ? pass(evidence)
      : fail(evidence, `${r.name} can sign in to the console with a password and has no MFA device.`);
  },
};

const staleCredentials: Rule = {
  id: 'aws.iam.stale_credentials',
  title: 'No stale passwords or access keys',
  category: 'security',
  provider: 'aws',
  types: ['iam_user', 'access_key'],
  severity: 'medium',
  remediation:
    'Deactivate or delete credentials nobody uses, rotate access keys older than the limit (create a new key, switch, delete the old one), and keep one active key per user.',
  thresholds: {
    unusedDays: {
      env: 'SCAN_CREDENTIAL_UNUSED_DAYS',
      default: 45,
      unit: 'days',
      description: 'A password or active access key unused this many days (or never used since) is stale.',
      min: 1,
      max: 365,
    },
    keyMaxAgeDays: {
      env: 'SCAN_ACCESS_KEY_MAX_AGE_DAYS',
      default: 90,
      unit: 'days',
      description: 'An active access key older than this many days must be rotated.',
      min: 1,
      max: 3650,
    },
  },
  evaluate: (r, ctx) => {
    const unusedLimit = ctx.threshold('unusedDays');
    if (r.type === 'access_key') {
      const status = text(r, 'status');
      const created = dateAttr(r.attributes.createDate);
      const lastUsed = dateAttr(r.attributes.lastUsedDate);
      const base = { status, createDate: text(r, 'createDate'), lastUsedDate: text(r, 'lastUsedDate') };
      if (status === 'Inactive') return pass(base);
      if (status !== 'Active' || !created) return notCollected(base, 'key status or creation date');
      const ageDays = daysBetween(created, ctx.now);
      const unusedDays = daysBetween(lastUsed ?? created, ctx.now);
      const ageLimit = ctx.threshold('keyMaxAgeDays');
      const evidence = { ...base, ageDays, unusedDays };
      const problems: string[] = [];
      if (ageDays > ageLimit) problems.push(`is ${ageDays} days old (rotate after ${ageLimit})`);
      if (unusedDays >= unusedLimit)
        problems.push(lastUsed ? `was last used ${unusedDays} days ago` : `has never been used in ${unusedDays} days`);
      return problems.length === 0
        ? pass(evidence)
        : fail(evidence, `Active access key ${r.id} of ${text(r, 'user') ?? 'its user'} ${list(problems)}.`);
    }
    const consoleAccess = flag(r, 'consoleAccess');
    const activeAccessKeys = count(r, 'activeAccessKeys');
    const evidence: Evidence = { consoleAccess, activeAccessKeys };
    if (consoleAccess === undefined || activeAccessKeys === undefined)
      return notCollected(evidence, 'console password or access key count');
    const problems: string[] = [];
    if (activeAccessKeys > 1) problems.push(`has ${activeAccessKeys} active access keys (one at most)`);
    if (consoleAccess) {
      // A password never used counts from when it was set (or the user was created).
      const lastUsed = dateAttr(r.attributes.passwordLastUsed);
      const since = lastUsed ?? dateAttr(r.attributes.passwordLastChanged) ?? dateAttr(r.attributes.createDate);
      evidence.passwordLastUsed = text(r, 'passwordLastUsed');
      evidence.passwordLastChanged = text(r, 'passwordLastChanged');
      if (!since) return notCollected(evidence, 'password last-used, last-changed or creation date');
      const unusedDays = daysBetween(since, ctx.now);
      evidence.passwordUnusedDays = unusedDays;
      if (unusedDays >= unusedLimit)
        problems.push(
          lastUsed
            ? `has a console password last used ${unusedDays} days ago`
            : `has a console password never used in ${unusedDays} days`,
        );
    }
    return problems.length === 0 ? pass(evidence) : fail(evidence, `${r.name} ${list(problems)}.`);
  },
};

const adminPolicy: Rule = {
  id: 'aws.iam.admin_policy',
  title: 'No policy grants full administrative access (*:*)',
  category: 'security',
  provider: 'aws',
  types: ['account_settings'],
  accountTypes: ['iam_user'],
  severity: 'high',
  remediation:
    'Detach AdministratorAccess (and any policy allowing Action "*" on Resource "*") from users; grant the actions each job needs, through groups or roles.',
  // The inventory reads only the managed policies attached to users directly: it can find
  // AdministratorAccess there, but never prove that no group, inline or customer policy grants *:*.
  evaluate: (_r, ctx) => {
    const users = ctx.inAccount('iam_user');
    const admins = users
      .filter((u) => flag(u, 'adminPolicy') === true)
      .map((u) => u.name)
      .sort();
    const evidence = { usersWithAdministratorAccess: admins, usersRead: users.length };
    if (admins.length > 0) return fail(evidence, `AdministratorAccess is attached directly to ${list(admins)}.`);
    return manual(
      evidence,
      'No user has AdministratorAccess attached directly, but the inventory does not collect group, inline or customer-managed policy documents: check that none allows "*" on "*".',
    );
  },
};

const passwordPolicy: Rule = {
  id: 'aws.iam.password_policy',
  title: 'Password policy requires length and prevents reuse',
  category: 'security',
  provider: 'aws',
  types: ['account_settings'],
  severity: 'medium',
  remediation:
    'Set the account password policy (IAM → Account settings) to the minimum length and the reuse prevention below.',
  thresholds: {
    minLength: {
      env: 'SCAN_PASSWORD_MIN_LENGTH',
      default: 14,
      unit: 'characters',
      description: 'The shortest minimum password length the account policy may require.',
      min: 6,
      max: 128,
    },
    reusePrevention: {
      env: 'SCAN_PASSWORD_REUSE_PREVENTION',
      default: 24,
      unit: 'count',
      description: 'How many previous passwords the account policy must forbid reusing.',
      min: 1,
      max: 24,
    },
  },
  evaluate: (r, ctx) => {
    if (!has(r, 'passwordPolicy')) return notCollected({}, 'password policy');
    const policy = r.attributes.passwordPolicy as { minimumLength?: unknown; reusePrevention?: unknown } | null;
    if (!policy)
      return fail(
        { passwordPolicy: null },
        'The account has no password policy: IAM accepts 8-character passwords, reused at will.',
      );
    const minimumLength = typeof policy.minimumLength === 'number' ? policy.minimumLength : null;
    const reusePrevention = typeof policy.reusePrevention === 'number' ? policy.reusePrevention : null;
    const wantLength = ctx.threshold('minLength');
    const wantReuse = ctx.threshold('reusePrevention');
    const evidence = { minimumLength, reusePrevention };
    const problems: string[] = [];
    if (minimumLength === null || minimumLength < wantLength)
      problems.push(`minimum length is ${minimumLength ?? 'not set'} (at least ${wantLength})`);
    if (reusePrevention === null || reusePrevention < wantReuse)
      problems.push(`reuse prevention is ${reusePrevention ?? 'off'} (at least ${wantReuse})`);
    return problems.length === 0 ? pass(evidence) : fail(evidence, `The password policy's ${list(problems)}.`);
  },
};

// --- Logging and monitoring -----------------------------------------------------------------

const multiRegionTrail: Rule = {
  id: 'aws.trail.multi_region',
  title: 'A multi-region CloudTrail trail is logging with log-file validation',
  category: 'security',
  provider: 'aws',
  types: ['account_settings'],
  accountTypes: ['trail'],
  severity: 'high',
  remediation: 'Create (or change) a trail that applies to all regions, turn on log-file validation and start logging.',
  evaluate: (_r, ctx) => {
    const trails = ctx.inAccount('trail').map((t) => ({
      name: t.name,
      homeRegion: text(t, 'homeRegion') ?? t.region,
      multiRegion: flag(t, 'multiRegion') ?? false,
      isLogging: flag(t, 'isLogging') ?? false,
      logFileValidation: flag(t, 'logFileValidation') ?? false,
    }));
    const evidence = { trails };
    if (trails.some((t) => t.multiRegion && t.isLogging && t.logFileValidation)) return pass(evidence);
    if (trails.length === 0) return fail(evidence, 'No CloudTrail trail was found in the regions the inventory lists.');
    const multi = trails.filter((t) => t.multiRegion);
    if (multi.length === 0)
      return fail(evidence, `No trail applies to all regions (${list(trails.map((t) => t.name))} are single-region).`);
    const gaps = multi.map((t) => {
      const off = [
        ...(t.isLogging ? [] : ['is not logging']),
        ...(t.logFileValidation ? [] : ['has log-file validation off']),
      ];
      return `${t.name} ${list(off)}`;
    });
    return fail(evidence, `No multi-region trail is complete: ${gaps.join('; ')}.`);
  },
};

const configAllRegions: Rule = {
  id: 'aws.config.all_regions',
  title: 'AWS Config records every resource type in every region',
  category: 'security',
  provider: 'aws',
  types: ['account_settings'],
  accountTypes: ['config_recorder'],
  severity: 'medium',
  remediation:
    'In each listed region, set up AWS Config to record all supported resource types and start the recorder (Config → Settings).',
  evaluate: (_r, ctx) => {
    const recorders = ctx.inAccount('config_recorder').map((c) => ({
      region: c.region,
      name: c.name,
      recording: flag(c, 'recording') ?? false,
      allSupported: flag(c, 'allSupported') ?? false,
      lastStatus: text(c, 'lastStatus'),
    }));
    const evidence = { recorders };
    if (recorders.length === 0)
      return manual(
        evidence,
        'The inventory has no AWS Config recorder rows for this account: the Config listing did not run or was refused.',
      );
    const regions = [...new Set(recorders.map((c) => c.region))].sort();
    // A recorder whose last delivery failed records nothing useful, whatever its switch says.
    const ok = (c: (typeof recorders)[number]) =>
      c.recording && c.allSupported && c.lastStatus?.toLowerCase() !== 'failure';
    const missing = regions.filter((region) => !recorders.some((c) => c.region === region && ok(c)));
    return missing.length === 0
      ? pass(evidence)
      : fail(evidence, `AWS Config is not recording all resource types in ${list(missing)}.`);
  },
};

const detectorsEnabled: Rule = {
  id: 'aws.detect.enabled',
  title: 'GuardDuty and Security Hub are on in every region',
  category: 'security',
  provider: 'aws',
  types: ['account_settings'],
  severity: 'high',
  remediation:
    "Enable GuardDuty and Security Hub in every region you use (through the organization's delegated administrator when there is one).",
  evaluate: () =>
    manual(
      {},
      'The inventory does not collect GuardDuty detectors or Security Hub status: check that both are enabled in every region.',
    ),
};

const logRetentionValues = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

/** The shortest retention CloudWatch Logs accepts that keeps at least `days`. */
const retentionAtLeast = (days: number): number => logRetentionValues.find((v) => v >= days) ?? 3653;

const logRetention: Rule = {
  id: 'aws.logs.retention',
  title: 'Log groups keep events for a set period',
  category: 'security',
  provider: 'aws',
  types: ['log_group'],
  severity: 'medium',
  remediation:
    'Set a retention period on the log group of at least the required days: long enough for audits, and bounded so storage stops growing.',
  thresholds: {
    retentionDays: {
      env: 'SCAN_LOG_RETENTION_DAYS',
      default: 365,
      unit: 'days',
      description:
        'The shortest retention a log group may have (a group that never expires fails too: its storage grows forever).',
      min: 1,
      max: 3653,
    },
  },
  fix: { action: 'set_retention', title: 'Set the retention period (older events are deleted)' },
  evaluate: (r, ctx) => {
    if (!has(r, 'retentionInDays')) return notCollected({}, 'retention setting');
    const retentionInDays = count(r, 'retentionInDays') ?? null;
    const want = ctx.threshold('retentionDays');
    const evidence = { retentionInDays, storedBytes: count(r, 'storedBytes') ?? null };
    if (retentionInDays !== null && retentionInDays >= want) return pass(evidence);
    const fixParams = { days: String(retentionAtLeast(want)) };
    return retentionInDays === null
      ? fail(evidence, `${r.name} never expires its events: storage grows without bound (set ${want} days or more).`, {
          fixParams,
        })
      : fail(evidence, `${r.name} keeps events ${retentionInDays} days (at least ${want} required).`, { fixParams });
  },
};

// --- Encryption and data --------------------------------------------------------------------

const kmsRotation: Rule = {
  id: 'aws.kms.rotation',
  title: 'Customer-managed symmetric KMS keys rotate',
  category: 'security',
  provider: 'aws',
  types: ['kms_key'],
  severity: 'medium',
  remediation: 'Turn on automatic key rotation for the key (KMS → the key → Key rotation).',
  fix: { action: 'enable_key_rotation', title: 'Turn on automatic key rotation' },
  evaluate: (r) => {
    const evidence = {
      keyManager: text(r, 'keyManager'),
      keySpec: text(r, 'keySpec'),
      origin: text(r, 'origin'),
      keyState: text(r, 'keyState'),
      rotationEnabled: r.attributes.rotationEnabled ?? null,
    };
    // AWS rotates the keys it manages; asymmetric, HMAC and imported keys cannot rotate
    // automatically, and a key that is disabled or pending deletion encrypts nothing new.
    const applies =
      evidence.keyManager === 'CUSTOMER' &&
      (evidence.keySpec ?? 'SYMMETRIC_DEFAULT') === 'SYMMETRIC_DEFAULT' &&
      (evidence.origin ?? 'AWS_KMS') === 'AWS_KMS' &&
      evidence.keyState === 'Enabled';
    if (!applies) return pass(evidence);
    if (evidence.rotationEnabled === true) return pass(evidence);
    if (evidence.rotationEnabled === false) return fail(evidence, `KMS key ${r.name} does not rotate automatically.`);
    return notCollected(evidence, 'key rotation status (GetKeyRotationStatus)');
  },
};

const vpcFlowLogs: Rule = {
  id: 'aws.vpc.flow_logs',
  title: 'Every VPC has flow logs',
  category: 'security',
  provider: 'aws',
  types: ['vpc'],
  severity: 'medium',
  remediation: 'Create a flow log for the VPC (at least rejected traffic) to CloudWatch Logs or S3.',
  evaluate: (r) => {
    const flowLogsEnabled = flag(r, 'flowLogsEnabled');
    const evidence = { flowLogsEnabled, flowLogIds: r.attributes.flowLogIds ?? [] };
    if (flowLogsEnabled === undefined) return notCollected({}, 'flow-log status');
    return flowLogsEnabled ? pass(evidence) : fail(evidence, `VPC ${r.name} has no active flow log.`);
  },
};

const publicAccessFlags = [
  'blockPublicAcls',
  'ignorePublicAcls',
  'blockPublicPolicy',
  'restrictPublicBuckets',
] as const;

const s3PublicBlock: Rule = {
  id: 'aws.s3.public_block',
  title: 'S3 buckets block public access',
  category: 'security',
  provider: 'aws',
  types: ['bucket'],
  severity: 'high',
  remediation:
    'Turn on all four Block Public Access settings on the bucket (and on the account); serve public content through CloudFront instead.',
  fix: { action: 'block_public_access', title: 'Turn on all four Block Public Access settings' },
  // Account-level Block Public Access (S3 Control) is not collected: a bucket covered only by it fails here.
  evaluate: (r) => {
    if (!has(r, 'publicAccessBlock')) return notCollected({}, 'Block Public Access settings');
    const block = r.attributes.publicAccessBlock as Partial<Record<(typeof publicAccessFlags)[number], unknown>> | null;
    const policyPublic = flag(r, 'policyPublic') ?? false;
    const evidence = { publicAccessBlock: block, policyPublic };
    const off = block ? publicAccessFlags.filter((f) => block[f] !== true) : [...publicAccessFlags];
    if (off.length === 0) return pass(evidence);
    const what = block ? `has ${list(off)} off` : 'has no bucket-level Block Public Access';
    const policy = policyPublic ? ', and its bucket policy makes it public' : '';
    return fail(evidence, `Bucket ${r.name} ${what}${policy}.`);
  },
};

const s3TlsAndSse: Rule = {
  id: 'aws.s3.tls_and_sse',
  title: 'S3 buckets deny plain HTTP and encrypt by default',
  category: 'security',
  provider: 'aws',
  types: ['bucket'],
  severity: 'medium',
  remediation:
    'Add a bucket policy statement denying every request where aws:SecureTransport is false, and set default encryption (SSE-S3 or SSE-KMS).',
  // The inventory knows whether a bucket has a policy, not its statements: no policy means nothing
  // denies plain HTTP (a fail); a policy may or may not (manual).
  evaluate: (r) => {
    if (!has(r, 'encryption') || !has(r, 'hasPolicy')) return notCollected({}, 'encryption or bucket policy status');
    const encryption = text(r, 'encryption');
    const hasPolicy = flag(r, 'hasPolicy') ?? false;
    const evidence = { encryption, hasPolicy };
    const problems: string[] = [];
    if (!encryption) problems.push('has no default encryption');
    if (!hasPolicy) problems.push('has no bucket policy, so nothing denies plain-HTTP requests');
    if (problems.length > 0) return fail(evidence, `Bucket ${r.name} ${list(problems)}.`);
    return manual(
      evidence,
      `Bucket ${r.name} encrypts by default (${encryption}) and has a policy, but the inventory does not collect policy statements: check it denies requests where aws:SecureTransport is false.`,
    );
  },
};

const rdsEncrypted: Rule = {
  id: 'aws.rds.encrypted',
  title: 'RDS storage is encrypted',
  category: 'security',
  provider: 'aws',
  types: ['database'],
  severity: 'medium',
  remediation:
    'Encryption cannot be turned on in place: snapshot the database, copy the snapshot with encryption, restore from the copy and switch over.',
  evaluate: (r) => {
    const storageEncrypted = flag(r, 'storageEncrypted');
    const evidence = { storageEncrypted, kmsKeyId: text(r, 'kmsKeyId') };
    if (storageEncrypted === undefined) return notCollected({}, 'storage encryption status');
    return storageEncrypted ? pass(evidence) : fail(evidence, `Database ${r.name} stores its data unencrypted.`);
  },
};

const rdsNotPublic: Rule = {
  id: 'aws.rds.not_public',
  title: 'RDS databases are not publicly accessible',
  category: 'security',
  provider: 'aws',
  types: ['database'],
  severity: 'critical',
  remediation:
    'Modify the database to turn off public accessibility, and reach it from inside the VPC (a bastion, VPN or the application subnets).',
  evaluate: (r) => {
    const publiclyAccessible = flag(r, 'publiclyAccessible');
    const evidence = { publiclyAccessible, endpoint: text(r, 'endpoint') };
    if (publiclyAccessible === undefined) return notCollected({}, 'public accessibility setting');
    return publiclyAccessible
      ? fail(evidence, `Database ${r.name} is publicly accessible: its endpoint resolves to a public address.`)
      : pass(evidence);
  },
};

const rdsBackups: Rule = {
  id: 'aws.rds.backups',
  title: 'RDS automated backups are kept long enough',
  category: 'security',
  provider: 'aws',
  types: ['database'],
  severity: 'medium',
  remediation: 'Modify the database to keep automated backups for at least the required days.',
  thresholds: {
    backupRetentionDays: {
      env: 'SCAN_RDS_BACKUP_RETENTION_DAYS',
      default: 7,
      unit: 'days',
      description: 'The shortest automated-backup retention an RDS database may have.',
      min: 1,
      max: 35,
    },
  },
  evaluate: (r, ctx) => {
    const backupRetentionPeriod = count(r, 'backupRetentionPeriod');
    const evidence = { backupRetentionPeriod };
    if (backupRetentionPeriod === undefined) return notCollected({}, 'backup retention period');
    const want = ctx.threshold('backupRetentionDays');
    if (backupRetentionPeriod >= want) return pass(evidence);
    return backupRetentionPeriod === 0
      ? fail(evidence, `Database ${r.name} has automated backups turned off.`)
      : fail(
          evidence,
          `Database ${r.name} keeps automated backups ${backupRetentionPeriod} days (at least ${want} required).`,
        );
  },
};

const ebsEncrypted: Rule = {
  id: 'aws.ebs.encrypted',
  title: 'EBS volumes are encrypted',
  category: 'security',
  provider: 'aws',
  types: ['volume'],
  severity: 'medium',
  remediation:
    'Snapshot the volume, copy the snapshot with encryption and replace the volume with one from the copy; turn on EBS encryption by default in each region (a setting the inventory does not collect).',
  evaluate: (r) => {
    const encrypted = flag(r, 'encrypted');
    const evidence = { encrypted, kmsKeyId: text(r, 'kmsKeyId') };
    if (encrypted === undefined) return notCollected({}, 'encryption status');
    return encrypted ? pass(evidence) : fail(evidence, `Volume ${r.name} is not encrypted at rest.`);
  },
};

// --- Network and compute --------------------------------------------------------------------

interface Ingress {
  protocol: string;
  fromPort: number;
  toPort: number;
  cidrs: string[];
}

const worldCidrs = new Set(['0.0.0.0/0', '::/0']);
const adminPorts = [22, 3389];

const ingressOf = (r: Resource): Ingress[] | undefined => {
  const v = r.attributes.ingress;
  if (!Array.isArray(v)) return undefined;
  return v.map((i: Partial<Ingress>) => ({
    protocol: String(i.protocol ?? 'unknown'),
    fromPort: typeof i.fromPort === 'number' ? i.fromPort : 0,
    toPort: typeof i.toPort === 'number' ? i.toPort : 65535,
    cidrs: Array.isArray(i.cidrs) ? i.cidrs.map(String) : [],
  }));
};

/** All traffic, or TCP (`tcp`, or protocol number 6) over a port range holding SSH or RDP. */
const reachesAdminPort = (i: Ingress): boolean =>
  i.protocol === 'all' ||
  ((i.protocol === 'tcp' || i.protocol === '6') && adminPorts.some((p) => i.fromPort <= p && p <= i.toPort));

const describeIngress = (i: Ingress, cidr: string): string =>
  `${i.protocol === 'all' ? 'all traffic' : `${i.protocol} ${i.fromPort === i.toPort ? i.fromPort : `${i.fromPort}-${i.toPort}`}`} from ${cidr}`;

const sgAdminPorts: Rule = {
  id: 'aws.sg.admin_ports',
  title: 'No security group opens SSH, RDP or all ports to the internet; default groups allow nothing in',
  category: 'security',
  provider: 'aws',
  types: ['security_group'],
  severity: 'critical',
  remediation:
    'Remove the rule open to 0.0.0.0/0 or ::/0 and allow only known address ranges (or use Session Manager instead of SSH/RDP); empty the default security group and use groups of your own.',
  fix: { action: 'revoke_ingress', title: 'Revoke the world-open rule' },
  evaluate: (r) => {
    const ingress = ingressOf(r);
    if (!ingress) return notCollected({}, 'ingress rules');
    const open = ingress.flatMap((i) =>
      reachesAdminPort(i) ? i.cidrs.filter((c) => worldCidrs.has(c)).map((cidr) => ({ ...i, cidr })) : [],
    );
    // CIS: the default group of a VPC should allow nothing (egress is not collected, ingress is).
    const isDefault = r.name === 'default';
    const evidence = {
      ingress,
      worldOpen: open.map((o) => describeIngress(o, o.cidr)),
      ...(isDefault ? { defaultGroup: true } : {}),
    };
    const first = open[0];
    if (first) {
      const fixParams = {
        protocol: first.protocol,
        fromPort: String(first.fromPort),
        toPort: String(first.toPort),
        cidr: first.cidr,
      };
      return fail(evidence, `Security group ${r.name} allows ${list(evidence.worldOpen)}.`, { fixParams });
    }
    if (isDefault && ingress.length > 0)
      return fail(
        evidence,
        `Default security group ${r.id} allows inbound traffic (${ingress.length} rules); it should allow none.`,
      );
    return pass(evidence);
  },
};

const ec2Imdsv2: Rule = {
  id: 'aws.ec2.imdsv2',
  title: 'EC2 instances require IMDSv2',
  category: 'security',
  provider: 'aws',
  types: ['instance'],
  severity: 'high',
  remediation:
    'Modify the instance metadata options to require tokens (HttpTokens: required), after checking its software uses IMDSv2-aware SDKs.',
  evaluate: (r) => {
    const httpTokens = typeof r.attributes.httpTokens === 'string' ? r.attributes.httpTokens : null;
    const metadataEndpoint = typeof r.attributes.metadataEndpoint === 'string' ? r.attributes.metadataEndpoint : null;
    const evidence = { httpTokens, metadataEndpoint };
    // Synced before the inventory kept metadata options: the next sync brings them.
    if (httpTokens === null && metadataEndpoint === null)
      return manual(
        evidence,
        `The inventory has no metadata options (HttpTokens) for ${r.name} yet: the next sync collects them, or check that it requires IMDSv2.`,
      );
    if (metadataEndpoint === 'disabled' || httpTokens === 'required') return pass(evidence);
    return fail(evidence, `${r.name} accepts IMDSv1 requests (HttpTokens ${httpTokens ?? 'unknown'})`);
  },
};

export const awsSecurityRules: readonly Rule[] = [
  rootMfa,
  rootAccessKey,
  userMfa,
  staleCredentials,
  adminPolicy,
  passwordPolicy,
  multiRegionTrail,
  configAllRegions,
  kmsRotation,
  vpcFlowLogs,
  s3PublicBlock,
  s3TlsAndSse,
  rdsEncrypted,
  rdsNotPublic,
  ebsEncrypted,
  sgAdminPorts,
  ec2Imdsv2,
  detectorsEnabled,
  rdsBackups,
  logRetention,
];
