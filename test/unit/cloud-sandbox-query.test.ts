import { describe, expect, it } from '@jest/globals';
import { seedFleet } from '../../src/cloud/sandbox/fleet.ts';
import { Ec2Error, applyFilters, filtersOf, globMatch, listParam, paginate } from '../../src/cloud/sandbox/query.ts';

const limits = { action: 'DescribeThings', min: 5, max: 10, idParam: 'ThingId' };
const thrown = (f: () => unknown): Ec2Error => {
  try {
    f();
  } catch (e) {
    if (e instanceof Ec2Error) return e;
    throw e;
  }
  throw new Error('expected an Ec2Error');
};

describe('EC2 query parameters', () => {
  it('reads numbered lists in numeric order and nested filter values', () => {
    const params = {
      'InstanceId.10': 'j',
      'InstanceId.2': 'b',
      'InstanceId.1': 'a',
      'Filter.1.Name': 'tag:env',
      'Filter.1.Value.2': 'dev',
      'Filter.1.Value.1': 'prod',
      'Filter.2.Name': 'instance-type',
    };
    expect(listParam(params, 'InstanceId')).toEqual(['a', 'b', 'j']);
    expect(filtersOf(params)).toEqual([
      { name: 'tag:env', values: ['prod', 'dev'] },
      { name: 'instance-type', values: [] },
    ]);
  });

  it('matches * and ? wildcards and treats everything else literally', () => {
    expect(globMatch('web-*', 'web-prod-1')).toBe(true);
    expect(globMatch('t3.?', 't3.x')).toBe(true);
    expect(globMatch('t3.?', 't3.xl')).toBe(false);
    expect(globMatch('t3.large', 't3xlarge')).toBe(false);
    expect(globMatch('(a)', '(a)')).toBe(true);
  });

  it('ANDs filters, ORs values, and refuses unknown filter names', () => {
    const items: Array<{ id: string; tags: Record<string, string> }> = [
      { id: '1', tags: { env: 'dev' } },
      { id: '2', tags: { env: 'prod' } },
      { id: '3', tags: {} },
    ];
    const fields = { id: (x: { id: string }) => [x.id] };
    expect(
      applyFilters(
        items,
        [
          { name: 'tag:env', values: ['dev', 'prod'] },
          { name: 'id', values: ['2', '3'] },
        ],
        fields,
      ).map((x) => x.id),
    ).toEqual(['2']);
    expect(applyFilters(items, [{ name: 'tag-key', values: ['env'] }], fields).map((x) => x.id)).toEqual(['1', '2']);
    expect(thrown(() => applyFilters(items, [{ name: 'nope', values: ['x'] }], fields)).ec2Code).toBe(
      'InvalidParameterValue',
    );
  });

  it('pages with opaque tokens bound to the action, and validates MaxResults as EC2 does', () => {
    const items = Array.from({ length: 12 }, (_, i) => i);
    const first = paginate(items, { MaxResults: '5' }, limits);
    expect(first.page).toEqual([0, 1, 2, 3, 4]);
    const second = paginate(items, { MaxResults: '5', NextToken: first.nextToken ?? '' }, limits);
    const third = paginate(items, { MaxResults: '5', NextToken: second.nextToken ?? '' }, limits);
    expect([second.page, third.page, third.nextToken]).toEqual([[5, 6, 7, 8, 9], [10, 11], undefined]);
    expect(paginate(items, {}, limits).page).toHaveLength(12);
    expect(thrown(() => paginate(items, { MaxResults: '4' }, limits)).ec2Code).toBe('InvalidParameterValue');
    expect(thrown(() => paginate(items, { MaxResults: '5', 'ThingId.1': 'x' }, limits)).ec2Code).toBe(
      'InvalidParameterCombination',
    );
    expect(thrown(() => paginate(items, { NextToken: 'garbage' }, limits)).ec2Code).toBe('InvalidPaginationToken');
    expect(
      thrown(() => paginate(items, { NextToken: first.nextToken ?? '' }, { ...limits, action: 'DescribeOther' }))
        .ec2Code,
    ).toBe('InvalidPaginationToken');
  });
});

describe('seeded fleet', () => {
  it('is the same for the same clock, with unique EC2-shaped ids', () => {
    const now = new Date('2026-11-01T00:00:00Z');
    const a = seedFleet(now);
    expect(seedFleet(now)).toEqual(a);
    const ids = [...a.instances, ...a.volumes, ...a.snapshots, ...a.securityGroups].map((x) => x.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(a.instances.every((i) => /^i-0[0-9a-f]{16}$/.test(i.id))).toBe(true);
    expect(a.volumes.every((v) => /^vol-0[0-9a-f]{16}$/.test(v.id))).toBe(true);
  });

  it('is independent per seed: changing one fleet leaves another alone', () => {
    const now = new Date('2026-11-01T00:00:00Z');
    const a = seedFleet(now);
    const b = seedFleet(now);
    const first = a.instances[0];
    if (first) first.state = 'terminated';
    expect(b.instances[0]?.state).toBe('running');
  });
});
