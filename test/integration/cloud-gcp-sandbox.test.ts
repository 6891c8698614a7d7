import { afterEach, describe, expect, it } from '@jest/globals';
import { GcpProvider } from '../../src/cloud/gcp/provider.ts';
import { seedGcpFleet } from '../../src/cloud/sandbox/gcp/fleet.ts';
import { startGcpSandbox } from '../../src/cloud/sandbox/gcp/server.ts';
import type { GcpSandbox } from '../../src/cloud/sandbox/gcp/server.ts';

/** The GCP emulator's wire behaviour: Google's error JSON, paging limits, transitions, a deterministic fleet. */

const now = new Date('2026-11-20T12:00:00Z');
let sandbox: GcpSandbox | undefined;
let provider: GcpProvider | undefined;

afterEach(async () => {
  await provider?.closeAsync();
  await sandbox?.stop();
  sandbox = undefined;
  provider = undefined;
});

const get = async (sb: GcpSandbox, path: string, token?: string) => {
  const res = await fetch(`${sb.url}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- raw wire JSON, asserted field by field
  return { status: res.status, body: (await res.json()) as Record<string, any> };
};

describe('GCP sandbox', () => {
  it('seeds the same fleet from the same clock', () => {
    expect(JSON.stringify(seedGcpFleet(now))).toBe(JSON.stringify(seedGcpFleet(new Date(now))));
    expect(JSON.stringify(seedGcpFleet(now))).not.toBe(JSON.stringify(seedGcpFleet(new Date(now.getTime() + 1000))));
  });

  it("answers errors in Google's JSON shape: 404 notFound, 401, 403 PERMISSION_DENIED, injected 429", async () => {
    const sb = (sandbox = await startGcpSandbox({ now: () => now, tokens: { t: ['acme-prod'] } }));
    const missing = await get(sb, '/compute/v1/projects/acme-prod/zones/us-central1-a/instances/nope', 't');
    expect(missing).toEqual({
      status: 404,
      body: {
        error: {
          code: 404,
          message: "The resource 'projects/acme-prod/zones/us-central1-a/instances/nope' was not found",
          errors: [
            {
              message: "The resource 'projects/acme-prod/zones/us-central1-a/instances/nope' was not found",
              domain: 'global',
              reason: 'notFound',
            },
          ],
          status: 'NOT_FOUND',
        },
      },
    });
    expect((await get(sb, '/compute/v1/projects/acme-prod/aggregated/instances')).body.error).toMatchObject({
      code: 401,
      status: 'UNAUTHENTICATED',
    });
    expect((await get(sb, '/storage/v1/b?project=acme-dev', 't')).body.error).toMatchObject({
      code: 403,
      status: 'PERMISSION_DENIED',
      message: "Permission 'storage.buckets.list' denied on resource 'projects/acme-dev' (or it may not exist).",
      errors: [{ reason: 'forbidden' }],
    });
    sb.failNext('iam.serviceAccounts.list@acme-prod', { status: 429 });
    expect((await get(sb, '/v1/projects/acme-prod/serviceAccounts', 't')).body.error).toMatchObject({
      code: 429,
      status: 'RESOURCE_EXHAUSTED',
      errors: [{ reason: 'rateLimitExceeded', domain: 'usageLimits' }],
    });
    expect((await get(sb, '/v1/projects/acme-prod/serviceAccounts', 't')).status).toBe(200);
  });

  it('pages aggregated lists at most 500 per page with NO_RESULTS_ON_PAGE scopes, and refuses a forged page token', async () => {
    const sb = (sandbox = await startGcpSandbox({ now: () => now }));
    const first = await get(sb, '/compute/v1/projects/acme-prod/aggregated/instances?maxResults=3');
    const scopes = first.body.items as Record<string, { instances?: unknown[]; warning?: { code: string } }>;
    expect(Object.values(scopes).flatMap((s) => s.instances ?? [])).toHaveLength(3);
    expect(Object.values(scopes).some((s) => s.warning?.code === 'NO_RESULTS_ON_PAGE')).toBe(true);
    expect(first.body.nextPageToken).toEqual(expect.any(String));
    const all = await get(sb, '/compute/v1/projects/acme-prod/aggregated/instances?maxResults=100000');
    expect(all.body.nextPageToken).toBeUndefined();
    expect(
      (await get(sb, '/compute/v1/projects/acme-prod/global/firewalls?pageToken=forged')).body.error,
    ).toMatchObject({
      code: 400,
      errors: [{ reason: 'invalid' }],
    });
    const types = await get(sb, '/compute/v1/projects/acme-prod/zones/europe-west1-b/machineTypes');
    expect(types.body.items.map((m: { name: string }) => m.name)).not.toContain('c2-standard-4');
    expect(types.body.items.find((m: { name: string }) => m.name === 'e2-medium')).toMatchObject({
      guestCpus: 2,
      memoryMb: 4096,
    });
  });

  it('shows STAGING for `transitionPolls` reads after a start, then RUNNING (sandbox provider without credentials)', async () => {
    const sb = (sandbox = await startGcpSandbox({ now: () => now, transitionPolls: 2 }));
    // No authClient: a sandbox provider sends no credentials and never looks for Application Default Credentials.
    provider = new GcpProvider({
      projects: [{ id: 'acme-dev' }],
      endpoint: { host: sb.host, port: sb.port, protocol: 'http' },
      sandbox: true,
      now: () => now,
    });
    const key = {
      provider: 'gcp',
      account: 'acme-dev',
      region: 'us-central1',
      type: 'instance',
      id: 'zones/us-central1-b/instances/worker-dev-1',
    };
    const res = await fetch(`${sb.url}/compute/v1/projects/acme-dev/zones/us-central1-b/instances/worker-dev-1/start`, {
      method: 'POST',
    });
    const op = (await res.json()) as { status: string; operationType: string };
    expect(op).toMatchObject({ status: 'RUNNING', operationType: 'start' });
    const states: string[] = [];
    for (let i = 0; i < 3; i++) states.push(String((await provider.describe(key))?.attributes.status));
    expect(states).toEqual(['STAGING', 'STAGING', 'RUNNING']);
    expect(sb.requests.every((r) => r.status === 200)).toBe(true);
  });
});
