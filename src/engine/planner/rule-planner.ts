import { textReply } from '../../chat/reply.ts';
import type { Plan, Planner } from '../planner.ts';
import type { Command } from './command.ts';
import { renderHelp } from './help.ts';
import { parseCommand } from './rules.ts';

/** Tool names the grammar maps to; each capability registers the tool under this name. */
export const ToolNames = {
  listResources: 'list_resources',
  showResource: 'show_resource',
  costReport: 'cost_report',
  powerAction: 'power_action',
  resize: 'resize_resource',
  resizeOptions: 'resize_options',
  pickResource: 'pick_resource',
  listChanges: 'list_changes',
  approve: 'approve_change',
  reject: 'reject_change',
  rollback: 'rollback_change',
  audit: 'audit_log',
  whoami: 'whoami',
  usage: 'usage',
  analytics: 'team_analytics',
  grant: 'grant_role',
  grantTemporary: 'grant_temporary_role',
  revoke: 'revoke_role_grant',
  grants: 'list_role_grants',
  freeze: 'freeze_changes',
  unfreeze: 'unfreeze_changes',
  freezes: 'list_freezes',
  resourceAction: 'resource_action',
  inventorySummary: 'inventory_summary',
  inventoryStatus: 'inventory_status',
  drift: 'drift',
  baselineSet: 'baseline_set',
  priceCompare: 'price_compare',
  scan: 'scan',
  findings: 'findings',
  savings: 'savings',
  compliance: 'compliance',
  suppress: 'suppress',
  unsuppress: 'unsuppress',
  fix: 'fix',
  scan_schedule: 'scan_schedule',
  offhours: 'offhours',
  offhours_request: 'offhours_request',
  offhours_pause: 'offhours_pause',
  offhours_resume: 'offhours_resume',
  offhours_remove: 'offhours_remove',
  templates: 'list_templates',
  template: 'show_template',
  template_add: 'add_template',
  run: 'run_template',
  cancel: 'cancel_change',
  incidents: 'list_incidents',
  incident: 'show_incident',
  incidentAction: 'incident_action',
  incidentDiagnose: 'diagnose_incident',
  incidentCause: 'record_incident_cause',
  incidentAccuracy: 'incident_accuracy',
  pagerdutyMap: 'map_pagerduty_user',
} as const;

/** One command → one tool call. Help and grammar errors are answered without a tool. */
export const commandToPlan = (c: Command): Plan => {
  const one = (tool: string, input: unknown): Plan => ({ type: 'tools', steps: [{ tool, input }] });
  switch (c.kind) {
    case 'help':
      return { type: 'reply', reply: renderHelp(c.topic) };
    case 'list':
      return one(ToolNames.listResources, { type: c.type, provider: c.provider, environment: c.environment });
    case 'show':
      return one(ToolNames.showResource, { resource: c.resource });
    case 'costs':
      return one(ToolNames.costReport, { by: c.by });
    case 'action':
      return one(ToolNames.powerAction, { action: c.action, resource: c.resource });
    case 'resize':
      return c.size
        ? one(ToolNames.resize, { resource: c.resource, size: c.size })
        : one(ToolNames.resizeOptions, { resource: c.resource });
    case 'changes':
      return one(ToolNames.listChanges, { filter: c.filter });
    case 'approve':
      return one(ToolNames.approve, { changeId: c.changeId, ...(c.override ? { override: c.override } : {}) });
    case 'reject':
      return one(ToolNames.reject, { changeId: c.changeId, reason: c.reason });
    case 'rollback':
      return one(ToolNames.rollback, { changeId: c.changeId });
    case 'audit':
      return one(ToolNames.audit, { verify: c.verify });
    case 'whoami':
      return one(ToolNames.whoami, {});
    case 'usage':
      return one(ToolNames.usage, c.month ? { month: c.month } : {});
    case 'analytics':
      return one(ToolNames.analytics, {
        ...(c.team ? { team: c.team } : {}),
        ...(c.period ? { period: c.period } : {}),
      });
    case 'grant':
      return one(ToolNames.grant, { user: c.user, role: c.role });
    case 'grant_temporary':
      return one(ToolNames.grantTemporary, {
        user: c.user,
        role: c.role,
        durationMs: c.durationMs,
        ...(c.reason ? { reason: c.reason } : {}),
      });
    case 'revoke':
      return one(ToolNames.revoke, { user: c.user });
    case 'grants':
      return one(ToolNames.grants, {});
    case 'freeze':
      return one(ToolNames.freeze, {
        environment: c.environment,
        until: c.until,
        ...(c.reason ? { reason: c.reason } : {}),
      });
    case 'unfreeze':
      return one(ToolNames.unfreeze, { environment: c.environment });
    case 'freezes':
      return one(ToolNames.freezes, {});
    case 'pick':
      return one(ToolNames.pickResource, { for: c.for });
    case 'do':
      return one(ToolNames.resourceAction, { action: c.action, resource: c.resource, params: c.params });
    case 'inventory':
      return one(c.view === 'status' ? ToolNames.inventoryStatus : ToolNames.inventorySummary, {});
    case 'drift':
      return one(ToolNames.drift, c.scope);
    case 'baseline':
      return one(ToolNames.baselineSet, c.scope);
    case 'scan':
    case 'findings':
    case 'savings':
    case 'compliance':
    case 'suppress':
    case 'unsuppress':
    case 'fix':
    case 'scan_schedule':
    case 'offhours':
    case 'offhours_request':
    case 'offhours_pause':
    case 'offhours_resume':
    case 'offhours_remove': {
      const { kind, ...input } = c;
      return one(ToolNames[kind], input);
    }
    case 'templates':
      return one(ToolNames.templates, {});
    case 'template':
      return one(ToolNames.template, { template: c.name });
    case 'template_add':
      return one(ToolNames.template_add, { yaml: c.yaml });
    case 'run':
      return one(ToolNames.run, { template: c.template, inputs: c.inputs });
    case 'cancel':
      return one(ToolNames.cancel, c.reason ? { changeId: c.changeId, reason: c.reason } : { changeId: c.changeId });
    case 'incidents':
      return one(ToolNames.incidents, { which: c.which });
    case 'incident_accuracy':
      return one(ToolNames.incidentAccuracy, c.days ? { days: c.days } : {});
    case 'incident':
      if (c.op === 'show') return one(ToolNames.incident, { incident: c.incident });
      if (c.op === 'diagnose') return one(ToolNames.incidentDiagnose, { incident: c.incident });
      return one(ToolNames.incidentAction, { incident: c.incident, action: c.op });
    case 'incident_cause': {
      const { kind: _kind, ...input } = c;
      return one(ToolNames.incidentCause, input);
    }
    case 'pagerduty_map':
      return one(ToolNames.pagerdutyMap, { user: c.user, email: c.email });
    case 'price': {
      const { kind: _kind, ...input } = c;
      return one(ToolNames.priceCompare, input);
    }
  }
};

/** The deterministic planner used when no LLM is configured. */
export const rulePlanner: Planner = {
  name: 'rules',
  // Each command stands alone.
  historyTurns: 0,
  plan: async ({ text }) => {
    const parsed = parseCommand(text);
    if (!parsed.ok) return { type: 'reply', reply: textReply(parsed.message) };
    return commandToPlan(parsed.command);
  },
};
