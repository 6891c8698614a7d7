import { z } from 'zod';
import { actorKey, Role, type Actor, type ConversationRef } from '../chat/actor.ts';
import { ActionName, type ChangePlan } from '../tools/change-plan.ts';
import { AppError, formatZodIssues } from '../errors.ts';
import type { AppliedPolicy, ChangeRequest } from './model.ts';
import { ApprovalWindow } from './windows.ts';

/**
 * Approval policy as data: who may request changes, and an ordered list of rules matched against
 * a plan (first match wins). Operators replace the default with a JSON document (POLICY_FILE,
 * read by config.ts), never a code path.
 */

/** A person as `actorKey` gives it: `slack:T0123:U0456`, `teams:<tenant>:<aad id>`, `console:console:bob`. */
export const PersonKey = z
  .string()
  .regex(/^(slack|teams|console):[^:\s]+:\S+$/, 'must be a person key like slack:T0123:U0456 (surface:workspace:user)');

export const GroupName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_.-]{0,62}$/i, 'must be a group name of letters, digits, _ . - (at most 63)');

/** The conversation a request is filed in: `surface:channel` (`slack:C0123`, `teams:19:abc@thread.tacv2`, `console:ops`). */
export const ConversationMatch = z
  .string()
  .regex(/^(slack|teams|console):\S+$/, 'must be surface:channel, like slack:C0123 or console:ops');

const lists = {
  action: z.array(ActionName).min(1).optional(),
  environment: z.array(z.string().min(1)).min(1).optional(),
  provider: z.array(z.string().min(1)).min(1).optional(),
  resourceType: z.array(z.string().min(1)).min(1).optional(),
};

/**
 * One step of the change: a workflow's action steps, or a single change as its only step. Matches
 * when some step fits every list given.
 */
export const StepMatch = z
  .object(lists)
  .strict()
  .refine((m) => Object.values(m).some((v) => v !== undefined), {
    message: 'name at least one of action, environment, provider, resourceType',
  });
export type StepMatch = z.infer<typeof StepMatch>;

/** Each list matches any of its values (case-insensitive; a conversation's channel exactly); an absent list matches everything. */
export const PolicyMatch = z
  .object({
    ...lists,
    /** Workflow templates by name: a run of one of them (`plan.workflow.template`, or `params.template`). */
    template: z.array(z.string().min(1)).min(1).optional(),
    /** The conversation the request was filed in, as `surface:channel`. */
    conversation: z.array(ConversationMatch).min(1).optional(),
    step: StepMatch.optional(),
  })
  .strict();
export type PolicyMatch = z.infer<typeof PolicyMatch>;

export const PolicyRule = z
  .object({
    name: z.string().min(1),
    match: PolicyMatch.default({}),
    /** Approvals needed from distinct people (never the requester); 0 exactly when the rule auto-approves. */
    approvals: z.number().int().min(0).max(10),
    /** Anyone with one of these roles may approve… */
    approverRoles: z.array(Role).default([]),
    /** …and anyone in one of these groups (the policy's `groups`). A person counts once, whatever they belong to. */
    approverGroups: z.array(GroupName).min(1).optional(),
    /** Present so a policy file states it; no rule may allow approving one's own change. */
    allowSelfApproval: z.literal(false).default(false),
    autoApprove: z.boolean().default(false),
    /** How long a request may wait for approval; the service's default TTL when absent. */
    ttlMs: z.number().int().min(60_000).optional(),
    /** When its changes may be approved (and so run); any time when absent. */
    windows: z.array(ApprovalWindow).min(1).optional(),
  })
  .strict()
  .refine((r) => r.autoApprove === (r.approvals === 0), {
    message: 'approvals must be 0 when autoApprove is true, and at least 1 otherwise',
    path: ['approvals'],
  })
  .refine((r) => r.approverRoles.length > 0 || r.approverGroups !== undefined, {
    message: 'name who approves: approverRoles, approverGroups or both',
    path: ['approverRoles'],
  })
  .refine((r) => !(r.autoApprove && r.match.step), {
    message: 'a rule matching one step among several cannot auto-approve the whole change',
    path: ['autoApprove'],
  });
export type PolicyRule = z.infer<typeof PolicyRule>;

export const Policy = z
  .object({
    /** Roles allowed to request changes at all. */
    requesterRoles: z.array(Role).min(1),
    /** Named groups of approvers: each a list of person keys. */
    groups: z.record(GroupName, z.array(PersonKey).min(1)).optional(),
    rules: z.array(PolicyRule).min(1),
  })
  .strict()
  .superRefine((p, ctx) => {
    p.rules.forEach((r, i) => {
      const members = new Set<string>();
      (r.approverGroups ?? []).forEach((g, j) => {
        const listed = p.groups?.[g];
        if (!listed) {
          const known = Object.keys(p.groups ?? {});
          ctx.addIssue({
            code: 'custom',
            path: ['rules', i, 'approverGroups', j],
            message: `no group "${g}" in groups${known.length ? ` (groups: ${known.join(', ')})` : ''}`,
          });
        } else listed.forEach((m) => members.add(m));
      });
      // Only groups approve: there must be enough distinct people besides whoever requests.
      if (r.approverRoles.length === 0 && r.approverGroups && members.size > 0 && members.size < r.approvals)
        ctx.addIssue({
          code: 'custom',
          path: ['rules', i, 'approvals'],
          message: `${r.approvals} approvals but its groups have only ${members.size} distinct people`,
        });
    });
  });
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

/** Where a request is filed, for rules that match conversations. */
export type PolicyContext = { conversation?: Pick<ConversationRef, 'surface' | 'channelId'> };

/** The template a plan runs: its workflow's, or a `template` parameter. */
export const templateOf = (plan: ChangePlan): string | undefined => plan.workflow?.template ?? plan.params.template;

/** A plan's steps as a step match reads them: a workflow's action steps, or the change itself. */
const stepsOf = (plan: ChangePlan) =>
  plan.workflow
    ? plan.workflow.steps.flatMap((s) =>
        s.kind === 'action'
          ? [{ action: s.action, environment: s.environment, provider: s.target.provider, type: s.target.type }]
          : [],
      )
    : [{ action: plan.action, environment: plan.environment, provider: plan.target.provider, type: plan.target.type }];

const conversationMatches = (allowed: string[] | undefined, ctx: PolicyContext): boolean => {
  if (allowed === undefined) return true;
  const c = ctx.conversation;
  if (!c) return false;
  return allowed.some((a) => {
    const colon = a.indexOf(':');
    return a.slice(0, colon).toLowerCase() === c.surface && a.slice(colon + 1) === c.channelId;
  });
};

export const ruleMatches = (rule: PolicyRule, plan: ChangePlan, ctx: PolicyContext = {}): boolean => {
  const m = rule.match;
  if (!anyOf(m.action, plan.action)) return false;
  if (!anyOf(m.environment, plan.environment)) return false;
  if (!anyOf(m.provider, plan.target.provider)) return false;
  if (!anyOf(m.resourceType, plan.target.type)) return false;
  if (m.template) {
    const template = templateOf(plan);
    if (template === undefined || !anyOf(m.template, template)) return false;
  }
  if (!conversationMatches(m.conversation, ctx)) return false;
  const step = m.step;
  if (
    step &&
    !stepsOf(plan).some(
      (s) =>
        anyOf(step.action, s.action) &&
        anyOf(step.environment, s.environment) &&
        anyOf(step.provider, s.provider) &&
        anyOf(step.resourceType, s.type),
    )
  )
    return false;
  return true;
};

/** Pure: what the policy requires for this plan requested by someone with this role (in this conversation). */
export const evaluatePolicy = (
  policy: Policy,
  plan: ChangePlan,
  requesterRole: Role,
  ctx: PolicyContext = {},
): PolicyDecision => {
  if (!policy.requesterRoles.includes(requesterRole)) {
    return {
      allowed: false,
      reason: `the ${requesterRole} role cannot request changes (needs ${policy.requesterRoles.join(' or ')})`,
    };
  }
  const rule = policy.rules.find((r) => ruleMatches(r, plan, ctx));
  if (!rule) return { allowed: false, reason: `no approval policy rule covers ${plan.action} in ${plan.environment}` };
  return {
    allowed: true,
    rule: rule.name,
    approvals: rule.approvals,
    approverRoles: rule.approverRoles,
    ...(rule.approverGroups
      ? { approverGroups: rule.approverGroups.map((name) => ({ name, members: [...(policy.groups?.[name] ?? [])] })) }
      : {}),
    allowSelfApproval: false,
    autoApprove: rule.autoApprove,
    ...(rule.ttlMs !== undefined ? { ttlMs: rule.ttlMs } : {}),
    ...(rule.windows ? { windows: rule.windows } : {}),
  };
};

/** Whether this person may approve under the applied rule: one of its roles, or a member of one of its groups. */
export const mayApprove = (p: AppliedPolicy, actor: Actor, role: Role): boolean =>
  p.approverRoles.includes(role) || (p.approverGroups ?? []).some((g) => g.members.includes(actorKey(actor)));

/**
 * Why this person may not approve this request (`own`: they requested it; `role`: the rule wants
 * another role or group), or null when they may. The one answer the service enforces and views show.
 */
export const approvalBlocker = (
  c: Pick<ChangeRequest, 'requesterKey' | 'policy'>,
  actor: Actor,
  role: Role,
): 'own' | 'role' | null =>
  c.requesterKey === actorKey(actor) ? 'own' : mayApprove(c.policy, actor, role) ? null : 'role';
