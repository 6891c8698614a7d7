import type { Resource } from '../../cloud/resource.ts';
import type { Fact, FactResource } from '../model.ts';
import type { Relation } from './inventory.ts';

/**
 * A fact before it is numbered, with what suspects and proposals read of it: the signal it
 * stands for and the resource it is about. Weight = recency × relation × kind.
 */
export type Signal =
  | 'change'
  | 'change_failed'
  | 'workflow'
  | 'workflow_running'
  | 'rollout'
  | 'crashloop'
  | 'image_pull'
  | 'oom'
  | 'pod_failing'
  | 'unavailable'
  | 'node_pressure'
  | 'node_not_ready'
  | 'stopped'
  | 'targets_unhealthy'
  | 'no_healthy_target'
  | 'service_failing'
  | 'database_unhealthy'
  | 'cluster_unreachable'
  | 'cpu_high'
  | 'alert';

export interface Evidence extends Omit<Fact, 'id'> {
  signal: Signal;
  subject?: Resource;
  /** For `crashloop` and the like: the pod's deployment name; for `rollout`: the deployment. */
  deployment?: string;
}

export type NumberedEvidence = Evidence & { id: string };

const HOUR = 3_600_000;

/** 1 at the alert, ⅔ an hour before, ¼ six hours before, under 0.1 a day before; facts after it opened count 0.6. */
export const recency = (at: Date | undefined, openedAt: Date): number => {
  if (!at) return 1;
  const age = openedAt.getTime() - at.getTime();
  if (age < -60_000) return 0.6;
  return 1 / (1 + Math.max(0, age) / (2 * HOUR));
};

export const relationWeight: Record<Relation | 'none', number> = { affected: 1, neighbour: 0.5, none: 1 };

export const kindWeight: Record<Fact['kind'], number> = {
  change: 1,
  workflow: 0.9,
  rollout: 0.9,
  health: 0.8,
  signal: 0.6,
  metric: 0.5,
  alert: 0.3,
};

export const weigh = (kind: Fact['kind'], relation: Relation | undefined, at: Date | undefined, openedAt: Date) =>
  Math.round(recency(at, openedAt) * relationWeight[relation ?? 'none'] * kindWeight[kind] * 1000) / 1000;

export const factResource = (r: Resource): FactResource => ({
  provider: r.provider,
  account: r.account,
  region: r.region,
  type: r.type,
  id: r.id,
  name: r.name || r.id,
  environment: r.environment,
});

/** "30 min before the alert", "2 h after it opened". */
export const relative = (at: Date, openedAt: Date): string => {
  const ms = openedAt.getTime() - at.getTime();
  const abs = Math.abs(ms);
  const span =
    abs < 60_000
      ? 'under a minute'
      : abs < 90 * 60_000
        ? `${Math.round(abs / 60_000)} min`
        : abs < 48 * HOUR
          ? `${Math.round(abs / HOUR)} h`
          : `${Math.round(abs / (24 * HOUR))} days`;
  return ms >= 0 ? `${span} before the alert` : `${span} after the alert opened`;
};

export const clip = (text: string, max = 500): string => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

/** Orders evidence (heaviest first, then newest, then by text) and numbers it F1, F2, … */
export const numberEvidence = (all: Evidence[]): NumberedEvidence[] =>
  [...all]
    .sort(
      (a, b) => b.weight - a.weight || (b.at?.getTime() ?? 0) - (a.at?.getTime() ?? 0) || a.text.localeCompare(b.text),
    )
    .map((e, i) => ({ ...e, id: `F${i + 1}` }));

/** The public fact of a piece of evidence. */
export const toFact = (e: NumberedEvidence): Fact => ({
  id: e.id,
  kind: e.kind,
  text: clip(e.text),
  source: clip(e.source, 200),
  ...(e.resource ? { resource: e.resource } : {}),
  ...(e.relation ? { relation: e.relation } : {}),
  ...(e.at ? { at: e.at } : {}),
  ...(e.changeId ? { changeId: e.changeId } : {}),
  weight: e.weight,
});
