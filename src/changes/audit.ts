import { createHash } from 'node:crypto';
import { and, asc, desc, eq, gt, sql } from '../store/orm.ts';
import type { SQL } from 'drizzle-orm';
import { z } from 'zod';
import { canonicalJson, toJsonValue } from '../util/canonical-json.ts';
import { auditEvents, changeRequests } from './schema.ts';
import type { DbOrTx } from './tx.ts';
import { redactDeep } from '../util/redact.ts';

/**
 * The append-only audit log. Each event's hash covers the previous event's hash and the event's
 * canonical JSON, so changing, removing or reordering any stored event breaks the chain from there
 * on, and `verifyAudit` names the first broken event. Deleting the newest events leaves a shorter
 * valid chain: that is caught by an anchor, a head (`#seq` + hash) printed by an earlier verify and
 * kept outside the database, which must still be in the chain.
 */
export const AuditEventType = z.enum([
  'change.requested',
  'change.approved',
  'change.rejected',
  'change.executing',
  'change.waiting',
  'change.succeeded',
  'change.failed',
  'change.expired',
  'change.interrupted',
  'change.rollback_requested',
  'change.cancel_requested',
  'change.gate_approved',
  'change.gate_rejected',
  'change.rolled_back',
  'change.overridden',
  'freeze.created',
  'freeze.lifted',
  'role.granted',
  'role.temporary_granted',
  'role.temporary_revoked',
  'role.temporary_expired',
  'template.added',
  'finding.suppressed',
  'finding.unsuppressed',
  'offhours.activated',
  'offhours.run',
  'offhours.missed',
  'offhours.paused',
  'offhours.resumed',
  'offhours.removed',
]);
export type AuditEventType = z.infer<typeof AuditEventType>;

export interface AuditEventInput {
  at: Date;
  type: AuditEventType;
  /** `actorKey(actor)` of who caused it; null for the system (expiry, recovery, config). */
  actorKey: string | null;
  /** What it is about: a change id, `role:<workspace>:<user>`, or `freeze:<workspace>:<id>`. */
  subject: string | null;
  data: Record<string, unknown>;
}

export interface AuditEvent extends Omit<AuditEventInput, 'type'> {
  seq: number;
  /** As stored: not narrowed, so a tampered row can still be read and reported. */
  type: string;
  prevHash: string;
  hash: string;
}

export const GENESIS_HASH = '0'.repeat(64);

/** Fixed key of the transaction-scoped advisory lock that keeps concurrent appends on one chain. */
const auditLockKey = 7_310_552_005;

type Hashed = Pick<AuditEvent, 'at' | 'type' | 'actorKey' | 'subject' | 'data'>;

export const auditHash = (prevHash: string, e: Hashed): string =>
  createHash('sha256')
    .update(
      prevHash + canonicalJson({ at: e.at, type: e.type, actorKey: e.actorKey, subject: e.subject, data: e.data }),
    )
    .digest('hex');

const toEvent = (r: typeof auditEvents.$inferSelect): AuditEvent => ({
  seq: r.seq,
  at: r.at,
  type: r.type,
  actorKey: r.actorKey,
  subject: r.subject,
  data: r.data,
  prevHash: r.prevHash,
  hash: r.hash,
});

/**
 * Appends one event. Given a transaction, the event commits or rolls back with it; the advisory
 * lock is then held until that transaction ends, so keep it short. Lock order everywhere: row
 * locks first, this lock last.
 */
export const appendAudit = (exec: DbOrTx, input: AuditEventInput): Promise<AuditEvent> =>
  exec.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(${sql.raw(String(auditLockKey))})`);
    const [last] = await tx
      .select({ hash: auditEvents.hash })
      .from(auditEvents)
      .orderBy(desc(auditEvents.seq))
      .limit(1);
    const prevHash = last?.hash ?? GENESIS_HASH;
    // Hash exactly what jsonb will give back (Dates as strings, undefined members gone). Nothing
    // token-like enters the chain: once hashed it could not be removed without breaking verify.
    // (The engine redacts what people type before it gets here; this is the last line.)
    const data = redactDeep(toJsonValue(input.data)).value as Record<string, unknown>;
    const event = {
      at: input.at,
      type: AuditEventType.parse(input.type),
      actorKey: input.actorKey,
      subject: input.subject,
      data,
    };
    const hash = auditHash(prevHash, event);
    const [row] = await tx
      .insert(auditEvents)
      .values({ ...event, prevHash, hash })
      .returning();
    return toEvent(row!);
  });

/** An event of the chain, as a verify printed it: `<seq>:<hash>`. */
export interface AuditAnchor {
  seq: number;
  hash: string;
}

export const parseAuditAnchor = (s: string): AuditAnchor | null => {
  const m = /^#?(\d+):([0-9a-f]{64})$/.exec(s.trim());
  return m ? { seq: Number(m[1]), hash: m[2]! } : null;
};

export const formatAuditAnchor = (a: AuditAnchor): string => `${a.seq}:${a.hash}`;

export type AuditVerification =
  { ok: true; count: number; head: AuditAnchor | null } | { ok: false; seq: number; reason: string };

/**
 * Walks the whole chain in seq order and reports the first event whose link or content is wrong;
 * with an `anchor`, also that the anchored event is still there with the same hash.
 */
export const verifyAudit = async (
  db: DbOrTx,
  opts: { batchSize?: number; anchor?: AuditAnchor } = {},
): Promise<AuditVerification> => {
  const batchSize = opts.batchSize ?? 1000;
  const anchor = opts.anchor;
  let expectedPrev = GENESIS_HASH;
  let prevSeq: number | undefined;
  let count = 0;
  let anchorSeen = false;
  for (;;) {
    const rows = await db
      .select()
      .from(auditEvents)
      .where(gt(auditEvents.seq, prevSeq ?? 0))
      .orderBy(asc(auditEvents.seq))
      .limit(batchSize);
    for (const row of rows) {
      if (row.prevHash !== expectedPrev) {
        const reason =
          prevSeq === undefined
            ? 'the first event does not link to the genesis hash (earlier events were removed)'
            : `its prevHash does not match the hash of event #${prevSeq} (an event was removed, inserted or reordered)`;
        return { ok: false, seq: row.seq, reason };
      }
      if (auditHash(row.prevHash, toEvent(row)) !== row.hash) {
        return { ok: false, seq: row.seq, reason: 'its content does not match its hash (the event was modified)' };
      }
      if (anchor && row.seq === anchor.seq) {
        if (row.hash !== anchor.hash)
          return {
            ok: false,
            seq: row.seq,
            reason: 'its hash differs from the anchor (the chain was rewritten from here or earlier)',
          };
        anchorSeen = true;
      }
      expectedPrev = row.hash;
      prevSeq = row.seq;
      count += 1;
    }
    if (rows.length < batchSize) break;
  }
  if (anchor && !anchorSeen)
    return {
      ok: false,
      seq: anchor.seq,
      reason: 'the anchored event is missing (events were removed from the end of the log)',
    };
  return { ok: true, count, head: prevSeq === undefined ? null : { seq: prevSeq, hash: expectedPrev } };
};

/** LIKE pattern for a literal prefix. */
const prefix = (s: string): string => `${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * Events of one workspace: caused by one of its users, about one of its change requests, or about
 * a role or a freeze in it. (The chain itself is global; `verifyAudit` checks all of it.)
 */
const ofWorkspace = (w: { surface: string; workspaceId: string }): SQL =>
  sql`(${auditEvents.actorKey} like ${prefix(`${w.surface}:${w.workspaceId}:`)}
    or ${auditEvents.subject} like ${prefix(`role:${w.workspaceId}:`)}
    or ${auditEvents.subject} like ${prefix(`freeze:${w.workspaceId}:`)}
    or ${auditEvents.subject} in (select ${changeRequests.id} from ${changeRequests} where ${changeRequests.workspaceId} = ${w.workspaceId}))`;

/** Events in append order, optionally about one subject or one workspace; with `latest`, the newest N (still in append order). */
export const listAuditEvents = async (
  db: DbOrTx,
  opts: {
    subject?: string;
    afterSeq?: number;
    limit?: number;
    latest?: number;
    workspace?: { surface: string; workspaceId: string };
  } = {},
): Promise<AuditEvent[]> => {
  const where: SQL[] = [gt(auditEvents.seq, opts.afterSeq ?? 0)];
  if (opts.subject !== undefined) where.push(eq(auditEvents.subject, opts.subject));
  if (opts.workspace !== undefined) where.push(ofWorkspace(opts.workspace));
  const rows = await db
    .select()
    .from(auditEvents)
    .where(and(...where))
    .orderBy(opts.latest ? desc(auditEvents.seq) : asc(auditEvents.seq))
    .limit(opts.latest ?? opts.limit ?? 100);
  return (opts.latest ? rows.reverse() : rows).map(toEvent);
};
