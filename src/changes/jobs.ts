import type { Scheduler } from '../jobs/scheduler.ts';
import type { ChangeService } from './service.ts';

/** Pending change requests past their approval window become `expired` (audited, cards updated). */
export const approvalExpiryJob = 'changes.expire';
/** Running changes whose executor's lease lapsed become `interrupted` (never re-run). */
export const executorRecoveryJob = 'changes.recover';

export const registerChangeJobs = async (
  scheduler: Scheduler,
  d: { changes: ChangeService; intervalMs: number; leaseMs: number },
): Promise<void> => {
  scheduler.define(approvalExpiryJob, async () => {
    await d.changes.expireDue();
  });
  scheduler.define(executorRecoveryJob, async () => {
    await d.changes.recoverInterrupted();
  });
  await scheduler.every(d.intervalMs, approvalExpiryJob);
  // Twice per lease: a dead executor's change is marked within 1.5 leases of its last renewal.
  await scheduler.every(Math.max(d.leaseMs / 2, 1000), executorRecoveryJob);
};
