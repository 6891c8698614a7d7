import { and, asc, eq, sql } from '../store/orm.ts';
import { actorKey, Role, roleRank, type Actor, type SurfaceName } from '../chat/actor.ts';
import type { DirectoryUser, UserDirectory } from '../chat/directory.ts';
import { appendAudit } from '../changes/audit.ts';
import { conflict, forbidden, notFound } from '../errors.ts';
import type { Db } from '../store/db.ts';
import { activeGrant, type ActiveGrant } from './grants.ts';
import { users, workspaces } from './schema.ts';

/**
 * Role bindings per workspace user. `workspaceId` here is the Actor's (Slack team id, Teams tenant
 * id, `console`); the workspaces row for it has id `<surface>:<workspaceId>`.
 */
export interface WorkspaceUser {
  workspaceId: string;
  userId: string;
  surface: SurfaceName;
  displayName: string;
  role: Role;
  /** actorKey of the admin who granted the role, `config` for bootstrap admins, null for defaults. */
  grantedBy: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** Role of a user seen for the first time, unless the caller says otherwise (config DEFAULT_ROLE). */
export const defaultRole: Role = 'viewer';

export const workspaceRowId = (surface: SurfaceName, workspaceId: string): string => `${surface}:${workspaceId}`;

const toUser = (r: typeof users.$inferSelect): WorkspaceUser => ({
  workspaceId: r.workspaceId,
  userId: r.userId,
  surface: r.surface as SurfaceName,
  displayName: r.displayName,
  role: Role.parse(r.role),
  grantedBy: r.grantedBy,
  createdAt: r.createdAt,
  updatedAt: r.updatedAt,
});

const userWhere = (workspaceId: string, userId: string) =>
  and(eq(users.workspaceId, workspaceId), eq(users.userId, userId));

const roleSubject = (workspaceId: string, userId: string): string => `role:${workspaceId}:${userId}`;

/** A bootstrap entry is a bare user id or a full actor key (`slack:T1:U1`). */
const isBootstrapAdmin = (actor: Actor, bootstrapAdmins: string[]): boolean =>
  bootstrapAdmins.includes(actor.userId) || bootstrapAdmins.includes(actorKey(actor));

const ensureWorkspace = async (db: Db, surface: SurfaceName, workspaceId: string): Promise<void> => {
  await db
    .insert(workspaces)
    .values({ id: workspaceRowId(surface, workspaceId), surface, externalId: workspaceId })
    .onConflictDoNothing();
};

/** Has the bot met this workspace (someone in it talked to the bot, or it was installed)? */
export const workspaceKnown = async (db: Db, surface: SurfaceName, workspaceId: string): Promise<boolean> => {
  const [row] = await db
    .select({ id: workspaces.id })
    .from(workspaces)
    .where(eq(workspaces.id, workspaceRowId(surface, workspaceId)));
  return row !== undefined;
};

export const getUser = async (db: Db, workspaceId: string, userId: string): Promise<WorkspaceUser | null> => {
  const [row] = await db.select().from(users).where(userWhere(workspaceId, userId));
  return row ? toUser(row) : null;
};

export const getRole = async (db: Db, workspaceId: string, userId: string): Promise<Role | null> =>
  (await getUser(db, workspaceId, userId))?.role ?? null;

export const listUsers = async (db: Db, workspaceId: string): Promise<WorkspaceUser[]> =>
  (await db.select().from(users).where(eq(users.workspaceId, workspaceId)).orderBy(asc(users.displayName))).map(toUser);

/**
 * Users a name refers to: an exact user id wins; otherwise display names, case-insensitive, with
 * an optional leading `@`. Several results mean the name is ambiguous.
 */
export const findUserByName = async (db: Db, workspaceId: string, name: string): Promise<WorkspaceUser[]> => {
  const wanted = name.trim().replace(/^@/, '');
  if (!wanted) return [];
  const byId = await getUser(db, workspaceId, wanted);
  if (byId) return [byId];
  const rows = await db
    .select()
    .from(users)
    .where(and(eq(users.workspaceId, workspaceId), sql`lower(${users.displayName}) = lower(${wanted})`))
    .orderBy(asc(users.userId));
  return rows.map(toUser);
};

/**
 * Called on every turn: the user's role, creating the workspace and user on first sight
 * (bootstrap admins → admin, everyone else → `newUserRole`) and keeping the display name fresh.
 * A user listed in bootstrapAdmins later is promoted: config is how a locked-out team recovers.
 * The role returned is the effective one: an active just-in-time grant (grants.ts) raises it
 * until the grant's expiry, read against `now` (not waiting for the job that ends it).
 */
export const ensureUser = async (
  db: Db,
  actor: Actor,
  bootstrapAdmins: string[],
  now: Date = new Date(),
  newUserRole: Role = defaultRole,
): Promise<{ role: Role; grant?: ActiveGrant }> => {
  const { role } = await ensureStoredUser(db, actor, bootstrapAdmins, now, newUserRole);
  const grant = await activeGrant(db, actor.workspaceId, actor.userId, now);
  return grant && roleRank[grant.role] > roleRank[role] ? { role: grant.role, grant } : { role };
};

const ensureStoredUser = async (
  db: Db,
  actor: Actor,
  bootstrapAdmins: string[],
  now: Date,
  newUserRole: Role,
): Promise<{ role: Role }> => {
  const bootstrap = isBootstrapAdmin(actor, bootstrapAdmins);
  const existing = await getUser(db, actor.workspaceId, actor.userId);
  if (existing) {
    if (bootstrap && existing.role !== 'admin') return { role: await promoteBootstrapAdmin(db, actor, now) };
    if (existing.displayName !== actor.displayName) {
      await db
        .update(users)
        .set({ displayName: actor.displayName, updatedAt: now })
        .where(userWhere(actor.workspaceId, actor.userId));
    }
    return { role: existing.role };
  }
  await ensureWorkspace(db, actor.surface, actor.workspaceId);
  const role: Role = bootstrap ? 'admin' : newUserRole;
  const inserted = await db.transaction(async (tx) => {
    const [row] = await tx
      .insert(users)
      .values({
        workspaceId: actor.workspaceId,
        userId: actor.userId,
        surface: actor.surface,
        displayName: actor.displayName,
        role,
        grantedBy: bootstrap ? 'config' : null,
        createdAt: now,
        updatedAt: now,
      })
      .onConflictDoNothing()
      .returning();
    if (row && bootstrap) {
      await appendAudit(tx, {
        at: now,
        type: 'role.granted',
        actorKey: null,
        subject: roleSubject(actor.workspaceId, actor.userId),
        data: { userId: actor.userId, displayName: actor.displayName, role, previousRole: null, by: 'config' },
      });
    }
    return row;
  });
  // Another request created the user first: theirs stands.
  if (!inserted) return ensureStoredUser(db, actor, bootstrapAdmins, now, newUserRole);
  return { role };
};

const promoteBootstrapAdmin = async (db: Db, actor: Actor, now: Date): Promise<Role> => {
  await db.transaction(async (tx) => {
    const [before] = await tx
      .select({ role: users.role })
      .from(users)
      .where(userWhere(actor.workspaceId, actor.userId))
      .for('update');
    if (!before || before.role === 'admin') return;
    await tx
      .update(users)
      .set({ role: 'admin', grantedBy: 'config', displayName: actor.displayName, updatedAt: now })
      .where(userWhere(actor.workspaceId, actor.userId));
    await appendAudit(tx, {
      at: now,
      type: 'role.granted',
      actorKey: null,
      subject: roleSubject(actor.workspaceId, actor.userId),
      data: {
        userId: actor.userId,
        displayName: actor.displayName,
        role: 'admin',
        previousRole: before.role,
        by: 'config',
      },
    });
  });
  return 'admin';
};

export interface GrantRequest {
  workspaceId: string;
  /** A user id or display name (`@bob`, `Bob`). */
  target: string;
  role: Role;
  by: Actor;
  now?: Date;
  /**
   * The platform's people (the granter's surface): someone the bot has not met yet is looked up
   * there and created with the role, so an admin can set up roles before the team arrives.
   */
  directory?: UserDirectory;
}

/** A grant's outcome; `previousRole` null: the user was new, created by this grant. */
export interface GrantOutcome {
  user: WorkspaceUser;
  previousRole: Role | null;
}

/** Whom a grant names: a user the bot knows, or one the platform's directory found. */
export const resolveTarget = async (
  db: Db,
  req: Pick<GrantRequest, 'workspaceId' | 'target' | 'directory'>,
): Promise<{ known: WorkspaceUser } | { found: DirectoryUser }> => {
  const matches = await findUserByName(db, req.workspaceId, req.target);
  if (matches.length > 1) {
    throw conflict(
      `"${req.target}" matches ${matches.length} users (${matches.map((u) => u.userId).join(', ')}): use their user id.`,
    );
  }
  if (matches[0]) return { known: matches[0] };
  const wanted = req.target.trim().replace(/^@/, '');
  const found = wanted && req.directory ? await req.directory.lookup(req.workspaceId, wanted) : null;
  if (found) return { found };
  throw notFound(
    `No user "${req.target}" in this workspace yet: ${req.directory?.hint ?? 'they need to talk to the bot once first'}.`,
  );
};

/**
 * Changes a user's role, or creates a user the platform's directory found with that role. Only
 * admins of that workspace; never leaves a workspace without an admin. Audited.
 */
export const grant = async (db: Db, req: GrantRequest): Promise<GrantOutcome> => {
  const role = Role.parse(req.role);
  const now = req.now ?? new Date();
  const byRole = req.by.workspaceId === req.workspaceId ? await getRole(db, req.workspaceId, req.by.userId) : null;
  if (byRole !== 'admin') throw forbidden('Only a workspace admin can change roles.');
  const target = await resolveTarget(db, req);
  const targetUserId = 'known' in target ? target.known.userId : target.found.userId;
  const targetName = 'known' in target ? target.known.displayName : target.found.displayName;
  if ('found' in target) await ensureWorkspace(db, req.by.surface, req.workspaceId);
  const outcome = await db.transaction(async (tx) => {
    // Lock every admin row (in a fixed order) so two admins demoting each other cannot both win.
    const admins = await tx
      .select({ userId: users.userId })
      .from(users)
      .where(and(eq(users.workspaceId, req.workspaceId), eq(users.role, 'admin')))
      .orderBy(asc(users.userId))
      .for('update');
    // Re-checked under the lock: the granter may have been demoted since the check above.
    if (!admins.some((a) => a.userId === req.by.userId)) return { kind: 'not_admin' as const };
    let [current] = await tx.select().from(users).where(userWhere(req.workspaceId, targetUserId)).for('update');
    if (!current && 'found' in target) {
      // New to the bot: created with the granted role (unless they arrived meanwhile: then theirs is the row).
      const [created] = await tx
        .insert(users)
        .values({
          workspaceId: req.workspaceId,
          userId: targetUserId,
          surface: req.by.surface,
          displayName: targetName,
          role,
          grantedBy: actorKey(req.by),
          createdAt: now,
          updatedAt: now,
        })
        .onConflictDoNothing()
        .returning();
      if (created) {
        await appendAudit(tx, {
          at: now,
          type: 'role.granted',
          actorKey: actorKey(req.by),
          subject: roleSubject(req.workspaceId, targetUserId),
          data: { userId: targetUserId, displayName: targetName, role, previousRole: null, by: req.by.displayName },
        });
        return { kind: 'done' as const, user: toUser(created), previousRole: null };
      }
      [current] = await tx.select().from(users).where(userWhere(req.workspaceId, targetUserId)).for('update');
    }
    if (!current) return { kind: 'gone' as const };
    const previousRole = Role.parse(current.role);
    if (previousRole === role) return { kind: 'done' as const, user: toUser(current), previousRole };
    if (previousRole === 'admin' && admins.length <= 1) return { kind: 'last_admin' as const };
    const [updated] = await tx
      .update(users)
      .set({ role, grantedBy: actorKey(req.by), updatedAt: now })
      .where(userWhere(req.workspaceId, targetUserId))
      .returning();
    await appendAudit(tx, {
      at: now,
      type: 'role.granted',
      actorKey: actorKey(req.by),
      subject: roleSubject(req.workspaceId, targetUserId),
      data: { userId: targetUserId, displayName: current.displayName, role, previousRole, by: req.by.displayName },
    });
    return { kind: 'done' as const, user: toUser(updated!), previousRole };
  });
  if (outcome.kind === 'not_admin') throw forbidden('Only a workspace admin can change roles.');
  if (outcome.kind === 'gone') throw notFound(`User "${req.target}" no longer exists in this workspace.`);
  if (outcome.kind === 'last_admin') {
    throw conflict(`${targetName} is the last admin of this workspace: make someone else admin first.`);
  }
  return { user: outcome.user, previousRole: outcome.previousRole };
};

export interface SeedUser {
  surface: SurfaceName;
  workspaceId: string;
  userId: string;
  displayName: string;
  role: Role;
  /** Their email (the console's people: how the incident buttons find their PagerDuty user). */
  email?: string;
}

/** The web console's demo people, one per role. */
export const CONSOLE_USERS: readonly SeedUser[] = [
  {
    surface: 'console',
    workspaceId: 'console',
    userId: 'alice',
    displayName: 'Alice',
    email: 'alice@example.com',
    role: 'operator',
  },
  {
    surface: 'console',
    workspaceId: 'console',
    userId: 'bob',
    displayName: 'Bob',
    email: 'bob@example.com',
    role: 'approver',
  },
  {
    surface: 'console',
    workspaceId: 'console',
    userId: 'carol',
    displayName: 'Carol',
    email: 'carol@example.com',
    role: 'admin',
  },
  {
    surface: 'console',
    workspaceId: 'console',
    userId: 'dave',
    displayName: 'Dave',
    email: 'dave@example.com',
    role: 'viewer',
  },
];

/** Creates the users that do not exist yet (roles granted since are kept). Audited. Returns the new ones. */
export const seedUsers = async (
  db: Db,
  seed: readonly SeedUser[] = CONSOLE_USERS,
  now: Date = new Date(),
): Promise<WorkspaceUser[]> => {
  const created: WorkspaceUser[] = [];
  for (const { email: _email, ...u } of seed) {
    await ensureWorkspace(db, u.surface, u.workspaceId);
    const row = await db.transaction(async (tx) => {
      const [inserted] = await tx
        .insert(users)
        .values({ ...u, role: Role.parse(u.role), grantedBy: 'seed', createdAt: now, updatedAt: now })
        .onConflictDoNothing()
        .returning();
      if (inserted) {
        await appendAudit(tx, {
          at: now,
          type: 'role.granted',
          actorKey: null,
          subject: roleSubject(u.workspaceId, u.userId),
          data: { userId: u.userId, displayName: u.displayName, role: u.role, previousRole: null, by: 'seed' },
        });
      }
      return inserted;
    });
    if (row) created.push(toUser(row));
  }
  return created;
};
