import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../src/config.ts';
import { productionChecks } from '../../src/production-checks.ts';

/** A production install that does everything right: PostgreSQL, real AWS, Slack, console behind a token. */
const good = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgres://app:secret@db:5432/app',
  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
  SLACK_BOT_TOKEN: 'xoxb-1-2-3',
  SLACK_SIGNING_SECRET: 'signing-secret',
  HOST: '0.0.0.0',
  CONSOLE_TOKEN: 'a-long-enough-console-token',
};
const check = (env: Record<string, string | undefined>) => {
  const v = productionChecks(loadConfig(env));
  return { refuse: v.refusals.map((f) => f.code), warn: v.warnings.map((f) => f.code), verdict: v };
};

describe('production checks', () => {
  it('find nothing in a well-configured production install', () => {
    expect(check(good)).toMatchObject({ refuse: [], warn: [] });
  });

  it('find nothing outside production, however unsafe the settings', () => {
    for (const NODE_ENV of ['development', 'test', undefined])
      expect(check({ NODE_ENV, HOST: '0.0.0.0' })).toMatchObject({ refuse: [], warn: [] });
  });

  it('refuse the embedded database, naming DATA_DIR, DATABASE_URL and the override', () => {
    const { refuse, warn, verdict } = check({ ...good, DATABASE_URL: undefined, DATA_DIR: '/data' });
    expect(refuse).toEqual(['embedded_database']);
    expect(warn).toEqual([]);
    expect(verdict.refusals[0]!.message).toMatch(/embedded PostgreSQL in DATA_DIR \(\/data\).*set DATABASE_URL/);
    expect(verdict.refusals[0]!.message).toMatch(/ALLOW_UNSAFE_PRODUCTION=true/);
  });

  it('refuse the sandbox cloud, whether chosen by SANDBOX=on or by missing credentials', () => {
    expect(check({ ...good, SANDBOX: 'on' }).verdict.refusals).toEqual([
      { code: 'sandbox_cloud', message: expect.stringMatching(/^SANDBOX=on: .*set SANDBOX=auto or off/) },
    ]);
    expect(check({ ...good, AWS_ACCESS_KEY_ID: undefined }).verdict.refusals).toEqual([
      {
        code: 'sandbox_cloud',
        message: expect.stringMatching(/no AWS credentials .*give the process AWS credentials/),
      },
    ]);
    // An EC2-compatible endpoint is a real cloud as far as the app knows.
    expect(check({ ...good, AWS_ACCESS_KEY_ID: undefined, AWS_ENDPOINT_URL: 'http://ec2.internal' }).refuse).toEqual(
      [],
    );
  });

  it('warn when no chat surface is configured, saying whether the console is the only way in', () => {
    const consoleOnly = check({ ...good, SLACK_BOT_TOKEN: undefined, SLACK_SIGNING_SECRET: undefined });
    expect(consoleOnly).toMatchObject({ refuse: [], warn: ['no_chat_surface'] });
    expect(consoleOnly.verdict.warnings[0]!.message).toMatch(/only the web console reaches the bot/);
    const nothing = check({
      ...good,
      SLACK_BOT_TOKEN: undefined,
      SLACK_SIGNING_SECRET: undefined,
      CONSOLE_ENABLED: 'false',
    });
    expect(nothing.verdict.warnings[0]!.message).toMatch(/console is off: nobody can talk to the bot/);
    // OAuth installs (many workspaces) are a chat surface too.
    expect(
      check({
        ...good,
        SLACK_BOT_TOKEN: undefined,
        SLACK_CLIENT_ID: 'cid',
        SLACK_CLIENT_SECRET: 'csecret',
        SLACK_STATE_SECRET: 'state',
        TOKEN_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
      }).warn,
    ).toEqual([]);
  });

  it('warn when the console is off because a non-loopback HOST has no CONSOLE_TOKEN, not when it is off on purpose', () => {
    const off = check({ ...good, CONSOLE_TOKEN: undefined });
    expect(off).toMatchObject({ refuse: [], warn: ['console_off'] });
    expect(off.verdict.warnings[0]!.message).toBe(
      'the web console is off: HOST=0.0.0.0 is not loopback and CONSOLE_TOKEN is not set',
    );
    expect(check({ ...good, CONSOLE_TOKEN: undefined, CONSOLE_ENABLED: 'false' }).warn).toEqual([]);
    expect(check({ ...good, CONSOLE_TOKEN: undefined, HOST: '127.0.0.1' }).warn).toEqual([]);
  });

  it('ALLOW_UNSAFE_PRODUCTION=true turns every refusal into a warning that says it was allowed', () => {
    const env = { NODE_ENV: 'production', HOST: '0.0.0.0', ALLOW_UNSAFE_PRODUCTION: 'true' };
    const { refuse, warn, verdict } = check(env);
    expect(refuse).toEqual([]);
    expect(warn).toEqual(['embedded_database', 'sandbox_cloud', 'no_chat_surface', 'console_off']);
    expect(
      verdict.warnings.slice(0, 2).every((f) => f.message.endsWith('(allowed by ALLOW_UNSAFE_PRODUCTION=true)')),
    ).toBe(true);
    expect(check({ ...env, ALLOW_UNSAFE_PRODUCTION: 'false' }).refuse).toEqual(['embedded_database', 'sandbox_cloud']);
  });
});
