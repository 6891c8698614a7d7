import { describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/observability/logger.ts';
import { describeSecrets, redactDeep, redactSecrets, secretPatterns } from '../../src/util/redact.ts';

/**
 * The one list of token-like values that never reach storage or logs. Each pattern: what it must
 * catch, and what it must leave alone (ids, hashes and names people type every day).
 */
// Well-known example values from public documentation, or made up: none is a live credential.
const AKID = 'AKIAIOSFODNN7EXAMPLE';
const ASID = 'ASIAY34FZKBOKMUTVV7A';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const SLACK_BOT = 'xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx';
const SLACK_USER = 'xoxp-123456789012-123456789012-1234567890123-0123456789abcdef0123456789abcdef';
const SLACK_APP = 'xapp-1-A0123456789-1234567890123-0123456789abcdef0123456789abcdef0123456789abcdef';
const SLACK_REFRESH = 'xoxe-1-My0xLTQ1NjctMTIzNDU2Nzg5MC0xMjM0NTY3ODkwMTIzLWFiY2RlZg';
const SLACK_ROTATED = 'xoxe.xoxb-1-MS0yLTEyMzQ1Njc4OTAxMi0xMjM0NTY3ODkwMTIz';
const GH_PAT = 'ghp_1234567890abcdefghijklmnopqrstuvwxyZ';
const GH_OAUTH = 'gho_abcdefghijklmnopqrstuvwxyz0123456789';
const GH_APP = 'ghs_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const GH_USER = 'ghu_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij';
const GH_FINE = 'github_pat_11ABCDEFG0123456789abc_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01234';
const JWT =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';
const PEM = [
  '-----BEGIN RSA PRIVATE KEY-----',
  'MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun',
  'VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK',
  '-----END RSA PRIVATE KEY-----',
].join('\n');

describe('redactSecrets: what it catches', () => {
  it.each([
    [
      'an AWS access key id',
      `my key is ${AKID} ok`,
      'my key is [redacted:aws-access-key-id] ok',
      ['aws-access-key-id'],
    ],
    ['a temporary AWS access key id', `id=${ASID}`, 'id=[redacted:aws-access-key-id]', ['aws-access-key-id']],
    [
      'an AWS secret key after a key-ish word',
      `aws_secret_access_key = ${SECRET}`,
      'aws_secret_access_key = [redacted:aws-secret-key]',
      ['aws-secret-key'],
    ],
    [
      'an AWS secret key after "secret:" in quotes',
      `"SecretAccessKey": "${SECRET}"`,
      '"SecretAccessKey": "[redacted:aws-secret-key]"',
      ['aws-secret-key'],
    ],
    [
      'an AWS key pair pasted together',
      `${AKID} ${SECRET}`,
      '[redacted:aws-access-key-id] [redacted:aws-secret-key]',
      ['aws-access-key-id', 'aws-secret-key'],
    ],
    [
      'an AWS key pair from a credentials CSV',
      `alice,${AKID},${SECRET}`,
      'alice,[redacted:aws-access-key-id],[redacted:aws-secret-key]',
      ['aws-access-key-id', 'aws-secret-key'],
    ],
    ['a Slack bot token', `token ${SLACK_BOT}.`, 'token [redacted:slack-token].', ['slack-token']],
    ['a Slack user token', SLACK_USER, '[redacted:slack-token]', ['slack-token']],
    [
      'a Slack app-level token',
      `SLACK_APP_TOKEN=${SLACK_APP}`,
      'SLACK_APP_TOKEN=[redacted:slack-token]',
      ['slack-token'],
    ],
    ['a Slack refresh token', SLACK_REFRESH, '[redacted:slack-token]', ['slack-token']],
    ['a rotated Slack token', SLACK_ROTATED, '[redacted:slack-token]', ['slack-token']],
    ['a GitHub personal token', `use ${GH_PAT}`, 'use [redacted:github-token]', ['github-token']],
    ['a GitHub OAuth token', GH_OAUTH, '[redacted:github-token]', ['github-token']],
    ['a GitHub App token', GH_APP, '[redacted:github-token]', ['github-token']],
    ['a GitHub user-to-server token', GH_USER, '[redacted:github-token]', ['github-token']],
    ['a fine-grained GitHub token', GH_FINE, '[redacted:github-token]', ['github-token']],
    ['a private key block', `here:\n${PEM}\nthanks`, 'here:\n[redacted:private-key]\nthanks', ['private-key']],
    [
      'a private key block cut off before its end',
      '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ',
      '[redacted:private-key]',
      ['private-key'],
    ],
    [
      'a password in a URL',
      'DATABASE_URL=postgres://app:hunter2@db.internal:5432/prod',
      'DATABASE_URL=postgres://app:[redacted:password]@db.internal:5432/prod',
      ['password'],
    ],
    ['a JWT', `Authorization: Bearer ${JWT}`, 'Authorization: Bearer [redacted:jwt]', ['jwt']],
  ])('%s', (_what, input, output, found) => {
    expect(redactSecrets(input)).toEqual({ text: output, found });
    // Redacting twice changes nothing more.
    expect(redactSecrets(output)).toEqual({ text: output, found: [] });
  });

  it('reports each kind once, in the order of the list', () => {
    expect(redactSecrets(`${GH_PAT} ${AKID} ${GH_OAUTH}`).found).toEqual(['aws-access-key-id', 'github-token']);
  });
});

describe('redactSecrets: what it leaves alone', () => {
  it.each([
    ['instance ids', 'stop i-0abcdef1234567890 and i-0123456789abcdef0'],
    ['volume, snapshot and security group ids', 'vol-0123456789abcdef0 snap-0123456789abcdef0 sg-0123456789abcdef0'],
    ['change ids', 'approve CR-12, cr12, #12 and 12'],
    ['a sha256 audit head', 'head 42:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'],
    ['a git sha1 after the word secret', 'secret 3f786850e387550fdab836ed7e6dc881de23001b'],
    ['40 lowercase letters and digits after secret', 'secret_key=abcdefghijklmnopqrstuvwxyz0123456789abcd'],
    ['a 40-character base64 value with no key-ish word', 'blob wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'],
    ['a URL without a password', 'see https://app.example.com:8443/path?a=b and ssh://git@github.com/x'],
    ['an email address', 'mail alice@example.com'],
    ['words that start like tokens', 'xoxo hugs, ghp_short, AKIA alone, eyJ not a token'],
    ['resource names and sizes', 'resize api-staging-1 to t3.large in us-east-1 env=prod'],
    ['a Slack user id and a mention', 'grant @U0DAVE0001 approver'],
    ['the markers themselves', 'nothing here: [redacted:aws-secret-key] [redacted:jwt]'],
  ])('%s', (_what, text) => {
    expect(redactSecrets(text)).toEqual({ text, found: [] });
  });

  it('has one named pattern per kind, for the planner to reuse', () => {
    expect(secretPatterns.map((p) => p.kind)).toEqual([
      'private-key',
      'jwt',
      'aws-access-key-id',
      'aws-secret-key',
      'slack-token',
      'github-token',
      'password',
    ]);
  });
});

describe('redactSecrets on adversarial input', () => {
  // Each pattern reads a run of spaces, quotes or token characters one way only: the first version
  // of the AWS secret pattern split "secret" + spaces between three \s* and never finished on 40,000 characters.
  it.each([
    ['a key-ish word and a long run of spaces', `secret${' '.repeat(40_000)}!`, undefined],
    ['a key-ish word, = and a long run of spaces', `aws_secret_access_key =${' '.repeat(40_000)}x`, undefined],
    [
      'many unterminated private key headers',
      '-----BEGIN RSA PRIVATE KEY-----'.repeat(1_300),
      '[redacted:private-key]',
    ],
    ['a long token-like run', `github_pat_${'a'.repeat(40_000)}`, undefined],
    ['many scheme prefixes', 'a://b:'.repeat(7_000), undefined],
  ])('%s', (_what, text, expected) => {
    expect(redactSecrets(text).text).toBe(expected ?? text);
  });
});

describe('describeSecrets', () => {
  it('names what was removed, for the message to the user', () => {
    expect(describeSecrets(['aws-secret-key'])).toBe('an AWS secret key');
    expect(describeSecrets(['aws-access-key-id', 'aws-secret-key'])).toBe('an AWS access key id and an AWS secret key');
    expect(describeSecrets(['slack-token', 'password', 'jwt'])).toBe(
      'a Slack token, a password in a URL and a JWT (a signed token)',
    );
  });
});

describe('redactDeep', () => {
  it('redacts every string of a JSON-like value, keys kept', () => {
    const { value, found } = redactDeep({ reason: `no ${GH_PAT}`, n: 3, list: [AKID, { url: 'https://u:p4ss@h/' }] });
    expect(value).toEqual({
      reason: 'no [redacted:github-token]',
      n: 3,
      list: ['[redacted:aws-access-key-id]', { url: 'https://u:[redacted:password]@h/' }],
    });
    expect(found).toEqual(['aws-access-key-id', 'github-token', 'password']);
  });
});

describe('the logger', () => {
  const capture = () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    return { log: createLogger('info', sink), lines };
  };

  it('redacts token-like values in messages, fields and errors', () => {
    const { log, lines } = capture();
    log.info(`connected with ${SLACK_BOT}`);
    log.warn(
      { text: `aws_secret_access_key=${SECRET}`, nested: { deeper: { url: 'redis://:pw123@cache:6379' } } },
      'x',
    );
    log.error({ err: new Error(`refused ${GH_PAT}`) }, 'failed with %s', AKID);
    const all = lines.join('\n');
    for (const s of [SLACK_BOT, GH_PAT, AKID, SECRET, 'pw123']) expect(all).not.toContain(s);
    expect(all).toContain('[redacted:slack-token]');
    expect(all).toContain('[redacted:github-token]');
    expect(all).toContain('[redacted:aws-access-key-id]');
    expect(JSON.parse(lines[1]!).nested.deeper.url).toBe('redis://:[redacted:password]@cache:6379');
  });
});
