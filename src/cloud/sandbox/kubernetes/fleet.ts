import { reconcileDeployment } from './controller.ts';
import { defOf, emptyObjects, hex, isoSeconds, makeObject } from './model.ts';
import type { KubeClusterSeed, KubeClusterState, KubeObject, Labels, Plural } from './model.ts';
import { podFromTemplate } from './controller.ts';

/**
 * The seeded demo estate: two clusters, `prod-eu` (metrics-server installed) and `dev-us` (none),
 * with the problems a review should find: a node under MemoryPressure and one NotReady, a
 * deployment whose last rollout pulls an image that does not exist (ImagePullBackOff, degraded,
 * rollback fixes it), a pod in CrashLoopBackOff with dozens of restarts, a deployment without
 * resource requests or limits, a privileged pod on the host network, a LoadBalancer service, a
 * Released persistent volume still holding 500 GiB, and cluster-admin bound to a CI service
 * account. Names, uids and times derive from `now`: the same clock gives the same estate.
 */

const day = 86_400_000;

interface ContainerSeed {
  name: string;
  port?: number;
  /** Omit for a container without requests and limits. */
  resources?: { requests: Labels; limits?: Labels };
  securityContext?: Record<string, unknown>;
}

interface DeploymentSeed {
  namespace: string;
  name: string;
  labels: Labels;
  replicas: number;
  containers: ContainerSeed[];
  /** Images of each revision, oldest first (one per container), with how many days ago it rolled out. */
  history: { images: string[]; daysAgo: number }[];
  podSecurityContext?: Record<string, unknown>;
}

class Builder {
  readonly cluster: KubeClusterState;
  readonly #now: Date;
  constructor(name: string, metrics: boolean, now: Date) {
    this.#now = now;
    this.cluster = {
      name,
      token: `sandbox-${name}-token`,
      metrics,
      version: 'v1.31.4',
      objects: emptyObjects(),
      imageFaults: {},
      revision: 1,
      now: () => now,
    };
  }

  ago(days: number): Date {
    return new Date(this.#now.getTime() - days * day);
  }

  add(plural: Plural, o: KubeObject): KubeObject {
    this.cluster.revision += 1;
    o.metadata.resourceVersion = String(this.cluster.revision);
    this.cluster.objects[plural].push(o);
    return o;
  }

  node(
    name: string,
    o: { zone: string; instanceType: string; cpu: string; memory: string; days: number },
    problems: { memoryPressure?: boolean; notReady?: boolean } = {},
  ): void {
    const at = isoSeconds(this.ago(o.days));
    const cond = (type: string, status: string, reason: string, message: string) => ({
      type,
      status,
      reason,
      message,
      lastHeartbeatTime: isoSeconds(this.#now),
      lastTransitionTime: at,
    });
    const allocatableMemory = `${Math.round(Number.parseInt(o.memory, 10) * 1024 * 1024 * 0.92)}Ki`;
    this.add(
      'nodes',
      makeObject(
        defOf('nodes'),
        {
          name,
          labels: {
            'kubernetes.io/hostname': name,
            'kubernetes.io/os': 'linux',
            'node.kubernetes.io/instance-type': o.instanceType,
            'topology.kubernetes.io/zone': o.zone,
          },
          createdAt: this.ago(o.days),
        },
        {
          spec: { podCIDR: `10.244.${parseInt(hex(name, 2), 16)}.0/24`, providerID: `sandbox://${name}` },
          status: {
            capacity: {
              cpu: o.cpu,
              memory: `${Number.parseInt(o.memory, 10) * 1024 * 1024}Ki`,
              pods: '110',
              'ephemeral-storage': '104845292Ki',
            },
            allocatable: {
              cpu: `${Number.parseInt(o.cpu, 10) * 1000 - 80}m`,
              memory: allocatableMemory,
              pods: '110',
              'ephemeral-storage': '96625420948',
            },
            conditions: [
              problems.memoryPressure
                ? cond(
                    'MemoryPressure',
                    'True',
                    'KubeletHasInsufficientMemory',
                    'kubelet has insufficient memory available',
                  )
                : cond(
                    'MemoryPressure',
                    'False',
                    'KubeletHasSufficientMemory',
                    'kubelet has sufficient memory available',
                  ),
              cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
              cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
              problems.notReady
                ? cond('Ready', 'Unknown', 'NodeStatusUnknown', 'Kubelet stopped posting node status.')
                : cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
            ],
            addresses: [
              { type: 'InternalIP', address: `10.0.${parseInt(hex(name, 2), 16)}.10` },
              { type: 'Hostname', address: name },
            ],
            nodeInfo: {
              kubeletVersion: this.cluster.version,
              kubeProxyVersion: this.cluster.version,
              containerRuntimeVersion: 'containerd://1.7.22',
              osImage: 'Ubuntu 24.04.1 LTS',
              kernelVersion: '6.8.0-1015-aws',
              architecture: 'amd64',
              operatingSystem: 'linux',
            },
          },
        },
      ),
    );
  }

  namespace(name: string, labels: Labels = {}): void {
    this.add(
      'namespaces',
      makeObject(
        defOf('namespaces'),
        { name, labels: { 'kubernetes.io/metadata.name': name, ...labels }, createdAt: this.ago(400) },
        { spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } },
      ),
    );
  }

  deployment(d: DeploymentSeed): void {
    const first = d.history[0]!;
    const selector = { app: d.labels.app ?? d.name };
    const template = (images: string[]) => ({
      metadata: { labels: { ...selector, ...d.labels } },
      spec: {
        containers: d.containers.map((c, i) => ({
          name: c.name,
          image: images[i]!,
          ...(c.port ? { ports: [{ containerPort: c.port, protocol: 'TCP' }] } : {}),
          ...(c.resources ? { resources: c.resources } : { resources: {} }),
          ...(c.securityContext ? { securityContext: c.securityContext } : {}),
          imagePullPolicy: 'IfNotPresent',
        })),
        ...(d.podSecurityContext ? { securityContext: d.podSecurityContext } : {}),
        restartPolicy: 'Always',
        terminationGracePeriodSeconds: 30,
      },
    });
    const deployment = makeObject(
      defOf('deployments'),
      { name: d.name, namespace: d.namespace, labels: d.labels, createdAt: this.ago(first.daysAgo) },
      {
        spec: {
          replicas: d.replicas,
          selector: { matchLabels: selector },
          template: template(first.images),
          strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
          revisionHistoryLimit: 10,
          progressDeadlineSeconds: 600,
        },
      },
    );
    deployment.metadata.generation = 1;
    this.add('deployments', deployment);
    d.history.forEach((h, i) => {
      if (i > 0) {
        deployment.spec = { ...deployment.spec, template: template(h.images) };
        deployment.metadata.generation = (deployment.metadata.generation ?? 1) + 1;
      }
      reconcileDeployment(this.cluster, deployment, this.ago(h.daysAgo));
    });
  }

  pod(
    namespace: string,
    name: string,
    spec: Record<string, unknown>,
    labels: Labels,
    o: { node: string; daysAgo: number; owner?: { kind: string; name: string } },
  ): void {
    const pod = podFromTemplate(
      { metadata: { labels }, spec },
      { name, namespace, node: o.node, at: this.ago(o.daysAgo) },
    );
    if (o.owner)
      pod.metadata.ownerReferences = [
        { apiVersion: 'apps/v1', kind: o.owner.kind, name: o.owner.name, uid: hex(o.owner.name, 32), controller: true },
      ];
    this.add('pods', pod);
  }

  service(
    namespace: string,
    name: string,
    labels: Labels,
    spec: Record<string, unknown>,
    status: Record<string, unknown> = { loadBalancer: {} },
  ): void {
    const ip = `10.96.${parseInt(hex(name, 2), 16)}.${parseInt(hex(`${namespace}/${name}`, 2), 16)}`;
    this.add(
      'services',
      makeObject(
        defOf('services'),
        { name, namespace, labels, createdAt: this.ago(200) },
        {
          spec: { clusterIP: ip, clusterIPs: [ip], ipFamilies: ['IPv4'], sessionAffinity: 'None', ...spec },
          status,
        },
      ),
    );
  }

  pv(
    name: string,
    o: {
      size: string;
      storageClass: string;
      phase: string;
      claim?: { namespace: string; name: string };
      reclaim: string;
      daysAgo: number;
    },
  ): void {
    this.add(
      'persistentvolumes',
      makeObject(
        defOf('persistentvolumes'),
        { name, createdAt: this.ago(o.daysAgo) },
        {
          spec: {
            capacity: { storage: o.size },
            accessModes: ['ReadWriteOnce'],
            persistentVolumeReclaimPolicy: o.reclaim,
            storageClassName: o.storageClass,
            volumeMode: 'Filesystem',
            csi: { driver: 'ebs.csi.aws.com', volumeHandle: `vol-${hex(name, 17)}`, fsType: 'ext4' },
            ...(o.claim
              ? {
                  claimRef: { kind: 'PersistentVolumeClaim', apiVersion: 'v1', ...o.claim, uid: hex(o.claim.name, 32) },
                }
              : {}),
          },
          status: { phase: o.phase, lastPhaseTransitionTime: isoSeconds(this.ago(o.daysAgo)) },
        },
      ),
    );
  }

  pvc(
    namespace: string,
    name: string,
    o: { size: string; storageClass: string; phase: string; volume?: string; labels?: Labels },
  ): void {
    this.add(
      'persistentvolumeclaims',
      makeObject(
        defOf('persistentvolumeclaims'),
        { name, namespace, labels: o.labels, createdAt: this.ago(150) },
        {
          spec: {
            accessModes: ['ReadWriteOnce'],
            resources: { requests: { storage: o.size } },
            storageClassName: o.storageClass,
            volumeMode: 'Filesystem',
            ...(o.volume ? { volumeName: o.volume } : {}),
          },
          status: {
            phase: o.phase,
            ...(o.phase === 'Bound' ? { accessModes: ['ReadWriteOnce'], capacity: { storage: o.size } } : {}),
          },
        },
      ),
    );
  }

  role(plural: 'roles' | 'clusterroles', name: string, rules: Record<string, unknown>[], namespace?: string): void {
    this.add(plural, makeObject(defOf(plural), { name, namespace, createdAt: this.ago(300) }, { rules }));
  }

  binding(
    plural: 'rolebindings' | 'clusterrolebindings',
    name: string,
    roleRef: { kind: string; name: string },
    subjects: Record<string, unknown>[],
    namespace?: string,
  ): void {
    this.add(
      plural,
      makeObject(
        defOf(plural),
        { name, namespace, createdAt: this.ago(120) },
        {
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', ...roleRef },
          subjects,
        },
      ),
    );
  }

  seed(): KubeClusterSeed {
    const { name, token, metrics, version, objects, imageFaults } = this.cluster;
    return { name, token, metrics, version, objects, imageFaults };
  }
}

const requests = (cpu: string, memory: string, limits = true) => ({
  requests: { cpu, memory },
  ...(limits ? { limits: { cpu: `${Number.parseInt(cpu, 10) * 2}m`, memory } } : {}),
});
const nonRoot = { runAsNonRoot: true, runAsUser: 10001, fsGroup: 10001 };

const commonRbac = (b: Builder): void => {
  b.role('clusterroles', 'cluster-admin', [
    { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
    { nonResourceURLs: ['*'], verbs: ['*'] },
  ]);
  b.role('clusterroles', 'view', [
    {
      apiGroups: ['', 'apps'],
      resources: ['pods', 'services', 'deployments', 'replicasets'],
      verbs: ['get', 'list', 'watch'],
    },
  ]);
  b.binding('clusterrolebindings', 'cluster-admin', { kind: 'ClusterRole', name: 'cluster-admin' }, [
    { kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'system:masters' },
  ]);
};

const prodEu = (now: Date): KubeClusterSeed => {
  const b = new Builder('prod-eu', true, now);
  b.cluster.imageFaults['registry.example.com/payments-worker:2.4.0-rc1'] = 'ImagePullBackOff';
  b.node('prod-eu-node-1', { zone: 'eu-west-1a', instanceType: 'm6i.xlarge', cpu: '4', memory: '16', days: 180 });
  b.node('prod-eu-node-2', { zone: 'eu-west-1b', instanceType: 'm6i.xlarge', cpu: '4', memory: '16', days: 180 });
  b.node(
    'prod-eu-node-3',
    { zone: 'eu-west-1c', instanceType: 'r6i.large', cpu: '2', memory: '16', days: 45 },
    { memoryPressure: true },
  );
  b.namespace('default');
  b.namespace('kube-system');
  b.namespace('web', { env: 'prod', owner: 'team-web' });
  b.namespace('payments', { env: 'prod', owner: 'team-payments' });
  b.deployment({
    namespace: 'web',
    name: 'frontend',
    labels: { app: 'frontend', env: 'prod', service: 'web', owner: 'team-web' },
    replicas: 3,
    containers: [
      {
        name: 'nginx',
        port: 8080,
        resources: requests('250m', '256Mi'),
        securityContext: { allowPrivilegeEscalation: false },
      },
    ],
    history: [
      { images: ['registry.example.com/frontend:1.41.0'], daysAgo: 60 },
      { images: ['registry.example.com/frontend:1.42.0'], daysAgo: 20 },
      { images: ['registry.example.com/frontend:1.42.1'], daysAgo: 3 },
    ],
    podSecurityContext: nonRoot,
  });
  b.deployment({
    namespace: 'payments',
    name: 'payments-api',
    labels: { app: 'payments-api', env: 'prod', service: 'payments', owner: 'team-payments' },
    replicas: 2,
    containers: [{ name: 'api', port: 8443, resources: requests('500m', '512Mi') }],
    history: [
      { images: ['registry.example.com/payments-api:3.7.2'], daysAgo: 90 },
      { images: ['registry.example.com/payments-api:3.8.0'], daysAgo: 14 },
    ],
    podSecurityContext: nonRoot,
  });
  b.deployment({
    namespace: 'payments',
    name: 'payments-worker',
    labels: { app: 'payments-worker', env: 'prod', service: 'payments', owner: 'team-payments' },
    replicas: 2,
    containers: [{ name: 'worker', resources: requests('200m', '384Mi') }],
    history: [
      { images: ['registry.example.com/payments-worker:2.3.5'], daysAgo: 40 },
      { images: ['registry.example.com/payments-worker:2.4.0-rc1'], daysAgo: 1 },
    ],
    podSecurityContext: nonRoot,
  });
  b.deployment({
    namespace: 'web',
    name: 'legacy-admin',
    labels: { app: 'legacy-admin', env: 'prod', service: 'admin' },
    replicas: 1,
    containers: [{ name: 'admin', port: 80 }],
    history: [{ images: ['registry.example.com/legacy-admin:0.9.3'], daysAgo: 700 }],
  });
  b.deployment({
    namespace: 'kube-system',
    name: 'coredns',
    labels: { 'k8s-app': 'kube-dns', app: 'coredns' },
    replicas: 2,
    containers: [
      {
        name: 'coredns',
        port: 53,
        resources: { requests: { cpu: '100m', memory: '70Mi' }, limits: { memory: '170Mi' } },
      },
    ],
    history: [{ images: ['registry.k8s.io/coredns/coredns:v1.11.3'], daysAgo: 180 }],
  });
  b.pod(
    'default',
    'debug-shell',
    {
      hostNetwork: true,
      hostPID: true,
      containers: [
        {
          name: 'shell',
          image: 'docker.io/library/ubuntu:24.04',
          command: ['sleep', 'infinity'],
          securityContext: { privileged: true },
          resources: {},
        },
      ],
    },
    { run: 'debug-shell' },
    { node: 'prod-eu-node-2', daysAgo: 9 },
  );
  b.service(
    'web',
    'frontend',
    { app: 'frontend', env: 'prod', service: 'web' },
    {
      type: 'LoadBalancer',
      selector: { app: 'frontend' },
      ports: [
        { name: 'http', port: 80, targetPort: 8080, protocol: 'TCP', nodePort: 31080 },
        { name: 'https', port: 443, targetPort: 8080, protocol: 'TCP', nodePort: 31443 },
      ],
      externalTrafficPolicy: 'Cluster',
    },
    { loadBalancer: { ingress: [{ hostname: `a${hex('frontend-lb', 12)}.elb.eu-west-1.amazonaws.com` }] } },
  );
  b.service(
    'payments',
    'payments-api',
    { app: 'payments-api', env: 'prod', service: 'payments' },
    {
      type: 'ClusterIP',
      selector: { app: 'payments-api' },
      ports: [{ name: 'https', port: 443, targetPort: 8443, protocol: 'TCP' }],
    },
  );
  b.service(
    'default',
    'kubernetes',
    { component: 'apiserver', provider: 'kubernetes' },
    {
      type: 'ClusterIP',
      ports: [{ name: 'https', port: 443, targetPort: 6443, protocol: 'TCP' }],
    },
  );
  b.pv('pvc-payments-db', {
    size: '100Gi',
    storageClass: 'gp3',
    phase: 'Bound',
    claim: { namespace: 'payments', name: 'ledger-data' },
    reclaim: 'Delete',
    daysAgo: 150,
  });
  b.pv('pvc-old-reports', {
    size: '500Gi',
    storageClass: 'gp3-retain',
    phase: 'Released',
    claim: { namespace: 'web', name: 'reports-archive' },
    reclaim: 'Retain',
    daysAgo: 320,
  });
  b.pvc('payments', 'ledger-data', {
    size: '100Gi',
    storageClass: 'gp3',
    phase: 'Bound',
    volume: 'pvc-payments-db',
    labels: { env: 'prod', service: 'payments' },
  });
  commonRbac(b);
  b.binding('clusterrolebindings', 'ci-deployer-admin', { kind: 'ClusterRole', name: 'cluster-admin' }, [
    { kind: 'ServiceAccount', name: 'deployer', namespace: 'ci' },
  ]);
  b.role(
    'roles',
    'payments-reader',
    [{ apiGroups: [''], resources: ['pods', 'pods/log'], verbs: ['get', 'list'] }],
    'payments',
  );
  b.binding(
    'rolebindings',
    'payments-reader',
    { kind: 'Role', name: 'payments-reader' },
    [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'alice@example.com' }],
    'payments',
  );
  return b.seed();
};

const devUs = (now: Date): KubeClusterSeed => {
  const b = new Builder('dev-us', false, now);
  b.cluster.imageFaults['registry.example.com/search-indexer:5.0.0'] = 'CrashLoopBackOff';
  b.node('dev-us-node-1', { zone: 'us-east-1a', instanceType: 't3.large', cpu: '2', memory: '8', days: 90 });
  b.node('dev-us-node-2', { zone: 'us-east-1b', instanceType: 't3.large', cpu: '2', memory: '8', days: 90 });
  b.node(
    'dev-us-node-3',
    { zone: 'us-east-1b', instanceType: 't3.large', cpu: '2', memory: '8', days: 12 },
    { notReady: true },
  );
  b.namespace('default');
  b.namespace('kube-system');
  b.namespace('staging', { env: 'staging' });
  b.namespace('search', { env: 'dev', owner: 'team-search' });
  b.deployment({
    namespace: 'search',
    name: 'search-indexer',
    labels: { app: 'search-indexer', env: 'dev', service: 'search', owner: 'team-search' },
    replicas: 1,
    containers: [{ name: 'indexer', resources: requests('500m', '1Gi') }],
    history: [{ images: ['registry.example.com/search-indexer:5.0.0'], daysAgo: 2 }],
  });
  b.deployment({
    namespace: 'staging',
    name: 'api',
    labels: { app: 'api', env: 'staging', service: 'api', owner: 'team-api' },
    replicas: 2,
    containers: [{ name: 'api', port: 8080, resources: requests('100m', '128Mi') }],
    history: [
      { images: ['registry.example.com/api:2025.11.2'], daysAgo: 10 },
      { images: ['registry.example.com/api:2025.11.3'], daysAgo: 4 },
    ],
    podSecurityContext: nonRoot,
  });
  b.service(
    'staging',
    'api',
    { app: 'api', env: 'staging', service: 'api' },
    {
      type: 'NodePort',
      selector: { app: 'api' },
      ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP', nodePort: 30080 }],
    },
  );
  b.service(
    'default',
    'kubernetes',
    { component: 'apiserver', provider: 'kubernetes' },
    {
      type: 'ClusterIP',
      ports: [{ name: 'https', port: 443, targetPort: 6443, protocol: 'TCP' }],
    },
  );
  b.pvc('staging', 'scratch', { size: '20Gi', storageClass: 'fast-ssd', phase: 'Pending', labels: { env: 'staging' } });
  commonRbac(b);
  b.role(
    'roles',
    'staging-deployer',
    [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list', 'patch'] }],
    'staging',
  );
  b.binding(
    'rolebindings',
    'staging-deployer',
    { kind: 'Role', name: 'staging-deployer' },
    [{ kind: 'ServiceAccount', name: 'ci', namespace: 'staging' }],
    'staging',
  );
  return b.seed();
};

/** The demo estate for `now`: `prod-eu` with metrics, `dev-us` without. */
export const seedKubeFleet = (now: Date): KubeClusterSeed[] => [prodEu(now), devUs(now)];

/**
 * `count` extra running pods in `namespace` (a big cluster for pagination tests), spread over the
 * cluster's nodes; names are `bulk-00000`, `bulk-00001`, … .
 */
export const addBulkPods = (seed: KubeClusterSeed, namespace: string, count: number, now: Date): void => {
  const nodes = seed.objects.nodes.map((n) => n.metadata.name);
  for (let i = 0; i < count; i++) {
    const name = `bulk-${String(i).padStart(5, '0')}`;
    seed.objects.pods.push(
      podFromTemplate(
        {
          metadata: { labels: { app: 'bulk' } },
          spec: { containers: [{ name: 'app', image: 'registry.example.com/bulk:1' }] },
        },
        { name, namespace, node: nodes[i % nodes.length], at: now },
      ),
    );
  }
};
