import { asc, eq } from '../store/orm.ts';
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
