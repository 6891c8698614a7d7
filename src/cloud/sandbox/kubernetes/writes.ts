import { z } from 'zod';
import { deleteDeployment, DeploymentSpec, holdRollout } from './controller.ts';
import { HttpFailure, invalid, qualifiedPlural } from './http-failure.ts';
import { apiVersionOf, hex, isoSeconds, uidOf } from './model.ts';
import type { KubeClusterState, KubeObject, ResourceDef } from './model.ts';

/**
 * Creating (POST), replacing (PUT) and deleting objects, as the API server does for the kinds the
 * workflow templates write: namespaces, config maps, secrets, services and deployments. Each body
 * is checked the way the server checks it (names, the namespace it goes to, what must be there,
 * what may not change), with the server's own status codes and wording. A deployment written this
 * way rolls out through the controller (`holdRollout`: settled at once, or after a few reads).
 */

/** The kinds that may be written; every other kind answers 405 (the emulator serves them read-only). */
export const writablePlurals = ['namespaces', 'configmaps', 'secrets', 'services', 'deployments'] as const;
export const isWritable = (def: ResourceDef): boolean => (writablePlurals as readonly string[]).includes(def.plural);

const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** Namespaces and services are named by DNS labels (63 characters), the rest by subdomains (253). */
const nameProblem = (def: ResourceDef, name: string): string | undefined => {
  const label = def.plural === 'namespaces' || def.plural === 'services';
  if (label ? name.length > 63 || !dnsLabel.test(name) : name.length > 253 || !dnsSubdomain.test(name))
    return label
      ? `metadata.name: Invalid value: "${name}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`
      : `metadata.name: Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`;
  return undefined;
};

const StringMap = z.record(z.string(), z.string());
const Meta = z.looseObject({
  name: z.string().optional(),
  namespace: z.string().optional(),
  labels: StringMap.optional(),
  annotations: StringMap.optional(),
  resourceVersion: z.string().optional(),
});
const Body = z.looseObject({ apiVersion: z.string().optional(), kind: z.string().optional(), metadata: Meta });
type Body = z.infer<typeof Body>;

const ServicePort = z.looseObject({
  name: z.string().optional(),
  port: z.number().int().min(1).max(65_535),
  targetPort: z.union([z.number().int().min(1).max(65_535), z.string().min(1)]).optional(),
  protocol: z.enum(['TCP', 'UDP', 'SCTP']).optional(),
  nodePort: z.number().int().min(30_000).max(32_767).optional(),
});
const ServiceSpec = z.looseObject({
  type: z.enum(['ClusterIP', 'NodePort', 'LoadBalancer']).optional(),
  ports: z.array(ServicePort).min(1, 'Required value'),
  selector: StringMap.optional(),
  clusterIP: z.string().optional(),
});

/** Reads the body of a write: a JSON object with metadata whose apiVersion and kind, if given, are this resource's. */
export const parseBody = (def: ResourceDef, text: string): Body => {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new HttpFailure(400, 'BadRequest', 'the body of the request was in an unknown format');
  }
  const parsed = Body.safeParse(raw);
  if (!parsed.success)
    throw new HttpFailure(400, 'BadRequest', `the body is not a ${def.kind}: ${parsed.error.issues[0]?.message ?? ''}`);
  const body = parsed.data;
  if (body.apiVersion !== undefined && body.apiVersion !== apiVersionOf(def))
    throw new HttpFailure(
      400,
      'BadRequest',
      `the API version in the data (${body.apiVersion}) does not match the expected API version (${apiVersionOf(def)})`,
    );
  if (body.kind !== undefined && body.kind !== def.kind)
    throw new HttpFailure(
      400,
      'BadRequest',
      `the kind in the data (${body.kind}) does not match the expected kind (${def.kind})`,
    );
  return body;
};

/** Where a deterministic ClusterIP and node port come from: the service's namespace and name. */
const clusterIpOf = (ns: string, name: string): string => {
  const h = parseInt(hex(`svc/${ns}/${name}`, 4), 16);
  return `10.96.${(h >> 8) % 256}.${(h % 254) + 1}`;
};
const nodePortOf = (ns: string, name: string, port: number): number =>
  30_000 + (parseInt(hex(`np/${ns}/${name}/${port}`, 4), 16) % 2768);

/** What each kind's spec (or data) must hold; the server answers 422 Invalid with the field otherwise. */
const validate = (def: ResourceDef, name: string, body: Body, previous?: KubeObject): Record<string, unknown> => {
  const issues = (path: string, e: z.ZodError) =>
    e.issues.map((i) => `${path}${i.path.length ? `.${i.path.join('.')}` : ''}: ${i.message}`);
  switch (def.plural) {
    case 'namespaces':
      return { spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } };
    case 'configmaps':
    case 'secrets': {
      const data = StringMap.optional().safeParse(body.data);
      if (!data.success) throw invalid(def, name, issues('data', data.error));
      const size = JSON.stringify(body.data ?? {}).length + JSON.stringify(body.stringData ?? {}).length;
      if (size > 1_048_576) throw invalid(def, name, [`data: Too long: must have at most 1048576 bytes`]);
      if (def.plural === 'configmaps') return { data: data.data ?? {} };
      const stringData = StringMap.optional().safeParse(body.stringData);
      if (!stringData.success) throw invalid(def, name, issues('stringData', stringData.error));
      // stringData is write-only: the server stores it base64-encoded in data.
      const encoded = Object.fromEntries(
        Object.entries(stringData.data ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
      );
      return { type: typeof body.type === 'string' ? body.type : 'Opaque', data: { ...data.data, ...encoded } };
    }
    case 'services': {
      const spec = ServiceSpec.safeParse(body.spec);
      if (!spec.success) throw invalid(def, name, issues('spec', spec.error));
      const ns = body.metadata.namespace ?? '';
      const was = previous?.spec?.clusterIP as string | undefined;
      if (was && spec.data.clusterIP && spec.data.clusterIP !== was)
        throw invalid(def, name, [`spec.clusterIP: Invalid value: "${spec.data.clusterIP}": field is immutable`]);
      const type = spec.data.type ?? 'ClusterIP';
      const clusterIP = was ?? clusterIpOf(ns, name);
      return {
        spec: {
          ...spec.data,
          type,
          clusterIP,
          clusterIPs: [clusterIP],
          ports: spec.data.ports.map((p) => ({
            protocol: 'TCP',
            targetPort: p.port,
            ...p,
            ...(type !== 'ClusterIP' && !p.nodePort ? { nodePort: nodePortOf(ns, name, p.port) } : {}),
          })),
        },
        status: { loadBalancer: {} },
      };
    }
    case 'deployments': {
      const raw = (body.spec ?? {}) as Record<string, unknown>;
      const spec = DeploymentSpec.safeParse({ replicas: 1, ...raw });
      if (!spec.success) throw invalid(def, name, issues('spec', spec.error));
      const selector = spec.data.selector.matchLabels;
      const labels = spec.data.template.metadata?.labels ?? {};
      if (Object.keys(selector).length === 0 || Object.entries(selector).some(([k, v]) => labels[k] !== v))
        throw invalid(def, name, [
          `spec.template.metadata.labels: Invalid value: ${JSON.stringify(labels)}: \`selector\` does not match template \`labels\``,
        ]);
      const before = (previous?.spec as DeploymentSpec | undefined)?.selector?.matchLabels;
      if (before && JSON.stringify(before) !== JSON.stringify(selector))
        throw invalid(def, name, [
          `spec.selector: Invalid value: ${JSON.stringify({ matchLabels: selector })}: field is immutable`,
        ]);
      return { spec: { strategy: { type: 'RollingUpdate' }, revisionHistoryLimit: 10, ...spec.data } };
    }
    default:
      throw new HttpFailure(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
  }
};

const bump = (cluster: KubeClusterState, o: KubeObject): void => {
  cluster.revision += 1;
  o.metadata.resourceVersion = String(cluster.revision);
};

/** POST to a collection: a new object, or 409 when the name is taken, 404 when its namespace is not there. */
export const createObject = (
  cluster: KubeClusterState,
  def: ResourceDef,
  namespace: string | undefined,
  text: string,
): KubeObject => {
  const body = parseBody(def, text);
  const name = body.metadata.name;
  if (!name) throw invalid(def, '', ['metadata.name: Required value: name or generateName is required']);
  if (def.namespaced) {
    if (body.metadata.namespace !== undefined && body.metadata.namespace !== namespace)
      throw new HttpFailure(
        400,
        'BadRequest',
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    if (!cluster.objects.namespaces.some((n) => n.metadata.name === namespace))
      throw new HttpFailure(404, 'NotFound', `namespaces "${namespace}" not found`, {
        name: namespace,
        kind: 'namespaces',
      });
  }
  const problem = nameProblem(def, name);
  if (problem) throw invalid(def, name, [problem]);
  const store = cluster.objects[def.plural];
  if (store.some((o) => o.metadata.name === name && (!def.namespaced || o.metadata.namespace === namespace)))
    throw new HttpFailure(409, 'AlreadyExists', `${qualifiedPlural(def)} "${name}" already exists`, {
      name,
      ...(def.group ? { group: def.group } : {}),
      kind: def.plural,
    });
  const fields = validate(def, name, { ...body, metadata: { ...body.metadata, namespace } });
  const created = isoSeconds(cluster.now());
  const o: KubeObject = {
    apiVersion: apiVersionOf(def),
    kind: def.kind,
    metadata: {
      name,
      ...(def.namespaced ? { namespace: namespace! } : {}),
      // The revision makes a name created again (after a delete, at the same clock) a new object.
      uid: uidOf(`${def.kind}/${namespace ?? ''}/${name}/${created}/${cluster.revision}`),
      resourceVersion: '0',
      creationTimestamp: created,
      ...(def.plural === 'deployments' ? { generation: 1 } : {}),
      ...(body.metadata.labels ? { labels: body.metadata.labels } : {}),
      ...(body.metadata.annotations ? { annotations: body.metadata.annotations } : {}),
    },
    ...fields,
  };
  store.push(o);
  bump(cluster, o);
  if (def.plural === 'deployments') holdRollout(cluster, o);
  return o;
};

/**
 * PUT on an object: the whole object replaced but its identity (uid, creation time) and what the
 * server owns (a service's ClusterIP, a deployment's status and generation). A resourceVersion in
 * the body must be the current one (optimistic concurrency, 409 Conflict otherwise).
 */
export const replaceObject = (
  cluster: KubeClusterState,
  def: ResourceDef,
  found: KubeObject,
  text: string,
): KubeObject => {
  const body = parseBody(def, text);
  const name = found.metadata.name;
  if (body.metadata.name !== undefined && body.metadata.name !== name)
    throw new HttpFailure(
      400,
      'BadRequest',
      `the name of the object (${body.metadata.name}) does not match the name on the URL (${name})`,
    );
  if (def.namespaced && body.metadata.namespace !== undefined && body.metadata.namespace !== found.metadata.namespace)
    throw new HttpFailure(
      400,
      'BadRequest',
      'the namespace of the provided object does not match the namespace sent on the request',
    );
  if (body.metadata.resourceVersion && body.metadata.resourceVersion !== found.metadata.resourceVersion)
    throw new HttpFailure(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${qualifiedPlural(def)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
      { name, ...(def.group ? { group: def.group } : {}), kind: def.plural },
    );
  const fields = validate(
    def,
    name,
    { ...body, metadata: { ...body.metadata, namespace: found.metadata.namespace } },
    found,
  );
  const specChanged = def.plural === 'deployments' && JSON.stringify(fields.spec) !== JSON.stringify(found.spec);
  const keep = def.plural === 'deployments' || def.plural === 'namespaces' ? { status: found.status } : {};
  for (const k of Object.keys(found)) if (!['apiVersion', 'kind', 'metadata'].includes(k)) delete found[k];
  const { labels, annotations } = body.metadata;
  found.metadata = {
    name,
    ...(found.metadata.namespace ? { namespace: found.metadata.namespace } : {}),
    uid: found.metadata.uid,
    resourceVersion: found.metadata.resourceVersion,
    creationTimestamp: found.metadata.creationTimestamp,
    ...(found.metadata.generation !== undefined
      ? { generation: found.metadata.generation + (specChanged ? 1 : 0) }
      : {}),
    ...(labels ? { labels } : {}),
    ...(annotations ? { annotations } : {}),
  };
  Object.assign(found, fields, keep);
  bump(cluster, found);
  if (specChanged) holdRollout(cluster, found);
  return found;
};

/**
 * DELETE, settled at once (no Terminating phase, no finalizers): a deployment takes its
 * ReplicaSets and pods with it, a namespace every object in it.
 */
export const deleteObject = (cluster: KubeClusterState, def: ResourceDef, found: KubeObject): void => {
  const store = cluster.objects[def.plural];
  if (def.plural === 'deployments') {
    deleteDeployment(cluster, found);
    return;
  }
  if (def.plural === 'namespaces') {
    const ns = found.metadata.name;
    for (const d of cluster.objects.deployments.filter((x) => x.metadata.namespace === ns))
      deleteDeployment(cluster, d);
    for (const list of Object.values(cluster.objects))
      for (const o of list.filter((x) => x.metadata.namespace === ns)) list.splice(list.indexOf(o), 1);
  }
  store.splice(store.indexOf(found), 1);
  cluster.revision += 1;
};
