import { plural } from '../chat/format.ts';
import { ActionIds } from '../chat/interaction.ts';
import { reply, type Block, type Button, type Form, type Reply } from '../chat/reply.ts';
import { formatTime } from '../changes/explain.ts';
import { gradeLabel } from './grading.ts';
import { CauseCategory, type Diagnosis, type Grade } from './model.ts';
import { incidentRef, type IncidentEventRow, type IncidentRow } from './repository.ts';

/**
 * What an incident thread shows: its first message (the card, re-rendered in place as the
 * incident changes), the diagnosis, the post-incident summary. Neutral replies: every surface
 * draws them (Block Kit, Adaptive Cards, the console).
 */

const statusIcon = { triggered: '🔴', acknowledged: '🟠', resolved: '✅' } as const;
const statusLabel = { triggered: 'Triggered', acknowledged: 'Acknowledged', resolved: 'Resolved' } as const;
type Status = keyof typeof statusIcon;
const asStatus = (s: string): Status => (s in statusIcon ? (s as Status) : 'triggered');

/** `12 min`, `2 h 5 min`, `3 d 4 h`. */
export const formatDuration = (ms: number): string => {
  const min = Math.max(0, Math.round(ms / 60_000));
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${h} h${min % 60 ? ` ${min % 60} min` : ''}`;
  return `${Math.floor(h / 24)} d${h % 24 ? ` ${h % 24} h` : ''}`;
};

const command = (tool: string, input: Record<string, unknown>): string => JSON.stringify({ tool, input });

export const categoryLabel: Record<CauseCategory, string> = {
  change: 'A change (deploy, config, infra)',
  capacity: 'Capacity or load',
  dependency: 'A dependency (database, queue, third party)',
  infrastructure: 'Infrastructure (node, VM, disk, network)',
  code: 'A bug not tied to a recent change',
  unknown: 'Unknown',
};

const causeForm: Form = {
  title: 'Record the cause',
  submitLabel: 'Record',
  fields: [
    {
      name: 'category',
      label: 'What kind of cause',
      kind: 'select',
      required: true,
      options: CauseCategory.options.map((c) => ({ label: categoryLabel[c], value: c })),
    },
    { name: 'resource', label: 'Resource at fault (name or id)', kind: 'text', required: false },
    { name: 'changeId', label: 'The change that caused it (CR-n)', kind: 'text', required: false },
    { name: 'text', label: 'What happened', kind: 'text', required: false, multiline: true },
  ],
};

/** The buttons of the first message: what can be done in the incident's current status. */
const buttons = (i: IncidentRow): Button[] => {
  const ref = incidentRef(i);
  const act = (action: string) => command('incident_action', { incident: ref, action });
  const status = asStatus(i.status);
  if (status === 'resolved') {
    if (i.cause) return [];
    return [
      {
        actionId: ActionIds.command,
        label: 'Record the cause',
        value: command('record_incident_cause', { incident: ref }),
        form: causeForm,
      },
    ];
  }
  const list: Button[] = [];
  if (status === 'triggered')
    list.push({ actionId: ActionIds.command, label: 'Acknowledge', value: act('acknowledge'), style: 'primary' });
  list.push({ actionId: ActionIds.command, label: 'Resolve', value: act('resolve') });
  list.push({ actionId: ActionIds.command, label: 'Escalate', value: act('escalate'), style: 'danger' });
  return list;
};

/** The thread's first message. */
export const renderIncidentCard = (i: IncidentRow, opts: { sandbox: boolean }): Reply => {
  const status = asStatus(i.status);
  const fields: Array<{ label: string; value: string }> = [
    { label: 'Status', value: `${statusIcon[status]} ${statusLabel[status]}` },
    { label: 'Service', value: i.service },
    { label: 'Urgency', value: i.urgency },
    { label: 'Opened', value: formatTime(i.openedAt) },
  ];
  if (i.environment) fields.push({ label: 'Environment', value: i.environment });
  if (i.acknowledgedAt)
    fields.push({
      label: 'Acknowledged',
      value: `${i.acknowledgedBy ? `${i.acknowledgedBy} · ` : ''}after ${formatDuration(i.acknowledgedAt.getTime() - i.openedAt.getTime())}`,
    });
  if (i.resolvedAt)
    fields.push({
      label: 'Resolved',
      value: `${i.resolvedBy ? `${i.resolvedBy} · ` : ''}after ${formatDuration(i.resolvedAt.getTime() - i.openedAt.getTime())}`,
    });
  if (i.assignees.length > 0) fields.push({ label: 'Assigned to', value: i.assignees.join(', ') });
  if (i.escalationLevel) fields.push({ label: 'Escalation level', value: String(i.escalationLevel) });
  if (i.repeats > 0) fields.push({ label: 'Repeats', value: plural(i.repeats, 'more alert') });
  const source =
    i.source === 'pagerduty' ? `PagerDuty${i.externalNumber ? ` #${i.externalNumber}` : ''}` : 'Alertmanager';
  const blocks: Block[] = [
    { type: 'header', text: `${statusIcon[status]} ${incidentRef(i)} · ${i.service}: ${i.title}`.slice(0, 150) },
    { type: 'fields', fields },
    {
      type: 'context',
      text: `From ${source}${i.htmlUrl ? ` · ${i.htmlUrl}` : ''}${i.resources.length > 0 ? ` · names ${i.resources.slice(0, 5).join(', ')}` : ''}`,
    },
  ];
  if (i.cause)
    blocks.push({
      type: 'text',
      text: `*Cause* (${i.causeBy ?? 'recorded'}): ${categoryLabel[i.cause.category]}${i.cause.resource ? ` · ${i.cause.resource}` : ''}${i.cause.changeId ? ` · ${i.cause.changeId}` : ''}${i.cause.text ? ` — ${i.cause.text}` : ''}${i.grade ? `\nThe bot's diagnosis was graded *${gradeLabel[i.grade as Grade]}*.` : ''}`,
    });
  const b = buttons(i);
  if (b.length > 0) blocks.push({ type: 'actions', buttons: b });
  return reply(blocks, {
    text: `${statusIcon[status]} ${incidentRef(i)} ${statusLabel[status]}: ${i.service}: ${i.title}`,
    sandbox: opts.sandbox,
  });
};

/** The diagnosis, posted in the thread: facts with their sources, suspects, the narrative, proposals. */
export const renderDiagnosis = (i: IncidentRow, d: Diagnosis, opts: { sandbox: boolean }): Reply => {
  const blocks: Block[] = [{ type: 'header', text: `🔎 What the bot found for ${incidentRef(i)}` }];
  if (d.narrative && d.narrative.claims.length > 0)
    blocks.push({
      type: 'text',
      text: d.narrative.claims.map((c) => `${c.text} [${c.cites.join(', ')}]`).join('\n'),
    });
  if (d.affected.length > 0)
    blocks.push({
      type: 'context',
      text: `Affected: ${d.affected.map((r) => `${r.name} (${r.provider} ${r.type})`).join(', ')}`,
    });
  else
    blocks.push({
      type: 'context',
      text: `Nothing the alert names is in the inventory; facts are from service “${i.service}”.`,
    });
  const shown = d.facts.slice(0, 12);
  if (shown.length > 0)
    blocks.push({
      type: 'table',
      columns: ['#', 'Fact', 'Source'],
      rows: shown.map((f) => [f.id, f.text, f.source]),
    });
  else blocks.push({ type: 'text', text: 'No recent change, health problem or metric stands out.' });
  if (d.facts.length > shown.length)
    blocks.push({
      type: 'context',
      text: `${plural(d.facts.length - shown.length, 'more fact')}: \`incident show ${incidentRef(i)}\``,
    });
  const top = d.suspects[0];
  if (top) blocks.push({ type: 'text', text: `*Most likely:* ${top.text} [${top.factIds.join(', ')}]` });
  if (d.narrativeError) blocks.push({ type: 'context', text: `No AI summary: ${d.narrativeError}` });
  if (d.proposals.length > 0) {
    blocks.push({
      type: 'text',
      text: `*Proposed fixes* (each files a change request for approval):\n${d.proposals.map((p) => `• ${p.title} — ${p.why}`).join('\n')}`,
    });
    blocks.push({
      type: 'actions',
      buttons: d.proposals.slice(0, 5).map((p) => ({
        actionId: ActionIds.command,
        label: p.title.slice(0, 75),
        value: command(p.call.tool, p.call.input),
      })),
    });
  }
  if (top && !i.cause)
    blocks.push({
      type: 'actions',
      buttons: [
        {
          actionId: ActionIds.command,
          label: 'That was the cause',
          value: command('record_incident_cause', {
            incident: incidentRef(i),
            category: top.category,
            ...(top.resource ? { resource: top.resource.name } : {}),
            ...(top.changeId ? { changeId: top.changeId } : {}),
          }),
        },
      ],
    });
  return reply(blocks, { sandbox: opts.sandbox });
};

export interface SummaryChange {
  id: string;
  status: string;
  action: string;
  resourceName: string;
  requester: string;
  createdAt: Date;
  finishedAt: Date | null;
}

export interface IncidentSummary {
  incident: string;
  title: string;
  service: string;
  openedAt: string;
  acknowledgedAt: string | null;
  resolvedAt: string | null;
  timeToAcknowledgeMs: number | null;
  timeToRestoreMs: number | null;
  timeline: Array<{ at: string; kind: string; actor: string | null; text: string }>;
  changes: Array<Omit<SummaryChange, 'createdAt' | 'finishedAt'> & { createdAt: string; finishedAt: string | null }>;
  remediation: string[];
  diagnosis: { topSuspect: string | null; facts: number } | null;
}

export const buildSummary = (
  i: IncidentRow,
  events: readonly IncidentEventRow[],
  changes: readonly SummaryChange[],
): IncidentSummary => ({
  incident: incidentRef(i),
  title: i.title,
  service: i.service,
  openedAt: i.openedAt.toISOString(),
  acknowledgedAt: i.acknowledgedAt?.toISOString() ?? null,
  resolvedAt: i.resolvedAt?.toISOString() ?? null,
  timeToAcknowledgeMs: i.acknowledgedAt ? i.acknowledgedAt.getTime() - i.openedAt.getTime() : null,
  timeToRestoreMs: i.resolvedAt ? i.resolvedAt.getTime() - i.openedAt.getTime() : null,
  timeline: events.map((e) => ({ at: e.at.toISOString(), kind: e.kind, actor: e.actor, text: e.text })),
  changes: changes.map((c) => ({
    ...c,
    createdAt: c.createdAt.toISOString(),
    finishedAt: c.finishedAt?.toISOString() ?? null,
  })),
  remediation: changes
    .filter((c) => c.status === 'succeeded' || c.status === 'rolled_back')
    .map((c) => `${c.id} ${c.action} ${c.resourceName} (${c.requester})`),
  diagnosis: i.diagnosis
    ? { topSuspect: i.diagnosis.suspects[0]?.text ?? null, facts: i.diagnosis.facts.length }
    : null,
});

export const renderSummary = (i: IncidentRow, s: IncidentSummary, opts: { sandbox: boolean }): Reply => {
  const blocks: Block[] = [{ type: 'header', text: `📋 Post-incident summary · ${s.incident}` }];
  blocks.push({
    type: 'fields',
    fields: [
      {
        label: 'Time to acknowledge',
        value: s.timeToAcknowledgeMs === null ? 'not acknowledged' : formatDuration(s.timeToAcknowledgeMs),
      },
      { label: 'Time to restore', value: s.timeToRestoreMs === null ? 'open' : formatDuration(s.timeToRestoreMs) },
      { label: 'Changes during it', value: String(s.changes.length) },
      { label: 'Diagnosis', value: s.diagnosis?.topSuspect ?? 'no suspect' },
    ],
  });
  blocks.push({
    type: 'table',
    columns: ['When', 'What', 'Who'],
    rows: s.timeline.slice(-30).map((e) => [formatTime(new Date(e.at)), e.text.slice(0, 200), e.actor ?? '']),
  });
  if (s.changes.length > 0)
    blocks.push({
      type: 'table',
      columns: ['Change', 'Action', 'Resource', 'Status', 'Requested by'],
      rows: s.changes.map((c) => [c.id, c.action, c.resourceName, c.status, c.requester]),
    });
  if (s.remediation.length > 0) blocks.push({ type: 'text', text: `*Remediation:* ${s.remediation.join('; ')}` });
  if (!i.cause)
    blocks.push({
      type: 'actions',
      buttons: [
        {
          actionId: ActionIds.command,
          label: 'Record the cause',
          value: command('record_incident_cause', { incident: s.incident }),
          form: causeForm,
          style: 'primary',
        },
      ],
    });
  return reply(blocks, { sandbox: opts.sandbox });
};
