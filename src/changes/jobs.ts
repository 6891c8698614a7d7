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
  // Compare-and-sets too, so the same short lock lifetime (one lease, at least a minute): approvals
  // keep expiring on time after the instance that held this job's lock dies.
  scheduler.define(
    approvalExpiryJob,
    async () => {
      await d.changes.expireDue();
    },
    undefined,
    { lockLifetimeMs: Math.max(d.leaseMs, 60_000) },
  );
  // Its lock lifetime is one lease: the instance that dies is often the one holding this job's
  // lock (instances lock a due run ahead), and the survivors must not wait the scheduler's
  // default (10 min) to recover its changes. The handler is idempotent (compare-and-sets): a slow
  // run whose lock another instance took over does no harm.
  scheduler.define(
    executorRecoveryJob,
    async () => {
      await d.changes.recoverInterrupted();
    },
    undefined,
    { lockLifetimeMs: d.leaseMs },
  );
  await scheduler.every(d.intervalMs, approvalExpiryJob);
  // Twice per lease: a dead executor's change is marked within 1.5 leases of its last renewal.
  await scheduler.every(Math.max(d.leaseMs / 2, 1000), executorRecoveryJob);
};
