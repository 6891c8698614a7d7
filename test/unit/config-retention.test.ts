import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from '../../src/config.ts';

/** RETENTION_PROCESSED_EVENTS and RETENTION_MESSAGES: durations with floors, 0 or off to keep forever. */
const problems = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error('expected a ConfigError');
};

const day = 86_400_000;

describe('retention', () => {
  it('keeps processed event ids 7 days and messages 90 days by default', () => {
    const c = loadConfig({});
    expect(c.RETENTION_PROCESSED_EVENTS).toBe(7 * day);
    expect(c.RETENTION_MESSAGES).toBe(90 * day);
  });

  it('reads durations like the other variables, and 0 or off (any case) as keep forever', () => {
    expect(loadConfig({ RETENTION_PROCESSED_EVENTS: '36h', RETENTION_MESSAGES: '30d' })).toMatchObject({
      RETENTION_PROCESSED_EVENTS: 36 * 3_600_000,
      RETENTION_MESSAGES: 30 * day,
    });
    expect(loadConfig({ RETENTION_PROCESSED_EVENTS: 'off', RETENTION_MESSAGES: '0' })).toMatchObject({
      RETENTION_PROCESSED_EVENTS: 0,
      RETENTION_MESSAGES: 0,
    });
    expect(loadConfig({ RETENTION_MESSAGES: ' OFF ' }).RETENTION_MESSAGES).toBe(0);
  });

  it('refuses what is surely a mistake, one line per variable', () => {
    const p = problems({ RETENTION_PROCESSED_EVENTS: '7', RETENTION_MESSAGES: 'forever' });
    expect(p).toEqual([
      'RETENTION_PROCESSED_EVENTS: must be 0 or off (keep forever), or at least 1h',
      'RETENTION_MESSAGES: expected a duration like 30s, 5m, 2h or 1d, got "forever"',
    ]);
    expect(problems({ RETENTION_MESSAGES: '12h' })).toEqual([
      'RETENTION_MESSAGES: must be 0 or off (keep forever), or at least 1d',
    ]);
  });
});
