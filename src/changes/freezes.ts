import { and, asc, eq, gt, inArray, isNull } from '../store/orm.ts';
import { actorKey, type Actor, type ConversationRef } from '../chat/actor.ts';
import { mention } from '../chat/mention.ts';
import type { ChangePlan } from '../tools/change-plan.ts';
import { appendAudit } from './audit.ts';
import { formatTime } from './explain.ts';
import { changeFreezes } from './schema.ts';
import type { DbOrTx } from './tx.ts';

/**
 * Change freezes (`freeze prod until …`): per workspace, on one environment or all (`*`). While
 * one is active (declared, not lifted, `ends_at` ahead), filing changes still works but approving
 * one whose environment it covers is refused (src/changes/service.ts) unless an admin overrides.
 * A freeze ends by itself at `ends_at`: "active" is read against the clock, nothing has to run.
 */

export const ALL_ENVIRONMENTS = '*';

export interface ChangeFreeze {
  id: number;
  workspaceId: string;
  /** Lowercased; `*` for every environment. */
  environment: string;
  reason: string | null;
  createdBy: Actor;
  conversation: ConversationRef;
  createdAt: Date;
  endsAt: Date;
  liftedAt: Date | null;
  liftedBy: Actor | null;
}

type Row = typeof changeFreezes.$inferSelect;

const toFreeze = (r: Row): ChangeFreeze => ({
  id: r.id,
  workspaceId: r.workspaceId,
  environment: r.environment,
  reason: r.reason,
  createdBy: r.createdBy,
  conversation: r.conversation,
  createdAt: r.createdAt,
  endsAt: r.endsAt,
  liftedAt: r.liftedAt,
  liftedBy: r.liftedBy ?? null,
});

/** Names people use for the same environment (as the default policy reads prod and production alike). */
const SYNONYMS: readonly (readonly string[])[] = [
  ['prod', 'production'],
  ['staging', 'stage'],
  ['dev', 'development'],
  ['test', 'testing'],
];

/** The names a freeze of `environment` covers: itself and its synonyms (`prod` covers `production`). */
export const environmentNames = (environment: string): string[] => {
  const e = environment.toLowerCase();
  return [...(SYNONYMS.find((names) => names.includes(e)) ?? [e])];
};

/** Every environment a plan touches: its own and, for a workflow, each step's. */
export const environmentsOf = (plan: ChangePlan): string[] => [
  ...new Set(
    [
      plan.environment,
      ...(plan.workflow?.steps.flatMap((s) => (s.kind === 'approval' ? [] : [s.environment])) ?? []),
    ].map((e) => e.toLowerCase()),
  ),
];

export const covers = (f: Pick<ChangeFreeze, 'environment'>, environments: readonly string[]): boolean =>
  f.environment === ALL_ENVIRONMENTS ||
  environments.some((e) => environmentNames(f.environment).includes(e.toLowerCase()));

const activeWhere = (workspaceId: string, at: Date) =>
  and(eq(changeFreezes.workspaceId, workspaceId), isNull(changeFreezes.liftedAt), gt(changeFreezes.endsAt, at));

/** The workspace's active freezes, ending soonest first. */
export const activeFreezes = async (db: DbOrTx, workspaceId: string, at: Date): Promise<ChangeFreeze[]> =>
  (
    await db
      .select()
      .from(changeFreezes)
      .where(activeWhere(workspaceId, at))
      .orderBy(asc(changeFreezes.endsAt), asc(changeFreezes.id))
  ).map(toFreeze);

/** Active freezes covering any of these environments. */
export const freezesCovering = async (
  db: DbOrTx,
  workspaceId: string,
  environments: readonly string[],
  at: Date,
): Promise<ChangeFreeze[]> => (await activeFreezes(db, workspaceId, at)).filter((f) => covers(f, environments));

export const freezeSubject = (f: Pick<ChangeFreeze, 'workspaceId' | 'id'>): string => `freeze:${f.workspaceId}:${f.id}`;

/** `prod` / `every environment`. */
export const freezeScope = (f: Pick<ChangeFreeze, 'environment'>): string =>
  f.environment === ALL_ENVIRONMENTS ? 'every environment' : f.environment;

/** `prod is frozen by @Carol until 2026-11-20 18:00 UTC (“release week”)`; `who` renders the author. */
export const freezeText = (f: ChangeFreeze, who: (a: Actor) => string = mention): string =>
  `${f.environment === ALL_ENVIRONMENTS ? 'every environment is' : `${f.environment} is`} frozen by ${who(f.createdBy)} until ${formatTime(f.endsAt)}${f.reason ? ` (“${f.reason}”)` : ''}`;

export interface NewFreeze {
  workspaceId: string;
  environment: string;
  reason: string | null;
  by: Actor;
  conversation: ConversationRef;
  now: Date;
  endsAt: Date;
}

/** Declares a freeze and audits it (`freeze.created`) in one transaction. */
export const createFreeze = (db: DbOrTx, n: NewFreeze): Promise<ChangeFreeze> =>
  db.transaction(async (tx) => {
    const [row] = await tx
      .insert(changeFreezes)
      .values({
        workspaceId: n.workspaceId,
        environment: n.environment,
        reason: n.reason,
        createdBy: n.by,
        conversation: n.conversation,
        createdAt: n.now,
        endsAt: n.endsAt,
      })
      .returning();
    const f = toFreeze(row!);
    await appendAudit(tx, {
      at: n.now,
      type: 'freeze.created',
      actorKey: actorKey(n.by),
      subject: freezeSubject(f),
      data: { environment: f.environment, endsAt: f.endsAt, reason: f.reason, by: n.by.displayName },
    });
    return f;
  });

/**
 * Lifts the active freezes of one environment (exactly that name, or `*`), or every active freeze
 * with `all`; each is audited (`freeze.lifted`). Returns those it lifted.
 */
export const liftFreezes = (
  db: DbOrTx,
  l: { workspaceId: string; environment: string | 'all'; by: Actor; now: Date },
): Promise<ChangeFreeze[]> =>
  db.transaction(async (tx) => {
    const active = (await activeFreezes(tx, l.workspaceId, l.now)).filter(
      (f) => l.environment === 'all' || f.environment === l.environment,
    );
    if (active.length === 0) return [];
    const rows = await tx
      .update(changeFreezes)
      .set({ liftedAt: l.now, liftedBy: l.by })
      .where(
        and(
          inArray(
            changeFreezes.id,
            active.map((f) => f.id),
          ),
          isNull(changeFreezes.liftedAt),
        ),
      )
      .returning();
    const lifted = rows.map(toFreeze).sort((a, b) => a.id - b.id);
    for (const f of lifted) {
      await appendAudit(tx, {
        at: l.now,
        type: 'freeze.lifted',
        actorKey: actorKey(l.by),
        subject: freezeSubject(f),
        data: { environment: f.environment, endsAt: f.endsAt, by: l.by.displayName, early: true },
      });
    }
    return lifted;
  });
