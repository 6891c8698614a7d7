import { AppError } from '../../../errors.ts';
import { environmentFromTags } from '../../resource.ts';
import type { Resource, ResourceType } from '../../resource.ts';
import { clientConfig } from '../clients.ts';
import { translateAwsError } from '../errors.ts';
import type { AwsServiceContext } from './types.ts';

/**
 * What the service listers share: one Resource row shape, tag lists, the "not configured" error
 * codes that are answers rather than failures, and the error translation (../errors.ts, plus the
 * codes the JSON services use for refused credentials).
 */

export const day = 86_400_000;

export interface RowInput {
  type: ResourceType;
  id: string;
  name: string;
  state: string;
  /** Defaults to the context's region; `global` for IAM, the bucket's region for S3. */
  region?: string;
  tags?: Record<string, string>;
  /** Undefined: not priced (the row gets `priced: false` and cost 0). */
  monthlyCostCents?: number | undefined;
  /** True for rows that cost nothing of their own (IAM users, trails): cost 0 without `priced: false`. */
  priceless?: boolean;
  attributes: Record<string, unknown>;
}

export const row = (ctx: AwsServiceContext, r: RowInput): Resource => {
  const tags = r.tags ?? {};
  const unpriced = !r.priceless && r.monthlyCostCents === undefined;
  return {
    provider: 'aws',
    account: ctx.account,
    region: r.region ?? ctx.region,
    type: r.type,
    id: r.id,
    name: r.name,
    state: r.state,
    tags,
    environment: environmentFromTags(tags),
    monthlyCostCents: r.monthlyCostCents ?? 0,
    attributes: unpriced ? { ...r.attributes, priced: false } : r.attributes,
    seenAt: ctx.seenAt,
  };
};

export const tagsOf = (tags: Array<{ Key?: string | undefined; Value?: string | undefined }> | undefined) =>
  Object.fromEntries((tags ?? []).filter((t) => t.Key).map((t) => [t.Key as string, t.Value ?? '']));

export const isoOrNull = (d: Date | undefined): string | null => (d ? d.toISOString() : null);

/** The SDK client settings for one region (S3 reads each bucket in its own region). */
export const settingsFor = (ctx: AwsServiceContext, region = ctx.region) => clientConfig({ ...ctx.client, region });

/** The page size within what the API accepts (RDS: 20–100, Logs: 1–50, …). */
export const clampPage = (ctx: AwsServiceContext, min: number, max: number): number =>
  Math.max(min, Math.min(max, Math.floor(ctx.pageSize) || max));

export const awsCodeOf = (e: unknown): string => {
  const named = (e ?? {}) as { name?: unknown; Code?: unknown; code?: unknown };
  for (const v of [named.Code, named.code, named.name]) if (typeof v === 'string' && v && v !== 'Error') return v;
  return 'Unknown';
};

/** Runs a read whose "not configured" errors (NoSuchEntity, NoSuchTagSet…) mean none: undefined then. */
export const unlessMissing = async <T>(p: Promise<T>, codes: readonly string[]): Promise<T | undefined> => {
  try {
    return await p;
  } catch (e) {
    if (codes.includes(awsCodeOf(e))) return undefined;
    throw e;
  }
};

/** Codes the JSON-protocol services (KMS, Logs, CloudTrail, Config) and S3 use for refused credentials. */
const extraAuthCodes = new Set([
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'IncompleteSignatureException',
  'InvalidAccessKeyId',
  'AllAccessDisabled',
  'ExpiredTokenException',
]);

/**
 * translateAwsError plus the auth codes above. A refusal keeps AWS's own text, which names the
 * missing permission (`… is not authorized to perform: kms:ListKeys`); `doing` names the listing,
 * e.g. "listing RDS databases in eu-west-1".
 */
export const serviceError = (e: unknown, doing: string): AppError => {
  const code = awsCodeOf(e);
  const translated = translateAwsError(e, doing);
  if (code !== 'CredentialsProviderError' && (extraAuthCodes.has(code) || translated.code === 'auth_failed')) {
    const message = e instanceof Error ? e.message : String(e);
    return new AppError(
      'auth_failed',
      `AWS refused the credentials or permissions for ${doing} (${code}: ${message}). Check the IAM policy and keys.`,
      { cause: e },
    );
  }
  return translated;
};

/** Runs `fn` over `items`, at most `limit` at a time, keeping order (per-item reads: bucket settings, user keys). */
export const mapLimit = async <T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> => {
  const out = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        out[i] = await fn(items[i] as T);
      } catch (e) {
        failed = true; // the other workers stop taking items; the first failure is the answer
        throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
};

/** Wraps a lister's body so every failure leaves as the provider's AppError. */
export const listing = async <T>(doing: string, body: () => Promise<T>): Promise<T> => {
  try {
    return await body();
  } catch (e) {
    throw serviceError(e, doing);
  }
};
