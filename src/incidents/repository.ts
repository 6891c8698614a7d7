import type { ConversationRef } from '../chat/actor.ts';
import type { PostedMessage } from '../chat/surface.ts';
import { conflict } from '../errors.ts';
import type { Db } from '../store/db.ts';
import { and, asc, desc, eq, sql } from '../store/orm.ts';
import { Diagnosis, IncidentSignal, type IncidentStatus, type RecordedCause, type SignalKind } from './model.ts';
import { incidentEvents, incidentInbox, incidents, incidentUserEmails } from './schema.ts';

/** An incident as the service and its tools read it. */
export type IncidentRow = typeof incidents.$inferSelect;
export type IncidentEventRow = typeof incidentEvents.$inferSelect;

/** `INC-7` → 7; also `inc7`, `#7`, `7`. */
export const incidentNumber = (ref: string): number | undefined => {
  const m = /^(?:inc-?|#)?([1-9]\d{0,8})$/i.exec(ref.trim());
  return m ? Number(m[1]) : undefined;
};
export const incidentRef = (i: Pick<IncidentRow, 'number'>): string => `INC-${i.number}`;

/** Stored signals keep their dates as ISO strings. */
const signalJson = (s: IncidentSignal): Record<string, unknown> => ({ ...s, occurredAt: s.occurredAt.toISOString() });
export const signalFromJson = (v: Record<string, unknown>): IncidentSignal =>
  IncidentSignal.parse({ ...v, occurredAt: new Date(String(v.occurredAt)) });

/** Diagnoses are stored as JSON: dates come back as strings. */
export const diagnosisFromJson = (v: unknown): Diagnosis | undefined => {
  if (!v || typeof v !== 'object') return undefined;
  const d = v as Record<string, unknown>;
  const date = (x: unknown) => (typeof x === 'string' ? new Date(x) : x);
  const parsed = Diagnosis.safeParse({
    ...d,
    computedAt: date(d.computedAt),
    facts: Array.isArray(d.facts)
      ? d.facts.map((f: Record<string, unknown>) => ({ ...f, ...(f.at ? { at: date(f.at) } : {}) }))
      : d.facts,
  });
  return parsed.success ? parsed.data : undefined;
};

/** The workspace of an incident already known by its source's id (a partial signal names no service to route by). */
export const workspaceOfExternal = async (
  db: Db,
  source: string,
  externalId: string,
): Promise<IncidentRow | undefined> =>
  (
    await db
      .select()
      .from(incidents)
      .where(and(eq(incidents.source, source), eq(incidents.externalId, externalId)))
      .limit(1)
  )[0];

/**
 * Records deliveries in one statement: the keys (`source:eventId`) that were new. A key seen
 * before (a redelivery) is not returned.
 */
export const enqueueSignals = async (
  db: Db,
  batch: readonly IncidentSignal[],
  receivedAt: Date,
): Promise<Set<string>> => {
  if (batch.length === 0) return new Set();
  const rows = await db
    .insert(incidentInbox)
    .values(batch.map((s) => ({ source: s.source, eventId: s.eventId, signal: signalJson(s), receivedAt })))
    .onConflictDoNothing()
    .returning({ source: incidentInbox.source, eventId: incidentInbox.eventId });
  return new Set(rows.map((r) => `${r.source}:${r.eventId}`));
};

/** Records a delivery once: false when `(source, eventId)` was seen before (a redelivery). */
export const enqueueSignal = async (db: Db, s: IncidentSignal, receivedAt: Date): Promise<boolean> => {
  const rows = await db
    .insert(incidentInbox)
    .values({ source: s.source, eventId: s.eventId, signal: signalJson(s), receivedAt })
    .onConflictDoNothing()
    .returning({ id: incidentInbox.id });
  return rows.length > 0;
};

export interface InboxItem {
  id: number;
  signal: IncidentSignal;
  attempts: number;
}

/**
 * Claims up to `limit` unprocessed deliveries, oldest first: unclaimed ones, and those whose
 * claim is older than `leaseMs` (the replica that claimed them stopped). One statement, so two
 * replicas never claim the same row.
 */
export const claimInbox = async (
  db: Db,
  runner: string,
  now: Date,
  leaseMs: number,
  limit: number,
): Promise<InboxItem[]> => {
  const stale = new Date(now.getTime() - leaseMs);
  const { rows } = await db.execute<{ id: number; signal: Record<string, unknown>; attempts: number }>(sql`
    update incident_inbox set claimed_by = ${runner}, claimed_at = ${now.toISOString()}, attempts = attempts + 1
    where id in (
      select id from incident_inbox
      where processed_at is null and attempts < 5 and (claimed_at is null or claimed_at < ${stale.toISOString()})
      order by id limit ${limit}
      for update skip locked)
    returning id, signal, attempts`);
  return rows
    .map((r) => ({ id: Number(r.id), signal: signalFromJson(r.signal), attempts: Number(r.attempts) }))
    .sort((a, b) => a.id - b.id);
};

/**
 * Marks a delivery processed, or records why it failed: its claim stays, so it is tried again once
 * the claim's lease lapses (the `incidents.inbox` job), not at once in the same pass.
 */
export const finishInbox = async (db: Db, id: number, now: Date, error?: string): Promise<void> => {
  await db
    .update(incidentInbox)
    .set(error === undefined ? { processedAt: now, error: null } : { error: error.slice(0, 1000) })
    .where(eq(incidentInbox.id, id));
};

/** Unprocessed deliveries (for `inventory status`-like health and tests). */
export const pendingInbox = async (db: Db): Promise<number> => {
  const { rows } = await db.execute<{ n: number }>(
    sql`select count(*)::int as n from incident_inbox where processed_at is null and attempts < 5`,
  );
  return Number(rows[0]?.n ?? 0);
};

const statusOf: Partial<Record<SignalKind, IncidentStatus>> = {
  triggered: 'triggered',
  reopened: 'triggered',
  unacknowledged: 'triggered',
  acknowledged: 'acknowledged',
  resolved: 'resolved',
};

export interface Applied {
  incident: IncidentRow;
  created: boolean;
  /** The status moved (or the incident was created), or something the first message shows changed. */
  changed: boolean;
  /** A `triggered` for an incident already open: counted, not shown as news. */
  repeat: boolean;
  /** A `triggered` for a resolved incident: it is open again. */
  reopened: boolean;
}

/**
 * Applies one signal to its incident under a row lock (creating the incident on its first
 * signal, numbered per workspace) and appends it to the timeline. A status older than the one
 * recorded (events delivered out of order) is kept in the timeline but does not move the status.
 */
export const applySignal = async (
  db: Db,
  s: IncidentSignal,
  workspaceId: string,
  channel: ConversationRef,
  now: Date,
): Promise<Applied> => {
  for (let attempt = 0; ; attempt++) {
    try {
      return await db.transaction(async (tx) => {
        const [found] = await tx
          .select()
          .from(incidents)
          .where(
            and(
              eq(incidents.workspaceId, workspaceId),
              eq(incidents.source, s.source),
              eq(incidents.externalId, s.externalId),
            ),
          )
          .for('update');
        let incident: IncidentRow;
        let created = false;
        let changed: boolean;
        let repeat = false;
        let reopened = false;
        if (!found) {
          const { rows } = await tx.execute<{ n: number }>(
            sql`select coalesce(max(number), 0)::int + 1 as n from incidents where workspace_id = ${workspaceId}`,
          );
          const status = statusOf[s.kind] ?? s.status ?? 'triggered';
          const [row] = await tx
            .insert(incidents)
            .values({
              workspaceId,
              number: Number(rows[0]!.n),
              source: s.source,
              externalId: s.externalId,
              externalNumber: s.number ?? null,
              title: s.title,
              service: s.service,
              serviceId: s.serviceId ?? null,
              urgency: s.urgency,
              status,
              statusAt: s.occurredAt,
              environment: s.environment ?? null,
              htmlUrl: s.htmlUrl ?? null,
              labels: s.labels,
              resources: s.resources,
              assignees: s.assignees ?? [],
              escalationLevel: s.escalationLevel ?? null,
              channel,
              openedAt: s.occurredAt,
              ...(status === 'acknowledged'
                ? { acknowledgedAt: s.occurredAt, acknowledgedBy: s.agent?.name ?? null }
                : {}),
              ...(status === 'resolved' ? { resolvedAt: s.occurredAt, resolvedBy: s.agent?.name ?? null } : {}),
              updatedAt: now,
            })
            .returning();
          incident = row!;
          created = true;
          changed = true;
        } else {
          const set: Partial<typeof incidents.$inferInsert> = {};
          const status = statusOf[s.kind];
          const newer = s.occurredAt.getTime() >= found.statusAt.getTime();
          if (s.kind === 'triggered' && found.status !== 'resolved') {
            repeat = true;
            set.repeats = found.repeats + 1;
          } else if (status && newer && status !== found.status) {
            set.status = status;
            set.statusAt = s.occurredAt;
            if (status === 'acknowledged') {
              set.acknowledgedAt = s.occurredAt;
              set.acknowledgedBy = s.agent?.name ?? null;
            }
            if (status === 'resolved') {
              set.resolvedAt = s.occurredAt;
              set.resolvedBy = s.agent?.name ?? null;
            }
            if (status === 'triggered' && found.status === 'resolved') {
              reopened = true;
              set.resolvedAt = null;
              set.resolvedBy = null;
              set.acknowledgedAt = null;
              set.acknowledgedBy = null;
            }
            if (status === 'triggered' && found.status === 'acknowledged') {
              set.acknowledgedAt = null;
              set.acknowledgedBy = null;
            }
          }
          if (s.assignees && JSON.stringify(s.assignees) !== JSON.stringify(found.assignees))
            set.assignees = s.assignees;
          if (s.escalationLevel !== undefined && s.escalationLevel !== found.escalationLevel)
            set.escalationLevel = s.escalationLevel;
          // A partial signal (a PagerDuty note names only the incident) carries no title, service or urgency.
          if (!s.partial && s.kind === 'priority_updated' && s.urgency !== found.urgency) set.urgency = s.urgency;
          if (!s.partial && s.title !== found.title && s.kind !== 'annotated') set.title = s.title;
          changed = Object.keys(set).some((k) => k !== 'repeats');
          const [row] = await tx
            .update(incidents)
            .set({ ...set, ...(changed ? { version: found.version + 1 } : {}), updatedAt: now })
            .where(eq(incidents.id, found.id))
            .returning();
          incident = row!;
        }
        // A webhook confirming what a click here already recorded (same status, nothing else new) is not news.
        const confirmation =
          !created && !changed && statusOf[s.kind] !== undefined && statusOf[s.kind] === found?.status;
        if (!repeat && !confirmation)
          await appendEvent(tx as unknown as Db, incident.id, {
            at: s.occurredAt,
            kind: reopened ? 'reopened' : s.kind,
            actor: s.agent?.name ?? (s.source === 'alertmanager' ? 'Alertmanager' : null),
            text: eventText(s),
            origin: s.source,
          });
        return { incident, created, changed, repeat, reopened };
      });
    } catch (e) {
      // Two replicas creating the first incidents of a workspace at once: the number is taken; again.
      if (attempt < 3 && /incidents_number|incidents_external|unique/i.test(String((e as Error)?.message ?? e)))
        continue;
      throw e;
    }
  }
};

const eventText = (s: IncidentSignal): string => {
  const who = s.agent?.name ? ` by ${s.agent.name}` : '';
  switch (s.kind) {
    case 'triggered':
      return `Triggered: ${s.title}`;
    case 'acknowledged':
      return `Acknowledged${who}`;
    case 'unacknowledged':
      return 'The acknowledgement lapsed';
    case 'resolved':
      return `Resolved${who}${s.note ? `: ${s.note}` : ''}`;
    case 'reopened':
      return `Reopened${who}`;
    case 'escalated':
      return `Escalated${s.escalationLevel ? ` to level ${s.escalationLevel}` : ''}${who}`;
    case 'reassigned':
      return `Reassigned${s.assignees?.length ? ` to ${s.assignees.join(', ')}` : ''}${who}`;
    case 'annotated':
      return `Note${who}: ${s.note ?? ''}`;
    case 'priority_updated':
      return `Priority changed${s.note ? ` to ${s.note}` : ''}${who}`;
  }
};

export const appendEvent = async (
  db: Db,
  incidentId: number,
  e: Omit<IncidentEventRow, 'incidentId' | 'seq' | 'changeId' | 'actor'> & { changeId?: string; actor?: string | null },
): Promise<void> => {
  await db.execute(sql`
    insert into incident_events (incident_id, seq, at, kind, actor, text, change_id, origin)
    select ${incidentId}, coalesce(max(seq), 0) + 1, ${e.at.toISOString()}, ${e.kind}, ${e.actor ?? null},
      ${e.text}, ${e.changeId ?? null}, ${e.origin}
    from incident_events where incident_id = ${incidentId}`);
};

export const listEvents = async (db: Db, incidentId: number): Promise<IncidentEventRow[]> =>
  db.select().from(incidentEvents).where(eq(incidentEvents.incidentId, incidentId)).orderBy(asc(incidentEvents.seq));

export const getIncident = async (db: Db, id: number): Promise<IncidentRow | undefined> =>
  (await db.select().from(incidents).where(eq(incidents.id, id)))[0];

export const incidentByNumber = async (db: Db, workspaceId: string, n: number): Promise<IncidentRow | undefined> =>
  (
    await db
      .select()
      .from(incidents)
      .where(and(eq(incidents.workspaceId, workspaceId), eq(incidents.number, n)))
  )[0];

export const listIncidents = async (
  db: Db,
  workspaceId: string,
  opts: { open?: boolean; limit?: number } = {},
): Promise<IncidentRow[]> =>
  db
    .select()
    .from(incidents)
    .where(
      opts.open
        ? and(eq(incidents.workspaceId, workspaceId), sql`${incidents.status} <> 'resolved'`)
        : eq(incidents.workspaceId, workspaceId),
    )
    .orderBy(desc(incidents.openedAt))
    .limit(opts.limit ?? 20);

/** Incidents whose thread is not posted yet (held by quiet hours, or its post failed), oldest first. */
export const incidentsWithoutThread = async (db: Db, limit = 100): Promise<IncidentRow[]> =>
  db
    .select()
    .from(incidents)
    .where(sql`${incidents.thread} is null`)
    .orderBy(asc(incidents.openedAt))
    .limit(limit);

/**
 * Claims the posting of an incident's thread: true for the one replica that is to post it
 * (nobody has, or the claim is older than `leaseMs`).
 */
export const claimThread = async (db: Db, id: number, runner: string, now: Date, leaseMs: number): Promise<boolean> => {
  const stale = new Date(now.getTime() - leaseMs);
  const rows = await db
    .update(incidents)
    .set({ threadClaimedBy: runner, threadClaimedAt: now })
    .where(
      and(
        eq(incidents.id, id),
        sql`${incidents.thread} is null`,
        sql`(${incidents.threadClaimedAt} is null or ${incidents.threadClaimedAt} < ${stale.toISOString()})`,
      ),
    )
    .returning({ id: incidents.id });
  return rows.length > 0;
};

/**
 * Gives up this runner's claim on posting the thread (the post failed): the next attempt may post
 * it at once. `thread_claimed_by` keeps naming the runner: the thread is then known to be late.
 */
export const releaseThread = async (db: Db, id: number, runner: string): Promise<void> => {
  await db
    .update(incidents)
    .set({ threadClaimedAt: null })
    .where(and(eq(incidents.id, id), eq(incidents.threadClaimedBy, runner), sql`${incidents.thread} is null`));
};

export const setThread = async (db: Db, id: number, thread: PostedMessage, shownVersion: number): Promise<void> => {
  await db.update(incidents).set({ thread, shownVersion }).where(eq(incidents.id, id));
};

/** Records that the first message shows `version` (never moves back). */
export const setShown = async (db: Db, id: number, version: number): Promise<void> => {
  await db
    .update(incidents)
    .set({ shownVersion: sql`greatest(${incidents.shownVersion}, ${version})` as unknown as number })
    .where(eq(incidents.id, id));
};

/** Bumps the version after a change the first message shows (diagnosis, cause). */
export const updateIncident = async (
  db: Db,
  id: number,
  set: Partial<typeof incidents.$inferInsert>,
  now: Date,
): Promise<IncidentRow> => {
  const [row] = await db
    .update(incidents)
    .set({ ...set, version: sql`${incidents.version} + 1` as unknown as number, updatedAt: now })
    .where(eq(incidents.id, id))
    .returning();
  return row!;
};

/** Records the cause once (a second answer is refused, so the grade stays the first responder's). */
export const recordCause = async (
  db: Db,
  id: number,
  cause: RecordedCause,
  by: string,
  grade: { grade: string; category: string } | undefined,
  now: Date,
): Promise<IncidentRow> => {
  const [row] = await db
    .update(incidents)
    .set({
      cause,
      causeBy: by,
      causeAt: now,
      grade: grade?.grade ?? null,
      gradeCategory: grade?.category ?? null,
      version: sql`${incidents.version} + 1` as unknown as number,
      updatedAt: now,
    })
    .where(and(eq(incidents.id, id), sql`${incidents.cause} is null`))
    .returning();
  if (!row) throw conflict('The cause of this incident was already recorded.');
  return row;
};

/** Grades per cause category (for `incidents accuracy`). */
export const gradeCounts = async (
  db: Db,
  workspaceId: string,
  since?: Date,
): Promise<Array<{ category: string; grade: string; n: number }>> => {
  const { rows } = await db.execute<{ category: string; grade: string; n: number }>(sql`
    select grade_category as category, grade, count(*)::int as n from incidents
    where workspace_id = ${workspaceId} and grade is not null
      ${since ? sql`and resolved_at >= ${since.toISOString()}` : sql``}
    group by 1, 2 order by 1, 2`);
  return rows.map((r) => ({ category: r.category, grade: r.grade, n: Number(r.n) }));
};

export const userEmail = async (
  db: Db,
  a: { surface: string; workspaceId: string; userId: string },
): Promise<string | undefined> =>
  (
    await db
      .select({ email: incidentUserEmails.email })
      .from(incidentUserEmails)
      .where(
        and(
          eq(incidentUserEmails.surface, a.surface),
          eq(incidentUserEmails.workspaceId, a.workspaceId),
          eq(incidentUserEmails.userId, a.userId),
        ),
      )
  )[0]?.email;

export const setUserEmail = async (
  db: Db,
  a: { surface: string; workspaceId: string; userId: string },
  email: string,
  setBy: string,
  now: Date,
): Promise<void> => {
  await db
    .insert(incidentUserEmails)
    .values({ ...a, email, setBy, setAt: now })
    .onConflictDoUpdate({
      target: [incidentUserEmails.surface, incidentUserEmails.workspaceId, incidentUserEmails.userId],
      set: { email, setBy, setAt: now },
    });
};
