import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { diskTierKey } from '../../src/cloud/azure/normalize.ts';
import { monthlyCents, parsePriceTable, priceItem, pricedKeys } from '../../src/cloud/pricing/index.ts';
import { sandboxSizes, seedAzureFleet } from '../../src/cloud/sandbox/azure/fleet.ts';

const file = new URL('../../src/cloud/pricing/azure.json', import.meta.url);
const table = parsePriceTable(JSON.parse(readFileSync(file, 'utf8')), 'azure.json');
const fleet = seedAzureFleet(new Date('2026-11-01T12:00:00Z'));

describe('src/cloud/pricing/azure.json', () => {
  it('is a valid price table naming its source, date and regions', () => {
    expect(table.provider).toBe('azure');
    expect(table.source).toMatch(/Azure Retail Prices API/);
    expect(table.retrieved).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(table.regions).toEqual(['eastus', 'westeurope']);
  });

  it('prices every item in every region it covers', () => {
    for (const item of table.items) expect(Object.keys(item.usd).sort()).toEqual(['eastus', 'westeurope']);
  });

  it('has vCPU and memory matching the sizes the emulator offers', () => {
    for (const [location, sizes] of Object.entries(sandboxSizes()))
      for (const s of sizes) {
        const item = priceItem('azure', 'instance', s.name);
        expect({ size: s.name, location, vcpu: item?.vcpu, memoryGib: item?.memoryGib }).toEqual({
          size: s.name,
          location,
          vcpu: s.numberOfCores,
          memoryGib: s.memoryInMB / 1024,
        });
        expect(monthlyCents('azure', 'instance', s.name, location)).toBeGreaterThan(0);
      }
    expect(pricedKeys('azure', 'instance', 'eastus')).toEqual(
      expect.arrayContaining(['Standard_B2s', 'Standard_E4s_v5']),
    );
  });

  it('prices every seeded VM size, disk tier and snapshot SKU', () => {
    for (const vm of fleet.vms) expect(monthlyCents('azure', 'instance', vm.size, vm.location)).toBeGreaterThan(0);
    for (const d of fleet.disks) {
      const tier = diskTierKey(d.sku, d.sizeGb);
      expect(tier && monthlyCents('azure', 'disk', tier, d.location)).toBeGreaterThan(0);
    }
    for (const s of fleet.snapshots)
      expect(monthlyCents('azure', 'snapshot', s.sku, s.location, s.sizeGb)).toBeGreaterThan(0);
  });

  it('knows nothing of regions it does not cover', () => {
    expect(monthlyCents('azure', 'instance', 'Standard_B2s', 'australiaeast')).toBeUndefined();
    expect(monthlyCents('azure', 'instance', 'Standard_B2s', 'eastus')).toBe(Math.round(0.0416 * 730 * 100));
  });
});
