import { z } from 'zod';
import { checkSize, noParams, powerInverse, sizeInverse, subjectLabel, type ActionCatalog } from '../actions.ts';
import type { ActionCheckContext, ActionSubject } from '../actions.ts';

/**
 * What the Azure provider can do, as data (src/cloud/actions.ts). VMs: start, deallocate (what
 * people mean by "stop" on Azure: a VM that is only powered off is still billed), restart and
 * resize. A power action records `{ state }` before it ran and a resize `{ size }`, so rollback
 * restores what was there. Azure's own `stopped` (powered off, allocated) is undone by
 * deallocate, the nearest action that exists here.
 */

const label = subjectLabel;
const sizeOf = (s: ActionSubject): string => String(s.attributes.vmSize ?? '');

const Size = z.object({
  size: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_-]{2,64}$/, 'must be an Azure VM size such as Standard_D2s_v5'),
});

/** ARM treats size names case-insensitively: a case-only difference is accepted, anything else gets the "did you mean". */
const checkAzureSize = async (s: ActionSubject, size: string, ctx: ActionCheckContext): Promise<void> => {
  const valid = await ctx.sizes();
  const match = valid.find((v) => v.toLowerCase() === size.toLowerCase());
  await checkSize(match ?? size, sizeOf(s), label(s), async () => valid);
};

export const azureActions: ActionCatalog = {
  instance: [
    {
      name: 'start',
      title: 'Start',
      doing: 'starting',
      description: 'Start a deallocated or stopped VM (compute billing resumes)',
      params: noParams,
      states: ['deallocated', 'stopped'],
      doneStates: ['running', 'starting'],
      blastRadius: (s) =>
        `${label(s)} boots and bills compute again; a dynamic public IP may change if it was deallocated.`,
      // A `stopped` VM is still allocated and billed, so starting it adds nothing.
      costDeltaCents: (s, _p, ctx) => (s.state === 'deallocated' ? (ctx.monthlyCostAt(sizeOf(s)) ?? 0) : 0),
      inverse: powerInverse('start', 'start', 'deallocate'),
    },
    {
      name: 'deallocate',
      aliases: ['stop', 'shutdown'],
      title: 'Deallocate',
      doing: 'deallocating',
      description: 'Stop the VM and release its compute (billing for compute stops; disks are kept)',
      params: noParams,
      states: ['running', 'stopped'],
      doneStates: ['deallocated', 'deallocating'],
      blastRadius: (s) =>
        `${label(s)} shuts down and its compute is released until started again; managed disks are kept, a dynamic public IP is released.`,
      costDeltaCents: (s) => -s.monthlyCostCents,
      inverse: powerInverse('deallocate', 'start', 'deallocate'),
    },
    {
      name: 'restart',
      aliases: ['reboot'],
      title: 'Restart',
      doing: 'restarting',
      description: 'Restart a running VM',
      params: noParams,
      states: ['running'],
      blastRadius: (s) => `${label(s)} is unavailable for a minute or two while it restarts.`,
      inverse: () => ({ why: 'a restart cannot be undone' }),
    },
    {
      name: 'resize',
      aliases: ['set_size'],
      title: 'Resize',
      doing: 'resizing',
      description: 'Change the VM size (Azure restarts a running VM to apply it)',
      params: Size,
      sizeAttribute: 'vmSize',
      states: ['running', 'stopped', 'deallocated'],
      check: (s, p, ctx) => checkAzureSize(s, p.size!, ctx),
      detail: (s, p) => `from ${sizeOf(s) || '?'} to ${p.size}`,
      blastRadius: (s, p) =>
        s.state === 'deallocated'
          ? `${label(s)} is deallocated, so no downtime; it runs as ${p.size} when next started.`
          : `${label(s)} restarts as ${p.size}: a few minutes of downtime.`,
      costDeltaCents: (s, p, ctx) => {
        if (s.state === 'deallocated') return 0;
        const before = ctx.monthlyCostAt(sizeOf(s));
        const after = ctx.monthlyCostAt(p.size!);
        return before !== undefined && after !== undefined ? after - before : 0;
      },
      inverse: sizeInverse('resize', 'vmSize'),
    },
  ],
};
