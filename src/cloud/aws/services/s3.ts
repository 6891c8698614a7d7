import {
  GetBucketEncryptionCommand,
  GetBucketLocationCommand,
  GetBucketPolicyStatusCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  S3Client,
  paginateListBuckets,
} from '@aws-sdk/client-s3';
import type { Bucket } from '@aws-sdk/client-s3';
import type { Resource } from '../../resource.ts';
import { instrumentAwsClient } from '../clients.ts';
import { clampPage, isoOrNull, listing, mapLimit, row, settingsFor, tagsOf, unlessMissing } from './common.ts';
import type { AwsServiceContext, AwsServiceLister } from './types.ts';

/**
 * S3 buckets (`bucket`), listed once per account. Each bucket's row carries its own region (from
 * GetBucketLocation) and its settings are read there, as S3 redirects reads from other regions. The
 * errors S3 answers for a setting that was never made (no public access block, no default
 * encryption, no policy, no tags) mean "not configured", not failures. Row id: the bucket name.
 */

/** GetBucketLocation's answer → the region (`""`/null is us-east-1, `EU` the old name of eu-west-1). */
export const bucketRegion = (constraint: string | undefined): string =>
  !constraint ? 'us-east-1' : constraint === 'EU' ? 'eu-west-1' : constraint;

/**
 * Path-style addressing whenever the endpoint is not AWS's own (an emulator, a VPC endpoint), set
 * in the options or through the SDK's `AWS_ENDPOINT_URL[_S3]`: `<bucket>.127.0.0.1` resolves nowhere.
 */
export const pathStyle = (endpoint: string | undefined): boolean =>
  !!(endpoint || process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL);

const client = (ctx: AwsServiceContext, region: string) =>
  instrumentAwsClient(
    new S3Client({ ...settingsFor(ctx, region), forcePathStyle: pathStyle(ctx.client.endpoint) }),
    ctx.metrics,
  );

export const s3Lister: AwsServiceLister = {
  service: 's3',
  scope: 'global',
  list: (ctx) =>
    listing('listing S3 buckets', async () => {
      const opts = { abortSignal: ctx.signal };
      const clients = new Map<string, S3Client>();
      const clientIn = (region: string): S3Client => {
        let c = clients.get(region);
        if (!c) clients.set(region, (c = client(ctx, region)));
        return c;
      };
      try {
        const home = clientIn(ctx.region);
        const buckets: Bucket[] = [];
        for await (const page of paginateListBuckets({ client: home, pageSize: clampPage(ctx, 1, 10_000) }, {}, opts))
          buckets.push(...(page.Buckets ?? []));
        return await mapLimit(buckets, 4, async (b): Promise<Resource> => {
          const Bucket = b.Name ?? '';
          const location = await home.send(new GetBucketLocationCommand({ Bucket }), opts);
          const region = bucketRegion(location.LocationConstraint);
          const s3 = clientIn(region);
          const [pab, enc, versioning, policy, tagging] = await Promise.all([
            unlessMissing(s3.send(new GetPublicAccessBlockCommand({ Bucket }), opts), [
              'NoSuchPublicAccessBlockConfiguration',
            ]),
            unlessMissing(s3.send(new GetBucketEncryptionCommand({ Bucket }), opts), [
              'ServerSideEncryptionConfigurationNotFoundError',
            ]),
            s3.send(new GetBucketVersioningCommand({ Bucket }), opts),
            unlessMissing(s3.send(new GetBucketPolicyStatusCommand({ Bucket }), opts), ['NoSuchBucketPolicy']),
            unlessMissing(s3.send(new GetBucketTaggingCommand({ Bucket }), opts), ['NoSuchTagSet']),
          ]);
          const block = pab?.PublicAccessBlockConfiguration;
          const rule = enc?.ServerSideEncryptionConfiguration?.Rules?.[0];
          const publicAccessBlock = block
            ? {
                blockPublicAcls: block.BlockPublicAcls ?? false,
                ignorePublicAcls: block.IgnorePublicAcls ?? false,
                blockPublicPolicy: block.BlockPublicPolicy ?? false,
                restrictPublicBuckets: block.RestrictPublicBuckets ?? false,
              }
            : null;
          return row(ctx, {
            type: 'bucket',
            id: Bucket,
            name: Bucket,
            region,
            state: 'available',
            tags: tagsOf(tagging?.TagSet),
            // Priced by stored bytes, which ListBuckets does not tell: unknown, not free.
            monthlyCostCents: undefined,
            attributes: {
              creationDate: isoOrNull(b.CreationDate),
              publicAccessBlock,
              publicAccessBlocked: publicAccessBlock ? Object.values(publicAccessBlock).every(Boolean) : false,
              encryption: rule?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm ?? null,
              encryptionKmsKeyId: rule?.ApplyServerSideEncryptionByDefault?.KMSMasterKeyID ?? null,
              bucketKeyEnabled: rule?.BucketKeyEnabled ?? false,
              // Never enabled: S3 answers an empty configuration.
              versioning: versioning.Status ?? 'Disabled',
              mfaDelete: versioning.MFADelete ?? 'Disabled',
              hasPolicy: policy !== undefined,
              policyPublic: policy?.PolicyStatus?.IsPublic ?? false,
            },
          });
        });
      } finally {
        for (const c of clients.values()) c.destroy();
      }
    }),
};
