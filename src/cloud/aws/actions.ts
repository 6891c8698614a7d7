import { z } from 'zod';
import { checkSize, noParams, powerInverse, sizeInverse, subjectLabel, type ActionCatalog } from '../actions.ts';

/**
 * What the AWS provider can do, as data (src/cloud/actions.ts). EC2 instances: start, stop,
 * reboot, resize. A power action records `{ state }` before it ran and a resize `{ size }`, so
 * rollback restores what was there, not what the plan guessed.
 */

const label = subjectLabel;

const Size = z.object({
  size: z
    .string()
    .min(1)
    .max(60)
    .transform((s) => s.toLowerCase()),
});

const running = ['running', 'pending'];

export const awsActions: ActionCatalog = {
  instance: [
    {
      name: 'start',
      title: 'Start',
      doing: 'starting',
      description: 'Boot a stopped instance (compute billing resumes)',
      params: noParams,
      states: ['stopped'],
      doneStates: ['running', 'pending'],
      blastRadius: (s) => `${label(s)} boots and starts billing compute again.`,
      costDeltaCents: (s, _p, ctx) => ctx.monthlyCostAt(String(s.attributes.instanceType ?? '')) ?? 0,
      inverse: powerInverse('start', 'start', 'stop'),
    },
    {
      name: 'stop',
      aliases: ['shutdown', 'halt'],
      title: 'Stop',
      doing: 'stopping',
      description: 'Stop a running instance (EBS volumes and private IP kept)',
      params: noParams,
      states: running,
      doneStates: ['stopped', 'stopping'],
      blastRadius: (s) =>
        `${label(s)} stops serving until started again; its EBS volumes and private IP are kept, a public IP may change.`,
      costDeltaCents: (s) => -s.monthlyCostCents,
      inverse: powerInverse('stop', 'start', 'stop'),
    },
    {
      name: 'reboot',
      aliases: ['restart'],
      title: 'Reboot',
      doing: 'rebooting',
      description: 'Reboot a running instance',
      params: noParams,
      states: ['running'],
      blastRadius: (s) => `${label(s)} is unavailable for a minute or two while it reboots.`,
      inverse: () => ({ why: 'a reboot cannot be undone' }),
    },
    {
      name: 'resize',
      aliases: ['set_instance_type'],
      title: 'Resize',
      doing: 'resizing',
      description: 'Change the instance type (a running instance is stopped, changed and started)',
      params: Size,
      sizeAttribute: 'instanceType',
      states: ['running', 'stopped'],
      check: (s, p, ctx) => checkSize(p.size!, String(s.attributes.instanceType ?? ''), label(s), ctx.sizes),
      detail: (s, p) => (s.attributes.instanceType ? `from ${String(s.attributes.instanceType)} to ${p.size}` : `to ${p.size}`),
      blastRadius: (s, p) =>
        s.state === 'running'
          ? `${label(s)} is stopped, changed to ${p.size} and started again: a few minutes of downtime.`
          : `${label(s)} is stopped, so no downtime; it runs as ${p.size} when next started.`,
      costDeltaCents: (s, p, ctx) => {
        if (s.state !== 'running') return 0;
        const before = ctx.monthlyCostAt(String(s.attributes.instanceType ?? ''));
        const after = ctx.monthlyCostAt(p.size!);
        return before !== undefined && after !== undefined ? after - before : 0;
      },
      inverse: sizeInverse('resize', 'instanceType'),
    },
  ],
};
