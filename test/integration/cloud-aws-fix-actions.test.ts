import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { findAction } from '../../src/cloud/actions.ts';
import type { ActionCheckContext, ActionSpec } from '../../src/cloud/actions.ts';
import { AwsProvider } from '../../src/cloud/aws/provider.ts';
import type { AwsProviderOptions } from '../../src/cloud/aws/provider.ts';
import type { ActionResult } from '../../src/cloud/provider.ts';
import type { Resource } from '../../src/cloud/resource.ts';
import { startSandbox } from '../../src/cloud/sandbox/server.ts';
import type { Sandbox } from '../../src/cloud/sandbox/server.ts';
import { builtInRules } from '../../src/scans/rules/index.ts';
import { rejectedAppError } from '../helpers/cloud.ts';

// The scanner's AWS fixes, each run through AwsProvider.execute against the sandbox: the emulator's
// state changes, a re-sync shows it, the recorded rollback data gives the inverse, and the inverse
// runs where AWS allows one.
const now = new Date('2026-11-01T12:00:00Z');
const account = '123456789012';
let sandbox: Sandbox;
const providers: AwsProvider[] = [];

const provider = (opts: Partial<AwsProviderOptions> = {}): AwsProvider => {
  const p = new AwsProvider({
    regions: ['us-east-1', 'eu-west-1'],
    account,
    endpoint: sandbox.url,
    sandbox: true,
    credentials: { accessKeyId: 'AKIDSANDBOX', secretAccessKey: 'secret' },
    now: () => now,
    maxAttempts: 1,
    wait: { attempts: 5, delayMs: 1000, sleep: async () => undefined },
    ...opts,
  } as AwsProviderOptions);
  providers.push(p);
  return p;
};

/** Every source (regions and global), as a sync would list them. */
const sync = async (p: AwsProvider): Promise<Resource[]> =>
  (await Promise.all(p.sources().map((s) => p.listSource(s)))).flat();

const find = (rows: Resource[], type: string, name: string): Resource | undefined =>
  rows.find((r) => r.type === type && r.name === name);

const resource = async (p: AwsProvider, type: string, name: string): Promise<Resource> => {
  const r = find(await sync(p), type, name);
  if (!r) throw new Error(`no ${type} ${name}`);
  return r;
};

const spec = (p: AwsProvider, type: string, name: string): ActionSpec => {
  const s = findAction(p.actions, type, name);
  if (!s) throw new Error(`no action ${name} for ${type}`);
  return s;
};

const ctx: ActionCheckContext = { sizes: async () => [], monthlyCostAt: () => undefined };

const run = (p: AwsProvider, r: Resource, action: string, params: Record<string, string> = {}) =>
  p.execute({
    action,
    target: { provider: 'aws', account: r.account, region: r.region, type: r.type, id: r.id },
    params,
  });

/** The inverse rollback would run, from the rollback data the provider recorded. */
const inverseAfter = (
  p: AwsProvider,
  r: Resource,
  action: string,
  params: Record<string, string>,
  result: ActionResult,
) => spec(p, r.type, action).inverse({ params, previous: result.previous });

const ec2Calls = () => sandbox.requests.filter((q) => q.service === 'ec2').map((q) => q.action);

beforeEach(async () => {
  sandbox = await startSandbox({ now: () => now });
});
afterEach(async () => {
  for (const p of providers.splice(0)) p.destroy();
  await sandbox.stop();
});

describe('the AWS fix catalog', () => {
  it('declares every action the AWS scan rules name, with the rules’ parameters', () => {
    const p = provider();
    const names = (type: string) => (p.actions[type as keyof typeof p.actions] ?? []).map((a) => a.name);
    expect(names('volume')).toEqual(['snapshot_and_delete', 'modify_volume_type']);
    expect(names('snapshot')).toEqual(['delete_snapshot']);
    // The disaster-recovery actions on DB snapshots (workflow templates) follow the scanner's fix.
    expect(names('db_snapshot')).toEqual([
      'delete_snapshot',
      'copy_to_region',
      'delete_snapshot_copy',
      'restore_snapshot',
      'delete_restored_instance',
    ]);
    expect(names('ip_address')).toEqual(['release_address']);
    expect(names('security_group')).toEqual(['revoke_ingress', 'authorize_ingress']);
    expect(names('log_group')).toEqual(['set_retention', 'clear_retention']);
    expect(names('bucket')).toEqual(['block_public_access', 'set_public_access_block', 'delete_public_access_block']);
    expect(names('kms_key')).toEqual(['enable_key_rotation', 'disable_key_rotation']);
    // Every AWS rule's fix is an action of each type the rule judges.
    const fixes = builtInRules.filter((r) => r.provider === 'aws' && r.fix);
    expect(new Set(fixes.map((r) => r.fix!.action))).toEqual(
      new Set([
        'stop',
        'resize',
        'snapshot_and_delete',
        'modify_volume_type',
        'delete_snapshot',
        'release_address',
        'revoke_ingress',
        'set_retention',
        'block_public_access',
        'enable_key_rotation',
      ]),
    );
    const missing = fixes.flatMap((r) =>
      r.types.filter((t) => !findAction(p.actions, t, r.fix!.action)).map((t) => `${r.id}: ${t}`),
    );
    expect(missing).toEqual([]);
    // The rules' fixParams parse as they are.
    const ok = (type: string, name: string, params: Record<string, string>) =>
      spec(p, type, name).params.safeParse(params).success;
    expect(ok('volume', 'modify_volume_type', { volumeType: 'gp3' })).toBe(true);
    expect(ok('volume', 'modify_volume_type', { volumeType: 'sc1' })).toBe(false);
    expect(ok('log_group', 'set_retention', { days: '365' })).toBe(true);
    expect(ok('log_group', 'set_retention', { days: '364' })).toBe(false);
    for (const cidr of ['0.0.0.0/0', '::/0'])
      expect(ok('security_group', 'revoke_ingress', { protocol: 'tcp', fromPort: '22', toPort: '22', cidr })).toBe(
        true,
      );
    expect(ok('security_group', 'revoke_ingress', { protocol: 'all', fromPort: '0', toPort: '65535', cidr: 'x' })).toBe(
      false,
    );
  });
});

describe('EBS volumes and snapshots', () => {
  it('snapshots an unattached volume, waits for the snapshot, deletes the volume; the snapshot id is the way back', async () => {
    await sandbox.stop();
    sandbox = await startSandbox({ now: () => now, transitionDescribes: 2 });
    const steps: string[] = [];
    const p = provider();
    const volume = await resource(p, 'volume', 'old-migration-data');
    const s = spec(p, 'volume', 'snapshot_and_delete');
    expect(s.states).toEqual(['available']);
    expect(s.blastRadius(volume, {})).toContain('is deleted once its snapshot completes');
    // 250 GB of gp2 goes; 250 GB of snapshot stays.
    expect(s.costDeltaCents!(volume, {}, ctx)).toBeLessThan(0);
    expect(s.costDeltaCents!(volume, {}, ctx)).toBeGreaterThan(-volume.monthlyCostCents);
    sandbox.requests.length = 0;

    const result = await p.execute(
      {
        action: 'snapshot_and_delete',
        target: { provider: 'aws', account, region: 'eu-west-1', type: 'volume', id: volume.id },
        params: {},
      },
      { progress: (step) => steps.push(step) },
    );
    const snapshotId = result.previous.snapshotId!;
    expect(result).toEqual({
      summary: `old-migration-data (${volume.id}) snapshotted to ${snapshotId} and deleted`,
      newState: 'deleted',
      previous: { snapshotId, availabilityZone: 'eu-west-1a', volumeType: 'gp2', sizeGb: '250' },
    });
    expect(ec2Calls()).toEqual([
      'DescribeVolumes',
      'CreateSnapshot',
      'DescribeSnapshots',
      'DescribeSnapshots',
      'DeleteVolume',
    ]);
    expect(steps).toContain(`waiting for snapshot ${snapshotId} to complete (0%, check 1 of 5)`);
    expect(sandbox.fleet.volumes.some((v) => v.id === volume.id)).toBe(false);
    expect(sandbox.fleet.snapshots.find((x) => x.id === snapshotId)).toMatchObject({
      volumeId: volume.id,
      sizeGb: 250,
      state: 'completed',
      tags: expect.objectContaining({ Name: 'old-migration-data', 'devops-agent:deleted-volume': volume.id }),
    });

    const after = await sync(p);
    expect(after.some((r) => r.id === volume.id)).toBe(false);
    expect(after.find((r) => r.id === snapshotId)).toMatchObject({ type: 'snapshot', state: 'completed' });
    expect(inverseAfter(p, volume, 'snapshot_and_delete', {}, result)).toEqual({
      why: `a deleted volume cannot come back; create a new volume from snapshot ${snapshotId} in eu-west-1a`,
    });
  });

  it('refuses an attached volume before taking any snapshot, and keeps the volume when the snapshot never completes', async () => {
    const p = provider();
    const attached = await resource(p, 'volume', 'db-dev-1-data');
    const refused = await rejectedAppError(run(p, attached, 'snapshot_and_delete'));
    expect(refused.code).toBe('conflict');
    expect(refused.userMessage).toContain('is in-use (attached to');
    expect(ec2Calls()).not.toContain('CreateSnapshot');

    await sandbox.stop();
    sandbox = await startSandbox({ now: () => now, transitionDescribes: 10 });
    const slow = provider({ wait: { attempts: 2, delayMs: 1, sleep: async () => undefined } });
    const volume = await resource(slow, 'volume', 'old-migration-data');
    const err = await rejectedAppError(run(slow, volume, 'snapshot_and_delete'));
    expect(err.code).toBe('cloud_error');
    expect(err.userMessage).toMatch(
      /^Snapshot snap-\w+ had not completed after 2 checks, so the volume was not deleted/,
    );
    expect(sandbox.fleet.volumes.some((v) => v.id === volume.id)).toBe(true);
  });

  it('changes gp2 to gp3 online and back to the type recorded before', async () => {
    const p = provider();
    const volume = await resource(p, 'volume', 'db-dev-1-data');
    const s = spec(p, 'volume', 'modify_volume_type');
    expect(s.detail!(volume, { volumeType: 'gp3' })).toBe('from gp2 to gp3');
    expect(s.costDeltaCents!(volume, { volumeType: 'gp3' }, ctx)).toBeLessThan(0);
    expect(s.inverse({ params: { volumeType: 'gp3' }, subject: volume })).toEqual({
      action: 'modify_volume_type',
      params: { volumeType: 'gp2' },
    });

    const result = await run(p, volume, 'modify_volume_type', { volumeType: 'gp3' });
    expect(result).toEqual({
      summary: `db-dev-1-data (${volume.id}) changing from gp2 to gp3 (modification modifying)`,
      newState: 'in-use',
      previous: { volumeType: 'gp2' },
    });
    expect(find(await sync(p), 'volume', 'db-dev-1-data')?.attributes).toMatchObject({
      volumeType: 'gp3',
      attachedTo: expect.stringMatching(/^i-/),
    });

    const inverse = inverseAfter(p, volume, 'modify_volume_type', { volumeType: 'gp3' }, result);
    expect(inverse).toEqual({ action: 'modify_volume_type', params: { volumeType: 'gp2' } });
    if (!('action' in inverse)) throw new Error('no inverse');
    await run(p, volume, inverse.action, inverse.params);
    expect(find(await sync(p), 'volume', 'db-dev-1-data')?.attributes.volumeType).toBe('gp2');
    // A type outside the action's list is refused before any call.
    const bad = await rejectedAppError(run(p, volume, 'modify_volume_type', { volumeType: 'magnetic' }));
    expect(bad.code).toBe('bad_request');
  });

  it('deletes a snapshot for good, and names the missing one AWS could not find', async () => {
    const p = provider();
    const snap = await resource(p, 'snapshot', 'legacy-db-backup');
    const s = spec(p, 'snapshot', 'delete_snapshot');
    expect(s.costDeltaCents!(snap, {}, ctx)).toBe(-snap.monthlyCostCents);
    expect(s.inverse({ params: {}, subject: snap })).toEqual({ why: 'a deleted snapshot cannot be restored' });

    expect(await run(p, snap, 'delete_snapshot')).toEqual({
      summary: `${snap.id} deleted`,
      newState: 'deleted',
      previous: {},
    });
    expect(find(await sync(p), 'snapshot', 'legacy-db-backup')).toBeUndefined();

    const err = await rejectedAppError(run(p, snap, 'delete_snapshot'));
    expect(err.code).toBe('not_found');
    expect(err.userMessage).toBe(
      `AWS could not find it while deleting snapshot ${snap.id} in us-east-1: The snapshot '${snap.id}' does not exist.`,
    );
  });
});

describe('RDS snapshots', () => {
  it('deletes a manual DB snapshot; RDS refuses an automated one as a conflict', async () => {
    const p = provider();
    const rows = await sync(p);
    const manual = find(rows, 'db_snapshot', 'legacy-reports-final')!;
    const automated = rows.find((r) => r.type === 'db_snapshot' && r.attributes.instance === 'orders-db')!;
    expect(spec(p, 'db_snapshot', 'delete_snapshot').blastRadius(manual, {})).toContain(
      'its database legacy-reports can no longer be restored from it',
    );
    expect(await run(p, manual, 'delete_snapshot')).toEqual({
      summary: 'DB snapshot legacy-reports-final deleted',
      newState: 'deleted',
      previous: {},
    });
    expect(find(await sync(p), 'db_snapshot', 'legacy-reports-final')).toBeUndefined();

    const refused = await rejectedAppError(run(p, automated, 'delete_snapshot'));
    expect(refused.code).toBe('conflict');
    expect(refused.userMessage).toContain('Only manual snapshots may be deleted.');
    const gone = await rejectedAppError(run(p, manual, 'delete_snapshot'));
    expect(gone.code).toBe('not_found');
    expect(gone.userMessage).toContain('DBSnapshot legacy-reports-final not found.');
  });
});

describe('Elastic IPs and security groups', () => {
  it('releases an idle address, and disassociates an attached one first', async () => {
    const p = provider();
    const rows = await sync(p);
    const idle = rows.find((r) => r.type === 'ip_address' && r.tags.Name === 'old-demo-ip')!;
    const attached = rows.find((r) => r.type === 'ip_address' && r.tags.Name === 'bastion-prod-ip')!;
    const s = spec(p, 'ip_address', 'release_address');
    expect(s.costDeltaCents!(idle, {}, ctx)).toBe(-idle.monthlyCostCents);
    expect(s.blastRadius(attached, {})).toContain(`${String(attached.attributes.associatedTo)} loses`);
    expect(s.inverse({ params: {}, subject: idle })).toHaveProperty('why');

    expect(await run(p, idle, 'release_address')).toMatchObject({
      newState: 'released',
      previous: { publicIp: idle.attributes.publicIp },
    });
    sandbox.requests.length = 0;
    const second = await run(p, attached, 'release_address');
    expect(second.summary).toContain(`(disassociated from ${String(attached.attributes.associatedTo)} first)`);
    expect(ec2Calls()).toEqual(['DescribeAddresses', 'DisassociateAddress', 'ReleaseAddress']);
    const after = await sync(p);
    expect(after.some((r) => r.id === idle.id || r.id === attached.id)).toBe(false);
    expect(sandbox.fleet.addresses.some((a) => a.allocationId === idle.id)).toBe(false);

    const gone = await rejectedAppError(run(p, idle, 'release_address'));
    expect(gone.code).toBe('not_found');
    expect(gone.userMessage).toContain(`The allocation IDs '${idle.id}' do not exist`);
  });

  it('revokes the world-open SSH rules (IPv6 and IPv4) and authorizes them again as the inverse', async () => {
    const p = provider();
    const group = await resource(p, 'security_group', 'dev-ssh-open');
    const v6 = { protocol: 'tcp', fromPort: '22', toPort: '22', cidr: '::/0' };
    const v4 = { ...v6, cidr: '0.0.0.0/0' };
    const s = spec(p, 'security_group', 'revoke_ingress');
    expect(s.detail!(group, v4)).toBe('tcp 22 from 0.0.0.0/0');
    expect(s.blastRadius(group, v4)).toContain('stops accepting tcp 22 from 0.0.0.0/0');

    const revoked6 = await run(p, group, 'revoke_ingress', v6);
    expect(revoked6).toEqual({
      summary: `${group.id} no longer allows tcp 22 from ::/0`,
      newState: 'active',
      previous: v6,
    });
    const revoked4 = await run(p, group, 'revoke_ingress', v4);
    const ingress = find(await sync(p), 'security_group', 'dev-ssh-open')?.attributes.ingress;
    expect(ingress).toEqual([{ protocol: 'all', fromPort: 0, toPort: 65535, cidrs: ['10.1.0.0/16'] }]);

    const inverse = inverseAfter(p, group, 'revoke_ingress', v4, revoked4);
    expect(inverse).toEqual({ action: 'authorize_ingress', params: v4 });
    if (!('action' in inverse)) throw new Error('no inverse');
    expect((await run(p, group, inverse.action, inverse.params)).summary).toBe(
      `${group.id} now allows tcp 22 from 0.0.0.0/0`,
    );
    expect(find(await sync(p), 'security_group', 'dev-ssh-open')?.attributes.ingress).toContainEqual({
      protocol: 'tcp',
      fromPort: 22,
      toPort: 22,
      cidrs: ['0.0.0.0/0'],
    });

    const duplicate = await rejectedAppError(run(p, group, 'authorize_ingress', v4));
    expect(duplicate.code).toBe('conflict');
    expect(duplicate.userMessage).toContain('already exists');
    const missing = await rejectedAppError(run(p, group, 'revoke_ingress', v6));
    expect(missing.code).toBe('not_found');
    expect(missing.userMessage).toBe(`${group.id} has no rule allowing tcp 22 from ::/0; nothing was revoked.`);
  });
});

describe('log groups, buckets and KMS keys', () => {
  it('sets a retention where there was none, and the inverse removes the policy again', async () => {
    const p = provider();
    const group = await resource(p, 'log_group', '/app/legacy-reports');
    const s = spec(p, 'log_group', 'set_retention');
    expect(s.detail!(group, { days: '365' })).toBe('to 365 days (it never expired)');
    expect(s.inverse({ params: { days: '365' }, subject: group })).toEqual({ action: 'clear_retention', params: {} });

    const result = await run(p, group, 'set_retention', { days: '365' });
    expect(result).toEqual({
      summary: '/app/legacy-reports keeps events 365 days (it never expired)',
      newState: 'active',
      previous: { retentionInDays: 'never' },
    });
    expect(find(await sync(p), 'log_group', '/app/legacy-reports')?.attributes.retentionInDays).toBe(365);

    const inverse = inverseAfter(p, group, 'set_retention', { days: '365' }, result);
    expect(inverse).toEqual({ action: 'clear_retention', params: {} });
    if (!('action' in inverse)) throw new Error('no inverse');
    await run(p, group, inverse.action, inverse.params);
    expect(find(await sync(p), 'log_group', '/app/legacy-reports')?.attributes.retentionInDays).toBeNull();
  });

  it('lengthens a 30-day retention and goes back to 30; CloudWatch Logs errors are reported', async () => {
    const p = provider();
    const group = await resource(p, 'log_group', '/aws/lambda/orders-api');
    const result = await run(p, group, 'set_retention', { days: '400' });
    expect(result.previous).toEqual({ retentionInDays: '30' });
    expect(sandbox.services!.account.logGroups.find((g) => g.name === '/aws/lambda/orders-api')?.retentionInDays).toBe(
      400,
    );
    const inverse = inverseAfter(p, group, 'set_retention', { days: '400' }, result);
    expect(inverse).toEqual({ action: 'set_retention', params: { days: '30' } });

    sandbox.services!.failNext('logs', 'PutRetentionPolicy', {
      code: 'OperationAbortedException',
      message: 'Multiple concurrent requests to update the same resource were in conflict.',
    });
    const err = await rejectedAppError(run(p, group, 'set_retention', { days: '30' }));
    expect(err.code).toBe('cloud_error');
    expect(err.userMessage).toContain('Multiple concurrent requests to update the same resource were in conflict.');
    sandbox.services!.account.logGroups = sandbox.services!.account.logGroups.filter(
      (g) => g.name !== '/aws/lambda/orders-api',
    );
    const gone = await rejectedAppError(run(p, group, 'set_retention', { days: '30' }));
    expect(gone.code).toBe('not_found');
    expect(gone.userMessage).toBe('Log group /aws/lambda/orders-api was not found in us-east-1.');
  });

  it('turns on all four Block Public Access settings and puts back what was there before', async () => {
    const p = provider();
    const open = await resource(p, 'bucket', 'acme-public-assets');
    expect(spec(p, 'bucket', 'block_public_access').inverse({ params: {}, subject: open })).toEqual({
      action: 'delete_public_access_block',
      params: {},
    });
    const result = await run(p, open, 'block_public_access');
    expect(result).toEqual({
      summary: 'acme-public-assets blocks all public access',
      newState: 'available',
      previous: { configured: 'false' },
    });
    expect(find(await sync(p), 'bucket', 'acme-public-assets')?.attributes).toMatchObject({
      publicAccessBlocked: true,
    });
    const inverse = inverseAfter(p, open, 'block_public_access', {}, result);
    if (!('action' in inverse)) throw new Error('no inverse');
    expect(inverse.action).toBe('delete_public_access_block');
    await run(p, open, inverse.action, inverse.params);
    expect(find(await sync(p), 'bucket', 'acme-public-assets')?.attributes.publicAccessBlock).toBeNull();

    // A partial configuration comes back setting by setting.
    const backups = sandbox.services!.account.buckets.find((b) => b.name === 'acme-prod-backups')!;
    backups.publicAccessBlock = {
      blockPublicAcls: true,
      ignorePublicAcls: false,
      blockPublicPolicy: true,
      restrictPublicBuckets: false,
    };
    const bucket = await resource(p, 'bucket', 'acme-prod-backups');
    const blocked = await run(p, bucket, 'block_public_access');
    expect(backups.publicAccessBlock).toEqual({
      blockPublicAcls: true,
      ignorePublicAcls: true,
      blockPublicPolicy: true,
      restrictPublicBuckets: true,
    });
    const back = inverseAfter(p, bucket, 'block_public_access', {}, blocked);
    const partial = {
      blockPublicAcls: 'true',
      ignorePublicAcls: 'false',
      blockPublicPolicy: 'true',
      restrictPublicBuckets: 'false',
    };
    expect(back).toEqual({ action: 'set_public_access_block', params: partial });
    await run(p, bucket, 'set_public_access_block', partial);
    expect(backups.publicAccessBlock).toEqual({
      blockPublicAcls: true,
      ignorePublicAcls: false,
      blockPublicPolicy: true,
      restrictPublicBuckets: false,
    });
  });

  it('enables rotation of a customer key and disables it again; an AWS-managed key is refused', async () => {
    const p = provider();
    const rows = await sync(p);
    const key = find(rows, 'kms_key', 'alias/legacy-app')!;
    const managed = find(rows, 'kms_key', 'alias/aws/rds')!;
    const result = await run(p, key, 'enable_key_rotation');
    expect(result).toEqual({
      summary: `${key.id} now rotates its key material yearly`,
      newState: 'enabled',
      previous: { rotationEnabled: 'false' },
    });
    expect(find(await sync(p), 'kms_key', 'alias/legacy-app')?.attributes.rotationEnabled).toBe(true);
    const inverse = inverseAfter(p, key, 'enable_key_rotation', {}, result);
    expect(inverse).toEqual({ action: 'disable_key_rotation', params: {} });
    if (!('action' in inverse)) throw new Error('no inverse');
    await run(p, key, inverse.action, inverse.params);
    expect(find(await sync(p), 'kms_key', 'alias/legacy-app')?.attributes.rotationEnabled).toBe(false);

    const refused = await rejectedAppError(run(p, managed, 'enable_key_rotation'));
    expect(refused.code).toBe('auth_failed');
    expect(refused.userMessage).toContain('is not authorized to perform kms:GetKeyRotationStatus on AWS managed key');
  });
});
