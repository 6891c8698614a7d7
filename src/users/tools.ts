import { z } from 'zod';
import { Role, type SurfaceName } from '../chat/actor.ts';
import type { UserDirectory } from '../chat/directory.ts';
import { mention } from '../chat/mention.ts';
import { reply, textReply } from '../chat/reply.ts';
import { formatTime } from '../changes/explain.ts';
import { durationText } from '../changes/until.ts';
import type { Tool } from '../tools/tool.ts';
import type { Db } from '../store/db.ts';
import { activeGrant, activeGrants, type RoleGrant } from './grants.ts';
import { grantTemporaryRole, MAX_GRANT_MS, MIN_GRANT_MS, revokeTemporaryRole } from './jit.ts';
import { grant } from './repository.ts';

/** Engine tools about people: who am I, and (admins only) role grants. */

const WhoamiInput = z.object({});

export const whoamiTool = (d: { db?: Db } = {}): Tool<typeof WhoamiInput> => ({
  name: 'whoami',
  description: 'Tells the asking user their user id, workspace and role.',
  input: WhoamiInput,
  kind: 'read',
  minRole: 'viewer',
  llm: true,
  run: async (_input, ctx) => {
    const can = {
      viewer: 'read the inventory, costs, changes and the audit log',
      operator: 'also request changes',
      approver: "also approve other people's change requests",
      admin: 'do everything, including granting roles',
    }[ctx.role];
    // A temporary role says until when, and why.
    const temporary = d.db ? await activeGrant(d.db, ctx.actor.workspaceId, ctx.actor.userId, ctx.now) : undefined;
    const roleText =
      temporary && temporary.role === ctx.role
        ? `${ctx.role} until ${formatTime(temporary.expiresAt)} (granted by ${temporary.grantedBy.displayName}${temporary.reason ? `: “${temporary.reason}”` : ''})`
        : ctx.role;
    return {
      type: 'answer',
      reply: reply(
        [
          {
            type: 'fields',
            fields: [
              { label: 'User', value: `${ctx.actor.displayName} (\`${ctx.actor.userId}\`)` },
              { label: 'Workspace', value: `${ctx.actor.surface} · ${ctx.actor.workspaceId}` },
              { label: 'Role', value: roleText },
            ],
          },
          {
            type: 'context',
            text: `As ${ctx.role === 'admin' || ctx.role === 'approver' || ctx.role === 'operator' ? 'an' : 'a'} ${ctx.role} you can ${can}.`,
          },
        ],
        { text: `You are ${ctx.actor.displayName}, ${roleText} in ${ctx.actor.surface}:${ctx.actor.workspaceId}` },
      ),
      data: { userId: ctx.actor.userId, role: ctx.role },
    };
  },
});

const GrantInput = z.object({
  user: z
    .discriminatedUnion('by', [
      z.object({ by: z.literal('id'), id: z.string().min(1) }),
      z.object({ by: z.literal('name'), name: z.string().min(1) }),
    ])
    .describe('The user, by surface user id or display name.'),
  role: Role.describe('The role to give.'),
});

export interface UserToolDeps {
  db: Db;
  now: () => Date;
  /** The people of each surface's platform (ChatSurface.directory), for granting to someone new. */
  directory?: (surface: SurfaceName) => UserDirectory | undefined;
}

export const grantRoleTool = (d: UserToolDeps): Tool<typeof GrantInput> => ({
  name: 'grant_role',
  description: 'Gives a user of this workspace a role (admins only).',
  input: GrantInput,
  kind: 'admin',
  minRole: 'admin',
  llm: false,
  run: async ({ user, role }, ctx) => {
    const target = user.by === 'id' ? user.id : user.name;
    const directory = d.directory?.(ctx.actor.surface);
    const { user: u, previousRole } = await grant(d.db, {
      workspaceId: ctx.actor.workspaceId,
      target,
      role,
      by: ctx.actor,
      now: d.now(),
      ...(directory ? { directory } : {}),
    });
    // The person granted to, as a mention: on their own surface they are notified of it.
    const who = mention({ surface: u.surface as SurfaceName, userId: u.userId, displayName: u.displayName });
    const text =
      previousRole === null
        ? `${who} is now ${role} (new here: they have not talked to me yet).`
        : previousRole === role
          ? `${who} already has the ${role} role.`
          : `${who} is now ${role} (was ${previousRole}).`;
    return {
      type: 'answer',
      reply: reply([{ type: 'text', text }]),
      data: { userId: u.userId, role, previousRole },
    };
  },
});

const person = (g: RoleGrant): string => mention({ surface: g.surface, userId: g.userId, displayName: g.displayName });

const TemporaryGrantInput = GrantInput.extend({
  durationMs: z
    .number()
    .int()
    .min(MIN_GRANT_MS)
    .max(MAX_GRANT_MS)
    .describe('How long the role lasts, in milliseconds (1 minute to 7 days).'),
  reason: z.string().max(300).optional().describe('Why they need it, shown in the grant list and audited.'),
});

export const grantTemporaryRoleTool = (d: UserToolDeps): Tool<typeof TemporaryGrantInput> => ({
  name: 'grant_temporary_role',
  description:
    'Gives a user of this workspace a higher role for a while (admins only); it ends by itself at expiry, said in this conversation.',
  input: TemporaryGrantInput,
  kind: 'admin',
  minRole: 'admin',
  llm: false,
  run: async ({ user, role, durationMs, reason }, ctx) => {
    const directory = d.directory?.(ctx.actor.surface);
    const {
      grant: g,
      replaced,
      baseRole,
    } = await grantTemporaryRole(d.db, {
      workspaceId: ctx.actor.workspaceId,
      target: user.by === 'id' ? user.id : user.name,
      role,
      durationMs,
      reason,
      by: ctx.actor,
      conversation: ctx.conversation,
      now: ctx.now,
      directory,
    });
    const text =
      `⏱️ ${person(g)} is ${g.role} for ${durationText(durationMs)}, until ${formatTime(g.expiresAt)}` +
      `${g.reason ? ` (“${g.reason}”)` : ''}; then ${baseRole ? `${baseRole} again` : 'back to the default role'}.` +
      `${replaced ? ` It replaces their ${replaced.role} grant until ${formatTime(replaced.expiresAt)}.` : ''}` +
      ` I will say here when it expires; \`revoke ${/\s/.test(g.displayName) ? `"${g.displayName}"` : `@${g.displayName}`}\` ends it early.`;
    return {
      type: 'answer',
      reply: reply([{ type: 'text', text }]),
      data: { userId: g.userId, role: g.role, expiresAt: g.expiresAt.toISOString(), replaced: replaced?.id ?? null },
    };
  },
});

const RevokeInput = z.object({ user: GrantInput.shape.user });

export const revokeRoleGrantTool = (d: UserToolDeps): Tool<typeof RevokeInput> => ({
  name: 'revoke_role_grant',
  description: "Ends a user's temporary role before its expiry (admins only).",
  input: RevokeInput,
  kind: 'admin',
  minRole: 'admin',
  llm: false,
  run: async ({ user }, ctx) => {
    const g = await revokeTemporaryRole(d.db, {
      workspaceId: ctx.actor.workspaceId,
      target: user.by === 'id' ? user.id : user.name,
      by: ctx.actor,
      now: ctx.now,
    });
    return {
      type: 'answer',
      reply: textReply(`✅ Revoked ${person(g)}'s temporary ${g.role} role (it was until ${formatTime(g.expiresAt)}).`),
      data: { userId: g.userId, role: g.role },
    };
  },
});

const ListGrantsInput = z.object({});

export const listRoleGrantsTool = (d: UserToolDeps): Tool<typeof ListGrantsInput> => ({
  name: 'list_role_grants',
  description:
    'Lists the temporary role grants in force in this workspace: who, which role, until when, by whom and why.',
  input: ListGrantsInput,
  kind: 'read',
  minRole: 'viewer',
  llm: true,
  run: async (_input, ctx) => {
    const list = await activeGrants(d.db, ctx.actor.workspaceId, ctx.now);
    if (list.length === 0)
      return {
        type: 'answer',
        reply: textReply(
          'No temporary role is in force. Admins grant one with `grant <user> <role> for <duration> [reason]`.',
        ),
        data: [],
      };
    return {
      type: 'answer',
      reply: reply(
        [
          { type: 'header', text: `Temporary roles in force (${list.length})` },
          {
            type: 'table',
            columns: ['Who', 'Role', 'Until', 'Granted by', 'Reason'],
            rows: list.map((g) => [person(g), g.role, formatTime(g.expiresAt), mention(g.grantedBy), g.reason ?? '']),
          },
          { type: 'context', text: 'Each ends by itself at its time; `revoke <user>` ends one early.' },
        ],
        {
          text: `Temporary roles: ${list.map((g) => `${g.displayName} ${g.role} until ${formatTime(g.expiresAt)}`).join(', ')}`,
        },
      ),
      data: list.map((g) => ({
        userId: g.userId,
        displayName: g.displayName,
        role: g.role,
        expiresAt: g.expiresAt.toISOString(),
        by: g.grantedBy.displayName,
        reason: g.reason,
      })),
    };
  },
});

export const userTools = (d: UserToolDeps): Tool[] => [
  whoamiTool({ db: d.db }),
  grantRoleTool(d),
  grantTemporaryRoleTool(d),
  revokeRoleGrantTool(d),
  listRoleGrantsTool(d),
];
