import type { Resource } from '../../cloud/resource.ts';
import { fail, manual, pass, type Rule } from '../rule.ts';

/**
 * Kubernetes security rules over what the inventory lists of a cluster
 * (src/cloud/kubernetes/README.md): pods with each container's security context, Roles and
 * ClusterRoles with their rules, bindings with their role and subjects.
 */

interface ContainerSecurity {
  name: string;
  privileged?: boolean;
  runAsNonRoot?: boolean | null;
}

/**
 * Pod Security Standards "restricted" asks every container to be required to run as non-root
 * (`runAsNonRoot: true`, on the container or the pod) and none to be privileged. The user id
 * (`runAsUser`) and the image's USER are not collected, so a container that is not required to
 * run as non-root counts as one that may run as root, as the standard itself counts it.
 */
const podPrivileged: Rule = {
  id: 'k8s.pod.privileged',
  title: 'Pods run no privileged or root containers',
  category: 'security',
  provider: 'kubernetes',
  types: ['pod'],
  severity: 'high',
  remediation:
    'Set securityContext.privileged: false and runAsNonRoot: true (with a non-zero runAsUser) on every container of the workload behind the pod, and enforce the "restricted" Pod Security Standard on its namespace.',
  evaluate(resource) {
    const containers = resource.attributes.containers;
    const summary = resource.attributes.securityContext as { privileged?: unknown; runAsNonRoot?: unknown } | undefined;
    if (!Array.isArray(containers) || !containers.length) {
      const evidence = { securityContext: summary ?? null };
      return manual(
        evidence,
        `The inventory has no container security context for pod ${resource.name}; check its spec.`,
      );
    }
    const list = containers as ContainerSecurity[];
    const privileged = list.filter((c) => c.privileged === true).map((c) => c.name);
    const mayRunAsRoot = list.filter((c) => c.runAsNonRoot !== true).map((c) => c.name);
    const evidence = {
      privilegedContainers: privileged,
      containersNotRequiredNonRoot: mayRunAsRoot,
      containers: list.map((c) => ({
        name: c.name,
        privileged: c.privileged ?? false,
        runAsNonRoot: c.runAsNonRoot ?? null,
      })),
    };
    const problems = [
      ...(privileged.length ? [`runs privileged container(s) ${privileged.join(', ')}`] : []),
      ...(mayRunAsRoot.length ? [`does not require ${mayRunAsRoot.join(', ')} to run as non-root`] : []),
    ];
    return problems.length ? fail(evidence, `Pod ${resource.name} ${problems.join(' and ')}.`) : pass(evidence);
  },
};

/** Kubernetes' own default roles and bindings, which the API server reconciles back if edited. */
const isBootstrap = (r: Resource) => r.tags['kubernetes.io/bootstrapping'] === 'rbac-defaults';

interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs?: string[];
}

const roleWildcards = (resource: Resource) => {
  const rules = Array.isArray(resource.attributes.rules) ? (resource.attributes.rules as PolicyRule[]) : [];
  const wildcardRules = rules.filter((r) => (r.verbs ?? []).includes('*') || (r.resources ?? []).includes('*'));
  const evidence = { scope: resource.attributes.scope, bootstrap: isBootstrap(resource), wildcardRules };
  if (!wildcardRules.length || isBootstrap(resource)) return pass(evidence);
  const what = [
    ...(wildcardRules.some((r) => r.verbs?.includes('*')) ? ['every verb'] : []),
    ...(wildcardRules.some((r) => r.resources?.includes('*')) ? ['every resource'] : []),
  ].join(' and ');
  return fail(evidence, `${resource.id} grants ${what} through "*" in ${wildcardRules.length} rule(s).`);
};

interface Subject {
  kind: string;
  name: string;
  namespace?: string;
}

const clusterAdminBinding = (resource: Resource) => {
  const { scope, roleRef, subjects, grantsClusterAdmin } = resource.attributes;
  const evidence = { scope, roleRef, subjects, grantsClusterAdmin, bootstrap: isBootstrap(resource) };
  if (grantsClusterAdmin !== true || isBootstrap(resource)) return pass(evidence);
  const who = (Array.isArray(subjects) ? (subjects as Subject[]) : [])
    .map((s) => `${s.kind} ${s.namespace ? `${s.namespace}/` : ''}${s.name}`)
    .join(', ');
  const where =
    scope === 'namespace' ? ` within namespace ${String(resource.attributes.namespace)}` : ' over the whole cluster';
  return fail(evidence, `${resource.id} grants cluster-admin${where} to ${who || 'no subjects'}.`);
};

const rbacWildcards: Rule = {
  id: 'k8s.rbac.wildcards',
  title: 'RBAC roles use no wildcards and cluster-admin is bound only where required',
  category: 'security',
  provider: 'kubernetes',
  types: ['role', 'role_binding'],
  severity: 'high',
  remediation:
    'Replace "*" in verbs and resources with the verbs and resources the role needs; bind narrower roles instead of cluster-admin, keeping it for break-glass groups only.',
  evaluate: (resource) => (resource.type === 'role' ? roleWildcards(resource) : clusterAdminBinding(resource)),
};

export const kubernetesRules: readonly Rule[] = [podPrivileged, rbacWildcards];
