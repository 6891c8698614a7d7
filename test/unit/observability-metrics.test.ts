import { describe, expect, it } from '@jest/globals';
import { createMetrics, type OpenChangeStats } from '../../src/observability/metrics.ts';

/** The scrape-time gauges of open change requests, when their source answers, fails or hangs. */
const stats: OpenChangeStats = {
  byStatus: {
    pending: { count: 3, oldestSeconds: 120 },
    approved: { count: 0, oldestSeconds: 0 },
    executing: { count: 1, oldestSeconds: 30 },
  },
  executingLeaseAgeSeconds: 12.5,
};

const series = async (m: ReturnType<typeof createMetrics>) =>
  (await m.registry.metrics()).split('\n').filter((l) => l.startsWith('devops_agent_changes_'));

describe('open change request gauges', () => {
  it('show what the source read, once per scrape for all three gauges', async () => {
    const m = createMetrics();
    let reads = 0;
    m.openChanges(async () => {
      reads += 1;
      return stats;
    });
    expect(await series(m)).toEqual([
      'devops_agent_changes_open{status="pending"} 3',
      'devops_agent_changes_open{status="approved"} 0',
      'devops_agent_changes_open{status="executing"} 1',
      'devops_agent_changes_oldest_seconds{status="pending"} 120',
      'devops_agent_changes_oldest_seconds{status="approved"} 0',
      'devops_agent_changes_oldest_seconds{status="executing"} 30',
      'devops_agent_changes_lease_age_seconds{status="executing"} 12.5',
    ]);
    expect(reads).toBe(1);
    await series(m);
    expect(reads).toBe(2);
  });

  it('leave the series out when the database fails or does not answer in time', async () => {
    const failing = createMetrics();
    failing.openChanges(() => Promise.reject(new Error('connect ECONNREFUSED')));
    expect(await series(failing)).toEqual([]);
    const hanging = createMetrics({ sourceTimeoutMs: 20 });
    hanging.openChanges(() => new Promise<OpenChangeStats>(() => undefined));
    expect(await series(hanging)).toEqual([]);
  });

  it('show nothing before a source is set', async () => {
    expect(await series(createMetrics())).toEqual([]);
  });
});
