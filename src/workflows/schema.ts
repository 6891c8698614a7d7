import type { Actor } from '../chat/actor.ts';
import { integer, jsonb, pgTable, primaryKey, text, timestamp } from '../store/orm.ts';

/**
 * The steps of a workflow change request as they ran, one row per step end and per compensation
 * (`seq` orders them). Written as each step ends, so a run cut short by a restart lists what had
 * completed.
 */
export const workflowSteps = pgTable(
  'workflow_steps',
  {
    changeId: text('change_id').notNull(),
    seq: integer('seq').notNull(),
    /** The step's position in the plan (0-based) and its template id. */
    stepIndex: integer('step_index').notNull(),
    stepId: text('step_id').notNull(),
    title: text('title').notNull(),
    /** succeeded, failed, timed_out, compensated, not_compensated. */
    status: text('status').notNull(),
    attempts: integer('attempts').notNull(),
    summary: text('summary'),
    previous: jsonb('previous').$type<Record<string, string>>(),
    outputs: jsonb('outputs').$type<Record<string, string>>().notNull(),
    error: text('error'),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
    finishedAt: timestamp('finished_at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.changeId, t.seq] })],
);

/**
 * Templates a workspace's admins added in chat (`template add`), as they were uploaded: every
 * version kept (a filed run executes the version it was planned from), checked again when read.
 */
export const workflowTemplates = pgTable(
  'workflow_templates',
  {
    workspaceId: text('workspace_id').notNull(),
    name: text('name').notNull(),
    version: integer('version').notNull(),
    source: text('source').notNull(),
    uploadedByKey: text('uploaded_by_key').notNull(),
    uploadedBy: jsonb('uploaded_by').$type<Actor>().notNull(),
    uploadedAt: timestamp('uploaded_at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.workspaceId, t.name, t.version] })],
);
