import { z } from 'zod';
import { AppError, badRequest, conflict } from '../../errors.ts';
import { noParams, subjectLabel } from '../actions.ts';
import type { ActionCatalog, ActionSpec, ActionSubject } from '../actions.ts';
import { bytes, cpuMillicores } from './quantity.ts';
import {
  configMapActions,
  createNamespace,
  deleteNamespace,
  deploymentActions,
  deploymentParamProblem,
  serviceActions,
} from './workload-actions.ts';

/**
 * What the Kubernetes provider can do, as data: scale, rollout restart and rollback (undo) of a
 * deployment, cordon and uncordon of a node, and lowering (or raising) the requests of a pod's
 * container, which acts on the pod's deployment. Inverses: scale ↔ scale back to the recorded
 * replica count; undo_rollout ↔ undo_rollout to the revision that was current; cordon ↔ uncordon;
 * set_requests ↔ set_requests with the requests the container had.
 * A rollout restart has no inverse (`why`): the old pods are gone for good and the template
 * only gained a restartedAt annotation; if the new pods misbehave, undo_rollout is the way back.
 * What workflow templates make (namespaces, config maps, deployments, services) is in
 * workload-actions.ts.
 */

export const maxReplicas = 1000;

const replicas = z
  .string()
  .regex(/^\d{1,4}$/, 'replicas must be a whole number')
  .refine((v) => Number(v) <= maxReplicas, `replicas must be between 0 and ${maxReplicas}`);
const revision = z.string().regex(/^[1-9]\d{0,8}$/, 'toRevision must be a revision number (1, 2, …)');

/** The numbers the provider put in the deployment's attributes. */
const desiredOf = (s: ActionSubject): number | undefined => {
  const r = s.attributes.replicas as { desired?: unknown } | undefined;
  return typeof r?.desired === 'number' ? r.desired : undefined;
};
const revisionOf = (s: ActionSubject): number | undefined =>
  typeof s.attributes.revision === 'number' ? s.attributes.revision : undefined;
const historyOf = (s: ActionSubject): { revision: number; images: string[] }[] =>
  Array.isArray(s.attributes.history) ? (s.attributes.history as { revision: number; images: string[] }[]) : [];

/**
 * Which revision a rollback goes to: `toRevision` when given, else the newest one below the
 * current, as `kubectl rollout undo` does. Throws conflict with the reason when there is none.
 */
export const rollbackTarget = (
  label: string,
  history: readonly { revision: number }[],
  current: number | undefined,
  toRevision?: number,
): number => {
  const kept = history.map((h) => h.revision).sort((a, b) => a - b);
  if (toRevision !== undefined) {
    if (toRevision === current) throw conflict(`${label} is already at revision ${toRevision}.`);
    if (!kept.includes(toRevision))
      throw conflict(
        `${label} has no revision ${toRevision} to roll back to (its history keeps ${kept.join(', ') || 'nothing'}).`,
      );
    return toRevision;
  }
  const previous = kept.filter((r) => current === undefined || r < current).pop();
  if (previous === undefined)
    throw conflict(
      `${label} has no previous revision to roll back to: its history keeps only revision ${current ?? kept.join(', ')}.`,
    );
  return previous;
};

const scale: ActionSpec = {
  name: 'scale',
  title: 'Scale',
  doing: 'scaling',
  description: `Set how many pods a deployment runs (0 to ${maxReplicas})`,
  params: z.object({ replicas }),
  async check(subject, params) {
    if (desiredOf(subject) === Number(params.replicas))
      throw new AppError('conflict', `${subjectLabel(subject)} already runs ${params.replicas} replicas.`);
  },
  blastRadius(subject, params) {
    const from = desiredOf(subject);
    const to = Number(params.replicas);
    const base = `${subject.id} goes from ${from ?? '?'} to ${to} replicas`;
    if (to === 0) return `${base}: every pod stops and the service answers nothing until it is scaled up again.`;
    if (from !== undefined && to < from)
      return `${base}: ${from - to} pods are terminated (in-flight requests get the grace period) and the rest take their load.`;
    return `${base}: new pods need room on the nodes; without it they stay Pending (or a cluster autoscaler adds nodes, which cost money).`;
  },
  detail: (_s, params) => `to ${params.replicas} replicas`,
  costDeltaCents: () => 0,
  inverse({ subject, previous }) {
    const before = previous?.replicas ?? (subject ? desiredOf(subject)?.toString() : undefined);
    return before === undefined
      ? { why: 'The replica count before the change is not known.' }
      : { action: 'scale', params: { replicas: before } };
  },
};

const rolloutRestart: ActionSpec = {
  name: 'rollout_restart',
  aliases: ['restart', 'rollout-restart'],
  title: 'Rollout restart',
  doing: 'restarting',
  description: 'Replace every pod of a deployment, batch by batch (kubectl rollout restart)',
  params: noParams,
  blastRadius(subject) {
    return `Every pod of ${subject.id} is replaced following its rolling-update strategy; connections to the old pods are drained, and a new revision is recorded.`;
  },
  costDeltaCents: () => 0,
  inverse: () => ({
    why: 'A restart cannot be undone: the old pods are gone and only the restartedAt annotation changed. If the new pods misbehave, roll back with undo_rollout.',
  }),
};

const undoRollout: ActionSpec = {
  name: 'undo_rollout',
  aliases: ['rollout_undo', 'rollback', 'roll_back'],
  title: 'Roll back',
  doing: 'rolling back',
  description: 'Return a deployment to its previous revision, or to `toRevision` (kubectl rollout undo)',
  params: z.object({ toRevision: revision.optional() }),
  async check(subject, params) {
    rollbackTarget(
      subjectLabel(subject),
      historyOf(subject),
      revisionOf(subject),
      params.toRevision ? Number(params.toRevision) : undefined,
    );
  },
  blastRadius(subject, params) {
    const history = historyOf(subject);
    const target = params.toRevision
      ? Number(params.toRevision)
      : history.map((h) => h.revision).filter((r) => r < (revisionOf(subject) ?? Infinity))[0];
    const images = history.find((h) => h.revision === target)?.images;
    return `${subject.id} goes back to revision ${target ?? '?'}${images?.length ? ` (${images.join(', ')})` : ''}; its pods are replaced by a rolling update.`;
  },
  detail: (_s, params) => (params.toRevision ? `to revision ${params.toRevision}` : 'to the previous revision'),
  costDeltaCents: () => 0,
  inverse({ subject, previous }) {
    const before = previous?.revision ?? (subject ? revisionOf(subject)?.toString() : undefined);
    return before === undefined
      ? { why: 'The revision before the rollback is not known.' }
      : { action: 'undo_rollout', params: { toRevision: before } };
  },
};

const cordon: ActionSpec = {
  name: 'cordon',
  title: 'Cordon',
  doing: 'cordoning',
  description: 'Stop scheduling new pods on a node (pods already there keep running)',
  params: noParams,
  states: ['ready', 'not_ready'],
  doneStates: ['cordoned'],
  blastRadius: (subject) =>
    `No new pod is scheduled on node ${subject.name}; pods already running there stay, but replacements go elsewhere.`,
  costDeltaCents: () => 0,
  inverse: () => ({ action: 'uncordon', params: {} }),
};

const uncordon: ActionSpec = {
  name: 'uncordon',
  title: 'Uncordon',
  doing: 'uncordoning',
  description: 'Let the scheduler place pods on a cordoned node again',
  params: noParams,
  states: ['cordoned'],
  doneStates: ['ready', 'not_ready'],
  blastRadius: (subject) => `The scheduler may place new pods on node ${subject.name} again.`,
  costDeltaCents: () => 0,
  inverse: () => ({ action: 'cordon', params: {} }),
};

/** `none` in set_requests: the container gets no request for that resource (how an inverse removes one). */
export const noRequest = 'none';

// The API server's own limits: CPU to the millicore, memory in whole bytes.
const cpuQuantity = z
  .string()
  .regex(
    /^(?:[1-9]\d{0,6}m|\d{1,4}(?:\.\d{1,3})?|none)$/,
    'cpu must be a Kubernetes CPU quantity such as 250m or 0.5 (or none)',
  )
  .refine((v) => v === noRequest || (cpuMillicores(v) ?? 0) > 0, 'cpu must be more than 0');
const memoryQuantity = z
  .string()
  .regex(
    /^(?:(?:\d{1,15}|\d{1,6}\.\d{1,3})(?:Ki|Mi|Gi|Ti|k|M|G|T)?|none)$/,
    'memory must be a Kubernetes memory quantity such as 128Mi or 1Gi (or none)',
  )
  .refine((v) => v === noRequest || (bytes(v) ?? 0) >= 1, 'memory must be at least 1 byte');
const objectName = z
  .string()
  .regex(/^[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?$/, 'must be a Kubernetes object name (lower-case, digits, - and .)');

interface ContainerRequests {
  name?: unknown;
  requests?: { cpu?: unknown; memory?: unknown; cpuMillicores?: unknown; memoryBytes?: unknown } | null;
}
const containersOf = (s: ActionSubject): ContainerRequests[] =>
  Array.isArray(s.attributes.containers) ? (s.attributes.containers as ContainerRequests[]) : [];

const setRequests: ActionSpec = {
  name: 'set_requests',
  aliases: ['set_resources', 'lower_requests', 'rightsize_requests'],
  title: 'Set the requests',
  doing: 'setting the requests',
  description:
    "Set a container's CPU and memory requests in the pod's deployment (its pods are replaced by a rolling update)",
  params: z.object({
    deployment: objectName,
    container: objectName,
    cpu: cpuQuantity.optional(),
    memory: memoryQuantity.optional(),
  }),
  async check(subject, params) {
    if (params.cpu === undefined && params.memory === undefined)
      throw badRequest('set_requests needs cpu, memory or both (e.g. cpu 120m, memory 128Mi).');
    const owner = subject.attributes.ownerDeployment;
    if (typeof owner === 'string' && owner !== params.deployment)
      throw badRequest(
        `${subjectLabel(subject)} belongs to deployment ${owner}, not ${params.deployment}.`,
        undefined,
        'deployment',
      );
    const containers = containersOf(subject);
    const c = containers.find((x) => x.name === params.container);
    if (containers.length && !c)
      throw badRequest(
        `${subjectLabel(subject)} has no container ${params.container} (it has ${containers.map((x) => String(x.name)).join(', ')}).`,
        undefined,
        'container',
      );
    const same = (want: string | undefined, have: unknown, parse: (q: string) => number | undefined) =>
      want === undefined || (want === noRequest ? have === undefined || have === null : parse(want) === have);
    if (
      c &&
      same(params.cpu, c.requests?.cpuMillicores, cpuMillicores) &&
      same(params.memory, c.requests?.memoryBytes, bytes)
    )
      throw conflict(`${params.container} of ${subjectLabel(subject)} already requests that.`);
  },
  blastRadius(subject, params) {
    const ns = subject.id.split('/')[0];
    return `The deployment ${ns}/${params.deployment} rolls out new pods with the new requests of ${params.container} (this pod among the replaced); a pod whose use later exceeds its lower requests is among the first evicted when its node runs short, and CPU beyond the request is not guaranteed.`;
  },
  detail: (_s, params) =>
    `of ${params.container} in deployment ${params.deployment} to ${[params.cpu && `cpu ${params.cpu}`, params.memory && `memory ${params.memory}`].filter(Boolean).join(', ')}`,
  costDeltaCents: () => 0,
  inverse({ params, subject, previous }) {
    const seen = subject ? containersOf(subject).find((c) => c.name === params.container) : undefined;
    const was = (key: 'cpu' | 'memory'): string | undefined => {
      if (params[key] === undefined) return undefined;
      if (previous) return previous[key];
      if (!seen) return undefined;
      const q = seen.requests?.[key];
      return typeof q === 'string' && q ? q : noRequest;
    };
    const cpu = was('cpu');
    const memory = was('memory');
    if ((params.cpu !== undefined && cpu === undefined) || (params.memory !== undefined && memory === undefined))
      return { why: 'The requests before the change are not known.' };
    return {
      action: 'set_requests',
      params: {
        deployment: params.deployment!,
        container: params.container!,
        ...(cpu !== undefined ? { cpu } : {}),
        ...(memory !== undefined ? { memory } : {}),
      },
    };
  },
};

const applyDeployment: ActionSpec = {
  ...deploymentActions[0]!,
  async check(_subject, params) {
    const why = deploymentParamProblem(params);
    if (why) throw badRequest(why, undefined, 'mountPath');
  },
};

export const kubernetesActions: ActionCatalog = {
  deployment: [scale, rolloutRestart, undoRollout],
  node: [cordon, uncordon],
  pod: [setRequests],
  // What workflow templates make (workload-actions.ts): namespaces on a cluster, objects in a namespace.
  cluster: [createNamespace, deleteNamespace],
  namespace: [...configMapActions, applyDeployment, ...deploymentActions.slice(1), ...serviceActions],
};
