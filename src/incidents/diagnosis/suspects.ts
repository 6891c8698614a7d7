import type { CauseCategory, Suspect } from '../model.ts';
import { clip, type NumberedEvidence } from './evidence.ts';

/**
 * The likely causes, most likely first, each resting on facts:
 * - a change of ours on an affected resource shortly before the alert (× 3), on a neighbour (× 1.2),
 *   a workflow run touching them (× 1.5): `change`;
 * - a pod that crash-loops, cannot pull its image or keeps failing: `change` when its deployment
 *   rolled out recently (× 2), else `code` (× 1.3); an OOM-killed pod: `capacity`;
 * - a deployment short of replicas after a recent rollout: `change`; without one, or high CPU:
 *   `capacity`; a failing ECS service: `change` when its rollout failed, else `capacity`;
 * - a node under pressure or not ready, a stopped VM, an unreachable cluster, unhealthy targets:
 *   `infrastructure`;
 * - a database neighbour that is not available: `dependency`.
 * Score = the heaviest fact's weight × the factor; one suspect per category and resource.
 */

interface Candidate {
  category: CauseCategory;
  score: number;
  text: string;
  facts: NumberedEvidence[];
  changeId?: string;
}

const MAX_SUSPECTS = 5;

const pickOf = (facts: NumberedEvidence[]) => facts[0]!;

export const findSuspects = (evidence: readonly NumberedEvidence[]): Suspect[] => {
  const out: Candidate[] = [];
  const add = (category: CauseCategory, factor: number, text: string, facts: NumberedEvidence[], changeId?: string) =>
    out.push({
      category,
      score: Math.max(...facts.map((f) => f.weight)) * factor,
      text,
      facts,
      ...(changeId ? { changeId } : {}),
    });
  const rolloutOf = (ns: string | undefined, deployment: string | undefined, account: string | undefined) =>
    evidence.find(
      (e) =>
        e.signal === 'rollout' &&
        e.deployment === deployment &&
        e.subject?.account === account &&
        e.subject?.attributes.namespace === ns,
    );
  const unavailableOf = (ns: string | undefined, deployment: string | undefined, account: string | undefined) =>
    evidence.find(
      (e) =>
        e.signal === 'unavailable' &&
        e.deployment === deployment &&
        e.subject?.account === account &&
        e.subject?.attributes.namespace === ns,
    );
  const covered = new Set<string>();

  for (const e of evidence) {
    const name = e.resource?.name ?? 'it';
    switch (e.signal) {
      case 'change':
      case 'change_failed': {
        const health = evidence.filter(
          (h) => h.kind === 'health' && h.subject && e.subject && h.subject.id === e.subject.id,
        );
        add(
          'change',
          e.relation === 'affected' ? 3 : 1.2,
          `${e.changeId} changed ${name} ${e.signal === 'change_failed' ? '(and failed) ' : ''}shortly before the alert: ${e.text}`,
          [e, ...health],
          e.changeId,
        );
        break;
      }
      case 'workflow':
      case 'workflow_running':
        add('change', 1.5, `Workflow run ${e.changeId} acts on ${name}: ${e.text}`, [e], e.changeId);
        break;
      case 'crashloop':
      case 'image_pull':
      case 'pod_failing':
      case 'oom': {
        const ns = e.subject?.attributes.namespace as string | undefined;
        const rollout = rolloutOf(ns, e.deployment, e.subject?.account);
        const short = unavailableOf(ns, e.deployment, e.subject?.account);
        const support = [e, ...(rollout ? [rollout] : []), ...(short ? [short] : [])];
        const what = e.deployment ? `deployment ${ns}/${e.deployment}` : `pod ${name}`;
        if (short) covered.add(short.id);
        if (rollout) covered.add(rollout.id);
        if (e.signal === 'oom') add('capacity', 1.3, `${what} runs out of memory: ${e.text}`, support);
        else if (rollout)
          add('change', 2, `The recent rollout of ${what} broke it: ${e.text}; ${rollout.text}`, [
            rollout,
            ...support.slice(0, 1),
            ...(short ? [short] : []),
          ]);
        else
          add(
            'code',
            1.3,
            `${what} fails on its own code or configuration, with no recent rollout: ${e.text}`,
            short ? [short, e] : support,
          );
        break;
      }
      default:
        break;
    }
  }
  for (const e of evidence) {
    if (covered.has(e.id)) continue;
    const name = e.resource?.name ?? 'it';
    switch (e.signal) {
      case 'rollout':
      case 'unavailable': {
        const ns = e.subject?.attributes.namespace as string | undefined;
        const rollout = e.signal === 'rollout' ? e : rolloutOf(ns, e.deployment, e.subject?.account);
        const short = e.signal === 'unavailable' ? e : unavailableOf(ns, e.deployment, e.subject?.account);
        if (rollout && short) {
          covered.add(rollout.id).add(short.id);
          add('change', 1.8, `The recent rollout of ${name} left it short of replicas: ${short.text}`, [
            rollout,
            short,
          ]);
        } else if (short) add('capacity', 1, `${name} is short of available replicas: ${short.text}`, [short]);
        break;
      }
      case 'service_failing':
        add(
          e.subject?.attributes.rolloutState === 'FAILED' ? 'change' : 'capacity',
          1.2,
          `ECS service ${name} is not running what it should: ${e.text}`,
          [e],
        );
        break;
      case 'cpu_high':
        add('capacity', 1, `${name} is saturated: ${e.text}`, [e]);
        break;
      case 'node_pressure':
      case 'node_not_ready':
      case 'cluster_unreachable':
        add('infrastructure', 1.1, `${e.text}`, [e]);
        break;
      case 'stopped':
        add('infrastructure', 1.2, `${e.text}`, [e]);
        break;
      case 'targets_unhealthy':
      case 'no_healthy_target':
        add('infrastructure', 0.8, `${e.text}`, [e]);
        break;
      case 'database_unhealthy':
        add('dependency', 1.2, `A database it depends on is unwell: ${e.text}`, [e]);
        break;
      default:
        break;
    }
  }

  const ranked = out.sort((a, b) => b.score - a.score);
  const seen = new Set<string>();
  const suspects: Suspect[] = [];
  for (const c of ranked) {
    const main = pickOf(c.facts);
    const key = `${c.category}\u0000${main.resource?.provider}\u0000${main.resource?.account}\u0000${main.resource?.id}`;
    if (seen.has(key)) continue;
    seen.add(key);
    suspects.push({
      category: c.category,
      ...(main.resource ? { resource: main.resource } : {}),
      ...(c.changeId ? { changeId: c.changeId } : {}),
      text: clip(c.text),
      factIds: [...new Set(c.facts.map((f) => f.id))],
    });
    if (suspects.length >= MAX_SUSPECTS) break;
  }
  return suspects;
};
