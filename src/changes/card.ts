import { formatMoney } from '../chat/format.ts';
import { ActionIds } from '../chat/interaction.ts';
import { mention, mentionsAsText } from '../chat/mention.ts';
import { reply, type Block, type Reply } from '../chat/reply.ts';
import { approvalText, approversText, formatTime } from './explain.ts';
import type { ChangeRequest, ChangeStatus } from './model.ts';
import { windowsText } from './windows.ts';

/**
 * The change request card: the same neutral Reply is posted in the requester's thread and in
 * approval channels, and re-rendered in place on every transition (buttons only while pending).
 */

const statusLabel: Record<ChangeStatus, string> = {
  draft: 'Draft',
  pending: 'Waiting for approval',
  approved: 'Approved — about to run',
  executing: 'Running',
  waiting: 'Waiting at an approval gate',
  succeeded: 'Done',
  failed: 'Failed',
  rejected: 'Rejected',
  expired: 'Expired',
  interrupted: 'Interrupted (not re-run)',
  rolled_back: 'Rolled back',
};

const statusIcon: Record<ChangeStatus, string> = {
  draft: '📝',
  pending: '⏳',
  approved: '✅',
  executing: '⚙️',
  waiting: '✋',
  succeeded: '✅',
  failed: '❌',
  rejected: '🚫',
  expired: '⌛',
  interrupted: '⚠️',
  rolled_back: '↩️',
};

/** `+$12.34/mo` / `−$5.00/mo` / `no change`. */
export const formatCostDelta = (cents: number): string =>
  cents === 0 ? 'no change' : `${cents > 0 ? '+' : ''}${formatMoney(cents)}/mo`;

const approvalsLine = (c: ChangeRequest): string => {
  const approved = c.decisions.filter((d) => d.decision === 'approved');
  if (c.policy.autoApprove) return `auto-approved (policy rule "${c.policy.rule}")`;
  const who = approved.map((d) => mention(d.approver)).join(', ');
  return `${approved.length} of ${c.approvalsRequired} from the ${approversText(c.policy)}, not the requester${who ? ` — ${who}` : ''}`;
};

/** The approval gate a waiting run stopped at: which step, who may open it, and who has. */
const gateLine = (c: ChangeRequest): string | undefined => {
  if (c.status !== 'waiting' || !c.gate || !c.plan.workflow) return undefined;
  const steps = c.plan.workflow.steps;
  const step = steps.find((s) => s.id === c.gate!.step);
  if (!step || step.kind !== 'approval') return undefined;
  const approved = c.gateDecisions.filter((g) => g.step === step.id && g.decision === 'approved');
  const who = approved.map((g) => mention(g.approver)).join(', ');
  return `*✋ Waiting at step ${steps.indexOf(step) + 1} of ${steps.length} (${step.title}):* ${approved.length} of ${step.quorum} approvals from the ${step.roles.join(' or ')} role, not the requester${who ? ` — ${who}` : ''}. Approve goes on with the run; Reject undoes the completed steps.`;
};

/** What happened, in one line, once the request left `pending`. */
const outcomeLine = (c: ChangeRequest): string | undefined => {
  const rejection = c.decisions.find((d) => d.decision === 'rejected');
  switch (c.status) {
    case 'pending':
    case 'draft':
      return undefined;
    case 'approved':
    case 'executing':
    case 'waiting':
      return `*${approvalText(c, mention)}*`;
    case 'succeeded':
      return `*${approvalText(c, mention)}* · ${c.result?.summary ?? 'done'}${c.finishedAt ? ` · ${formatTime(c.finishedAt)}` : ''}`;
    case 'failed':
      return `*${approvalText(c, mention)}* · failed: ${c.error ?? 'unknown error'}`;
    case 'rejected': {
      const by = c.decidedBy ?? rejection?.approver;
      return `*Rejected by ${by ? mention(by) : 'someone'}*${rejection ? ` · ${formatTime(rejection.at)}` : ''}${c.reason ? ` · “${c.reason}”` : ''}`;
    }
    case 'expired':
      return `*Expired* without enough approvals${c.expiresAt ? ` at ${formatTime(c.expiresAt)}` : ''}.`;
    case 'interrupted':
      return `*Interrupted*: the bot stopped while this was running. It was not re-run; check the resource, then request it again if needed.`;
    case 'rolled_back':
      return `*Rolled back*${c.reason ? `: ${c.reason}` : ''}`;
  }
};

/** The most steps a card lists one by one (a chat message stays readable); the rest are counted. */
const MAX_CARD_STEPS = 12;

/**
 * A workflow run's preview on its card: every step in order with what it does to what, its
 * compensation, the plan's monthly cost and the hash the approval binds to. While it runs, the step
 * the progress names is marked.
 */
const workflowBlocks = (w: NonNullable<ChangeRequest['plan']['workflow']>, progress: string | undefined): Block[] => {
  const current = progress ? /^step (\d+) of/.exec(progress)?.[1] : undefined;
  const lines = w.steps.slice(0, MAX_CARD_STEPS).map((s, i) => {
    const mark =
      current === undefined ? `${i + 1}.` : Number(current) === i + 1 ? '▶' : Number(current) > i + 1 ? '✓' : '·';
    const what =
      s.kind === 'action'
        ? `${s.summary}${s.compensate === null ? ' (not undone on failure)' : ''}`
        : s.kind === 'wait'
          ? `wait until ${s.resourceName} is ${s.until} (up to ${Math.round(s.timeoutMs / 60_000) || 1} min)`
          : `approval gate: ${s.quorum} of the ${s.roles.join(' or ')} role (not the requester) before the run goes on`;
    return `${mark} *${s.title}*: ${what}`;
  });
  if (w.steps.length > MAX_CARD_STEPS) lines.push(`… and ${w.steps.length - MAX_CARD_STEPS} more steps`);
  const inputs = Object.entries(w.inputs)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  return [
    { type: 'text', text: `*Steps of ${w.template} v${w.version}:*\n${lines.join('\n')}` },
    {
      type: 'context',
      text: [
        inputs ? `Inputs: ${inputs}` : '',
        `What it builds: ${w.monthlyCents ? `${formatMoney(w.monthlyCents)}/mo` : 'nothing priced'}${w.unpriced.length ? ` (not priced: ${w.unpriced.join(', ')})` : ''}`,
        'If a step fails, the completed ones are undone in reverse',
        `Plan ${w.hash.slice(0, 12)}: re-checked before it runs; a changed plan needs a new approval`,
      ]
        .filter(Boolean)
        .join(' · '),
    },
  ];
};

/** `progress`: the running change's latest step, shown while it is `executing` (not stored). */
export const renderChangeCard = (c: ChangeRequest, opts: { sandbox?: boolean; progress?: string } = {}): Reply => {
  const p = c.plan;
  const blocks: Block[] = [
    { type: 'header', text: `${statusIcon[c.status]} ${c.id} · ${p.summary}`.slice(0, 150) },
    {
      type: 'fields',
      fields: [
        {
          label: 'Status',
          value:
            c.status === 'executing' && opts.progress
              ? `${statusLabel.executing}: ${opts.progress}…`
              : statusLabel[c.status],
        },
        { label: 'Requested by', value: mention(c.requester) },
        { label: 'Resource', value: `${p.resourceName} (\`${p.target.id}\`)` },
        {
          label: 'Where',
          value: `${p.target.provider} · ${p.target.account} · ${p.target.region} · env=${p.environment}`,
        },
        { label: 'Cost', value: formatCostDelta(p.costDeltaCents) },
        { label: 'Approvals', value: approvalsLine(c) },
      ],
    },
    { type: 'text', text: `*Blast radius:* ${p.blastRadius}` },
  ];
  if (p.workflow) blocks.push(...workflowBlocks(p.workflow, c.status === 'executing' ? opts.progress : undefined));
  if (p.rollback)
    blocks.push({
      type: 'context',
      text: `Rollback: ${p.rollback.action}${Object.keys(p.rollback.params).length ? ` ${Object.values(p.rollback.params).join(' ')}` : ''} (\`rollback ${c.id}\`)`,
    });
  if (p.rollbackOf) blocks.push({ type: 'context', text: `Rolls back ${p.rollbackOf}.` });
  if (c.override) {
    const what = [
      c.override.freezes.length ? `freeze${c.override.freezes.length > 1 ? 's' : ''}` : '',
      c.override.window ? 'approval window' : '',
    ]
      .filter(Boolean)
      .join(' and ');
    blocks.push({
      type: 'text',
      text: `⚠️ *${what.charAt(0).toUpperCase()}${what.slice(1)} overridden* by ${mention(c.override.by)} at ${formatTime(c.override.at)}: “${c.override.reason}” (audited)`,
    });
  }
  const outcome = outcomeLine(c);
  if (outcome) blocks.push({ type: 'text', text: outcome });
  const gate = gateLine(c);
  if (gate) blocks.push({ type: 'text', text: gate });
  if (c.status === 'pending' || (c.status === 'waiting' && gate)) {
    blocks.push({
      type: 'actions',
      buttons: [
        { actionId: ActionIds.approve, label: 'Approve', value: c.id, style: 'primary' },
        {
          actionId: ActionIds.reject,
          label: 'Reject',
          value: c.id,
          style: 'danger',
          form: {
            title: `Reject ${c.id}`.slice(0, 24),
            submitLabel: 'Reject',
            fields: [
              {
                name: 'reason',
                label: 'Reason (shown to the requester)',
                kind: 'text',
                required: false,
                multiline: true,
                placeholder: 'e.g. not during the release freeze',
              },
            ],
          },
        },
      ],
    });
    if (c.status === 'waiting' && c.gate?.deadline)
      blocks.push({
        type: 'context',
        text: `The gate lapses ${formatTime(c.gate.deadline)}: then the completed steps are undone · \`cancel ${c.id}\` stops the run now`,
      });
    else if (c.expiresAt)
      blocks.push({ type: 'context', text: `Expires ${formatTime(c.expiresAt)} · policy rule "${c.policy.rule}"` });
    if (c.policy.windows && !c.override?.window)
      blocks.push({ type: 'context', text: `Can be approved only ${windowsText(c.policy.windows)}` });
    if (c.policy.autoApproveHeld)
      blocks.push({
        type: 'context',
        text: `Not auto-approved: ${c.policy.autoApproveHeld}. It runs once approved after that, or when an admin approves it with an override.`,
      });
  }
  const status =
    c.status === 'executing' && opts.progress ? `running (${opts.progress})` : statusLabel[c.status].toLowerCase();
  const text = mentionsAsText(`${c.id} ${status}: ${p.summary}${outcome ? ` — ${outcome.replace(/\*/g, '')}` : ''}`);
  return reply(blocks, { text, changeId: c.id, ...(opts.sandbox ? { sandbox: true } : {}) });
};

/** The short message posted into the requester's thread when a change finishes. */
export const renderChangeResult = (c: ChangeRequest, opts: { sandbox?: boolean } = {}): Reply => {
  const ok = c.status === 'succeeded';
  const workflow = Boolean(c.plan.workflow);
  const gate = gateLine(c);
  const line = gate
    ? `${c.id}: ${gate.replace(/^\*✋ /, '✋ ').replace(':*', ':')}`
    : ok
      ? `${statusIcon.succeeded} ${c.id} done: ${c.result?.summary ?? c.plan.summary}.${workflow ? '' : ` To undo: \`rollback ${c.id}\``}`
      : c.status === 'failed'
        ? // A workflow's error already says which steps ran and what was undone.
          `${statusIcon.failed} ${c.id} failed: ${c.error ?? 'unknown error'}${workflow ? '' : '. Nothing else was changed.'}`
        : `${statusIcon[c.status]} ${c.id}: ${(outcomeLine(c) ?? statusLabel[c.status]).replace(/\*/g, '')}`;
  return reply([{ type: 'text', text: line }], {
    text: mentionsAsText(line).replace(/`/g, ''),
    ...(opts.sandbox ? { sandbox: true } : {}),
  });
};
