import { afterEach, describe, expect, it } from '@jest/globals';
import { OAuth2Client, PassThroughClient } from 'google-auth-library';
import { findAction } from '../../src/cloud/actions.ts';
import { planAction } from '../../src/cloud/change-tools.ts';
import type { ActionSubject } from '../../src/cloud/actions.ts';
import { GcpProvider } from '../../src/cloud/gcp/provider.ts';
import type { GcpProviderOptions } from '../../src/cloud/gcp/provider.ts';
import type { ResourceAction } from '../../src/cloud/provider.ts';
import { Resource } from '../../src/cloud/resource.ts';
import { addBulkInstances, seedGcpFleet } from '../../src/cloud/sandbox/gcp/fleet.ts';
import { startGcpSandbox } from '../../src/cloud/sandbox/gcp/server.ts';
import type { GcpSandbox, GcpSandboxOptions } from '../../src/cloud/sandbox/gcp/server.ts';
import { AppError } from '../../src/errors.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { rejectedAppError, sourceOf } from '../helpers/cloud.ts';

/**
 * GcpProvider through the real @google-cloud/compute (REST transport), @google-cloud/storage and
 * google-auth-library against the loopback GCP emulator. Credentials are always an explicit
 * authClient: never Application Default Credentials.
 */

const now = new Date('2026-11-20T12:00:00Z');
const day = 86_400_000;
let sandbox: GcpSandbox | undefined;
const providers: GcpProvider[] = [];

const start = async (opts: GcpSandboxOptions = {}): Promise<GcpSandbox> => {
  sandbox = await startGcpSandbox({ now: () => now, ...opts });
  return sandbox;
};

const tokenClient = (token: string): OAuth2Client => {
  const c = new OAuth2Client();
  c.setCredentials({ access_token: token, expiry_date: Date.now() + 3_600_000 });
  return c;
};

const provider = (sb: GcpSandbox, opts: Partial<GcpProviderOptions> = {}): GcpProvider => {
  const p = new GcpProvider({
    projects: [{ id: 'acme-prod', name: 'Acme production' }, { id: 'acme-dev' }],
    endpoint: { host: sb.host, port: sb.port, protocol: 'http' },
    authClient: new PassThroughClient(),
    sandbox: true,
    now: () => now,
    retry: { maxRetries: 3, initialDelayMs: 5, maxDelayMs: 20 },
    ...opts,
  });
  providers.push(p);
  return p;
};

const instanceKey = (project: string, zone: string, name: string) => ({
  provider: 'gcp',
  account: project,
  region: zone.replace(/-[a-z]$/, ''),
  type: 'instance',
  id: `zones/${zone}/instances/${name}`,
});

afterEach(async () => {
  for (const p of providers.splice(0)) await p.closeAsync();
  await sandbox?.stop();
  sandbox = undefined;
});

describe('GcpProvider sources and listing', () => {
  it('declares one source per project and lists every type, normalized and valid', async () => {
    const sb = await start();
    const p = provider(sb);
    expect(p.sources()).toEqual([
      {
        key: 'gcp:acme-prod:all',
        provider: 'gcp',
        account: 'acme-prod',
        region: 'all',
        label: 'GCP Acme production (acme-prod)',
      },
      { key: 'gcp:acme-dev:all', provider: 'gcp', account: 'acme-dev', region: 'all', label: 'GCP acme-dev' },
    ]);
    const prod = await p.listSource(sourceOf(p, 'acme-prod'));
    const dev = await p.listSource(sourceOf(p, 'acme-dev'));
    for (const r of [...prod, ...dev]) Resource.parse(r);
    const count = (rows: typeof prod) =>
      Object.fromEntries(
        ['instance', 'volume', 'snapshot', 'ip_address', 'security_group', 'bucket', 'access_key'].map((t) => [
          t,
          rows.filter((r) => r.type === t).length,
        ]),
      );
    expect(count(prod)).toEqual({
      instance: 8,
      volume: 9,
      snapshot: 2,
      ip_address: 2,
      security_group: 4,
      bucket: 3,
      access_key: 3,
    });
    expect(count(dev)).toEqual({
      instance: 5,
      volume: 6,
      snapshot: 1,
      ip_address: 1,
      security_group: 3,
      bucket: 1,
      access_key: 1,
    });
    expect(new Set(prod.map((r) => r.account))).toEqual(new Set(['acme-prod']));
    // The store keys rows by provider, account and id: a boot disk named like its instance must not collide.
    expect(new Set(prod.map((r) => r.id)).size).toBe(prod.length);
    expect(new Set(dev.map((r) => r.id)).size).toBe(dev.length);
    const web = prod.find((r) => r.name === 'web-prod-1')!;
    expect(web).toMatchObject({
      id: 'zones/us-central1-a/instances/web-prod-1',
      region: 'us-central1',
      state: 'running',
      environment: 'prod',
      tags: { env: 'prod', service: 'web', owner: 'web-team' },
      // n2-standard-4 in us-central1: 0.194236 USD/h × 730 h
      monthlyCostCents: 14179,
      attributes: { machineType: 'n2-standard-4', zone: 'us-central1-a', publicIp: '34.120.10.21' },
    });
    expect(prod.find((r) => r.name === 'web-prod-eu-1')).toMatchObject({
      region: 'europe-west1',
      // n2-standard-4 in europe-west1: 0.213668 USD/h × 730 h
      monthlyCostCents: 15598,
    });
  });

  it('shows the planted problems: idle dev VMs, a stopped VM at zero compute, an unattached disk, an old snapshot, a reserved IP, open SSH/RDP, a public bucket, a bucket without uniform access or versioning and a 200-day key', async () => {
    const sb = await start();
    const p = provider(sb);
    const all = [...(await p.listSource(sourceOf(p, 'acme-prod'))), ...(await p.listSource(sourceOf(p, 'acme-dev')))];
    const named = (type: string, name: string) => all.find((r) => r.type === type && r.name === name)!;

    const devRunning = all.filter((r) => r.type === 'instance' && r.environment === 'dev' && r.state === 'running');
    const cpu = await p.metrics!(sourceOf(p, 'acme-dev'), { days: 7, now });
    const idle = devRunning.filter((r) => {
      const rows = cpu.filter((m) => m.resourceId === r.id && m.metric === 'cpu_percent');
      return rows.length > 0 && rows.every((m) => m.avg < 5);
    });
    expect(idle.map((r) => r.name).sort()).toEqual(['api-dev-1', 'ml-dev-1', 'web-dev-1']);
    expect(named('instance', 'batch-prod-1')).toMatchObject({
      state: 'stopped',
      monthlyCostCents: 0,
      attributes: { status: 'TERMINATED', machineType: 'e2-standard-4' },
    });

    const unattached = all.filter((r) => r.type === 'volume' && r.attributes.attachedTo === null);
    expect(unattached).toMatchObject([
      {
        name: 'old-migration-data',
        account: 'acme-dev',
        state: 'available',
        region: 'us-central1',
        monthlyCostCents: 2000, // 500 GB pd-standard at 0.04
        attributes: { sizeGb: 500, volumeType: 'pd-standard', zone: 'us-central1-a', users: [] },
      },
    ]);
    expect(named('volume', 'db-prod-1-data').attributes).toMatchObject({
      attachedTo: 'zones/us-central1-b/instances/db-prod-1',
      encryption: 'customer-managed',
    });

    const yearAgo = now.getTime() - 365 * day;
    const old = all.filter((r) => r.type === 'snapshot' && Date.parse(String(r.attributes.startTime)) < yearAgo);
    expect(old).toMatchObject([
      { name: 'legacy-db-backup', region: 'global', attributes: { sizeGb: 200, storageGb: 140 } },
    ]);
    expect(Date.parse(String(old[0]!.attributes.startTime))).toBe(now.getTime() - 400 * day);

    expect(all.filter((r) => r.type === 'ip_address' && r.attributes.associatedTo === null)).toMatchObject([
      { name: 'old-demo-ip', state: 'reserved', monthlyCostCents: 730, attributes: { status: 'RESERVED' } },
    ]);
    expect(named('ip_address', 'web-prod-ip').attributes.associatedTo).toBe('zones/us-central1-a/instances/web-prod-1');

    const worldOpen = (port: number) =>
      all
        .filter(
          (r) =>
            r.type === 'security_group' &&
            (r.attributes.ingress as Array<{ fromPort: number; toPort: number; cidrs: string[] }>).some(
              (rule) => rule.fromPort <= port && rule.toPort >= port && rule.cidrs.includes('0.0.0.0/0'),
            ),
        )
        .map((r) => `${r.account}/${r.name}`);
    expect(worldOpen(22)).toEqual(['acme-dev/dev-allow-ssh-rdp']);
    expect(worldOpen(3389)).toEqual(['acme-dev/dev-allow-ssh-rdp']);
    expect(named('security_group', 'dev-allow-ssh-rdp').attributes.ingress).toEqual([
      { protocol: 'tcp', fromPort: 22, toPort: 22, cidrs: ['0.0.0.0/0'] },
      { protocol: 'tcp', fromPort: 3389, toPort: 3389, cidrs: ['0.0.0.0/0'] },
    ]);
    // Deny and egress rules are listed, but open nothing.
    expect(all.find((r) => r.name === 'deny-telnet')?.attributes).toMatchObject({ ingress: [], action: 'deny' });

    expect(all.filter((r) => r.type === 'bucket' && r.attributes.public === true).map((r) => r.name)).toEqual([
      'acme-prod-assets',
    ]);
    expect(named('bucket', 'acme-prod-assets').attributes.publicGrants).toEqual([
      'roles/storage.objectViewer: allUsers',
    ]);
    expect(named('bucket', 'acme-prod-logs')).toMatchObject({
      region: 'eu',
      attributes: { uniformBucketLevelAccess: false, versioning: false, encryption: 'google-managed' },
    });
    expect(named('bucket', 'acme-prod-backups').attributes).toMatchObject({
      publicAccessPrevention: 'enforced',
      versioning: true,
      encryption: 'customer-managed',
      kmsKeyName: 'projects/acme-prod/locations/us-central1/keyRings/prod/cryptoKeys/backups',
    });

    const oldKeys = all.filter(
      (r) =>
        r.type === 'access_key' &&
        r.attributes.keyType === 'USER_MANAGED' &&
        Date.parse(String(r.attributes.createdAt)) < now.getTime() - 90 * day,
    );
    expect(oldKeys).toMatchObject([
      {
        account: 'acme-prod',
        state: 'active',
        attributes: { serviceAccount: 'deploy-bot@acme-prod.iam.gserviceaccount.com', expiresAt: null },
      },
    ]);
    expect(oldKeys[0]!.attributes.createdAt).toBe(new Date(now.getTime() - 200 * day).toISOString());
  });

  it('pages through 10,000 instances with large pages', async () => {
    const fleet = seedGcpFleet(now);
    addBulkInstances(fleet, 'acme-prod', 'us-central1-a', 10_000, now);
    const sb = await start({ fleet });
    const metrics = createMetrics();
    const p = provider(sb, { pageSize: 500, metrics });
    const started = performance.now();
    const rows = await p.listSource(sourceOf(p, 'acme-prod'));
    const ms = performance.now() - started;
    const instances = rows.filter((r) => r.type === 'instance');
    expect(instances).toHaveLength(10_008);
    expect(new Set(instances.map((r) => r.id)).size).toBe(10_008);
    expect(instances.filter((r) => r.name.startsWith('bulk-'))).toHaveLength(10_000);
    const pages = sb.requests.filter((r) => r.path.endsWith('/aggregated/instances'));
    expect(pages).toHaveLength(21); // 10,008 / 500
    expect(pages.map((r) => r.query.maxResults)).toEqual(Array(21).fill('500'));
    expect(pages.filter((r) => r.query.pageToken === undefined)).toHaveLength(1);
    // One logical call, every page inside it.
    const calls = await metrics.registry.getSingleMetricAsString('devops_agent_cloud_calls_total');
    expect(calls).toContain(
      'devops_agent_cloud_calls_total{provider="gcp",operation="instances.aggregatedList",outcome="ok"} 1',
    );
    expect(ms).toBeLessThan(20_000);
  });

  it('backs off on 429 rateLimitExceeded and succeeds; gives up as rate_limited after its retries', async () => {
    const sb = await start();
    const p = provider(sb);
    sb.failNext('compute.instances.aggregatedList', { status: 429 }, 2);
    sb.failNext('iam.serviceAccounts.list', { status: 429 }, 1);
    const rows = await p.listSource(sourceOf(p, 'acme-prod'));
    expect(rows.filter((r) => r.type === 'instance')).toHaveLength(8);
    expect(rows.filter((r) => r.type === 'access_key')).toHaveLength(3);
    const statuses = (suffix: string) => sb.requests.filter((r) => r.path.endsWith(suffix)).map((r) => r.status);
    expect(statuses('/aggregated/instances')).toEqual([429, 429, 200]);
    expect(statuses('/acme-prod/serviceAccounts')).toEqual([429, 200]);

    sb.failNext('compute.firewalls.list', { status: 429 }, 10);
    const err = await rejectedAppError(p.listSource(sourceOf(p, 'acme-prod')));
    expect(err.code).toBe('rate_limited');
    expect(err.userMessage).toContain('listing firewall rules in project acme-prod');
    expect(err.userMessage).toContain('Quota exceeded');
    expect(sb.requests.filter((r) => r.path.endsWith('/global/firewalls') && r.status === 429)).toHaveLength(4); // 1 + 3 retries
  });

  it('fails a project the token cannot read with auth_failed naming it, while the other project lists', async () => {
    const sb = await start({ tokens: { 'prod-reader': ['acme-prod'] } });
    const metrics = createMetrics();
    const p = provider(sb, { authClient: tokenClient('prod-reader'), metrics });
    const [prod, dev] = await Promise.allSettled([
      p.listSource(sourceOf(p, 'acme-prod')),
      p.listSource(sourceOf(p, 'acme-dev')),
    ]);
    expect(prod.status).toBe('fulfilled');
    expect(prod.status === 'fulfilled' && prod.value.length).toBe(31);
    expect(dev.status).toBe('rejected');
    const err = (dev as PromiseRejectedResult).reason as AppError;
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe('auth_failed');
    expect(err.userMessage).toMatch(
      /in project acme-dev \(HTTP 403\): Permission '[a-z.A-Z]+' denied on resource 'projects\/acme-dev'/,
    );
    const calls = await metrics.registry.getSingleMetricAsString('devops_agent_cloud_call_duration_seconds');
    expect(calls).toMatch(/provider="gcp",operation="[a-zA-Z.]+",outcome="auth_failed"/);

    const stranger = provider(sb, { authClient: tokenClient('who-is-this') });
    const refused = await rejectedAppError(stranger.listSource(sourceOf(stranger, 'acme-prod')));
    expect(refused.code).toBe('auth_failed');
    expect(refused.userMessage).toContain('HTTP 401');
    expect(refused.userMessage).toContain('invalid authentication credentials');
  });

  it('collects 14 days of daily CPU per running instance from Cloud Monitoring', async () => {
    const sb = await start({ tokens: { 'dev-reader': ['acme-dev'] } });
    const p = provider(sb, { authClient: tokenClient('dev-reader') });
    const samples = await p.metrics(sourceOf(p, 'acme-dev'), { days: 14, now });
    const byId = Map.groupBy(samples, (s) => s.resourceId);
    // worker-dev-1 is TERMINATED: no data.
    expect([...byId.keys()].sort()).toEqual([
      'zones/europe-west1-b/instances/ml-dev-1',
      'zones/us-central1-a/instances/api-dev-1',
      'zones/us-central1-a/instances/web-dev-1',
      'zones/us-central1-b/instances/db-dev-1',
    ]);
    const web = byId.get('zones/us-central1-a/instances/web-dev-1')!;
    expect(web.map((s) => s.day).sort()).toEqual(
      Array.from({ length: 14 }, (_, i) => new Date(Date.UTC(2026, 10, 6 + i)).toISOString().slice(0, 10)),
    );
    for (const s of samples) {
      expect(s).toMatchObject({ provider: 'gcp', account: 'acme-dev', metric: 'cpu_percent', unit: 'percent' });
      expect(s.max).toBeGreaterThanOrEqual(s.avg);
    }
    const mean = (id: string) => byId.get(id)!.reduce((n, s) => n + s.avg, 0) / 14;
    expect(mean('zones/us-central1-a/instances/web-dev-1')).toBeGreaterThan(0.9);
    expect(mean('zones/us-central1-a/instances/web-dev-1')).toBeLessThan(1.3);
    expect(mean('zones/us-central1-b/instances/db-dev-1')).toBeGreaterThan(10);
    const q = sb.requests.filter((r) => r.path === '/v3/projects/acme-dev/timeSeries');
    expect(q.map((r) => r.query['aggregation.perSeriesAligner']).sort()).toEqual(['ALIGN_MAX', 'ALIGN_MEAN']);
    expect(q[0]!.query['interval.endTime']).toBe('2026-11-20T00:00:00.000Z');

    const denied = await rejectedAppError(p.metrics(sourceOf(p, 'acme-prod'), { days: 14, now }));
    expect(denied.code).toBe('auth_failed');
    expect(denied.userMessage).toContain('reading instance CPU from Cloud Monitoring in project acme-prod');
  });

  it('stops an aborted listing at once, even while Google holds the call', async () => {
    const sb = await start();
    const p = provider(sb);
    await p.load();
    const release = sb.hold();
    const abort = new AbortController();
    const pending = p.listSource(sourceOf(p, 'acme-prod'), { signal: abort.signal });
    abort.abort(new Error('sync time budget spent'));
    const err = await rejectedAppError(pending);
    release();
    expect(err.userMessage).toBe(
      'Stopped listing project acme-prod: the work was aborted (Error: sync time budget spent).',
    );
  });

  it('refuses an unconfigured project and bad options without calling Google', async () => {
    const sb = await start();
    const p = provider(sb);
    await expect(
      p.listSource({ key: 'gcp:other-proj:all', provider: 'gcp', account: 'other-proj', region: 'all', label: 'x' }),
    ).rejects.toMatchObject({ code: 'bad_request', message: expect.stringContaining('not configured') });
    expect(() => new GcpProvider({ projects: [], sandbox: true })).toThrow('needs at least one project');
    expect(() => new GcpProvider({ projects: [{ id: 'Bad_Project' }], sandbox: true })).toThrow('GCP project id');
    expect(sb.requests).toHaveLength(0);
  });
});

describe('GcpProvider actions', () => {
  const subjectOf = async (p: GcpProvider, key: ReturnType<typeof instanceKey>): Promise<ActionSubject> => {
    const r = (await p.describe(key))!;
    return { ...r, monthlyCostCents: r.monthlyCostCents };
  };

  /** Executes `name`, then the inverse the spec derives from the recorded `previous`. */
  const roundTrip = async (
    p: GcpProvider,
    name: string,
    key: ReturnType<typeof instanceKey>,
    params: Record<string, string> = {},
  ) => {
    const spec = findAction(p.actions, 'instance', name)!;
    const planned = spec.inverse({ params, subject: await subjectOf(p, key) });
    const done = await p.execute({ action: name, target: key, params });
    const inverse = spec.inverse({ params, previous: done.previous });
    if (!('action' in inverse)) return { done, planned, inverse, undone: undefined };
    const undone = await p.execute({ action: inverse.action, target: key, params: inverse.params });
    return { done, planned, inverse, undone };
  };

  it('stops a running instance and starts it again with the inverse; the transition is visible while it runs', async () => {
    const sb = await start({ transitionPolls: 3 });
    const p = provider(sb);
    const key = instanceKey('acme-prod', 'us-central1-a', 'web-prod-1');
    const seen: string[] = [];
    const vm = () => sb.state.instances.find((i) => i.name === 'web-prod-1')!;
    const stop = await p.execute(
      { action: 'stop', target: key, params: {} },
      { progress: (s) => seen.push(`${vm().status}: ${s}`) },
    );
    expect(stop).toMatchObject({ newState: 'stopped', previous: { state: 'running' } });
    expect(seen).toEqual([
      'STOPPING: waiting for Google to finish the stop operation (check 1 of 20)',
      'STOPPING: waiting for Google to finish the stop operation (check 2 of 20)',
      'STOPPING: waiting for Google to finish the stop operation (check 3 of 20)',
    ]);
    const inverse = findAction(p.actions, 'instance', 'stop')!.inverse({ params: {}, previous: stop.previous });
    expect(inverse).toEqual({ action: 'start', params: {} });
    const startAgain = await p.execute({ action: 'start', target: key, params: {} });
    expect(startAgain).toMatchObject({ newState: 'running', previous: { state: 'stopped' } });
    expect((await p.describe(key))?.state).toBe('running');
  });

  it('starts a stopped instance and stops it again with the inverse', async () => {
    const sb = await start();
    const p = provider(sb);
    const key = instanceKey('acme-prod', 'us-central1-b', 'batch-prod-1');
    const { done, planned, inverse, undone } = await roundTrip(p, 'start', key);
    expect(planned).toEqual({ action: 'stop', params: {} });
    expect(done).toMatchObject({ newState: 'running', previous: { state: 'stopped' } });
    expect(inverse).toEqual({ action: 'stop', params: {} });
    expect(undone).toMatchObject({ newState: 'stopped', previous: { state: 'running' } });
    expect(sb.state.instances.find((i) => i.name === 'batch-prod-1')?.status).toBe('TERMINATED');
  });

  it('resets (alias reboot) a running instance; the inverse says why there is none', async () => {
    const sb = await start();
    const p = provider(sb);
    const key = instanceKey('acme-dev', 'us-central1-b', 'db-dev-1');
    expect(findAction(p.actions, 'instance', 'reboot')?.name).toBe('reset');
    const { done, inverse, undone } = await roundTrip(p, 'reboot', key);
    expect(done).toMatchObject({ newState: 'running', previous: { state: 'running' } });
    expect(inverse).toEqual({ why: 'a reset cannot be undone' });
    expect(undone).toBeUndefined();
    expect(sb.requests.filter((r) => r.method === 'POST').map((r) => r.path.split('/').pop())).toEqual([
      'reset',
      expect.any(String),
    ]);
    const stopped = await rejectedAppError(
      p.execute({ action: 'reset', target: instanceKey('acme-dev', 'us-central1-b', 'worker-dev-1'), params: {} }),
    );
    expect(stopped.code).toBe('conflict');
    expect(stopped.userMessage).toContain('only a running instance can be reset');
  });

  it('sets the machine type of a stopped instance (alias resize) and sets it back with the inverse', async () => {
    const sb = await start();
    const p = provider(sb);
    const key = instanceKey('acme-prod', 'us-central1-b', 'batch-prod-1');
    const spec = findAction(p.actions, 'instance', 'resize')!;
    expect(spec.name).toBe('set_machine_type');
    const subject = await subjectOf(p, key);
    const ctx = { sizes: () => p.sizesFor('instance', 'us-central1', 'acme-prod'), monthlyCostAt: () => undefined };
    await spec.check!(subject, { size: 'e2-standard-8' }, ctx);
    const { done, planned, inverse, undone } = await roundTrip(p, 'resize', key, { size: 'e2-standard-8' });
    expect(planned).toEqual({ action: 'set_machine_type', params: { size: 'e2-standard-4' } });
    expect(done).toMatchObject({ newState: 'stopped', previous: { size: 'e2-standard-4' } });
    expect(inverse).toEqual({ action: 'set_machine_type', params: { size: 'e2-standard-4' } });
    expect(undone).toMatchObject({ newState: 'stopped', previous: { size: 'e2-standard-8' } });
    expect(sb.state.instances.find((i) => i.name === 'batch-prod-1')?.machineType).toBe('e2-standard-4');
    const body = sb.requests.filter((r) => r.path.endsWith('/setMachineType'));
    expect(body).toHaveLength(2);
  });

  it('refuses a machine-type change of a running instance, and a type the zone does not offer', async () => {
    const sb = await start();
    const p = provider(sb);
    const spec = findAction(p.actions, 'instance', 'set_machine_type')!;
    const running = instanceKey('acme-prod', 'us-central1-a', 'web-prod-1');
    const checkErr = await rejectedAppError(
      spec.check!(
        await subjectOf(p, running),
        { size: 'e2-standard-4' },
        { sizes: async () => [], monthlyCostAt: () => undefined },
      ),
    );
    expect(checkErr.code).toBe('conflict');
    expect(checkErr.userMessage).toContain('Stop it first');
    const execErr = await rejectedAppError(
      p.execute({ action: 'set_machine_type', target: running, params: { size: 'e2-standard-4' } }),
    );
    expect(execErr.code).toBe('conflict');
    expect(execErr.userMessage).toContain('Stop it first');

    // c2-standard-4 exists in us-central1 zones only: the instance's own zone decides.
    const eu = instanceKey('acme-prod', 'europe-west1-b', 'web-prod-eu-1');
    await p.execute({ action: 'stop', target: eu, params: {} });
    const euSubject = await subjectOf(p, eu);
    const notOffered = await rejectedAppError(
      spec.check!(
        euSubject,
        { size: 'c2-standard-4' },
        { sizes: async () => ['c2-standard-4'], monthlyCostAt: () => undefined },
      ),
    );
    expect(notOffered.code).toBe('bad_request');
    expect(notOffered.userMessage).toContain('not a size I can resize to');
    const execBad = await rejectedAppError(
      p.execute({ action: 'set_machine_type', target: eu, params: { size: 'c2-standard-4' } }),
    );
    expect(execBad.code).toBe('bad_request');
    expect(execBad.userMessage).toContain('zone europe-west1-b');
    expect(sb.requests.some((r) => r.path.endsWith('/setMachineType'))).toBe(false);
    expect(await p.sizesFor('instance', 'us-central1', 'acme-prod')).toContain('c2-standard-4');
    expect(await p.sizesFor('instance', 'europe-west1', 'acme-prod')).not.toContain('c2-standard-4');
  });

  it('plans through the generic planner, executes the plan and rolls it back', async () => {
    const sb = await start();
    const p = provider(sb);
    const d = { provider: (name: string) => (name === 'gcp' ? p : undefined) };
    const stopped = (await p.describe(instanceKey('acme-prod', 'us-central1-b', 'batch-prod-1')))!;
    const plan = await planAction(d, stopped, 'resize', { size: 'E2-Standard-8' });
    expect(plan).toMatchObject({
      action: 'set_machine_type',
      params: { size: 'e2-standard-8' },
      costDeltaCents: 0,
      rollback: { action: 'set_machine_type', params: { size: 'e2-standard-4' } },
    });
    expect(plan.summary).toContain('from e2-standard-4 to e2-standard-8');
    const done = await p.execute({ action: plan.action, target: plan.target, params: plan.params });
    const back = findAction(p.actions, 'instance', plan.action)!.inverse({
      params: plan.params,
      previous: done.previous,
    });
    expect(back).toEqual(plan.rollback);
    await p.execute({ action: plan.rollback!.action, target: plan.target, params: plan.rollback!.params });
    expect(sb.state.instances.find((i) => i.name === 'batch-prod-1')?.machineType).toBe('e2-standard-4');

    const typo = await rejectedAppError(planAction(d, stopped, 'resize', { size: 'e2-standrd-8' }));
    expect(typo.code).toBe('bad_request');
    expect(typo.userMessage).toContain('Did you mean `e2-standard-8`?');
    const running = (await p.describe(instanceKey('acme-prod', 'us-central1-a', 'web-prod-1')))!;
    const refused = await rejectedAppError(planAction(d, running, 'set_machine_type', { size: 'e2-standard-8' }));
    expect(refused.code).toBe('conflict');
    expect(refused.userMessage).toContain('Stop it first');
    const stop = await planAction(d, running, 'stop');
    expect(stop).toMatchObject({ action: 'stop', costDeltaCents: -14179, rollback: { action: 'start', params: {} } });
    expect((await planAction(d, running, 'reboot')).rollback).toBeNull();
  });

  it('fails with a conflict and touches nothing when the instance was started between plan and execute', async () => {
    const sb = await start();
    const p = provider(sb);
    const key = instanceKey('acme-prod', 'us-central1-b', 'batch-prod-1');
    const spec = findAction(p.actions, 'instance', 'set_machine_type')!;
    const ctx = { sizes: async () => [], monthlyCostAt: () => undefined };
    await spec.check!(await subjectOf(p, key), { size: 'e2-standard-8' }, ctx); // the plan holds now
    sb.state.instances.find((i) => i.name === 'batch-prod-1')!.status = 'RUNNING'; // someone starts it
    const err = await rejectedAppError(
      p.execute({ action: 'set_machine_type', target: key, params: { size: 'e2-standard-8' } }),
    );
    expect(err.code).toBe('conflict');
    expect(err.userMessage).toContain('batch-prod-1 (us-central1-b, project acme-prod) is running');
    expect(sb.requests.filter((r) => r.method === 'POST')).toHaveLength(0);
    expect(sb.state.instances.find((i) => i.name === 'batch-prod-1')?.machineType).toBe('e2-standard-4');
  });

  it('fails with not_found and touches nothing when the instance was deleted between plan and execute', async () => {
    const sb = await start();
    const p = provider(sb);
    const key = instanceKey('acme-dev', 'us-central1-a', 'web-dev-1');
    expect((await p.describe(key))?.state).toBe('running');
    sb.state.instances = sb.state.instances.filter((i) => i.name !== 'web-dev-1');
    expect(await p.describe(key)).toBeNull();
    const err = await rejectedAppError(p.execute({ action: 'stop', target: key, params: {} } satisfies ResourceAction));
    expect(err.code).toBe('not_found');
    expect(err.userMessage).toContain('web-dev-1 (us-central1-a, project acme-dev) no longer exists');
    expect(err.userMessage).toContain('Nothing was changed');
    expect(sb.requests.filter((r) => r.method === 'POST')).toHaveLength(0);
  });
});
