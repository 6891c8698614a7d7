import {
  CloudTrailClient,
  GetTrailCommand,
  GetTrailStatusCommand,
  paginateListTrails,
} from '@aws-sdk/client-cloudtrail';
import type { TrailInfo } from '@aws-sdk/client-cloudtrail';
import { instrumentAwsClient } from '../clients.ts';
import { isoOrNull, listing, mapLimit, row, settingsFor } from './common.ts';
import type { AwsServiceLister } from './types.ts';

/**
 * CloudTrail trails (`trail`) whose home region is the region listed: ListTrails names every trail
 * of the account with its home region, so each trail is listed once, where it lives, and a
 * multi-region trail is not repeated in every region. Row id: the trail ARN.
 */
export const cloudTrailLister: AwsServiceLister = {
  service: 'cloudtrail',
  scope: 'regional',
  list: (ctx) =>
    listing(`listing CloudTrail trails in ${ctx.region}`, async () => {
      const client = instrumentAwsClient(new CloudTrailClient(settingsFor(ctx)), ctx.metrics);
      const opts = { abortSignal: ctx.signal };
      try {
        const trails: TrailInfo[] = [];
        for await (const page of paginateListTrails({ client }, {}, opts))
          trails.push(...(page.Trails ?? []).filter((t) => t.HomeRegion === ctx.region));
        return await mapLimit(trails, 4, async (info) => {
          const Name = info.TrailARN ?? info.Name;
          const [{ Trail: t }, status] = await Promise.all([
            client.send(new GetTrailCommand({ Name }), opts),
            client.send(new GetTrailStatusCommand({ Name }), opts),
          ]);
          return row(ctx, {
            type: 'trail',
            id: t?.TrailARN ?? info.TrailARN ?? Name ?? 'unknown',
            name: t?.Name ?? info.Name ?? 'unknown',
            state: status.IsLogging ? 'logging' : 'stopped',
            priceless: true,
            attributes: {
              arn: t?.TrailARN ?? info.TrailARN ?? null,
              homeRegion: t?.HomeRegion ?? info.HomeRegion ?? null,
              multiRegion: t?.IsMultiRegionTrail ?? false,
              logFileValidation: t?.LogFileValidationEnabled ?? false,
              kmsKeyId: t?.KmsKeyId ?? null,
              isLogging: status.IsLogging ?? false,
              s3Bucket: t?.S3BucketName ?? null,
              includeGlobalServiceEvents: t?.IncludeGlobalServiceEvents ?? false,
              organizationTrail: t?.IsOrganizationTrail ?? false,
              cloudWatchLogsLogGroupArn: t?.CloudWatchLogsLogGroupArn ?? null,
              latestDeliveryTime: isoOrNull(status.LatestDeliveryTime),
              latestDeliveryError: status.LatestDeliveryError ?? null,
            },
          });
        });
      } finally {
        client.destroy();
      }
    }),
};
