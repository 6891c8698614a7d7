import type { AwsAccountConfig } from '../aws/provider.ts';
import { sandboxAccount, sandboxAwsAccounts, sandboxSecondAccount } from './fleet.ts';
import type { Sandbox, SandboxOptions } from './server.ts';

/**
 * What the app needs to run on the sandbox (src/app.ts, sandbox mode): how to start it, the
 * AwsProvider options that reach both seeded accounts, and the line to log at start so people
 * can point the AWS CLI at the same emulator. Type-only imports: nothing loads with this module.
 */

/** The app's sandbox: stops and starts take two seconds, so a change can be watched and killed while it runs. */
export const appSandboxOptions: SandboxOptions = { transitionMs: 2000 };

/** Any key works with the sandbox; this one says what it is in logs and request records. */
export const sandboxCredentials = { accessKeyId: 'AKIDSANDBOX', secretAccessKey: 'sandbox' };

/** AwsProvider options for the sandbox: both seeded accounts (the second through its role) at the sandbox's URL. */
export const sandboxAwsProviderOptions = (
  sandbox: Pick<Sandbox, 'url'>,
): {
  accounts: AwsAccountConfig[];
  endpoint: string;
  credentials: typeof sandboxCredentials;
  sandbox: true;
  wait: { delayMs: number };
} => ({
  accounts: sandboxAwsAccounts.map((a) => ({ ...a, regions: [...a.regions] })),
  endpoint: sandbox.url,
  credentials: sandboxCredentials,
  sandbox: true,
  // The sandbox's stops and starts take 2 s (appSandboxOptions): polled every 15 s like AWS's own
  // waiters, each stop, start or resize would sit 15–30 s after the instance had got there.
  wait: { delayMs: 500 },
});

/** The start-up log line (the endpoint is loopback, the key is not a secret). */
export const sandboxStartMessage = (sandbox: Pick<Sandbox, 'url'>): string =>
  `AWS sandbox emulator (EC2, STS, ELBv2, CloudWatch) listening at ${sandbox.url} with accounts ` +
  `${sandboxAccount} and ${sandboxSecondAccount}; try: AWS_ENDPOINT_URL=${sandbox.url} ` +
  'AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x aws ec2 describe-instances --region eu-west-1';
