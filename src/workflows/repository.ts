import { changeRequests } from '../changes/schema.ts';
import { and, asc, eq, isNotNull, sql } from '../store/orm.ts';
import type { Db } from '../store/db.ts';
import type { StepRecord } from './run.ts';
import { workflowSteps } from './schema.ts';

/** Records a step of a workflow change as it ended (`seq` orders the run's records). */
export const insertStep = async (db: Db, changeId: string, seq: number, r: StepRecord): Promise<void> => {
  await db.insert(workflowSteps).values({
    changeId,
    seq,
    stepIndex: r.index,
    stepId: r.id,
    title: r.title,
    status: r.status,
    attempts: r.attempts,
    summary: r.summary,
    previous: r.previous,
    outputs: r.outputs,
    error: r.error,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
  });
};

/** A workflow change's step records, in the order they were written. */
export const listSteps = async (db: Db, changeId: string): Promise<StepRecord[]> => {
  const rows = await db
    .select()
    .from(workflowSteps)
    .where(eq(workflowSteps.changeId, changeId))
    .orderBy(asc(workflowSteps.seq));
  return rows.map((r) => ({
    index: r.stepIndex,
    id: r.stepId,
    title: r.title,
    status: r.status as StepRecord['status'],
    attempts: r.attempts,
    summary: r.summary,
    previous: r.previous ?? null,
    outputs: r.outputs,
    error: r.error,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
  }));
};

/** How a template's runs went in a workspace: what `templates` and `template show` report. */
export interface RunStats {
  /** Runs that started executing (approved and run, whatever the outcome). */
  runs: number;
  succeeded: number;
  /** Mean seconds from start to end of the runs that ended. */
  meanSeconds: number | null;
  lastRunAt: Date | null;
}

/**
 * Run statistics per template, computed from the change requests themselves (a run is one
 * request): nothing to keep in step, and a deleted request leaves no stale count behind.
 */
export const runStats = async (db: Db, workspaceId: string): Promise<Map<string, RunStats>> => {
  const rows = await db
    .select({
      template: sql<string>`${changeRequests.workflow}->>'template'`,
      runs: sql<number>`count(*)::int`,
      succeeded: sql<number>`(count(*) filter (where ${changeRequests.status} = 'succeeded'))::int`,
      meanSeconds: sql<
        number | null
      >`avg(extract(epoch from ${changeRequests.finishedAt} - ${changeRequests.startedAt})) filter (where ${changeRequests.finishedAt} is not null)`,
      lastRunAt: sql<string | null>`max(${changeRequests.startedAt})`,
    })
    .from(changeRequests)
    .where(
      and(
        eq(changeRequests.workspaceId, workspaceId),
        isNotNull(changeRequests.workflow),
        isNotNull(changeRequests.startedAt),
      ),
    )
    .groupBy(sql`1`);
  return new Map(
    rows.map((r) => [
      r.template,
      {
        runs: Number(r.runs),
        succeeded: Number(r.succeeded),
        meanSeconds: r.meanSeconds === null ? null : Number(r.meanSeconds),
        lastRunAt: r.lastRunAt ? new Date(r.lastRunAt) : null,
      },
    ]),
  );
};
