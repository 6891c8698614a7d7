import { randomUUID } from 'node:crypto';
import { and, asc, desc, eq, inArray, isNull, max, sql } from '../store/orm.ts';
import type { SQL } from 'drizzle-orm';
import { badRequest } from '../errors.ts';
import type { Db } from '../store/db.ts';
import { Resource } from './resource.ts';
import type { CostGrouping } from './resource.ts';
import type { SyncSource } from './provider.ts';
import { resources } from './schema.ts';

/**
 * The synced inventory in SQL. A sync replaces one provider's listing: upserts what it saw and
 * marks rows it no longer sees `gone_at` (kept for history, hidden from every answer here).
 */

export interface ResourceFilter {
  type?: string;
  /** Any of these types. */
  types?: string[];
  provider?: string;
  environment?: string;
  /** Any of these states. */
  states?: string[];
  /** Part of the name or the id, case-insensitive (a person typing into a picker). */
  search?: string;
}

export interface ResourceQuery extends ResourceFilter {
  /** Default 100, at most 1000. */
  limit?: number;
  offset?: number;
}

export interface CostLine {
  key: string;
  monthlyCostCents: number;
  count: number;
}

export interface InventoryTotals {
  count: number;
  monthlyCostCents: number;
  byType: Record<string, number>;
  /** When the newest row was seen; null for an empty inventory. */
  lastSeenAt: Date | null;
}

export interface ReplaceOutcome {
  upserted: number;
  gone: number;
}

/** One listing of one source being written, batch by batch (see ResourceRepository.beginListing). */
export interface ListingWriter {
  /** Validates and upserts a batch, stamped with this listing: visible at once, nothing marked gone yet. */
  write(batch: Resource[]): Promise<void>;
  /** After the whole listing: marks the source's live rows this listing did not stamp gone. */
  finish(now: Date): Promise<ReplaceOutcome>;
}

export interface ResourceRepository {
  /**
   * Starts a listing of a source that arrives in batches. Each batch is written as it comes, in
   * its own statement (no transaction held while a cloud is being read: on embedded PostgreSQL
   * one would stall every other query); only `finish` marks rows gone, so a listing that fails
   * half-way leaves the rows it refreshed refreshed and every other row as it was. The caller
   * makes sure one source has one listing at a time (inventory.ts claims the source first).
   */
  beginListing(source: Pick<SyncSource, 'key' | 'provider' | 'region'>): ListingWriter;
  /**
   * Upserts `listing` (everything one source holds) and marks the source's other live rows gone:
   * `beginListing`, one write, `finish`. Rows stored before sources existed (source '') of the
   * same provider and region count as the source's.
   */
  replaceListing(
    source: Pick<SyncSource, 'key' | 'provider' | 'region'>,
    listing: Resource[],
    now: Date,
  ): Promise<ReplaceOutcome>;
  /** Stores one resource as just described (after a change), leaving the rest of the listing alone. */
  upsertOne(resource: Resource): Promise<void>;
  /** Marks one resource gone (described after a change and no longer found). */
  markGone(key: { provider: string; account: string; id: string }, now: Date): Promise<void>;
  list(query?: ResourceQuery): Promise<Resource[]>;
  count(filter?: ResourceFilter): Promise<number>;
  /** Exact id, else exact name, else case-insensitive name; several results mean the caller must ask which. */
  findByIdOrName(ref: string): Promise<Resource[]>;
  costs(by: CostGrouping): Promise<CostLine[]>;
  totals(): Promise<InventoryTotals>;
}

type Row = typeof resources.$inferSelect;

/** A stored row as a Resource (checked). */
export const toResource = (r: Row): Resource =>
  Resource.parse({
    provider: r.provider,
    account: r.account,
    region: r.region,
    type: r.type,
    id: r.id,
    name: r.name,
    state: r.state,
    tags: r.tags,
    environment: r.environment,
    monthlyCostCents: r.monthlyCostCents,
    attributes: r.attributes,
    seenAt: r.seenAt,
  });

const toRow = (r: Resource) => ({
  provider: r.provider,
  account: r.account,
  id: r.id,
  region: r.region,
  type: r.type,
  name: r.name,
  state: r.state,
  tags: r.tags,
  environment: r.environment,
  monthlyCostCents: r.monthlyCostCents,
  attributes: r.attributes,
  seenAt: r.seenAt,
  goneAt: null,
});

type StoredRow = ReturnType<typeof toRow> & { source?: string; syncId?: string };

const live = isNull(resources.goneAt);

const where = (f: ResourceFilter): SQL | undefined =>
  and(
    live,
    f.type ? eq(resources.type, f.type) : undefined,
    f.types && f.types.length > 0 ? inArray(resources.type, f.types) : undefined,
    f.provider ? eq(resources.provider, f.provider) : undefined,
    f.environment ? eq(resources.environment, f.environment.toLowerCase()) : undefined,
    f.states && f.states.length > 0 ? inArray(resources.state, f.states) : undefined,
    // strpos, not LIKE: what people type may hold % or _.
    f.search
      ? sql`(strpos(lower(${resources.name}), lower(${f.search})) > 0 OR strpos(lower(${resources.id}), lower(${f.search})) > 0)`
      : undefined,
  );

const groupKey: Record<CostGrouping, SQL<string>> = {
  service: sql<string>`coalesce(nullif(${resources.tags}->>'service', ''), 'untagged')`,
  environment: sql<string>`${resources.environment}`,
  provider: sql<string>`${resources.provider}`,
  account: sql<string>`${resources.provider} || ' ' || ${resources.account}`,
  type: sql<string>`${resources.type}`,
};

/** INSERT … ON CONFLICT of rows from a listing or a describe: the newest sighting wins, gone rows come back. */
const upsert = (tx: Pick<Db, 'insert'>, rows: StoredRow[]) =>
  tx
    .insert(resources)
    .values(rows)
    .onConflictDoUpdate({
      target: [resources.provider, resources.account, resources.id],
      set: {
        region: sql`excluded.region`,
        type: sql`excluded.type`,
        name: sql`excluded.name`,
        state: sql`excluded.state`,
        tags: sql`excluded.tags`,
        environment: sql`excluded.environment`,
        monthlyCostCents: sql`excluded.monthly_cost_cents`,
        attributes: sql`excluded.attributes`,
        seenAt: sql`excluded.seen_at`,
        goneAt: null,
        // A describe after a change keeps the row's source; a listing claims it.
        source: sql`case when excluded.source = '' then ${resources.source} else excluded.source end`,
        syncId: sql`coalesce(excluded.sync_id, ${resources.syncId})`,
      },
    });

/**
 * The same upsert for a listing's batch, as one statement whatever its size: the rows travel as
 * one JSON parameter unpacked by json_to_recordset, instead of 16 bind parameters a row built by
 * the query builder (which cost more time than PostgreSQL spent storing them: BENCHMARKS.md).
 * The JSON columns are unpacked as `json` and cast: json_to_recordset filling `jsonb` columns
 * itself is ~4× slower (src/scans/engine.ts `stage`).
 */
const upsertListed = async (db: Db, rows: StoredRow[]): Promise<void> => {
  if (rows.length === 0) return;
  const json = JSON.stringify(rows);
  await db.execute(sql`
    insert into resources (provider, account, id, region, type, name, state, tags, environment,
      monthly_cost_cents, attributes, seen_at, source, sync_id)
    select provider, account, id, region, type, name, state, tags::jsonb, environment,
      "monthlyCostCents", attributes::jsonb, "seenAt", source, "syncId"
    from json_to_recordset(${json}::json) as x(provider text, account text, id text, region text,
      type text, name text, state text, tags json, environment text, "monthlyCostCents" integer,
      attributes json, "seenAt" timestamptz, source text, "syncId" text)
    on conflict (provider, account, id) do update set
      region = excluded.region, type = excluded.type, name = excluded.name, state = excluded.state,
      tags = excluded.tags, environment = excluded.environment,
      monthly_cost_cents = excluded.monthly_cost_cents, attributes = excluded.attributes,
      seen_at = excluded.seen_at, gone_at = null, source = excluded.source, sync_id = excluded.sync_id`);
};

/** Rows a listing batch upserts at once: ~2 MB of JSON for EC2 instances. */
const listedBatch = 2000;

export const resourceRepository = (db: Db): ResourceRepository => ({
  beginListing(source) {
    const { provider } = source;
    // Every row this listing stores gets its stamp; the source's live rows without it were not listed.
    const syncId = randomUUID();
    const written = new Set<string>();
    return {
      async write(batch) {
        const parsed = Resource.array().parse(batch);
        const stranger = parsed.find((r) => r.provider !== provider);
        if (stranger)
          throw badRequest(`A ${provider} listing cannot contain the ${stranger.provider} resource ${stranger.id}.`);
        // One INSERT … ON CONFLICT must not touch a row twice, so the last duplicate wins.
        const rows = [
          ...new Map(
            parsed.map((r) => [`${r.account}\u0000${r.id}`, { ...toRow(r), source: source.key, syncId }]),
          ).values(),
        ];
        for (let i = 0; i < rows.length; i += listedBatch) await upsertListed(db, rows.slice(i, i + listedBatch));
        for (const r of rows) written.add(`${r.account}\u0000${r.id}`);
      },
      async finish(now) {
        const gone = await db
          .update(resources)
          .set({ goneAt: now })
          .where(
            and(
              eq(resources.provider, provider),
              live,
              sql`(${resources.source} = ${source.key} or (${resources.source} = '' and ${resources.region} = ${source.region}))`,
              sql`${resources.syncId} is distinct from ${syncId}`,
            ),
          )
          .returning({ id: resources.id });
        return { upserted: written.size, gone: gone.length };
      },
    };
  },

  async replaceListing(source, listing, now) {
    const writer = resourceRepository(db).beginListing(source);
    await writer.write(listing);
    return writer.finish(now);
  },

  async upsertOne(resource) {
    await upsert(db, [toRow(Resource.parse(resource))]);
  },

  async markGone(key, now) {
    await db
      .update(resources)
      .set({ goneAt: now })
      .where(
        and(eq(resources.provider, key.provider), eq(resources.account, key.account), eq(resources.id, key.id), live),
      );
  },

  async list(query = {}) {
    const limit = Math.min(Math.max(query.limit ?? 100, 1), 1000);
    const rows = await db
      .select()
      .from(resources)
      .where(where(query))
      .orderBy(asc(resources.provider), asc(resources.type), asc(resources.name), asc(resources.id))
      .limit(limit)
      .offset(Math.max(query.offset ?? 0, 0));
    return rows.map(toResource);
  },

  async count(filter = {}) {
    const [row] = await db
      .select({ n: sql<number>`count(*)::int` })
      .from(resources)
      .where(where(filter));
    return row?.n ?? 0;
  },

  async findByIdOrName(ref) {
    const needle = ref.trim();
    if (!needle) return [];
    const order = [asc(resources.provider), asc(resources.account), asc(resources.id)];
    for (const match of [
      eq(resources.id, needle),
      eq(resources.name, needle),
      sql`lower(${resources.name}) = lower(${needle})`,
    ]) {
      const rows = await db
        .select()
        .from(resources)
        .where(and(live, match))
        .orderBy(...order)
        .limit(50);
      if (rows.length > 0) return rows.map(toResource);
    }
    return [];
  },

  async costs(by) {
    const key = groupKey[by];
    const total = sql<string>`sum(${resources.monthlyCostCents})::bigint`;
    const rows = await db
      .select({ key, cents: total, count: sql<number>`count(*)::int` })
      .from(resources)
      .where(live)
      .groupBy(key)
      .orderBy(desc(total), asc(key));
    return rows.map((r) => ({ key: r.key, monthlyCostCents: Number(r.cents), count: r.count }));
  },

  async totals() {
    const rows = await db
      .select({
        type: resources.type,
        count: sql<number>`count(*)::int`,
        cents: sql<string>`sum(${resources.monthlyCostCents})::bigint`,
        lastSeenAt: max(resources.seenAt),
      })
      .from(resources)
      .where(live)
      .groupBy(resources.type)
      .orderBy(asc(resources.type));
    const seen = rows.map((r) => r.lastSeenAt).filter((d): d is Date => d !== null);
    return {
      count: rows.reduce((n, r) => n + r.count, 0),
      monthlyCostCents: rows.reduce((n, r) => n + Number(r.cents), 0),
      byType: Object.fromEntries(rows.map((r) => [r.type, r.count])),
      lastSeenAt: seen.length > 0 ? new Date(Math.max(...seen.map((d) => d.getTime()))) : null,
    };
  },
});
