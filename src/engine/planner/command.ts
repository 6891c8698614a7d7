import { z } from 'zod';
import { Role } from '../../chat/actor.ts';
import { CostReportGrouping, ProviderName, ResourceType } from '../../cloud/resource.ts';
import { ChangeFilter, ChangeId } from '../../changes/model.ts';
import { Until } from '../../changes/until.ts';
import { CauseCategory } from '../../incidents/model.ts';
import { UsageMonth } from '../../usage/month.ts';

/**
 * What the deterministic grammar understands, as data: the rule planner maps each Command to one
 * tool call. Optional fields are absent (never `undefined`) when the user did not say them.
 */

/** Every command word, in the order help lists them (read-only first, so typo ties stay safe). */
export const CommandWord = z.enum([
  'help',
  'list',
  'show',
  'costs',
  'changes',
  'audit',
  'whoami',
  'usage',
  'analytics',
  'freezes',
  'grants',
  'start',
  'stop',
  'reboot',
  'resize',
  'scale',
  'cordon',
  'uncordon',
  'deallocate',
  'rollout',
  'inventory',
  'drift',
  'baseline',
  'price',
  'scan',
  'findings',
  'savings',
  'compliance',
  'suppress',
  'unsuppress',
  'fix',
  'offhours',
  'templates',
  'template',
  'run',
  'approve',
  'reject',
  'rollback',
  'cancel',
  'incidents',
  'incident',
  'ack',
  'resolve',
  'escalate',
  'pagerduty',
  'grant',
  'revoke',
  'freeze',
  'unfreeze',
]);
export type CommandWord = z.infer<typeof CommandWord>;

/** A resource type to list, or `all` for the whole inventory. */
export const ListType = z.enum([...ResourceType.options, 'all']);
export type ListType = z.infer<typeof ListType>;

/** Actions that take only a resource; `resize` has its own command because it takes a size. */
export const PowerAction = z.enum(['start', 'stop', 'reboot']);
export type PowerAction = z.infer<typeof PowerAction>;

/** A resource as the user named it: an id (`i-0abc…`, lowercased) or a name (case kept). */
const ResourceRef = z.string().min(1);

/** A surface mention resolves to a user id; anything else is a display name to look up. */
export const UserRef = z.discriminatedUnion('by', [
  z.object({ by: z.literal('id'), id: z.string().min(1) }),
  z.object({ by: z.literal('name'), name: z.string().min(1) }),
]);
export type UserRef = z.infer<typeof UserRef>;

/** Which part of the inventory a baseline or drift covers; all when empty. */
export const EstateScope = z.object({
  provider: ProviderName.optional(),
  environment: z.string().min(1).optional(),
  type: z.string().min(1).optional(),
});

export const Command = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('help'), topic: CommandWord.optional() }),
  z.object({
    kind: z.literal('list'),
    type: ListType,
    provider: ProviderName.optional(),
    /** Lowercased, like `environmentFromTags`. */
    environment: z.string().min(1).optional(),
  }),
  z.object({ kind: z.literal('show'), resource: ResourceRef }),
  z.object({ kind: z.literal('costs'), by: CostReportGrouping }),
  z.object({ kind: z.literal('action'), action: PowerAction, resource: ResourceRef }),
  z.object({ kind: z.literal('resize'), resource: ResourceRef, size: z.string().min(1).optional() }),
  z.object({ kind: z.literal('changes'), filter: ChangeFilter }),
  /** `override`: an admin's reason to approve through a change freeze or a shut approval window. */
  z.object({ kind: z.literal('approve'), changeId: ChangeId, override: z.string().min(1).optional() }),
  z.object({ kind: z.literal('reject'), changeId: ChangeId, reason: z.string().min(1).optional() }),
  z.object({ kind: z.literal('rollback'), changeId: ChangeId }),
  z.object({ kind: z.literal('audit'), verify: z.boolean() }),
  z.object({ kind: z.literal('whoami') }),
  /** Without a month: this month (UTC). */
  z.object({ kind: z.literal('usage'), month: UsageMonth.optional() }),
  /** `analytics [team] [period]`: the period as its key (`2026-11`, `this-month`, `last-month`, `7d`, `30d`, `90d`). */
  z.object({ kind: z.literal('analytics'), team: z.string().min(1).optional(), period: z.string().min(1).optional() }),
  z.object({ kind: z.literal('grant'), user: UserRef, role: Role }),
  /** `grant <user> <role> for <duration> [reason]`: a just-in-time role that ends by itself. */
  z.object({
    kind: z.literal('grant_temporary'),
    user: UserRef,
    role: Role,
    durationMs: z.number().int().positive(),
    reason: z.string().min(1).optional(),
  }),
  z.object({ kind: z.literal('revoke'), user: UserRef }),
  z.object({ kind: z.literal('grants') }),
  /** `environment`: lowercased, or `all`. */
  z.object({
    kind: z.literal('freeze'),
    environment: z.string().min(1),
    until: Until,
    reason: z.string().min(1).optional(),
  }),
  z.object({ kind: z.literal('unfreeze'), environment: z.string().min(1) }),
  z.object({ kind: z.literal('freezes') }),
  z.object({ kind: z.literal('templates') }),
  z.object({ kind: z.literal('template'), name: z.string().min(1) }),
  z.object({ kind: z.literal('template_add'), yaml: z.string().min(1) }),
  z.object({ kind: z.literal('run'), template: z.string().min(1), inputs: z.record(z.string(), z.string()) }),
  z.object({ kind: z.literal('cancel'), changeId: ChangeId, reason: z.string().min(1).optional() }),
  z.object({ kind: z.literal('incidents'), which: z.enum(['open', 'all']) }),
  z.object({ kind: z.literal('incident_accuracy'), days: z.number().int().min(1).optional() }),
  z.object({
    kind: z.literal('incident'),
    op: z.enum(['show', 'diagnose', 'acknowledge', 'resolve', 'escalate']),
    incident: z.string().min(1),
  }),
  z.object({
    kind: z.literal('incident_cause'),
    incident: z.string().min(1),
    category: CauseCategory,
    changeId: ChangeId.optional(),
    resource: z.string().min(1).optional(),
    text: z.string().min(1).optional(),
  }),
  z.object({ kind: z.literal('pagerduty_map'), user: UserRef, email: z.string().min(3) }),
  /** Any action a provider declares (`scale web to 3`, `cordon node-1`, `rollout restart api`). */
  z.object({
    kind: z.literal('do'),
    action: z.string().regex(/^[a-z][a-z0-9_]*$/),
    resource: ResourceRef,
    params: z.record(z.string(), z.string()),
  }),
  z.object({ kind: z.literal('inventory'), view: z.enum(['summary', 'status']) }),
  z.object({ kind: z.literal('drift'), scope: EstateScope }),
  z.object({ kind: z.literal('baseline'), scope: EstateScope }),
  z.object({
    kind: z.literal('price'),
    shape: z.enum(['vm', 'database', 'disk']),
    vcpu: z.number().int().positive().optional(),
    memoryGib: z.number().positive().optional(),
    gb: z.number().int().positive().optional(),
  }),
  z.object({
    kind: z.literal('scan'),
    category: z.enum(['cost', 'security', 'all']),
    provider: ProviderName.optional(),
    account: z.string().min(1).optional(),
    environment: z.string().min(1).optional(),
  }),
  z.object({
    kind: z.literal('findings'),
    status: z.enum(['open', 'resolved', 'suppressed']).optional(),
    category: z.enum(['cost', 'security']).optional(),
    severity: z.enum(['critical', 'high', 'medium', 'low', 'info']).optional(),
    provider: ProviderName.optional(),
    account: z.string().min(1).optional(),
    environment: z.string().min(1).optional(),
    rule: z.string().min(1).optional(),
    resource: z.string().min(1).optional(),
    owner: z.string().min(1).optional(),
    page: z.number().int().positive().optional(),
  }),
  /** `scan schedule [<cron>|off|default]`; no schedule: show it. */
  z.object({ kind: z.literal('scan_schedule'), schedule: z.string().min(1).optional() }),
  z.object({ kind: z.literal('savings') }),
  z.object({ kind: z.literal('compliance'), framework: z.string().min(1) }),
  /** One finding, a rule (optionally on `key=value` tagged resources), or an account (optionally one rule). */
  z.object({
    kind: z.literal('suppress'),
    finding: z.string().min(1).optional(),
    rule: z.string().min(1).optional(),
    tag: z.string().min(1).optional(),
    provider: ProviderName.optional(),
    account: z.string().min(1).optional(),
    days: z.number().int().positive().optional(),
    owner: z.string().min(1).optional(),
    reason: z.string().min(1).optional(),
  }),
  z.object({ kind: z.literal('unsuppress'), suppression: z.number().int().positive() }),
  z.object({ kind: z.literal('fix'), finding: z.string().min(1) }),
  /** `offhours [all]`: the workspace's off-hours schedules. */
  z.object({ kind: z.literal('offhours'), all: z.boolean().optional() }),
  /** `offhours <findings…>|owner=<owner> [<stop>-<start>] [<days>] [tz=<zone>]`: a schedule, after approval. */
  z.object({
    kind: z.literal('offhours_request'),
    findings: z.array(z.string().min(1)).optional(),
    owner: z.string().min(1).optional(),
    window: z.string().min(1).optional(),
    days: z.string().min(1).optional(),
    timezone: z.string().min(1).optional(),
  }),
  /** `offhours pause|resume|remove <schedule>`. */
  z.object({
    kind: z.enum(['offhours_pause', 'offhours_resume', 'offhours_remove']),
    schedule: z.string().min(1),
  }),
  /** `stop` alone (or start, reboot, resize, show): the engine asks which resource, with a picker. */
  z.object({ kind: z.literal('pick'), for: z.enum(['start', 'stop', 'reboot', 'resize', 'show']) }),
]);
export type Command = z.infer<typeof Command>;
export type CommandOf<K extends Command['kind']> = Extract<Command, { kind: K }>;

/** What parsing a message gives: a command, or a message for the user (and the text we think they meant). */
export type ParseResult = { ok: true; command: Command } | { ok: false; message: string; suggestion?: string };
