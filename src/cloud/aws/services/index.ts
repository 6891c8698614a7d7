import { cloudTrailLister } from './cloudtrail.ts';
import { configLister } from './config.ts';
import { eksLister } from '../eks.ts';
import { iamLister } from './iam.ts';
import { kmsLister } from './kms.ts';
import { logsLister } from './logs.ts';
import { rdsLister } from './rds.ts';
import { route53Lister } from './route53.ts';
import { s3Lister } from './s3.ts';
import type { AwsServiceLister } from './types.ts';

/**
 * Every AWS account-service lister. The provider imports this module dynamically on first sync,
 * so the SDKs below load only then. `regional` listers run once per (account, region);
 * `global` ones (IAM, S3, Route 53) once per account with the account's first region as `ctx.region`.
 */
export const awsServiceListers: AwsServiceLister[] = [
  rdsLister,
  s3Lister,
  iamLister,
  cloudTrailLister,
  configLister,
  kmsLister,
  logsLister,
  route53Lister,
  eksLister,
];
