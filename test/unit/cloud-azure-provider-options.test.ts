import { describe, expect, it } from '@jest/globals';
import { AzureProvider } from '../../src/cloud/azure/provider.ts';
import type { AzureProviderOptions } from '../../src/cloud/azure/provider.ts';
import { AppError } from '../../src/errors.ts';

/** What the provider checks before any SDK is loaded: its options and the actions it is asked for. */

const sub = '11111111-1111-4111-8111-111111111111';
const build = (o: Partial<AzureProviderOptions>) =>
  new AzureProvider({ subscriptions: [{ id: sub }], sandbox: false, ...o });

const refusal = (f: () => unknown): AppError => {
  try {
    f();
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('expected an AppError');
};

describe('AzureProvider options', () => {
  it('refuses bad options with config_invalid naming the field', () => {
    const http = refusal(() => build({ endpoint: 'http://127.0.0.1:1234' }));
    expect(http.code).toBe('config_invalid');
    expect(http.userMessage).toContain('endpoint');
    expect(refusal(() => build({ subscriptions: [{ id: 'prod' }] })).userMessage).toContain(
      'subscriptions.0.id: must be a GUID',
    );
    expect(refusal(() => build({ subscriptions: [] })).userMessage).toContain('needs at least one subscription');
    expect(refusal(() => build({ subscriptions: [{ id: sub }, { id: sub.toUpperCase() }] })).userMessage).toContain(
      'listed twice',
    );
    expect(refusal(() => build({ authorityHost: 'http://login.example' })).userMessage).toContain('authorityHost');
    expect(refusal(() => build({ ca: 'not a pem' })).userMessage).toContain('ca');
  });

  it('never echoes a client secret in an options error', () => {
    const e = refusal(() => build({ clientSecret: 'super-secret-value', endpoint: 'ftp://x' }));
    expect(e.userMessage).not.toContain('super-secret-value');
  });

  it('names sources by subscription, with the id when there is no name', () => {
    const p = build({ subscriptions: [{ id: sub }] });
    expect(p.sources()).toEqual([
      { key: `azure:${sub}:all`, provider: 'azure', account: sub, region: 'all', label: `Azure ${sub}` },
    ]);
    expect(p.monthlyCostFor('instance', 'Standard_B2s', 'eastus')).toBe(Math.round(0.0416 * 730 * 100));
    expect(p.monthlyCostFor('volume', 'Standard_B2s', 'eastus')).toBeUndefined();
  });

  it('refuses an unknown action, bad parameters and an unconfigured subscription before calling Azure', async () => {
    const p = build({});
    const target = {
      provider: 'azure',
      account: sub,
      region: 'eastus',
      type: 'instance',
      id: `/subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1`,
    };
    await expect(p.execute({ action: 'terminate', target, params: {} })).rejects.toMatchObject({ code: 'bad_request' });
    await expect(p.execute({ action: 'resize', target, params: {} })).rejects.toMatchObject({ code: 'bad_request' });
    await expect(
      p.execute({
        action: 'start',
        target: { ...target, account: '22222222-2222-4222-8222-222222222222' },
        params: {},
      }),
    ).rejects.toMatchObject({ code: 'bad_request' });
    await expect(
      p.execute({ action: 'start', target: { ...target, provider: 'aws' }, params: {} }),
    ).rejects.toMatchObject({
      code: 'bad_request',
    });
    await expect(p.execute({ action: 'start', target: { ...target, id: 'vm1' }, params: {} })).rejects.toMatchObject({
      code: 'bad_request',
    });
  });
});
