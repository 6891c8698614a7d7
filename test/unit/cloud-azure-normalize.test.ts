import { describe, expect, it } from '@jest/globals';
import type { Disk, VirtualMachine } from '@azure/arm-compute';
import type { SecurityRule } from '@azure/arm-network';
import { findAction } from '../../src/cloud/actions.ts';
import type { ActionSubject } from '../../src/cloud/actions.ts';
import { azureActions } from '../../src/cloud/azure/actions.ts';
import { rememberArmError, translateAzureError } from '../../src/cloud/azure/errors.ts';
import {
  diskResource,
  diskTierKey,
  ingressOf,
  powerStateOf,
  publicIpResource,
  storageAccountResource,
  vmResource,
} from '../../src/cloud/azure/normalize.ts';

const sub = '11111111-1111-4111-8111-111111111111';
const ctx = { subscriptionId: sub, seenAt: new Date('2026-11-01T00:00:00Z'), sandbox: false };
const id = (type: string, name: string) => `/subscriptions/${sub}/resourceGroups/rg-app/providers/${type}/${name}`;

const vm = (size: string, power: string, osType: 'Linux' | 'Windows' = 'Linux'): VirtualMachine => ({
  id: id('Microsoft.Compute/virtualMachines', 'app-1'),
  name: 'app-1',
  location: 'eastus',
  tags: { Environment: 'Prod', service: 'app' },
  hardwareProfile: { vmSize: size },
  storageProfile: { osDisk: { osType, name: 'app-1-os', createOption: 'FromImage' } },
  instanceView: { statuses: [{ code: 'ProvisioningState/succeeded' }, { code: `PowerState/${power}` }] },
});

const rule = (r: Partial<SecurityRule>): SecurityRule => ({
  name: 'r',
  priority: 100,
  direction: 'Inbound',
  access: 'Allow',
  protocol: 'Tcp',
  ...r,
});

describe('Azure VM → Resource', () => {
  it('reads the power state from the instance view', () => {
    expect(powerStateOf({ statuses: [{ code: 'PowerState/deallocating' }] })).toBe('deallocating');
    expect(powerStateOf(undefined)).toBe('unknown');
  });

  it('bills compute while allocated (stopped included), not once deallocated', () => {
    const running = vmResource(vm('Standard_D2s_v5', 'running'), ctx);
    expect(running).toMatchObject({
      provider: 'azure',
      account: sub,
      region: 'eastus',
      type: 'instance',
      name: 'app-1',
      state: 'running',
      environment: 'prod',
      monthlyCostCents: Math.round(0.096 * 730 * 100),
    });
    expect(running.attributes).toMatchObject({ vmSize: 'Standard_D2s_v5', resourceGroup: 'rg-app', osType: 'Linux' });
    expect(vmResource(vm('Standard_D2s_v5', 'stopped'), ctx).monthlyCostCents).toBe(running.monthlyCostCents);
    expect(vmResource(vm('Standard_D2s_v5', 'deallocated'), ctx).monthlyCostCents).toBe(0);
  });

  it('never guesses a price: unknown sizes and Windows (the table is Linux) are unpriced', () => {
    const unknown = vmResource(vm('Standard_M416ms_v2', 'running'), ctx);
    expect(unknown.monthlyCostCents).toBe(0);
    expect(unknown.attributes.priced).toBe(false);
    expect(vmResource(vm('Standard_B2s', 'running', 'Windows'), ctx).attributes.priced).toBe(false);
    expect(vmResource(vm('Standard_B2s', 'running'), ctx).attributes.priced).toBeUndefined();
  });

  it('puts no CPU figure in attributes, in sandbox mode either (metrics are their own rows)', () => {
    const tagged = { ...vm('Standard_B2s', 'running'), tags: { 'sandbox:cpu-avg-14d': '1.5' } };
    for (const sandbox of [false, true]) {
      const attributes = vmResource(tagged, { ...ctx, sandbox }).attributes;
      expect(Object.keys(attributes).filter((k) => /cpu/i.test(k))).toEqual([]);
    }
  });
});

describe('disks, IPs, storage accounts', () => {
  it('prices a managed disk by its provisioned tier', () => {
    expect(diskTierKey('Premium_LRS', 100)).toBe('Premium_LRS/P10');
    expect(diskTierKey('Premium_LRS', 128)).toBe('Premium_LRS/P10');
    expect(diskTierKey('StandardSSD_LRS', 129)).toBe('StandardSSD_LRS/E15');
    expect(diskTierKey('Standard_LRS', 4096)).toBe('Standard_LRS/S50');
    expect(diskTierKey('Premium_LRS', 8192)).toBeUndefined();
    expect(diskTierKey('UltraSSD_LRS', 64)).toBeUndefined();
  });

  it('an unattached disk has attachedTo null and state available', () => {
    const disk: Disk = {
      id: id('Microsoft.Compute/disks', 'spare'),
      name: 'spare',
      location: 'westeurope',
      sku: { name: 'Premium_LRS' },
      diskSizeGB: 200,
      diskState: 'Unattached',
    };
    const r = diskResource(disk, ctx);
    expect(r).toMatchObject({ type: 'volume', state: 'available', region: 'westeurope' });
    expect(r.attributes).toMatchObject({ attachedTo: null, tier: 'P15', sizeGb: 200, volumeType: 'Premium_LRS' });
    expect(r.monthlyCostCents).toBeGreaterThan(0);
    const vmId = id('Microsoft.Compute/virtualMachines', 'app-1');
    const attached = diskResource({ ...disk, diskState: 'Attached', managedBy: vmId }, ctx);
    expect(attached).toMatchObject({ state: 'in-use', attributes: { attachedTo: vmId, attachedToName: 'app-1' } });
    const ultra = diskResource({ ...disk, sku: { name: 'UltraSSD_LRS' } }, ctx);
    expect(ultra).toMatchObject({ monthlyCostCents: 0, attributes: { priced: false } });
  });

  it('a public IP without an IP configuration is unassociated', () => {
    const ip = publicIpResource(
      { id: id('Microsoft.Network/publicIPAddresses', 'pip'), name: 'pip', location: 'eastus', ipAddress: '20.1.2.3' },
      ctx,
    );
    expect(ip).toMatchObject({
      type: 'ip_address',
      state: 'available',
      attributes: { associatedTo: null, ipAddress: '20.1.2.3' },
    });
    const nic = `${id('Microsoft.Network/networkInterfaces', 'nic')}/ipConfigurations/ipconfig1`;
    expect(
      publicIpResource({ name: 'pip', location: 'eastus', ipConfiguration: { id: nic } }, ctx).attributes.associatedTo,
    ).toBe(nic);
  });

  it('keeps the storage account settings scans read', () => {
    const r = storageAccountResource(
      {
        id: id('Microsoft.Storage/storageAccounts', 'st1'),
        name: 'st1',
        location: 'eastus',
        kind: 'StorageV2',
        sku: { name: 'Standard_LRS' },
        allowBlobPublicAccess: true,
        minimumTlsVersion: 'TLS1_0',
        enableHttpsTrafficOnly: false,
        publicNetworkAccess: 'Enabled',
        encryption: { keySource: 'Microsoft.Storage', services: { blob: { enabled: true } } },
      },
      ctx,
    );
    expect(r.type).toBe('storage_account');
    expect(r.attributes).toMatchObject({
      allowBlobPublicAccess: true,
      minimumTlsVersion: 'TLS1_0',
      httpsOnly: false,
      publicNetworkAccess: 'Enabled',
      encryption: { keySource: 'Microsoft.Storage', blob: true, file: null, infrastructure: false },
      priced: false,
    });
  });
});

describe('NSG rules → ingress (the AWS security_group shape)', () => {
  it('maps * and Internet to 0.0.0.0/0, * ports to 0–65535, and splits port lists', () => {
    expect(
      ingressOf([
        rule({ name: 'ssh', sourceAddressPrefix: 'Internet', destinationPortRange: '22' }),
        rule({ name: 'any', protocol: '*', priority: 90, sourceAddressPrefix: '*', destinationPortRange: '*' }),
        rule({
          name: 'web',
          priority: 120,
          sourceAddressPrefixes: ['10.0.0.0/8', '192.168.0.0/16'],
          destinationPortRanges: ['80', '8000-8100'],
        }),
        rule({
          name: 'udp',
          priority: 130,
          protocol: 'Udp',
          sourceAddressPrefix: 'VirtualNetwork',
          destinationPortRange: '53',
        }),
      ]),
    ).toEqual([
      { protocol: 'all', fromPort: 0, toPort: 65535, cidrs: ['0.0.0.0/0'], name: 'any', priority: 90 },
      { protocol: 'tcp', fromPort: 22, toPort: 22, cidrs: ['0.0.0.0/0'], name: 'ssh', priority: 100 },
      {
        protocol: 'tcp',
        fromPort: 80,
        toPort: 80,
        cidrs: ['10.0.0.0/8', '192.168.0.0/16'],
        name: 'web',
        priority: 120,
      },
      {
        protocol: 'tcp',
        fromPort: 8000,
        toPort: 8100,
        cidrs: ['10.0.0.0/8', '192.168.0.0/16'],
        name: 'web',
        priority: 120,
      },
      { protocol: 'udp', fromPort: 53, toPort: 53, cidrs: ['VirtualNetwork'], name: 'udp', priority: 130 },
    ]);
  });

  it('leaves out Deny and Outbound rules', () => {
    expect(
      ingressOf([
        rule({ access: 'Deny', sourceAddressPrefix: '*', destinationPortRange: '3389' }),
        rule({ direction: 'Outbound', sourceAddressPrefix: '*', destinationPortRange: '25' }),
      ]),
    ).toEqual([]);
  });
});

describe('Azure errors → AppError', () => {
  const scope = { doing: 'listing VMs', subscription: `prod (${sub})` };
  const rest = (code: string, statusCode: number, message: string) =>
    Object.assign(new Error(message), { name: 'RestError', code, statusCode });

  it('keeps Azure’s message and names the subscription', () => {
    const e = translateAzureError(rest('ResourceNotFound', 404, "The Resource 'x' was not found."), scope);
    expect(e.code).toBe('not_found');
    expect(e.userMessage).toBe(
      `Azure could not find it in subscription prod (${sub}) while listing VMs: The Resource 'x' was not found.`,
    );
    expect(translateAzureError(rest('OperationNotAllowed', 409, 'busy'), scope).code).toBe('conflict');
    expect(translateAzureError(rest('TooManyRequests', 429, 'slow down'), scope).code).toBe('rate_limited');
    expect(translateAzureError(rest('SkuNotAvailable', 409, 'no such size'), scope).code).toBe('bad_request');
    expect(translateAzureError(rest('InternalServerError', 500, 'boom'), scope).code).toBe('cloud_error');
  });

  it('puts back ARM’s message when the SDK pager replaced it', () => {
    const request = {};
    rememberArmError(
      request,
      JSON.stringify({ error: { code: 'AuthorizationFailed', message: 'The client x has no read.' } }),
    );
    const paged = Object.assign(rest('AuthorizationFailed', 403, 'Pagination failed with unexpected statusCode 403'), {
      request,
    });
    const e = translateAzureError(paged, scope);
    expect(e.code).toBe('auth_failed');
    expect(e.userMessage).toContain('(AuthorizationFailed): The client x has no read.');
  });

  it('tells a refused secret, a missing credential and an unreachable authority apart', () => {
    const refused = Object.assign(
      new Error(
        'invalid_client: Error(s): 7000215 - Description: AADSTS7000215: Invalid client secret provided. Trace ID: t Correlation ID: c',
      ),
      { name: 'AuthenticationRequiredError' },
    );
    const r = translateAzureError(refused, scope);
    expect(r.code).toBe('auth_failed');
    expect(r.userMessage).toContain('AADSTS7000215: Invalid client secret provided.');
    expect(r.userMessage).not.toContain('Trace ID');
    const none = translateAzureError(
      Object.assign(new Error('EnvironmentCredential is unavailable.'), { name: 'CredentialUnavailableError' }),
      scope,
    );
    expect(none.code).toBe('auth_failed');
    expect(none.userMessage).toMatch(/^No Azure credentials were found for subscription prod/);
    const unreachable = translateAzureError(
      Object.assign(new Error('endpoints_resolution_error: See https://aka.ms/msal.js.errors'), {
        name: 'CredentialUnavailableError',
      }),
      scope,
    );
    expect(unreachable.code).toBe('cloud_error');
    expect(unreachable.userMessage).toContain('Could not reach the Microsoft Entra sign-in endpoint');
  });
});

describe('Azure action specs', () => {
  const subject = (state: string, monthlyCostCents: number, size = 'Standard_D2s_v5'): ActionSubject => ({
    provider: 'azure',
    account: sub,
    region: 'eastus',
    type: 'instance',
    id: id('Microsoft.Compute/virtualMachines', 'app-1'),
    name: 'app-1',
    state,
    environment: 'prod',
    attributes: { vmSize: size },
    tags: {},
    monthlyCostCents,
  });
  const costs: Record<string, number> = { Standard_D2s_v5: 7008, Standard_D4s_v5: 14016 };
  const check = { sizes: async () => Object.keys(costs), monthlyCostAt: (s: string) => costs[s] };

  it('names deallocate “stop” and restart “reboot”', () => {
    expect(findAction(azureActions, 'instance', 'stop')?.name).toBe('deallocate');
    expect(findAction(azureActions, 'instance', 'reboot')?.name).toBe('restart');
  });

  it('prices the power actions: a stopped VM is still billed', () => {
    const start = findAction(azureActions, 'instance', 'start')!;
    const deallocate = findAction(azureActions, 'instance', 'deallocate')!;
    expect(start.costDeltaCents!(subject('deallocated', 0), {}, check)).toBe(7008);
    expect(start.costDeltaCents!(subject('stopped', 7008), {}, check)).toBe(0);
    expect(deallocate.costDeltaCents!(subject('running', 7008), {}, check)).toBe(-7008);
    expect(deallocate.inverse({ params: {}, previous: { state: 'running' } })).toEqual({ action: 'start', params: {} });
    expect(start.inverse({ params: {}, previous: { state: 'deallocated' } })).toEqual({
      action: 'deallocate',
      params: {},
    });
    expect(start.inverse({ params: {}, previous: { state: 'running' } })).toHaveProperty('why');
  });

  it('checks a resize against the offered sizes, case-insensitively, and undoes it from `previous`', async () => {
    const resize = findAction(azureActions, 'instance', 'resize')!;
    expect(resize.sizeAttribute).toBe('vmSize');
    await expect(resize.check!(subject('running', 7008), { size: 'standard_d4s_v5' }, check)).resolves.toBeUndefined();
    await expect(resize.check!(subject('running', 7008), { size: 'Standard_D4s_v9' }, check)).rejects.toMatchObject({
      code: 'bad_request',
      field: 'size',
    });
    await expect(resize.check!(subject('running', 7008), { size: 'Standard_D2s_v5' }, check)).rejects.toMatchObject({
      code: 'conflict',
    });
    expect(resize.costDeltaCents!(subject('running', 7008), { size: 'Standard_D4s_v5' }, check)).toBe(7008);
    expect(resize.costDeltaCents!(subject('deallocated', 0), { size: 'Standard_D4s_v5' }, check)).toBe(0);
    expect(resize.inverse({ params: { size: 'Standard_D4s_v5' }, previous: { size: 'Standard_D2s_v5' } })).toEqual({
      action: 'resize',
      params: { size: 'Standard_D2s_v5' },
    });
    expect(resize.params.safeParse({ size: 'Standard D2; rm -rf' }).success).toBe(false);
  });
});
