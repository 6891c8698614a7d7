import type { Scheduler } from '../jobs/scheduler.ts';

/**
 * The incident inbox's safety net: deliveries are processed as they arrive (`receive` starts the
 * processing), and this job picks up what a stopped replica claimed and never finished, and what
 * failed and is to be tried again (up to 5 attempts).
 */
export const incidentInboxJob = 'incidents.inbox';

export const registerIncidentJobs = async (
  scheduler: Scheduler,
  d: { drain: () => Promise<unknown>; postDeferred?: () => Promise<unknown>; intervalMs: number },
): Promise<void> => {
  scheduler.define(incidentInboxJob, async () => {
    await d.drain();
    // Threads held by their channel's quiet hours, once those are over.
    await d.postDeferred?.();
  });
  await scheduler.every(d.intervalMs, incidentInboxJob);
};
