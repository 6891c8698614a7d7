import { reply, type Reply } from '../../chat/reply.ts';
import { CommandWord } from './command.ts';

/**
 * The grammar's help as data: the engine renders it, the parser quotes its usage lines in errors,
 * and a test checks the README against it, so the three never drift apart.
 */
export interface HelpEntry {
  command: CommandWord;
  /** `<…>` is required, `[…]` optional, `a|b` one of. */
  usage: string;
  description: string;
  /** A command that parses as is (tests check it). */
  example: string;
}

// A Record keyed by CommandWord makes a missing entry a type error.
const entries: Record<CommandWord, Omit<HelpEntry, 'command'>> = {
  help: { usage: 'help [command]', description: 'Lists the commands, or explains one.', example: 'help resize' },
  list: {
    usage: 'list <type> [in <provider>] [env=<env>]',
    description:
      'Lists inventory. Types: instances, volumes, snapshots, security groups (sgs), deployments, nodes, buckets, ' +
      'databases, load balancers (lbs), target groups, clusters, hosted zones, … (any type, in one word or two), ' +
      'resources (everything). Providers: aws, azure, gcp, kubernetes (k8s).',
    example: 'list instances in aws env=prod',
  },
  show: {
    usage: 'show <resource>',
    description: 'Shows one resource by id (i-…, vol-…, snap-…, sg-…) or name; alone, asks which with a picker.',
    example: 'show web-1',
  },
  costs: {
    usage: 'costs [by service|env|provider]',
    description: 'Monthly cost of the inventory, grouped by service (the default), environment or provider.',
    example: 'costs by env',
  },
  changes: {
    usage: 'changes [pending|mine]',
    description: 'Recent change requests: all, pending only, or yours.',
    example: 'changes pending',
  },
  audit: {
    usage: 'audit [verify]',
    description: 'Recent audit events; `verify` checks the hash chain.',
    example: 'audit verify',
  },
  whoami: { usage: 'whoami', description: 'Your user id and role in this workspace.', example: 'whoami' },
  usage: {
    usage: 'usage [YYYY-MM]',
    description:
      'Tokens the LLM planner used and their estimated cost, this month (UTC) or the month given, with the monthly budget when one is set; admins see every workspace.',
    example: 'usage 2026-11',
  },
  analytics: {
    usage: 'analytics [team] [period]',
    description:
      'DORA metrics (deployments, lead time, change failure rate, time to restore), approval turnaround, savings realised, security findings resolved, estate share and time saved by templates, per team (owner tag). Periods: a month like 2026-11, this-month (the default), last-month, 7d, 30d, 90d.',
    example: 'analytics payments last-month',
  },
  freezes: {
    usage: 'freezes',
    description:
      'The change freezes in force: environment, end time, who declared it and why. While one covers a change, approving it needs an admin override.',
    example: 'freezes',
  },
  grants: {
    usage: 'grants',
    description: 'The temporary roles in force: who, which role, until when, granted by whom and why.',
    example: 'grants',
  },
  start: {
    usage: 'start <resource>',
    description: 'Requests starting a stopped resource (a change request); alone, asks which.',
    example: 'start web-1',
  },
  stop: {
    usage: 'stop <resource>',
    description: 'Requests stopping a running resource (a change request); alone, asks which.',
    example: 'stop web-1',
  },
  reboot: {
    usage: 'reboot <resource>',
    description: 'Requests rebooting a resource (a change request); alone, asks which.',
    example: 'reboot i-0abc1234',
  },
  resize: {
    usage: 'resize <resource> [to <size>]',
    description:
      'Requests a new size (instance type) for a resource (a change request); without a size, offers the valid ones; alone, asks which resource.',
    example: 'resize web-1 to t3.large',
  },
  scale: {
    usage: 'scale <deployment> to <replicas>',
    description: 'Requests a new replica count for a Kubernetes deployment (a change request).',
    example: 'scale checkout-api to 4',
  },
  cordon: {
    usage: 'cordon <node>',
    description: 'Requests marking a Kubernetes node unschedulable (a change request).',
    example: 'cordon node/ip-10-0-1-12',
  },
  uncordon: {
    usage: 'uncordon <node>',
    description: 'Requests making a cordoned Kubernetes node schedulable again (a change request).',
    example: 'uncordon node/ip-10-0-1-12',
  },
  deallocate: {
    usage: 'deallocate <vm>',
    description: 'Requests stopping an Azure VM and releasing its compute, so it stops billing (a change request).',
    example: 'deallocate vm-web-dev-1',
  },
  rollout: {
    usage: 'rollout restart|undo <deployment>',
    description:
      'Requests restarting a Kubernetes deployment’s pods, or rolling it back to its previous revision (a change request).',
    example: 'rollout restart checkout-api',
  },
  inventory: {
    usage: 'inventory [summary|status]',
    description:
      'Counts and monthly cost by provider, account, environment and service; `status` shows each source’s last sync, count, duration and error.',
    example: 'inventory status',
  },
  drift: {
    usage: 'drift [<provider>] [env=<env>] [<type>]',
    description: 'What was added, removed or changed (size, state, tags, rules, replicas, image) since the baseline.',
    example: 'drift aws env=prod',
  },
  baseline: {
    usage: 'baseline set [<provider>] [env=<env>] [<type>]',
    description: 'Records the current inventory as the drift baseline (admins).',
    example: 'baseline set aws env=prod',
  },
  price: {
    usage: 'price compare vm|db <vcpu> cpu <gib> gb | disk <gb> gb',
    description: 'What the same shape costs on AWS, Azure and GCP, from the offline price tables.',
    example: 'price compare vm 4 cpu 16 gb',
  },
  scan: {
    usage: 'scan [cost|security|all] [<provider>] [account=<id>] [env=<env>]',
    description:
      'Runs the cost and compliance rules over the synced inventory now and reports new, resolved and open findings with the monthly savings; one scan at a time per workspace. `scan schedule [<cron>|off|default]` shows or sets the workspace’s scheduled scan (admins).',
    example: 'scan cost aws',
  },
  findings: {
    usage:
      'findings [open|resolved|suppressed] [cost|security] [<severity>] [<provider>] [env=<env>] [rule=<id>] [owner=<owner>] [on <resource>] [page <n>]',
    description: 'The findings of the scans, most severe and largest saving first.',
    example: 'findings critical security',
  },
  savings: {
    usage: 'savings',
    description: 'Monthly savings the open cost findings would bring, by rule, each resource counted once.',
    example: 'savings',
  },
  compliance: {
    usage: 'compliance <framework>',
    description:
      'A framework’s score per section from the last security scan, and its failing requirements with their resources: cis-aws, cis-azure, cis-gcp, cis-kubernetes, soc2, hipaa, pci-dss, gdpr.',
    example: 'compliance cis-aws',
  },
  suppress: {
    usage:
      'suppress <finding>|rule <id> [where <key>=<value>]|account <provider> <account> [for <duration>] because <reason>',
    description:
      'Accepts a finding (or a rule on tagged resources, or an account) for a while, with a reason and you as owner (`owner <name>` to name another); 90 days unless `for` says otherwise. Audited.',
    example: 'suppress F-3fa2c1d9e0b1 for 30d because it is the public docs bucket',
  },
  unsuppress: {
    usage: 'unsuppress <suppression>',
    description: 'Removes a suppression (S-12): its findings count again. Audited.',
    example: 'unsuppress S-12',
  },
  fix: {
    usage: 'fix <finding>',
    description:
      'Requests the one-click fix of a finding (stop an idle instance, release an IP, revoke a world-open rule…) as a change request that needs approval per policy.',
    example: 'fix F-3fa2c1d9e0b1',
  },
  offhours: {
    usage:
      'offhours [all] | offhours <finding…>|owner=<owner> [<stop>-<start>] [weekdays|daily|mon-fri…] [tz=<zone>] | offhours pause|resume|remove <schedule>',
    description:
      'Off-hours schedules: lists them (status, next stop or start, saving); asks for one for off-hours findings (stopped 19:00–08:00 and at weekends unless you say otherwise) as one change request that needs approval; pauses, resumes or removes one (operators; audited).',
    example: 'offhours owner=web 19:00-08:00 weekdays',
  },
  templates: {
    usage: 'templates',
    description:
      'The workflow templates (deploys, blue-green releases, monitoring, clusters, disaster-recovery and failover drills) with how their runs went here.',
    example: 'templates',
  },
  template: {
    usage: 'template show <name> | template add <yaml>',
    description:
      'One template: what it does, its inputs and defaults, its steps and what undoes each, what it builds and costs a month; with a Run button that asks for the inputs. `template add` followed by a template in a code block adds it to the workspace (admins; checked first, every problem listed; a new version never replaces a filed run’s).',
    example: 'template show blue-green',
  },
  run: {
    usage: 'run <template> [<input>=<value>…]',
    description:
      'Plans a run of a template (every step, resource, cost and compensation, re-checked before it runs) and files it as one change request to approve; without inputs it shows a form. Steps run in order with progress on the card; a failing step undoes the completed ones in reverse.',
    example: 'run blue-green green_service=checkout-green image=registry/checkout:1.4',
  },
  cancel: {
    usage: 'cancel <change> [reason]',
    description:
      'Stops a running workflow before its next step and undoes the steps it completed, or withdraws a request still waiting (requester, approvers, admins; audited).',
    example: 'cancel CR-12 wrong image tag',
  },
  incidents: {
    usage: 'incidents [open|all|accuracy [<n> days]]',
    description:
      'Incidents from PagerDuty and Alertmanager: the open ones, the latest of every status, or how often the diagnosis matched the cause responders recorded, per cause category.',
    example: 'incidents accuracy 90 days',
  },
  incident: {
    usage:
      'incident <INC-n> [show|diagnose|ack|resolve|escalate] | incident cause <INC-n> <category> [CR-n] [resource=<name>] [what happened…]',
    description:
      'One incident: its timeline and what the diagnosis found (recent changes, health, metrics, each with its source). `diagnose` gathers the facts again; `ack`, `resolve` and `escalate` act in PagerDuty as you; `cause` records what caused it (change, capacity, dependency, infrastructure, code, unknown) and grades the diagnosis.',
    example: 'incident cause INC-7 change CR-12 the resize dropped the connection pool',
  },
  ack: {
    usage: 'ack <INC-n>',
    description: 'Acknowledges an incident in PagerDuty as you (your PagerDuty user by email).',
    example: 'ack INC-7',
  },
  resolve: {
    usage: 'resolve <INC-n>',
    description: 'Resolves an incident (in PagerDuty as you); the thread gets the post-incident summary.',
    example: 'resolve INC-7',
  },
  escalate: {
    usage: 'escalate <INC-n>',
    description: 'Escalates a PagerDuty incident to the next level of its escalation policy, as you.',
    example: 'escalate INC-7',
  },
  pagerduty: {
    usage: 'pagerduty map <user> <email>',
    description:
      "Tells the bot someone's PagerDuty login email, so that their clicks act as them in PagerDuty (admins).",
    example: 'pagerduty map @ana ana@example.com',
  },
  approve: {
    usage: 'approve <change> [override <reason…>]',
    description:
      'Approves a pending change request. Ids: CR-12, cr12, #12 or 12. Admins add `override` and a reason to approve through a change freeze or outside the policy’s approval window (audited).',
    example: 'approve CR-12',
  },
  reject: {
    usage: 'reject <change> [reason…]',
    description: 'Rejects a pending change request, with an optional reason.',
    example: 'reject CR-12 not during the freeze',
  },
  rollback: {
    usage: 'rollback <change>',
    description: 'Requests undoing a change that succeeded (a new change request).',
    example: 'rollback CR-12',
  },
  grant: {
    usage: 'grant <user> <role> [for <duration> [reason…]]',
    description:
      'Gives a user a role: viewer, operator, approver or admin (admins). With `for 2h` (1 minute to 7 days), operator or approver for a while: it ends by itself, said in this conversation.',
    example: 'grant @alice approver',
  },
  revoke: {
    usage: 'revoke <user>',
    description: 'Ends a temporary role before its time (admins).',
    example: 'revoke @dave',
  },
  freeze: {
    usage: 'freeze <environment|all> until <time>|for <duration> [reason…]',
    description:
      'Declares a change freeze (admins): requests can still be filed, approving them is refused until it ends unless an admin overrides. Times: 2026-11-20 18:00, friday 18:00, tomorrow, with tz=Europe/Paris (UTC by default); durations 2h, 3d, 1w.',
    example: 'freeze prod until friday 18:00 release week',
  },
  unfreeze: {
    usage: 'unfreeze <environment|all>',
    description: 'Ends the change freezes of an environment, or all of them, early (admins).',
    example: 'unfreeze prod',
  },
};

export const HELP: readonly HelpEntry[] = CommandWord.options.map((command) => ({ command, ...entries[command] }));

export const helpFor = (command: CommandWord): HelpEntry => ({ command, ...entries[command] });

/** The line quoted in arity errors, e.g. `usage: resize <resource> [to <size>]`. */
export const usageLine = (command: CommandWord): string => `usage: ${entries[command].usage}`;

/** One line pointing at the commonest commands, for input nothing resembles. */
export const HELP_SUMMARY =
  'Try `list instances`, `show <resource>`, `costs`, `changes pending`, `stop <resource>` or `approve <change>`; ' +
  '`help` lists every command.';

/** Help as a neutral Reply: every command in a table, or one command's usage and example. */
export const renderHelp = (topic?: CommandWord): Reply => {
  if (topic !== undefined) {
    const e = helpFor(topic);
    return reply(
      [
        { type: 'header', text: `help: ${e.command}` },
        { type: 'text', text: e.description },
        {
          type: 'fields',
          fields: [
            { label: 'Usage', value: e.usage },
            { label: 'Example', value: e.example },
          ],
        },
        { type: 'context', text: '<…> is required, […] optional, a|b one of. Put names with spaces in quotes.' },
      ],
      { text: `${e.usage}: ${e.description}` },
    );
  }
  return reply(
    [
      { type: 'header', text: 'What I can do' },
      { type: 'text', text: 'Talk to me with these commands. Case does not matter; put names with spaces in quotes.' },
      {
        type: 'table',
        columns: ['Command', 'What it does', 'Example'],
        rows: HELP.map((e) => [e.usage, e.description, e.example]),
      },
      {
        type: 'context',
        text: 'Changes (start, stop, reboot, resize, rollback) become change requests that an approver approves. `help <command>` explains one.',
      },
    ],
    { text: `Commands: ${HELP.map((e) => e.command).join(', ')}. Type \`help <command>\` for details.` },
  );
};
