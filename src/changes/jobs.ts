import type { Scheduler } from '../jobs/scheduler.ts';
import type { ChangeService } from './service.ts';

/** Pending change requests past their approval window become `expired` (audited, cards updated). */
export const approvalExpiryJob = 'changes.expire';

export const registerChangeJobs = async (scheduler: Scheduler, d: { changes: ChangeService; intervalMs: number }): Promise<void> => {
  scheduler.define(approvalExpiryJob, async () => {
    await d.changes.expireDue();
  });
  await scheduler.every(d.intervalMs, approvalExpiryJob);
};
