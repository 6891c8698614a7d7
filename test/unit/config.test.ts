import { describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_POLICY } from '../../src/changes/policy.ts';
import { ConfigError, ConfigSchema, loadConfig, redactedConfig } from '../../src/config.ts';

const problems = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error('expected a ConfigError');
};

describe('config', () => {
  it('refuses a DRIFT_CONVERSATION or ANALYTICS_CONVERSATION that is malformed or on a surface that does not run', () => {
    expect(problems({ DRIFT_CONVERSATION: 'drift' })).toEqual([
      'DRIFT_CONVERSATION: must be <surface>:<workspace>:<channel> with surface slack, teams or console, got "drift"',
    ]);
    expect(problems({ DRIFT_CONVERSATION: 'slack:T1:C0DRIFT' })).toEqual([
      'DRIFT_CONVERSATION: slack:T1:C0DRIFT is on a surface that does not run: Slack is not configured (SLACK_BOT_TOKEN or SLACK_CLIENT_ID)',
    ]);
    expect(problems({ ANALYTICS_CONVERSATION: 'console:console:ops, teams:t1:19:x@thread.tacv2' })).toEqual([
      'ANALYTICS_CONVERSATION: teams:t1:19:x@thread.tacv2 is on a surface that does not run: Teams is not enabled (TEAMS_APP_ID)',
    ]);
    // The console runs on a loopback HOST (the default): both are accepted there.
    expect(
      loadConfig({ DRIFT_CONVERSATION: 'console:console:ops', ANALYTICS_CONVERSATION: 'console:console:ops' }),
    ).toMatchObject({ DRIFT_CONVERSATION: 'console:console:ops' });
  });

  it('defaults to the zero-setup mode: embedded db, sandbox, console on loopback', () => {
    const c = loadConfig({});
    expect(c.PORT).toBe(3000);
    expect(c.HOST).toBe('127.0.0.1');
    expect(c.DATABASE_URL).toBeUndefined();
    expect(c.DATA_DIR).toBe('./.data');
    expect(c.sandbox).toBe(true);
    expect(c.consoleEnabled).toBe(true);
    expect(c.APPROVAL_TTL).toBe(24 * 3_600_000);
    expect(c.INVENTORY_SYNC_INTERVAL).toBe(5 * 60_000);
  });

  it('parses durations, lists and treats empty strings as unset', () => {
    const c = loadConfig({
      APPROVAL_TTL: '2h',
      INVENTORY_SYNC_INTERVAL: '30s',
      BOOTSTRAP_ADMINS: 'U1, U2,,',
      DATABASE_URL: '',
      AWS_REGIONS: 'eu-west-1,us-east-2',
    });
    expect(c.APPROVAL_TTL).toBe(7_200_000);
    expect(c.INVENTORY_SYNC_INTERVAL).toBe(30_000);
    expect(c.BOOTSTRAP_ADMINS).toEqual(['U1', 'U2']);
    expect(c.DATABASE_URL).toBeUndefined();
    expect(c.AWS_REGIONS).toEqual(['eu-west-1', 'us-east-2']);
  });

  it('reports one readable line per wrong value, naming the variable', () => {
    const p = problems({
      PORT: 'eighty',
      DATABASE_URL: 'mysql://x',
      APPROVAL_TTL: 'soon',
      AWS_REGIONS: 'Europe',
      LOG_LEVEL: 'loud',
    });
    expect(p).toHaveLength(5);
    expect(p.find((l) => l.startsWith('PORT:'))).toBeDefined();
    expect(p.find((l) => l.startsWith('DATABASE_URL:'))).toMatch(/postgres/);
    expect(p.find((l) => l.startsWith('APPROVAL_TTL:'))).toMatch(/duration like 30s/);
    expect(p.find((l) => l.startsWith('AWS_REGIONS'))).toMatch(/region names/);
    expect(p.find((l) => l.startsWith('LOG_LEVEL:'))).toBeDefined();
  });

  it('reads POLICY_FILE (the README example is valid) and names what is wrong with a bad one', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'policy-'));
    const write = (name: string, text: string): string => {
      const file = path.join(dir, name);
      fs.writeFileSync(file, text);
      return file;
    };
    expect(loadConfig({}).policy).toEqual(DEFAULT_POLICY);
    const readme = fs.readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const example = /#### Approval policy file[\s\S]*?```json\n([\s\S]*?)```/.exec(readme)![1]!;
    const policy = loadConfig({ POLICY_FILE: write('ok.json', example) }).policy;
    expect(policy.rules.map((r) => [r.name, r.approvals])).toEqual([
      ['prod-resize-stop', 2],
      ['production', 1],
      ['default', 1],
    ]);
    expect(policy.rules[1]!.ttlMs).toBe(4 * 3_600_000);
    // The example of groups and windows is valid too.
    const groups = /#### Groups, windows, freezes and temporary roles[\s\S]*?```json\n([\s\S]*?)```/.exec(readme)![1]!;
    const release = loadConfig({ POLICY_FILE: write('groups.json', groups) }).policy;
    expect(release.rules[0]).toMatchObject({ name: 'releases', approvals: 2, approverGroups: ['sre'] });
    expect(release.groups?.sre).toHaveLength(3);

    expect(problems({ POLICY_FILE: path.join(dir, 'missing.json') })).toEqual([
      `POLICY_FILE: cannot read ${path.join(dir, 'missing.json')}: no such file`,
    ]);
    expect(problems({ POLICY_FILE: write('bad.json', '{"rules": [') })[0]).toMatch(
      /^POLICY_FILE: cannot read .*bad\.json: not valid JSON/,
    );
    const wrong = problems({
      POLICY_FILE: write(
        'wrong.json',
        JSON.stringify({
          requesterRoles: ['operator'],
          rules: [{ name: 'x', approvals: 0, approverRoles: ['admin'] }],
        }),
      ),
      PORT: 'x',
    });
    expect(wrong).toHaveLength(2);
    expect(wrong).toContain(
      'POLICY_FILE: invalid approval policy: rules.0.approvals: approvals must be 0 when autoApprove is true, and at least 1 otherwise',
    );
    fs.rmSync(dir, { recursive: true });
  });

  it('reads ALLOW_UNSAFE_PRODUCTION as true or false only (default false)', () => {
    expect(loadConfig({}).ALLOW_UNSAFE_PRODUCTION).toBe(false);
    expect(loadConfig({ ALLOW_UNSAFE_PRODUCTION: 'true' }).ALLOW_UNSAFE_PRODUCTION).toBe(true);
    expect(loadConfig({ ALLOW_UNSAFE_PRODUCTION: 'false' }).ALLOW_UNSAFE_PRODUCTION).toBe(false);
    expect(problems({ ALLOW_UNSAFE_PRODUCTION: 'yes' })[0]).toMatch(/^ALLOW_UNSAFE_PRODUCTION: /);
  });

  it('keeps the console off a public interface unless a token protects it', () => {
    expect(loadConfig({ HOST: '0.0.0.0' }).consoleEnabled).toBe(false);
    expect(loadConfig({ HOST: '0.0.0.0', CONSOLE_TOKEN: 'a-long-enough-token' }).consoleEnabled).toBe(true);
    expect(problems({ HOST: '0.0.0.0', CONSOLE_ENABLED: 'true' })[0]).toMatch(/^CONSOLE_TOKEN: is required/);
    expect(problems({ CONSOLE_TOKEN: 'short' })[0]).toMatch(/^CONSOLE_TOKEN: must be at least 16/);
  });

  it('uses real AWS when credentials or an endpoint are present', () => {
    expect(loadConfig({ AWS_ACCESS_KEY_ID: 'AKIA', AWS_SECRET_ACCESS_KEY: 's' }).sandbox).toBe(false);
    expect(loadConfig({ AWS_PROFILE: 'prod' }).sandbox).toBe(false);
    expect(loadConfig({ AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' }).sandbox).toBe(false);
    expect(loadConfig({ AWS_PROFILE: 'prod', SANDBOX: 'on' }).sandbox).toBe(true);
  });

  it('requires the Slack settings that belong together', () => {
    expect(problems({ SLACK_BOT_TOKEN: 'xoxb-1' })[0]).toMatch(/^SLACK_SIGNING_SECRET: is required/);
    expect(problems({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xoxb-1' })).toEqual([
      expect.stringMatching(/^SLACK_APP_TOKEN: must be an app-level token \(xapp-…/),
    ]);
    expect(problems({ SLACK_BOT_TOKEN: 'xapp-1', SLACK_SIGNING_SECRET: 's' })).toEqual([
      expect.stringMatching(/^SLACK_BOT_TOKEN: must be a bot token \(xoxb-…/),
    ]);
    expect(problems({ SLACK_CLIENT_ID: 'c' })[0]).toMatch(/SLACK_STATE_SECRET/);
  });

  it('inventories AWS_REGION (else AWS_DEFAULT_REGION) when AWS_REGIONS is unset, as the AWS SDK and CLI read them', () => {
    expect(loadConfig({}).AWS_REGIONS).toEqual(['us-east-1']);
    expect(loadConfig({ AWS_DEFAULT_REGION: 'eu-central-1' }).AWS_REGIONS).toEqual(['eu-central-1']);
    expect(loadConfig({ AWS_REGION: 'eu-west-3', AWS_DEFAULT_REGION: 'eu-central-1' }).AWS_REGIONS).toEqual([
      'eu-west-3',
    ]);
    expect(loadConfig({ AWS_REGIONS: 'us-west-2,ap-south-1', AWS_REGION: 'eu-west-3' }).AWS_REGIONS).toEqual([
      'us-west-2',
      'ap-south-1',
    ]);
    expect(problems({ AWS_REGION: 'Frankfurt' })).toEqual([
      expect.stringMatching(/^AWS_REGION: must be an AWS region/),
    ]);
  });

  it('leaves the sandbox for any endpoint the AWS SDK would use: AWS_ENDPOINT_URL_EC2 as well as AWS_ENDPOINT_URL', () => {
    expect(loadConfig({ AWS_ENDPOINT_URL: 'http://127.0.0.1:4599' })).toMatchObject({
      sandbox: false,
      awsEndpoint: 'http://127.0.0.1:4599',
    });
    // The service-specific variable wins over the general one, as in the SDK.
    expect(
      loadConfig({ AWS_ENDPOINT_URL_EC2: 'http://127.0.0.1:4599', AWS_ENDPOINT_URL: 'http://127.0.0.1:9' }),
    ).toMatchObject({ sandbox: false, awsEndpoint: 'http://127.0.0.1:4599' });
    expect(loadConfig({ AWS_ENDPOINT_URL_EC2: 'https://ec2.internal.example:8443' })).toMatchObject({
      sandbox: false,
      awsEndpoint: 'https://ec2.internal.example:8443',
    });
    // AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true makes the SDK ignore both.
    expect(
      loadConfig({ AWS_ENDPOINT_URL: 'http://127.0.0.1:4599', AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' }),
    ).toMatchObject({ sandbox: true, awsEndpoint: undefined });
    expect(loadConfig({})).toMatchObject({ sandbox: true, awsEndpoint: undefined });
    expect(problems({ AWS_ENDPOINT_URL_EC2: 'localhost:4599' })).toEqual([
      'AWS_ENDPOINT_URL_EC2: must be an http:// or https:// URL',
    ]);
  });

  it('takes GIT_COMMIT for the build info, and refuses what is not an id', () => {
    expect(loadConfig({ GIT_COMMIT: '3e66539' }).GIT_COMMIT).toBe('3e66539');
    expect(problems({ GIT_COMMIT: 'rm -rf /' })).toEqual([expect.stringMatching(/^GIT_COMMIT: must be a commit id/)]);
  });

  it('redacts secrets in the start-up summary', () => {
    const r = redactedConfig(
      loadConfig({
        DATABASE_URL: 'postgres://u:hunter2@db/x',
        SLACK_BOT_TOKEN: 'xoxb-1',
        SLACK_SIGNING_SECRET: 's',
        CONSOLE_TOKEN: 'a-long-enough-token',
      }),
    );
    expect(JSON.stringify(r)).not.toMatch(/hunter2|xoxb-1|a-long-enough-token/);
    expect(r.PORT).toBe(3000);
  });
});

describe('documentation of the configuration', () => {
  const root = new URL('../../', import.meta.url);
  const variables = Object.keys(ConfigSchema.shape);

  it('.env.example lists and explains every variable the schema reads, and nothing else', () => {
    const example = fs.readFileSync(new URL('.env.example', root), 'utf8');
    const listed = [...example.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]);
    expect([...listed].sort()).toEqual([...variables].sort());
  });

  it('the README configuration table has a row for every variable', () => {
    const readme = fs.readFileSync(new URL('README.md', root), 'utf8');
    expect(variables.filter((v) => !readme.includes(`| \`${v}\``))).toEqual([]);
  });
});
