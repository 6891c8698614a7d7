import { describe, expect, test } from '@jest/globals';
import { z } from 'zod';
import { noParams, powerInverse, type ActionCatalog } from '../../src/cloud/actions.ts';
import { awsActions } from '../../src/cloud/aws/actions.ts';
import { planAction } from '../../src/cloud/change-tools.ts';
import type { CloudProvider } from '../../src/cloud/provider.ts';
import type { Resource } from '../../src/cloud/resource.ts';

/** The generic planner over declared actions: nothing in it knows a cloud's verbs. */

const catalog: ActionCatalog = {
  deployment: [
    {
      name: 'scale',
      title: 'Scale',
      doing: 'scaling',
      description: 'Set the replica count',
      params: z.object({ replicas: z.string().regex(/^\d{1,4}$/, 'must be a whole number from 0 to 9999') }),
      detail: (s, p) => `from ${String(s.attributes.replicas)} to ${p.replicas} replicas`,
      blastRadius: (s, p) => `${s.name} runs ${p.replicas} pods.`,
      inverse: ({ subject, previous }) => {
        const replicas = previous?.replicas ?? String(subject?.attributes.replicas ?? '');
        return replicas ? { action: 'scale', params: { replicas } } : { why: 'no replica count was recorded' };
      },
    },
  ],
  instance: [
    {
      name: 'deallocate',
      aliases: ['stop'],
      title: 'Deallocate',
      doing: 'deallocating',
      description: 'Stop and release compute',
      params: noParams,
      states: ['running'],
      doneStates: ['deallocated'],
      costDeltaCents: (s) => -s.monthlyCostCents,
      blastRadius: (s) => `${s.name} stops; its disks stay.`,
      inverse: powerInverse('deallocate', 'start', 'deallocate'),
    },
  ],
};

const provider = (actions: ActionCatalog): CloudProvider => ({
  name: 'azure',
  sandbox: true,
  actions,
  sources: () => [],
  listSource: async () => [],
  sizesFor: async () => [],
  execute: async () => {
    throw new Error('not here');
  },
});

const resource = (over: Partial<Resource>): Resource => ({
  provider: 'azure',
  account: 'sub-1',
  region: 'eastus',
  type: 'instance',
  id: 'vm-1',
  name: 'web-1',
  state: 'running',
  tags: {},
  environment: 'prod',
  monthlyCostCents: 7008,
  attributes: {},
  seenAt: new Date('2026-12-01T00:00:00Z'),
  ...over,
});

const d = { provider: () => provider(catalog) };

describe('planAction', () => {
  test('finds an action by its alias and plans it with cost, words and the inverse', async () => {
    const plan = await planAction(d, resource({}), 'stop');
    expect(plan).toMatchObject({
      action: 'deallocate',
      params: {},
      summary: 'Deallocate web-1 (vm-1) in eastus, env=prod',
      blastRadius: 'web-1 stops; its disks stay. This is production.',
      costDeltaCents: -7008,
      rollback: { action: 'start', params: {} },
    });
  });

  test('refuses a state the action does not apply to, and one where it would change nothing', async () => {
    await expect(planAction(d, resource({ state: 'deallocated' }), 'deallocate')).rejects.toMatchObject({
      code: 'conflict',
      userMessage: 'web-1 (vm-1) is already deallocated.',
    });
    await expect(planAction(d, resource({ state: 'starting' }), 'deallocate')).rejects.toMatchObject({
      userMessage: 'web-1 (vm-1) is starting; deallocate needs it to be running.',
    });
  });

  test('validates parameters with the spec’s schema and says which', async () => {
    const dep = resource({
      type: 'deployment',
      id: 'default/deployment/web',
      name: 'web',
      attributes: { replicas: 2 },
    });
    await expect(planAction(d, dep, 'scale', { replicas: 'lots' })).rejects.toMatchObject({
      code: 'bad_request',
      userMessage: expect.stringContaining('replicas: must be a whole number from 0 to 9999'),
    });
    const plan = await planAction(d, dep, 'scale', { replicas: '5' });
    expect(plan.summary).toBe('Scale web (default/deployment/web) from 2 to 5 replicas in eastus, env=prod');
    expect(plan.rollback).toEqual({ action: 'scale', params: { replicas: '2' } });
  });

  test('an action the type lacks names the types that have it, or what the type can do', async () => {
    await expect(planAction(d, resource({ type: 'volume' }), 'scale')).rejects.toMatchObject({
      userMessage: 'web-1 (vm-1) is a volume; scale applies to deployments.',
    });
    await expect(planAction(d, resource({}), 'cordon')).rejects.toMatchObject({
      userMessage: 'web-1 (vm-1) is an instance; “cordon” is not something I can do to it. It can: deallocate.',
    });
  });

  test('EC2 resize checks the size against the provider’s list, with a did-you-mean', async () => {
    const aws = {
      provider: () => ({
        ...provider(awsActions),
        name: 'aws' as const,
        sizesFor: async () => ['t3.small', 't3.large'],
      }),
    };
    const vm = resource({ provider: 'aws', attributes: { instanceType: 't3.small' } });
    await expect(planAction(aws, vm, 'resize', { size: 't3.lrage' })).rejects.toMatchObject({
      userMessage: expect.stringMatching(/“t3.lrage” is not a size I can resize to. Did you mean `t3.large`\?/),
    });
    await expect(planAction(aws, vm, 'resize', { size: 'T3.SMALL' })).rejects.toMatchObject({
      userMessage: 'web-1 (vm-1) is already t3.small.',
    });
  });
});
