import type { SandboxIam, SandboxIamUser } from './model.ts';
import type { QueryHandler } from './rds.ts';
import { ServiceError, defined, intParam, iso, pageOf, xmlList } from './wire.ts';
import type { Params, ServiceCall, XmlNode } from './wire.ts';

/**
 * IAM over its Query API (version 2010-05-08, `member` list items, `IsTruncated`/`Marker` paging):
 * users, login profiles, MFA devices, attached policies, access keys and their last use, the
 * password policy, the account summary and the credential report (CSV, base64 on the wire).
 */

export const iamVersion = '2010-05-08';
export const iamNamespace = 'https://iam.amazonaws.com/doc/2010-05-08/';

const members = (items: XmlNode[]) => xmlList('member', items);
const badMarker = () => new ServiceError('ValidationError', 'Invalid Marker.');
const maxItems = (params: Params) => {
  const bad = () => new ServiceError('ValidationError', `Invalid MaxItems ${params.MaxItems}: must be 1 to 1000.`);
  const n = intParam(params.MaxItems, bad);
  if (n !== undefined && (n < 1 || n > 1000)) throw bad();
  return n;
};

/** IsTruncated/Marker over a list. */
const paged = <T>(call: ServiceCall, params: Params, all: T[], key: string, toXml: (t: T) => XmlNode): XmlNode => {
  const page = pageOf(all, params.Marker, maxItems(params), call, badMarker());
  return defined({ [key]: members(page.items.map(toXml)), IsTruncated: page.next !== undefined, Marker: page.next });
};

const userOf = (iam: SandboxIam, name: string | undefined): SandboxIamUser => {
  const u = iam.users.find((x) => x.name === name);
  if (!u) throw new ServiceError('NoSuchEntity', `The user with name ${name ?? ''} cannot be found.`, 404);
  return u;
};

const userArn = (call: ServiceCall, name: string) => `arn:aws:iam::${call.account.accountId}:user/${name}`;

const yesNo = (b: boolean) => (b ? 'true' : 'false');
const dateOr = (d: Date | undefined, none: string) => (d ? iso(d).replace(/\.\d{3}Z$/, '+00:00') : none);

/** The credential report's CSV, as IAM writes it (header line, root first, `N/A` where a column does not apply). */
export const credentialReportCsv = (call: ServiceCall): string => {
  const { iam } = call.account;
  const header =
    'user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,' +
    'mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,' +
    'access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,' +
    'access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated';
  const keyCols = (k: SandboxIamUser['accessKeys'][number] | undefined) =>
    k
      ? [
          yesNo(k.status === 'Active'),
          dateOr(k.createDate, 'N/A'),
          dateOr(k.lastUsed?.date, 'N/A'),
          k.lastUsed?.region ?? 'N/A',
          k.lastUsed?.service ?? 'N/A',
        ]
      : ['false', 'N/A', 'N/A', 'N/A', 'N/A'];
  const root = [
    '<root_account>',
    `arn:aws:iam::${call.account.accountId}:root`,
    dateOr(iam.rootCreateDate, 'N/A'),
    'not_supported',
    dateOr(iam.rootPasswordLastUsed, 'no_information'),
    'not_supported',
    'not_supported',
    yesNo(iam.rootMfa),
    ...keyCols(undefined),
    ...keyCols(undefined),
    'false',
    'N/A',
    'false',
    'N/A',
  ];
  if (iam.rootAccessKeys) root.splice(8, 1, 'true');
  const rows = iam.users.map((u) => {
    const policy = iam.passwordPolicy;
    const next =
      u.loginProfile && policy?.maxPasswordAge
        ? dateOr(new Date(u.loginProfile.getTime() + policy.maxPasswordAge * 86_400_000), 'N/A')
        : 'N/A';
    return [
      u.name,
      userArn(call, u.name),
      dateOr(u.createDate, 'N/A'),
      yesNo(u.loginProfile !== undefined),
      u.loginProfile ? dateOr(u.passwordLastUsed, 'no_information') : 'N/A',
      dateOr(u.loginProfile, 'N/A'),
      next,
      yesNo(u.mfaDevices.length > 0),
      ...keyCols(u.accessKeys[0]),
      ...keyCols(u.accessKeys[1]),
      'false',
      'N/A',
      'false',
      'N/A',
    ];
  });
  return [header, ...[root, ...rows].map((r) => r.join(','))].join('\n');
};

export const iamHandlers: Record<string, QueryHandler> = {
  ListUsers: (call, params) =>
    paged(call, params, call.account.iam.users, 'Users', (u) =>
      defined({
        Path: '/',
        UserName: u.name,
        UserId: u.id,
        Arn: userArn(call, u.name),
        CreateDate: iso(u.createDate),
        PasswordLastUsed: u.passwordLastUsed ? iso(u.passwordLastUsed) : undefined,
      }),
    ),
  ListUserTags: (call, params) => {
    const u = userOf(call.account.iam, params.UserName);
    return paged(call, params, Object.entries(u.tags), 'Tags', ([Key, Value]) => ({ Key, Value }));
  },
  GetLoginProfile: (call, params) => {
    const u = userOf(call.account.iam, params.UserName);
    if (!u.loginProfile)
      throw new ServiceError('NoSuchEntity', `Login Profile for User ${u.name} cannot be found.`, 404);
    return { LoginProfile: { UserName: u.name, CreateDate: iso(u.loginProfile), PasswordResetRequired: false } };
  },
  ListMFADevices: (call, params) => {
    const u = userOf(call.account.iam, params.UserName);
    return paged(call, params, u.mfaDevices, 'MFADevices', (d) => ({
      UserName: u.name,
      SerialNumber: d.serial,
      EnableDate: iso(d.enableDate),
    }));
  },
  ListAttachedUserPolicies: (call, params) => {
    const u = userOf(call.account.iam, params.UserName);
    return paged(call, params, u.attachedPolicies, 'AttachedPolicies', (p) => ({
      PolicyName: p.name,
      PolicyArn: p.arn,
    }));
  },
  ListAccessKeys: (call, params) => {
    const u = userOf(call.account.iam, params.UserName);
    return paged(call, params, u.accessKeys, 'AccessKeyMetadata', (k) => ({
      UserName: u.name,
      AccessKeyId: k.id,
      Status: k.status,
      CreateDate: iso(k.createDate),
    }));
  },
  GetAccessKeyLastUsed: (call, params) => {
    for (const u of call.account.iam.users) {
      const k = u.accessKeys.find((x) => x.id === params.AccessKeyId);
      if (!k) continue;
      return {
        UserName: u.name,
        AccessKeyLastUsed: k.lastUsed
          ? { LastUsedDate: iso(k.lastUsed.date), ServiceName: k.lastUsed.service, Region: k.lastUsed.region }
          : { ServiceName: 'N/A', Region: 'N/A' },
      };
    }
    throw new ServiceError(
      'AccessDenied',
      'User is not authorized to perform iam:GetAccessKeyLastUsed on this key',
      403,
    );
  },
  GetAccountPasswordPolicy: (call) => {
    const p = call.account.iam.passwordPolicy;
    if (!p)
      throw new ServiceError(
        'NoSuchEntity',
        `The Password Policy with domain name ${call.account.accountId} cannot be found.`,
        404,
      );
    return {
      PasswordPolicy: defined({
        MinimumPasswordLength: p.minimumPasswordLength,
        RequireSymbols: p.requireSymbols,
        RequireNumbers: p.requireNumbers,
        RequireUppercaseCharacters: p.requireUppercase,
        RequireLowercaseCharacters: p.requireLowercase,
        AllowUsersToChangePassword: p.allowUsersToChangePassword,
        ExpirePasswords: p.maxPasswordAge !== undefined,
        MaxPasswordAge: p.maxPasswordAge,
        PasswordReusePrevention: p.passwordReusePrevention,
        HardExpiry: p.hardExpiry,
      }),
    };
  },
  GetAccountSummary: (call) => {
    const { iam } = call.account;
    const summary: Record<string, number> = {
      Users: iam.users.length,
      UsersQuota: 5000,
      MFADevices: iam.users.reduce((n, u) => n + u.mfaDevices.length, 0),
      MFADevicesInUse: iam.users.reduce((n, u) => n + u.mfaDevices.length, 0),
      AccountMFAEnabled: iam.rootMfa ? 1 : 0,
      AccountAccessKeysPresent: iam.rootAccessKeys ? 1 : 0,
      AccountSigningCertificatesPresent: 0,
      AccessKeysPerUserQuota: 2,
    };
    return { SummaryMap: { entry: Object.entries(summary).map(([key, value]) => ({ key, value })) } };
  },
  GenerateCredentialReport: (call) => {
    const { iam } = call.account;
    const fresh = iam.report && call.now().getTime() - iam.report.generated.getTime() < 4 * 3_600_000;
    if (!fresh) {
      iam.report = { generated: call.now(), ready: false };
      return { State: 'STARTED', Description: 'No report exists. Starting a new report generation task' };
    }
    return { State: iam.report?.ready ? 'COMPLETE' : 'INPROGRESS' };
  },
  GetCredentialReport: (call) => {
    const { iam } = call.account;
    if (!iam.report)
      throw new ServiceError('ReportNotPresent', 'Credential report not present. Call GenerateCredentialReport.', 410);
    if (!iam.report.ready) {
      if (iam.reportDelayCalls > 0) {
        iam.reportDelayCalls -= 1;
        throw new ServiceError('ReportInProgress', 'Credential report is still being generated.', 404);
      }
      iam.report.ready = true;
    }
    return {
      Content: Buffer.from(credentialReportCsv(call)).toString('base64'),
      ReportFormat: 'text/csv',
      GeneratedTime: iso(iam.report.generated),
    };
  },
};
