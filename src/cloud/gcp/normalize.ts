import type { protos } from '@google-cloud/compute';
import { z } from 'zod';
import { monthlyCents } from '../pricing/index.ts';
import { environmentFromTags } from '../resource.ts';
import type { Resource } from '../resource.ts';

/**
 * Google Cloud shapes → normalized Resources. The account is the project id; a zonal or
 * regional resource carries its region (`us-central1`) and its zone in attributes; global ones
 * (snapshots, firewall rules, service-account keys) the region `global`. Ids must be unique
 * within a project across types (the store keys rows by provider, account and id, and a boot
 * disk is named like its instance), so they are Google's own partial resource paths:
 * `zones/<zone>/instances/<name>`, `zones/<zone>/disks/<name>`, `regions/<region>/addresses/<name>`,
 * `global/snapshots/<name>`, `global/firewalls/<name>`, `buckets/<name>`,
 * `serviceAccounts/<email>/keys/<key id>`. `name` stays the short name people type.
 */

type Instance = protos.google.cloud.compute.v1.IInstance;
type Disk = protos.google.cloud.compute.v1.IDisk;
type Snapshot = protos.google.cloud.compute.v1.ISnapshot;
type Address = protos.google.cloud.compute.v1.IAddress;
type Firewall = protos.google.cloud.compute.v1.IFirewall;

export interface NormalizeContext {
  project: string;
  seenAt: Date;
  sandbox: boolean;
}

/** `…/zones/us-central1-a/machineTypes/e2-small` → `e2-small`. */
export const lastSegment = (url: string | null | undefined): string => (url ? (url.split('/').pop() ?? '') : '');
/** `us-central1-a` → `us-central1`. */
export const regionOfZone = (zone: string): string => zone.replace(/-[a-z]$/, '');
/** `https://…/projects/p/zones/us-central1-a/instances/web-1` → `zones/us-central1-a/instances/web-1` (our id). */
export const zonalId = (url: string | null | undefined): string | null => {
  const m = /zones\/([^/]+)\/(instances|disks)\/([^/]+)$/.exec(url ?? '');
  return m ? `zones/${m[1]}/${m[2]}/${m[3]}` : null;
};
export const instanceId = (zone: string, name: string): string => `zones/${zone}/instances/${name}`;

const iso = (t: string | null | undefined): string | null => {
  if (!t) return null;
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
};
/** int64 fields arrive as strings (or numbers, or Longs); 0 when absent. */
const num = (v: unknown): number => {
  const n = Number(typeof v === 'object' && v !== null ? String(v) : v);
  return Number.isFinite(n) ? n : 0;
};
const labelsOf = (labels: Record<string, string> | null | undefined): Record<string, string> => ({ ...(labels ?? {}) });

const base = (ctx: NormalizeContext, region: string, tags: Record<string, string>) => ({
  provider: 'gcp' as const,
  account: ctx.project,
  region,
  tags,
  environment: environmentFromTags(tags),
  seenAt: ctx.seenAt,
});

/** GCE instance status → the normalized lifecycle words the other providers use. */
export const instanceState = (status: string | null | undefined): string => {
  switch (status) {
    case 'RUNNING':
      return 'running';
    case 'PROVISIONING':
    case 'STAGING':
    case 'PENDING':
      return 'pending';
    case 'STOPPING':
    case 'DEPROVISIONING':
      return 'stopping';
    case 'TERMINATED':
    case 'STOPPED':
      return 'stopped';
    default:
      return status ? status.toLowerCase() : 'unknown';
  }
};

/** Compute is billed while an instance runs or is starting; a TERMINATED one costs 0 (its disks are volume rows). */
const billed = new Set(['running', 'pending']);

export const instanceResource = (i: Instance, ctx: NormalizeContext): Resource => {
  const zone = lastSegment(i.zone);
  const region = regionOfZone(zone);
  const tags = labelsOf(i.labels);
  const state = instanceState(i.status);
  const machineType = lastSegment(i.machineType) || 'unknown';
  const price = monthlyCents('gcp', 'instance', machineType, region);
  const nic = i.networkInterfaces?.[0];
  return {
    ...base(ctx, region, tags),
    type: 'instance',
    id: instanceId(zone, i.name ?? ''),
    name: i.name ?? '',
    state,
    monthlyCostCents: billed.has(state) ? (price ?? 0) : 0,
    attributes: {
      machineType,
      zone,
      status: i.status ?? null,
      instanceId: i.id ? String(i.id) : null,
      creationTimestamp: iso(i.creationTimestamp),
      lastStartTimestamp: iso(i.lastStartTimestamp),
      lastStopTimestamp: iso(i.lastStopTimestamp),
      privateIp: nic?.networkIP ?? null,
      publicIp: nic?.accessConfigs?.find((a) => a.natIP)?.natIP ?? null,
      disks: (i.disks ?? []).map((d) => lastSegment(d.source)).filter(Boolean),
      ...(price === undefined ? { priced: false } : {}),
    },
  };
};

export const diskResource = (d: Disk, ctx: NormalizeContext): Resource => {
  const zone = lastSegment(d.zone);
  const region = regionOfZone(zone);
  const tags = labelsOf(d.labels);
  const sizeGb = num(d.sizeGb);
  const diskType = lastSegment(d.type) || 'unknown';
  const price = monthlyCents('gcp', 'disk', diskType, region, sizeGb);
  const users = (d.users ?? []).map(zonalId).filter((u): u is string => Boolean(u));
  const kms = d.diskEncryptionKey?.kmsKeyName ?? null;
  return {
    ...base(ctx, region, tags),
    type: 'volume',
    id: `zones/${zone}/disks/${d.name ?? ''}`,
    name: d.name ?? '',
    state: users.length ? 'in-use' : 'available',
    monthlyCostCents: price ?? 0,
    attributes: {
      sizeGb,
      volumeType: diskType,
      zone,
      attachedTo: users[0] ?? null,
      users,
      status: d.status ?? null,
      createTime: iso(d.creationTimestamp),
      encryption: kms ? 'customer-managed' : 'google-managed',
      kmsKeyName: kms,
      ...(price === undefined ? { priced: false } : {}),
    },
  };
};

export const snapshotResource = (s: Snapshot, ctx: NormalizeContext): Resource => {
  const tags = labelsOf(s.labels);
  const sourceDisk = zonalId(s.sourceDisk);
  // Billed on the bytes stored (snapshots are incremental), priced in the source disk's region.
  const storageGb = num(s.storageBytes) / 1024 ** 3;
  const sourceRegion = sourceDisk ? regionOfZone(sourceDisk.split('/')[1]!) : undefined;
  const price = sourceRegion ? monthlyCents('gcp', 'snapshot', 'standard', sourceRegion, storageGb) : undefined;
  return {
    ...base(ctx, 'global', tags),
    type: 'snapshot',
    id: `global/snapshots/${s.name ?? ''}`,
    name: s.name ?? '',
    state: s.status === 'READY' ? 'completed' : (s.status ?? 'unknown').toLowerCase(),
    monthlyCostCents: price ?? 0,
    attributes: {
      sizeGb: num(s.diskSizeGb),
      storageGb: Math.round(storageGb * 100) / 100,
      startTime: iso(s.creationTimestamp),
      sourceDisk,
      storageLocations: s.storageLocations ?? [],
      ...(price === undefined ? { priced: false } : {}),
    },
  };
};

export const addressResource = (a: Address, ctx: NormalizeContext): Resource => {
  const region = lastSegment(a.region) || 'global';
  const tags = labelsOf(a.labels);
  const inUse = a.status === 'IN_USE';
  const external = (a.addressType ?? 'EXTERNAL') === 'EXTERNAL';
  // An external address is billed idle or in use; an internal one is free.
  const price = external ? monthlyCents('gcp', 'ip_address', inUse ? 'in_use' : 'idle', region) : 0;
  return {
    ...base(ctx, region, tags),
    type: 'ip_address',
    id: `regions/${region}/addresses/${a.name ?? ''}`,
    name: a.name ?? '',
    state: inUse ? 'in-use' : (a.status ?? 'unknown').toLowerCase(),
    monthlyCostCents: price ?? 0,
    attributes: {
      address: a.address ?? null,
      addressType: a.addressType ?? 'EXTERNAL',
      status: a.status ?? null,
      associatedTo: inUse ? (zonalId(a.users?.[0]) ?? lastSegment(a.users?.[0]) ?? null) : null,
      networkTier: a.networkTier ?? null,
      createTime: iso(a.creationTimestamp),
      ...(price === undefined ? { priced: false } : {}),
    },
  };
};

/** One ingress entry per (protocol, port range) in the AWS security_group shape; no ports = every port. */
export const firewallIngress = (f: Firewall) => {
  if (f.direction !== 'INGRESS' || f.disabled) return [];
  const cidrs = [...(f.sourceRanges ?? [])];
  return (f.allowed ?? []).flatMap((a) => {
    const protocol = (a.IPProtocol ?? 'all').toLowerCase();
    if (protocol === 'all' || !a.ports?.length) return [{ protocol, fromPort: 0, toPort: 65535, cidrs }];
    return a.ports.map((p) => {
      const [from, to] = p.split('-');
      return { protocol, fromPort: Number(from), toPort: Number(to ?? from), cidrs };
    });
  });
};

export const firewallResource = (f: Firewall, ctx: NormalizeContext): Resource => ({
  ...base(ctx, 'global', {}),
  type: 'security_group',
  id: `global/firewalls/${f.name ?? ''}`,
  name: f.name ?? '',
  state: f.disabled ? 'disabled' : 'active',
  monthlyCostCents: 0,
  attributes: {
    ingress: firewallIngress(f),
    direction: f.direction ?? 'INGRESS',
    action: f.denied?.length ? 'deny' : 'allow',
    priority: f.priority ?? 1000,
    network: lastSegment(f.network),
    sourceRanges: f.sourceRanges ?? [],
    targetTags: f.targetTags ?? [],
    description: f.description ?? '',
    disabled: f.disabled ?? false,
  },
});

/** What the inventory reads of a bucket's metadata (the Storage JSON API's bucket resource). */
export interface BucketInfo {
  name?: string;
  location?: string;
  locationType?: string;
  storageClass?: string;
  timeCreated?: string;
  labels?: Record<string, string> | null;
  versioning?: { enabled?: boolean } | null;
  encryption?: { defaultKmsKeyName?: string } | null;
  iamConfiguration?: {
    uniformBucketLevelAccess?: { enabled?: boolean };
    publicAccessPrevention?: string;
  } | null;
}

export interface PolicyBinding {
  role?: string;
  members?: string[];
}

const publicMembers = new Set(['allUsers', 'allAuthenticatedUsers']);

export const bucketResource = (b: BucketInfo, bindings: PolicyBinding[], ctx: NormalizeContext): Resource => {
  const tags = labelsOf(b.labels);
  const pap = b.iamConfiguration?.publicAccessPrevention ?? 'inherited';
  const grants = bindings.filter((x) => x.members?.some((m) => publicMembers.has(m)));
  const kms = b.encryption?.defaultKmsKeyName ?? null;
  return {
    ...base(ctx, (b.location ?? 'unknown').toLowerCase(), tags),
    type: 'bucket',
    id: `buckets/${b.name ?? ''}`,
    name: b.name ?? '',
    state: 'active',
    // Storage is billed on bytes stored, which the bucket listing does not say.
    monthlyCostCents: 0,
    attributes: {
      location: b.location ?? null,
      locationType: b.locationType ?? null,
      storageClass: b.storageClass ?? null,
      publicAccessPrevention: pap,
      uniformBucketLevelAccess: b.iamConfiguration?.uniformBucketLevelAccess?.enabled ?? false,
      versioning: b.versioning?.enabled ?? false,
      // Public access prevention `enforced` blocks allUsers grants even when a policy names them.
      public: grants.length > 0 && pap !== 'enforced',
      publicGrants: grants.map(
        (g) => `${g.role ?? '?'}: ${(g.members ?? []).filter((m) => publicMembers.has(m)).join(', ')}`,
      ),
      encryption: kms ? 'customer-managed' : 'google-managed',
      kmsKeyName: kms,
      createTime: iso(b.timeCreated),
    },
  };
};

/** IAM `projects.serviceAccounts.keys.list` items, validated at the boundary (no typed client here). */
export const ServiceAccountKey = z.object({
  name: z.string().min(1),
  validAfterTime: z.string().optional(),
  validBeforeTime: z.string().optional(),
  keyAlgorithm: z.string().optional(),
  keyOrigin: z.string().optional(),
  keyType: z.string().optional(),
  disabled: z.boolean().optional(),
});
export type ServiceAccountKey = z.infer<typeof ServiceAccountKey>;

export const accessKeyResource = (k: ServiceAccountKey, serviceAccount: string, ctx: NormalizeContext): Resource => {
  const keyId = lastSegment(k.name);
  const expires = iso(k.validBeforeTime);
  return {
    ...base(ctx, 'global', {}),
    type: 'access_key',
    id: `serviceAccounts/${serviceAccount}/keys/${keyId}`,
    name: `${serviceAccount} key ${keyId.slice(0, 8)}`,
    state: k.disabled ? 'inactive' : 'active',
    monthlyCostCents: 0,
    attributes: {
      serviceAccount,
      keyType: k.keyType ?? 'KEY_TYPE_UNSPECIFIED',
      userManaged: k.keyType === 'USER_MANAGED',
      createdAt: iso(k.validAfterTime),
      // User-managed keys never expire unless a policy says so: Google sends year 9999.
      expiresAt: expires && !expires.startsWith('9999') ? expires : null,
      keyId,
      keyAlgorithm: k.keyAlgorithm ?? null,
      keyOrigin: k.keyOrigin ?? null,
    },
  };
};
