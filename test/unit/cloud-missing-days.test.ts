import { describe, expect, it } from '@jest/globals';
import { missingDays } from '../../src/cloud/inventory.ts';

describe('missingDays', () => {
  it('asks for everything when never collected, the days since otherwise, re-reading the last one', () => {
    const at = (s: string) => new Date(s);
    expect(missingDays(null, at('2026-11-01T12:00:00Z'), 14)).toBe(14);
    expect(missingDays(at('2026-11-01T00:10:00Z'), at('2026-11-01T23:00:00Z'), 14)).toBe(1);
    expect(missingDays(at('2026-11-01T23:00:00Z'), at('2026-11-02T00:30:00Z'), 14)).toBe(2);
    expect(missingDays(at('2026-10-01T12:00:00Z'), at('2026-11-01T12:00:00Z'), 14)).toBe(14);
    // A clock that went back still asks for one day.
    expect(missingDays(at('2026-11-05T12:00:00Z'), at('2026-11-01T12:00:00Z'), 14)).toBe(1);
  });
});
