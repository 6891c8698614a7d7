import { z } from 'zod';
import { ResourceKey } from '../tools/change-plan.ts';

/**
 * The one incident model every alert source maps to (PagerDuty V3 webhooks, Prometheus
 * Alertmanager webhooks), and the shapes the parts of src/incidents/ pass each other: a source
 * turns a delivery into `IncidentSignal`s; the service keeps one `incidents` row per
 * (workspace, source, externalId) and one thread; diagnosis gathers `Fact`s and proposes
 * `Proposal`s; routing fans a signal out beyond chat; the summary grades the diagnosis against the
 * cause a responder records. docs/architecture.md#incidents.
 */

export const IncidentSource = z.enum(['pagerduty', 'alertmanager']);
export type IncidentSource = z.infer<typeof IncidentSource>;

export const IncidentStatus = z.enum(['triggered', 'acknowledged', 'resolved']);
export type IncidentStatus = z.infer<typeof IncidentStatus>;

/** What one delivered event says happened. */
export const SignalKind = z.enum([
  'triggered',
  'acknowledged',
  'unacknowledged',
  'resolved',
  'reopened',
  'escalated',
  'reassigned',
  'annotated',
  'priority_updated',
]);
export type SignalKind = z.infer<typeof SignalKind>;

export const Urgency = z.enum(['high', 'low']);
export type Urgency = z.infer<typeof Urgency>;

/** Who did something on the alerting side (a PagerDuty user, an integration, Alertmanager). */
export const SignalAgent = z.object({
  name: z.string().min(1),
  email: z.string().optional(),
  /** The source's id for it (a PagerDuty user id), when it has one. */
  id: z.string().optional(),
});
export type SignalAgent = z.infer<typeof SignalAgent>;

/**
 * One normalised event from an alert source. `eventId` is unique per source (PagerDuty's
 * `event.id`; for Alertmanager a hash of the group key, status and alerts' fingerprints and
 * start/end times): a redelivery carries the same id and is dropped.
 */
export const IncidentSignal = z.object({
  source: IncidentSource,
  eventId: z.string().min(1).max(200),
  kind: SignalKind,
  occurredAt: z.date(),
  /** PagerDuty incident id (`Q2…`); Alertmanager's group key. */
  externalId: z.string().min(1).max(1000),
  /** PagerDuty's incident number, when known. */
  number: z.number().int().positive().optional(),
  title: z.string().min(1).max(1000),
  /** The alerting service's name (PagerDuty service summary; Alertmanager `service`/`job` label or receiver). */
  service: z.string().min(1).max(200),
  /** PagerDuty service id, when it has one. */
  serviceId: z.string().optional(),
  urgency: Urgency,
  /** The incident's status after this event, when the event says so. */
  status: IncidentStatus.optional(),
  /** The incident on the source's own site. */
  htmlUrl: z.string().url().optional(),
  agent: SignalAgent.optional(),
  /** Who it is assigned to now (names), when the event says. */
  assignees: z.array(z.string()).optional(),
  /** The escalation level after an `escalated` event. */
  escalationLevel: z.number().int().positive().optional(),
  /** A note's text (`annotated`), a resolve reason, a priority name. */
  note: z.string().max(10_000).optional(),
  /** Alertmanager's common labels and annotations; PagerDuty custom details flattened. Never secrets. */
  labels: z.record(z.string(), z.string()),
  /**
   * What the alert names as affected, as found in its labels (`instance`, `pod`, `deployment`,
   * `namespace`, `service`, `resource`, a host name in the title): names or ids to look up in the
   * inventory, most specific first.
   */
  resources: z.array(z.string().min(1).max(300)).max(50),
  /** `environment`/`env` label, when present. */
  environment: z.string().optional(),
  /**
   * The event carried only a reference to the incident (PagerDuty `incident.annotated` sends the
   * note and the incident's id and summary): `title` is that summary, `service` and `urgency` are
   * placeholders. Update a known incident from the event's own fields (note, agent) only.
   */
  partial: z.boolean().optional(),
});
export type IncidentSignal = z.infer<typeof IncidentSignal>;

/** A resource as diagnosis and proposals refer to it. */
export const FactResource = ResourceKey.extend({
  name: z.string(),
  /** The inventory's environment of it (what auto-remediation rules' `environments` match). */
  environment: z.string().optional(),
});
export type FactResource = z.infer<typeof FactResource>;

/**
 * One thing diagnosis found, with where it came from. `id` (`F1`, `F2`…) is what a claim of the
 * LLM's narrative cites; a claim citing none, or an id not in the list, is dropped.
 */
export const Fact = z.object({
  id: z.string().regex(/^F[1-9]\d*$/),
  kind: z.enum(['change', 'workflow', 'health', 'signal', 'metric', 'rollout', 'alert']),
  /** One sentence a person reads: "api-prod-1 was resized 30 min ago (CR-12), approved by Ana". */
  text: z.string().min(1).max(500),
  /** Where it came from: `CR-12`, `kubernetes pod shop/api-7d9`, `cloudwatch CPUUtilization`. */
  source: z.string().min(1).max(200),
  resource: FactResource.optional(),
  /** How the resource relates to what the alert named: itself, a neighbour (same service, namespace, cluster, load balancer). */
  relation: z.enum(['affected', 'neighbour']).optional(),
  at: z.date().optional(),
  changeId: z.string().optional(),
  /** Larger = more likely related (recency × relation × kind); facts are listed by it. */
  weight: z.number(),
});
export type Fact = z.infer<typeof Fact>;

/** What caused an incident, as a responder records it and as diagnosis suspects it. */
export const CauseCategory = z.enum([
  'change', // a deploy, config or infrastructure change (ours or not)
  'capacity', // load, resources exhausted, scaling
  'dependency', // a database, queue, third-party service
  'infrastructure', // a node, VM, disk, network, cloud outage
  'code', // a bug not tied to a recent change
  'unknown',
]);
export type CauseCategory = z.infer<typeof CauseCategory>;

/** The resource and category diagnosis puts first, with the facts behind it. */
export const Suspect = z.object({
  category: CauseCategory,
  resource: FactResource.optional(),
  changeId: z.string().optional(),
  text: z.string().min(1).max(500),
  factIds: z.array(z.string()).min(1),
});
export type Suspect = z.infer<typeof Suspect>;

/**
 * A remediation offered in the thread: a tool call that files a change request (through the
 * approval gate like any other): `rollback_change`, `resource_action` (rollout restart, scale),
 * `cancel_change` for a running workflow.
 */
export const Proposal = z.object({
  kind: z.enum(['rollback', 'rollout_restart', 'scale_out', 'revert_workflow', 'restart', 'start']),
  title: z.string().min(1).max(75),
  /** Why, citing facts. */
  why: z.string().min(1).max(500),
  factIds: z.array(z.string()),
  call: z.object({ tool: z.string().min(1), input: z.record(z.string(), z.unknown()) }),
  target: FactResource.optional(),
});
export type Proposal = z.infer<typeof Proposal>;

/** A sentence of the LLM's diagnosis and the facts it rests on. */
export const Claim = z.object({ text: z.string().min(1).max(1000), cites: z.array(z.string()).min(1) });
export type Claim = z.infer<typeof Claim>;

export const Diagnosis = z.object({
  /** What the alert named, resolved in the inventory. */
  affected: z.array(FactResource),
  facts: z.array(Fact),
  /** Most likely first; empty when nothing stands out. */
  suspects: z.array(Suspect),
  proposals: z.array(Proposal),
  /** With the Claude planner: the short diagnosis, every claim citing facts. */
  narrative: z.object({ claims: z.array(Claim), model: z.string() }).optional(),
  /** Why there is no narrative when an LLM was configured (budget, timeout, refused). */
  narrativeError: z.string().optional(),
  computedAt: z.date(),
});
export type Diagnosis = z.infer<typeof Diagnosis>;

/** How well the diagnosis's first suspect matched the recorded cause. */
export const Grade = z.enum(['exact', 'one_hop_short', 'right_area_wrong_cause', 'wrong_area']);
export type Grade = z.infer<typeof Grade>;

/** The cause a responder records when resolving (one click on a suspect, or the short form). */
export const RecordedCause = z.object({
  category: CauseCategory,
  /** A resource name or id, as typed or picked. */
  resource: z.string().max(300).optional(),
  changeId: z.string().optional(),
  text: z.string().max(2000).optional(),
});
export type RecordedCause = z.infer<typeof RecordedCause>;
