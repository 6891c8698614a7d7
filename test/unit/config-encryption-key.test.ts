import { Writable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig, redactedConfig } from '../../src/config.ts';
import { createLogger } from '../../src/observability/logger.ts';

/** TOKEN_ENCRYPTION_KEY: validated, required with Slack OAuth, never shown. */
const KEY = Buffer.alloc(32, 7).toString('base64');
const OAUTH = {
  SLACK_CLIENT_ID: '1111.2222',
  SLACK_CLIENT_SECRET: 'client-secret',
  SLACK_STATE_SECRET: 'state-secret',
  SLACK_SIGNING_SECRET: 'signing-secret',
};

const problems = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error('expected a ConfigError');
};

describe('TOKEN_ENCRYPTION_KEY', () => {
  it('is required with Slack OAuth installs, with one line saying how to make one', () => {
    const p = problems(OAUTH);
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/^TOKEN_ENCRYPTION_KEY: is required with SLACK_CLIENT_ID.*openssl rand -base64 32/);
    expect(p[0]).not.toContain('\n');
    expect(loadConfig({ ...OAUTH, TOKEN_ENCRYPTION_KEY: KEY }).TOKEN_ENCRYPTION_KEY).toBe(KEY);
  });

  it('is not needed for one workspace (SLACK_BOT_TOKEN) or without Slack', () => {
    expect(loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's' }).TOKEN_ENCRYPTION_KEY).toBeUndefined();
    expect(loadConfig({}).TOKEN_ENCRYPTION_KEY).toBeUndefined();
  });

  it('must be base64 of exactly 32 bytes', () => {
    expect(problems({ ...OAUTH, TOKEN_ENCRYPTION_KEY: Buffer.alloc(16, 1).toString('base64') })).toEqual([
      'TOKEN_ENCRYPTION_KEY: must be base64 of exactly 32 bytes, got 16 (generate one with: openssl rand -base64 32)',
    ]);
    expect(problems({ TOKEN_ENCRYPTION_KEY: 'correct horse battery staple' })[0]).toMatch(
      /^TOKEN_ENCRYPTION_KEY: must be base64 \(/,
    );
    expect(problems({ TOKEN_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('hex') })[0]).toMatch(
      /^TOKEN_ENCRYPTION_KEY: .*got 48/,
    );
  });

  it('is redacted in the start-up summary and in any log line', () => {
    const shown = redactedConfig(loadConfig({ ...OAUTH, TOKEN_ENCRYPTION_KEY: KEY }));
    expect(shown.TOKEN_ENCRYPTION_KEY).toBe('[redacted]');
    expect(JSON.stringify(shown)).not.toContain(KEY);
    const lines: string[] = [];
    const log = createLogger(
      'info',
      new Writable({
        write: (c: Buffer, _e, cb) => {
          lines.push(c.toString());
          cb();
        },
      }),
    );
    log.info({ TOKEN_ENCRYPTION_KEY: KEY, env: { TOKEN_ENCRYPTION_KEY: KEY } }, 'x');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('"TOKEN_ENCRYPTION_KEY":"[redacted]"');
    expect(lines[0]).not.toContain(KEY);
  });
});
