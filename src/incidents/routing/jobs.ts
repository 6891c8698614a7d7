import type { Scheduler } from '../../jobs/scheduler.ts';
import type { IncidentRouter } from './dispatch.ts';

/**
 * The job that sends what quiet hours held once they end, and again what a stopped replica left
 * `sending` (`IncidentRouter.flushHeld`).
 */
export const flushHeldJob = 'incidents.flush_held';

/**
 * Defines `incidents.flush_held` and runs it every `everyMs` (default a minute: a held delivery
 * goes out at most that long after its target's quiet hours end). Safe on every replica: Agenda
 * runs each occurrence once, and a flush claims held rows with one UPDATE anyway.
 */
export const scheduleHeldFlush = async (
  scheduler: Scheduler,
  router: IncidentRouter,
  opts: { everyMs?: number } = {},
): Promise<void> => {
  scheduler.define(flushHeldJob, async () => void (await router.flushHeld()), undefined, {
    lockLifetimeMs: 5 * 60_000,
  });
  await scheduler.every(opts.everyMs ?? 60_000, flushHeldJob);
};
