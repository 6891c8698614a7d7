import {
  CloudWatchLogsClient,
  DeleteRetentionPolicyCommand,
  DescribeLogGroupsCommand,
  PutRetentionPolicyCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  DisableKeyRotationCommand,
  EnableKeyRotationCommand,
  GetKeyRotationStatusCommand,
  KMSClient,
} from '@aws-sdk/client-kms';
import { DeleteDBSnapshotCommand, RDSClient } from '@aws-sdk/client-rds';
import {
  DeletePublicAccessBlockCommand,
  GetPublicAccessBlockCommand,
  PutPublicAccessBlockCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { AppError, badRequest } from '../../errors.ts';
import type { Metrics } from '../../observability/metrics.ts';
import type { ActionResult, ResourceAction } from '../provider.ts';
import { publicAccessSettings } from './actions.ts';
import { clientConfig, instrumentAwsClient } from './clients.ts';
import type { AwsClientSettings } from './clients.ts';
import { serviceError, unlessMissing } from './services/common.ts';
import { pathStyle } from './services/s3.ts';

/**
 * The scanner's fixes on account services: a CloudWatch Logs group's retention, a bucket's S3
 * Block Public Access, a KMS key's automatic rotation and deleting a manual RDS snapshot. Each reads the setting first and returns
 * it as rollback data (`retentionInDays: never` for no policy, `configured: false` for no block).
 * Clients are made per call, as the listers of ./services/ make theirs.
 */

/** `log-group/<region>/<name>` (the lister's id) → the group name, which may hold slashes itself. */
const logGroupName = (id: string, region: string): string => {
  const prefix = `log-group/${region}/`;
  if (!id.startsWith(prefix)) throw badRequest(`“${id}” is not a log group id (log-group/<region>/<name>).`);
  return id.slice(prefix.length);
};

const logs = async (client: CloudWatchLogsClient, action: ResourceAction): Promise<ActionResult> => {
  const name = logGroupName(action.target.id, action.target.region);
  const out = await client.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name, limit: 50 }));
  const group = out.logGroups?.find((g) => g.logGroupName === name);
  if (!group) throw new AppError('not_found', `Log group ${name} was not found in ${action.target.region}.`);
  const was = group.retentionInDays;
  const previous = { retentionInDays: was === undefined ? 'never' : String(was) };
  const before = was === undefined ? 'it never expired' : `was ${was} days`;
  if (action.action === 'clear_retention') {
    if (was === undefined) return { summary: `${name} already never expires`, newState: 'active', previous };
    await client.send(new DeleteRetentionPolicyCommand({ logGroupName: name }));
    return { summary: `${name} now keeps events forever (${before})`, newState: 'active', previous };
  }
  const days = Number(action.params.days);
  if (!Number.isInteger(days)) throw badRequest('Setting the retention needs days, e.g. days=365.');
  await client.send(new PutRetentionPolicyCommand({ logGroupName: name, retentionInDays: days }));
  return { summary: `${name} keeps events ${days} days (${before})`, newState: 'active', previous };
};

const kms = async (client: KMSClient, action: ResourceAction): Promise<ActionResult> => {
  const KeyId = action.target.id;
  const status = await client.send(new GetKeyRotationStatusCommand({ KeyId }));
  const was = status.KeyRotationEnabled ?? false;
  const previous = { rotationEnabled: String(was) };
  const enable = action.action === 'enable_key_rotation';
  if (was === enable)
    return { summary: `${KeyId} already ${enable ? 'rotates' : 'does not rotate'}`, newState: 'enabled', previous };
  await client.send(enable ? new EnableKeyRotationCommand({ KeyId }) : new DisableKeyRotationCommand({ KeyId }));
  return {
    summary: `${KeyId} ${enable ? 'now rotates its key material yearly' : 'no longer rotates automatically'}`,
    newState: 'enabled',
    previous,
  };
};

type PublicAccessSetting = (typeof publicAccessSettings)[number];
const s3Names: Record<
  PublicAccessSetting,
  'BlockPublicAcls' | 'IgnorePublicAcls' | 'BlockPublicPolicy' | 'RestrictPublicBuckets'
> = {
  blockPublicAcls: 'BlockPublicAcls',
  ignorePublicAcls: 'IgnorePublicAcls',
  blockPublicPolicy: 'BlockPublicPolicy',
  restrictPublicBuckets: 'RestrictPublicBuckets',
};

const s3 = async (client: S3Client, action: ResourceAction): Promise<ActionResult> => {
  const Bucket = action.target.id;
  const got = await unlessMissing(client.send(new GetPublicAccessBlockCommand({ Bucket })), [
    'NoSuchPublicAccessBlockConfiguration',
  ]);
  const block = got?.PublicAccessBlockConfiguration;
  const previous: Record<string, string> = block
    ? {
        configured: 'true',
        ...Object.fromEntries(publicAccessSettings.map((k) => [k, String(block[s3Names[k]] ?? false)])),
      }
    : { configured: 'false' };
  if (action.action === 'delete_public_access_block') {
    if (!block)
      return { summary: `${Bucket} has no bucket-level Block Public Access`, newState: 'available', previous };
    await client.send(new DeletePublicAccessBlockCommand({ Bucket }));
    return { summary: `${Bucket}'s bucket-level Block Public Access removed`, newState: 'available', previous };
  }
  const want = Object.fromEntries(
    publicAccessSettings.map((k) => [
      s3Names[k],
      action.action === 'block_public_access' || action.params[k] === 'true',
    ]),
  );
  await client.send(new PutPublicAccessBlockCommand({ Bucket, PublicAccessBlockConfiguration: want }));
  const on = publicAccessSettings.filter((k) => want[s3Names[k]]);
  return {
    summary:
      on.length === publicAccessSettings.length
        ? `${Bucket} blocks all public access`
        : `${Bucket} Block Public Access set (on: ${on.join(', ') || 'none'})`,
    newState: 'available',
    previous,
  };
};

/** `db-snapshot/<region>/<identifier>` (the lister's id) → the identifier. */
const rdsSnapshot = async (client: RDSClient, action: ResourceAction): Promise<ActionResult> => {
  const prefix = `db-snapshot/${action.target.region}/`;
  if (!action.target.id.startsWith(prefix))
    throw badRequest(`“${action.target.id}” is not a DB snapshot id (db-snapshot/<region>/<identifier>).`);
  const DBSnapshotIdentifier = action.target.id.slice(prefix.length);
  await client.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier }));
  return { summary: `DB snapshot ${DBSnapshotIdentifier} deleted`, newState: 'deleted', previous: {} };
};

/** Runs a log group, bucket, KMS key or DB snapshot fix with a client of that service in the target's region. */
export const executeServiceAction = async (
  settings: AwsClientSettings,
  metrics: Metrics | undefined,
  action: ResourceAction,
  doing: string,
): Promise<ActionResult> => {
  const config = clientConfig(settings);
  const { type } = action.target;
  const client =
    type === 'log_group'
      ? new CloudWatchLogsClient(config)
      : type === 'kms_key'
        ? new KMSClient(config)
        : type === 'bucket'
          ? new S3Client({ ...config, forcePathStyle: pathStyle(settings.endpoint) })
          : type === 'db_snapshot'
            ? new RDSClient(config)
            : undefined;
  if (!client) throw badRequest(`AWS ${type} resources have no action “${action.action}”.`);
  instrumentAwsClient(client, metrics);
  try {
    if (client instanceof CloudWatchLogsClient) return await logs(client, action);
    if (client instanceof KMSClient) return await kms(client, action);
    if (client instanceof RDSClient) return await rdsSnapshot(client, action);
    return await s3(client, action);
  } catch (e) {
    throw serviceError(e, doing);
  } finally {
    client.destroy();
  }
};
