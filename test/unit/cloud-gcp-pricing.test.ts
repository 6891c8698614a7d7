import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { monthlyCents, parsePriceTable, pricedKeys } from '../../src/cloud/pricing/index.ts';
import { gcpSandboxMachineTypes } from '../../src/cloud/sandbox/gcp/fleet.ts';

const raw = JSON.parse(readFileSync(new URL('../../src/cloud/pricing/gcp.json', import.meta.url), 'utf8')) as unknown;

describe('src/cloud/pricing/gcp.json', () => {
  it('is a valid price table naming its source, date and regions', () => {
    const table = parsePriceTable(raw, 'gcp.json');
    expect(table.provider).toBe('gcp');
    expect(table.regions).toEqual(['us-central1', 'europe-west1']);
    expect(table.source).toMatch(/cloud\.google\.com/);
    expect(table.retrieved).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    for (const kind of ['instance', 'disk', 'snapshot', 'ip_address'] as const)
      for (const region of table.regions) expect(pricedKeys('gcp', kind, region).length).toBeGreaterThan(0);
  });

  it('prices every machine type the sandbox offers, with the vCPUs and memory the zone lists', () => {
    const table = parsePriceTable(raw, 'gcp.json');
    for (const m of gcpSandboxMachineTypes()) {
      const region = m.zone.replace(/-[a-z]$/, '');
      const item = table.items.find((i) => i.kind === 'instance' && i.key === m.name);
      expect([m.name, item?.usd[region] !== undefined]).toEqual([m.name, true]);
      expect([m.name, item?.vcpu, item?.memoryGib]).toEqual([m.name, m.guestCpus, m.memoryMb / 1024]);
    }
  });

  it('keeps prices plausible: bigger types cost more, Europe not below Iowa, idle IPs above in-use ones', () => {
    const table = parsePriceTable(raw, 'gcp.json');
    for (const i of table.items)
      expect([i.key, i.usd['europe-west1']! >= i.usd['us-central1']!]).toEqual([i.key, true]);
    const hourly = (key: string) =>
      table.items.find((i) => i.kind === 'instance' && i.key === key)!.usd['us-central1']!;
    for (const family of ['e2-standard', 'n2-standard'])
      expect(hourly(`${family}-4`)).toBeCloseTo(2 * hourly(`${family}-2`), 5);
    expect(monthlyCents('gcp', 'ip_address', 'idle', 'us-central1')).toBeGreaterThan(
      monthlyCents('gcp', 'ip_address', 'in_use', 'us-central1')!,
    );
    expect(monthlyCents('gcp', 'disk', 'pd-standard', 'us-central1', 500)).toBe(2000);
    expect(monthlyCents('gcp', 'instance', 'e2-standard-4', 'asia-east1')).toBeUndefined();
    // Cloud SQL custom types: vCPU-hours plus GB-hours, named by their memory in MiB.
    for (const i of table.items.filter((x) => x.kind === 'database')) {
      const m = /^db-custom-(\d+)-(\d+):postgres$/.exec(i.key);
      expect([i.key, Number(m?.[1]), Number(m?.[2]) / 1024]).toEqual([i.key, i.vcpu, i.memoryGib]);
    }
    expect(monthlyCents('gcp', 'database', 'db-custom-2-7680:postgres', 'us-central1')).toBe(9862);
  });
});
