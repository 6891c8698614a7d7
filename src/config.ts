import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { DEFAULT_POLICY, loadPolicy, type Policy } from './changes/policy.ts';
import { parseAnalyticsConversations, parseWeeklyAt, type WeeklyAt } from './analytics/jobs.ts';
import { ConversationRef, Role } from './chat/actor.ts';
import { REMEDIATION_KEY, loadAutoRemediationRules, type AutoRemediationRule } from './incidents/remediation.ts';
import { parseIncidentRouting, type IncidentRouting } from './incidents/routing/config.ts';
import { readCloudsFile, type CloudsFile } from './cloud/clouds-config.ts';
import { parseDigestSettings, type DigestSettings } from './scans/digest.ts';
import { parseDigestReports, type DigestReport } from './scans/digest-reports.ts';
import { builtInFrameworks, type Framework } from './scans/frameworks/index.ts';
import { builtInRules } from './scans/rules/index.ts';
import { loadLists, loadThresholds, type ListValues, type ThresholdValues } from './scans/settings.ts';
import { AppError, isAppError, zodIssueLines } from './errors.ts';
import { isSecretName } from './observability/logger.ts';
import { decodeEncryptionKey } from './store/secret-box.ts';

/**
 * Every environment variable the app reads, parsed once by one schema. Nothing else reads
 * process.env. `.env.example` documents each variable; keep the two in step.
 */
const optionalString = z.string().trim().min(1).optional();
const csv = z.string().transform((s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean),
);

/** Durations like `30s`, `5m`, `2h`, `1d` (or plain milliseconds) → milliseconds. */
export const duration = z
  .string()
  .trim()
  .transform((s, ctx) => {
    const m = /^(\d+)\s*(ms|s|m|h|d)?$/.exec(s);
    if (!m) {
      ctx.addIssue({ code: 'custom', message: `expected a duration like 30s, 5m, 2h or 1d, got "${s}"` });
      return z.NEVER;
    }
    const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 'ms') as 'ms'];
    return Number(m[1]) * unit;
  });

/**
 * How long rows of a growing table are kept (src/engine/retention.ts): a duration at least
 * `floor`, or `0` / `off` to keep them forever.
 */
const retention = (floorMs: number, floor: string) =>
  z
    .string()
    .trim()
    .transform((s) => (s.toLowerCase() === 'off' ? '0' : s))
    .pipe(duration)
    .pipe(
      z.number().refine((ms) => ms === 0 || ms >= floorMs, `must be 0 or off (keep forever), or at least ${floor}`),
    );
const awsRegion = (message: string) =>
  z
    .string()
    .trim()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, message);
const endpointUrl = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' });

export const ConfigSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    /** NODE_ENV=production refuses unsafe settings (src/production-checks.ts); true only warns about them. */
    ALLOW_UNSAFE_PRODUCTION: z
      .enum(['true', 'false'])
      .default('false')
      .transform((v) => v === 'true'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    HOST: z.string().trim().min(1).default('127.0.0.1'),

    DATABASE_URL: z
      .url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// or postgresql:// URL' })
      .optional(),
    DATA_DIR: z.string().trim().min(1).default('./.data'),
    DB_POOL_MAX: z.coerce.number().int().min(1).max(100).default(10),

    CONSOLE_ENABLED: z.enum(['auto', 'true', 'false']).default('auto'),
    CONSOLE_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
    /** The URL people open the bot at: the dashboard's sign-in redirect URIs, its Origin check and Secure cookies. */
    PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
    /** How long a dashboard sign-in lasts, from sign-in (absolute). */
    DASHBOARD_SESSION_TTL: duration
      .pipe(
        z
          .number()
          .min(300_000, 'must be at least 5m')
          .max(30 * 86_400_000, 'must be at most 30d'),
      )
      .default(43_200_000),
    /** Sign in with Slack: the Slack app's client id and secret (default SLACK_CLIENT_ID / SLACK_CLIENT_SECRET). */
    DASHBOARD_SLACK_CLIENT_ID: optionalString,
    DASHBOARD_SLACK_CLIENT_SECRET: optionalString,
    /** Slack's OpenID issuer (tests point it at a fake). */
    DASHBOARD_SLACK_ISSUER: z.url().default('https://slack.com'),

    SANDBOX: z.enum(['auto', 'on', 'off']).default('auto'),
    /** Port of the standalone emulator (`npm run sandbox`); the app's own sandbox takes a free port. */
    /** Which clouds the sandbox emulates (comma-separated): all four by default. */
    SANDBOX_CLOUDS: csv
      .pipe(z.array(z.enum(['aws', 'azure', 'gcp', 'kubernetes'])).min(1))
      .default(['aws', 'azure', 'gcp', 'kubernetes']),
    SANDBOX_PORT: z.coerce.number().int().min(0).max(65535).default(4599),
    /** Unset: AWS_REGION, else AWS_DEFAULT_REGION, else us-east-1 (see loadConfig). */
    AWS_REGIONS: csv.pipe(z.array(awsRegion('must be AWS region names like eu-west-1')).min(1)).optional(),
    /** The AWS SDK's own region variable (and the CLI's): the region inventoried when AWS_REGIONS is unset. */
    AWS_REGION: awsRegion('must be an AWS region name like eu-west-1').optional(),
    AWS_DEFAULT_REGION: awsRegion('must be an AWS region name like eu-west-1').optional(),
    /** Read by the AWS SDK itself (all services, then EC2 only, which wins); checked here so a typo stops the start. */
    AWS_ENDPOINT_URL: endpointUrl.optional(),
    AWS_ENDPOINT_URL_EC2: endpointUrl.optional(),

    INVENTORY_SYNC_INTERVAL: duration.pipe(z.number().min(10_000, 'must be at least 10s')).default(300_000),
    APPROVAL_TTL: duration.pipe(z.number().min(60_000, 'must be at least 1m')).default(86_400_000),
    EXPIRY_CHECK_INTERVAL: duration.pipe(z.number().min(1000, 'must be at least 1s')).default(60_000),
    EXECUTION_LEASE: duration.pipe(z.number().min(3000, 'must be at least 3s')).default(60_000),
    /** Handled surface event ids are kept this long (redeliveries come within minutes). 0/off: forever. */
    RETENTION_PROCESSED_EVENTS: retention(3_600_000, '1h').default(7 * 86_400_000),
    /** Conversation messages not written for this long are deleted (live change cards stay). 0/off: forever. */
    RETENTION_MESSAGES: retention(86_400_000, '1d').default(90 * 86_400_000),
    BOOTSTRAP_ADMINS: csv.default([]),
    /** Role of a chat user the bot sees for the first time (admins change it with `grant`). */
    DEFAULT_ROLE: z.enum(['viewer', 'operator']).default('viewer'),
    /** YAML/JSON listing AWS accounts (roles), Azure subscriptions, GCP projects and kube contexts (src/cloud/clouds-config.ts). */
    CLOUDS_FILE: optionalString,
    /** Azure subscriptions to inventory (comma-separated ids), when CLOUDS_FILE does not list them. */
    AZURE_SUBSCRIPTION_IDS: csv.pipe(z.array(z.uuid({ error: 'must be subscription ids (UUIDs)' })).min(1)).optional(),
    /** GCP projects to inventory (comma-separated ids), when CLOUDS_FILE does not list them. */
    GCP_PROJECTS: csv
      .pipe(z.array(z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'must be GCP project ids')).min(1))
      .optional(),
    /** The kubeconfig to inventory (kubectl's own variable): every context, or KUBE_CONTEXTS. */
    KUBECONFIG: optionalString,
    KUBE_CONTEXTS: csv.pipe(z.array(z.string().min(1)).min(1)).optional(),
    /** Inventory sources listed at once (each provider × account × region is one source). */
    INVENTORY_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(4),
    /** How often daily metric aggregates (CloudWatch, metrics.k8s.io) are collected. */
    METRICS_INTERVAL: duration.pipe(z.number().min(300_000, 'must be at least 5m')).default(21_600_000),
    /** The longest a finding may stay suppressed, in days (`suppress … for <duration>`; 90 days when no duration is given). */
    /** When every workspace is scanned and its digests posted (cron, five fields), unless the workspace sets its own. */
    SCAN_SCHEDULE: z
      .string()
      .trim()
      .regex(/^\S+(\s+\S+){4}$/, 'must be a cron expression of five fields, like "0 7 * * *"')
      .default('0 7 * * *'),
    /** The time zone SCAN_SCHEDULE is read in (IANA name). */
    SCAN_SCHEDULE_TIMEZONE: z
      .string()
      .trim()
      .refine((tz) => {
        try {
          new Intl.DateTimeFormat('en-US', { timeZone: tz });
          return true;
        } catch {
          return false;
        }
      }, 'must be an IANA time zone, like UTC or Europe/Berlin')
      .default('UTC'),
    /** Tag keys naming a resource's owner for scan digests, in order of preference. */
    SCAN_OWNER_TAGS: optionalString,
    /** `<owner>=<surface>:<workspace>:<channel>,…`: where each owner's scan digest goes. */
    SCAN_DIGEST_ROUTES: optionalString,
    /** `<surface>:<workspace>:<channel>`: where the digests of owners without a route go. */
    SCAN_DIGEST_CONVERSATION: optionalString,
    /** The reports attached in each digest's thread: `csv`, `ocsf`, `html:<framework>` (comma-separated) or `none`. */
    SCAN_DIGEST_REPORTS: optionalString,
    SCAN_SUPPRESSION_MAX_DAYS: z.coerce.number().int().min(1).max(3650).default(365),
    /** How late an off-hours stop or start may still run (the app was down at its time); later ones are skipped as missed. */
    SCAN_OFF_HOURS_GRACE: duration.pipe(z.number().min(60_000, 'must be at least 1m')).default(3_600_000),
    /** Where the weekly team analytics summary goes: `<surface>:<workspace>:<channel>`, comma-separated (unset: not posted). */
    ANALYTICS_CONVERSATION: optionalString,
    /** When the weekly summary goes out: `<day> <HH:MM> [<IANA zone>]`. */
    ANALYTICS_WEEKLY_AT: z.string().trim().min(1).default('mon 09:00 UTC'),
    /** Where the scheduled drift check posts a non-empty drift report (`slack:<channel>`, `teams:<conversation>`, `console`). */
    DRIFT_CONVERSATION: optionalString,
    /** A JSON approval policy replacing the default one (src/changes/policy.ts), read at start. */
    POLICY_FILE: optionalString,
    /** Directories (comma-separated) of the workspace's own workflow templates, loaded after the built-in ones. */
    WORKFLOW_TEMPLATES_DIR: optionalString,

    /** PagerDuty V3 webhook signing secrets (comma-separated: during a rotation, old and new). Mounts /webhooks/pagerduty. */
    PAGERDUTY_WEBHOOK_SECRETS: csv.optional(),
    /** A PagerDuty REST API key (General Access or user token): the thread's Acknowledge, Resolve and Escalate buttons. */
    PAGERDUTY_API_TOKEN: optionalString,
    /** PagerDuty's REST API base URL (default https://api.pagerduty.com; a proxy, EU service region or a test fake). */
    PAGERDUTY_API_URL: optionalString.pipe(z.url('must be a URL like https://api.pagerduty.com').optional()),
    /** How long the PagerDuty client waits before each of its 3 retries of a 429 (pdjs's own default is 20 s). */
    PAGERDUTY_RETRY_TIMEOUT: duration.default(5_000),
    /** How often the incident inbox is swept for deliveries a stopped replica left unprocessed. */
    INCIDENT_INBOX_INTERVAL: duration.pipe(z.number().min(1_000, 'must be at least 1s')).default(10_000),
    /** Bearer tokens Alertmanager sends (`http_config.authorization.credentials`), comma-separated. Mounts /webhooks/alertmanager. */
    ALERTMANAGER_TOKENS: csv.optional(),
    /** Basic auth Alertmanager may send instead (`http_config.basic_auth`). */
    ALERTMANAGER_BASIC_AUTH_USER: optionalString,
    ALERTMANAGER_BASIC_AUTH_PASSWORD: optionalString,
    /** Where incident threads go: a YAML or JSON routing file (services → channel, email, webhooks; quiet hours; dedup). */
    INCIDENT_ROUTES_FILE: optionalString,
    /** The incident channel when no routing file names one (`<surface>:<workspace>:<channel>`); default: the console's channel. */
    INCIDENT_CHANNEL: optionalString,
    /** The role the bot files auto-remediations with (it must be allowed to request by the policy). */
    INCIDENT_REMEDIATION_ROLE: Role.default('operator'),
    /** How far back the diagnosis looks for changes (default 24h). */
    INCIDENT_LOOKBACK: duration.pipe(z.number().min(60_000, 'must be at least 1m')).default(86_400_000),
    /** SMTP server for incident emails: smtp://user:pass@host:587 or smtps://…:465. */
    SMTP_URL: optionalString.pipe(z.url('must be a URL like smtp://user:pass@mail.example.com:587').optional()),
    /** The From of incident emails. */
    SMTP_FROM: optionalString,

    SLACK_BOT_TOKEN: optionalString.pipe(
      z.string().startsWith('xoxb-', 'must be a bot token (xoxb-…, from OAuth & Permissions)').optional(),
    ),
    SLACK_SIGNING_SECRET: optionalString,
    // Slack's Socket Mode client retries a wrong token type forever: refuse it here instead.
    SLACK_APP_TOKEN: optionalString.pipe(
      z
        .string()
        .startsWith(
          'xapp-',
          'must be an app-level token (xapp-…, from Basic Information → App-Level Tokens, scope connections:write)',
        )
        .optional(),
    ),
    SLACK_CLIENT_ID: optionalString,
    SLACK_CLIENT_SECRET: optionalString,
    SLACK_STATE_SECRET: optionalString,
    SLACK_API_URL: z.url().optional(),
    SLACK_APPROVALS_CHANNEL: optionalString,
    /** OAuth installs: the Slack team (or Enterprise Grid org) ids allowed to install; empty = any. */
    SLACK_ALLOWED_TEAMS: csv.default([]),

    /**
     * Microsoft Teams (src/surfaces/teams): `auto` = on when TEAMS_APP_ID is set; `on` without an
     * app id = anonymous, for a local emulator only (refused in production); `off`.
     */
    TEAMS_ENABLED: z.enum(['auto', 'on', 'off']).default('auto'),
    /** The bot's Microsoft App ID (Entra app registration client id): inbound tokens must name it. */
    TEAMS_APP_ID: optionalString,
    /** The app registration's client secret (or TEAMS_CERT_PEM_FILE + TEAMS_CERT_KEY_FILE). */
    TEAMS_APP_PASSWORD: optionalString,
    TEAMS_CERT_PEM_FILE: optionalString,
    TEAMS_CERT_KEY_FILE: optionalString,
    /** Single-tenant app registration: its tenant id. Unset: multi-tenant. */
    TEAMS_TENANT_ID: optionalString,
    /** Tenant ids whose users may talk to the bot; empty = any (warned at start). */
    TEAMS_ALLOWED_TENANTS: csv.default([]),
    /** Conversation id that also gets every approval card, or TENANT:CONVERSATION pairs. */
    TEAMS_APPROVALS_CONVERSATION: optionalString,
    /** The Entra authority (default https://login.microsoftonline.com): a sovereign cloud, or the test stub. */
    TEAMS_AUTHORITY: z.url().optional(),
    /** Token issuers accepted besides Bot Framework's own (the SDK's `issuers`); default from the authority and tenant. */
    TEAMS_ISSUERS: csv.optional(),
    /** Microsoft Graph (scan reports uploaded to a channel's files); a national cloud's, or a test fake. */
    TEAMS_GRAPH_URL: z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
      .default('https://graph.microsoft.com/v1.0'),

    /** Set: plain-language requests are planned by Claude (src/engine/planner/claude/); unset: the command grammar only. */
    ANTHROPIC_API_KEY: optionalString,
    /** Another Messages API endpoint (a proxy or gateway; tests point it at a loopback fake). */
    ANTHROPIC_BASE_URL: z.url().optional(),
    ANTHROPIC_MODEL: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._:@/-]{1,99}$/, 'must be a model id like claude-sonnet-5-5')
      .default('claude-sonnet-5-5'),
    /** Tool calls the model may make in one turn before it must answer. */
    ANTHROPIC_MAX_TOOL_CALLS: z.coerce.number().int().min(1).max(50).default(10),
    /** Wall time of one turn's whole loop (model calls and tools), retries included. */
    ANTHROPIC_TURN_TIMEOUT: duration.pipe(z.number().min(5_000, 'must be at least 5s')).default(60_000),
    /** max_tokens of each model call. */
    ANTHROPIC_MAX_OUTPUT_TOKENS: z.coerce.number().int().min(256).max(64_000).default(4096),
    /** Retries of one model call on 429/529/5xx/timeouts (the SDK's backoff), before the grammar answers. */
    ANTHROPIC_MAX_RETRIES: z.coerce.number().int().min(0).max(10).default(2),
    /** Tokens (input, output, cache reads and writes) one workspace may use per calendar month (UTC); 0: no limit. */
    ANTHROPIC_MONTHLY_TOKEN_BUDGET: z.coerce.number().int().min(0).default(0),
    /** Earlier messages of a thread the model reads verbatim; older ones reach it as a short summary. */
    ANTHROPIC_HISTORY_MESSAGES: z.coerce.number().int().min(2).max(200).default(20),

    /** The commit this build runs (CI sets it), shown in devops_agent_build_info. */
    GIT_COMMIT: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be a commit id or tag (letters, digits, . _ -; at most 64)')
      .optional(),

    /** Base64 of 32 random bytes: encrypts stored credentials (Slack OAuth installations). Kept as text; store/secret-box.ts decodes it. */
    TOKEN_ENCRYPTION_KEY: z
      .string()
      .trim()
      .superRefine((s, ctx) => {
        const key = decodeEncryptionKey(s);
        if (typeof key === 'string') ctx.addIssue({ code: 'custom', message: key });
      })
      .optional(),
  })
  .superRefine((c, ctx) => {
    if (Boolean(c.DASHBOARD_SLACK_CLIENT_ID) !== Boolean(c.DASHBOARD_SLACK_CLIENT_SECRET))
      ctx.addIssue({
        code: 'custom',
        path: ['DASHBOARD_SLACK_CLIENT_SECRET'],
        message: 'DASHBOARD_SLACK_CLIENT_ID and DASHBOARD_SLACK_CLIENT_SECRET go together',
      });
    if (Boolean(c.ALERTMANAGER_BASIC_AUTH_USER) !== Boolean(c.ALERTMANAGER_BASIC_AUTH_PASSWORD))
      ctx.addIssue({
        code: 'custom',
        path: ['ALERTMANAGER_BASIC_AUTH_PASSWORD'],
        message: 'ALERTMANAGER_BASIC_AUTH_USER and ALERTMANAGER_BASIC_AUTH_PASSWORD go together',
      });
    if (c.SMTP_URL && !c.SMTP_FROM)
      ctx.addIssue({
        code: 'custom',
        path: ['SMTP_FROM'],
        message: 'is required with SMTP_URL (the From of incident emails)',
      });
    if (c.SLACK_BOT_TOKEN && !c.SLACK_SIGNING_SECRET && !c.SLACK_APP_TOKEN)
      ctx.addIssue({
        code: 'custom',
        path: ['SLACK_SIGNING_SECRET'],
        message: 'is required with SLACK_BOT_TOKEN (or set SLACK_APP_TOKEN for Socket Mode)',
      });
    if (c.SLACK_CLIENT_ID && (!c.SLACK_CLIENT_SECRET || !c.SLACK_STATE_SECRET))
      ctx.addIssue({
        code: 'custom',
        path: ['SLACK_CLIENT_SECRET'],
        message: 'SLACK_CLIENT_SECRET and SLACK_STATE_SECRET are required with SLACK_CLIENT_ID',
      });
    if (c.SLACK_CLIENT_ID && c.SLACK_BOT_TOKEN)
      ctx.addIssue({
        code: 'custom',
        path: ['SLACK_BOT_TOKEN'],
        message:
          'set either SLACK_BOT_TOKEN (one workspace) or SLACK_CLIENT_ID (OAuth installs, many workspaces), not both',
      });
    if (c.SLACK_CLIENT_ID && !c.SLACK_SIGNING_SECRET && !c.SLACK_APP_TOKEN)
      ctx.addIssue({
        code: 'custom',
        path: ['SLACK_SIGNING_SECRET'],
        message: 'is required with SLACK_CLIENT_ID (or set SLACK_APP_TOKEN for Socket Mode)',
      });
    if (c.SLACK_APP_TOKEN && !c.SLACK_BOT_TOKEN && !c.SLACK_CLIENT_ID)
      ctx.addIssue({
        code: 'custom',
        path: ['SLACK_APP_TOKEN'],
        message: 'Socket Mode also needs SLACK_BOT_TOKEN (or SLACK_CLIENT_ID for OAuth installs)',
      });
    if (c.TEAMS_APP_ID && !c.TEAMS_APP_PASSWORD && !(c.TEAMS_CERT_PEM_FILE && c.TEAMS_CERT_KEY_FILE))
      ctx.addIssue({
        code: 'custom',
        path: ['TEAMS_APP_PASSWORD'],
        message:
          "is required with TEAMS_APP_ID (the app registration's client secret), or set TEAMS_CERT_PEM_FILE and TEAMS_CERT_KEY_FILE",
      });
    if (Boolean(c.TEAMS_CERT_PEM_FILE) !== Boolean(c.TEAMS_CERT_KEY_FILE))
      ctx.addIssue({
        code: 'custom',
        path: [c.TEAMS_CERT_PEM_FILE ? 'TEAMS_CERT_KEY_FILE' : 'TEAMS_CERT_PEM_FILE'],
        message: 'TEAMS_CERT_PEM_FILE and TEAMS_CERT_KEY_FILE go together',
      });
    if (c.SLACK_CLIENT_ID && !c.TOKEN_ENCRYPTION_KEY)
      ctx.addIssue({
        code: 'custom',
        path: ['TOKEN_ENCRYPTION_KEY'],
        message:
          'is required with SLACK_CLIENT_ID: stored Slack installations (bot tokens) are encrypted with it (generate one with: openssl rand -base64 32, and keep it safe)',
      });
  });

export type RawConfig = z.infer<typeof ConfigSchema>;

export interface Config extends RawConfig {
  /** Regions the AWS provider inventories: AWS_REGIONS, else AWS_REGION, else AWS_DEFAULT_REGION, else us-east-1. */
  AWS_REGIONS: string[];
  /**
   * The EC2 endpoint the environment configures for the AWS SDK (AWS_ENDPOINT_URL_EC2, else
   * AWS_ENDPOINT_URL; none when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true). The SDK applies it by
   * itself; it decides `sandbox` and is shown at start.
   */
  awsEndpoint: string | undefined;
  /** Whether the web console is served (on by default only on loopback). */
  consoleEnabled: boolean;
  /** True when the app runs against its local cloud emulator. */
  sandbox: boolean;
  /** The approval policy: POLICY_FILE's, or the default. */
  policy: Policy;
  /** Auto-remediation rules: the list of POLICY_FILE's REMEDIATION_KEY (none by default). */
  remediationRules: AutoRemediationRule[];
  /** INCIDENT_ROUTES_FILE, checked (webhook secrets read from the variables it names). */
  incidentRouting: IncidentRouting | undefined;
  /** What the inventory covers beyond the sandbox (CLOUDS_FILE merged with the per-cloud variables). */
  clouds: CloudsFile;
  /** True when the AWS SDK's default chain has credentials in the environment. */
  awsCredentials: boolean;
  /** AZURE_CLIENT_SECRET, for the service principal CLOUDS_FILE or AZURE_CLIENT_ID names (redacted in logs). */
  azureClientSecret: string | undefined;
  /** The scan rules' thresholds as set by their SCAN_* variables (defaults otherwise). */
  scanThresholds: ThresholdValues;
  /** The scan rules' list settings (SCAN_OFF_HOURS_ENVS), defaults otherwise. */
  scanLists: ListValues;
  /** Owner tags and where each owner's scan digest goes. */
  scanDigests: DigestSettings;
  /** The compliance frameworks the scans score (the shipped mapping file, checked against the rules). */
  frameworks: readonly Framework[];
  /** SCAN_DIGEST_REPORTS, checked against the frameworks. */
  scanDigestReports: readonly DigestReport[];
  /** ANALYTICS_CONVERSATION and ANALYTICS_WEEKLY_AT, checked: where and when the weekly analytics summary goes. */
  analyticsWeekly: { conversations: ConversationRef[]; at: WeeklyAt };
}

export class ConfigError extends AppError {
  readonly problems: string[];
  constructor(problems: string[]) {
    super('config_invalid', `invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

const loopback = (host: string): boolean => ['127.0.0.1', 'localhost', '::1'].includes(host) || host.startsWith('127.');

/** AWS credentials the SDK's default chain would find in the environment. */
const hasAwsCredentials = (env: Record<string, string | undefined>): boolean =>
  Boolean(
    env.AWS_ACCESS_KEY_ID ||
    env.AWS_PROFILE ||
    env.AWS_WEB_IDENTITY_TOKEN_FILE ||
    env.AWS_CONTAINER_CREDENTIALS_FULL_URI ||
    env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI,
  );

/** Parses the environment. Empty strings count as unset. Throws ConfigError with one line per problem. */
export const loadConfig = (env: Record<string, string | undefined>): Config => {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = ConfigSchema.safeParse(cleaned);
  if (!parsed.success) {
    const problems = zodIssueLines(parsed.error, '(config)');
    // Every problem at once: the policy file too, though other variables are wrong.
    const file = cleaned.POLICY_FILE?.trim();
    if (file && !problems.some((p) => p.startsWith('POLICY_FILE:'))) readPolicyFile(file, problems);
    throw new ConfigError(problems);
  }
  const c = parsed.data;
  const problems: string[] = [];
  let consoleEnabled =
    c.CONSOLE_ENABLED === 'true' || (c.CONSOLE_ENABLED === 'auto' && (loopback(c.HOST) || Boolean(c.CONSOLE_TOKEN)));
  if (c.CONSOLE_ENABLED === 'true' && !loopback(c.HOST) && !c.CONSOLE_TOKEN) {
    problems.push(`CONSOLE_TOKEN: is required when the console is enabled on a non-loopback HOST (${c.HOST})`);
    consoleEnabled = false;
  }
  const awsEndpoint =
    // The SDK's own rule: exactly "true" turns the configured endpoints off.
    env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS === 'true' ? undefined : (c.AWS_ENDPOINT_URL_EC2 ?? c.AWS_ENDPOINT_URL);
  const file = c.CLOUDS_FILE ? (readCloudsFile(c.CLOUDS_FILE, problems) ?? {}) : {};
  const clouds: CloudsFile = {
    ...file,
    ...(!file.azure && c.AZURE_SUBSCRIPTION_IDS
      ? {
          azure: {
            subscriptions: c.AZURE_SUBSCRIPTION_IDS.map((id) => ({ id })),
            ...(env.AZURE_TENANT_ID ? { tenantId: env.AZURE_TENANT_ID } : {}),
            ...(env.AZURE_CLIENT_ID ? { clientId: env.AZURE_CLIENT_ID } : {}),
          },
        }
      : {}),
    ...(!file.gcp && c.GCP_PROJECTS ? { gcp: { projects: c.GCP_PROJECTS.map((id) => ({ id })) } } : {}),
    ...(!file.kubernetes && c.KUBECONFIG
      ? { kubernetes: { kubeconfig: c.KUBECONFIG, ...(c.KUBE_CONTEXTS ? { contexts: c.KUBE_CONTEXTS } : {}) } }
      : {}),
  };
  const anyCloud = Boolean(clouds.aws || clouds.azure || clouds.gcp || clouds.kubernetes);
  const sandbox = c.SANDBOX === 'on' || (c.SANDBOX === 'auto' && !hasAwsCredentials(env) && !awsEndpoint && !anyCloud);
  const AWS_REGIONS = c.AWS_REGIONS ?? [c.AWS_REGION ?? c.AWS_DEFAULT_REGION ?? 'us-east-1'];
  const { policy, remediationRules } = c.POLICY_FILE
    ? readPolicyFile(c.POLICY_FILE, problems)
    : { policy: DEFAULT_POLICY, remediationRules: [] };
  const scanThresholds = oneLine(problems, () => loadThresholds(builtInRules, env), new Map());
  const scanLists = oneLine(problems, () => loadLists(builtInRules, env), new Map());
  const scanDigests = oneLine(problems, () => parseDigestSettings(c), {
    ownerTags: ['owner', 'team'],
    routes: new Map(),
  });
  const frameworks = oneLine(problems, () => builtInFrameworks(new Set(builtInRules.map((r) => r.id))), []);
  const scanDigestReports = oneLine(problems, () => parseDigestReports(c.SCAN_DIGEST_REPORTS, frameworks), []);
  const analyticsWeekly = {
    conversations: oneLine(problems, () => parseAnalyticsConversations(c.ANALYTICS_CONVERSATION), []),
    at: oneLine(problems, () => parseWeeklyAt(c.ANALYTICS_WEEKLY_AT), parseWeeklyAt('mon 09:00 UTC')),
  };
  const incidentRouting = c.INCIDENT_ROUTES_FILE
    ? oneLine(problems, () => readRoutingFile(c.INCIDENT_ROUTES_FILE!, env), undefined)
    : undefined;
  problems.push(...incidentChannelProblems(c, consoleEnabled, incidentRouting, analyticsWeekly.conversations));
  if (problems.length) throw new ConfigError(problems);
  return {
    ...c,
    AWS_REGIONS,
    awsEndpoint,
    consoleEnabled,
    sandbox,
    policy,
    remediationRules,
    incidentRouting,
    clouds,
    awsCredentials: hasAwsCredentials(env),
    azureClientSecret: env.AZURE_CLIENT_SECRET || undefined,
    scanThresholds,
    scanLists,
    scanDigests,
    scanDigestReports,
    frameworks,
    analyticsWeekly,
  };
};

/** Runs a loader whose errors are one line each (scan thresholds, the mapping file): a failure becomes a problem. */
const oneLine = <T>(problems: string[], load: () => T, fallback: T): T => {
  try {
    return load();
  } catch (e) {
    problems.push(e instanceof Error ? e.message : String(e));
    return fallback;
  }
};

/**
 * Reads and checks the policy document; a problem becomes one line naming POLICY_FILE. Its
 * list of incident auto-remediation rules (REMEDIATION_KEY) is checked by its own schema.
 */
const readPolicyFile = (
  file: string,
  problems: string[],
): { policy: Policy; remediationRules: AutoRemediationRule[] } => {
  const none = { policy: DEFAULT_POLICY, remediationRules: [] };
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    const why =
      (e as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'no such file'
        : e instanceof SyntaxError
          ? `not valid JSON (${e.message})`
          : String(e);
    problems.push(`POLICY_FILE: cannot read ${file}: ${why}`);
    return none;
  }
  const { [REMEDIATION_KEY]: rules, ...rest } =
    doc && typeof doc === 'object' && !Array.isArray(doc) ? (doc as Record<string, unknown>) : {};
  let policy = DEFAULT_POLICY;
  let remediationRules: AutoRemediationRule[] = [];
  try {
    policy = loadPolicy(doc && typeof doc === 'object' && !Array.isArray(doc) ? rest : doc);
  } catch (e) {
    problems.push(`POLICY_FILE: ${isAppError(e) ? e.userMessage : String(e)}`);
  }
  if (rules !== undefined)
    try {
      remediationRules = loadAutoRemediationRules(rules);
    } catch (e) {
      problems.push(`POLICY_FILE: ${REMEDIATION_KEY}: ${isAppError(e) ? e.userMessage : String(e)}`);
    }
  return { policy, remediationRules };
};

/**
 * INCIDENT_CHANNEL or DRIFT_CONVERSATION malformed, or a conversation the bot posts to by itself
 * (INCIDENT_CHANNEL, the routing file's channels, DRIFT_CONVERSATION, ANALYTICS_CONVERSATION) on a
 * surface this configuration does not run: every incident, drift report or summary meant for it
 * would go nowhere. The surfaces' rules are src/surfaces/{slack,teams}/enabled.ts's (this layer may not
 * import them). INCIDENT_CHANNEL is checked for its surface only when no routing file replaces it.
 */
const incidentChannelProblems = (
  c: Pick<
    Config,
    'INCIDENT_CHANNEL' | 'DRIFT_CONVERSATION' | 'SLACK_BOT_TOKEN' | 'SLACK_CLIENT_ID' | 'TEAMS_ENABLED' | 'TEAMS_APP_ID'
  >,
  consoleEnabled: boolean,
  routing: IncidentRouting | undefined,
  analyticsConversations: readonly ConversationRef[],
): string[] => {
  const off = (surface: ConversationRef['surface']): string | undefined => {
    if (surface === 'slack')
      return c.SLACK_BOT_TOKEN || c.SLACK_CLIENT_ID
        ? undefined
        : 'Slack is not configured (SLACK_BOT_TOKEN or SLACK_CLIENT_ID)';
    if (surface === 'teams')
      return c.TEAMS_ENABLED === 'on' || (c.TEAMS_ENABLED === 'auto' && c.TEAMS_APP_ID)
        ? undefined
        : 'Teams is not enabled (TEAMS_APP_ID)';
    return consoleEnabled ? undefined : 'the web console is off';
  };
  const named = (x: Pick<ConversationRef, 'surface' | 'workspaceId' | 'channelId'>) =>
    `${x.surface}:${x.workspaceId}:${x.channelId}`;
  const problems: string[] = [];
  if (c.INCIDENT_CHANNEL) {
    const [surface, workspaceId, ...channel] = c.INCIDENT_CHANNEL.split(':');
    const parsed = ConversationRef.safeParse({ surface, workspaceId, channelId: channel.join(':') });
    const reason = parsed.success ? off(parsed.data.surface) : undefined;
    if (!parsed.success)
      problems.push(
        `INCIDENT_CHANNEL: must be <surface>:<workspace>:<channel> with surface slack, teams or console, got "${c.INCIDENT_CHANNEL}"`,
      );
    else if (reason && !routing)
      problems.push(`INCIDENT_CHANNEL: ${named(parsed.data)} is on a surface that does not run: ${reason}`);
  }
  if (c.DRIFT_CONVERSATION) {
    const [surface, workspaceId, ...channel] = c.DRIFT_CONVERSATION.split(':');
    const parsed = ConversationRef.safeParse({ surface, workspaceId, channelId: channel.join(':') });
    const reason = parsed.success ? off(parsed.data.surface) : undefined;
    if (!parsed.success)
      problems.push(
        `DRIFT_CONVERSATION: must be <surface>:<workspace>:<channel> with surface slack, teams or console, got "${c.DRIFT_CONVERSATION}"`,
      );
    else if (reason)
      problems.push(`DRIFT_CONVERSATION: ${named(parsed.data)} is on a surface that does not run: ${reason}`);
  }
  for (const a of analyticsConversations) {
    const reason = off(a.surface);
    if (reason) problems.push(`ANALYTICS_CONVERSATION: ${named(a)} is on a surface that does not run: ${reason}`);
  }
  if (routing) {
    const channels = [
      { path: 'defaultChannel', channel: routing.defaultChannel },
      ...routing.services.flatMap((s, i) => (s.channel ? [{ path: `services.${i}.channel`, channel: s.channel }] : [])),
    ];
    for (const { path, channel } of channels) {
      const reason = off(channel.surface);
      if (reason)
        problems.push(`INCIDENT_ROUTES_FILE: ${path}: ${named(channel)} is on a surface that does not run: ${reason}`);
    }
  }
  return problems;
};

/** INCIDENT_ROUTES_FILE's document; a problem is one line naming the variable. */
const readRoutingFile = (file: string, env: Record<string, string | undefined>): IncidentRouting => {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new AppError(
      'config_invalid',
      `INCIDENT_ROUTES_FILE: cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String(e)}`,
    );
  }
  try {
    return parseIncidentRouting(text, env);
  } catch (e) {
    throw new AppError('config_invalid', `INCIDENT_ROUTES_FILE: ${isAppError(e) ? e.userMessage : String(e)}`);
  }
};

/** The config with secrets masked (the logger's one list decides what is secret), for the start-up log. */
export const redactedConfig = (c: Config): Record<string, unknown> =>
  Object.fromEntries(Object.entries(c).map(([k, v]) => [k, isSecretName(k) && v !== undefined ? '[redacted]' : v]));
