import { and, asc, desc, eq, inArray, isNotNull, isNull, lt, sql } from '../../store/orm.ts';
import type { Db } from '../../store/db.ts';
import type { IncidentRouteEvent } from './notice.ts';
import { incidentDeliveries } from './schema.ts';

/**
 * Data access of `incident_deliveries` (schema.ts explains the columns). Every claim is one
 * statement whose condition another replica's claim falsifies: a unique `window_key` insert, or an
 * `UPDATE … WHERE status = 'held'` / `reported_in IS NULL`.
 */

export type DeliveryStatus = 'sending' | 'sent' | 'held' | 'grouped' | 'failed';
export type DeliveryRow = typeof incidentDeliveries.$inferSelect;

/** The row that opened the newest window of a dedup key. */
export const lastWindow = async (
  db: Db,
  dedupKey: string,
): Promise<{ windowSeq: number; status: DeliveryStatus; createdAt: Date } | undefined> => {
  const [row] = await db
    .select({
      windowSeq: incidentDeliveries.windowSeq,
      status: incidentDeliveries.status,
      createdAt: incidentDeliveries.createdAt,
    })
    .from(incidentDeliveries)
    .where(and(eq(incidentDeliveries.dedupKey, dedupKey), isNotNull(incidentDeliveries.windowKey)))
    .orderBy(desc(incidentDeliveries.windowSeq))
    .limit(1);
  return row ? { ...row, status: row.status as DeliveryStatus } : undefined;
};

export interface NewDelivery {
  eventId: string;
  workspaceId: string;
  incidentId: number;
  kind: string;
  target: string;
  dedupKey: string;
  windowSeq: number;
  urgency: string;
  event: IncidentRouteEvent;
  at: Date;
}

/** Records a repeat inside an open window. */
export const insertGrouped = async (db: Db, d: NewDelivery): Promise<void> => {
  await db.insert(incidentDeliveries).values({ ...base(d), windowKey: null, status: 'grouped' });
};

/** Opens window `windowSeq` (status sending or held); undefined when another replica opened it first. */
export const openWindow = async (
  db: Db,
  d: NewDelivery & { status: 'sending' | 'held'; heldUntil?: Date | undefined },
): Promise<number | undefined> => {
  const [row] = await db
    .insert(incidentDeliveries)
    .values({ ...base(d), windowKey: `${d.dedupKey}#${d.windowSeq}`, status: d.status, heldUntil: d.heldUntil ?? null })
    .onConflictDoNothing({ target: incidentDeliveries.windowKey })
    .returning({ id: incidentDeliveries.id });
  return row?.id;
};

const base = (d: NewDelivery) => ({
  eventId: d.eventId,
  workspaceId: d.workspaceId,
  incidentId: d.incidentId,
  kind: d.kind,
  target: d.target,
  dedupKey: d.dedupKey,
  windowSeq: d.windowSeq,
  urgency: d.urgency,
  event: d.event,
  createdAt: d.at,
  updatedAt: d.at,
});

/** Marks the unreported repeats of `dedupKey` as reported by delivery `id`; returns how many. */
export const claimRepeats = async (db: Db, dedupKey: string, id: number): Promise<number> => {
  const rows = await db
    .update(incidentDeliveries)
    .set({ reportedIn: id })
    .where(
      and(
        eq(incidentDeliveries.dedupKey, dedupKey),
        eq(incidentDeliveries.status, 'grouped'),
        isNull(incidentDeliveries.reportedIn),
      ),
    )
    .returning({ id: incidentDeliveries.id });
  return rows.length;
};

/** Gives back the repeats a failed delivery had claimed, for the next one to report. */
export const releaseRepeats = async (db: Db, ids: readonly number[]): Promise<void> => {
  if (ids.length === 0) return;
  await db
    .update(incidentDeliveries)
    .set({ reportedIn: null })
    .where(inArray(incidentDeliveries.reportedIn, [...ids]));
};

/** Records how deliveries ended. */
export const finish = async (
  db: Db,
  ids: readonly number[],
  outcome: { status: 'sent' | 'failed'; attempts: number; error?: string | undefined; repeats?: number; at: Date },
): Promise<void> => {
  if (ids.length === 0) return;
  await db
    .update(incidentDeliveries)
    .set({
      status: outcome.status,
      attempts: outcome.attempts,
      error: outcome.error ?? null,
      ...(outcome.repeats !== undefined ? { repeats: outcome.repeats } : {}),
      updatedAt: outcome.at,
      ...(outcome.status === 'sent' ? { sentAt: outcome.at } : {}),
    })
    .where(inArray(incidentDeliveries.id, [...ids]));
};

/** Targets with held deliveries, and the urgencies held for each. */
export const heldTargets = async (db: Db): Promise<{ target: string; urgency: string }[]> =>
  db
    .selectDistinct({ target: incidentDeliveries.target, urgency: incidentDeliveries.urgency })
    .from(incidentDeliveries)
    .where(eq(incidentDeliveries.status, 'held'));

/** Claims a target's held rows of these urgencies for one batch (held → sending), oldest first. */
export const claimHeld = async (
  db: Db,
  target: string,
  urgencies: readonly string[],
  batchId: string,
  at: Date,
): Promise<DeliveryRow[]> => {
  const rows = await db
    .update(incidentDeliveries)
    .set({ status: 'sending', batchId, updatedAt: at })
    .where(
      and(
        eq(incidentDeliveries.target, target),
        eq(incidentDeliveries.status, 'held'),
        inArray(incidentDeliveries.urgency, [...urgencies]),
      ),
    )
    .returning();
  return rows.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id - b.id);
};

/**
 * Claims the deliveries left `sending` since before `staleBefore` (a replica stopped between
 * claiming and recording them), for `at`'s sender: one UPDATE moves their `updated_at` to `at`,
 * so another replica's claim, whose condition is the old `updated_at`, finds none. Oldest first.
 */
export const claimStale = async (db: Db, staleBefore: Date, at: Date): Promise<DeliveryRow[]> => {
  const rows = await db
    .update(incidentDeliveries)
    .set({ updatedAt: at })
    .where(and(eq(incidentDeliveries.status, 'sending'), lt(incidentDeliveries.updatedAt, staleBefore)))
    .returning();
  return rows.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id - b.id);
};

/** How many repeats delivery `id` had claimed to report. */
export const repeatsClaimedBy = async (db: Db, id: number): Promise<number> => {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(incidentDeliveries)
    .where(eq(incidentDeliveries.reportedIn, id));
  return Number(row?.n ?? 0);
};

/** Every delivery of an incident, oldest first (what a thread or a test shows). */
export const deliveriesOf = async (db: Db, workspaceId: string, incidentId: number): Promise<DeliveryRow[]> =>
  db
    .select()
    .from(incidentDeliveries)
    .where(and(eq(incidentDeliveries.workspaceId, workspaceId), eq(incidentDeliveries.incidentId, incidentId)))
    .orderBy(asc(incidentDeliveries.id));

/** How many deliveries are in each status (for a health line or a test). */
export const deliveryCounts = async (db: Db): Promise<Record<string, number>> => {
  const rows = await db
    .select({ status: incidentDeliveries.status, n: sql<number>`count(*)::int` })
    .from(incidentDeliveries)
    .groupBy(incidentDeliveries.status);
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
};
