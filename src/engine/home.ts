import { actorKey, roleAtLeast, type Actor, type Role } from '../chat/actor.ts';
import { formatMoney, plural } from '../chat/format.ts';
import { mention } from '../chat/mention.ts';
import { reply, type Block, type Reply } from '../chat/reply.ts';
import { renderChangeCard } from '../changes/card.ts';
import { formatTime } from '../changes/explain.ts';
import type { ChangeRequest } from '../changes/model.ts';
import { approvalBlocker } from '../changes/policy.ts';
import type { ChangeService } from '../changes/service.ts';
import { resourceRepository } from '../cloud/repository.ts';
import type { Db } from '../store/db.ts';
import { ensureUser } from '../users/repository.ts';
import type { Framework } from '../scans/frameworks/index.ts';
import { glanceBlocks, incidentBlocks, workspaceGlance } from './home-figures.ts';

/**
 * A user's home view, as a neutral Reply (Slack's App Home tab, the Teams home card): their role,
 * the workspace at a glance (monthly cost, open findings and their savings, compliance, open
 * incidents, the last 30 days' deployments and change failure rate), then what waits for them:
 * the pending requests they may decide (with the card's own Approve / Reject buttons), the open
 * incidents they may act on, their own requests still waiting; then their recent requests,
 * inventory totals and the monthly cost by provider and by environment. Reads only through the
 * capabilities' own functions.
 */
export interface HomeDeps {
  db: Db;
  changes: Pick<ChangeService, 'list'>;
  bootstrapAdmins: string[];
  defaultRole: Role;
  now: () => Date;
  sandbox: boolean;
  /** The compliance frameworks scored on Home (none: no compliance figure). */
  frameworks?: readonly Framework[] | undefined;
}

const PENDING_SHOWN = 10;
const RECENT_SHOWN = 10;

const roleLine: Record<Role, string> = {
  viewer: 'you can ask questions; changes need the operator role',
  operator: 'you can ask questions and request changes',
  approver: 'you can request changes and approve other people’s',
  admin: 'you can do everything, including granting roles',
};

/** Pending requests this user may decide: not their own, and their role is one the policy accepts. */
export const decidableBy = (pending: ChangeRequest[], actor: Actor, role: Role): ChangeRequest[] =>
  pending.filter((c) => approvalBlocker(c, actor, role) === null);

const pendingBlocks = (c: ChangeRequest, sandbox: boolean): Block[] => {
  // The card's own buttons (Reject keeps its reason form), so Home and cards never disagree.
  const card = renderChangeCard(c, { sandbox });
  const actions = card.blocks.filter((b) => b.type === 'actions');
  return [
    {
      type: 'text',
      text: `*${c.id}* · ${c.plan.summary}\nRequested by ${mention(c.requester)} · ${c.plan.environment}${c.expiresAt ? ` · expires ${formatTime(c.expiresAt)}` : ''}`,
    },
    ...actions,
  ];
};

export const homeReply = async (d: HomeDeps, actor: Actor): Promise<Reply> => {
  const { role } = await ensureUser(d.db, actor, d.bootstrapAdmins, d.now(), d.defaultRole);
  const repo = resourceRepository(d.db);
  const [pending, mine, waiting, totals, byProvider, byEnv, glance] = await Promise.all([
    d.changes.list({ status: 'pending', workspaceId: actor.workspaceId, limit: 200 }),
    d.changes.list({ requesterKey: actorKey(actor), workspaceId: actor.workspaceId, limit: RECENT_SHOWN }),
    d.changes.list({
      requesterKey: actorKey(actor),
      workspaceId: actor.workspaceId,
      status: ['draft', 'pending', 'waiting'],
      limit: RECENT_SHOWN,
    }),
    repo.totals(),
    repo.costs('provider'),
    repo.costs('environment'),
    workspaceGlance(d.db, actor.workspaceId, d.now(), d.frameworks ?? []),
  ]);
  const mayDecide = decidableBy(pending, actor, role);

  const blocks: Block[] = [
    { type: 'header', text: 'DevOps Agent' },
    {
      type: 'text',
      text: `Hi ${actor.displayName}: you are *${role}* here, so ${roleLine[role]}. Mention me in a channel, DM me, or use \`/devops help\`.`,
    },
    ...glanceBlocks(glance, totals.monthlyCostCents),
    {
      type: 'header',
      text: mayDecide.length > 0 ? `Waiting for your approval (${mayDecide.length})` : 'Waiting for your approval',
    },
  ];
  if (mayDecide.length === 0) blocks.push({ type: 'context', text: 'Nothing waits for you.' });
  for (const c of mayDecide.slice(0, PENDING_SHOWN)) blocks.push(...pendingBlocks(c, d.sandbox));
  if (mayDecide.length > PENDING_SHOWN)
    blocks.push({
      type: 'context',
      text: `…and ${mayDecide.length - PENDING_SHOWN} more: ask me \`list changes pending\`.`,
    });

  // Open incidents, for those who may act on them (`incident_action` needs the operator role).
  if (roleAtLeast(role, 'operator')) blocks.push(...incidentBlocks(glance.incidents));

  if (waiting.length > 0)
    blocks.push(
      { type: 'header', text: `Your requests waiting (${waiting.length})` },
      {
        type: 'table',
        columns: ['ID', 'Status', 'What', 'Since'],
        rows: waiting.map((c) => [c.id, c.status, c.plan.summary, formatTime(c.createdAt)]),
      },
    );

  blocks.push({ type: 'header', text: 'Your recent requests' });
  if (mine.length === 0) blocks.push({ type: 'context', text: 'You have not requested any change yet.' });
  else {
    blocks.push({
      type: 'table',
      columns: ['ID', 'Status', 'What', 'When'],
      rows: mine.map((c) => [c.id, c.status, c.plan.summary, formatTime(c.createdAt)]),
    });
  }

  blocks.push(
    { type: 'header', text: 'Inventory' },
    {
      type: 'fields',
      fields: [
        { label: 'Resources', value: plural(totals.count, 'resource') },
        { label: 'Monthly cost', value: formatMoney(totals.monthlyCostCents) },
        ...Object.entries(totals.byType)
          .slice(0, 8)
          .map(([type, n]) => ({ label: type.replace('_', ' '), value: String(n) })),
      ],
    },
    {
      type: 'table',
      columns: ['Provider', 'Resources', '$/mo'],
      rows: byProvider.map((l) => [l.key, String(l.count), formatMoney(l.monthlyCostCents)]),
    },
    {
      type: 'table',
      columns: ['Env', 'Resources', '$/mo'],
      rows: byEnv.map((l) => [l.key, String(l.count), formatMoney(l.monthlyCostCents)]),
    },
    {
      type: 'context',
      text: `Updated ${formatTime(d.now())}${totals.lastSeenAt ? ` · inventory synced ${formatTime(totals.lastSeenAt)}` : ''}`,
    },
  );
  return reply(blocks, {
    text: `DevOps Agent: ${role}, ${plural(mayDecide.length, 'request')} waiting for you`,
    ...(d.sandbox ? { sandbox: true } : {}),
  });
};
