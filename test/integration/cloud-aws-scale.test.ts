import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { performance } from 'node:perf_hooks';
import { AwsProvider } from '../../src/cloud/aws/provider.ts';
import { sandboxId, seedFleet } from '../../src/cloud/sandbox/fleet.ts';
import { startSandbox } from '../../src/cloud/sandbox/server.ts';
import type { Sandbox } from '../../src/cloud/sandbox/server.ts';

/**
 * Pagination at scale through the real SDK: 10,000 instances and 10,000 volumes in one region,
 * every page followed (MaxResults 1000, EC2's per-call limit), nothing lost or doubled.
 */

const now = new Date('2026-11-01T12:00:00Z');
const n = 10_000;
let sandbox: Sandbox;
let provider: AwsProvider;

beforeAll(async () => {
  const fleet = seedFleet(now);
  const template = fleet.instances.find((i) => i.tags.Name === 'web-prod-1')!;
  fleet.instances = Array.from({ length: n }, (_, k) => ({
    ...template,
    id: sandboxId('i', `scale/${k}`),
    state: k % 5 === 0 ? ('stopped' as const) : ('running' as const),
    tags: { Name: `node-${k}`, env: k % 2 ? 'prod' : 'dev' },
  }));
  const volume = fleet.volumes[0]!;
  fleet.volumes = Array.from({ length: n }, (_, k) => ({
    ...volume,
    id: sandboxId('vol', `scale/${k}`),
    attachment: { instanceId: fleet.instances[k]!.id, device: '/dev/sdf', attachTime: now },
    tags: { Name: `data-${k}` },
  }));
  sandbox = await startSandbox({ now: () => now, fleet, otherFleets: [] });
  provider = new AwsProvider({
    accounts: [{ name: 'big', accountId: '123456789012', regions: ['us-east-1'] }],
    endpoint: sandbox.url,
    sandbox: true,
    credentials: { accessKeyId: 'AKIDSANDBOX', secretAccessKey: 'secret' },
    now: () => now,
    pageSize: 1000,
  });
});
afterAll(async () => {
  provider.destroy();
  await sandbox.stop();
});

it('lists 10,000 instances and 10,000 volumes, every page, in a few seconds', async () => {
  const started = performance.now();
  const all = await provider.listSource(provider.sources()[0]!);
  const seconds = (performance.now() - started) / 1000;
  const instances = all.filter((r) => r.type === 'instance');
  const volumes = all.filter((r) => r.type === 'volume');
  expect(instances).toHaveLength(n);
  expect(new Set(instances.map((r) => r.id)).size).toBe(n);
  expect(volumes).toHaveLength(n);
  expect(new Set(volumes.map((r) => r.id)).size).toBe(n);
  expect(instances.filter((r) => r.state === 'stopped')).toHaveLength(n / 5);
  expect(instances.filter((r) => r.attributes.statusChecks === 'ok')).toHaveLength((n * 4) / 5);
  const pages = (action: string) => sandbox.requests.filter((r) => r.action === action);
  expect(pages('DescribeInstances')).toHaveLength(10);
  expect(pages('DescribeVolumes')).toHaveLength(10);
  expect(pages('DescribeInstanceStatus')).toHaveLength(10);
  expect(pages('DescribeVolumes').every((r) => r.params.MaxResults === '1000')).toBe(true);
  process.stdout.write(`listed ${all.length} resources in ${seconds.toFixed(2)} s\n`);
  // A guard against quadratic paging, not a benchmark: the shared test machine varies a lot.
  expect(seconds).toBeLessThan(60);
});
