import { z } from 'zod';
import { conflict } from '../../errors.ts';
import { checkSize, noParams, powerInverse, sizeInverse, subjectLabel, type ActionCatalog } from '../actions.ts';

/**
 * What the GCP provider can do, as data (src/cloud/actions.ts). GCE instances: start, stop,
 * reset, set machine type. A power action records `{ state }` before it ran and a machine-type
 * change `{ size }`, so rollback restores what was there.
 *
 * set_machine_type needs a stopped (TERMINATED) instance, as GCE itself requires: a running one
 * is refused with a sentence telling to stop it first, rather than stopped behind the user's
 * back (a `stop` change, then this one, then `start`: each approved and undoable on its own).
 */

const label = subjectLabel;
const machineTypeOf = (s: { attributes: Record<string, unknown> }): string => String(s.attributes.machineType ?? '');

const Size = z.object({
  size: z
    .string()
    .min(1)
    .max(60)
    .transform((s) => s.trim().toLowerCase()),
});

/** Valid machine types of one zone of a project (the provider's cached machineTypes.list). */
export type ZoneSizes = (project: string, zone: string) => Promise<string[]>;

/** The sentence for a machine-type change asked of an instance that is not stopped. */
export const stopFirst = (name: string, state: string): string =>
  `${name} is ${state}; GCE changes the machine type of a stopped instance only. Stop it first (a \`stop\` change), then set the machine type, then start it.`;

/**
 * The catalog. `zoneSizes` checks a size against the instance's own zone (machine types differ
 * by zone); without it the check uses the region-wide list the change tool passes in.
 */
export const gcpActions = (zoneSizes?: ZoneSizes): ActionCatalog => ({
  instance: [
    {
      name: 'start',
      title: 'Start',
      doing: 'starting',
      description: 'Boot a stopped (TERMINATED) instance (compute billing resumes)',
      params: noParams,
      states: ['stopped'],
      doneStates: ['running', 'pending'],
      blastRadius: (s) => `${label(s)} boots and starts billing compute again.`,
      costDeltaCents: (s, _p, ctx) => ctx.monthlyCostAt(machineTypeOf(s)) ?? 0,
      inverse: powerInverse('start', 'start', 'stop'),
    },
    {
      name: 'stop',
      aliases: ['shutdown', 'halt'],
      title: 'Stop',
      doing: 'stopping',
      description: 'Stop a running instance (persistent disks, internal IP and static addresses kept)',
      params: noParams,
      states: ['running', 'pending'],
      doneStates: ['stopped', 'stopping'],
      blastRadius: (s) =>
        `${label(s)} stops serving until started again; its persistent disks and internal IP are kept, an ephemeral external IP is released.`,
      costDeltaCents: (s) => -s.monthlyCostCents,
      inverse: powerInverse('stop', 'start', 'stop'),
    },
    {
      name: 'reset',
      aliases: ['reboot', 'restart'],
      title: 'Reset',
      doing: 'resetting',
      description: 'Hard-reset a running instance (like the reset button: no clean shutdown)',
      params: noParams,
      states: ['running'],
      blastRadius: (s) =>
        `${label(s)} restarts at once without a clean shutdown: unavailable for a minute or two, unsaved memory is lost.`,
      inverse: () => ({ why: 'a reset cannot be undone' }),
    },
    {
      name: 'set_machine_type',
      aliases: ['resize', 'set_instance_type'],
      title: 'Set machine type',
      doing: 'changing the machine type of',
      description: 'Change the machine type of a stopped instance',
      params: Size,
      sizeAttribute: 'machineType',
      // No `states`: the generic "needs it to be stopped" would pre-empt check()'s sentence that
      // says what to do (stop it first), and the resize button stays offered to say it.
      check: async (s, p, ctx) => {
        if (s.state !== 'stopped') throw conflict(stopFirst(label(s), s.state));
        const zone = String(s.attributes.zone ?? '');
        const sizes = zoneSizes && zone ? () => zoneSizes(s.account, zone) : ctx.sizes;
        await checkSize(p.size!, machineTypeOf(s), label(s), sizes);
      },
      detail: (s, p) => `from ${machineTypeOf(s) || '?'} to ${p.size}`,
      blastRadius: (s, p) => `${label(s)} is stopped, so no downtime; it runs as ${p.size} when next started.`,
      // A stopped instance bills no compute either way; the difference shows when it is started.
      costDeltaCents: () => 0,
      inverse: sizeInverse('set_machine_type', 'machineType'),
    },
  ],
});
