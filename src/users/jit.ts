import { roleRank, type Actor, type ConversationRef, type Role } from '../chat/actor.ts';
import type { UserDirectory } from '../chat/directory.ts';
import { badRequest, conflict, forbidden, notFound } from '../errors.ts';
import type { Db } from '../store/db.ts';
import { activeGrants, endGrant, insertGrant, TemporaryRole, type RoleGrant } from './grants.ts';
import { getRole, resolveTarget } from './repository.ts';

/**
 * Just-in-time role grants as admins ask for them in chat: `grant @bob approver for 2h [reason]`
 * and `revoke @bob`. Only an admin of the workspace (by their own role, never a granted one);
 * the role must raise the person's own; the grant is stored with its expiry (grants.ts).
 */

export const MIN_GRANT_MS = 60_000;
export const MAX_GRANT_MS = 7 * 86_400_000;

export interface TemporaryGrantRequest {
  workspaceId: string;
  /** A user id or display name (`@bob`, `Bob`). */
  target: string;
  role: Role;
  durationMs: number;
  reason?: string | undefined;
  by: Actor;
  /** Where it is granted: its expiry is announced there. */
  conversation: ConversationRef;
  now: Date;
  /** The platform's people, for someone the bot has not met yet. */
  directory?: UserDirectory | undefined;
}

const requireAdmin = async (db: Db, by: Actor, workspaceId: string, what: string): Promise<void> => {
  const own = by.workspaceId === workspaceId ? await getRole(db, workspaceId, by.userId) : null;
  if (own !== 'admin') throw forbidden(`Only a workspace admin can ${what}.`);
};

export const grantTemporaryRole = async (
  db: Db,
  req: TemporaryGrantRequest,
): Promise<{ grant: RoleGrant; replaced: RoleGrant | null; baseRole: Role | null }> => {
  const role = TemporaryRole.safeParse(req.role);
  if (!role.success) {
    throw badRequest(
      req.role === 'admin'
        ? 'The admin role is not granted for a while (a temporary admin could make itself a permanent one): `grant <user> admin` makes someone admin.'
        : 'A temporary grant raises a role: grant operator or approver for a while.',
      undefined,
      'role',
    );
  }
  if (!Number.isInteger(req.durationMs) || req.durationMs < MIN_GRANT_MS || req.durationMs > MAX_GRANT_MS)
    throw badRequest(
      'A temporary grant lasts from 1 minute to 7 days, like `for 2h` or `for 3d`.',
      undefined,
      'duration',
    );
  await requireAdmin(db, req.by, req.workspaceId, 'grant roles, for a while or for good');
  const target = await resolveTarget(db, req);
  const person =
    'known' in target
      ? { userId: target.known.userId, surface: target.known.surface, displayName: target.known.displayName }
      : { userId: target.found.userId, surface: req.by.surface, displayName: target.found.displayName };
  const baseRole = 'known' in target ? target.known.role : null;
  if (baseRole && roleRank[baseRole] >= roleRank[role.data])
    throw conflict(
      `${person.displayName} is already ${baseRole}: a temporary ${role.data} grant would change nothing.`,
    );
  const { grant, replaced } = await insertGrant(db, {
    workspaceId: req.workspaceId,
    person,
    role: role.data,
    reason: req.reason?.trim() || null,
    by: req.by,
    conversation: req.conversation,
    now: req.now,
    expiresAt: new Date(req.now.getTime() + req.durationMs),
    baseRole,
  });
  return { grant, replaced, baseRole };
};

/** Ends someone's grant in force early. `target`: their user id or display name. */
export const revokeTemporaryRole = async (
  db: Db,
  req: { workspaceId: string; target: string; by: Actor; now: Date },
): Promise<RoleGrant> => {
  await requireAdmin(db, req.by, req.workspaceId, 'revoke a temporary role');
  const wanted = req.target.trim().replace(/^@/, '');
  const matches = (await activeGrants(db, req.workspaceId, req.now)).filter(
    (g) => g.userId === wanted || g.displayName.toLowerCase() === wanted.toLowerCase(),
  );
  const exact = matches.filter((g) => g.userId === wanted);
  const chosen = exact.length > 0 ? exact : matches;
  if (chosen.length === 0)
    throw notFound(`No temporary role is in force for ${req.target}; \`grants\` lists those that are.`);
  if (chosen.length > 1)
    throw conflict(
      `"${req.target}" matches ${chosen.length} people with a temporary role (${chosen.map((g) => g.userId).join(', ')}): use their user id.`,
    );
  const ended = await endGrant(db, chosen[0]!.id, req.by, req.now);
  if (!ended) throw conflict(`${chosen[0]!.displayName}'s temporary ${chosen[0]!.role} role has just ended.`);
  return ended;
};
