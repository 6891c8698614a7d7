import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@smithy/types';
import type { Metrics } from '../../observability/metrics.ts';
import { accountOfRole, clientConfig, instrumentAwsClient, type AwsClientSettings } from './clients.ts';
import { AppError } from '../../errors.ts';
import { translateAwsError } from './errors.ts';

/**
 * The STS half of many accounts (loaded with the other SDKs, on the first cloud call): assuming
 * each account's role with the process's own credentials, and asking who those credentials are
 * when an account has no role. `@aws-sdk/credential-providers` is not installed, so the provider
 * calls AssumeRole itself and refreshes before expiry (see AwsProvider).
 */

export const createStsClient = (settings: AwsClientSettings, metrics: Metrics | undefined): STSClient =>
  instrumentAwsClient(new STSClient(clientConfig(settings)), metrics);

export interface AssumedRole {
  credentials: AwsCredentialIdentity & { expiration: Date };
  /** The account the role lives in, from the assumed-role ARN STS answers. */
  account: string;
}

export const assumeRole = async (
  client: STSClient,
  role: { roleArn: string; externalId?: string | undefined; sessionName: string; durationSeconds?: number },
): Promise<AssumedRole> => {
  try {
    const out = await client.send(
      new AssumeRoleCommand({
        RoleArn: role.roleArn,
        RoleSessionName: role.sessionName,
        DurationSeconds: role.durationSeconds ?? 3600,
        ...(role.externalId ? { ExternalId: role.externalId } : {}),
      }),
    );
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.Expiration)
      throw new AppError('cloud_error', `STS AssumeRole for ${role.roleArn} answered without credentials.`);
    return {
      credentials: {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.SecretAccessKey,
        ...(c.SessionToken ? { sessionToken: c.SessionToken } : {}),
        expiration: c.Expiration,
      },
      account:
        /^arn:aws[\w-]*:sts::(\d{12}):/.exec(out.AssumedRoleUser?.Arn ?? '')?.[1] ?? accountOfRole(role.roleArn) ?? '',
    };
  } catch (e) {
    throw translateAwsError(e, `assuming the role ${role.roleArn}`);
  }
};

export const callerAccount = async (client: STSClient): Promise<string> => {
  try {
    const out = await client.send(new GetCallerIdentityCommand({}));
    if (!out.Account) throw new AppError('cloud_error', 'STS GetCallerIdentity answered without an account.');
    return out.Account;
  } catch (e) {
    throw translateAwsError(e, 'asking STS which account the credentials belong to');
  }
};
