import { and, asc, desc, eq, gt, isNull, lte } from '../store/orm.ts';
import { actorKey, Role, type Actor, type ConversationRef, type SurfaceName } from '../chat/actor.ts';
import { appendAudit } from '../changes/audit.ts';
import type { Db } from '../store/db.ts';
import { roleGrants } from './schema.ts';

/**
 * Just-in-time role grants, as stored: a role for one person until an expiry, on top of their
 * own. Only one is open per person (unique index); a new one replaces it. Role resolution
 * (`ensureUser`) counts a grant while it is open and its expiry is ahead, so an expired grant
 * stops counting at once; the `roles.expire` job (jobs.ts) then closes it, audits it and says so
 * where it was granted. Every change here is audited in the same transaction.
 */

/** Roles that can be granted for a while. Admin cannot: a temporary admin could make itself permanent. */
export const TemporaryRole = Role.extract(['operator', 'approver']);
export type TemporaryRole = (typeof TemporaryRole)['options'][number];

export type GrantEnd = 'expired' | 'revoked' | 'replaced';

export interface RoleGrant {
  id: number;
  workspaceId: string;
  userId: string;
  surface: SurfaceName;
  displayName: string;
  role: Role;
  reason: string | null;
  grantedBy: Actor;
  conversation: ConversationRef;
  createdAt: Date;
  expiresAt: Date;
  endedAt: Date | null;
  endedBy: Actor | null;
  endReason: GrantEnd | null;
}

/** What role resolution needs of an open grant. */
export type ActiveGrant = Pick<RoleGrant, 'id' | 'role' | 'expiresAt' | 'grantedBy' | 'reason'>;

type Row = typeof roleGrants.$inferSelect;

const toGrant = (r: Row): RoleGrant => ({
  id: r.id,
  workspaceId: r.workspaceId,
  userId: r.userId,
  surface: r.surface as SurfaceName,
  displayName: r.displayName,
  role: Role.parse(r.role),
  reason: r.reason,
  grantedBy: r.grantedBy,
  conversation: r.conversation,
  createdAt: r.createdAt,
  expiresAt: r.expiresAt,
  endedAt: r.endedAt,
  endedBy: r.endedBy ?? null,
  endReason: (r.endReason as GrantEnd | null) ?? null,
});

export const grantSubject = (g: Pick<RoleGrant, 'workspaceId' | 'userId'>): string =>
  `role:${g.workspaceId}:${g.userId}`;

const openAt = (at: Date) => and(isNull(roleGrants.endedAt), gt(roleGrants.expiresAt, at));

/** The person's grant in force at `at`, if any. */
export const activeGrant = async (
  db: Db,
  workspaceId: string,
  userId: string,
  at: Date,
): Promise<ActiveGrant | undefined> => {
  const [row] = await db
    .select()
    .from(roleGrants)
    .where(and(eq(roleGrants.workspaceId, workspaceId), eq(roleGrants.userId, userId), openAt(at)))
    .limit(1);
  return row ? toGrant(row) : undefined;
};

/** The workspace's grants in force at `at`, ending soonest first. */
export const activeGrants = async (db: Db, workspaceId: string, at: Date): Promise<RoleGrant[]> =>
  (
    await db
      .select()
      .from(roleGrants)
      .where(and(eq(roleGrants.workspaceId, workspaceId), openAt(at)))
      .orderBy(asc(roleGrants.expiresAt), asc(roleGrants.id))
  ).map(toGrant);

/** The open grants (expired or not) whose display name is `name` (case-insensitive), newest first. */
export const openGrantsNamed = async (db: Db, workspaceId: string, name: string): Promise<RoleGrant[]> =>
  (
    await db
      .select()
      .from(roleGrants)
      .where(and(eq(roleGrants.workspaceId, workspaceId), isNull(roleGrants.endedAt)))
      .orderBy(desc(roleGrants.id))
  )
    .map(toGrant)
    .filter((g) => g.displayName.toLowerCase() === name.toLowerCase());

export interface NewGrant {
  workspaceId: string;
  person: { userId: string; surface: SurfaceName; displayName: string };
  role: TemporaryRole;
  reason: string | null;
  by: Actor;
  conversation: ConversationRef;
  now: Date;
  expiresAt: Date;
  /** The person's own role (null: the bot has not met them), for the audit event. */
  baseRole: Role | null;
}

/** Opens a grant, closing (`replaced`) the person's open one first; audited. Returns it and the one replaced. */
export const insertGrant = (db: Db, n: NewGrant): Promise<{ grant: RoleGrant; replaced: RoleGrant | null }> =>
  db.transaction(async (tx) => {
    const [open] = await tx
      .select()
      .from(roleGrants)
      .where(
        and(
          eq(roleGrants.workspaceId, n.workspaceId),
          eq(roleGrants.userId, n.person.userId),
          isNull(roleGrants.endedAt),
        ),
      )
      .for('update');
    if (open)
      await tx.update(roleGrants).set({ endedAt: n.now, endReason: 'replaced' }).where(eq(roleGrants.id, open.id));
    const [row] = await tx
      .insert(roleGrants)
      .values({
        workspaceId: n.workspaceId,
        userId: n.person.userId,
        surface: n.person.surface,
        displayName: n.person.displayName,
        role: n.role,
        reason: n.reason,
        grantedBy: n.by,
        conversation: n.conversation,
        createdAt: n.now,
        expiresAt: n.expiresAt,
      })
      .returning();
    const grant = toGrant(row!);
    await appendAudit(tx, {
      at: n.now,
      type: 'role.temporary_granted',
      actorKey: actorKey(n.by),
      subject: grantSubject(grant),
      data: {
        grant: grant.id,
        userId: grant.userId,
        displayName: grant.displayName,
        role: grant.role,
        baseRole: n.baseRole,
        expiresAt: grant.expiresAt,
        reason: grant.reason,
        by: n.by.displayName,
        ...(open ? { replaces: { grant: open.id, role: open.role, expiresAt: open.expiresAt } } : {}),
      },
    });
    return { grant, replaced: open ? toGrant(open) : null };
  });

/** Closes one open grant early (`revoked`); audited. Null when it was no longer open. */
export const endGrant = (db: Db, id: number, by: Actor, now: Date): Promise<RoleGrant | null> =>
  db.transaction(async (tx) => {
    const [row] = await tx
      .update(roleGrants)
      .set({ endedAt: now, endedBy: by, endReason: 'revoked' })
      .where(and(eq(roleGrants.id, id), isNull(roleGrants.endedAt)))
      .returning();
    if (!row) return null;
    const grant = toGrant(row);
    await appendAudit(tx, {
      at: now,
      type: 'role.temporary_revoked',
      actorKey: actorKey(by),
      subject: grantSubject(grant),
      data: {
        grant: grant.id,
        userId: grant.userId,
        displayName: grant.displayName,
        role: grant.role,
        expiresAt: grant.expiresAt,
        by: by.displayName,
      },
    });
    return grant;
  });

/**
 * Closes every open grant whose expiry has come (`expired`), each with its audit event in its own
 * short transaction (a compare-and-set, so two instances never close one twice). Returns those it closed.
 */
export const expireDueGrants = async (db: Db, now: Date, limit = 200): Promise<RoleGrant[]> => {
  const due = await db
    .select({ id: roleGrants.id })
    .from(roleGrants)
    .where(and(isNull(roleGrants.endedAt), lte(roleGrants.expiresAt, now)))
    .orderBy(asc(roleGrants.expiresAt))
    .limit(limit);
  const closed: RoleGrant[] = [];
  for (const { id } of due) {
    const grant = await db.transaction(async (tx) => {
      const [row] = await tx
        .update(roleGrants)
        .set({ endedAt: now, endReason: 'expired' })
        .where(and(eq(roleGrants.id, id), isNull(roleGrants.endedAt)))
        .returning();
      if (!row) return null;
      const g = toGrant(row);
      await appendAudit(tx, {
        at: now,
        type: 'role.temporary_expired',
        actorKey: null,
        subject: grantSubject(g),
        data: { grant: g.id, userId: g.userId, displayName: g.displayName, role: g.role, expiresAt: g.expiresAt },
      });
      return g;
    });
    if (grant) closed.push(grant);
  }
  return closed;
};
