import { z } from 'zod';
import { actorKey, Role, type Actor } from '../chat/actor.ts';
import { ActionName, type ChangePlan } from '../tools/change-plan.ts';
import { AppError, formatZodIssues } from '../errors.ts';
import type { AppliedPolicy, ChangeRequest } from './model.ts';

/**
 * Approval policy as data: who may request changes, and an ordered list of rules matched against
 * a plan (first match wins). Operators replace the default with a JSON document (POLICY_FILE,
 * read by config.ts), never a code path.
 */

/** Each list matches any of its values (case-insensitive); an absent list matches everything. */
export const PolicyMatch = z
  .object({
    action: z.array(ActionName).min(1).optional(),
    environment: z.array(z.string().min(1)).min(1).optional(),
    provider: z.array(z.string().min(1)).min(1).optional(),
    resourceType: z.array(z.string().min(1)).min(1).optional(),
  })
  .strict();
export type PolicyMatch = z.infer<typeof PolicyMatch>;

export const PolicyRule = z
  .object({
    name: z.string().min(1),
    match: PolicyMatch.default({}),
    /** Approvals needed from distinct people; 0 exactly when the rule auto-approves. */
    approvals: z.number().int().min(0).max(10),
    approverRoles: z.array(Role).min(1),
    /** Present so a policy file states it; no rule may allow approving one's own change. */
    allowSelfApproval: z.literal(false).default(false),
    autoApprove: z.boolean().default(false),
    /** How long a request may wait for approval; the service's default TTL when absent. */
    ttlMs: z.number().int().min(60_000).optional(),
  })
  .strict()
  .refine((r) => r.autoApprove === (r.approvals === 0), {
    message: 'approvals must be 0 when autoApprove is true, and at least 1 otherwise',
    path: ['approvals'],
  });
export type PolicyRule = z.infer<typeof PolicyRule>;

export const Policy = z
  .object({
    /** Roles allowed to request changes at all. */
    requesterRoles: z.array(Role).min(1),
    rules: z.array(PolicyRule).min(1),
  })
  .strict();
export type Policy = z.infer<typeof Policy>;

export type PolicyDecision = ({ allowed: true } & AppliedPolicy) | { allowed: false; reason: string };

const approvers: Role[] = ['approver', 'admin'];

export const DEFAULT_POLICY: Policy = Policy.parse({
  requesterRoles: ['operator', 'approver', 'admin'],
  rules: [
    { name: 'production', match: { environment: ['prod', 'production'] }, approvals: 1, approverRoles: approvers },
    {
      name: 'dev-power-actions',
      // The power actions of every provider: EC2 and GCE start/stop, Azure's deallocate and restart, GCE's reset.
      match: {
        action: ['start', 'stop', 'reboot', 'deallocate', 'restart', 'reset'],
        environment: ['dev', 'development'],
      },
      approvals: 0,
      approverRoles: approvers,
      autoApprove: true,
    },
    { name: 'default', approvals: 1, approverRoles: approvers },
  ],
});

/** Parses a policy document (e.g. a JSON file's contents); the error names each bad field. */
export const loadPolicy = (doc: unknown): Policy => {
  const parsed = Policy.safeParse(doc);
  if (parsed.success) return parsed.data;
  throw new AppError('config_invalid', `invalid approval policy: ${formatZodIssues(parsed.error, '(policy)')}`, {
    cause: parsed.error,
  });
};

const anyOf = (allowed: string[] | undefined, value: string): boolean =>
  allowed === undefined || allowed.some((a) => a.toLowerCase() === value.toLowerCase());

export const ruleMatches = (rule: PolicyRule, plan: ChangePlan): boolean =>
  anyOf(rule.match.action, plan.action) &&
  anyOf(rule.match.environment, plan.environment) &&
  anyOf(rule.match.provider, plan.target.provider) &&
  anyOf(rule.match.resourceType, plan.target.type);

/** Pure: what the policy requires for this plan requested by someone with this role. */
export const evaluatePolicy = (policy: Policy, plan: ChangePlan, requesterRole: Role): PolicyDecision => {
  if (!policy.requesterRoles.includes(requesterRole)) {
    return {
      allowed: false,
      reason: `the ${requesterRole} role cannot request changes (needs ${policy.requesterRoles.join(' or ')})`,
    };
  }
  const rule = policy.rules.find((r) => ruleMatches(r, plan));
  if (!rule) return { allowed: false, reason: `no approval policy rule covers ${plan.action} in ${plan.environment}` };
  return {
    allowed: true,
    rule: rule.name,
    approvals: rule.approvals,
    approverRoles: rule.approverRoles,
    allowSelfApproval: false,
    autoApprove: rule.autoApprove,
    ...(rule.ttlMs !== undefined ? { ttlMs: rule.ttlMs } : {}),
  };
};

/**
 * Why this person may not approve this request (`own`: they requested it; `role`: the rule wants
 * another role), or null when they may. The one answer the service enforces and views show.
 */
export const approvalBlocker = (
  c: Pick<ChangeRequest, 'requesterKey' | 'policy'>,
  actor: Actor,
  role: Role,
): 'own' | 'role' | null =>
  c.requesterKey === actorKey(actor) ? 'own' : c.policy.approverRoles.includes(role) ? null : 'role';
