import {
  GenerateCredentialReportCommand,
  GetAccessKeyLastUsedCommand,
  GetAccountPasswordPolicyCommand,
  GetAccountSummaryCommand,
  GetCredentialReportCommand,
  GetLoginProfileCommand,
  IAMClient,
  paginateListAccessKeys,
  paginateListAttachedUserPolicies,
  paginateListMFADevices,
  paginateListUserTags,
  paginateListUsers,
} from '@aws-sdk/client-iam';
import type { User } from '@aws-sdk/client-iam';
import type { Resource } from '../../resource.ts';
import { instrumentAwsClient } from '../clients.ts';
import {
  awsCodeOf,
  clampPage,
  day,
  isoOrNull,
  listing,
  mapLimit,
  row,
  settingsFor,
  tagsOf,
  unlessMissing,
} from './common.ts';
import { parseCredentialReport, rootUser } from './credential-report.ts';
import type { CredentialReportRow } from './credential-report.ts';
import type { AwsServiceContext, AwsServiceLister } from './types.ts';

/**
 * IAM, once per account (rows in region `global`): users (`iam_user`, id `user/<name>`), their
 * access keys (`access_key`, id the key id) and one `account_settings` row (id `account-settings`):
 * password policy, root MFA and root keys from the account summary, root's last use from the
 * credential report. The admin flag reads the user's attached managed policies only (not groups or
 * inline policies).
 */

const adminPolicyArn = 'arn:aws:iam::aws:policy/AdministratorAccess';

export interface IamListerOptions {
  /** GetCredentialReport tries while IAM is still generating (default 5). */
  reportAttempts?: number;
  /** Wait between those tries (default 2 s; IAM usually takes a few seconds). */
  reportWaitMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

type Send = IAMClient['send'];

const all = async <T>(pages: AsyncIterable<T>): Promise<T[]> => {
  const out: T[] = [];
  for await (const p of pages) out.push(p);
  return out;
};

/** Generates (or reuses, if fresh) the credential report and reads it; undefined when IAM is not done after the tries. */
const credentialReport = async (
  client: IAMClient,
  opts: { abortSignal?: AbortSignal | undefined },
  o: Required<IamListerOptions>,
): Promise<{ rows: CredentialReportRow[]; generated: Date | undefined } | undefined> => {
  await client.send(new GenerateCredentialReportCommand({}), opts);
  for (let attempt = 1; attempt <= o.reportAttempts; attempt++) {
    try {
      const out = await client.send(new GetCredentialReportCommand({}), opts);
      const csv = out.Content ? Buffer.from(out.Content).toString('utf8') : '';
      return { rows: parseCredentialReport(csv), generated: out.GeneratedTime };
    } catch (e) {
      const code = awsCodeOf(e);
      if (code !== 'ReportInProgress' && code !== 'ReportNotPresent') throw e;
      if (attempt < o.reportAttempts) await o.sleep(o.reportWaitMs);
    }
  }
  return undefined;
};

const userRows = async (
  ctx: AwsServiceContext,
  client: IAMClient,
  u: User,
  report: CredentialReportRow | undefined,
  pageSize: number,
): Promise<Resource[]> => {
  const opts = { abortSignal: ctx.signal };
  const UserName = u.UserName ?? '';
  const send: Send = client.send.bind(client);
  const [login, mfa, policies, keys, tagPages] = await Promise.all([
    unlessMissing(send(new GetLoginProfileCommand({ UserName }), opts), ['NoSuchEntity']),
    all(paginateListMFADevices({ client, pageSize }, { UserName }, opts)),
    all(paginateListAttachedUserPolicies({ client, pageSize }, { UserName }, opts)),
    all(paginateListAccessKeys({ client, pageSize }, { UserName }, opts)),
    all(paginateListUserTags({ client, pageSize }, { UserName }, opts)),
  ]);
  const tags = tagsOf(tagPages.flatMap((p) => p.Tags ?? []));
  const attached = policies.flatMap((p) => p.AttachedPolicies ?? []);
  const mfaDevices = mfa.flatMap((p) => p.MFADevices ?? []);
  const keyList = keys.flatMap((p) => p.AccessKeyMetadata ?? []);
  const lastUsed = await Promise.all(
    keyList.map((k) => send(new GetAccessKeyLastUsedCommand({ AccessKeyId: k.AccessKeyId }), opts)),
  );
  const daysSince = (d: Date | undefined) => (d ? Math.floor((ctx.seenAt.getTime() - d.getTime()) / day) : null);
  const user = row(ctx, {
    type: 'iam_user',
    id: `user/${UserName}`,
    name: UserName,
    region: 'global',
    state: 'active',
    tags,
    priceless: true,
    attributes: {
      arn: u.Arn ?? null,
      userId: u.UserId ?? null,
      createDate: isoOrNull(u.CreateDate),
      consoleAccess: login !== undefined,
      passwordLastUsed: isoOrNull(u.PasswordLastUsed),
      passwordLastChanged: report?.passwordLastChanged ?? null,
      passwordNextRotation: report?.passwordNextRotation ?? null,
      mfaEnabled: mfaDevices.length > 0,
      mfaDevices: mfaDevices.length,
      adminPolicy: attached.some((p) => p.PolicyArn === adminPolicyArn),
      attachedPolicies: attached.map((p) => p.PolicyName ?? p.PolicyArn ?? ''),
      accessKeys: keyList.length,
      activeAccessKeys: keyList.filter((k) => k.Status === 'Active').length,
    },
  });
  const keyRows = keyList.map((k, n) => {
    const used = lastUsed[n]?.AccessKeyLastUsed;
    return row(ctx, {
      type: 'access_key',
      id: k.AccessKeyId ?? 'unknown',
      name: `${UserName} ${k.AccessKeyId ?? ''}`.trim(),
      region: 'global',
      state: (k.Status ?? 'unknown').toLowerCase(),
      tags,
      priceless: true,
      attributes: {
        user: UserName,
        status: k.Status ?? null,
        createDate: isoOrNull(k.CreateDate),
        ageDays: daysSince(k.CreateDate),
        lastUsedDate: isoOrNull(used?.LastUsedDate),
        daysSinceLastUse: daysSince(used?.LastUsedDate),
        lastUsedService: used?.ServiceName && used.ServiceName !== 'N/A' ? used.ServiceName : null,
        lastUsedRegion: used?.Region && used.Region !== 'N/A' ? used.Region : null,
      },
    });
  });
  return [user, ...keyRows];
};

export const createIamLister = (options: IamListerOptions = {}): AwsServiceLister => {
  const o: Required<IamListerOptions> = {
    reportAttempts: options.reportAttempts ?? 5,
    reportWaitMs: options.reportWaitMs ?? 2000,
    sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
  };
  return {
    service: 'iam',
    scope: 'global',
    list: (ctx) =>
      listing('listing IAM users and account settings', async () => {
        const client = instrumentAwsClient(new IAMClient(settingsFor(ctx)), ctx.metrics);
        const opts = { abortSignal: ctx.signal };
        const pageSize = clampPage(ctx, 1, 1000);
        try {
          const users: User[] = [];
          for await (const page of paginateListUsers({ client, pageSize }, {}, opts)) users.push(...(page.Users ?? []));
          const [policy, summary, report] = await Promise.all([
            unlessMissing(client.send(new GetAccountPasswordPolicyCommand({}), opts), ['NoSuchEntity']),
            client.send(new GetAccountSummaryCommand({}), opts),
            credentialReport(client, opts, o),
          ]);
          const byUser = new Map((report?.rows ?? []).map((r) => [r.user, r]));
          const perUser = await mapLimit(users, 4, (u) =>
            userRows(ctx, client, u, byUser.get(u.UserName ?? ''), pageSize),
          );
          const root = byUser.get(rootUser);
          const p = policy?.PasswordPolicy;
          const rootKeyUses = (root?.accessKeys ?? []).map((k) => k.lastUsedDate).filter((d): d is string => !!d);
          const settings = row(ctx, {
            type: 'account_settings',
            id: 'account-settings',
            name: 'account settings',
            region: 'global',
            state: 'active',
            priceless: true,
            attributes: {
              passwordPolicy: p
                ? {
                    minimumLength: p.MinimumPasswordLength ?? null,
                    requireSymbols: p.RequireSymbols ?? false,
                    requireNumbers: p.RequireNumbers ?? false,
                    requireUppercase: p.RequireUppercaseCharacters ?? false,
                    requireLowercase: p.RequireLowercaseCharacters ?? false,
                    allowUsersToChange: p.AllowUsersToChangePassword ?? false,
                    maxAgeDays: p.ExpirePasswords ? (p.MaxPasswordAge ?? null) : null,
                    reusePrevention: p.PasswordReusePrevention ?? null,
                    hardExpiry: p.HardExpiry ?? false,
                  }
                : null,
              rootMfaEnabled: summary.SummaryMap?.AccountMFAEnabled === 1,
              rootAccessKeysPresent: summary.SummaryMap?.AccountAccessKeysPresent === 1,
              rootPasswordLastUsed: root?.passwordLastUsed ?? null,
              rootAccessKeyLastUsed: rootKeyUses.sort().at(-1) ?? null,
              credentialReport: report ? 'ok' : 'unavailable',
              credentialReportGeneratedAt: isoOrNull(report?.generated),
              users: users.length,
            },
          });
          return [...perUser.flat(), settings];
        } finally {
          client.destroy();
        }
      }),
  };
};

export const iamLister: AwsServiceLister = createIamLister();
