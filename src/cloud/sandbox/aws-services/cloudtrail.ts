import type { SandboxTrail } from './model.ts';
import { str } from './json.ts';
import type { JsonService } from './json.ts';
import { ServiceError, defined, epochSeconds, pageOf } from './wire.ts';
import type { ServiceCall } from './wire.ts';

/** CloudTrail over awsJson1_1 (`CloudTrail_20131101.<Op>`): ListTrails (paged), GetTrail, GetTrailStatus. */

const trailArn = (call: ServiceCall, t: SandboxTrail) =>
  `arn:aws:cloudtrail:${t.homeRegion}:${call.account.accountId}:trail/${t.name}`;

/** By name (in the trail's home region, or a multi-region trail's shadow) or by ARN from anywhere, as CloudTrail resolves it. */
const trailOf = (call: ServiceCall, name: string | undefined): SandboxTrail => {
  const t = call.account.trails.find((x) =>
    name?.startsWith('arn:')
      ? trailArn(call, x) === name
      : x.name === name && (x.homeRegion === call.region || x.multiRegion),
  );
  if (!t)
    throw new ServiceError(
      'TrailNotFoundException',
      `Unknown trail: ${name ?? ''} for the user: ${call.account.accountId}`,
    );
  return t;
};

export const cloudTrailService: JsonService = {
  targetPrefix: 'CloudTrail_20131101',
  handlers: {
    ListTrails: (call, input) => {
      const page = pageOf(
        call.account.trails,
        str(input.NextToken),
        undefined,
        call,
        new ServiceError('InvalidNextTokenException', 'Invalid NextToken.'),
      );
      return defined({
        Trails: page.items.map((t) => ({ TrailARN: trailArn(call, t), Name: t.name, HomeRegion: t.homeRegion })),
        NextToken: page.next,
      });
    },
    GetTrail: (call, input) => {
      const t = trailOf(call, str(input.Name));
      return {
        Trail: defined({
          Name: t.name,
          S3BucketName: t.bucket,
          IncludeGlobalServiceEvents: t.includeGlobalServiceEvents,
          IsMultiRegionTrail: t.multiRegion,
          HomeRegion: t.homeRegion,
          TrailARN: trailArn(call, t),
          LogFileValidationEnabled: t.logFileValidation,
          KmsKeyId: t.kmsKeyId,
          HasCustomEventSelectors: false,
          HasInsightSelectors: false,
          IsOrganizationTrail: false,
        }),
      };
    },
    GetTrailStatus: (call, input) => {
      const t = trailOf(call, str(input.Name));
      return defined({
        IsLogging: t.logging,
        LatestDeliveryTime: t.latestDelivery ? epochSeconds(t.latestDelivery) : undefined,
      });
    },
  },
};
