import { z } from 'zod';
import { mention } from '../chat/mention.ts';
import { reply, textReply, type Block } from '../chat/reply.ts';
import { badRequest, notFound } from '../errors.ts';
import type { Db } from '../store/db.ts';
import type { Tool } from '../tools/tool.ts';
import { formatTime } from './explain.ts';
import {
  ALL_ENVIRONMENTS,
  activeFreezes,
  covers,
  createFreeze,
  environmentNames,
  environmentsOf,
  freezeScope,
  freezeText,
  liftFreezes,
} from './freezes.ts';
import type { ChangeService } from './service.ts';
import { resolveUntil, Until } from './until.ts';

/** Engine tools for change freezes: declare and lift them (admins), list them (anyone). */
export interface FreezeToolDeps {
  db: Db;
  changes: Pick<ChangeService, 'list'>;
}

/** A freeze may last at most this long: a longer one is a policy, not a freeze. */
export const MAX_FREEZE_MS = 366 * 86_400_000;

const Environment = z
  .string()
  .regex(/^(?:[a-z0-9][a-z0-9_.-]{0,39}|all)$/, 'an environment name (like prod) or all')
  .describe('The environment to freeze (as tagged, like prod), or `all` for every environment.');

const FreezeInput = z.object({
  environment: Environment,
  until: Until.describe('When the freeze ends: a duration from now, an ISO time, or a wall time in a zone.'),
  reason: z.string().max(300).optional().describe('Why, shown wherever the freeze refuses an approval.'),
});

const scopeText = (environment: string): string =>
  environment === ALL_ENVIRONMENTS
    ? 'every environment'
    : environmentNames(environment).length > 1
      ? `${environment} (also ${environmentNames(environment)
          .filter((e) => e !== environment)
          .join(', ')})`
      : environment;

export const freezeTool = (d: FreezeToolDeps): Tool<typeof FreezeInput> => ({
  name: 'freeze_changes',
  description:
    'Declares a change freeze on an environment (or all) until a time (admins only): approvals are refused meanwhile unless an admin overrides.',
  input: FreezeInput,
  kind: 'admin',
  minRole: 'admin',
  llm: false,
  run: async ({ environment, until, reason }, ctx) => {
    const endsAt = resolveUntil(until, ctx.now);
    if (endsAt.getTime() - ctx.now.getTime() > MAX_FREEZE_MS)
      throw badRequest(
        `A freeze can last at most 366 days; ${formatTime(endsAt)} is further away.`,
        undefined,
        'until',
      );
    const env = environment === 'all' ? ALL_ENVIRONMENTS : environment;
    const freeze = await createFreeze(d.db, {
      workspaceId: ctx.actor.workspaceId,
      environment: env,
      reason: reason?.trim() || null,
      by: ctx.actor,
      conversation: ctx.conversation,
      now: ctx.now,
      endsAt,
    });
    const pending = (
      await d.changes.list({ workspaceId: ctx.actor.workspaceId, status: 'pending', limit: 200 })
    ).filter((c) => covers(freeze, environmentsOf(c.plan)));
    const blocks: Block[] = [
      {
        type: 'text',
        text: `❄️ ${scopeText(env)} is frozen until ${formatTime(endsAt)}${freeze.reason ? ` (“${freeze.reason}”)` : ''}. Changes can still be filed; approving them is refused until then unless an admin overrides (\`approve CR-n override "<reason>"\`, audited).`,
      },
      {
        type: 'context',
        text: `${pending.length ? `Pending requests it covers: ${pending.map((c) => c.id).join(', ')}. ` : ''}It ends by itself; \`unfreeze ${environment}\` ends it early.`,
      },
    ];
    return {
      type: 'answer',
      reply: reply(blocks, { text: `${freezeScope(freeze)} frozen until ${formatTime(endsAt)}` }),
      data: { id: freeze.id, environment: env, endsAt: endsAt.toISOString(), reason: freeze.reason },
    };
  },
});

const UnfreezeInput = z.object({ environment: Environment });

export const unfreezeTool = (d: FreezeToolDeps): Tool<typeof UnfreezeInput> => ({
  name: 'unfreeze_changes',
  description: 'Ends the change freezes of an environment (or all of them) before their end time (admins only).',
  input: UnfreezeInput,
  kind: 'admin',
  minRole: 'admin',
  llm: false,
  run: async ({ environment }, ctx) => {
    const target = environment === 'all' ? 'all' : environment;
    const lifted = await liftFreezes(d.db, {
      workspaceId: ctx.actor.workspaceId,
      environment: target,
      by: ctx.actor,
      now: ctx.now,
    });
    const remaining = await activeFreezes(d.db, ctx.actor.workspaceId, ctx.now);
    const still = target === 'all' ? [] : remaining.filter((f) => covers(f, [target]));
    const stillText = still.length
      ? ` Still in force: ${still.map((f) => freezeText(f)).join('; ')}${still.some((f) => f.environment === ALL_ENVIRONMENTS) ? ' (`unfreeze all` lifts a freeze of every environment)' : ''}.`
      : '';
    if (lifted.length === 0) {
      if (still.length === 0)
        throw notFound(
          `No change freeze is in force on ${target === 'all' ? 'any environment' : target}; \`freezes\` lists them.`,
        );
      return { type: 'answer', reply: textReply(`No freeze was declared on ${target} itself.${stillText}`), data: [] };
    }
    const what = lifted
      .map((f) => `${freezeScope(f)} (by ${mention(f.createdBy)}, until ${formatTime(f.endsAt)})`)
      .join(', ');
    return {
      type: 'answer',
      reply: textReply(`✅ Lifted the change freeze${lifted.length > 1 ? 's' : ''} on ${what}.${stillText}`),
      data: lifted.map((f) => ({ id: f.id, environment: f.environment })),
    };
  },
});

const ListInput = z.object({});

export const listFreezesTool = (d: FreezeToolDeps): Tool<typeof ListInput> => ({
  name: 'list_freezes',
  description:
    'Lists the change freezes in force in this workspace: environment, end time, who declared it and why. While one covers a change, approving it needs an admin override.',
  input: ListInput,
  kind: 'read',
  minRole: 'viewer',
  llm: true,
  run: async (_input, ctx) => {
    const list = await activeFreezes(d.db, ctx.actor.workspaceId, ctx.now);
    if (list.length === 0)
      return {
        type: 'answer',
        reply: textReply(
          'No change freeze is in force. Admins declare one with `freeze <environment|all> until <time> [reason]`.',
        ),
        data: [],
      };
    return {
      type: 'answer',
      reply: reply(
        [
          { type: 'header', text: `Change freezes in force (${list.length})` },
          {
            type: 'table',
            columns: ['Environment', 'Until', 'By', 'Reason', 'Since'],
            rows: list.map((f) => [
              freezeScope(f),
              formatTime(f.endsAt),
              mention(f.createdBy),
              f.reason ?? '',
              formatTime(f.createdAt),
            ]),
          },
          {
            type: 'context',
            text: 'Approving a change they cover needs an admin override (`approve CR-n override "<reason>"`, audited); `unfreeze <environment|all>` ends one early.',
          },
        ],
        { text: `Change freezes: ${list.map((f) => `${freezeScope(f)} until ${formatTime(f.endsAt)}`).join(', ')}` },
      ),
      data: list.map((f) => ({
        environment: freezeScope(f),
        endsAt: f.endsAt.toISOString(),
        by: f.createdBy.displayName,
        reason: f.reason,
        since: f.createdAt.toISOString(),
      })),
    };
  },
});

export const freezeTools = (d: FreezeToolDeps): Tool[] => [freezeTool(d), unfreezeTool(d), listFreezesTool(d)];
