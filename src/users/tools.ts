import { z } from 'zod';
import { Role, type SurfaceName } from '../chat/actor.ts';
import type { UserDirectory } from '../chat/directory.ts';
import { mention } from '../chat/mention.ts';
import { reply } from '../chat/reply.ts';
import type { Tool } from '../tools/tool.ts';
import type { Db } from '../store/db.ts';
import { grant } from './repository.ts';

/** Engine tools about people: who am I, and (admins only) role grants. */

const WhoamiInput = z.object({});

export const whoamiTool = (): Tool<typeof WhoamiInput> => ({
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
    return {
      type: 'answer',
      reply: reply(
        [
          {
            type: 'fields',
            fields: [
              { label: 'User', value: `${ctx.actor.displayName} (\`${ctx.actor.userId}\`)` },
              { label: 'Workspace', value: `${ctx.actor.surface} · ${ctx.actor.workspaceId}` },
              { label: 'Role', value: ctx.role },
            ],
          },
          {
            type: 'context',
            text: `As ${ctx.role === 'admin' || ctx.role === 'approver' || ctx.role === 'operator' ? 'an' : 'a'} ${ctx.role} you can ${can}.`,
          },
        ],
        { text: `You are ${ctx.actor.displayName}, ${ctx.role} in ${ctx.actor.surface}:${ctx.actor.workspaceId}` },
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

export const userTools = (d: UserToolDeps): Tool[] => [whoamiTool(), grantRoleTool(d)];
