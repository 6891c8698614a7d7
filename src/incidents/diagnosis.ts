import { z } from 'zod';
import { getChange } from '../changes/repository.ts';
import type { ChangeRequest } from '../changes/model.ts';
import { badRequest, formatZodIssues } from '../errors.ts';
import type { Db } from '../store/db.ts';
import { changeEvidence } from './diagnosis/changes.ts';
import { clip, factResource, numberEvidence, toFact, weigh, type Evidence } from './diagnosis/evidence.ts';
import { healthEvidence, metricEvidence } from './diagnosis/health.ts';
import { findNeighbours, keyOf, resolveAffected, type Related } from './diagnosis/inventory.ts';
import { deploymentIndex, findProposals } from './diagnosis/proposals.ts';
import { findSuspects } from './diagnosis/suspects.ts';
import type { Diagnosis } from './model.ts';

/**
 * Change-aware diagnosis of an alert, from the bot's own records and the synced inventory
 * (docs/architecture.md#incidents): what the alert names (affected) and what is near it
 * (neighbours, diagnosis/inventory.ts); the facts about them — our change requests and workflow
 * runs in the lookback, their health as last synced, high CPU, the alert itself — numbered F1…
 * by weight (recency × relation × kind); the suspects, ranked; and the remediations to offer, as
 * tool calls that file change requests. No LLM here: the narrative is added by the caller with an
 * IncidentExplainer, citing these facts.
 */

export const DiagnoseInput = z.object({
  workspaceId: z.string().min(1),
  title: z.string().min(1).max(1000),
  service: z.string().min(1).max(200),
  resources: z.array(z.string().min(1).max(300)).max(50).readonly(),
  environment: z.string().max(100).optional(),
  labels: z.record(z.string(), z.string()),
  openedAt: z.date(),
});
export type DiagnoseInput = z.infer<typeof DiagnoseInput>;

export interface DiagnoseDeps {
  db: Db;
  now: () => Date;
  /** How far back changes count (default 24 h). */
  lookbackMs?: number;
}

export const DEFAULT_LOOKBACK_MS = 24 * 3_600_000;

/** Labels worth repeating in the alert's fact (the rest is in the thread already). */
const shownLabels = [
  'alertname',
  'severity',
  'namespace',
  'pod',
  'deployment',
  'instance',
  'job',
  'environment',
  'env',
];

const alertEvidence = (input: DiagnoseInput): Evidence => {
  const labels = shownLabels
    .filter((k) => input.labels[k])
    .map((k) => `${k}=${input.labels[k]}`)
    .join(', ');
  return {
    kind: 'alert',
    signal: 'alert',
    text: clip(`Alert "${input.title}" on ${input.service} opened${labels ? ` (${labels})` : ''}`),
    source: 'alert',
    at: input.openedAt,
    weight: weigh('alert', undefined, input.openedAt, input.openedAt),
  };
};

export const diagnose = async (raw: DiagnoseInput, deps: DiagnoseDeps): Promise<Diagnosis> => {
  const parsed = DiagnoseInput.safeParse(raw);
  if (!parsed.success) throw badRequest(`Cannot diagnose: ${formatZodIssues(parsed.error, 'input')}.`, parsed.error);
  const input = parsed.data;
  const { db } = deps;
  const since = new Date(input.openedAt.getTime() - (deps.lookbackMs ?? DEFAULT_LOOKBACK_MS));

  const affected = await resolveAffected(db, input);
  const neighbours = await findNeighbours(db, affected);
  const related: Related[] = [
    ...affected.map((resource) => ({ resource, relation: 'affected' as const })),
    ...neighbours,
  ];
  const byKey = new Map(related.map((r) => [keyOf(r.resource), r]));

  const evidence: Evidence[] = [
    ...(await changeEvidence(db, { workspaceId: input.workspaceId, openedAt: input.openedAt, since, related: byKey })),
    ...healthEvidence(related, input.openedAt, since),
    ...(await metricEvidence(db, related, input.openedAt)),
    alertEvidence(input),
  ];
  const numbered = numberEvidence(evidence);
  const suspects = findSuspects(numbered);

  const changes = new Map<string, ChangeRequest>();
  for (const id of new Set(numbered.flatMap((e) => (e.changeId ? [e.changeId] : [])))) {
    const c = await getChange(db, id);
    if (c) changes.set(id, c);
  }
  const proposals = findProposals({
    title: input.title,
    evidence: numbered,
    suspects,
    changes,
    deployments: deploymentIndex(related.map((r) => r.resource)),
  });

  return {
    affected: affected.map(factResource),
    facts: numbered.map(toFact),
    suspects,
    proposals,
    computedAt: deps.now(),
  };
};
