import { z } from 'zod';
import { actorKey } from '../chat/actor.ts';
import { ActionIds } from '../chat/interaction.ts';
import { reply, textReply, type Block, type Reply } from '../chat/reply.ts';
import type { Db } from '../store/db.ts';
import type { Tool, ToolOutcome } from '../tools/tool.ts';
import { formatAuditAnchor, listAuditEvents, verifyAudit } from './audit.ts';
import { formatCostDelta, renderChangeCard } from './card.ts';
import { formatTime } from './explain.ts';
import { ApprovalBlockedError } from './gates.ts';
import { ChangeFilter, ChangeId, type ChangeRequest } from './model.ts';
import type { ChangeService } from './service.ts';

/** Engine tools over the change queue and the audit log. Deciding tools are never offered to an LLM. */
export interface ChangeToolDeps {
  db: Db;
  changes: ChangeService;
  sandbox: boolean;
}

const ChangeIdInput = ChangeId.describe('Change request id, e.g. CR-12.');

const card = (d: ChangeToolDeps, c: ChangeRequest): ToolOutcome => ({
  type: 'answer',
  reply: renderChangeCard(c, { sandbox: d.sandbox }),
  data: summary(c),
});

const summary = (c: ChangeRequest) => ({
  id: c.id,
  status: c.status,
  summary: c.plan.summary,
  environment: c.plan.environment,
  requester: c.requester.displayName,
  createdAt: c.createdAt.toISOString(),
  costDeltaCents: c.plan.costDeltaCents,
  approvals: `${c.decisions.filter((x) => x.decision === 'approved').length} of ${c.approvalsRequired}`,
  decidedBy: c.decidedBy?.displayName ?? null,
  reason: c.reason,
  result: c.result?.summary ?? null,
  error: c.error,
});

const ListInput = z.object({
  filter: ChangeFilter.default('all').describe(
    "Which change requests: all recent, pending only, or the asking user's.",
  ),
});

export const listChangesTool = (d: ChangeToolDeps): Tool<typeof ListInput> => ({
  name: 'list_changes',
  description: 'Lists recent change requests in this workspace with their status.',
  input: ListInput,
  kind: 'read',
  minRole: 'viewer',
  llm: true,
  run: async ({ filter }, ctx) => {
    const list = await d.changes.list({
      workspaceId: ctx.actor.workspaceId,
      ...(filter === 'pending' ? { status: 'pending' } : {}),
      ...(filter === 'mine' ? { requesterKey: actorKey(ctx.actor) } : {}),
      limit: 25,
    });
    const what =
      filter === 'pending'
        ? 'Pending change requests'
        : filter === 'mine'
          ? 'Your change requests'
          : 'Recent change requests';
    if (list.length === 0) return { type: 'answer', reply: textReply(`${what}: none.`), data: [] };
    const blocks: Block[] = [
      { type: 'header', text: `${what} (${list.length})` },
      {
        type: 'table',
        columns: ['ID', 'Status', 'Change', 'Env', 'Cost', 'By', 'Created'],
        rows: list.map((c) => [
          c.id,
          c.status,
          c.plan.summary,
          c.plan.environment,
          formatCostDelta(c.plan.costDeltaCents),
          c.requester.displayName,
          formatTime(c.createdAt),
        ]),
      },
    ];
    const pending = list.filter((c) => c.status === 'pending');
    if (pending.length)
      blocks.push({ type: 'context', text: `Approve with \`approve ${pending[0]!.id}\` or the card's button.` });
    return { type: 'answer', reply: reply(blocks, { text: `${what}: ${list.length}` }), data: list.map(summary) };
  },
});

/** The input of `rollback_change` (incident proposals are checked against it). */
export const DecideInput = z.object({ changeId: ChangeIdInput });

const ApproveInput = z.object({
  changeId: ChangeIdInput,
  override: z
    .string()
    .max(500)
    .optional()
    .describe('Admins only: why to approve through a change freeze or outside the approval window (audited).'),
});

/**
 * Why approving is refused for now (a freeze, a shut approval window), as an answer rather than
 * an error: for an admin it carries a button that asks for the reason and approves with an override.
 */
const blockedReply = (e: ApprovalBlockedError): Reply => {
  const blocks: Block[] = [{ type: 'text', text: `⛔ ${e.userMessage}` }];
  if (e.overridable)
    blocks.push({
      type: 'actions',
      buttons: [
        {
          actionId: ActionIds.command,
          label: 'Override and approve',
          value: JSON.stringify({ tool: 'approve_change', input: { changeId: e.changeId } }),
          style: 'danger',
          form: {
            title: `Override ${e.changeId}`.slice(0, 24),
            submitLabel: 'Approve',
            fields: [
              {
                name: 'override',
                label: 'Why approve through it (audited)',
                kind: 'text',
                required: true,
                multiline: true,
                placeholder: 'e.g. hotfix for the checkout outage',
              },
            ],
          },
        },
      ],
    });
  // A hold, not a refusal: the change may be approved later, or now with an override.
  return reply(blocks, { text: e.userMessage, ephemeral: true, errorCode: 'conflict' });
};

export const approveChangeTool = (d: ChangeToolDeps): Tool<typeof ApproveInput> => ({
  name: 'approve_change',
  description: 'Approves a pending change request as the asking user.',
  input: ApproveInput,
  kind: 'decide',
  minRole: 'viewer', // the policy decides who may approve, with a message that says why
  llm: false,
  run: async ({ changeId, override }, ctx) => {
    try {
      return card(d, await d.changes.approve(changeId, ctx.actor, ctx.role, { override }));
    } catch (e) {
      if (e instanceof ApprovalBlockedError)
        return { type: 'answer', reply: blockedReply(e), data: { changeId, blocked: e.userMessage } };
      throw e;
    }
  },
});

const RejectInput = z.object({
  changeId: ChangeIdInput,
  reason: z.string().max(500).optional().describe('Why it is rejected.'),
});

export const rejectChangeTool = (d: ChangeToolDeps): Tool<typeof RejectInput> => ({
  name: 'reject_change',
  description: 'Rejects (or, for its requester, withdraws) a pending change request.',
  input: RejectInput,
  kind: 'decide',
  minRole: 'viewer',
  llm: false,
  run: async ({ changeId, reason }, ctx) => card(d, await d.changes.reject(changeId, ctx.actor, ctx.role, reason)),
});

export const rollbackChangeTool = (d: ChangeToolDeps): Tool<typeof DecideInput> => ({
  name: 'rollback_change',
  description:
    'Requests undoing a succeeded change: files a new change request with the inverse action, which needs approval like any other.',
  input: DecideInput,
  kind: 'request',
  minRole: 'operator',
  llm: true,
  run: async ({ changeId }, ctx) => card(d, await d.changes.rollback(changeId, ctx.actor, ctx.role)),
});

const AuditInput = z.object({
  verify: z.boolean().default(false).describe('Check the whole hash chain instead of listing recent events.'),
});

export const auditLogTool = (d: ChangeToolDeps): Tool<typeof AuditInput> => ({
  name: 'audit_log',
  description: 'Shows recent audit events, or verifies the tamper-evident hash chain of the whole audit log.',
  input: AuditInput,
  kind: 'read',
  minRole: 'viewer',
  llm: true,
  run: async ({ verify }, ctx) => {
    if (verify) {
      const v = await verifyAudit(d.db);
      const text = v.ok
        ? `✅ Audit log OK: ${v.count} events, hash chain intact.${v.head ? ` Head: \`${formatAuditAnchor(v.head)}\` (keep it outside the database and pass it to \`npm run audit:verify -- --anchor\` later to also catch removal of the newest events).` : ''}`
        : `❌ Audit log BROKEN at event #${v.seq}: ${v.reason}`;
      return { type: 'answer', reply: textReply(text), data: v };
    }
    // Only this workspace's events; the chain check above covers everyone's.
    const latest = await listAuditEvents(d.db, {
      latest: 20,
      workspace: { surface: ctx.actor.surface, workspaceId: ctx.actor.workspaceId },
    });
    const blocks: Block[] = [
      { type: 'header', text: `Audit log (latest ${latest.length})` },
      {
        type: 'table',
        columns: ['#', 'When', 'Event', 'Subject', 'By'],
        rows: latest.map((e) => [String(e.seq), formatTime(e.at), e.type, e.subject ?? '', e.actorKey ?? 'system']),
      },
      {
        type: 'context',
        text: 'Each event is hash-chained to the previous one: `audit verify` checks the whole chain.',
      },
    ];
    return {
      type: 'answer',
      reply: reply(blocks, { text: `Audit log: ${latest.length} latest events` }),
      data: latest.map((e) => ({
        seq: e.seq,
        at: e.at.toISOString(),
        type: e.type,
        subject: e.subject,
        by: e.actorKey ?? 'system',
      })),
    };
  },
});

export const changeTools = (d: ChangeToolDeps): Tool[] => [
  listChangesTool(d),
  approveChangeTool(d),
  rejectChangeTool(d),
  rollbackChangeTool(d),
  auditLogTool(d),
];
