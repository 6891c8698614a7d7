import { formatMoney, plural } from '../chat/format.ts';
import type { Block } from '../chat/reply.ts';
import { formatTime } from '../changes/explain.ts';
import type { OpenIncident, WorkspaceGlance } from '../analytics/team/glance.ts';

export { workspaceGlance } from '../analytics/team/glance.ts';

/** Home's "at a glance" section: the workspace's top figures as fields, each with where to read more. */
export const glanceBlocks = (g: WorkspaceGlance, monthlyCostCents: number): Block[] => {
  const worst = g.compliance[0];
  return [
    { type: 'header', text: 'At a glance' },
    {
      type: 'fields',
      fields: [
        { label: 'Monthly cost', value: formatMoney(monthlyCostCents) },
        {
          label: 'Open findings',
          value: `${g.openFindings}${g.potentialSavingCents > 0 ? ` (could save ${formatMoney(g.potentialSavingCents)}/month)` : ''}`,
        },
        {
          label: 'Compliance',
          value: worst
            ? `${worst.score} % ${worst.name}${g.compliance.length > 1 ? ' (the lowest)' : ''}`
            : 'not scanned yet',
        },
        { label: 'Open incidents', value: String(g.openIncidents) },
        { label: 'Deployments (30 days)', value: String(g.deployments30d) },
        {
          label: 'Change failure rate (30 days)',
          value:
            g.changeFailureRate30d === null
              ? '–'
              : `${Math.round(g.changeFailureRate30d * 1000) / 10} % of ${plural(g.executed30d, 'change')}`,
        },
      ],
    },
    ...(g.compliance.length > 1
      ? [
          {
            type: 'context' as const,
            text: `Compliance: ${g.compliance.map((c) => `${c.name} ${c.score} %`).join(' · ')} · \`findings\`, \`savings\`, \`analytics\` for more.`,
          },
        ]
      : [{ type: 'context' as const, text: '`findings`, `savings`, `analytics` for more.' }]),
  ];
};

/** The open incidents a person may act on (acknowledge, resolve, escalate), latest first. */
export const incidentBlocks = (incidents: readonly OpenIncident[]): Block[] => {
  if (incidents.length === 0) return [];
  return [
    { type: 'header', text: 'Open incidents you can act on' },
    {
      type: 'table',
      columns: ['Incident', 'Status', 'What', 'Service', 'Opened'],
      rows: incidents.map((i) => [i.ref, i.status, i.title, i.service, formatTime(i.openedAt)]),
    },
    {
      type: 'context',
      text: `\`ack ${incidents[0]!.ref}\`, \`resolve ${incidents[0]!.ref}\`, or the thread's buttons.`,
    },
  ];
};
