import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { AwsProvider } from '../../src/cloud/aws/provider.ts';
import { monthlyCents } from '../../src/cloud/pricing/index.ts';
import type { Resource } from '../../src/cloud/resource.ts';
import { startSandbox, type Sandbox } from '../../src/cloud/sandbox/server.ts';
import { planWorkflow, type PlanDeps } from '../../src/workflows/plan.ts';
import { loadWorkspaceTemplates } from '../../src/workflows/registry.ts';
import { runWorkflow } from '../../src/workflows/run.ts';
import type { Template } from '../../src/workflows/template.ts';
import { inventoryOf, planDepsOf, sandboxAws } from '../fixtures/workflow-sandbox.ts';
import { runDepsFor } from '../fixtures/workflow-aws-run.ts';

// The built-in rds-disaster-recovery template, loaded as the app loads it, planned over the
// sandbox's inventory and run step by step through the real @aws-sdk/client-rds against the
// sandbox's RDS emulator: backups, a snapshot, its cross-region copy, a cross-region read replica
// and the restore drill; a step failing in the middle and what its compensation deletes; a drill
// whose restored instance does not match.
const now = new Date('2026-11-01T12:00:00Z');
const stamp14 = '20261101120000';
const stamp12 = '202611011200';
let sandbox: Sandbox;
let aws: AwsProvider;
let planDeps: PlanDeps;
let template: Template;

const runDeps = () => runDepsFor(aws, () => now);

const rows = async (type: string): Promise<Resource[]> => (await inventoryOf(aws)).filter((r) => r.type === type);
const row = async (type: string, id: string) => (await rows(type)).find((r) => r.id === id);
const made = (prefix: string) => (r: Resource) => r.id.includes(prefix);

beforeEach(async () => {
  sandbox = await startSandbox({ now: () => now });
  aws = sandboxAws(sandbox.url, () => now);
  planDeps = planDepsOf(aws);
  const registry = await loadWorkspaceTemplates();
  template = registry.latest('rds-disaster-recovery')!;
});
afterEach(async () => {
  aws.destroy();
  await sandbox.stop();
});

describe('the rds-disaster-recovery template', () => {
  it('is built in, and plans every step on the picked database with the replica and snapshots priced', async () => {
    expect(template).toMatchObject({ category: 'resilience', provider: 'aws', version: 1 });
    const plan = await planWorkflow(planDeps, template, { database: 'orders-db', dr_region: 'eu-west-1' });
    expect(plan.inputs).toEqual({
      database: 'orders-db',
      dr_region: 'eu-west-1',
      retention_days: '7',
      drill_class: 'db.t3.micro',
    });
    const targeted = plan.steps.map((s) => ('target' in s ? s : undefined)!);
    expect(targeted.map((s) => [s.id, s.kind, s.target.type, s.target.region])).toEqual([
      ['backups', 'action', 'database', 'us-east-1'],
      ['backups_applied', 'wait', 'database', 'us-east-1'],
      ['snapshot', 'action', 'database', 'us-east-1'],
      ['snapshot_ready', 'wait', 'db_snapshot', 'us-east-1'],
      ['copy', 'action', 'db_snapshot', 'us-east-1'],
      ['copy_ready', 'wait', 'db_snapshot', 'eu-west-1'],
      ['replica', 'action', 'database', 'us-east-1'],
      ['replica_ready', 'wait', 'database', 'eu-west-1'],
      ['restore', 'action', 'db_snapshot', 'eu-west-1'],
      ['restored', 'wait', 'database', 'eu-west-1'],
      ['verify', 'action', 'database', 'eu-west-1'],
      ['drill_done', 'action', 'database', 'eu-west-1'],
    ]);
    // The first step is planned like a single change (orders-db keeps 7 days already: nothing changes).
    expect(plan.steps[0]).toMatchObject({
      kind: 'action',
      action: 'raise_backup_retention',
      params: { days: '7' },
      target: { id: 'db/us-east-1/orders-db' },
    });
    expect(plan.steps[0]!.kind === 'action' && plan.steps[0]!.blastRadius).toMatch(/Nothing changes: orders-db/);
    // The replica (db.t3.medium PostgreSQL, 100 GiB gp3, in eu-west-1) and the snapshot in us-east-1 are
    // priced from the table; backup storage in eu-west-1 is not in it, so the copy is listed apart.
    const replica =
      monthlyCents('aws', 'database', 'db.t3.medium:postgres', 'eu-west-1')! +
      monthlyCents('aws', 'db_storage', 'gp3', 'eu-west-1', 100)!;
    const snapshot = monthlyCents('aws', 'db_backup', 'standard', 'us-east-1', 100)!;
    expect(plan.monthlyCents).toBe(replica + snapshot);
    expect(plan.unpriced).toEqual(['db_backup standard in eu-west-1']);
  });

  it('refuses a run whose inputs do not fit, every problem at once', async () => {
    await expect(
      planWorkflow(planDeps, template, { database: 'orders-db', dr_region: 'Ireland', retention_days: '90' }),
    ).rejects.toThrow(/dr_region: "Ireland" does not match .*\n- retention_days: 90 is above the maximum 35/);
  });

  it('runs end to end: backups on, snapshot copied to eu-west-1, a replica there, a drill restored, checked and deleted', async () => {
    // legacy-reports has automated backups off: the run turns them on (an outage: `modifying`) and waits.
    const plan = await planWorkflow(planDeps, template, { database: 'legacy-reports', dr_region: 'eu-west-1' });
    const { deps, records, polls } = runDeps();
    const out = await runWorkflow(deps, plan);
    expect(out).toMatchObject({ status: 'succeeded', summary: 'rds-disaster-recovery: all 12 steps done.' });
    // Each of the five waits first saw its resource still changing (modifying, creating) and read it again.
    expect(polls()).toBe(5);
    expect(records.map((r) => [r.id, r.status])).toEqual(plan.steps.map((s) => [s.id, 'succeeded']));
    expect(records[0]).toMatchObject({ previous: { backupRetentionPeriod: '0' }, outputs: { state: 'modifying' } });

    const snapshot = `legacy-reports-dr-${stamp14}`;
    const drill = `legacy-reports-dr-${stamp14}`.slice(0, 40).replace(/-+$/, '') + `-drill-${stamp12}`;
    expect(records.find((r) => r.id === 'snapshot')!.outputs).toMatchObject({
      snapshot: `db-snapshot/us-east-1/${snapshot}`,
      snapshot_identifier: snapshot,
      snapshot_arn: `arn:aws:rds:us-east-1:123456789012:snapshot:${snapshot}`,
    });
    expect(records.find((r) => r.id === 'verify')!.summary).toBe(
      `${drill} restored from ${snapshot}: mysql 8.0.35, 20 GiB, available`,
    );

    // The drill instance was deleted: `deleting` for one more read, then gone.
    const drillRow = async () => row('database', `db/eu-west-1/${drill}`);
    expect((await drillRow())?.state).toBe('deleting');
    expect(await drillRow()).toBeUndefined();

    // What stays, as the provider lists it now.
    const db = await row('database', 'db/us-east-1/legacy-reports');
    expect(db).toMatchObject({ state: 'available', attributes: { backupRetentionPeriod: 7 } });
    expect(db!.attributes.readReplicas).toEqual([
      `arn:aws:rds:eu-west-1:123456789012:db:legacy-reports-replica-${stamp12}`,
    ]);
    expect(await row('db_snapshot', `db-snapshot/us-east-1/${snapshot}`)).toMatchObject({
      state: 'available',
      attributes: { snapshotType: 'manual', instance: 'legacy-reports', encrypted: false },
    });
    expect(await row('db_snapshot', `db-snapshot/eu-west-1/${snapshot}`)).toMatchObject({
      state: 'available',
      region: 'eu-west-1',
      attributes: { copiedFrom: `arn:aws:rds:us-east-1:123456789012:snapshot:${snapshot}`, engine: 'mysql' },
    });
    expect(await row('database', `db/eu-west-1/legacy-reports-replica-${stamp12}`)).toMatchObject({
      state: 'available',
      attributes: {
        readReplicaSource: 'arn:aws:rds:us-east-1:123456789012:db:legacy-reports',
        class: 'db.t3.micro',
        engine: 'mysql',
      },
    });
    // Over the wire: the copy and the replica were called in eu-west-1 with the source's ARN, and
    // the SDK presigned each for us-east-1 (which the emulator checks).
    const calls = sandbox.services!.requests.filter((r) =>
      ['CopyDBSnapshot', 'CreateDBInstanceReadReplica', 'RestoreDBInstanceFromDBSnapshot'].includes(r.action),
    );
    expect(calls.map((c) => [c.action, c.region, c.status])).toEqual([
      ['CopyDBSnapshot', 'eu-west-1', 200],
      ['CreateDBInstanceReadReplica', 'eu-west-1', 200],
      ['RestoreDBInstanceFromDBSnapshot', 'eu-west-1', 200],
    ]);
    for (const c of calls.slice(0, 2)) {
      const presigned = new URL(c.params!.PreSignedUrl!);
      expect(presigned.searchParams.get('DestinationRegion')).toBe('eu-west-1');
      expect(presigned.searchParams.get('X-Amz-Credential')).toMatch(/\/us-east-1\/rds\/aws4_request$/);
    }
    expect(calls[2]!.params).toMatchObject({
      DBInstanceClass: 'db.t3.micro',
      PubliclyAccessible: 'false',
      'Tags.Tag.1.Key': 'devops-agent:restore-drill',
    });
  });

  it('copies an encrypted database with a KMS key of the DR region', async () => {
    const plan = await planWorkflow(planDeps, template, {
      database: 'orders-db',
      dr_region: 'eu-west-1',
      retention_days: '14',
    });
    const { deps } = runDeps();
    const out = await runWorkflow(deps, plan);
    expect(out.status).toBe('succeeded');
    const copy = await row('db_snapshot', `db-snapshot/eu-west-1/orders-db-dr-${stamp14}`);
    expect(copy?.attributes.encrypted).toBe(true);
    const copyCall = sandbox.services!.requests.find((r) => r.action === 'CopyDBSnapshot')!;
    expect(copyCall.params?.KmsKeyId).toBe('alias/aws/rds');
    // RDS made its own key in eu-west-1 the first time it needed it.
    expect(
      sandbox.services!.account.kmsKeys.some((k) => k.region === 'eu-west-1' && k.aliases.includes('alias/aws/rds')),
    ).toBe(true);
    expect((await row('database', 'db/us-east-1/orders-db'))?.attributes.backupRetentionPeriod).toBe(14);
  });

  it('undoes what it made when a step fails in the middle: replica refused, copy and snapshot deleted, retention back', async () => {
    const plan = await planWorkflow(planDeps, template, {
      database: 'orders-db',
      dr_region: 'eu-west-1',
      retention_days: '14',
    });
    sandbox.services!.failNext('rds', 'CreateDBInstanceReadReplica', {
      code: 'InstanceQuotaExceeded',
      message: 'DB Instance quota exceeded',
    });
    const { deps, records } = runDeps();
    const out = await runWorkflow(deps, plan);
    expect(out.status).toBe('failed');
    expect(out.error).toMatch(/DB Instance quota exceeded/);
    expect(out.summary).toMatch(/step 7 of 12 \(Create a read replica in the DR region\) failed/);
    expect(records.map((r) => [r.id, r.status])).toEqual([
      ['backups', 'succeeded'],
      ['backups_applied', 'succeeded'],
      ['snapshot', 'succeeded'],
      ['snapshot_ready', 'succeeded'],
      ['copy', 'succeeded'],
      ['copy_ready', 'succeeded'],
      ['replica', 'failed'],
      ['copy', 'compensated'],
      ['snapshot', 'compensated'],
      ['backups', 'compensated'],
    ]);
    expect(out.summary).toContain(
      `- Copy the snapshot to the DR region: undone (copy orders-db-dr-${stamp14} of orders-db-dr-${stamp14} in eu-west-1 deleted)`,
    );
    // Nothing it made is left; what it changed is back.
    const snapshots = await rows('db_snapshot');
    expect(snapshots.filter(made(`orders-db-dr-${stamp14}`))).toEqual([]);
    expect((await rows('database')).filter(made('replica'))).toEqual([]);
    expect((await row('database', 'db/us-east-1/orders-db'))?.attributes.backupRetentionPeriod).toBe(7);
  });

  it('fails the drill when the restored instance does not match, and deletes the drill instance, replica and copies', async () => {
    const plan = await planWorkflow(planDeps, template, { database: 'orders-db', dr_region: 'eu-west-1' });
    // The restore comes back on another engine version than the snapshot (what the drill exists to catch).
    const execute = aws.execute.bind(aws);
    aws.execute = async (action, opts) => {
      if (action.action === 'verify_restore') {
        const restored = sandbox.services!.account.dbInstances.find((i) => i.id.includes('-drill-'))!;
        restored.engineVersion = '15.2';
      }
      return execute(action, opts);
    };
    const { deps, records } = runDeps();
    const out = await runWorkflow(deps, plan);
    expect(out.status).toBe('failed');
    expect(out.error).toMatch(/The restore drill failed: .* its engine version is 15\.2, the snapshot's 16\.4/);
    expect(records.slice(10).map((r) => [r.id, r.status])).toEqual([
      ['verify', 'failed'],
      ['restore', 'compensated'],
      ['replica', 'compensated'],
      ['copy', 'compensated'],
      ['snapshot', 'compensated'],
      ['backups', 'compensated'],
    ]);
    // The drill instance and the replica are being deleted; the copies are gone.
    const left = sandbox.services!.account.dbInstances.filter(
      (i) => i.id.includes('-drill-') || i.id.includes('-replica-'),
    );
    expect(left.map((i) => i.status)).toEqual(['deleting', 'deleting']);
    expect(sandbox.services!.account.dbSnapshots.filter((s) => s.id.startsWith('orders-db-dr-'))).toEqual([]);
  });
});
