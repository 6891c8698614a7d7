import type { AwsServiceLister } from './types.ts';

/**
 * Every per-service lister the AWS provider runs for each source (regional ones per region,
 * global ones once per account). The provider imports this module dynamically, with the SDKs.
 */
export const awsServiceListers: AwsServiceLister[] = [];
