import { afterEach, describe, expect, it } from '@jest/globals';
import { PassThroughClient } from 'google-auth-library';
import { findAction } from '../../src/cloud/actions.ts';
import { AzureProvider } from '../../src/cloud/azure/provider.ts';
import type { ActionCatalog, ActionSpec } from '../../src/cloud/actions.ts';
import { GcpProvider } from '../../src/cloud/gcp/provider.ts';
import type { ActionResult } from '../../src/cloud/provider.ts';
import type { Resource } from '../../src/cloud/resource.ts';
import {
  devSubscriptionId,
  prodSubscriptionId,
  sandboxClientId,
  sandboxClientSecret,
  sandboxTenantId,
} from '../../src/cloud/sandbox/azure/fleet.ts';
import { startAzureSandbox } from '../../src/cloud/sandbox/azure/server.ts';
import type { AzureSandbox } from '../../src/cloud/sandbox/azure/server.ts';
import { startGcpSandbox } from '../../src/cloud/sandbox/gcp/server.ts';
import type { GcpSandbox } from '../../src/cloud/sandbox/gcp/server.ts';
import type { RuleContext } from '../../src/scans/rule.ts';
import { builtInRules } from '../../src/scans/rules/index.ts';
import { rejectedAppError, sourceOf } from '../helpers/cloud.ts';

// The scanner's Azure and GCP fixes, each run through the provider's execute against its sandbox:
// the emulator's state changes, a re-sync shows it, and the recorded rollback data gives the
// inverse, which runs where the cloud allows one.
const now = new Date('2026-11-20T12:00:00Z');

const spec = (actions: ActionCatalog, type: string, name: string): ActionSpec => {
  const s = findAction(actions, type, name);
  if (!s) throw new Error(`no action ${name} for ${type}`);
  return s;
};

/** The fixParams a rule puts on its finding for `r` (the rules used here read nothing but the resource). */
const fixParamsOf = (ruleId: string, r: Resource): Record<string, string> => {
  const rule = builtInRules.find((x) => x.id === ruleId)!;
  const e = rule.evaluate(r, {} as RuleContext);
  expect(e.verdict).toBe('fail');
  return e.fixParams ?? {};
};

const implemented: Record<string, string[]> = {
  gcp: [
    'revoke_ingress',
    'snapshot_and_delete',
    'delete_snapshot',
    'release_address',
    'block_public_access',
    'disable_key',
  ],
  azure: ['revoke_ingress', 'snapshot_and_delete', 'release_address', 'secure_storage_account'],
};

/** Each implemented fix of `provider`'s rules is an action of every type the rule judges. */
const missingFixes = (provider: 'gcp' | 'azure', actions: ActionCatalog): string[] => {
  const fixes = builtInRules.filter(
    (r) => r.provider === provider && r.fix && implemented[provider]!.includes(r.fix.action),
  );
  expect(new Set(fixes.map((r) => r.fix!.action))).toEqual(new Set(implemented[provider]));
  return fixes.flatMap((r) =>
    r.types.filter((t) => !findAction(actions, t, r.fix!.action)).map((t) => `${r.id}: ${t}`),
  );
};

describe('GCP fix actions', () => {
  let sandbox: GcpSandbox;
  let p: GcpProvider;

  const start = async () => {
    sandbox = await startGcpSandbox({ now: () => now });
    p = new GcpProvider({
      projects: [{ id: 'acme-prod' }, { id: 'acme-dev' }],
      endpoint: { host: sandbox.host, port: sandbox.port, protocol: 'http' },
      authClient: new PassThroughClient(),
      sandbox: true,
      now: () => now,
      retry: { maxRetries: 0, initialDelayMs: 5, maxDelayMs: 20 },
    });
  };
  afterEach(async () => {
    await p.closeAsync();
    await sandbox.stop();
  });

  const resource = async (project: string, type: string, name: string): Promise<Resource | undefined> => {
    const rows = await p.listSource(p.sources().find((s) => s.account === project)!);
    return rows.find((r) => r.type === type && r.name === name);
  };
  const run = (r: Resource, action: string, params: Record<string, string> = {}): Promise<ActionResult> =>
    p.execute({
      action,
      target: { provider: 'gcp', account: r.account, region: r.region, type: r.type, id: r.id },
      params,
    });

  it('declares each fix the GCP rules name, for every type they judge, with the rules’ parameters', async () => {
    await start();
    expect(missingFixes('gcp', p.actions)).toEqual([]);
    const ok = (type: string, name: string, params: Record<string, string>) =>
      spec(p.actions, type, name).params.safeParse(params).success;
    expect(ok('security_group', 'revoke_ingress', { rules: 'x-1', ports: '22,3389', cidrs: '0.0.0.0/0,::/0' })).toBe(
      true,
    );
    expect(ok('security_group', 'revoke_ingress', { rules: 'a,b', ports: '22', cidrs: '0.0.0.0/0' })).toBe(false);
    expect(ok('bucket', 'block_public_access', { publicAccessPrevention: 'enforced' })).toBe(true);
    expect(ok('bucket', 'block_public_access', { publicAccessPrevention: 'inherited' })).toBe(false);
  });

  it('revoke_ingress deletes the firewall rule the scanner flagged; rollback says how to recreate it', async () => {
    await start();
    const fw = (await resource('acme-dev', 'security_group', 'dev-allow-ssh-rdp'))!;
    const params = fixParamsOf('gcp.fw.admin_ports', fw);
    expect(params).toEqual({ rules: 'dev-allow-ssh-rdp', ports: '22,3389', cidrs: '0.0.0.0/0' });
    const s = spec(p.actions, 'security_group', 'revoke_ingress');
    expect(s.deletes).toBe(true);
    expect(s.blastRadius(fw, params)).toMatch(/deleted whole: every instance on default .*tcp 22, tcp 3389/);
    const result = await run(fw, 'revoke_ingress', params);
    expect(result.newState).toBe('deleted');
    expect(result.summary).toContain('allowed tcp:22,3389 from 0.0.0.0/0');
    expect(sandbox.state.firewalls.some((f) => f.name === 'dev-allow-ssh-rdp')).toBe(false);
    expect(await resource('acme-dev', 'security_group', 'dev-allow-ssh-rdp')).toBeUndefined();
    expect(s.inverse({ params, previous: result.previous })).toEqual({
      why: expect.stringContaining(
        'recreate dev-allow-ssh-rdp on network default (INGRESS, priority 1000, allow tcp:22,3389 from 0.0.0.0/0)',
      ),
    });
    // Run again: the rule is gone, said before anything is sent.
    const again = await rejectedAppError(run(fw, 'revoke_ingress', params));
    expect(again.code).toBe('not_found');
    expect(again.message).toContain('dev-allow-ssh-rdp');
  });

  it('delete_snapshot and release_address remove the resource; an address in use is refused with Google’s words', async () => {
    await start();
    const snap = (await resource('acme-prod', 'snapshot', 'legacy-db-backup'))!;
    const s = spec(p.actions, 'snapshot', 'delete_snapshot');
    expect(s.deletes).toBe(true);
    expect(s.costDeltaCents!(snap, {}, { sizes: async () => [], monthlyCostAt: () => undefined })).toBe(
      -snap.monthlyCostCents,
    );
    const deleted = await run(snap, 'delete_snapshot');
    expect(deleted).toMatchObject({
      newState: 'deleted',
      previous: { sourceDisk: 'zones/us-central1-b/disks/legacy-db' },
    });
    expect(sandbox.state.snapshots.map((x) => x.name)).not.toContain('legacy-db-backup');
    expect(s.inverse({ params: {}, previous: deleted.previous })).toEqual({
      why: 'a deleted snapshot cannot come back',
    });

    const ip = (await resource('acme-dev', 'ip_address', 'old-demo-ip'))!;
    expect(ip.state).toBe('reserved');
    const released = await run(ip, 'release_address');
    expect(released).toMatchObject({ newState: 'released', previous: { address: '34.70.200.9' } });
    expect(sandbox.state.addresses.map((x) => x.name)).not.toContain('old-demo-ip');
    expect(await resource('acme-dev', 'ip_address', 'old-demo-ip')).toBeUndefined();

    // An address in use: the provider's own read refuses it before the delete…
    const used = (await resource('acme-prod', 'ip_address', 'web-prod-ip'))!;
    const refused = await rejectedAppError(run(used, 'release_address'));
    expect(refused.code).toBe('conflict');
    expect(refused.message).toContain('in use by zones/us-central1-a/instances/web-prod-1');
    // …and GCE itself refuses to release an address in use, as the emulator does.
    const res = await fetch(`${sandbox.url}/compute/v1/projects/acme-prod/regions/us-central1/addresses/web-prod-ip`, {
      method: 'DELETE',
    });
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toContain('resourceInUseByAnotherResource');
    expect(sandbox.state.addresses.some((a) => a.name === 'web-prod-ip')).toBe(true);
  });

  it('snapshot_and_delete snapshots an unattached disk, then deletes it; an attached one is refused', async () => {
    await start();
    const disk = (await resource('acme-dev', 'volume', 'old-migration-data'))!;
    expect(disk.state).toBe('available');
    const result = await run(disk, 'snapshot_and_delete');
    expect(result).toMatchObject({
      newState: 'deleted',
      previous: { snapshotId: 'old-migration-data-20261120120000' },
    });
    expect(sandbox.state.disks.some((d) => d.name === 'old-migration-data')).toBe(false);
    const snap = sandbox.state.snapshots.find((x) => x.name === 'old-migration-data-20261120120000')!;
    expect(snap.sourceDisk).toBe(`${disk.attributes.zone}/old-migration-data`);
    expect(await resource('acme-dev', 'volume', 'old-migration-data')).toBeUndefined();
    expect(spec(p.actions, 'volume', 'snapshot_and_delete').inverse({ params: {}, previous: result.previous })).toEqual(
      {
        why: `a deleted disk cannot come back; create a new disk from snapshot old-migration-data-20261120120000 in ${String(disk.attributes.zone)}`,
      },
    );
    const attached = (await resource('acme-prod', 'volume', 'db-prod-1-data'))!;
    const refused = await rejectedAppError(run(attached, 'snapshot_and_delete'));
    expect(refused.code).toBe('conflict');
    expect(sandbox.state.disks.some((d) => d.name === 'db-prod-1-data')).toBe(true);
  });

  it('block_public_access enforces public access prevention; the inverse puts back inherited', async () => {
    await start();
    const bucket = (await resource('acme-prod', 'bucket', 'acme-prod-assets'))!;
    const params = fixParamsOf('gcp.gcs.public', bucket);
    expect(params).toEqual({ publicAccessPrevention: 'enforced' });
    const s = spec(p.actions, 'bucket', 'block_public_access');
    expect(s.inverse({ params, subject: bucket })).toEqual({
      action: 'set_public_access_prevention',
      params: { publicAccessPrevention: 'inherited' },
    });
    const result = await run(bucket, 'block_public_access', params);
    expect(result).toMatchObject({ newState: 'active', previous: { publicAccessPrevention: 'inherited' } });
    expect(sandbox.state.buckets.find((b) => b.name === 'acme-prod-assets')!.publicAccessPrevention).toBe('enforced');
    expect((await resource('acme-prod', 'bucket', 'acme-prod-assets'))!.attributes).toMatchObject({
      publicAccessPrevention: 'enforced',
      public: false,
    });
    const inverse = s.inverse({ params, previous: result.previous });
    if (!('action' in inverse)) throw new Error(inverse.why);
    const back = await run(bucket, inverse.action, inverse.params);
    expect(back.previous).toEqual({ publicAccessPrevention: 'enforced' });
    expect(sandbox.state.buckets.find((b) => b.name === 'acme-prod-assets')!.publicAccessPrevention).toBe('inherited');
    // Enforcing twice changes nothing and records nothing to undo (the parameter may be left out).
    await run(bucket, 'block_public_access', {});
    expect(sandbox.state.buckets.find((b) => b.name === 'acme-prod-assets')!.publicAccessPrevention).toBe('enforced');
    const twice = await run(bucket, 'block_public_access', params);
    expect(twice.summary).toContain('already');
    expect(s.inverse({ params, previous: twice.previous })).toEqual({
      why: 'it was already enforced, so nothing changed',
    });
  });

  it('disable_key disables an old user-managed key; enable_key undoes it', async () => {
    await start();
    const rows = await p.listSource(p.sources().find((x) => x.account === 'acme-prod')!);
    const key = rows.find((r) => r.type === 'access_key' && r.attributes.userManaged === true)!;
    const rule = builtInRules.find((r) => r.id === 'gcp.iam.sa_keys')!;
    const e = rule.evaluate(key, { now, threshold: () => 90 } as unknown as RuleContext);
    expect(e.verdict).toBe('fail');
    const params = e.fixParams!;
    expect(params).toEqual({
      serviceAccount: 'deploy-bot@acme-prod.iam.gserviceaccount.com',
      keyId: key.attributes.keyId,
    });
    const stored = () =>
      sandbox.state.serviceAccounts
        .find((a) => a.email === params.serviceAccount)!
        .keys.find((k) => k.id === params.keyId)!;
    const s = spec(p.actions, 'access_key', 'disable_key');
    expect(s.params.safeParse(params).success).toBe(true);
    const result = await run(key, 'disable_key', params);
    expect(result).toMatchObject({ newState: 'inactive', previous: { state: 'active' } });
    expect(stored().disabled).toBe(true);
    const listed = (await p.listSource(p.sources().find((x) => x.account === 'acme-prod')!)).find(
      (r) => r.id === key.id,
    )!;
    expect(listed.state).toBe('inactive');
    const inverse = s.inverse({ params, previous: result.previous });
    expect(inverse).toEqual({ action: 'enable_key', params: {} });
    if (!('action' in inverse)) throw new Error(inverse.why);
    const back = await run(key, inverse.action, inverse.params);
    expect(back).toMatchObject({ newState: 'active', previous: { state: 'inactive' } });
    expect(stored().disabled).toBe(false);
    // Parameters naming another key are refused before anything is sent.
    const other = await rejectedAppError(run(key, 'disable_key', { ...params, keyId: 'ffffffff' }));
    expect(other.code).toBe('bad_request');
    expect(stored().disabled).toBe(false);
  });

  it('reports an API error on the delete clearly and leaves the state as it was', async () => {
    await start();
    const snap = (await resource('acme-prod', 'snapshot', 'db-prod-1-data-daily'))!;
    const denied =
      "Required 'compute.snapshots.delete' permission for 'projects/acme-prod/global/snapshots/db-prod-1-data-daily'";
    sandbox.failNext('compute.snapshots.delete', { status: 403, message: denied });
    const err = await rejectedAppError(run(snap, 'delete_snapshot'));
    expect(err.code).toBe('auth_failed');
    expect(err.message).toContain('deleting snapshot db-prod-1-data-daily');
    expect(err.message).toContain(denied);
    expect(sandbox.state.snapshots.some((x) => x.name === 'db-prod-1-data-daily')).toBe(true);
  });
});

describe('Azure fix actions', () => {
  let sandbox: AzureSandbox;
  let p: AzureProvider;

  const start = async () => {
    sandbox = await startAzureSandbox({ now: () => now });
    p = new AzureProvider({
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
      maxRetries: 0,
    });
  };
  afterEach(async () => {
    p.close();
    await sandbox.stop();
  });

  const resource = async (subscription: string, type: string, name: string): Promise<Resource | undefined> =>
    (await p.listSource(sourceOf(p, subscription))).find((r) => r.type === type && r.name === name);
  const run = (r: Resource, action: string, params: Record<string, string> = {}): Promise<ActionResult> =>
    p.execute({
      action,
      target: { provider: 'azure', account: r.account, region: r.region, type: r.type, id: r.id },
      params,
    });
  const nsgRules = (name: string) => sandbox.state.fleet.nsgs.find((n) => n.name === name)!.rules.map((r) => r.name);

  it('declares each fix the Azure rules name, for every type they judge', async () => {
    await start();
    expect(missingFixes('azure', p.actions)).toEqual([]);
  });

  it('revoke_ingress deletes the NSG rules the scanner flagged; restore_security_rules puts them back', async () => {
    await start();
    const nsg = (await resource(devSubscriptionId, 'security_group', 'nsg-dev-open'))!;
    const params = fixParamsOf('az.nsg.admin_ports', nsg);
    expect(params).toEqual({ rules: 'allow-ssh-internet,allow-rdp-anywhere', ports: '22,3389', cidrs: '0.0.0.0/0' });
    const s = spec(p.actions, 'security_group', 'revoke_ingress');
    expect(s.blastRadius(nsg, params)).toContain(
      'allow-ssh-internet, allow-rdp-anywhere are deleted from nsg-dev-open',
    );
    const result = await run(nsg, 'revoke_ingress', params);
    expect(result.summary).toContain('allow-rdp-anywhere (allow Tcp 3389 from *, priority 100)');
    expect(nsgRules('nsg-dev-open')).toEqual(['allow-vnet-all', 'deny-outbound-smtp']);
    const after = (await resource(devSubscriptionId, 'security_group', 'nsg-dev-open'))!;
    expect(builtInRules.find((r) => r.id === 'az.nsg.admin_ports')!.evaluate(after, {} as RuleContext).verdict).toBe(
      'pass',
    );

    const inverse = s.inverse({ params, previous: result.previous });
    if (!('action' in inverse)) throw new Error(inverse.why);
    expect(inverse.action).toBe('restore_security_rules');
    const restore = spec(p.actions, 'security_group', 'restore_security_rules');
    expect(restore.params.safeParse(inverse.params).success).toBe(true);
    expect(restore.params.safeParse({ rules: '[{"name":"x"}]' }).success).toBe(false);
    await run(after, inverse.action, inverse.params);
    const rules = sandbox.state.fleet.nsgs.find((n) => n.name === 'nsg-dev-open')!.rules;
    expect(rules.find((r) => r.name === 'allow-ssh-internet')).toEqual({
      name: 'allow-ssh-internet',
      priority: 110,
      direction: 'Inbound',
      access: 'Allow',
      protocol: 'Tcp',
      sourceAddressPrefixes: ['Internet'],
      destinationPortRanges: ['22'],
    });
    const back = (await resource(devSubscriptionId, 'security_group', 'nsg-dev-open'))!;
    expect(back.attributes.ingress).toEqual(nsg.attributes.ingress);

    // The rules gone again (deleted in the portal meanwhile): said before anything is sent.
    await run(back, 'revoke_ingress', params);
    const gone = await rejectedAppError(run(back, 'revoke_ingress', params));
    expect(gone.code).toBe('not_found');
    expect(gone.message).toContain('has no rule allow-ssh-internet or allow-rdp-anywhere');
  });

  it('release_address deletes an unassociated public IP; ARM refuses one still allocated, reported clearly', async () => {
    await start();
    const ip = (await resource(devSubscriptionId, 'ip_address', 'old-demo-pip'))!;
    const s = spec(p.actions, 'ip_address', 'release_address');
    expect(s.deletes).toBe(true);
    const result = await run(ip, 'release_address');
    expect(result).toMatchObject({ newState: 'deleted', previous: { ipAddress: '20.62.99.99' } });
    expect(sandbox.state.fleet.publicIps.some((x) => x.name === 'old-demo-pip')).toBe(false);
    expect(await resource(devSubscriptionId, 'ip_address', 'old-demo-pip')).toBeUndefined();
    expect(s.inverse({ params: {}, previous: result.previous })).toEqual({
      why: "a deleted public IP cannot be taken back; 20.62.99.99 returns to Azure's pool",
    });

    // One held by a NIC: the provider's read refuses it; ARM's own refusal, asked directly, says why.
    const held = sandbox.state.fleet.publicIps.find((x) => x.attachedVm)!;
    const heldRow = (await resource(held.subscriptionId, 'ip_address', held.name))!;
    const refused = await rejectedAppError(run(heldRow, 'release_address'));
    expect(refused.code).toBe('conflict');
    expect(refused.message).toContain(`${held.attachedVm}-nic`);
    expect(sandbox.state.fleet.publicIps).toContain(held);
  });

  it('snapshot_and_delete snapshots an unattached managed disk, then deletes it; an attached one is refused', async () => {
    await start();
    const disk = (await resource(devSubscriptionId, 'volume', 'old-migration-data'))!;
    expect(disk.state).toBe('available');
    const result = await run(disk, 'snapshot_and_delete');
    expect(result).toMatchObject({
      newState: 'deleted',
      previous: { snapshotId: 'old-migration-data-20261120120000' },
    });
    expect(sandbox.state.fleet.disks.some((d) => d.name === 'old-migration-data')).toBe(false);
    expect(sandbox.state.fleet.snapshots.find((x) => x.name === 'old-migration-data-20261120120000')).toMatchObject({
      sourceDisk: 'old-migration-data',
      incremental: true,
      sizeGb: 512,
    });
    expect(await resource(devSubscriptionId, 'volume', 'old-migration-data')).toBeUndefined();

    const attached = (await resource(prodSubscriptionId, 'volume', 'db-prod-1-data'))!;
    const refused = await rejectedAppError(run(attached, 'snapshot_and_delete'));
    expect(refused.code).toBe('conflict');
    expect(refused.message).toContain('db-prod-1');
    expect(sandbox.state.fleet.disks.some((d) => d.name === 'db-prod-1-data')).toBe(true);
  });

  it('secure_storage_account requires HTTPS and TLS 1.2; rollback puts back the recorded settings', async () => {
    await start();
    const acct = (await resource(devSubscriptionId, 'storage_account', 'stdevlegacy001'))!;
    const rule = builtInRules.find((r) => r.id === 'az.storage.secure')!;
    const e = rule.evaluate(acct, { now, threshold: () => 1.2 } as unknown as RuleContext);
    expect(e.verdict).toBe('fail');
    const params = e.fixParams!;
    expect(params).toEqual({ httpsOnly: 'true', minimumTlsVersion: 'TLS1_2' });
    const s = spec(p.actions, 'storage_account', 'secure_storage_account');
    expect(s.params.safeParse({}).success).toBe(false);
    expect(s.blastRadius(acct, params)).toContain('require HTTPS, minimum TLS 1.2');
    const result = await run(acct, 'secure_storage_account', params);
    expect(result.previous).toEqual({ httpsOnly: 'false', minimumTlsVersion: 'TLS1_0' });
    const stored = () => sandbox.state.fleet.storageAccounts.find((a) => a.name === 'stdevlegacy001')!;
    expect(stored()).toMatchObject({ httpsOnly: true, minimumTlsVersion: 'TLS1_2', allowBlobPublicAccess: false });
    const after = (await resource(devSubscriptionId, 'storage_account', 'stdevlegacy001'))!;
    expect(rule.evaluate(after, { now, threshold: () => 1.2 } as unknown as RuleContext).verdict).toBe('pass');
    const inverse = s.inverse({ params, previous: result.previous });
    expect(inverse).toEqual({
      action: 'secure_storage_account',
      params: { httpsOnly: 'false', minimumTlsVersion: 'TLS1_0' },
    });
    if (!('action' in inverse)) throw new Error(inverse.why);
    await run(after, inverse.action, inverse.params);
    expect(stored()).toMatchObject({ httpsOnly: false, minimumTlsVersion: 'TLS1_0' });

    const assets = (await resource(prodSubscriptionId, 'storage_account', 'stprodassets001'))!;
    const blocked = await run(assets, 'secure_storage_account', { allowBlobPublicAccess: 'false' });
    expect(blocked.previous).toEqual({ allowBlobPublicAccess: 'true' });
    expect(sandbox.state.fleet.storageAccounts.find((a) => a.name === 'stprodassets001')!.allowBlobPublicAccess).toBe(
      false,
    );
  });

  it('reports an ARM error on the delete clearly and leaves the NSG as it was', async () => {
    await start();
    const nsg = (await resource(devSubscriptionId, 'security_group', 'nsg-dev-open'))!;
    sandbox.failNext(`DELETE ${nsg.id}/securityRules/allow-rdp-anywhere`, {
      status: 403,
      code: 'AuthorizationFailed',
      message:
        'The client does not have authorization to perform action Microsoft.Network/networkSecurityGroups/securityRules/delete.',
    });
    const err = await rejectedAppError(run(nsg, 'revoke_ingress', fixParamsOf('az.nsg.admin_ports', nsg)));
    expect(err.message).toContain('securityRules/delete');
    expect(err.message).toContain('removing security rules from nsg-dev-open');
    expect(nsgRules('nsg-dev-open')).toContain('allow-rdp-anywhere');
  });
});
