import { z } from 'zod';
import type { Actor, ConversationRef, Role } from '../chat/actor.ts';
import { findAction } from '../cloud/actions.ts';
import { catalogOf } from '../cloud/catalogs.ts';
import { ActionInput, planAction } from '../cloud/change-tools.ts';
import type { CloudProvider } from '../cloud/provider.ts';
import { resourceRepository } from '../cloud/repository.ts';
import { resolveResource } from '../cloud/resolve.ts';
import { environmentNames } from '../changes/freezes.ts';
import type { ChangeRequest } from '../changes/model.ts';
import { getChange } from '../changes/repository.ts';
import { rollbackPlan } from '../changes/rollback.ts';
import type { ChangeService } from '../changes/service.ts';
import { DecideInput } from '../changes/tools.ts';
import { AppError, badRequest, forbidden, formatZodIssues, notFound } from '../errors.ts';
import { and, eq, gte, lt, sql } from '../store/orm.ts';
import type { Db } from '../store/db.ts';
import type { ChangePlan } from '../tools/change-plan.ts';
import { IncidentSource, Proposal, type Diagnosis, type IncidentSignal } from './model.ts';
import { autoRemediationClaims } from './schema.ts';

/**
 * Auto-remediation as policy data: rules that let the bot file one of diagnosis's proposals
 * itself when an incident opens (docs/architecture.md#incidents). A rule names what it matches
 * (source, service, a title pattern, labels), the kind of proposal it files, the environments it
 * may act in, how often per hour, and whether the change is auto-approved. The change request is
 * filed like any other, in the bot's name, through the approval policy: with `autoApprove` it is
 * approved under the rule `auto-remediation:<name>` (audited as an auto-approval), except that a
 * freeze or a shut approval window holds it pending; without, the policy decides as for anyone.
 */

const compiles = (pattern: string): boolean => {
  try {
    new RegExp(pattern, 'i');
    return true;
  } catch {
    return false;
  }
};

/** The policy document's key holding the rules. */
export const REMEDIATION_KEY = 'autoRemediation';

export const AutoRemediationRule = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,62}$/i, 'must be a name of letters, digits, _ . - (at most 63)'),
    match: z
      .object({
        source: IncidentSource.optional(),
        /** The alerting service's name, case-insensitive. */
        service: z.string().min(1).max(200).optional(),
        /** A regular expression the title must match (case-insensitive). */
        titleMatches: z.string().min(1).max(500).refine(compiles, 'must be a valid regular expression').optional(),
        /** Labels the alert must carry with exactly these values. */
        labels: z.record(z.string().min(1), z.string()).optional(),
      })
      .strict()
      .default({}),
    action: Proposal.shape.kind.refine((k) => k !== 'revert_workflow', {
      message:
        'revert_workflow cannot be automated: stopping a run acts at once, with no approval, so a person cancels it',
    }),
    /** Environments of the target it may act in (`prod` also covers `production`). */
    environments: z.array(z.string().min(1)).min(1),
    maxPerHour: z.number().int().min(1),
    autoApprove: z.boolean(),
  })
  .strict();
export type AutoRemediationRule = z.infer<typeof AutoRemediationRule>;

export const AutoRemediationRules = z.array(AutoRemediationRule).superRefine((rules, ctx) => {
  const seen = new Set<string>();
  rules.forEach((r, i) => {
    if (seen.has(r.name.toLowerCase()))
      ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `another rule is already named "${r.name}"` });
    seen.add(r.name.toLowerCase());
  });
});
export type AutoRemediationRules = z.infer<typeof AutoRemediationRules>;

/**
 * The rules of a document: a list of rules, or an object (a policy file) whose `autoRemediation`
 * key holds them (absent: none). Throws config_invalid naming every problem with its path.
 */
export const loadAutoRemediationRules = (doc: unknown): AutoRemediationRule[] => {
  const inPolicy = typeof doc === 'object' && doc !== null && !Array.isArray(doc);
  const list = inPolicy ? (doc as Record<string, unknown>).autoRemediation : doc;
  if (inPolicy && list === undefined) return [];
  const parsed = AutoRemediationRules.safeParse(list);
  if (parsed.success) return parsed.data;
  const prefixed = {
    issues: parsed.error.issues.map((i) => ({ ...i, path: inPolicy ? ['autoRemediation', ...i.path] : i.path })),
  };
  throw new AppError(
    'config_invalid',
    `invalid auto-remediation rules: ${formatZodIssues(prefixed, inPolicy ? 'autoRemediation' : '(rules)')}`,
    { cause: parsed.error },
  );
};

/** What a rule is matched against: the incident as its signals describe it. */
export type RemediationIncident = Pick<IncidentSignal, 'source' | 'service' | 'title' | 'labels' | 'environment'>;

export const ruleMatches = (rule: AutoRemediationRule, i: RemediationIncident): boolean => {
  const m = rule.match;
  if (m.source && m.source !== i.source) return false;
  if (m.service && m.service.toLowerCase() !== i.service.toLowerCase()) return false;
  if (m.titleMatches && !new RegExp(m.titleMatches, 'i').test(i.title)) return false;
  return Object.entries(m.labels ?? {}).every(([k, v]) => i.labels[k] === v);
};

const allows = (rule: AutoRemediationRule, environment: string): boolean =>
  rule.environments.some((e) => environmentNames(e).includes(environment.toLowerCase()));

export type AutoRemediationChoice =
  | { kind: 'chosen'; rule: AutoRemediationRule; proposal: Proposal; claim: RemediationClaim }
  /** Nothing to file; one line per rule that matched and why it did not act (for the thread). */
  | { kind: 'none'; reasons: string[] };

/** A place under a rule's hourly limit, taken for one filing; `release` gives it back when filing failed. */
export interface RemediationClaim {
  release(): Promise<void>;
}

/** The hourly limits of auto-remediation rules: a place is taken atomically, or refused at the limit. */
export interface RemediationLimiter {
  /** A place for one more filing under `rule` in the last hour, or undefined when `limit` are taken. */
  claim(rule: string, limit: number): Promise<RemediationClaim | undefined>;
  /** How many places `rule` holds in the last hour (filings, and filings under way). */
  count(rule: string): Promise<number>;
}

/**
 * The first rule (in order) that matches the incident, has a proposal of its kind in an allowed
 * environment, and has a place under its hourly limit: with that proposal and the place, which
 * the caller gives back if filing fails. Otherwise why not.
 */
export const chooseAutoRemediation = async (
  incident: RemediationIncident,
  diagnosis: Pick<Diagnosis, 'proposals'>,
  rules: readonly AutoRemediationRule[],
  limiter: RemediationLimiter,
): Promise<AutoRemediationChoice> => {
  const reasons: string[] = [];
  for (const rule of rules) {
    if (!ruleMatches(rule, incident)) continue;
    const offered = diagnosis.proposals.filter((p) => p.kind === rule.action);
    if (offered.length === 0) {
      reasons.push(`rule ${rule.name}: no ${rule.action.replace(/_/g, ' ')} was proposed for this incident`);
      continue;
    }
    const envOf = (p: Proposal) => p.target?.environment ?? incident.environment;
    const proposal = offered.find((p) => {
      const env = envOf(p);
      return env !== undefined && allows(rule, env);
    });
    if (!proposal) {
      const p = offered[0]!;
      const env = envOf(p);
      reasons.push(
        env === undefined
          ? `rule ${rule.name}: the environment of ${p.target?.name ?? 'the target'} is not known`
          : `rule ${rule.name}: ${p.target?.name ?? 'the target'} is in ${env}, and the rule acts only in ${rule.environments.join(', ')}`,
      );
      continue;
    }
    const claim = await limiter.claim(rule.name, rule.maxPerHour);
    if (!claim) {
      reasons.push(`rule ${rule.name}: limit ${rule.maxPerHour}/hour reached`);
      continue;
    }
    return { kind: 'chosen', rule, proposal, claim };
  }
  return { kind: 'none', reasons: reasons.length ? reasons : ['no auto-remediation rule matches this incident'] };
};

const HOUR_MS = 3_600_000;

/**
 * The limiter on the database (`auto_remediation_claims`), so every replica counts the same
 * places: a claim runs in one transaction under an advisory lock on the workspace and rule, and
 * inserts its row only while fewer than the limit were claimed in the hour before `now`.
 */
export const autoRemediationLimiter = (db: Db, workspaceId: string, now: () => Date): RemediationLimiter => {
  const since = () => new Date(now().getTime() - HOUR_MS);
  const mine = (rule: string) =>
    and(eq(autoRemediationClaims.workspaceId, workspaceId), eq(autoRemediationClaims.rule, rule));
  return {
    claim: (rule, limit) =>
      db.transaction(async (tx) => {
        await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`auto-remediation:${workspaceId}:${rule}`}))`);
        await tx.delete(autoRemediationClaims).where(and(mine(rule), lt(autoRemediationClaims.claimedAt, since())));
        const [row] = await tx
          .select({ n: sql<number>`count(*)::int` })
          .from(autoRemediationClaims)
          .where(and(mine(rule), gte(autoRemediationClaims.claimedAt, since())));
        if (Number(row?.n ?? 0) >= limit) return undefined;
        const [claimed] = await tx
          .insert(autoRemediationClaims)
          .values({ workspaceId, rule, claimedAt: now() })
          .returning({ id: autoRemediationClaims.id });
        const id = claimed!.id;
        return {
          release: async () => {
            await db.delete(autoRemediationClaims).where(eq(autoRemediationClaims.id, id));
          },
        };
      }),
    count: async (rule) => {
      const [row] = await db
        .select({ n: sql<number>`count(*)::int` })
        .from(autoRemediationClaims)
        .where(and(mine(rule), gte(autoRemediationClaims.claimedAt, since())));
      return Number(row?.n ?? 0);
    },
  };
};

/** The bot as the requester of what auto-remediation files, in the incident's conversation. */
export const remediationActor = (conversation: Pick<ConversationRef, 'surface' | 'workspaceId'>): Actor => ({
  surface: conversation.surface,
  workspaceId: conversation.workspaceId,
  userId: 'devops-agent',
  displayName: 'DevOps Agent (auto-remediation)',
});

export interface RemediationDeps {
  db: Db;
  changes: ChangeService;
  /** The configured providers: a plan's checks (sizes, states) ask them. */
  provider: (name: string) => CloudProvider | undefined;
  /** The role the bot files with; it must be one of the policy's requesterRoles (default operator). */
  role?: Role;
}

/** The plan a proposal's tool call would produce, checked as the tool would check it. */
const planOf = async (d: RemediationDeps, actor: Actor, proposal: Proposal): Promise<ChangePlan> => {
  const { tool, input } = proposal.call;
  if (tool === 'rollback_change') {
    const { changeId } = DecideInput.parse(input);
    const original = await getChange(d.db, changeId);
    if (!original) throw notFound(`There is no change request ${changeId}.`);
    if (original.workspaceId !== actor.workspaceId) throw forbidden(`${changeId} belongs to another workspace.`);
    if (original.status !== 'succeeded')
      throw badRequest(`Only a change that succeeded can be rolled back; ${changeId} is ${original.status}.`);
    return rollbackPlan(original, (provider, type, action) => {
      const catalog = d.provider(provider)?.actions ?? catalogOf(provider);
      return catalog ? findAction(catalog, type, action) : undefined;
    });
  }
  if (tool === 'resource_action') {
    const parsed = ActionInput.safeParse(input);
    if (!parsed.success) throw badRequest(`The proposal's input is not valid: ${formatZodIssues(parsed.error)}.`);
    const { action, resource, params } = parsed.data;
    const r = await resolveResource(resourceRepository(d.db), resource, {
      accept: (x) => Boolean(findAction(d.provider(x.provider)?.actions ?? {}, x.type, action)),
    });
    return planAction(d, r, action, params ?? {});
  }
  throw badRequest(`A ${tool} proposal cannot be filed automatically.`);
};

/**
 * Files the proposal's change request in the bot's name under the rule (auto-approved when the
 * rule says so and nothing holds it; it then runs before this returns). Throws the AppError the
 * tool would have given (a target gone, a state that changed, a policy that refuses the bot).
 */
export const fileRemediation = async (
  d: RemediationDeps,
  input: { proposal: Proposal; rule: AutoRemediationRule; conversation: ConversationRef },
): Promise<ChangeRequest> => {
  const actor = remediationActor(input.conversation);
  const plan = await planOf(d, actor, input.proposal);
  return d.changes.request(plan, actor, d.role ?? 'operator', input.conversation, {
    autoRemediation: { rule: input.rule.name, autoApprove: input.rule.autoApprove },
  });
};
