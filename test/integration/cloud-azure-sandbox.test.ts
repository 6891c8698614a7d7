import { request } from 'node:https';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { AzureProvider } from '../../src/cloud/azure/provider.ts';
import {
  devSubscriptionId,
  prodSubscriptionId,
  sandboxClientId,
  sandboxClientSecret,
  sandboxTenantId,
} from '../../src/cloud/sandbox/azure/fleet.ts';
import { azureSandboxProviderOptions, startAzureSandbox } from '../../src/cloud/sandbox/azure/server.ts';
import type { AzureSandbox } from '../../src/cloud/sandbox/azure/server.ts';
import { AppError } from '../../src/errors.ts';

/**
 * The Azure emulator on the wire (HTTPS with its own certificate): Entra's token endpoint, ARM's
 * auth, api-version and error answers, and LRO headers, as a client that is not the SDK sees them.
 */

const now = new Date('2026-11-01T12:00:00Z');
let sandbox: AzureSandbox;

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

const call = (
  method: string,
  path: string,
  opts: { token?: string; form?: Record<string, string>; json?: unknown } = {},
) =>
  new Promise<Reply>((resolve, reject) => {
    const body = opts.form
      ? new URLSearchParams(opts.form).toString()
      : opts.json
        ? JSON.stringify(opts.json)
        : undefined;
    const req = request(
      new URL(path, sandbox.url),
      {
        method,
        ca: sandbox.ca,
        headers: {
          ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
          ...(opts.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
          ...(opts.json ? { 'content-type': 'application/json' } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? JSON.parse(text) : {} });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });

const token = async (tenant = sandboxTenantId, secret = sandboxClientSecret): Promise<Reply> =>
  call('POST', `/${tenant}/oauth2/v2.0/token`, {
    form: {
      grant_type: 'client_credentials',
      client_id: sandboxClientId,
      client_secret: secret,
      scope: 'https://management.azure.com/.default',
    },
  });

const vmPath = `/subscriptions/${prodSubscriptionId}/resourceGroups/rg-web-prod-eus/providers/Microsoft.Compute/virtualMachines/web-prod-1`;
const api = '?api-version=2026-04-01';

beforeEach(async () => {
  sandbox = await startAzureSandbox({ now: () => now, transitionPolls: 1 });
});
afterEach(async () => {
  await sandbox.stop();
});

describe('Entra token endpoint', () => {
  it('serves the tenant’s OpenID configuration and issues a token for the right secret', async () => {
    const config = await call('GET', `/${sandboxTenantId}/v2.0/.well-known/openid-configuration`);
    expect(config.body.token_endpoint).toBe(`${sandbox.url}/${sandboxTenantId}/oauth2/v2.0/token`);
    const ok = await token();
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ token_type: 'Bearer', expires_in: 3599 });
  });

  it('answers a wrong secret and an unknown tenant as Entra does', async () => {
    const wrong = await token(sandboxTenantId, 'guess');
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({ error: 'invalid_client', error_codes: [7000215] });
    const tenant = await token('00000000-0000-4000-8000-000000000000');
    expect(tenant.status).toBe(400);
    expect(tenant.body.error_codes).toEqual([90002]);
  });
});

describe('ARM', () => {
  it('needs a bearer token it issued and an api-version', async () => {
    expect((await call('GET', `${vmPath}${api}`)).status).toBe(401);
    expect(((await call('GET', `${vmPath}${api}`, { token: 'forged' })).body.error as { code: string }).code).toBe(
      'InvalidAuthenticationToken',
    );
    const t = String((await token()).body.access_token);
    const noVersion = await call('GET', vmPath, { token: t });
    expect(noVersion.status).toBe(400);
    expect((noVersion.body.error as { code: string }).code).toBe('MissingApiVersionParameter');
    expect((await call('GET', `${vmPath}${api}`, { token: t })).body.name).toBe('web-prod-1');
  });

  it('refuses a token from another tenant for a subscription', async () => {
    sandbox.state.fleet.subscriptions.find((s) => s.id === devSubscriptionId)!.tenantId = 'other-tenant';
    const t = String((await token()).body.access_token);
    const r = await call('GET', `/subscriptions/${devSubscriptionId}/providers/Microsoft.Compute/disks${api}`, {
      token: t,
    });
    expect(r.status).toBe(401);
    expect((r.body.error as { code: string }).code).toBe('InvalidAuthenticationTokenTenant');
  });

  it('runs a power action as an LRO: 202 with both headers, transitional state, then Succeeded', async () => {
    const t = String((await token()).body.access_token);
    const accepted = await call('POST', `${vmPath}/deallocate${api}`, { token: t });
    expect(accepted.status).toBe(202);
    const op = String(accepted.headers['azure-asyncoperation']);
    expect(op).toMatch(
      new RegExp(
        `^${sandbox.url}/subscriptions/${prodSubscriptionId}/providers/Microsoft.Compute/locations/eastus/operations/`,
      ),
    );
    expect(String(accepted.headers.location)).toContain('/operationresults/');
    const view = await call('GET', `${vmPath}/instanceView${api}`, { token: t });
    expect((view.body.statuses as Array<{ code: string }>)[1]!.code).toBe('PowerState/deallocating');
    expect((await call('GET', op.replace(sandbox.url, ''), { token: t })).body.status).toBe('Succeeded');
    const settled = await call('GET', `${vmPath}/instanceView${api}`, { token: t });
    expect((settled.body.statuses as Array<{ code: string }>)[1]!.code).toBe('PowerState/deallocated');
    const restart = await call('POST', `${vmPath}/restart${api}`, { token: t });
    expect(restart.status).toBe(409);
    expect((restart.body.error as { code: string }).code).toBe('OperationNotAllowed');
  });

  it('answers 404 ResourceNotFound for a VM that does not exist', async () => {
    const t = String((await token()).body.access_token);
    const r = await call('GET', `${vmPath.replace('web-prod-1', 'ghost')}${api}`, { token: t });
    expect(r.status).toBe(404);
    expect(r.body.error).toMatchObject({ code: 'ResourceNotFound' });
  });
});

describe('TLS trust', () => {
  it('a provider that does not trust the sandbox certificate fails with a clear network error', async () => {
    const { ca: _ca, ...untrusted } = azureSandboxProviderOptions(sandbox);
    const p = new AzureProvider({ ...untrusted, now: () => now, maxRetries: 0 });
    const err = await p.listSource(p.sources()[0]!).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('cloud_error');
    expect((err as AppError).userMessage).toContain('Could not reach the Microsoft Entra sign-in endpoint');
    // Nothing reached ARM.
    expect(sandbox.requests.some((r) => r.path.startsWith('/subscriptions/'))).toBe(false);
  });

  it('the sandbox options build a working provider', async () => {
    const p = new AzureProvider({ ...azureSandboxProviderOptions(sandbox), now: () => now });
    expect(p.sources().map((s) => s.account)).toEqual([prodSubscriptionId, devSubscriptionId]);
    expect((await p.listSource(p.sources()[1]!)).length).toBeGreaterThan(10);
  });
});
