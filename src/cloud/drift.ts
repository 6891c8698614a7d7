import { z } from 'zod';
import { and, desc, eq, isNull } from '../store/orm.ts';
import type { Db } from '../store/db.ts';
import { notFound } from '../errors.ts';
import { ProviderName, type Resource } from './resource.ts';
import { baselineResources, inventoryBaselines, resources } from './schema.ts';

/**
 * Drift: an admin records a baseline of the inventory (one scope: everything, a provider, an
 * environment, a type); drift compares the live inventory with the newest baseline of that scope
 * and says what was added, removed and changed in what matters to operators (size, state, tags,
 * ingress rules, replicas, images).
 */

export const DriftScope = z
  .object({
    provider: ProviderName.optional(),
    environment: z.string().min(1).max(50).optional(),
    type: z.string().min(1).max(40).optional(),
    account: z.string().min(1).max(100).optional(),
  })
  .strict();
export type DriftScope = z.infer<typeof DriftScope>;

/** `all`, or `provider=aws env=prod type=instance` (fixed order): how a scope is stored and named. */
export const scopeText = (s: DriftScope): string =>
  [
    s.provider && `provider=${s.provider}`,
    s.account && `account=${s.account}`,
    s.environment && `env=${s.environment.toLowerCase()}`,
    s.type && `type=${s.type}`,
  ]
    .filter(Boolean)
    .join(' ') || 'all';

/** Attributes whose change is drift; the rest (metrics, timestamps, last-used dates) moves on its own. */
export const DRIFT_ATTRIBUTES = [
  'instanceType',
  'vmSize',
  'machineType',
  'size',
  'sizeGb',
  'volumeType',
  'ingress',
  'replicas',
  'images',
  'image',
  'publiclyAccessible',
  'public',
  'encrypted',
  'storageEncrypted',
  'multiAZ',
  'backupRetentionPeriod',
  'allowBlobPublicAccess',
  'unschedulable',
] as const;

export type Fingerprint = Record<string, unknown>;

export const fingerprint = (r: Pick<Resource, 'state' | 'tags' | 'attributes'>): Fingerprint => {
  const f: Fingerprint = { state: r.state, tags: r.tags };
  for (const k of DRIFT_ATTRIBUTES) if (r.attributes[k] !== undefined) f[k] = r.attributes[k];
  return f;
};

const canonical = (v: unknown): string =>
  JSON.stringify(v, (_k, val: unknown) =>
    val && typeof val === 'object' && !Array.isArray(val)
      ? Object.fromEntries(Object.entries(val as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : val,
  );

export interface DriftChange {
  field: string;
  before: unknown;
  after: unknown;
}

export interface DriftItem {
  provider: string;
  account: string;
  id: string;
  name: string;
  type: string;
  region: string;
  changes?: DriftChange[];
}

export interface DriftReport {
  scope: string;
  baseline: { id: number; createdAt: Date; createdBy: string; count: number };
  added: DriftItem[];
  removed: DriftItem[];
  changed: DriftItem[];
}

/** The field-by-field differences of two fingerprints; tags compared key by key. */
export const diffFingerprints = (before: Fingerprint, after: Fingerprint): DriftChange[] => {
  const changes: DriftChange[] = [];
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  for (const k of [...keys].sort()) {
    if (k === 'tags') {
      const b = (before.tags ?? {}) as Record<string, string>;
      const a = (after.tags ?? {}) as Record<string, string>;
      for (const t of [...new Set([...Object.keys(b), ...Object.keys(a)])].sort())
        if (b[t] !== a[t]) changes.push({ field: `tag ${t}`, before: b[t] ?? null, after: a[t] ?? null });
      continue;
    }
    if (canonical(before[k] ?? null) !== canonical(after[k] ?? null))
      changes.push({ field: k, before: before[k] ?? null, after: after[k] ?? null });
  }
  return changes;
};

const liveWhere = (s: DriftScope) =>
  and(
    isNull(resources.goneAt),
    s.provider ? eq(resources.provider, s.provider) : undefined,
    s.account ? eq(resources.account, s.account) : undefined,
    s.environment ? eq(resources.environment, s.environment.toLowerCase()) : undefined,
    s.type ? eq(resources.type, s.type) : undefined,
  );

/** Records the live inventory of a scope as its new baseline; returns its id and size. */
export const recordBaseline = async (
  db: Db,
  scope: DriftScope,
  by: string,
  now: Date,
): Promise<{ id: number; count: number; scope: string }> => {
  const text = scopeText(scope);
  return db.transaction(async (tx) => {
    const rows = await tx.select().from(resources).where(liveWhere(scope));
    const [b] = await tx
      .insert(inventoryBaselines)
      .values({ scope: text, createdAt: now, createdBy: by, count: rows.length })
      .returning({ id: inventoryBaselines.id });
    const id = b!.id;
    for (let i = 0; i < rows.length; i += 500)
      await tx.insert(baselineResources).values(
        rows.slice(i, i + 500).map((r) => ({
          baselineId: id,
          provider: r.provider,
          account: r.account,
          id: r.id,
          type: r.type,
          name: r.name,
          region: r.region,
          fingerprint: fingerprint(r),
        })),
      );
    return { id, count: rows.length, scope: text };
  });
};

/** Live inventory against the newest baseline of the scope; not_found when none was recorded. */
export const computeDrift = async (db: Db, scope: DriftScope): Promise<DriftReport> => {
  const text = scopeText(scope);
  const [baseline] = await db
    .select()
    .from(inventoryBaselines)
    .where(eq(inventoryBaselines.scope, text))
    .orderBy(desc(inventoryBaselines.createdAt), desc(inventoryBaselines.id))
    .limit(1);
  if (!baseline)
    throw notFound(
      `No baseline is recorded for ${text}. An admin records one with \`baseline set${text === 'all' ? '' : ` ${text}`}\`.`,
    );
  const [then, live] = await Promise.all([
    db.select().from(baselineResources).where(eq(baselineResources.baselineId, baseline.id)),
    db.select().from(resources).where(liveWhere(scope)),
  ]);
  const key = (r: { provider: string; account: string; id: string }) => `${r.provider}\u0000${r.account}\u0000${r.id}`;
  const before = new Map(then.map((r) => [key(r), r]));
  const item = (r: { provider: string; account: string; id: string; name: string; type: string; region: string }) => ({
    provider: r.provider,
    account: r.account,
    id: r.id,
    name: r.name,
    type: r.type,
    region: r.region,
  });
  const added: DriftItem[] = [];
  const changed: DriftItem[] = [];
  for (const r of live) {
    const b = before.get(key(r));
    before.delete(key(r));
    if (!b) {
      added.push(item(r));
      continue;
    }
    const changes = diffFingerprints(b.fingerprint, fingerprint(r));
    if (changes.length) changed.push({ ...item(r), changes });
  }
  const removed = [...before.values()].map(item);
  const order = (a: DriftItem, b: DriftItem) => `${a.type}${a.name}${a.id}`.localeCompare(`${b.type}${b.name}${b.id}`);
  return {
    scope: text,
    baseline: { id: baseline.id, createdAt: baseline.createdAt, createdBy: baseline.createdBy, count: baseline.count },
    added: added.sort(order),
    removed: removed.sort(order),
    changed: changed.sort(order),
  };
};

/** Every scope with a baseline (the scheduled drift job checks each). */
export const baselineScopes = async (db: Db): Promise<string[]> =>
  (await db.selectDistinct({ scope: inventoryBaselines.scope }).from(inventoryBaselines)).map((r) => r.scope);

/** Parses a stored scope text back (`provider=aws env=prod`). */
export const parseScopeText = (text: string): DriftScope => {
  if (text === 'all') return {};
  const out: Record<string, string> = {};
  for (const part of text.split(' ')) {
    const [k, v] = part.split('=');
    if (k && v) out[k === 'env' ? 'environment' : k] = v;
  }
  return DriftScope.parse(out);
};
