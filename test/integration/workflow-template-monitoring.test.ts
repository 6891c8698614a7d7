import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { KubernetesProvider } from '../../src/cloud/kubernetes/provider.ts';
import type { Resource } from '../../src/cloud/resource.ts';
import { startKubernetesSandbox, type KubeSandbox } from '../../src/cloud/sandbox/kubernetes/server.ts';
import type { KubeObject } from '../../src/cloud/sandbox/kubernetes/model.ts';
import { planWorkflow, type PlanDeps } from '../../src/workflows/plan.ts';
import { loadWorkspaceTemplates } from '../../src/workflows/registry.ts';
import { runWorkflow } from '../../src/workflows/run.ts';
import type { Template } from '../../src/workflows/template.ts';
import { rejectedAppError } from '../helpers/cloud.ts';
import { fakeRunDeps } from '../fixtures/workflow-aws-run.ts';

// The built-in prometheus-grafana template, loaded as the app loads it, planned over the Kubernetes
// provider's live listing and run step by step through the real @kubernetes/client-node against
// the sandbox's API server: everything made and available; a step failing half way and what ran
// undone in reverse (a namespace the run made deleted with it); and a run over objects that were
// there, failing at the end, that puts those objects back as they were.
const now = new Date('2026-11-01T12:00:00Z');
let kube: KubeSandbox;
let k8s: KubernetesProvider;
let template: Template;

const cluster = () => kube.clusters.find((c) => c.name === 'prod-eu')!;
const inventory = async (): Promise<Resource[]> =>
  (await Promise.all(k8s.sources().map((s) => k8s.listSource(s)))).flat();
const inCluster = async (id: string): Promise<Resource | undefined> =>
  (await inventory()).find((r) => r.account === 'prod-eu' && r.id === id);
const objectsIn = (namespace: string) =>
  Object.entries(cluster().state.objects).flatMap(([plural, list]) =>
    list.filter((o) => o.metadata.namespace === namespace).map((o) => `${plural}/${o.metadata.name}`),
  );
const stored = (plural: 'configmaps' | 'services' | 'deployments', ns: string, name: string): KubeObject =>
  cluster().state.objects[plural].find((o) => o.metadata.namespace === ns && o.metadata.name === name)!;

const planDeps: PlanDeps = {
  provider: (name) => (name === 'kubernetes' ? k8s : undefined),
  resource: async (_provider, type, ref) => {
    const r = (await inventory()).find((x) => x.type === type && (x.id === ref || x.name === ref));
    if (!r) throw new Error(`no ${type} ${ref}`);
    return r;
  },
};

/** Run deps: a wait's poll passes at once (counted); a step's timeout fires only after `pollsBeforeTimeout` polls. */
const runDeps = (o: { pollsBeforeTimeout?: number } = {}) => fakeRunDeps({ kubernetes: k8s }, () => now, o);

/** What an operator does before the run: the namespace and the Grafana admin Secret (kubectl create …). */
const post = async (path: string, body: object): Promise<Response> =>
  fetch(`${cluster().url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${cluster().token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
const prepare = async (namespace: string, secret?: string) => {
  expect((await post('/api/v1/namespaces', { metadata: { name: namespace } })).status).toBe(201);
  if (secret)
    expect(
      (
        await post(`/api/v1/namespaces/${namespace}/secrets`, {
          metadata: { name: secret },
          stringData: { GF_SECURITY_ADMIN_USER: 'admin', GF_SECURITY_ADMIN_PASSWORD: 'not-in-any-plan' },
        })
      ).status,
    ).toBe(201);
};

beforeEach(async () => {
  kube = await startKubernetesSandbox({ now: () => now });
  k8s = new KubernetesProvider({
    kubeconfig: kube.kubeconfig(),
    sandbox: true,
    now: () => now,
    retry: { sleep: async () => undefined },
  });
  const registry = await loadWorkspaceTemplates();
  template = registry.latest('prometheus-grafana')!;
});
afterEach(async () => {
  k8s.close();
  await kube.stop();
});

describe('the prometheus-grafana template', () => {
  it('is built in: loaded with the workspace templates, its inputs typed and defaulted', async () => {
    expect(template).toMatchObject({ name: 'prometheus-grafana', category: 'observability', provider: 'kubernetes' });
    expect(Object.keys(template.inputs)).toEqual([
      'cluster',
      'namespace',
      'retention',
      'grafana_admin_secret',
      'replicas',
    ]);
    expect(template.inputs.cluster).toMatchObject({
      type: 'resource',
      resource: { type: 'cluster', provider: 'kubernetes' },
    });
    // Bad inputs are refused all at once, before anything is read from the cluster.
    const err = await rejectedAppError(
      planWorkflow(planDeps, template, {
        cluster: 'prod-eu',
        retention: '15 days',
        replicas: '9',
        namespace: 'Monitoring',
      }),
    );
    expect(err.userMessage.split('\n')).toEqual([
      'prometheus-grafana cannot run with these inputs:',
      '- namespace: "Monitoring" does not match [a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?',
      '- retention: "15 days" does not match [1-9][0-9]{0,3}[hdwy]',
      '- replicas: 9 is above the maximum 5',
    ]);
  });

  it('lists each context as a cluster, and plans every step on it with the secret named, never read', async () => {
    const clusters = (await inventory()).filter((r) => r.type === 'cluster');
    expect(clusters.map((c) => [c.id, c.name, c.account, c.state, c.attributes.version])).toEqual([
      ['cluster/prod-eu', 'prod-eu', 'prod-eu', 'active', 'v1.31.4'],
      ['cluster/dev-us', 'dev-us', 'dev-us', 'active', 'v1.31.4'],
    ]);
    const plan = await planWorkflow(planDeps, template, { cluster: 'prod-eu' });
    expect(plan.inputs).toEqual({
      cluster: 'prod-eu',
      namespace: 'monitoring',
      retention: '15d',
      grafana_admin_secret: 'grafana-admin',
      replicas: '1',
    });
    expect(
      plan.steps.map((s) => (s.kind === 'approval' ? [s.id] : [s.id, s.kind, s.target.type, s.target.id])),
    ).toEqual([
      ['namespace', 'action', 'cluster', 'cluster/prod-eu'],
      ['prometheus_config', 'action', 'namespace', '${steps.namespace.namespace}'],
      ['prometheus', 'action', 'namespace', '${steps.namespace.namespace}'],
      ['prometheus_service', 'action', 'namespace', '${steps.namespace.namespace}'],
      ['grafana_datasource', 'action', 'namespace', '${steps.namespace.namespace}'],
      ['grafana', 'action', 'namespace', '${steps.namespace.namespace}'],
      ['grafana_service', 'action', 'namespace', '${steps.namespace.namespace}'],
      ['prometheus_available', 'wait', 'deployment', '${steps.prometheus.deployment}'],
      ['grafana_available', 'wait', 'deployment', '${steps.grafana.deployment}'],
    ]);
    expect(plan.steps[0]).toMatchObject({ kind: 'action', action: 'create_namespace', params: { name: 'monitoring' } });
    expect(plan.steps[2]).toMatchObject({
      params: expect.objectContaining({ args: expect.stringContaining('--storage.tsdb.retention.time=15d') }),
    });
    expect(plan.steps[5]).toMatchObject({ params: expect.objectContaining({ envFromSecret: 'grafana-admin' }) });
    expect(JSON.stringify(plan)).not.toContain('not-in-any-plan');
    expect(plan.monthlyCents).toBe(0);
  });

  it('runs end to end: the stack made, both deployments available, Grafana pointed at Prometheus', async () => {
    await prepare('monitoring', 'grafana-admin');
    const plan = await planWorkflow(planDeps, template, { cluster: 'prod-eu', retention: '30d', replicas: '2' });
    const { deps, records, polls } = runDeps();
    const out = await runWorkflow(deps, plan);
    expect(out).toMatchObject({ status: 'succeeded', summary: 'prometheus-grafana: all 9 steps done.' });
    expect(records.map((r) => [r.id, r.status])).toEqual(plan.steps.map((s) => [s.id, 'succeeded']));
    // The namespace was there: used as it is. Everything else was made, and said so.
    expect(records[0]).toMatchObject({ previous: { existed: 'true' }, outputs: { namespace: 'namespace/monitoring' } });
    expect(records[2]).toMatchObject({
      previous: { existed: 'false' },
      outputs: { deployment: 'monitoring/deployment/prometheus', created: 'true', state: 'progressing' },
    });
    // Each rollout was seen progressing before it was available: the waits polled.
    expect(polls()).toBeGreaterThanOrEqual(2);

    const all = (await inventory()).filter((r) => r.account === 'prod-eu' && r.attributes.namespace === 'monitoring');
    const byId = (id: string) => all.find((r) => r.id === id);
    for (const app of ['prometheus', 'grafana']) {
      expect(byId(`monitoring/deployment/${app}`)).toMatchObject({
        state: 'available',
        attributes: expect.objectContaining({ replicas: expect.objectContaining({ desired: 2, available: 2 }) }),
      });
      expect(byId(`monitoring/service/${app}`)).toMatchObject({ state: 'active' });
      expect(
        all.filter((r) => r.type === 'pod' && r.attributes.ownerDeployment === app && r.state === 'running'),
      ).toHaveLength(2);
    }
    expect(byId('monitoring/deployment/prometheus')?.attributes.images).toEqual(['prom/prometheus:v3.5.0']);
    expect(byId('monitoring/service/grafana')?.attributes).toMatchObject({
      ports: [expect.objectContaining({ port: 3000 })],
    });
    expect(byId('monitoring/configmap/prometheus-config')).toMatchObject({
      type: 'config_map',
      attributes: expect.objectContaining({ keys: ['prometheus.yml'] }),
    });
    expect(byId('monitoring/configmap/grafana-datasources')?.attributes.keys).toEqual(['prometheus.yaml']);

    // What the API server holds: built from the typed parameters.
    const prometheus = stored('deployments', 'monitoring', 'prometheus').spec as {
      template: { spec: { containers: { args: string[]; volumeMounts: unknown[] }[]; volumes: unknown[] } };
    };
    expect(prometheus.template.spec.containers[0]!.args).toContain('--storage.tsdb.retention.time=30d');
    expect(prometheus.template.spec.volumes).toEqual([{ name: 'config', configMap: { name: 'prometheus-config' } }]);
    const datasource = (stored('configmaps', 'monitoring', 'grafana-datasources').data as Record<string, string>)[
      'prometheus.yaml'
    ];
    expect(datasource).toContain('url: http://prometheus.monitoring.svc:9090');
    const grafana = stored('deployments', 'monitoring', 'grafana').spec as {
      template: { spec: { containers: { envFrom: unknown[] }[] } };
    };
    expect(grafana.template.spec.containers[0]!.envFrom).toEqual([{ secretRef: { name: 'grafana-admin' } }]);
    expect((stored('services', 'monitoring', 'prometheus').spec as { selector: unknown }).selector).toEqual({
      'app.kubernetes.io/name': 'prometheus',
    });
  });

  it('undoes what ran, in reverse, when a step fails half way: the namespace it made goes too', async () => {
    const plan = await planWorkflow(planDeps, template, { cluster: 'prod-eu', namespace: 'observability' });
    // The API server fails the second deployment it is asked to create (Grafana's).
    let applies = 0;
    const execute = k8s.execute.bind(k8s);
    k8s.execute = async (action, opts) => {
      if (action.action === 'apply_deployment' && ++applies === 2)
        kube.failNext('prod-eu', 'POST /apis/apps/v1/namespaces/observability/deployments', {
          status: 500,
          message: 'etcdserver: request timed out',
        });
      return execute(action, opts);
    };
    const { deps, records } = runDeps();
    const out = await runWorkflow(deps, plan);
    expect(out.status).toBe('failed');
    expect(out.error).toMatch(
      /context prod-eu failed while applying deployment observability\/deployment\/grafana: etcdserver: request timed out \(HTTP 500\)/,
    );
    expect(records.map((r) => [r.id, r.status])).toEqual([
      ['namespace', 'succeeded'],
      ['prometheus_config', 'succeeded'],
      ['prometheus', 'succeeded'],
      ['prometheus_service', 'succeeded'],
      ['grafana_datasource', 'succeeded'],
      ['grafana', 'failed'],
      ['grafana_datasource', 'compensated'],
      ['prometheus_service', 'compensated'],
      ['prometheus', 'compensated'],
      ['prometheus_config', 'compensated'],
      ['namespace', 'compensated'],
    ]);
    expect(out.summary.split('\n').slice(1)).toEqual([
      "- Apply Grafana's data source (the Prometheus service): undone (config map observability/configmap/grafana-datasources deleted (recorded first))",
      '- Apply the Prometheus service: undone (service observability/service/prometheus deleted (recorded first))',
      '- Apply the Prometheus deployment: undone (deployment observability/deployment/prometheus deleted (recorded first))',
      '- Apply the Prometheus configuration (prometheus.yml): undone (config map observability/configmap/prometheus-config deleted (recorded first))',
      '- Create the namespace (or use the one that is there): undone (namespace observability deleted with everything in it)',
    ]);
    expect(await inCluster('namespace/observability')).toBeUndefined();
    expect(objectsIn('observability')).toEqual([]);
  });

  it('puts back what it wrote over when the run fails at the end (Grafana never starts without its Secret)', async () => {
    // A namespace with an older Prometheus configuration and service of its own, and no Grafana Secret.
    await prepare('monitoring');
    expect(
      (
        await post('/api/v1/namespaces/monitoring/configmaps', {
          metadata: { name: 'prometheus-config', labels: { team: 'sre' } },
          data: { 'prometheus.yml': 'global:\n  scrape_interval: 1m\n' },
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await post('/api/v1/namespaces/monitoring/services', {
          metadata: { name: 'prometheus', annotations: { owner: 'sre' } },
          spec: { selector: { app: 'old-prometheus' }, ports: [{ port: 9091 }] },
        })
      ).status,
    ).toBe(201);
    const ipBefore = (stored('services', 'monitoring', 'prometheus').spec as { clusterIP: string }).clusterIP;
    const before = (await inventory()).filter(
      (r) => r.account === 'prod-eu' && r.attributes.namespace === 'monitoring',
    );

    const plan = await planWorkflow(planDeps, template, { cluster: 'prod-eu', grafana_admin_secret: 'grafana-login' });
    const { deps, records } = runDeps({ pollsBeforeTimeout: 6 });
    const out = await runWorkflow(deps, plan);
    expect(out).toMatchObject({ status: 'failed', error: 'did not finish within 600 s' });
    expect(records.map((r) => [r.id, r.status]).slice(7)).toEqual([
      ['prometheus_available', 'succeeded'],
      ['grafana_available', 'timed_out'],
      ['grafana_service', 'compensated'],
      ['grafana', 'compensated'],
      ['grafana_datasource', 'compensated'],
      ['prometheus_service', 'compensated'],
      ['prometheus', 'compensated'],
      ['prometheus_config', 'compensated'],
      ['namespace', 'not_compensated'],
    ]);
    expect(records[1]).toMatchObject({ previous: { existed: 'true', object: expect.stringContaining('1m') } });
    expect(out.summary).toContain(
      '- Create the namespace (or use the one that is there): NOT undone: namespace monitoring was there before the run, so it is left in place',
    );
    expect(out.summary).toContain(
      'undone (config map monitoring/configmap/prometheus-config replaced (restored; the one before is recorded))',
    );

    // As it was: the old configuration and service back, with their labels and annotations; nothing else left.
    expect(objectsIn('monitoring').sort()).toEqual(['configmaps/prometheus-config', 'services/prometheus']);
    expect(stored('configmaps', 'monitoring', 'prometheus-config')).toMatchObject({
      metadata: expect.objectContaining({ labels: { team: 'sre' } }),
      data: { 'prometheus.yml': 'global:\n  scrape_interval: 1m\n' },
    });
    expect(stored('services', 'monitoring', 'prometheus')).toMatchObject({
      metadata: expect.objectContaining({ annotations: { owner: 'sre' } }),
      spec: expect.objectContaining({ selector: { app: 'old-prometheus' }, clusterIP: ipBefore }),
    });
    const after = (await inventory()).filter((r) => r.account === 'prod-eu' && r.attributes.namespace === 'monitoring');
    const shape = (rs: Resource[]) =>
      rs.map((r) => [r.id, r.state, JSON.stringify(r.attributes.ports ?? r.attributes.keys)]).sort();
    expect(shape(after)).toEqual(shape(before));
  });
});

describe('what the template writes, on the sandbox API server', () => {
  const namespaceOf = {
    provider: 'kubernetes' as const,
    account: 'prod-eu',
    region: 'prod-eu',
    type: 'namespace' as const,
  };

  it('refuses a write into a namespace that is not there, and parameters that do not fit, with the reason', async () => {
    const missing = await rejectedAppError(
      k8s.execute({
        action: 'apply_config_map',
        target: { ...namespaceOf, id: 'namespace/nowhere' },
        params: { name: 'x', key: 'a.txt', text: 'hello' },
      }),
    );
    expect(missing).toMatchObject({ code: 'not_found' });
    expect(missing.userMessage).toContain('namespaces "nowhere" not found');
    const half = await rejectedAppError(
      k8s.execute({
        action: 'apply_deployment',
        target: { ...namespaceOf, id: 'namespace/web' },
        params: { name: 'x', image: 'nginx:1.27', replicas: '1', port: '80', configMap: 'x' },
      }),
    );
    expect(half).toMatchObject({ code: 'bad_request' });
    expect(half.userMessage).toContain('configMap and mountPath go together');
    const latest = await rejectedAppError(
      k8s.execute({
        action: 'apply_deployment',
        target: { ...namespaceOf, id: 'namespace/web' },
        params: { name: 'x', image: 'nginx:latest', replicas: '1', port: '80' },
      }),
    );
    expect(latest.userMessage).toContain('image must name a fixed tag, not latest');
  });

  it('answers as the API server does: 409 for a name taken, 409 for a stale write, 422 for a selector that selects nothing', async () => {
    const taken = await post('/api/v1/namespaces', { metadata: { name: 'web' } });
    expect(taken.status).toBe(409);
    expect(await taken.json()).toMatchObject({ reason: 'AlreadyExists', message: 'namespaces "web" already exists' });
    const put = (path: string, body: object) =>
      fetch(`${cluster().url}${path}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${cluster().token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect(
      (await post('/api/v1/namespaces/web/configmaps', { metadata: { name: 'c' }, data: { a: '1' } })).status,
    ).toBe(201);
    const stale = await put('/api/v1/namespaces/web/configmaps/c', {
      metadata: { name: 'c', resourceVersion: '1' },
      data: { a: '2' },
    });
    expect(stale.status).toBe(409);
    expect(await stale.json()).toMatchObject({
      reason: 'Conflict',
      message: expect.stringContaining('the object has been modified'),
    });
    const selector = await post('/apis/apps/v1/namespaces/web/deployments', {
      metadata: { name: 'd' },
      spec: {
        selector: { matchLabels: { app: 'd' } },
        template: {
          metadata: { labels: { app: 'other' } },
          spec: { containers: [{ name: 'd', image: 'nginx:1.27' }] },
        },
      },
    });
    expect(selector.status).toBe(422);
    expect(await selector.json()).toMatchObject({
      reason: 'Invalid',
      message: expect.stringContaining('`selector` does not match template `labels`'),
    });
  });
});
