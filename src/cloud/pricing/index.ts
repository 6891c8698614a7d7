import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { formatZodIssues, AppError } from '../../errors.ts';
import type { ProviderName } from '../resource.ts';

/**
 * Prices as data: one versioned JSON file per provider in this folder (`aws.json`, `azure.json`,
 * `gcp.json`), each naming its source, the date it was read and the regions it covers. A price
 * that is not in a table is unknown (`undefined`: the resource is marked `priced: false`), never
 * guessed from another region or size. Files are read and validated on first use, not at start.
 */

/** What a price is for. `key` names the thing within the kind (see each kind). */
export const PriceKind = z.enum([
  /** key: instance type / VM size / machine type; unit hour; `vcpu`, `memoryGib` set. */
  'instance',
  /** key: disk type (gp3, Premium_LRS, pd-balanced); unit gb_month. */
  'disk',
  /** key: `standard` (or the provider's snapshot tier); unit gb_month. */
  'snapshot',
  /** key: `in_use` or `idle` (an allocated address not attached); unit hour. */
  'ip_address',
  /** key: `application`, `network`, `classic`, `standard`; unit hour (capacity units not counted). */
  'load_balancer',
  /** key: `standard`; unit hour (data processed not counted). */
  'nat_gateway',
  /** key: `vcpu` or `memory_gb` (AWS Fargate, ECS and EKS tasks: per vCPU and per GB of memory); unit hour. */
  'fargate',
  /** key: `<class>:<engine>` (db.t3.micro:postgres, GP_Standard_D2s_v3:postgres, db-custom-2-7680:postgres); unit hour; `vcpu`, `memoryGib` set. */
  'database',
  /** key: storage type (gp3, gp2, io1); unit gb_month. */
  'db_storage',
  /**
   * key: `standard`; unit gb_month: RDS backup storage (automated backups, manual snapshots and
   * snapshot copies) beyond the free allowance, which is the region's provisioned DB storage.
   */
  'db_backup',
  /** key: storage class (standard, STANDARD, Hot_LRS); unit gb_month. */
  'object_storage',
  /** key: `stored`; unit gb_month. */
  'log_storage',
  /** key: a managed Kubernetes control plane (`eks`, `eks_extended` for a version in extended support); unit hour (nodes are instances). */
  'kubernetes_cluster',
]);
export type PriceKind = z.infer<typeof PriceKind>;

export const PriceUnit = z.enum(['hour', 'gb_month', 'month']);
export type PriceUnit = z.infer<typeof PriceUnit>;

export const PriceItem = z
  .object({
    kind: PriceKind,
    key: z.string().min(1),
    unit: PriceUnit,
    /** USD per unit, by region; only the regions listed are priced. */
    usd: z.record(z.string().min(1), z.number().nonnegative()),
    vcpu: z.number().positive().optional(),
    memoryGib: z.number().positive().optional(),
  })
  .strict();
export type PriceItem = z.infer<typeof PriceItem>;

export const PriceTable = z
  .object({
    provider: z.enum(['aws', 'azure', 'gcp']),
    /** Bumped whenever a price changes: `YYYY-MM-DD[.n]`. */
    version: z.string().regex(/^\d{4}-\d{2}-\d{2}(\.\d+)?$/),
    currency: z.literal('USD'),
    /** Where the prices were read (a price list API or page) and on what terms (on-demand, Linux, …). */
    source: z.string().min(10),
    /** When they were read. */
    retrieved: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
    /** Regions this table covers: every item is priced in each of them unless it says otherwise. */
    regions: z.array(z.string().min(1)).min(1),
    items: z.array(PriceItem).min(1),
  })
  .strict()
  .superRefine((t, ctx) => {
    const seen = new Set<string>();
    t.items.forEach((item, i) => {
      const id = `${item.kind}:${item.key}`;
      if (seen.has(id)) ctx.addIssue({ code: 'custom', path: ['items', i, 'key'], message: `duplicate ${id}` });
      seen.add(id);
      for (const region of Object.keys(item.usd))
        if (!t.regions.includes(region))
          ctx.addIssue({ code: 'custom', path: ['items', i, 'usd', region], message: `${region} is not in regions` });
      if ((item.kind === 'instance' || item.kind === 'database') && (!item.vcpu || !item.memoryGib))
        ctx.addIssue({ code: 'custom', path: ['items', i], message: `${id} needs vcpu and memoryGib` });
    });
  });
export type PriceTable = z.infer<typeof PriceTable>;

export type PricedProvider = PriceTable['provider'];
export const HOURS_PER_MONTH = 730;

const tables = new Map<PricedProvider, { table: PriceTable; index: Map<string, PriceItem> }>();

/** Parses and validates one table file; throws with the file and the failing paths. */
export const parsePriceTable = (json: unknown, file: string): PriceTable => {
  const r = PriceTable.safeParse(json);
  if (!r.success)
    throw new AppError('config_invalid', `${file} is not a valid price table: ${formatZodIssues(r.error)}`);
  return r.data;
};

const load = (provider: PricedProvider) => {
  let entry = tables.get(provider);
  if (!entry) {
    const file = new URL(`./${provider}.json`, import.meta.url);
    const table = parsePriceTable(JSON.parse(readFileSync(file, 'utf8')), `src/cloud/pricing/${provider}.json`);
    if (table.provider !== provider)
      throw new AppError('config_invalid', `${provider}.json declares provider ${table.provider}`);
    entry = { table, index: new Map(table.items.map((i) => [`${i.kind}:${i.key}`, i])) };
    tables.set(provider, entry);
  }
  return entry;
};

const priced = (p: string): p is PricedProvider => p === 'aws' || p === 'azure' || p === 'gcp';

/** The whole table of a provider (for `price compare` and the docs); undefined for unpriced providers. */
export const priceTable = (provider: ProviderName | string): PriceTable | undefined =>
  priced(provider) ? load(provider).table : undefined;

/** One item, or undefined when the provider, kind or key is not in the tables. */
export const priceItem = (provider: ProviderName | string, kind: PriceKind, key: string): PriceItem | undefined =>
  priced(provider) ? load(provider).index.get(`${kind}:${key}`) : undefined;

/** USD per unit in a region, or undefined when that exact region is not priced. */
export const unitPrice = (
  provider: ProviderName | string,
  kind: PriceKind,
  key: string,
  region: string,
): { usd: number; unit: PriceUnit } | undefined => {
  const item = priceItem(provider, kind, key);
  const usd = item?.usd[region];
  return item && usd !== undefined ? { usd, unit: item.unit } : undefined;
};

/**
 * Monthly cost in cents of `quantity` units (GB for gb_month, 1 for hourly things), or undefined
 * when unpriced. An hourly price runs 730 hours a month.
 */
export const monthlyCents = (
  provider: ProviderName | string,
  kind: PriceKind,
  key: string,
  region: string,
  quantity = 1,
): number | undefined => {
  const p = unitPrice(provider, kind, key, region);
  if (!p) return undefined;
  const perMonth = p.unit === 'hour' ? p.usd * HOURS_PER_MONTH : p.usd;
  return Math.round(perMonth * quantity * 100);
};

/** Keys of a kind priced in a region, in table order (e.g. the sizes a resize may pick from when the cloud cannot list them). */
export const pricedKeys = (provider: ProviderName | string, kind: PriceKind, region: string): string[] =>
  priced(provider)
    ? load(provider)
        .table.items.filter((i) => i.kind === kind && i.usd[region] !== undefined)
        .map((i) => i.key)
    : [];
