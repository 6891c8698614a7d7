import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { Ec2Error } from '../../src/cloud/sandbox/query.ts';
import { ConfigError } from '../../src/config.ts';
import { AppError, formatZodIssues, isUserFacing, zodIssueLines } from '../../src/errors.ts';
import { HttpError, codeForStatus } from '../../src/http/errors.ts';
import { SecretBoxError } from '../../src/store/secret-box.ts';
import { InboundError } from '../../src/surfaces/slack/inbound.ts';
import { InstallationMissingError } from '../../src/surfaces/slack/store/installation-store.ts';

describe('one error family', () => {
  it.each([
    ['ConfigError', new ConfigError(['PORT: too big']), 'config_invalid'],
    ['HttpError', new HttpError(413, 'request body larger than 10 bytes'), 'bad_request'],
    ['InboundError', new InboundError('the body is not valid JSON'), 'bad_request'],
    ['InstallationMissingError', new InstallationMissingError('team T1'), 'not_found'],
    ['SecretBoxError', new SecretBoxError('wrong-key', 'sealed with another key'), 'config_invalid'],
    ['Ec2Error', new Ec2Error('InvalidInstanceID.NotFound', "The instance ID 'i-1' does not exist"), 'not_found'],
  ] as const)('%s is an AppError with code %s, keeping its name and message', (name, err, code) => {
    expect(err).toBeInstanceOf(AppError);
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe(code);
    expect(err.name).toBe(name);
    expect(err.userMessage).toBe(err.message);
  });

  it('keeps each class its own fields and message text', () => {
    const config = new ConfigError(['PORT: too big', 'HOST: missing']);
    expect(config.problems).toEqual(['PORT: too big', 'HOST: missing']);
    expect(config.message).toBe('invalid configuration:\n  PORT: too big\n  HOST: missing');
    const http = new HttpError(401, 'console token required', { 'www-authenticate': 'Bearer' });
    expect([http.status, http.headers, http.code]).toEqual([401, { 'www-authenticate': 'Bearer' }, 'auth_failed']);
    const missing = new InstallationMissingError('team T1');
    expect(missing.message).toBe(
      'no Slack installation for team T1: install the app (GET /slack/install) in that workspace first',
    );
    const cause = new Error('bad tag');
    const damaged = new SecretBoxError('damaged', 'does not authenticate', { cause });
    expect([damaged.reason, damaged.code, damaged.cause]).toEqual(['damaged', 'internal', cause]);
    expect(new SecretBoxError('format', 'not a sealed value').code).toBe('internal');
    const ec2 = new Ec2Error('RequestEntityTooLarge', 'The request body is too large.', 413);
    expect([ec2.ec2Code, ec2.status, ec2.code]).toEqual(['RequestEntityTooLarge', 413, 'cloud_error']);
    expect(new Ec2Error('InvalidParameterValue', 'bad').status).toBe(400);
  });

  it('maps HTTP statuses onto codes', () => {
    expect([400, 401, 403, 404, 405, 409, 410, 413, 415, 429, 500, 502, 503].map(codeForStatus)).toEqual([
      'bad_request',
      'auth_failed',
      'forbidden',
      'not_found',
      'bad_request',
      'conflict',
      'expired',
      'bad_request',
      'bad_request',
      'rate_limited',
      'internal',
      'cloud_error',
      'unavailable',
    ]);
  });

  it('shows users every AppError text except an internal one', () => {
    expect(isUserFacing(new AppError('bad_request', 'no such size'))).toBe(true);
    expect(isUserFacing(new ConfigError(['x']))).toBe(true);
    expect(isUserFacing(new AppError('internal', 'tool x registered twice'))).toBe(false);
    expect(isUserFacing(new Error('boom'))).toBe(false);
    expect(isUserFacing('boom')).toBe(false);
  });
});

describe('formatZodIssues', () => {
  const schema = z.object({ user: z.object({ name: z.string(), tags: z.array(z.string()) }), size: z.number() });

  it('names nested paths with dots and array indexes', () => {
    const parsed = schema.safeParse({ user: { name: 3, tags: ['a', 4] }, size: 'big' });
    expect(parsed.success).toBe(false);
    expect(formatZodIssues(parsed.error!)).toBe(
      'user.name: Invalid input: expected string, received number; user.tags.1: Invalid input: expected string, received number; size: Invalid input: expected number, received string',
    );
    expect(zodIssueLines(parsed.error!)).toHaveLength(3);
  });

  it('names a root-level issue (root) or the given fallback', () => {
    const parsed = schema.safeParse('nope');
    expect(formatZodIssues(parsed.error!)).toBe('(root): Invalid input: expected object, received string');
    expect(formatZodIssues(parsed.error!, 'input')).toBe('input: Invalid input: expected object, received string');
    expect(zodIssueLines(parsed.error!, '(config)')).toEqual([
      '(config): Invalid input: expected object, received string',
    ]);
    // The fallback applies to root issues only.
    expect(formatZodIssues(schema.safeParse({ user: { name: 'a', tags: [] }, size: 'x' }).error!, 'input')).toBe(
      'size: Invalid input: expected number, received string',
    );
  });
});

describe('src/ throws no plain Error', () => {
  const srcDir = fileURLToPath(new URL('../../src/', import.meta.url));
  /** Browser code: it runs in the page, where src/errors.ts is not loaded. */
  const browserOnly = new Set(['surfaces/console/page/app.js']);
  const files = (readdirSync(srcDir, { recursive: true, encoding: 'utf8' }) as string[])
    .map((f) => f.split(path.sep).join('/'))
    .filter((f) => /\.(ts|mts|js|mjs)$/.test(f) && !f.startsWith('store/migrations/'));

  it('finds the source files', () => {
    expect(files).toEqual(expect.arrayContaining(['errors.ts', 'config.ts', 'http/errors.ts']));
  });

  it('has every throw use an AppError (or a subclass), not new Error(…)', () => {
    const offenders = files
      .filter((f) => !browserOnly.has(f))
      .flatMap((f) =>
        readFileSync(path.join(srcDir, f), 'utf8')
          .split('\n')
          .map((line, i) => ({ where: `src/${f}:${i + 1}`, line })),
      )
      .filter(({ line }) => /throw new Error\(/.test(line))
      .map(({ where, line }) => `${where}: ${line.trim()}`);
    expect(offenders).toEqual([]);
  });
});
