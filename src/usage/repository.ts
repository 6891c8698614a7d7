import { z } from 'zod';
import { and, eq, gte, lt, sql } from '../store/orm.ts';
import { SurfaceName } from '../chat/actor.ts';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import type { Db } from '../store/db.ts';
import { llmUsage } from './schema.ts';

// The budget reads these with workspaceTokensSince; they live with the other month helpers.
export { monthStart, nextMonthStart } from './month.ts';

/** A token count as the provider reports it; the columns are PostgreSQL `integer`. */
const Tokens = z.number().int().min(0).max(2_147_483_647);

/**
 * Tokens one model processed, in the Anthropic API's terms: `inputTokens` is the uncached input
 * (the API's `input_tokens`, which excludes the cache), `cacheReadTokens` the input read from the
 * prompt cache, `cacheWriteTokens` the input written to it, `outputTokens` what the model wrote.
 */
export const TokenUsage = z.object({
  inputTokens: Tokens,
  outputTokens: Tokens,
  cacheReadTokens: Tokens,
  cacheWriteTokens: Tokens,
});
export type TokenUsage = z.infer<typeof TokenUsage>;

/** One turn an LLM planner handled: record it once, with the tokens of all its API calls summed. */
export const UsageRecord = TokenUsage.extend({
  /** The Actor's workspace id (Slack team id, Teams tenant id, `console`). */
  workspaceId: z.string().min(1),
  surface: SurfaceName,
  /** `actorKey(actor)` of the person whose turn it was. */
  actorKey: z.string().min(1),
  /** `conversationKey(ref)` of the turn, when there is one. */
  conversationId: z.string().min(1).nullish(),
  /** The model id the API reported. */
  model: z.string().min(1).max(200),
  /** Defaults to the database's now(). */
  createdAt: z.date().optional(),
});
export type UsageRecord = z.infer<typeof UsageRecord>;

/** Records one turn's usage (one INSERT). Validated first: a count the provider got wrong fails here, not in SQL. */
export const recordUsage = async (db: Db, row: UsageRecord): Promise<void> => {
  const r = UsageRecord.parse(row);
  await db.insert(llmUsage).values({
    workspaceId: r.workspaceId,
    surface: r.surface,
    actorKey: r.actorKey,
    conversationId: r.conversationId ?? null,
    model: r.model,
    inputTokens: r.inputTokens,
    outputTokens: r.outputTokens,
    cacheReadTokens: r.cacheReadTokens,
    cacheWriteTokens: r.cacheWriteTokens,
    ...(r.createdAt ? { createdAt: r.createdAt } : {}),
  });
};

/** Usage of one model in one workspace over a period; `turns` counts the recorded turns. */
export interface WorkspaceUsage extends TokenUsage {
  workspaceId: string;
  model: string;
  turns: number;
}

// sum() of integers is a bigint, which pg hands back as a string.
const total = (column: AnyPgColumn) => sql<number>`coalesce(sum(${column}), 0)`.mapWith(Number);

/**
 * Usage in [since, until), summed per workspace and model, ordered by workspace then model (byte order). Every
 * workspace unless `workspaceId` is given.
 */
export const usageByWorkspace = async (
  db: Db,
  q: { since: Date; until: Date; workspaceId?: string },
): Promise<WorkspaceUsage[]> =>
  db
    .select({
      workspaceId: llmUsage.workspaceId,
      model: llmUsage.model,
      inputTokens: total(llmUsage.inputTokens),
      outputTokens: total(llmUsage.outputTokens),
      cacheReadTokens: total(llmUsage.cacheReadTokens),
      cacheWriteTokens: total(llmUsage.cacheWriteTokens),
      turns: sql<number>`count(*)`.mapWith(Number),
    })
    .from(llmUsage)
    .where(
      and(
        gte(llmUsage.createdAt, q.since),
        lt(llmUsage.createdAt, q.until),
        q.workspaceId === undefined ? undefined : eq(llmUsage.workspaceId, q.workspaceId),
      ),
    )
    .groupBy(llmUsage.workspaceId, llmUsage.model)
    // Byte order: the same on every server, whatever its default collation.
    .orderBy(sql`${llmUsage.workspaceId} collate "C"`, sql`${llmUsage.model} collate "C"`);

/**
 * Every token a model processed for the workspace since `since`: input, output, cache reads and
 * cache writes. The monthly budget counts all four, because each is work the model did (and is
 * billed), even though a cache read costs a tenth of fresh input.
 */
export const workspaceTokensSince = async (db: Db, workspaceId: string, since: Date): Promise<number> => {
  const [row] = await db
    .select({
      tokens:
        sql<number>`coalesce(sum(${llmUsage.inputTokens}::bigint + ${llmUsage.outputTokens} + ${llmUsage.cacheReadTokens} + ${llmUsage.cacheWriteTokens}), 0)`.mapWith(
          Number,
        ),
    })
    .from(llmUsage)
    .where(and(eq(llmUsage.workspaceId, workspaceId), gte(llmUsage.createdAt, since)));
  return row?.tokens ?? 0;
};

/** The sum workspaceTokensSince counts, for one row or a total. */
export const tokensOf = (u: TokenUsage): number =>
  u.inputTokens + u.outputTokens + u.cacheReadTokens + u.cacheWriteTokens;
