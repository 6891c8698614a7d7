import { z } from 'zod';
import { textReply } from '../chat/reply.ts';
import { badRequest } from '../errors.ts';
import type { Db } from '../store/db.ts';
import type { Tool } from '../tools/tool.ts';
import { CronExpression, setWorkspaceSchedule, workspaceSchedules } from './jobs.ts';

/** `scan schedule [<cron>|off|default]`: a workspace's own scan schedule (admins). */

export interface ScheduleToolDeps {
  db: Db;
  /** SCAN_SCHEDULE and its time zone: what `default` means. */
  defaultSchedule: string;
  timezone: string;
  /** Puts a schedule in force at once (Agenda); throws on an expression Agenda cannot read. */
  reschedule(workspaceId: string, schedule: string): Promise<void>;
}

const ScheduleInput = z.object({
  schedule: z
    .string()
    .trim()
    .max(100)
    .optional()
    .describe('A cron expression of five fields, `off`, or `default` (SCAN_SCHEDULE); nothing shows the current one.'),
});

export const scanScheduleTool = (d: ScheduleToolDeps): Tool<typeof ScheduleInput> => ({
  name: 'scan_schedule',
  description: "Shows or sets this workspace's scheduled scan (cron), turns it off, or back to the default (admins).",
  input: ScheduleInput,
  kind: 'admin',
  minRole: 'admin',
  llm: false,
  run: async (input, ctx) => {
    const ws = ctx.actor.workspaceId;
    const current = (await workspaceSchedules(d.db, d.defaultSchedule)).find((w) => w.workspaceId === ws)?.schedule;
    const describe = (s: string | undefined) =>
      s === 'off'
        ? 'off'
        : `\`${s ?? d.defaultSchedule}\` (${d.timezone})${s === d.defaultSchedule ? ', the default' : ''}`;
    if (!input.schedule)
      return {
        type: 'answer',
        reply: textReply(`Scheduled scans here: ${describe(current)}.`),
        data: { schedule: current },
      };
    const wanted = input.schedule.toLowerCase();
    let schedule: string | undefined;
    if (wanted === 'default') schedule = undefined;
    else if (wanted === 'off') schedule = 'off';
    else {
      const parsed = CronExpression.safeParse(input.schedule);
      if (!parsed.success)
        throw badRequest(`“${input.schedule}” ${parsed.error.issues[0]?.message ?? 'is not a cron expression'}.`);
      schedule = parsed.data;
    }
    if (schedule !== 'off') {
      try {
        await d.reschedule(ws, schedule ?? d.defaultSchedule);
      } catch (e) {
        throw badRequest(
          `“${input.schedule}” is not a schedule I can run: ${e instanceof Error ? e.message : String(e)}`,
          e,
        );
      }
    }
    await setWorkspaceSchedule(d.db, ws, schedule);
    return {
      type: 'answer',
      reply: textReply(`Scheduled scans here are now ${describe(schedule ?? d.defaultSchedule)}.`),
      data: { schedule: schedule ?? d.defaultSchedule },
    };
  },
});
