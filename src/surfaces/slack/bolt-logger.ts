import { LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import type { Logger } from '../../observability/logger.ts';

/**
 * Bolt, the Web API client and Socket Mode log through this: one pino JSON line per event like the
 * rest of the app, through the same redaction list. pino's level is the one that counts, so
 * Bolt's setLevel is ignored.
 */
const levelOf = (l: Logger): LogLevel => {
  const v = l.levelVal;
  return v <= 20 ? LogLevel.DEBUG : v <= 30 ? LogLevel.INFO : v <= 40 ? LogLevel.WARN : LogLevel.ERROR;
};

export const boltLogger = (logger: Logger): BoltLogger => {
  let log = logger.child({ component: 'slack-sdk' });
  const emit = (level: 'debug' | 'info' | 'warn' | 'error', args: unknown[]): void => {
    if (!log.isLevelEnabled(level)) return;
    const err = args.find((a): a is Error => a instanceof Error);
    const msg = args
      .filter((a) => !(a instanceof Error))
      .map((a) => (typeof a === 'string' ? a : JSON.stringify(a)))
      .join(' ');
    if (err) log[level]({ err }, msg || err.message);
    else log[level](msg);
  };
  return {
    debug: (...a: unknown[]) => emit('debug', a),
    info: (...a: unknown[]) => emit('info', a),
    warn: (...a: unknown[]) => emit('warn', a),
    error: (...a: unknown[]) => emit('error', a),
    setLevel: () => undefined,
    getLevel: () => levelOf(logger),
    setName: (name: string) => {
      log = logger.child({ component: 'slack-sdk', sdk: name });
    },
  };
};
