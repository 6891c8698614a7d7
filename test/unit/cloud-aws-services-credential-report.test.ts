import { describe, expect, it } from '@jest/globals';
import { parseCredentialReport } from '../../src/cloud/aws/services/credential-report.ts';
import { dbMonthlyCents } from '../../src/cloud/aws/services/rds.ts';
import { bucketRegion } from '../../src/cloud/aws/services/s3.ts';
import { serviceError } from '../../src/cloud/aws/services/common.ts';

const header =
  'user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,' +
  'mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,' +
  'access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,' +
  'access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated';

describe('parseCredentialReport', () => {
  it('reads root and users, N/A and no_information as null', () => {
    const csv = [
      header,
      '<root_account>,arn:aws:iam::123456789012:root,2021-01-01T00:00:00+00:00,not_supported,2026-10-22T12:00:00+00:00,not_supported,not_supported,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A',
      'bob,arn:aws:iam::123456789012:user/bob,2026-02-24T12:00:00+00:00,true,no_information,2026-02-24T12:00:00+00:00,N/A,false,true,2026-04-15T12:00:00+00:00,2026-07-04T12:00:00+00:00,eu-west-1,s3,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A',
    ].join('\n');
    const [root, bob] = parseCredentialReport(csv);
    expect(root).toMatchObject({
      user: '<root_account>',
      passwordEnabled: null,
      passwordLastUsed: '2026-10-22T12:00:00.000Z',
      mfaActive: false,
    });
    expect(bob).toMatchObject({
      user: 'bob',
      arn: 'arn:aws:iam::123456789012:user/bob',
      passwordEnabled: true,
      passwordLastUsed: null,
      passwordLastChanged: '2026-02-24T12:00:00.000Z',
      passwordNextRotation: null,
      accessKeys: [
        { active: true, lastRotated: '2026-04-15T12:00:00.000Z', lastUsedDate: '2026-07-04T12:00:00.000Z' },
        { active: false, lastRotated: null, lastUsedDate: null },
      ],
    });
  });

  it('keeps a user name with commas (IAM allows them) whole', () => {
    const line =
      'ops,team+a,arn:aws:iam::123456789012:user/ops,team+a,2026-01-01T00:00:00+00:00,false,N/A,N/A,N/A,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A';
    const [row] = parseCredentialReport(`${header}\r\n${line}\r\n`);
    expect(row).toMatchObject({
      user: 'ops,team+a',
      arn: 'arn:aws:iam::123456789012:user/ops,team+a',
      mfaActive: true,
    });
  });

  it('refuses a report without the columns it reads', () => {
    expect(() => parseCredentialReport('user,arn,mfa_active\nbob,arn:x,true')).toThrow(/user_creation_time/);
  });
});

describe('service lister helpers', () => {
  it('bucketRegion: empty is us-east-1, EU is eu-west-1', () => {
    expect(bucketRegion(undefined)).toBe('us-east-1');
    expect(bucketRegion('')).toBe('us-east-1');
    expect(bucketRegion('EU')).toBe('eu-west-1');
    expect(bucketRegion('ap-south-1')).toBe('ap-south-1');
  });

  it('dbMonthlyCents: compute plus storage, doubled for Multi-AZ, unpriced unless both are', () => {
    const prices: Record<string, number> = { 'database:db.t3.micro:mysql': 1241, 'db_storage:gp2': 12 };
    const price = (_p: string, kind: string, key: string, _r: string, q = 1) => {
      const unit = prices[`${kind}:${key}`];
      return unit === undefined ? undefined : unit * q;
    };
    const db = { DBInstanceClass: 'db.t3.micro', Engine: 'mysql', StorageType: 'gp2', AllocatedStorage: 20 };
    expect(dbMonthlyCents(db, 'us-east-1', price)).toBe(1241 + 240);
    expect(dbMonthlyCents({ ...db, MultiAZ: true }, 'us-east-1', price)).toBe(2 * (1241 + 240));
    expect(dbMonthlyCents({ ...db, StorageType: 'io2' }, 'us-east-1', price)).toBeUndefined();
    expect(dbMonthlyCents({ ...db, Engine: 'postgres' }, 'us-east-1', price)).toBeUndefined();
    // The real table: a class or region it does not list is unpriced, never guessed from another.
    expect(dbMonthlyCents({ ...db, DBInstanceClass: 'db.x9.unknown' }, 'us-east-1')).toBeUndefined();
    expect(dbMonthlyCents(db, 'ap-south-1')).toBeUndefined();
  });

  it('serviceError: refusals keep AWS text; other codes go through the provider translator', () => {
    const denied = Object.assign(new Error('User: x is not authorized to perform: kms:ListKeys'), {
      name: 'AccessDeniedException',
    });
    expect(serviceError(denied, 'listing KMS keys in us-east-1')).toMatchObject({
      code: 'auth_failed',
      message: expect.stringContaining('not authorized to perform: kms:ListKeys'),
    });
    const unknownKey = Object.assign(new Error('The security token is invalid.'), {
      name: 'UnrecognizedClientException',
    });
    expect(serviceError(unknownKey, 'listing log groups').code).toBe('auth_failed');
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    expect(serviceError(throttled, 'listing log groups').code).toBe('rate_limited');
    const missing = Object.assign(new Error('No credentials'), { name: 'CredentialsProviderError' });
    expect(serviceError(missing, 'listing log groups').message).toContain('No AWS credentials were found');
  });
});
