import { describe, expect, it } from '@jest/globals';
import { createAuthThrottle } from '../../src/http/auth-throttle.ts';
import { HttpError } from '../../src/http/errors.ts';

describe('createAuthThrottle', () => {
  const refusal = (f: () => void): HttpError | undefined => {
    try {
      f();
      return undefined;
    } catch (e) {
      if (e instanceof HttpError) return e;
      throw e;
    }
  };

  it('refuses an address for the rest of the window once it failed the limit, others not', () => {
    let t = 0;
    const throttle = createAuthThrottle({ maxFailures: 3, windowMs: 60_000, now: () => t });
    for (let i = 0; i < 2; i++) throttle.failed('10.0.0.1');
    expect(refusal(() => throttle.check('10.0.0.1'))).toBeUndefined();
    t = 20_000;
    throttle.failed('10.0.0.1');
    const e = refusal(() => throttle.check('10.0.0.1'))!;
    expect(e.status).toBe(429);
    // The window began at the first failure (t = 0): 40 s are left.
    expect(e.headers).toEqual({ 'retry-after': '40' });
    expect(refusal(() => throttle.check('10.0.0.2'))).toBeUndefined();
    t = 60_000;
    expect(refusal(() => throttle.check('10.0.0.1'))).toBeUndefined();
  });

  it('remembers at most maxClients addresses, forgetting the oldest first', () => {
    const throttle = createAuthThrottle({ maxFailures: 1, maxClients: 2, now: () => 0 });
    throttle.failed('a');
    throttle.failed('b');
    throttle.failed('c');
    expect(refusal(() => throttle.check('a'))).toBeUndefined();
    expect(refusal(() => throttle.check('b'))?.status).toBe(429);
    expect(refusal(() => throttle.check('c'))?.status).toBe(429);
  });
});
