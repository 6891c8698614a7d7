import { z } from 'zod';
import { isAppError } from '../errors.ts';
import { textReply } from '../chat/reply.ts';
import type { Db } from '../store/db.ts';
import type { Tool } from '../tools/tool.ts';
import { teamAnalytics, type TemplateEstimates } from './team/analytics.ts';
import { PERIOD_FORMS } from './team/period.ts';
import { renderAnalytics } from './team/render.ts';

/**
 * `analytics [team] [period]`: the read tool `team_analytics` (offered to an LLM too). An unknown
 * team is answered with the known ones; a period that is not one names the accepted forms.
 */

export interface AnalyticsToolDeps {
  db: Db;
  /** SCAN_OWNER_TAGS. */
  ownerTags: readonly string[];
  templates?: TemplateEstimates | undefined;
  sandbox: boolean;
}

const AnalyticsInput = z.object({
  team: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .optional()
    .describe('One team (the value of its owner tag, e.g. payments); leave out for every team.'),
  period: z.string().trim().min(1).max(20).optional().describe(`The period: ${PERIOD_FORMS}. Default this-month.`),
});

export const teamAnalyticsTool = (d: AnalyticsToolDeps): Tool<typeof AnalyticsInput> => ({
  name: 'team_analytics',
  description:
    'DORA metrics (deployment frequency, lead time, change failure rate, time to restore), approval turnaround, savings realised by fixes, security findings resolved, estate share and time saved by templates, per team (owner tag) over a period, from the bot’s own records.',
  input: AnalyticsInput,
  kind: 'read',
  minRole: 'viewer',
  llm: true,
  run: async (input, ctx) => {
    try {
      const a = await teamAnalytics(d.db, {
        workspaceId: ctx.actor.workspaceId,
        team: input.team,
        period: input.period,
        now: ctx.now,
        ownerTags: d.ownerTags,
        templates: d.templates,
      });
      return {
        type: 'answer',
        reply: renderAnalytics(a, { sandbox: d.sandbox, ownerTags: d.ownerTags }),
        data: {
          period: { ...a.period, from: a.period.from.toISOString(), to: a.period.to.toISOString() },
          total: a.total,
          teams: a.teams,
          trend: a.trend,
          knownTeams: a.knownTeams,
        },
      };
    } catch (e) {
      // An unknown team or a period that is not one: a plain answer, not an error.
      if (isAppError(e) && (e.code === 'not_found' || e.code === 'bad_request'))
        return { type: 'answer', reply: textReply(e.userMessage, { sandbox: d.sandbox }) };
      throw e;
    }
  },
});
