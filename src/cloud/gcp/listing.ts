import type { protos } from '@google-cloud/compute';
import { z } from 'zod';
import { formatZodIssues } from '../../errors.ts';
import { AppError } from '../../errors.ts';
import type { Resource } from '../resource.ts';
import { collect, collectAggregated } from './compute.ts';
import { translateGcpError } from './errors.ts';
import {
  ServiceAccountKey,
  accessKeyResource,
  addressResource,
  bucketResource,
  diskResource,
  firewallResource,
  instanceResource,
  snapshotResource,
} from './normalize.ts';
import type { BucketInfo, NormalizeContext, PolicyBinding } from './normalize.ts';
import type { GcpClients } from './types.ts';

/**
 * Everything the inventory lists of one project, all pages: instances, disks and addresses
 * (aggregated over zones and regions), snapshots and firewall rules (global), buckets with their
 * IAM policy, and service-account keys. One failing list fails the project: a partial listing
 * would read as deletions.
 */

type V1 = typeof protos.google.cloud.compute.v1;
type Instance = InstanceType<V1['Instance']>;
type Disk = InstanceType<V1['Disk']>;
type Address = InstanceType<V1['Address']>;

/** At most `limit` of `fn` at once (per-bucket policies, per-account keys). */
const mapLimit = async <T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> => {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
};

const ServiceAccountList = z.object({
  accounts: z.array(z.object({ email: z.string().min(1), disabled: z.boolean().optional() })).optional(),
  nextPageToken: z.string().optional(),
});
const KeyList = z.object({ keys: z.array(ServiceAccountKey).optional() });

const parseIam = <T>(schema: z.ZodType<T>, data: unknown, what: string): T => {
  const r = schema.safeParse(data);
  if (!r.success)
    throw new AppError(
      'cloud_error',
      `The IAM API answered ${what} in an unexpected shape: ${formatZodIssues(r.error)}`,
    );
  return r.data;
};

const guard = async <T>(project: string, doing: string, fn: () => Promise<T>): Promise<T> => {
  try {
    return await fn();
  } catch (e) {
    throw translateGcpError(e, doing, project);
  }
};

const listBuckets = async (c: GcpClients, ctx: NormalizeContext, signal?: AbortSignal): Promise<Resource[]> => {
  const storage = c.storage(ctx.project);
  const [buckets] = await guard(ctx.project, 'listing buckets', () =>
    c.timed('storage.buckets.list', () => storage.getBuckets({ maxResults: Math.min(c.pageSize, 1000) })),
  );
  return mapLimit(buckets, 8, async (b) => {
    signal?.throwIfAborted();
    const [policy] = await guard(ctx.project, `reading the IAM policy of bucket ${b.name}`, () =>
      c.timed('storage.buckets.getIamPolicy', () => b.iam.getPolicy({ requestedPolicyVersion: 3 })),
    );
    return bucketResource(b.metadata as BucketInfo, (policy.bindings ?? []) as PolicyBinding[], ctx);
  });
};

const listServiceAccountKeys = async (
  c: GcpClients,
  ctx: NormalizeContext,
  signal?: AbortSignal,
): Promise<Resource[]> => {
  const { project } = ctx;
  const emails: string[] = [];
  let pageToken: string | undefined;
  do {
    signal?.throwIfAborted();
    const page = parseIam(
      ServiceAccountList,
      await guard(project, 'listing service accounts', () =>
        c.timed('iam.serviceAccounts.list', () =>
          c.iamGet(`/v1/projects/${encodeURIComponent(project)}/serviceAccounts`, {
            pageSize: String(Math.min(c.pageSize, 100)),
            ...(pageToken ? { pageToken } : {}),
          }),
        ),
      ),
      'the service account list',
    );
    emails.push(...(page.accounts ?? []).map((a) => a.email));
    pageToken = page.nextPageToken || undefined;
  } while (pageToken);
  const perAccount = await mapLimit(emails, 8, async (email) => {
    signal?.throwIfAborted();
    const list = parseIam(
      KeyList,
      await guard(project, `listing the keys of ${email}`, () =>
        c.timed('iam.serviceAccounts.keys.list', () =>
          c.iamGet(`/v1/projects/${encodeURIComponent(project)}/serviceAccounts/${encodeURIComponent(email)}/keys`),
        ),
      ),
      `the keys of ${email}`,
    );
    return (list.keys ?? []).map((k) => accessKeyResource(k, email, ctx));
  });
  return perAccount.flat();
};

/**
 * `work`, or a rejection as soon as `signal` aborts: the Google clients take no AbortSignal, so a
 * call the cloud holds would otherwise keep the sync waiting. What is in flight finishes unheard.
 */
export const untilAborted = <T>(work: Promise<T>, signal: AbortSignal | undefined, doing: string): Promise<T> => {
  if (!signal) return work;
  const aborted = (): AppError =>
    new AppError('cloud_error', `Stopped ${doing}: the work was aborted (${String(signal.reason ?? 'aborted')}).`, {
      cause: signal.reason,
    });
  if (signal.aborted) {
    work.catch(() => undefined); // it stops on its own at its next check; nobody waits for it
    return Promise.reject(aborted());
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(aborted());
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
};

export const listProject = (c: GcpClients, ctx: NormalizeContext, signal?: AbortSignal): Promise<Resource[]> =>
  untilAborted(listAll(c, ctx, signal), signal, `listing project ${ctx.project}`);

const listAll = async (c: GcpClients, ctx: NormalizeContext, signal?: AbortSignal): Promise<Resource[]> => {
  const { project } = ctx;
  const maxResults = Math.min(c.pageSize, 500);
  const opts = c.readOptions;
  const [instances, disks, addresses, snapshots, firewalls, buckets, keys] = await Promise.all([
    guard(project, 'listing instances', () =>
      c.timed('instances.aggregatedList', () =>
        collectAggregated<Instance>(
          c.instances.aggregatedListAsync({ project, maxResults }, opts) as AsyncIterable<
            [string, Record<string, unknown>]
          >,
          'instances',
          signal,
        ),
      ),
    ),
    guard(project, 'listing disks', () =>
      c.timed('disks.aggregatedList', () =>
        collectAggregated<Disk>(
          c.disks.aggregatedListAsync({ project, maxResults }, opts) as AsyncIterable<
            [string, Record<string, unknown>]
          >,
          'disks',
          signal,
        ),
      ),
    ),
    guard(project, 'listing addresses', () =>
      c.timed('addresses.aggregatedList', () =>
        collectAggregated<Address>(
          c.addresses.aggregatedListAsync({ project, maxResults }, opts) as AsyncIterable<
            [string, Record<string, unknown>]
          >,
          'addresses',
          signal,
        ),
      ),
    ),
    guard(project, 'listing snapshots', () =>
      c.timed('snapshots.list', () => collect(c.snapshots.listAsync({ project, maxResults }, opts), signal)),
    ),
    guard(project, 'listing firewall rules', () =>
      c.timed('firewalls.list', () => collect(c.firewalls.listAsync({ project, maxResults }, opts), signal)),
    ),
    listBuckets(c, ctx, signal),
    listServiceAccountKeys(c, ctx, signal),
  ]);
  return [
    ...instances.map((i) => instanceResource(i, ctx)),
    ...disks.map((d) => diskResource(d, ctx)),
    ...addresses.map((a) => addressResource(a, ctx)),
    ...snapshots.map((s) => snapshotResource(s, ctx)),
    ...firewalls.map((f) => firewallResource(f, ctx)),
    ...buckets,
    ...keys,
  ];
};
