import { metricKey, metricSummaries } from '../../cloud/metrics-repository.ts';
import type { Resource } from '../../cloud/resource.ts';
import type { Db } from '../../store/db.ts';
import type { Fact } from '../model.ts';
import { factResource, relative, weigh, type Evidence, type Signal } from './evidence.ts';
import type { Related } from './inventory.ts';

/**
 * What the inventory says is unwell now about the affected resources and their neighbours, as
 * the last sync saw it: Kubernetes pods that crash-loop, cannot pull their image or were
 * OOM-killed; deployments short of available replicas, or rolled out recently; nodes under
 * pressure or not ready; stopped VMs; target groups with unhealthy targets; load balancers with no
 * healthy target; failing ECS services; databases not available; unreachable clusters; and a high
 * daily CPU peak (resource_metrics).
 */

const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** CPU (daily maximum, percent) at or above which a resource counts as saturated. */
export const CPU_HIGH_PERCENT = 90;
/** A pod restarted at least this often is crash-looping, whatever its current state says. */
const RESTARTS_CRASHING = 5;

const stoppedStates = ['stopped', 'stopping', 'deallocated', 'deallocating', 'terminated', 'suspended'];
const podFailure: Record<string, Signal> = {
  crashloopbackoff: 'crashloop',
  imagepullbackoff: 'image_pull',
  errimagepull: 'image_pull',
  invalidimagename: 'image_pull',
  oomkilled: 'oom',
  error: 'pod_failing',
  createcontainerconfigerror: 'pod_failing',
  createcontainererror: 'pod_failing',
};

interface History {
  revision: number;
  images: string[];
  createdAt: string | null;
}

const historyOf = (r: Resource): History[] =>
  Array.isArray(r.attributes.history) ? (r.attributes.history as History[]) : [];

/** A deployment's newest rollout when it replaced an earlier revision, and whether it counts as recent. */
export const latestRollout = (
  r: Resource,
  since: Date,
): { current: History; previous: History; at: Date | undefined; recent: boolean } | undefined => {
  const [current, previous] = [...historyOf(r)].sort((a, b) => b.revision - a.revision);
  if (!current || !previous) return undefined;
  const at = current.createdAt ? new Date(current.createdAt) : undefined;
  // A rollout that has not finished (degraded, progressing) is the current one, however old.
  const recent = (at !== undefined && at >= since) || r.state !== 'available';
  return { current, previous, at, recent };
};

export const healthEvidence = (related: readonly Related[], openedAt: Date, since: Date): Evidence[] => {
  const out: Evidence[] = [];
  const push = (rel: Related, signal: Signal, text: string, kind: Fact['kind'] = 'health', at?: Date, extra = {}) =>
    out.push({
      kind,
      signal,
      text,
      source: `${rel.resource.provider} ${rel.resource.type.replace(/_/g, ' ')} ${rel.resource.id}`,
      resource: factResource(rel.resource),
      subject: rel.resource,
      relation: rel.relation,
      ...(at ? { at } : {}),
      weight: weigh(kind, rel.relation, at, openedAt),
      ...extra,
    });
  for (const rel of related) {
    const r = rel.resource;
    const a = r.attributes;
    const label = r.name || r.id;
    if (r.type === 'pod') {
      const reason = str(a.reason) ?? (r.state !== 'running' ? r.state : undefined);
      const restarts = num(a.restarts) ?? 0;
      const signal =
        (reason && podFailure[reason.toLowerCase()]) ?? (restarts >= RESTARTS_CRASHING ? 'crashloop' : undefined);
      const images = ((a.containers as { image?: unknown }[] | undefined) ?? [])
        .map((c) => str(c.image))
        .filter(Boolean);
      if (signal)
        push(
          rel,
          signal,
          `pod ${str(a.namespace) ?? ''}/${label} is ${reason ?? 'restarting'} (${restarts} restarts)${images.length ? `, image ${images.join(', ')}` : ''}${str(a.node) ? `, on node ${str(a.node)}` : ''}`,
          'health',
          undefined,
          str(a.ownerDeployment) ? { deployment: str(a.ownerDeployment) } : {},
        );
    }
    if (r.type === 'deployment') {
      const reps = (a.replicas ?? {}) as { desired?: unknown; available?: unknown };
      const desired = num(reps.desired) ?? 0;
      const available = num(reps.available) ?? 0;
      if (available < desired)
        push(
          rel,
          'unavailable',
          `deployment ${str(a.namespace) ?? ''}/${label} has ${available} of ${desired} replicas available (${r.state})`,
          'health',
          undefined,
          { deployment: r.name },
        );
      const rollout = latestRollout(r, since);
      if (rollout?.recent)
        push(
          rel,
          'rollout',
          `deployment ${str(a.namespace) ?? ''}/${label} rolled out revision ${rollout.current.revision} (${rollout.current.images.join(', ')})${rollout.at ? ` ${relative(rollout.at, openedAt)}` : ''}, replacing revision ${rollout.previous.revision} (${rollout.previous.images.join(', ')}); it is ${r.state}`,
          'rollout',
          // An unfinished rollout is as fresh as the alert: it is still going on.
          r.state !== 'available' && rollout.at && rollout.at < since ? openedAt : rollout.at,
          { deployment: r.name },
        );
    }
    if (r.type === 'node') {
      const problems = Array.isArray(a.problems) ? (a.problems as string[]) : [];
      if (problems.length) push(rel, 'node_pressure', `node ${label} reports ${problems.join(', ')}`);
      if (r.state === 'not_ready') push(rel, 'node_not_ready', `node ${label} is NotReady`);
    }
    if (r.type === 'instance' && stoppedStates.includes(r.state))
      push(rel, 'stopped', `${r.provider} instance ${label} is ${r.state} (as of the last sync)`);
    if (r.type === 'target_group' && ['unhealthy', 'degraded', 'unavailable'].includes(r.state)) {
      const failing = ((a.failing as { id?: unknown; reason?: unknown }[] | undefined) ?? [])
        .map((f) => `${str(f.id) ?? '?'}${str(f.reason) ? ` (${str(f.reason)})` : ''}`)
        .slice(0, 5);
      push(
        rel,
        'targets_unhealthy',
        `target group ${label}: ${num(a.unhealthy) ?? 0} of ${num(a.targets) ?? 0} targets unhealthy${failing.length ? `: ${failing.join(', ')}` : ''}`,
      );
    }
    if (r.type === 'load_balancer' && a.idle === true && Array.isArray(a.targetGroups) && a.targetGroups.length)
      push(rel, 'no_healthy_target', `load balancer ${label} has no healthy target`);
    if (r.type === 'container_service') {
      const desired = num(a.desiredCount) ?? 0;
      const running = num(a.runningCount) ?? 0;
      if (r.state === 'failed' || running < desired)
        push(
          rel,
          'service_failing',
          `ECS service ${label} runs ${running} of ${desired} tasks (${r.state}${str(a.rolloutState) ? `, rollout ${str(a.rolloutState)}` : ''})${str(a.lastEvent) ? `; last event: ${str(a.lastEvent)}` : ''}`,
        );
    }
    if (r.type === 'database' && !['available', 'backing-up', 'maintenance'].includes(r.state))
      push(rel, 'database_unhealthy', `database ${label} is ${r.state}`);
    if (r.type === 'cluster' && r.state === 'unreachable')
      push(rel, 'cluster_unreachable', `cluster ${label}'s API server did not answer the last sync`);
  }
  return out;
};

/** Daily CPU peaks of the last two days at or above CPU_HIGH_PERCENT. */
export const metricEvidence = async (db: Db, related: readonly Related[], openedAt: Date): Promise<Evidence[]> => {
  const keys = related.map((r) => r.resource);
  const cpu = await metricSummaries(db, 'cpu_percent', keys, { days: 2, now: openedAt });
  return related.flatMap((rel): Evidence[] => {
    const m = cpu.get(metricKey(rel.resource));
    if (!m || m.max < CPU_HIGH_PERCENT) return [];
    return [
      {
        kind: 'metric',
        signal: 'cpu_high',
        text: `${rel.resource.name || rel.resource.id} CPU peaked at ${Math.round(m.max)}% (daily average ${Math.round(m.avg)}%) over the last ${m.days} day${m.days === 1 ? '' : 's'}`,
        source: `${rel.resource.provider} cpu_percent`,
        resource: factResource(rel.resource),
        subject: rel.resource,
        relation: rel.relation,
        weight: weigh('metric', rel.relation, undefined, openedAt),
      },
    ];
  });
};
