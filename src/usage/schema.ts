import { bigserial, index, integer, pgTable, text, timestamp } from '../store/orm.ts';

/**
 * One row per turn an LLM planner handled (its API calls summed): who asked, in which workspace,
 * which model, and the tokens the provider reported. Read by the `usage` tool and the monthly
 * token budget; the (workspace_id, created_at) index serves both.
 */
export const llmUsage = pgTable(
  'llm_usage',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** The Actor's workspace id (Slack team id, Teams tenant id, `console`). */
    workspaceId: text('workspace_id').notNull(),
    surface: text('surface').notNull(),
    actorKey: text('actor_key').notNull(),
    /** `conversationKey(ref)` of the turn, when there was one. */
    conversationId: text('conversation_id'),
    model: text('model').notNull(),
    inputTokens: integer('input_tokens').notNull().default(0),
    outputTokens: integer('output_tokens').notNull().default(0),
    cacheReadTokens: integer('cache_read_tokens').notNull().default(0),
    cacheWriteTokens: integer('cache_write_tokens').notNull().default(0),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('llm_usage_workspace_created_idx').on(t.workspaceId, t.createdAt)],
);
