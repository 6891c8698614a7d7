import type { SandboxAwsAccount } from './aws-services/model.ts';

/**
 * The per-service state (RDS, S3, IAM, …; see ./aws-services/) of an account other than the main
 * one: empty but for the account itself, so a second account's scans find its own (clean) estate
 * rather than the main account's rows under another id.
 */
export const emptyServicesAccount = (accountId: string, now: Date): SandboxAwsAccount => ({
  accountId,
  dbInstances: [],
  dbSnapshots: [],
  buckets: [],
  iam: {
    users: [],
    rootMfa: true,
    rootAccessKeys: false,
    rootCreateDate: new Date(now.getTime() - 400 * 86_400_000),
    reportDelayCalls: 0,
  },
  trails: [],
  recorders: [],
  kmsKeys: [],
  logGroups: [],
  route53: { hostedZones: [], healthChecks: [], changes: [] },
});
