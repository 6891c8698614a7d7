import type { AwsServiceContext } from '../../src/cloud/aws/services/types.ts';
import type { SyncSource } from '../../src/cloud/provider.ts';
import { AppError } from '../../src/errors.ts';

/** Shared by the cloud provider and sandbox tests (test/integration/cloud-*.test.ts). */

/** The AppError `p` rejects with; any other rejection is rethrown, and success fails the test. */
export const rejectedAppError = async (p: Promise<unknown>): Promise<AppError> => {
  try {
    await p;
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('expected an AppError');
};

/** The provider's sync source for `account` (an AWS account, Azure subscription, GCP project or kube context). */
export const sourceOf = (provider: { sources(): SyncSource[] }, account: string): SyncSource => {
  const s = provider.sources().find((x) => x.account === account);
  if (!s) throw new Error(`no source for ${account}`);
  return s;
};

/** What an AWS SDK call rejected with: the error's name (AWS's code), message and HTTP status. Success fails the test. */
export const awsSdkRejection = async (
  p: Promise<unknown>,
): Promise<{ name: string; message: string; status?: number }> => {
  try {
    await p;
  } catch (e) {
    const err = e as Error & { $metadata?: { httpStatusCode?: number } };
    return { name: err.name, message: err.message, status: err.$metadata?.httpStatusCode };
  }
  throw new Error('expected the call to fail');
};

/**
 * An AWS service lister's context against the sandbox at `sandbox.url`: its seeded account and
 * access key, pages of 100, `maxAttempts` SDK attempts per call (1: no retries), then `over`.
 */
export const sandboxServiceContext = (
  sandbox: { url: string },
  region: string,
  seenAt: Date,
  over: Partial<AwsServiceContext> = {},
  maxAttempts = 1,
): AwsServiceContext => ({
  account: '123456789012',
  region,
  seenAt,
  sandbox: true,
  client: {
    region,
    endpoint: sandbox.url,
    credentials: { accessKeyId: 'AKIDSANDBOX', secretAccessKey: 'secret' },
    maxAttempts,
  },
  pageSize: 100,
  ...over,
});
