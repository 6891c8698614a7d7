import { describe, expect, it } from '@jest/globals';
import { describeConnectError, describeTarget } from '../../src/store/pool.ts';

const withCode = (code: string, message = 'x'): Error => Object.assign(new Error(message), { code });

describe('describeTarget', () => {
  it('keeps host, port and database, drops user and password', () => {
    expect(describeTarget('postgres://app:s3cret@db.internal:6432/devops?sslmode=require')).toBe(
      'db.internal:6432/devops',
    );
  });
  it('defaults the port and tolerates a URL without database', () => {
    expect(describeTarget('postgresql://db.internal')).toBe('db.internal:5432');
  });
  it('never echoes an unparsable string (it may be a secret)', () => {
    expect(describeTarget('not a url s3cret')).toBe('the configured database');
  });
});

describe('describeConnectError', () => {
  it.each([
    [withCode('ECONNREFUSED'), 'connection refused'],
    [withCode('ENOTFOUND'), 'host not found'],
    [withCode('ETIMEDOUT'), 'connection timed out'],
    [withCode('ECONNRESET'), 'connection closed by the server'],
    [withCode('28P01', 'password authentication failed for user "app"'), 'authentication failed'],
    [withCode('3D000', 'database "devops" does not exist'), 'database "devops" does not exist'],
    [new Error('Connection terminated due to connection timeout'), 'connection timed out'],
    [new Error('Connection terminated unexpectedly'), 'connection closed by the server'],
    [new Error('something odd\n    at stack line'), 'something odd'],
  ])('%p → %j', (err, text) => {
    expect(describeConnectError(err)).toBe(text);
  });

  it('reads the first cause of a multi-address AggregateError', () => {
    const err = Object.assign(new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')], ''), {});
    expect(describeConnectError(err)).toBe('connection refused');
  });
});
