import { performance } from 'node:perf_hooks';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import type { Metrics } from '../../observability/metrics.ts';
import { awsFailureKind } from './errors.ts';

/**
 * What every `@aws-sdk/client-*` of the provider is built from, and the one middleware that
 * counts and times its calls. Type-only imports here: no SDK loads with this module.
 */
export interface AwsClientSettings {
  region: string;
  /** One base URL for every service (the sandbox, an emulator), or undefined for AWS's own endpoints. */
  endpoint?: string | undefined;
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider | undefined;
  maxAttempts?: number | undefined;
}

/** The client config for one SDK client (endpoint only when set: the SDK's own AWS_ENDPOINT_URL* chain applies otherwise). */
export const clientConfig = ({ region, endpoint, credentials, maxAttempts }: AwsClientSettings) => ({
  region,
  ...(endpoint ? { endpoint } : {}),
  ...(credentials ? { credentials } : {}),
  ...(maxAttempts ? { maxAttempts } : {}),
});

interface InstrumentableClient {
  middlewareStack: {
    add(
      mw: (
        next: (args: unknown) => Promise<unknown>,
        context: { commandName?: string },
      ) => (args: unknown) => Promise<unknown>,
      opts: { step: 'initialize'; name: string },
    ): void;
  };
}

/**
 * Counts and times each logical call in `metrics.cloudCalls` / `cloudCallSeconds` with
 * provider="aws" (retries happen further down the stack, so they are inside the time; a missing
 * credential fails below this step too, before any request).
 */
export const instrumentAwsClient = <C>(client: C, metrics: Metrics | undefined): C => {
  if (!metrics) return client;
  (client as unknown as InstrumentableClient).middlewareStack.add(
    (next, context) => async (args) => {
      const operation = (context.commandName ?? 'unknown').replace(/Command$/, '');
      const started = performance.now();
      const observe = (outcome: string) =>
        metrics.cloudCallSeconds.observe({ provider: 'aws', operation, outcome }, (performance.now() - started) / 1000);
      try {
        const out = await next(args);
        metrics.cloudCalls.inc({ provider: 'aws', operation, outcome: 'ok' });
        observe('ok');
        return out;
      } catch (e) {
        metrics.cloudCalls.inc({ provider: 'aws', operation, outcome: 'error' });
        observe(awsFailureKind(e));
        throw e;
      }
    },
    { step: 'initialize', name: 'devopsAgentCloudCalls' },
  );
  return client;
};

/** The account id in a role ARN (`arn:aws:iam::210987654321:role/X` → 210987654321). */
export const accountOfRole = (roleArn: string): string | undefined =>
  /^arn:aws[\w-]*:iam::(\d{12}):role\//.exec(roleArn)?.[1];
