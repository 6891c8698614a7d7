import type { GcpBucket, GcpFleet } from './model.ts';
import { GcpApiError, iso, notFoundError, page } from './wire.ts';

/**
 * Cloud Storage JSON API (bucket list, get, IAM policy, and a patch of
 * iamConfiguration.publicAccessPrevention) and the IAM admin REST API (service accounts and their
 * keys, keys.disable and keys.enable), as far as the provider uses them.
 */

export interface RestCall {
  fleet: GcpFleet;
  project: string;
  query: Record<string, string>;
  params: Record<string, string>;
  body?: unknown;
}

export type RestHandler = (call: RestCall) => unknown;

const etag = (seed: string): string => Buffer.from(seed).toString('base64').slice(0, 12);

export const bucketJson = (b: GcpBucket, fleet: GcpFleet) => ({
  kind: 'storage#bucket',
  selfLink: `https://www.googleapis.com/storage/v1/b/${b.name}`,
  id: b.name,
  name: b.name,
  projectNumber: fleet.projects.find((p) => p.id === b.project)?.number ?? '0',
  metageneration: '1',
  location: b.location,
  storageClass: b.storageClass,
  etag: 'CAE=',
  timeCreated: iso(b.created),
  updated: iso(b.created),
  ...(b.versioning ? { versioning: { enabled: true } } : {}),
  ...(b.defaultKmsKeyName ? { encryption: { defaultKmsKeyName: b.defaultKmsKeyName } } : {}),
  iamConfiguration: {
    bucketPolicyOnly: { enabled: b.uniformBucketLevelAccess },
    uniformBucketLevelAccess: { enabled: b.uniformBucketLevelAccess },
    publicAccessPrevention: b.publicAccessPrevention,
  },
  locationType: b.location.includes('-') ? 'region' : 'multi-region',
  labels: b.labels,
});

/** The bucket a path names; its project decides who may read it. */
export const bucketNamed = (fleet: GcpFleet, name: string): GcpBucket => {
  const b = fleet.buckets.find((x) => x.name === name);
  if (!b) throw notFoundError(`b/${name}`);
  return b;
};

const serviceAccountOf = (call: RestCall) => {
  const ref = decodeURIComponent(call.params.account ?? '');
  const sa = call.fleet.serviceAccounts.find(
    (s) => s.project === call.project && (s.email === ref || s.uniqueId === ref),
  );
  if (!sa) throw notFoundError(`projects/${call.project}/serviceAccounts/${ref}`);
  return sa;
};

/** keys.disable / keys.enable: IAM answers an empty object; a system-managed key cannot be changed. */
const setKeyDisabled = (call: RestCall, disabled: boolean) => {
  const sa = serviceAccountOf(call);
  const key = sa.keys.find((k) => k.id === call.params.key);
  if (!key) throw notFoundError(`projects/${sa.project}/serviceAccounts/${sa.email}/keys/${call.params.key}`);
  if (key.keyType !== 'USER_MANAGED')
    throw new GcpApiError(
      400,
      'failedPrecondition',
      `Key ${key.id} is system-managed and cannot be ${disabled ? 'disabled' : 'enabled'}.`,
    );
  key.disabled = disabled;
  return {};
};

export const storageHandlers: Record<string, RestHandler> = {
  'storage.buckets.list': (call) => {
    const p = page(
      call.fleet.buckets.filter((b) => b.project === call.project),
      call.query,
      { defaultSize: 1000, max: 1000 },
    );
    return {
      kind: 'storage#buckets',
      items: p.items.map((b) => bucketJson(b, call.fleet)),
      ...(p.nextPageToken ? { nextPageToken: p.nextPageToken } : {}),
    };
  },
  'storage.buckets.get': (call) => bucketJson(bucketNamed(call.fleet, call.params.bucket!), call.fleet),
  'storage.buckets.patch': (call) => {
    const b = bucketNamed(call.fleet, call.params.bucket!);
    const asked = (call.body as { iamConfiguration?: { publicAccessPrevention?: unknown } } | undefined)
      ?.iamConfiguration?.publicAccessPrevention;
    if (asked !== undefined) {
      // GCS also takes the legacy `unspecified`, which it stores as `inherited`.
      if (asked !== 'enforced' && asked !== 'inherited' && asked !== 'unspecified')
        throw new GcpApiError(
          400,
          'invalid',
          `Invalid argument: iamConfiguration.publicAccessPrevention must be 'enforced' or 'inherited', not '${String(asked)}'.`,
        );
      b.publicAccessPrevention = asked === 'enforced' ? 'enforced' : 'inherited';
    }
    return bucketJson(b, call.fleet);
  },
  'storage.buckets.getIamPolicy': (call) => {
    const b = bucketNamed(call.fleet, call.params.bucket!);
    return {
      kind: 'storage#policy',
      resourceId: `projects/_/buckets/${b.name}`,
      version: Number(call.query.optionsRequestedPolicyVersion ?? 1) >= 3 ? 3 : 1,
      etag: etag(JSON.stringify(b.bindings)),
      bindings: b.bindings,
    };
  },
  'iam.serviceAccounts.list': (call) => {
    const p = page(
      call.fleet.serviceAccounts.filter((s) => s.project === call.project),
      call.query,
      { defaultSize: 20, max: 100, sizeParam: 'pageSize' },
    );
    return {
      accounts: p.items.map((s) => ({
        name: `projects/${s.project}/serviceAccounts/${s.email}`,
        projectId: s.project,
        uniqueId: s.uniqueId,
        email: s.email,
        displayName: s.displayName,
        etag: etag(s.email),
        oauth2ClientId: s.uniqueId,
        ...(s.disabled ? { disabled: true } : {}),
      })),
      ...(p.nextPageToken ? { nextPageToken: p.nextPageToken } : {}),
    };
  },
  'iam.serviceAccounts.keys.disable': (call) => setKeyDisabled(call, true),
  'iam.serviceAccounts.keys.enable': (call) => setKeyDisabled(call, false),
  'iam.serviceAccounts.keys.list': (call) => {
    const sa = serviceAccountOf(call);
    const types = Object.entries(call.query)
      .filter(([k]) => k === 'keyTypes')
      .map(([, v]) => v);
    return {
      keys: sa.keys
        .filter((k) => types.length === 0 || types.includes(k.keyType))
        .map((k) => ({
          name: `projects/${sa.project}/serviceAccounts/${sa.email}/keys/${k.id}`,
          validAfterTime: iso(k.validAfter).replace('.000Z', 'Z'),
          validBeforeTime: iso(k.validBefore).replace('.000Z', 'Z'),
          keyAlgorithm: 'KEY_ALG_RSA_2048',
          keyOrigin: 'GOOGLE_PROVIDED',
          keyType: k.keyType,
          ...(k.disabled ? { disabled: true } : {}),
        })),
    };
  },
};
