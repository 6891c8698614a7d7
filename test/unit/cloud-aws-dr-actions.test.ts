import { describe, expect, it } from '@jest/globals';
import { findAction, type ActionCheckContext, type ActionSubject } from '../../src/cloud/actions.ts';
import { awsActions } from '../../src/cloud/aws/actions.ts';
import { failoverPairs, healthOf, servingState } from '../../src/cloud/aws/services/route53.ts';
import { monthlyCents } from '../../src/cloud/pricing/index.ts';

// The RDS disaster-recovery and Route 53 failover actions as data: their parameters, the checks
// that refuse a plan, blast radius words, costs, and the inverses compensation runs from what each
// recorded; and the rules the provider reads Route 53 state with.
const spec = (type: string, name: string) => {
  const s = findAction(awsActions, type, name);
  if (!s) throw new Error(`no ${type} ${name}`);
  return s;
};

const database = (attributes: Record<string, unknown>): ActionSubject => ({
  provider: 'aws',
  account: '123456789012',
  region: 'us-east-1',
  type: 'database',
  id: 'db/us-east-1/orders-db',
  name: 'orders-db',
  state: 'available',
  environment: 'prod',
  tags: {},
  monthlyCostCents: 0,
  attributes: {
    class: 'db.t3.medium',
    engine: 'postgres',
    storageType: 'gp3',
    allocatedStorage: 100,
    backupRetentionPeriod: 7,
    multiAZ: false,
    ...attributes,
  },
});
const snapshot: ActionSubject = {
  ...database({}),
  type: 'db_snapshot',
  id: 'db-snapshot/us-east-1/orders-dr',
  name: 'orders-dr',
};
const ctx: ActionCheckContext = { sizes: async () => [], monthlyCostAt: () => undefined };

describe('RDS disaster-recovery actions', () => {
  it('raises backup retention, never lowers it, and says when turning backups on restarts the instance', () => {
    const raise = spec('database', 'raise_backup_retention');
    expect(raise.params.safeParse({ days: '0' }).success).toBe(false);
    expect(raise.params.safeParse({ days: '36' }).success).toBe(false);
    expect(raise.params.safeParse({ days: '14' }).success).toBe(true);
    expect(findAction(awsActions, 'database', 'enable_backups')).toBe(raise);
    expect(raise.blastRadius(database({ backupRetentionPeriod: 14 }), { days: '7' })).toBe(
      'Nothing changes: orders-db (db/us-east-1/orders-db) already keeps automated backups 14 days.',
    );
    expect(raise.blastRadius(database({ backupRetentionPeriod: 0 }), { days: '7' })).toMatch(
      /restarts for a few minutes .*point-in-time restore becomes possible/,
    );
    expect(raise.blastRadius(database({ backupRetentionPeriod: 1 }), { days: '7' })).toMatch(/no downtime/);
    // Undone by setting what was recorded before, or what the inventory showed at plan time.
    expect(raise.inverse({ params: { days: '7' }, previous: { backupRetentionPeriod: '0' } })).toEqual({
      action: 'set_backup_retention',
      params: { days: '0' },
    });
    expect(raise.inverse({ params: { days: '7' }, subject: database({ backupRetentionPeriod: 3 }) })).toEqual({
      action: 'set_backup_retention',
      params: { days: '3' },
    });
    expect(raise.inverse({ params: { days: '7' } })).toEqual({ why: 'its previous retention was not recorded' });
    const set = spec('database', 'set_backup_retention');
    expect(set.blastRadius(database({ backupRetentionPeriod: 14 }), { days: '7' })).toMatch(
      /older than 7 days are deleted; no downtime/,
    );
    expect(set.blastRadius(database({ backupRetentionPeriod: 7 }), { days: '0' })).toMatch(
      /turning automated backups off .*automated backups are deleted/,
    );
  });

  it('undoes what a step made from what it recorded: a snapshot, a copy, a replica, a drill instance', () => {
    expect(spec('database', 'create_snapshot').inverse({ params: {}, previous: { snapshot: 'orders-dr-1' } })).toEqual({
      action: 'delete_db_snapshot',
      params: { snapshot: 'orders-dr-1' },
    });
    expect(spec('database', 'create_snapshot').inverse({ params: {} })).toEqual({
      why: 'the snapshot is named when it runs; its inverse deletes it then',
    });
    expect(
      spec('db_snapshot', 'copy_to_region').inverse({
        params: { region: 'eu-west-1' },
        previous: { snapshot: 'orders-dr-1', region: 'eu-west-1' },
      }),
    ).toEqual({ action: 'delete_snapshot_copy', params: { snapshot: 'orders-dr-1', region: 'eu-west-1' } });
    expect(
      spec('database', 'create_read_replica').inverse({
        params: { region: 'eu-west-1' },
        previous: { replica: 'orders-db-replica-1', region: 'eu-west-1' },
      }),
    ).toEqual({ action: 'delete_read_replica', params: { replica: 'orders-db-replica-1', region: 'eu-west-1' } });
    expect(spec('db_snapshot', 'restore_snapshot').inverse({ params: {}, previous: { instance: 'drill-1' } })).toEqual({
      action: 'delete_restored_instance',
      params: { instance: 'drill-1' },
    });
    expect(spec('database', 'delete_drill_instance')).toMatchObject({ deletes: true });
    expect(spec('database', 'verify_restore').inverse({ params: { snapshot: 's' } })).toEqual({
      why: 'a check changes nothing',
    });
  });

  it('refuses a replica of an instance without backups, and a copy to its own region', async () => {
    const replica = spec('database', 'create_read_replica');
    await expect(replica.check!(database({ backupRetentionPeriod: 0 }), { region: 'eu-west-1' }, ctx)).rejects.toThrow(
      /has automated backups off; RDS makes read replicas only of instances with backups/,
    );
    await expect(replica.check!(database({}), { region: 'eu-west-1' }, ctx)).resolves.toBeUndefined();
    const copy = spec('db_snapshot', 'copy_to_region');
    await expect(copy.check!(snapshot, { region: 'us-east-1' }, ctx)).rejects.toThrow(
      /is in us-east-1 already; name another region/,
    );
    expect(copy.params.safeParse({ region: 'Ireland' }).success).toBe(false);
    expect(spec('db_snapshot', 'restore_snapshot').params.safeParse({ class: 'm5.large' }).success).toBe(false);
    expect(spec('database', 'create_snapshot').params.safeParse({ snapshot: 'two--hyphens' }).success).toBe(false);
    expect(spec('database', 'create_snapshot').params.safeParse({ snapshot: 'orders-dr-1' }).success).toBe(true);
  });

  it('prices a replica like its source in the other region, and a copy as backup storage there (0 when unpriced)', () => {
    const replica = spec('database', 'create_read_replica');
    const subject = database({});
    expect(replica.costDeltaCents!(subject, { region: 'eu-west-1' }, ctx)).toBe(
      monthlyCents('aws', 'database', 'db.t3.medium:postgres', 'eu-west-1')! +
        monthlyCents('aws', 'db_storage', 'gp3', 'eu-west-1', 100)!,
    );
    expect(replica.costDeltaCents!(subject, { region: 'eu-west-1', class: 'db.t3.micro' }, ctx)).toBe(
      monthlyCents('aws', 'database', 'db.t3.micro:postgres', 'eu-west-1')! +
        monthlyCents('aws', 'db_storage', 'gp3', 'eu-west-1', 100)!,
    );
    expect(replica.costDeltaCents!(subject, { region: 'ap-south-1' }, ctx)).toBe(0);
    const copy = spec('db_snapshot', 'copy_to_region');
    const euSnapshot = { ...snapshot, region: 'eu-west-1' };
    expect(copy.costDeltaCents!(euSnapshot, { region: 'us-east-1' }, ctx)).toBe(
      monthlyCents('aws', 'db_backup', 'standard', 'us-east-1', 100),
    );
    expect(copy.costDeltaCents!(snapshot, { region: 'eu-west-1' }, ctx)).toBe(0);
  });
});

describe('Route 53 failover actions', () => {
  it('puts back the record set a change replaced, or deletes the one it made', () => {
    const upsert = spec('hosted_zone', 'upsert_failover_record');
    expect(
      upsert.inverse({
        params: {},
        previous: { existed: 'false', name: 'app.example.com', type: 'CNAME', set_identifier: 'primary' },
      }),
    ).toEqual({
      action: 'delete_failover_record',
      params: { name: 'app.example.com', type: 'CNAME', set_identifier: 'primary' },
    });
    expect(
      upsert.inverse({
        params: {},
        previous: {
          existed: 'true',
          name: 'app.example.com',
          type: 'CNAME',
          set_identifier: 'primary',
          role: 'PRIMARY',
          value: 'old.example.net',
          ttl: '300',
        },
      }),
    ).toEqual({
      action: 'upsert_failover_record',
      params: {
        name: 'app.example.com',
        type: 'CNAME',
        role: 'PRIMARY',
        value: 'old.example.net',
        ttl: '300',
        set_identifier: 'primary',
      },
    });
    expect(upsert.inverse({ params: { name: 'app', role: 'PRIMARY', value: 'x' } })).toEqual({
      why: 'the record set it replaces is read when it runs',
    });
    expect(upsert.params.safeParse({ name: 'app', role: 'BACKUP', value: 'x' }).success).toBe(false);
    expect(upsert.params.safeParse({ name: 'app', role: 'PRIMARY', value: 'x', health_check: 'hc-1' }).success).toBe(
      false,
    );
  });

  it('inverts a health check and back, and deletes only the health check it made', () => {
    const invert = spec('health_check', 'set_inverted');
    expect(invert.inverse({ params: { inverted: 'true' }, previous: { inverted: 'false' } })).toEqual({
      action: 'set_inverted',
      params: { inverted: 'false' },
    });
    expect(invert.params.safeParse({ inverted: 'yes' }).success).toBe(false);
    const create = spec('load_balancer', 'create_health_check');
    expect(create.inverse({ params: {}, previous: { health_check: 'abc' } })).toEqual({
      action: 'delete_health_check',
      params: { health_check: 'abc' },
    });
    expect(create.params.safeParse({ path: 'health' }).success).toBe(false);
    expect(create.params.safeParse({ path: '/health', port: '70000' }).success).toBe(false);
  });

  it('reads health as Route 53 does: over 18% of checkers, disabled healthy, inverted the reverse', () => {
    const report = (ok: boolean) => ({
      StatusReport: { Status: ok ? 'Success: HTTP Status Code 200, OK' : 'Failure: 503' },
    });
    const hc = (Inverted = false, Disabled = false) => ({
      HealthCheckConfig: { Type: 'HTTP' as const, Inverted, Disabled },
    });
    expect(healthOf(hc(), [report(true), report(false), report(false)])).toBe('healthy');
    expect(
      healthOf(
        hc(),
        Array.from({ length: 6 }, (_, i) => report(i === 0)),
      ),
    ).toBe('unhealthy');
    expect(healthOf(hc(), [])).toBe('unhealthy');
    expect(healthOf(hc(true), [report(true)])).toBe('unhealthy');
    expect(healthOf(hc(true), [report(false)])).toBe('healthy');
    expect(healthOf(hc(false, true), [report(false)])).toBe('healthy');
  });

  it('pairs failover records by name and type, and names which one Route 53 answers', () => {
    const pairs = failoverPairs([
      {
        Name: 'app.example.com.',
        Type: 'CNAME',
        Failover: 'PRIMARY',
        ResourceRecords: [{ Value: 'Primary.example.net' }],
      },
      {
        Name: 'app.example.com.',
        Type: 'CNAME',
        Failover: 'SECONDARY',
        ResourceRecords: [{ Value: 'backup.example.net.' }],
      },
      { Name: 'www.example.com.', Type: 'A', ResourceRecords: [{ Value: '203.0.113.10' }] },
    ]);
    expect(pairs.map((p) => [p.name, p.type, Boolean(p.primary), Boolean(p.secondary)])).toEqual([
      ['app.example.com', 'CNAME', true, true],
    ]);
    expect(servingState(pairs[0]!, ['primary.example.net.'])).toBe('serving-primary');
    expect(servingState(pairs[0]!, ['backup.example.net'])).toBe('serving-secondary');
    expect(servingState(pairs[0]!, ['elsewhere.example.net'])).toBe('serving-other');
    expect(servingState(pairs[0]!, [])).toBe('not-serving');
  });
});
