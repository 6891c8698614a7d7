import type { Metrics } from '../../../observability/metrics.ts';
import type { Resource } from '../../resource.ts';
import type { AwsClientSettings } from '../clients.ts';

/**
 * The contract between the AWS provider and each per-service lister (`rds.ts`, `s3.ts`, `iam.ts`,
 * …). A lister builds its own `@aws-sdk/client-<service>` from `client` (through `clientConfig`
 * and `instrumentAwsClient` in ../clients.ts), lists every page, normalizes to Resources and
 * throws the provider's own error (translated with ../errors.ts) when the source cannot be listed.
 */
export interface AwsServiceContext {
  /** The account id the rows belong to (from the role ARN or STS GetCallerIdentity). */
  account: string;
  /** The region listed; `global` listers (IAM, S3's bucket list) get the account's first region here. */
  region: string;
  seenAt: Date;
  sandbox: boolean;
  client: AwsClientSettings;
  metrics?: Metrics | undefined;
  pageSize: number;
  signal?: AbortSignal | undefined;
}

export interface AwsServiceLister {
  /** The service, for errors and logs: `rds`, `s3`, `iam`. */
  service: string;
  /** `regional`: listed per region; `global`: once per account (rows carry region `global`, or the bucket's region for S3). */
  scope: 'regional' | 'global';
  list(ctx: AwsServiceContext): Promise<Resource[]>;
}
