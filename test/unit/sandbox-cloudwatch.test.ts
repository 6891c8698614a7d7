import { describe, expect, it } from '@jest/globals';
import { sampleValue } from '../../src/cloud/sandbox/cloudwatch.ts';
import { seedFleet } from '../../src/cloud/sandbox/fleet.ts';

/**
 * The sandbox's CloudWatch answers the same daily figures for a fleet seeded on any date: golden
 * transcripts show them, and a figure that moved with the calendar failed them after midnight.
 */
describe('sandbox CloudWatch figures', () => {
  const dailyCpu = (seededAt: Date): Array<[string, Array<number | undefined>]> => {
    const fleet = seedFleet(seededAt);
    const today = Math.floor(seededAt.getTime() / 86_400_000) * 86_400;
    return fleet.instances.map((i) => [
      i.id,
      Array.from({ length: 14 }, (_, k) =>
        sampleValue(i, 'CPUUtilization', 'Average', today - (k + 1) * 86_400, 86_400),
      ),
    ]);
  };

  it('are the same for the days before the seed, whatever the date and time of day', () => {
    const tuesday = dailyCpu(new Date('2026-12-01T10:00:00Z'));
    expect(tuesday.some(([, days]) => days.some((v) => v !== undefined && v > 0))).toBe(true);
    expect(dailyCpu(new Date('2026-12-04T17:30:00Z'))).toEqual(tuesday);
    expect(dailyCpu(new Date('2027-03-15T00:05:00Z'))).toEqual(tuesday);
  });
});
