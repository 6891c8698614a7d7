import { z } from 'zod';
import { ActionIds } from '../chat/interaction.ts';
import { mention } from '../chat/mention.ts';
import { reply, type Block } from '../chat/reply.ts';
import { formatTime } from '../changes/explain.ts';
import { badRequest } from '../errors.ts';
import type { Db } from '../store/db.ts';
import type { Tool } from '../tools/tool.ts';
import { findUserByName } from '../users/repository.ts';
import { categoryLabel, formatDuration, renderDiagnosis, renderIncidentCard } from './card.ts';
import { gradeLabel } from './grading.ts';
import { CauseCategory, Grade } from './model.ts';
import { gradeCounts, incidentRef, listEvents, listIncidents, setUserEmail } from './repository.ts';
import type { IncidentService } from './service.ts';

/**
 * The chat side of incidents: `incidents` lists them, `incident INC-7` shows one with its timeline
 * and diagnosis, the thread's buttons (and `ack|resolve|escalate INC-7`) act in PagerDuty as the
 * clicking person, `incident cause INC-7 …` records the cause the diagnosis is graded against,
 * `incidents accuracy` shows the grades, and `pagerduty map @ana ana@example.com` tells the bot a
 * person's PagerDuty login.
 */

export interface IncidentToolDeps {
  db: Db;
  incidents: IncidentService;
  sandbox: boolean;
  now: () => Date;
}

const IncidentRefInput = z.string().min(1).max(20).describe('The incident, e.g. INC-7.');
const blank = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

const ListInput = z.object({
  which: z.enum(['open', 'all']).default('open').describe('Open incidents only, or the latest of every status.'),
});

export const listIncidentsTool = (d: IncidentToolDeps): Tool<typeof ListInput> => ({
  name: 'list_incidents',
  description: 'Lists incidents from PagerDuty and Alertmanager: the open ones, or the latest of every status.',
  input: ListInput,
  kind: 'read',
  minRole: 'viewer',
  llm: true,
  run: async ({ which }, ctx) => {
    const rows = await listIncidents(d.db, ctx.actor.workspaceId, { open: which === 'open', limit: 25 });
    if (rows.length === 0)
      return {
        type: 'answer',
        reply: reply([{ type: 'text', text: which === 'open' ? 'No open incidents. 🎉' : 'No incidents yet.' }], {
          sandbox: d.sandbox,
        }),
        data: { incidents: [] },
      };
    const blocks: Block[] = [
      {
        type: 'header',
        text: which === 'open' ? `Open incidents (${rows.length})` : `Latest incidents (${rows.length})`,
      },
      {
        type: 'table',
        columns: ['Incident', 'Status', 'Service', 'Title', 'Opened', 'Open for'],
        rows: rows.map((i) => [
          incidentRef(i),
          i.status,
          i.service,
          i.title.slice(0, 80),
          formatTime(i.openedAt),
          formatDuration((i.resolvedAt ?? ctx.now).getTime() - i.openedAt.getTime()),
        ]),
      },
    ];
    return {
      type: 'answer',
      reply: reply(blocks, { sandbox: d.sandbox }),
      data: {
        incidents: rows.map((i) => ({
          incident: incidentRef(i),
          status: i.status,
          service: i.service,
          title: i.title,
          openedAt: i.openedAt.toISOString(),
        })),
      },
    };
  },
});

const ShowInput = z.object({ incident: IncidentRefInput });

export const showIncidentTool = (d: IncidentToolDeps): Tool<typeof ShowInput> => ({
  name: 'show_incident',
  description: 'Shows one incident: its status, timeline, and what the diagnosis found (facts with their sources).',
  input: ShowInput,
  kind: 'read',
  minRole: 'viewer',
  llm: true,
  run: async ({ incident }, ctx) => {
    const i = await d.incidents.find(incident, ctx.actor.workspaceId);
    const card = renderIncidentCard(i, { sandbox: d.sandbox });
    const events = await listEvents(d.db, i.id);
    const blocks: Block[] = [...card.blocks];
    if (events.length > 0)
      blocks.push({
        type: 'table',
        columns: ['When', 'What', 'Who'],
        rows: events.slice(-20).map((e) => [formatTime(e.at), e.text.slice(0, 200), e.actor ?? '']),
      });
    if (i.diagnosis) blocks.push(...renderDiagnosis(i, i.diagnosis, { sandbox: d.sandbox }).blocks);
    return {
      type: 'answer',
      reply: reply(blocks, { sandbox: d.sandbox }),
      data: {
        incident: incidentRef(i),
        status: i.status,
        service: i.service,
        title: i.title,
        timeline: events.map((e) => ({ at: e.at.toISOString(), text: e.text })),
        facts: i.diagnosis?.facts.map((f) => ({ id: f.id, text: f.text, source: f.source })) ?? [],
      },
    };
  },
});

const ActInput = z.object({
  incident: IncidentRefInput,
  action: z.enum(['acknowledge', 'resolve', 'escalate']).describe('What to do in PagerDuty.'),
});

export const incidentActionTool = (d: IncidentToolDeps): Tool<typeof ActInput> => ({
  name: 'incident_action',
  description: 'Acknowledges, resolves or escalates an incident in PagerDuty as the asking person.',
  input: ActInput,
  // It acts in PagerDuty under the person's own PagerDuty user: never offered to an LLM.
  kind: 'decide',
  minRole: 'operator',
  llm: false,
  run: async ({ incident, action }, ctx) => {
    const { text } = await d.incidents.act(incident, action, ctx.actor, ctx.actor.workspaceId);
    // The incident's thread already says it for everyone (IncidentService.act): the asker's copy is private.
    return { type: 'answer', reply: reply([{ type: 'text', text }], { sandbox: d.sandbox, ephemeral: true }) };
  },
});

const CauseInput = z.object({
  incident: IncidentRefInput,
  category: z.preprocess(blank, CauseCategory.optional()).describe('What kind of cause.'),
  resource: z.preprocess(blank, z.string().max(300).optional()).describe('The resource at fault, by name or id.'),
  changeId: z
    .preprocess(
      blank,
      z
        .string()
        .regex(/^CR-[1-9]\d*$/i, 'a change id looks like CR-12')
        .optional(),
    )
    .describe('The change request that caused it.'),
  text: z.preprocess(blank, z.string().max(2000).optional()).describe('What happened, in a sentence or two.'),
});

export const recordCauseTool = (d: IncidentToolDeps): Tool<typeof CauseInput> => ({
  name: 'record_incident_cause',
  description: "Records what caused an incident; the bot's diagnosis is graded against it.",
  input: CauseInput,
  kind: 'record',
  minRole: 'operator',
  llm: false,
  run: async (input, ctx) => {
    if (!input.category)
      throw badRequest(
        `Say what kind of cause: ${CauseCategory.options.join(', ')}. E.g. \`incident cause ${input.incident} change CR-12\`.`,
        undefined,
        'category',
      );
    const i = await d.incidents.recordCause(
      input.incident,
      {
        category: input.category,
        ...(input.resource ? { resource: input.resource } : {}),
        ...(input.changeId ? { changeId: input.changeId.toUpperCase() } : {}),
        ...(input.text ? { text: input.text } : {}),
      },
      ctx.actor,
      ctx.actor.workspaceId,
    );
    const graded = i.grade
      ? ` The diagnosis was *${gradeLabel[i.grade as Grade]}*.`
      : ' There was no diagnosis to grade.';
    return {
      type: 'answer',
      reply: reply(
        [{ type: 'text', text: `Recorded the cause of ${incidentRef(i)}: ${categoryLabel[input.category]}.${graded}` }],
        {
          sandbox: d.sandbox,
        },
      ),
    };
  },
});

const AccuracyInput = z.object({
  days: z.number().int().min(1).max(3650).optional().describe('Only incidents resolved in the last N days.'),
});

export const incidentAccuracyTool = (d: IncidentToolDeps): Tool<typeof AccuracyInput> => ({
  name: 'incident_accuracy',
  description: "How often the bot's incident diagnosis matched the cause responders recorded, per cause category.",
  input: AccuracyInput,
  kind: 'read',
  minRole: 'viewer',
  llm: true,
  run: async ({ days }, ctx) => {
    const since = days ? new Date(ctx.now.getTime() - days * 86_400_000) : undefined;
    const counts = await gradeCounts(d.db, ctx.actor.workspaceId, since);
    const total = counts.reduce((n, c) => n + c.n, 0);
    if (total === 0)
      return {
        type: 'answer',
        reply: reply(
          [
            {
              type: 'text',
              text: 'No graded incidents yet: the grade comes when a responder records the cause of a resolved incident.',
            },
          ],
          { sandbox: d.sandbox },
        ),
        data: { graded: 0 },
      };
    const categories = [...new Set(counts.map((c) => c.category))];
    const n = (category: string | undefined, grade: string) =>
      counts
        .filter((c) => (category === undefined || c.category === category) && c.grade === grade)
        .reduce((s, c) => s + c.n, 0);
    const pct = (x: number, of: number) => (of === 0 ? '—' : `${Math.round((100 * x) / of)}%`);
    const rows = categories.map((cat) => {
      const all = counts.filter((c) => c.category === cat).reduce((s, c) => s + c.n, 0);
      return [cat, String(all), ...Grade.options.map((g) => `${n(cat, g)} (${pct(n(cat, g), all)})`)];
    });
    rows.push([
      'all',
      String(total),
      ...Grade.options.map((g) => `${n(undefined, g)} (${pct(n(undefined, g), total)})`),
    ]);
    const exact = n(undefined, 'exact');
    return {
      type: 'answer',
      reply: reply(
        [
          { type: 'header', text: `Diagnosis accuracy${days ? ` · last ${days} days` : ''}` },
          {
            type: 'text',
            text: `The first suspect was exactly right in ${pct(exact, total)} of ${total} graded incidents (${pct(exact + n(undefined, 'one_hop_short'), total)} within one hop).`,
          },
          { type: 'table', columns: ['Cause', 'Graded', ...Grade.options.map((g) => gradeLabel[g])], rows },
        ],
        { sandbox: d.sandbox },
      ),
      data: { graded: total, counts },
    };
  },
});

const MapInput = z.object({
  user: z
    .discriminatedUnion('by', [
      z.object({ by: z.literal('id'), id: z.string().min(1) }),
      z.object({ by: z.literal('name'), name: z.string().min(1) }),
    ])
    .describe('The chat user, by surface user id or display name.'),
  email: z.email('that is not an email address').max(254).describe('Their PagerDuty login email.'),
});

export const mapPagerDutyUserTool = (d: IncidentToolDeps): Tool<typeof MapInput> => ({
  name: 'map_pagerduty_user',
  description:
    "Tells the bot a chat user's PagerDuty login email, so their clicks act as them in PagerDuty (admins only).",
  input: MapInput,
  kind: 'admin',
  minRole: 'admin',
  llm: false,
  run: async ({ user, email }, ctx) => {
    let userId: string;
    let name: string;
    if (user.by === 'id') {
      userId = user.id;
      name = user.id;
    } else {
      const found = await findUserByName(d.db, ctx.actor.workspaceId, user.name);
      if (found.length !== 1)
        throw badRequest(
          found.length === 0
            ? `I know nobody called “${user.name}” here: mention them (@name).`
            : `Several people are called “${user.name}”: mention the one you mean.`,
        );
      userId = found[0]!.userId;
      name = found[0]!.displayName;
    }
    await setUserEmail(
      d.db,
      { surface: ctx.actor.surface, workspaceId: ctx.actor.workspaceId, userId },
      email.toLowerCase(),
      ctx.actor.displayName,
      d.now(),
    );
    const who = mention({ surface: ctx.actor.surface, userId, displayName: name });
    return {
      type: 'answer',
      reply: reply([{ type: 'text', text: `${who} acts in PagerDuty as ${email.toLowerCase()} from now on.` }]),
    };
  },
});

const DiagnoseInput = z.object({ incident: IncidentRefInput });

export const diagnoseIncidentTool = (d: IncidentToolDeps): Tool<typeof DiagnoseInput> => ({
  name: 'diagnose_incident',
  description:
    'Gathers the facts about an incident again (recent changes, health, metrics) and posts them in its thread.',
  input: DiagnoseInput,
  kind: 'record',
  minRole: 'viewer',
  llm: true,
  run: async ({ incident }, ctx) => {
    const i = await d.incidents.rediagnose(incident, ctx.actor.workspaceId);
    return {
      type: 'answer',
      reply: reply(
        i.diagnosis
          ? renderDiagnosis(i, i.diagnosis, { sandbox: d.sandbox }).blocks
          : [{ type: 'text', text: `No diagnosis is configured for ${incidentRef(i)}.` }],
        { sandbox: d.sandbox },
      ),
    };
  },
});

export const incidentTools = (d: IncidentToolDeps) => [
  listIncidentsTool(d),
  showIncidentTool(d),
  incidentActionTool(d),
  recordCauseTool(d),
  incidentAccuracyTool(d),
  mapPagerDutyUserTool(d),
  diagnoseIncidentTool(d),
];

/** The Acknowledge button's value, for tests and surfaces that build one. */
export const incidentButton = (incident: string, action: 'acknowledge' | 'resolve' | 'escalate') => ({
  actionId: ActionIds.command,
  value: JSON.stringify({ tool: 'incident_action', input: { incident, action } }),
});
