import { z } from 'zod';
import { appendAudit } from '../changes/audit.ts';
import { ProviderName } from '../cloud/resource.ts';
import { badRequest, notFound } from '../errors.ts';
import type { Db } from '../store/db.ts';
import { sql } from '../store/orm.ts';

/**
 * Suppressions: a finding (or a rule on tagged resources, or a whole account) that a named owner
 * accepted for a reason, until an expiry. Covered findings stay recorded but leave digests,
 * totals and compliance scores; when the suppression expires or is removed the next scan brings
 * them back. Creating and removing one are audit events, and both apply to the open findings at
 * once (the next scan would recompute the same).
 */

/** Default and maximum lifetime of a suppression (SCAN_SUPPRESSION_MAX_DAYS sets the maximum). */
export const defaultSuppressionDays = 90;

export const SuppressionScope = z.enum(['finding', 'rule', 'account']);
export type SuppressionScope = z.infer<typeof SuppressionScope>;

export const NewSuppression = z.object({
  workspaceId: z.string().min(1),
  scope: SuppressionScope,
  findingId: z.string().min(1).optional(),
  ruleId: z.string().min(1).optional(),
  tag: z.object({ key: z.string().min(1), value: z.string() }).optional(),
  provider: ProviderName.optional(),
  account: z.string().min(1).optional(),
  owner: z.string().trim().optional(),
  reason: z.string().trim().optional(),
  /** Absent: `defaultSuppressionDays` from now (capped by the maximum). */
  expiresAt: z.date().optional(),
});
export type NewSuppression = z.infer<typeof NewSuppression>;

export interface Suppression {
  id: number;
  workspaceId: string;
  scope: SuppressionScope;
  findingId: string | null;
  ruleId: string | null;
  tagKey: string | null;
  tagValue: string | null;
  provider: string | null;
  account: string | null;
  owner: string;
  reason: string;
  expiresAt: Date;
  createdBy: string;
  createdAt: Date;
  removedAt: Date | null;
  removedBy: string | null;
}

export interface SuppressionDeps {
  db: Db;
  now: Date;
  /** The longest a suppression may last, in days. */
  maxDays: number;
  /** Rule ids that exist (a rule-scoped suppression must name one). */
  ruleIds: ReadonlySet<string>;
  /** Who asks (audit actor key) and their display name. */
  actorKey: string;
  actorName: string;
}

/** Recomputes the suppression of every open finding of a workspace (the same rule a scan applies). */
export const applySuppressions = async (db: Pick<Db, 'execute'>, workspaceId: string, now: Date): Promise<void> => {
  await db.execute(sql`
    update findings s set suppression_id = (
      select min(p.id) from suppressions p
      where p.workspace_id = s.workspace_id and p.removed_at is null and p.expires_at > ${now} and (
        (p.scope = 'finding' and p.finding_id = s.id)
        or (p.scope = 'rule' and p.rule_id = s.rule_id and (p.tag_key is null or s.tags ->> p.tag_key = p.tag_value))
        or (p.scope = 'account' and p.provider = s.provider and p.account = s.account and (p.rule_id is null or p.rule_id = s.rule_id))
      ))
    where s.workspace_id = ${workspaceId} and s.status = 'open'`);
};

const daysMs = 86_400_000;

/** Validates and records a suppression with its audit event; returns it with how many open findings it covers now. */
export const suppress = async (
  d: SuppressionDeps,
  input: NewSuppression,
): Promise<{ suppression: Suppression; covered: number }> => {
  const s = NewSuppression.parse(input);
  const missing = [
    !s.owner ? 'an owner' : undefined,
    !s.reason ? 'a reason (`because …`)' : undefined,
    s.scope === 'finding' && !s.findingId ? 'the finding id' : undefined,
    s.scope === 'rule' && !s.ruleId ? 'the rule id' : undefined,
    s.scope === 'account' && !(s.provider && s.account) ? 'the provider and account' : undefined,
  ].filter((m): m is string => m !== undefined);
  if (missing.length > 0) throw badRequest(`A suppression needs ${joinAnd(missing)}.`);
  const maxUntil = new Date(d.now.getTime() + d.maxDays * daysMs);
  const expiresAt = s.expiresAt ?? new Date(d.now.getTime() + Math.min(defaultSuppressionDays, d.maxDays) * daysMs);
  if (expiresAt.getTime() <= d.now.getTime()) throw badRequest('A suppression must expire in the future.');
  if (expiresAt.getTime() > maxUntil.getTime())
    throw badRequest(`A suppression may last at most ${d.maxDays} days (SCAN_SUPPRESSION_MAX_DAYS).`);
  if (s.ruleId && !d.ruleIds.has(s.ruleId)) throw notFound(`There is no scan rule "${s.ruleId}".`);
  return d.db.transaction(async (tx) => {
    if (s.scope === 'finding') {
      const { rows } = await tx.execute<{ rule_id: string }>(
        sql`select rule_id from findings where workspace_id = ${s.workspaceId} and id = ${s.findingId!}`,
      );
      if (rows.length === 0) throw notFound(`There is no finding ${s.findingId} in this workspace.`);
    }
    const { rows } = await tx.execute<SuppressionRow>(sql`
      insert into suppressions (workspace_id, scope, finding_id, rule_id, tag_key, tag_value, provider, account,
        owner, reason, expires_at, created_by, created_at)
      values (${s.workspaceId}, ${s.scope}, ${s.findingId ?? null}, ${s.ruleId ?? null}, ${s.tag?.key ?? null},
        ${s.tag?.value ?? null}, ${s.provider ?? null}, ${s.account ?? null}, ${s.owner!}, ${s.reason!},
        ${expiresAt}, ${d.actorName}, ${d.now})
      returning *`);
    const suppression = toSuppression(rows[0]!);
    await appendAudit(tx, {
      at: d.now,
      type: 'finding.suppressed',
      actorKey: d.actorKey,
      subject: `suppression:${suppression.id}`,
      data: describe(suppression),
    });
    await applySuppressions(tx, s.workspaceId, d.now);
    const { rows: covered } = await tx.execute<{ n: number }>(
      sql`select count(*)::int as n from findings where workspace_id = ${s.workspaceId} and status = 'open' and suppression_id = ${suppression.id}`,
    );
    return { suppression, covered: Number(covered[0]?.n ?? 0) };
  });
};

/** Removes an active suppression (audit event); its findings count again at once. */
export const unsuppress = async (
  d: Omit<SuppressionDeps, 'maxDays' | 'ruleIds'>,
  workspaceId: string,
  id: number,
): Promise<Suppression> =>
  d.db.transaction(async (tx) => {
    const { rows } = await tx.execute<SuppressionRow>(sql`
      update suppressions set removed_at = ${d.now}, removed_by = ${d.actorName}
      where workspace_id = ${workspaceId} and id = ${id} and removed_at is null
      returning *`);
    const removed = rows[0];
    if (!removed) {
      const { rows: any } = await tx.execute<SuppressionRow>(
        sql`select * from suppressions where workspace_id = ${workspaceId} and id = ${id}`,
      );
      const was = any[0];
      throw was
        ? badRequest(`Suppression S-${id} was already removed by ${was.removed_by ?? 'someone'}.`)
        : notFound(`There is no suppression S-${id} in this workspace.`);
    }
    const suppression = toSuppression(removed);
    await appendAudit(tx, {
      at: d.now,
      type: 'finding.unsuppressed',
      actorKey: d.actorKey,
      subject: `suppression:${id}`,
      data: describe(suppression),
    });
    await applySuppressions(tx, workspaceId, d.now);
    return suppression;
  });

/** The workspace's suppressions still in force at `now`, soonest expiry first. */
export const activeSuppressions = async (db: Db, workspaceId: string, now: Date): Promise<Suppression[]> => {
  const { rows } = await db.execute<SuppressionRow>(sql`
    select * from suppressions
    where workspace_id = ${workspaceId} and removed_at is null and expires_at > ${now}
    order by expires_at, id`);
  return rows.map(toSuppression);
};

/** What the suppression covers, in words: `finding 3fa2…`, `rule aws.s3.public_block on team=data`. */
export const scopeText = (
  s: Pick<Suppression, 'scope' | 'findingId' | 'ruleId' | 'tagKey' | 'tagValue' | 'provider' | 'account'>,
): string => {
  if (s.scope === 'finding') return `finding ${s.findingId}`;
  if (s.scope === 'rule') return `rule ${s.ruleId}${s.tagKey ? ` on ${s.tagKey}=${s.tagValue}` : ''}`;
  return `${s.ruleId ? `rule ${s.ruleId} in ` : ''}${s.provider} account ${s.account}`;
};

type SuppressionRow = {
  id: number | string;
  workspace_id: string;
  scope: SuppressionScope;
  finding_id: string | null;
  rule_id: string | null;
  tag_key: string | null;
  tag_value: string | null;
  provider: string | null;
  account: string | null;
  owner: string;
  reason: string;
  expires_at: string | Date;
  created_by: string;
  created_at: string | Date;
  removed_at: string | Date | null;
  removed_by: string | null;
};

const toSuppression = (r: SuppressionRow): Suppression => ({
  id: Number(r.id),
  workspaceId: r.workspace_id,
  scope: r.scope,
  findingId: r.finding_id,
  ruleId: r.rule_id,
  tagKey: r.tag_key,
  tagValue: r.tag_value,
  provider: r.provider,
  account: r.account,
  owner: r.owner,
  reason: r.reason,
  expiresAt: new Date(r.expires_at),
  createdBy: r.created_by,
  createdAt: new Date(r.created_at),
  removedAt: r.removed_at === null ? null : new Date(r.removed_at),
  removedBy: r.removed_by,
});

const describe = (s: Suppression): Record<string, unknown> => ({
  workspaceId: s.workspaceId,
  scope: s.scope,
  covers: scopeText(s),
  owner: s.owner,
  reason: s.reason,
  expiresAt: s.expiresAt.toISOString(),
  ...(s.removedBy ? { removedBy: s.removedBy } : {}),
});

const joinAnd = (items: string[]): string =>
  items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
