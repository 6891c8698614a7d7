import { changeRequests } from '../changes/schema.ts';
import { and, asc, eq, isNotNull, sql } from '../store/orm.ts';
import type { Db } from '../store/db.ts';
import type { StepRecord } from './run.ts';
import { workflowSteps, workflowTemplates } from './schema.ts';
import { actorKey, type Actor } from '../chat/actor.ts';
import { appendAudit } from '../changes/audit.ts';

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

/** A template a workspace's admin uploaded, as stored. */
export interface UploadedTemplate {
  name: string;
  version: number;
  source: string;
  uploadedBy: Actor;
  uploadedAt: Date;
}

/**
 * Stores an uploaded template with its audit event; false when the workspace already has that name
 * and version (a template is never replaced in place: a filed run executes the version it was planned from).
 */
export const insertTemplate = (
  db: Db,
  t: { workspaceId: string; name: string; version: number; source: string; by: Actor; now: Date },
): Promise<boolean> =>
  db.transaction(async (tx) => {
    const rows = await tx
      .insert(workflowTemplates)
      .values({
        workspaceId: t.workspaceId,
        name: t.name,
        version: t.version,
        source: t.source,
        uploadedByKey: actorKey(t.by),
        uploadedBy: t.by,
        uploadedAt: t.now,
      })
      .onConflictDoNothing()
      .returning({ name: workflowTemplates.name });
    if (rows.length === 0) return false;
    await appendAudit(tx, {
      at: t.now,
      type: 'template.added',
      actorKey: actorKey(t.by),
      subject: `template:${t.workspaceId}:${t.name}:v${t.version}`,
      data: { name: t.name, version: t.version, bytes: Buffer.byteLength(t.source) },
    });
    return true;
  });

/** A workspace's uploaded templates, every version. */
export const listUploadedTemplates = async (db: Db, workspaceId: string): Promise<UploadedTemplate[]> =>
  (
    await db
      .select()
      .from(workflowTemplates)
      .where(eq(workflowTemplates.workspaceId, workspaceId))
      .orderBy(asc(workflowTemplates.name), asc(workflowTemplates.version))
  ).map((r) => ({
    name: r.name,
    version: r.version,
    source: r.source,
    uploadedBy: r.uploadedBy,
    uploadedAt: r.uploadedAt,
  }));
