import { z } from 'zod';
import type { ActionSpec, Inverse } from '../actions.ts';
import { maxSnapshotChars, parseSnapshot } from './manifests.ts';
import { bytes, cpuMillicores } from './quantity.ts';

/**
 * What a workflow template makes in a cluster, as actions on what is already there (src/cloud/actions.ts):
 * on a `cluster` (a kubeconfig context), create_namespace; on a `namespace`, apply a config map,
 * a deployment or a service built from typed parameters (never free-form YAML), delete one, or put
 * a recorded one back. Every write records what it needs to be undone:
 * - something it created: `existed: false`, undone by deleting it;
 * - something it wrote over: `existed: true` and `object`, a snapshot of what was there (labels,
 *   annotations, content; manifests.ts), undone by restore_<kind> writing that snapshot back;
 * - a namespace that was there already is left in place (there is nothing of the run's to undo).
 * Each reports what it made in `outputs` (`namespace`, `config_map`, `deployment`, `service`: the
 * inventory id), so a later step can act on it or wait for it.
 */

const dnsLabel = z
  .string()
  .regex(
    /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/,
    'must be a Kubernetes name (lower-case letters, digits and -, at most 63)',
  );
const objectName = z
  .string()
  .max(253)
  .regex(
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
    'must be a Kubernetes object name (lower-case letters, digits, - and .)',
  );
const count = (what: string, min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,5}$/, `${what} must be a whole number`)
    .refine((v) => Number(v) >= min && Number(v) <= max, `${what} must be between ${min} and ${max}`);
const port = count('port', 1, 65_535);
/** An image with an explicit tag or digest: `latest` (or none) would make a rollback restore nothing. */
const image = z
  .string()
  .max(255)
  .regex(
    /^[a-z0-9]([a-z0-9._-]*[a-z0-9])?(:\d{1,5})?(\/[a-z0-9]([a-z0-9._-]*[a-z0-9])?)*(:[\w][\w.-]{0,127})?(@sha256:[a-f0-9]{64})?$/,
    'must be a container image reference such as prom/prometheus:v3.5.0',
  )
  .refine(
    (v) => /(:[\w][\w.-]*|@sha256:[a-f0-9]{64})$/.test(v.replace(/^[^/]*:\d+\//, '')),
    'image must name a tag or a digest',
  )
  .refine((v) => !/:latest$/.test(v), 'image must name a fixed tag, not latest');
const flag = /^--[a-z0-9][a-z0-9._-]*(=\S+)?$/;
const args = z
  .string()
  .max(2_000)
  .refine(
    (v) =>
      v
        .trim()
        .split(/\s+/)
        .every((a) => flag.test(a)),
    'args must be command-line flags separated by spaces (--name or --name=value)',
  );
const absolutePath = z
  .string()
  .max(256)
  .regex(/^\/[A-Za-z0-9._/-]*$/, 'must be an absolute path')
  .refine((v) => !v.split('/').includes('..'), 'must not contain ..');
const cpu = z
  .string()
  .regex(/^(?:[1-9]\d{0,6}m|\d{1,4}(?:\.\d{1,3})?)$/, 'cpu must be a Kubernetes CPU quantity such as 250m or 0.5')
  .refine((v) => (cpuMillicores(v) ?? 0) > 0, 'cpu must be more than 0');
const memory = z
  .string()
  .regex(/^(?:\d{1,15}|\d{1,6}\.\d{1,3})(?:Ki|Mi|Gi|Ti|k|M|G|T)?$/, 'memory must be a quantity such as 128Mi or 1Gi')
  .refine((v) => (bytes(v) ?? 0) >= 1, 'memory must be at least 1 byte');
const configKey = z.string().regex(/^[-._a-zA-Z0-9]{1,253}$/, 'key must be a file name (letters, digits, -, _ and .)');
const text = z.string().min(1).max(1_000_000, 'text must be at most 1 MB (a config map holds 1 MiB)');
const snapshot = z
  .string()
  .max(maxSnapshotChars)
  .refine((v) => parseSnapshot(v).ok, 'object must be the JSON of an object an earlier change recorded');

const ns = (subject: { name: string; id: string }) => subject.name || subject.id.split('/').pop() || subject.id;

/** Created → delete it; written over → put the recorded object back; unknown (plan time) → delete. */
const writeInverse =
  (kind: string) =>
  ({ params, previous }: Parameters<ActionSpec['inverse']>[0]): Inverse => {
    const name = params.name;
    if (!name) return { why: `the ${kind} is not named` };
    if (previous?.existed === 'true')
      return previous.object
        ? { action: `restore_${kind}`, params: { name, object: previous.object } }
        : { why: `the ${kind} ${name} that was there before was not recorded` };
    return { action: `delete_${kind}`, params: { name } };
  };

/** apply_<kind>, delete_<kind> and restore_<kind> for a kind written into a namespace. */
const workloadSpecs = (
  kind: 'config_map' | 'deployment' | 'service',
  words: {
    title: string;
    what: string;
    apply: z.ZodObject<Record<string, z.ZodType<string | undefined>>>;
    effect: string;
  },
): ActionSpec[] => [
  {
    name: `apply_${kind}`,
    title: `Apply the ${words.title}`,
    doing: `applying the ${words.title}`,
    description: `Create or replace a ${words.what} in a namespace from typed parameters (what it replaces is recorded, so it can be put back)`,
    params: words.apply,
    blastRadius: (s, p) =>
      `The ${words.title} ${p.name ?? '?'} in namespace ${ns(s)} is created, or replaced if it is there (${words.effect}).`,
    detail: (_s, p) => `${p.name ?? ''}`,
    costDeltaCents: () => 0,
    inverse: writeInverse(kind),
  },
  {
    name: `delete_${kind}`,
    title: `Delete the ${words.title}`,
    doing: `deleting the ${words.title}`,
    description: `Delete a ${words.what} from a namespace (it is recorded first, so it can be put back)`,
    params: z.object({ name: objectName }),
    blastRadius: (s, p) => `The ${words.title} ${p.name ?? '?'} in namespace ${ns(s)} is deleted (${words.effect}).`,
    detail: (_s, p) => `${p.name ?? ''}`,
    costDeltaCents: () => 0,
    inverse: ({ params, previous }) =>
      previous?.object
        ? { action: `restore_${kind}`, params: { name: params.name ?? '', object: previous.object } }
        : { why: `the deleted ${words.title} was not recorded` },
  },
  {
    name: `restore_${kind}`,
    inverseOnly: true,
    title: `Restore the ${words.title}`,
    doing: `restoring the ${words.title}`,
    description: `Put a ${words.what} back as an earlier change recorded it (how a rollback undoes an apply or a delete)`,
    params: z.object({ name: objectName, object: snapshot }),
    blastRadius: (s, p) =>
      `The ${words.title} ${p.name ?? '?'} in namespace ${ns(s)} is written back as it was recorded (${words.effect}).`,
    detail: (_s, p) => `${p.name ?? ''}`,
    costDeltaCents: () => 0,
    inverse: writeInverse(kind),
  },
];

export const createNamespace: ActionSpec = {
  name: 'create_namespace',
  title: 'Create the namespace',
  doing: 'creating the namespace',
  description: 'Create a namespace in the cluster (one that is there already is used as it is)',
  params: z.object({ name: dnsLabel }),
  blastRadius: (s, p) => `A namespace ${p.name ?? '?'} is created in ${s.name || s.id} if it is not there.`,
  detail: (_s, p) => `${p.name ?? ''}`,
  costDeltaCents: () => 0,
  inverse: ({ params, previous }) =>
    previous?.existed === 'true'
      ? { why: `namespace ${params.name ?? ''} was there before the run, so it is left in place` }
      : { action: 'delete_namespace', params: { name: params.name ?? '' } },
};

export const deleteNamespace: ActionSpec = {
  name: 'delete_namespace',
  title: 'Delete the namespace',
  doing: 'deleting the namespace',
  description: 'Delete a namespace and everything in it',
  params: z.object({ name: dnsLabel }),
  blastRadius: (s, p) =>
    `Namespace ${p.name ?? '?'} in ${s.name || s.id} is deleted with every object in it (deployments, services, config maps, secrets).`,
  detail: (_s, p) => `${p.name ?? ''}`,
  costDeltaCents: () => 0,
  inverse: ({ params }) => ({
    why: `a deleted namespace cannot be brought back with what was in it; create ${params.name ?? 'it'} again and re-apply its objects`,
  }),
};

export const configMapActions = workloadSpecs('config_map', {
  title: 'config map',
  what: 'config map holding one file',
  apply: z.object({ name: objectName, key: configKey, text }),
  effect: 'pods that mount it see the new file within a minute; those that read it only at start need a restart',
});

export const deploymentActions = workloadSpecs('deployment', {
  title: 'deployment',
  what: 'deployment of one container',
  apply: z.object({
    name: dnsLabel,
    image,
    replicas: count('replicas', 0, 1000),
    port,
    args: args.optional(),
    configMap: objectName.optional(),
    mountPath: absolutePath.optional(),
    envFromSecret: objectName.optional(),
    cpu: cpu.optional(),
    memory: memory.optional(),
    runAsUser: count('runAsUser', 1, 2_147_483_647).optional(),
    readyPath: absolutePath.optional(),
  }),
  effect: 'its pods are created or replaced by a rolling update',
});

export const serviceActions = workloadSpecs('service', {
  title: 'service',
  what: 'service in front of a deployment',
  apply: z.object({
    name: dnsLabel,
    app: dnsLabel,
    port,
    targetPort: port.optional(),
    type: z.enum(['ClusterIP', 'NodePort']).optional(),
  }),
  effect: 'traffic to it goes to the pods of its app',
});

/** The deployment parameters that only make sense together. */
export const deploymentParamProblem = (p: Record<string, string | undefined>): string | undefined =>
  (p.configMap === undefined) !== (p.mountPath === undefined)
    ? 'configMap and mountPath go together (the config map is mounted at mountPath)'
    : undefined;
