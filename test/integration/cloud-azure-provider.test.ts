import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { findAction } from '../../src/cloud/actions.ts';
import { AzureProvider } from '../../src/cloud/azure/provider.ts';
import type { AzureProviderOptions } from '../../src/cloud/azure/provider.ts';
import type { ResourceAction } from '../../src/cloud/provider.ts';
import { Resource } from '../../src/cloud/resource.ts';
import {
  devSubscriptionId,
  generatedAzureFleet,
  prodSubscriptionId,
  sandboxClientId,
  sandboxClientSecret,
  sandboxTenantId,
} from '../../src/cloud/sandbox/azure/fleet.ts';
import { startAzureSandbox } from '../../src/cloud/sandbox/azure/server.ts';
import type { AzureSandbox, AzureSandboxOptions } from '../../src/cloud/sandbox/azure/server.ts';
import { AppError } from '../../src/errors.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { rejectedAppError, sourceOf } from '../helpers/cloud.ts';

/**
 * The Azure provider through the real @azure/identity and @azure/arm-* SDKs against the loopback
 * TLS emulator: Entra tokens, ARM lists with nextLink, long-running operations, ARM errors.
 */

const now = new Date('2026-11-01T12:00:00Z');
let sandbox: AzureSandbox;

const start = async (opts: AzureSandboxOptions = {}) => {
  sandbox = await startAzureSandbox({ now: () => now, ...opts });
};

const provider = (opts: Partial<AzureProviderOptions> = {}): AzureProvider =>
  new AzureProvider({
    subscriptions: [
      { id: prodSubscriptionId, name: 'prod' },
      { id: devSubscriptionId, name: 'dev' },
    ],
    tenantId: sandboxTenantId,
    clientId: sandboxClientId,
    clientSecret: sandboxClientSecret,
    authorityHost: sandbox.url,
    endpoint: sandbox.url,
    ca: sandbox.ca,
    sandbox: true,
    now: () => now,
    pollIntervalMs: 1,
    ...opts,
  });

const byName = (rows: Resource[], name: string): Resource => {
  const r = rows.find((x) => x.name === name);
  if (!r) throw new Error(`no ${name} in the listing`);
  return r;
};

const vmRecord = (name: string) => {
  const vm = sandbox.state.fleet.vms.find((v) => v.name === name);
  if (!vm) throw new Error(`no VM ${name}`);
  return vm;
};

const act = (rows: Resource[], action: string, name: string, params: Record<string, string> = {}): ResourceAction => {
  const r = byName(rows, name);
  return {
    action,
    target: { provider: 'azure', account: r.account, region: r.region, type: r.type, id: r.id },
    params,
  };
};

afterEach(async () => {
  await sandbox?.stop();
});

describe('sources and listing', () => {
  beforeEach(() => start());

  it('has one source per subscription, region all', () => {
    expect(provider().sources()).toEqual([
      {
        key: `azure:${prodSubscriptionId}:all`,
        provider: 'azure',
        account: prodSubscriptionId,
        region: 'all',
        label: `Azure prod (${prodSubscriptionId})`,
      },
      {
        key: `azure:${devSubscriptionId}:all`,
        provider: 'azure',
        account: devSubscriptionId,
        region: 'all',
        label: `Azure dev (${devSubscriptionId})`,
      },
    ]);
  });

  it('lists every type of a subscription with the planted problems visible', async () => {
    const p = provider();
    const prod = await p.listSource(sourceOf(p, prodSubscriptionId));
    const dev = await p.listSource(sourceOf(p, devSubscriptionId));
    for (const r of [...prod, ...dev]) expect(Resource.safeParse(r).success).toBe(true);
    expect(new Set(prod.map((r) => r.account))).toEqual(new Set([prodSubscriptionId]));
    expect(new Set([...prod, ...dev].map((r) => r.type))).toEqual(
      new Set(['instance', 'volume', 'snapshot', 'ip_address', 'security_group', 'storage_account']),
    );
    expect(new Set(prod.map((r) => r.region))).toEqual(new Set(['eastus', 'westeurope']));

    const web = byName(prod, 'web-prod-1');
    expect(web).toMatchObject({ type: 'instance', state: 'running', region: 'eastus', environment: 'prod' });
    expect(web.id).toBe(
      `/subscriptions/${prodSubscriptionId}/resourceGroups/rg-web-prod-eus/providers/Microsoft.Compute/virtualMachines/web-prod-1`,
    );
    expect(web.tags).toMatchObject({ service: 'web', owner: 'web-team' });
    expect(web.attributes).toMatchObject({
      vmSize: 'Standard_D4s_v5',
      osType: 'Linux',
      resourceGroup: 'rg-web-prod-eus',
    });
    expect(web.monthlyCostCents).toBe(Math.round(0.192 * 730 * 100));

    // Deallocated: no compute cost. Stopped (powered off, still allocated): still billed.
    expect(byName(prod, 'batch-prod-old')).toMatchObject({ state: 'deallocated', monthlyCostCents: 0 });
    expect(byName(dev, 'win-dev-1').state).toBe('stopped');
    expect(byName(dev, 'win-dev-1').attributes.priced).toBe(false);
    // CPU comes from Azure Monitor as daily metric rows (cloud-azure-metrics.test.ts), never as an attribute.
    for (const r of [...prod, ...dev]) expect(Object.keys(r.attributes).filter((k) => /cpu/i.test(k))).toEqual([]);

    const unattached = byName(dev, 'old-migration-data');
    expect(unattached).toMatchObject({ type: 'volume', state: 'available' });
    expect(unattached.attributes).toMatchObject({
      attachedTo: null,
      diskState: 'Unattached',
      sizeGb: 512,
      tier: 'P20',
    });
    expect(unattached.monthlyCostCents).toBe(Math.round(73.22 * 1.1 * 100));
    expect(byName(prod, 'db-prod-1-data').attributes.attachedToName).toBe('db-prod-1');

    const oldSnap = byName(prod, 'legacy-db-backup');
    expect(oldSnap.type).toBe('snapshot');
    const ageDays = (now.getTime() - Date.parse(String(oldSnap.attributes.timeCreated))) / 86_400_000;
    expect(Math.round(ageDays)).toBe(400);

    const idleIp = byName(dev, 'old-demo-pip');
    expect(idleIp).toMatchObject({ type: 'ip_address', state: 'available', monthlyCostCents: 365 });
    expect(idleIp.attributes.associatedTo).toBeNull();
    expect(byName(prod, 'web-prod-1-pip').attributes.associatedTo).toMatch(/networkInterfaces\/web-prod-1-nic/);

    const open = byName(dev, 'nsg-dev-open');
    expect(open.attributes.ingress).toEqual([
      {
        protocol: 'tcp',
        fromPort: 3389,
        toPort: 3389,
        cidrs: ['0.0.0.0/0'],
        name: 'allow-rdp-anywhere',
        priority: 100,
      },
      { protocol: 'tcp', fromPort: 22, toPort: 22, cidrs: ['0.0.0.0/0'], name: 'allow-ssh-internet', priority: 110 },
      { protocol: 'all', fromPort: 0, toPort: 65535, cidrs: ['10.20.0.0/16'], name: 'allow-vnet-all', priority: 200 },
    ]);
    expect(byName(prod, 'nsg-db-prod').attributes.ingress).toEqual([
      {
        protocol: 'tcp',
        fromPort: 5432,
        toPort: 5432,
        cidrs: ['10.10.0.0/16'],
        name: 'allow-postgres-vnet',
        priority: 100,
      },
    ]);

    // Inbound Deny rules are kept beside the Allows; the open NSG's only Deny is outbound.
    expect(byName(prod, 'nsg-db-prod').attributes.denyIngress).toEqual([
      {
        protocol: 'all',
        fromPort: 0,
        toPort: 65535,
        cidrs: ['0.0.0.0/0'],
        name: 'deny-internet-inbound',
        priority: 4000,
      },
    ]);
    expect(open.attributes.denyIngress).toEqual([]);

    expect(byName(prod, 'stprodassets001').attributes).toMatchObject({ allowBlobPublicAccess: true, httpsOnly: true });
    expect(byName(dev, 'stdevlegacy001').attributes).toMatchObject({
      minimumTlsVersion: 'TLS1_0',
      httpsOnly: false,
      allowBlobPublicAccess: false,
      publicNetworkAccess: 'Enabled',
      encryption: { keySource: 'Microsoft.Storage', blob: true, file: true, infrastructure: false },
    });
    expect(byName(prod, 'stprodlogs001').attributes.publicNetworkAccess).toBe('Disabled');
  });

  it('counts SDK calls per operation with provider="azure"', async () => {
    const metrics = createMetrics();
    const p = provider({ metrics });
    await p.listSource(sourceOf(p, prodSubscriptionId));
    const calls = await metrics.registry.getSingleMetricAsString('devops_agent_cloud_calls_total');
    expect(calls).toContain('provider="azure",operation="virtualMachines.list",outcome="ok"} 1');
    expect(calls).toContain('provider="azure",operation="storageAccounts.list",outcome="ok"} 1');
    expect(calls).toMatch(/provider="azure",operation="entra.token",outcome="ok"} [1-9]/);
  });

  it('answers the location’s VM sizes through the SDK, and describes one resource', async () => {
    const p = provider();
    const east = await p.sizesFor('instance', 'eastus', prodSubscriptionId);
    const west = await p.sizesFor('instance', 'westeurope', prodSubscriptionId);
    expect(east).toContain('Standard_F16s_v2');
    expect(west).not.toContain('Standard_F16s_v2');
    expect(west).toContain('Standard_D2s_v5');
    expect(await p.sizesFor('volume', 'eastus', prodSubscriptionId)).toEqual([]);
    expect(p.monthlyCostFor('instance', 'Standard_D2s_v5', 'westeurope')).toBe(Math.round(0.115 * 730 * 100));

    const rows = await p.listSource(sourceOf(p, devSubscriptionId));
    const disk = byName(rows, 'old-migration-data');
    const described = await p.describe({
      provider: 'azure',
      account: devSubscriptionId,
      region: disk.region,
      type: 'volume',
      id: disk.id,
    });
    expect(described).toMatchObject({ name: 'old-migration-data', state: 'available' });
    sandbox.state.fleet.disks = sandbox.state.fleet.disks.filter((d) => d.name !== 'old-migration-data');
    expect(
      await p.describe({
        provider: 'azure',
        account: devSubscriptionId,
        region: disk.region,
        type: 'volume',
        id: disk.id,
      }),
    ).toBeNull();
  });
});

describe('pagination, throttling and auth', () => {
  it('follows nextLink over 10,000 VMs and their disks', async () => {
    await start({ fleet: generatedAzureFleet(now, 10_000), pageSize: 1000 });
    const p = provider();
    const rows = await p.listSource(sourceOf(p, prodSubscriptionId));
    expect(rows.filter((r) => r.type === 'instance')).toHaveLength(10_000);
    expect(rows.filter((r) => r.type === 'volume')).toHaveLength(10_000);
    expect(new Set(rows.map((r) => r.id)).size).toBe(20_000);
    const vmPages = sandbox.requests.filter((r) => r.path.endsWith('/Microsoft.Compute/virtualMachines'));
    expect(vmPages).toHaveLength(10);
    expect(rows.find((r) => r.name === 'vm-09999')?.state).toBe('running');
  });

  it('retries a throttled list (429 with Retry-After) and succeeds', async () => {
    await start();
    const p = provider();
    sandbox.failNext(
      'GET /subscriptions/11111111-1111-4111-8111-111111111111/providers/Microsoft.Compute/disks',
      {
        status: 429,
        code: 'TooManyRequests',
        message: 'The request is being throttled.',
        retryAfter: 0,
      },
      2,
    );
    const rows = await p.listSource(sourceOf(p, prodSubscriptionId));
    expect(rows.filter((r) => r.type === 'volume')).toHaveLength(8);
    const diskCalls = sandbox.requests.filter((r) => r.path.endsWith('/Microsoft.Compute/disks')).map((r) => r.status);
    expect(diskCalls).toEqual([429, 429, 200]);
  });

  it('reports throttling that outlasts the retries as rate_limited, naming the subscription', async () => {
    await start();
    const p = provider({ maxRetries: 1 });
    sandbox.failNext(
      '/Microsoft.Network/publicIPAddresses',
      { status: 429, code: 'TooManyRequests', retryAfter: 0 },
      5,
    );
    const err = await rejectedAppError(p.listSource(sourceOf(p, prodSubscriptionId)));
    expect(err.code).toBe('rate_limited');
    expect(err.userMessage).toContain(`prod (${prodSubscriptionId})`);
    expect(err.userMessage).toContain('listing public IPs');
  });

  it('a wrong client secret for one subscription fails that source with Entra’s message; the other lists', async () => {
    await start();
    const metrics = createMetrics();
    const p = provider({
      metrics,
      subscriptions: [
        { id: prodSubscriptionId, name: 'prod' },
        { id: devSubscriptionId, name: 'dev', clientSecret: 'a-rotated-away-secret' },
      ],
    });
    const [prod, dev] = await Promise.allSettled([
      p.listSource(sourceOf(p, prodSubscriptionId)),
      p.listSource(sourceOf(p, devSubscriptionId)),
    ]);
    expect(prod.status).toBe('fulfilled');
    expect(prod.status === 'fulfilled' && prod.value.length).toBeGreaterThan(20);
    expect(dev.status).toBe('rejected');
    const err = (dev as PromiseRejectedResult).reason as AppError;
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe('auth_failed');
    expect(err.userMessage).toContain(`dev (${devSubscriptionId})`);
    expect(err.userMessage).toContain('AADSTS7000215');
    expect(err.userMessage).not.toContain('a-rotated-away-secret');
    expect(sandbox.requests.some((r) => r.errorCode === 'AADSTS7000215')).toBe(true);
    const seconds = await metrics.registry.getSingleMetricAsString('devops_agent_cloud_call_duration_seconds');
    expect(seconds).toMatch(/_count\{provider="azure",operation="entra.token",outcome="auth_failed"\} [1-9]/);
    expect(seconds).toMatch(/_count\{provider="azure",operation="virtualMachines.list",outcome="auth_failed"\} 1/);
  });

  it('a subscription in another tenant needs its own tenant id: without it ARM refuses the token', async () => {
    const otherTenant = '3c3c3c3c-0000-4000-8000-0000000000b2';
    await start({ tenants: [sandboxTenantId, otherTenant] });
    sandbox.state.fleet.subscriptions.find((s) => s.id === devSubscriptionId)!.tenantId = otherTenant;
    const shared = provider();
    const err = await rejectedAppError(shared.listSource(sourceOf(shared, devSubscriptionId)));
    expect(err.code).toBe('auth_failed');
    expect(err.userMessage).toContain('InvalidAuthenticationTokenTenant');
    const split = provider({
      subscriptions: [
        { id: prodSubscriptionId, name: 'prod' },
        { id: devSubscriptionId, name: 'dev', tenantId: otherTenant },
      ],
    });
    expect((await split.listSource(sourceOf(split, devSubscriptionId))).length).toBeGreaterThan(10);
    expect((await split.listSource(sourceOf(split, prodSubscriptionId))).length).toBeGreaterThan(20);
    const tokenTenants = sandbox.requests
      .filter((r) => r.path.endsWith('/oauth2/v2.0/token'))
      .map((r) => r.path.split('/')[1]);
    expect(new Set(tokenTenants)).toEqual(new Set([sandboxTenantId, otherTenant]));
  });

  it('a subscription the principal cannot read fails with AuthorizationFailed; the other lists', async () => {
    await start();
    sandbox.state.unreadable.add(devSubscriptionId);
    const p = provider();
    const err = await rejectedAppError(p.listSource(sourceOf(p, devSubscriptionId)));
    expect(err.code).toBe('auth_failed');
    expect(err.userMessage).toContain(`dev (${devSubscriptionId})`);
    expect(err.userMessage).toContain('AuthorizationFailed');
    expect(err.userMessage).toContain(`over scope '/subscriptions/${devSubscriptionId}'`);
    expect((await p.listSource(sourceOf(p, prodSubscriptionId))).length).toBeGreaterThan(20);
  });
});

describe('actions', () => {
  beforeEach(() => start());

  /** Runs an action, then its inverse as the spec computes it from the recorded `previous`. */
  const roundTrip = async (
    p: AzureProvider,
    rows: Resource[],
    action: string,
    name: string,
    params: Record<string, string> = {},
  ) => {
    const done = await p.execute(act(rows, action, name, params));
    const spec = findAction(p.actions, 'instance', action);
    const inverse = spec!.inverse({ params, previous: done.previous });
    if (!('action' in inverse)) throw new Error(`no inverse: ${inverse.why}`);
    const undone = await p.execute(act(rows, inverse.action, name, inverse.params));
    return { done, inverse, undone };
  };

  it('deallocate (alias stop) then start restores running, reporting each poll', async () => {
    const p = provider();
    const rows = await p.listSource(sourceOf(p, prodSubscriptionId));
    const steps: string[] = [];
    const stopped = await p.execute(act(rows, 'stop', 'web-prod-1'), { progress: (s) => steps.push(s) });
    expect(steps[0]).toBe('deallocating web-prod-1');
    expect(steps).toContain('deallocating web-prod-1: in progress, check 1');
    expect(stopped.newState).toBe('deallocated');
    vmRecord('web-prod-1').power = 'running';
    const { done, inverse, undone } = await roundTrip(p, rows, 'stop', 'web-prod-1');
    expect(done).toMatchObject({ newState: 'deallocated', previous: { state: 'running' } });
    expect(inverse).toEqual({ action: 'start', params: {} });
    expect(undone).toMatchObject({ newState: 'running', previous: { state: 'deallocated' } });
    expect(vmRecord('web-prod-1').power).toBe('running');
    const posts = sandbox.requests
      .filter((r) => r.method === 'POST' && r.path.includes('web-prod-1'))
      .map((r) => r.path.split('/').at(-1));
    expect(posts).toEqual(['deallocate', 'deallocate', 'start']);
  });

  it('start then deallocate restores deallocated', async () => {
    const p = provider();
    const rows = await p.listSource(sourceOf(p, prodSubscriptionId));
    const { done, inverse, undone } = await roundTrip(p, rows, 'start', 'batch-prod-old');
    expect(done).toMatchObject({ newState: 'running', previous: { state: 'deallocated' } });
    expect(inverse).toEqual({ action: 'deallocate', params: {} });
    expect(undone.newState).toBe('deallocated');
    expect(vmRecord('batch-prod-old').power).toBe('deallocated');
  });

  it('resize then resize back restores the size; the inverse comes from `previous`', async () => {
    const p = provider();
    const rows = await p.listSource(sourceOf(p, prodSubscriptionId));
    const { done, inverse, undone } = await roundTrip(p, rows, 'resize', 'api-prod-1', { size: 'standard_f8s_v2' });
    expect(done).toMatchObject({ previous: { size: 'Standard_F4s_v2' }, newState: 'running' });
    expect(done.summary).toContain('to Standard_F8s_v2');
    expect(inverse).toEqual({ action: 'resize', params: { size: 'Standard_F4s_v2' } });
    expect(undone.previous).toEqual({ size: 'Standard_F8s_v2' });
    expect(vmRecord('api-prod-1').size).toBe('Standard_F4s_v2');
  });

  it('restart (alias reboot) runs and has no inverse', async () => {
    const p = provider();
    const rows = await p.listSource(sourceOf(p, prodSubscriptionId));
    const r = await p.execute(act(rows, 'reboot', 'db-prod-1'));
    expect(r).toMatchObject({ newState: 'running', previous: { state: 'running' } });
    expect(findAction(p.actions, 'instance', 'restart')!.inverse({ params: {}, previous: r.previous })).toEqual({
      why: 'a restart cannot be undone',
    });
    expect(sandbox.requests.some((q) => q.method === 'POST' && q.path.endsWith('/db-prod-1/restart'))).toBe(true);
  });

  it('refuses a size the location does not offer, through the spec check and at execution', async () => {
    const p = provider();
    const rows = await p.listSource(sourceOf(p, prodSubscriptionId));
    const vm = byName(rows, 'web-prod-weu-1');
    const spec = findAction(p.actions, 'instance', 'resize')!;
    const ctx = {
      sizes: () => p.sizesFor('instance', vm.region, vm.account),
      monthlyCostAt: (s: string) => p.monthlyCostFor('instance', s, vm.region),
    };
    const checked = await rejectedAppError(spec.check!({ ...vm }, { size: 'Standard_F16s_v2' }, ctx));
    expect(checked.code).toBe('bad_request');
    await expect(spec.check!({ ...vm }, { size: 'standard_d4s_v5' }, ctx)).resolves.toBeUndefined();
    expect(spec.costDeltaCents!({ ...vm }, { size: 'Standard_D4s_v5' }, ctx)).toBe(
      Math.round(0.23 * 730 * 100) - Math.round(0.115 * 730 * 100),
    );
    const err = await rejectedAppError(p.execute(act(rows, 'resize', 'web-prod-weu-1', { size: 'Standard_F16s_v2' })));
    expect(err.code).toBe('bad_request');
    expect(err.userMessage).toContain('not offered in westeurope');
    expect(vmRecord('web-prod-weu-1').size).toBe('Standard_D2s_v5');
  });

  it('a VM deleted between plan and execution fails not_found and nothing is sent', async () => {
    const p = provider();
    const rows = await p.listSource(sourceOf(p, devSubscriptionId));
    sandbox.state.fleet.vms = sandbox.state.fleet.vms.filter((v) => v.name !== 'api-dev-1');
    const err = await rejectedAppError(p.execute(act(rows, 'deallocate', 'api-dev-1')));
    expect(err.code).toBe('not_found');
    expect(err.userMessage).toBe(
      `The Azure VM api-dev-1 (resource group rg-api-dev-eus, subscription dev (${devSubscriptionId})) no longer exists, so it was not deallocated; nothing was changed.`,
    );
    expect(sandbox.requests.some((r) => r.method !== 'GET' && r.path.includes('api-dev-1'))).toBe(false);
  });

  it('a VM whose state changed since the plan fails with conflict and nothing is sent', async () => {
    const p = provider();
    const rows = await p.listSource(sourceOf(p, devSubscriptionId));
    vmRecord('ml-dev-1').power = 'deallocated';
    const err = await rejectedAppError(p.execute(act(rows, 'restart', 'ml-dev-1')));
    expect(err.code).toBe('conflict');
    expect(err.userMessage).toContain('ml-dev-1 is deallocated now');
    expect(sandbox.requests.some((r) => r.method === 'POST' && r.path.startsWith('/subscriptions/'))).toBe(false);
  });

  it('shows a transitional power state for the configured number of reads, a paged list counting once', async () => {
    await sandbox.stop();
    await start({ transitionPolls: 2, pageSize: 2 });
    const p = provider();
    const rows = await p.listSource(sourceOf(p, prodSubscriptionId));
    const web = byName(rows, 'web-prod-2');
    const vm = vmRecord('web-prod-2');
    vm.power = 'deallocating';
    vm.transition = { to: 'deallocated', readsLeft: 2 };
    const key = { provider: 'azure', account: prodSubscriptionId, region: web.region, type: 'instance', id: web.id };
    const states: Array<string | undefined> = [
      byName(await p.listSource(sourceOf(p, prodSubscriptionId)), 'web-prod-2').state,
    ];
    for (let i = 0; i < 2; i += 1) states.push((await p.describe(key))?.state);
    expect(states).toEqual(['deallocating', 'deallocating', 'deallocated']);
  });
});
