import type { AgendaBackend } from 'agenda';
import type { Logger } from '../observability/logger.ts';

/**
 * Agenda calls `backend.connect()` once from its constructor and never handles the rejection: a
 * database that is down at that moment would crash the process (unhandled rejection) and leave
 * `start()` waiting forever. This wrapper retries with backoff until it connects or is cancelled.
 */
export interface PatientBackend extends AgendaBackend {
  /** Stops retrying; a pending connect() then resolves without a connection. */
  cancel(): void;
}

const firstDelayMs = 500;
const maxDelayMs = 30_000;

export const patientBackend = (inner: AgendaBackend, logger: Logger): PatientBackend => {
  let cancelled = false;
  // Agenda releases a job lock without awaiting it (`this.agenda.db.unlockJob(job.attrs)` in its
  // JobProcessor): with the database gone that rejection is unhandled and ends the process. The
  // lock then lapses by itself (lockLifetime), so the failure is logged, not thrown.
  const patched = new WeakSet<object>();
  const guarded = (repo: AgendaBackend['repository']): AgendaBackend['repository'] => {
    if (!patched.has(repo)) {
      patched.add(repo);
      const unlock = repo.unlockJob.bind(repo);
      repo.unlockJob = async (job) => {
        try {
          await unlock(job);
        } catch (err) {
          logger.warn({ err: (err as Error).message }, 'could not release a job lock; it lapses by itself');
        }
      };
    }
    return repo;
  };
  let wake: (() => void) | undefined;
  const pause = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  return {
    name: inner.name,
    get repository() {
      return guarded(inner.repository);
    },
    get notificationChannel() {
      return inner.notificationChannel;
    },
    get logger() {
      return inner.logger;
    },
    get ownsConnection() {
      return inner.ownsConnection;
    },
    connect: async () => {
      for (let delay = firstDelayMs; !cancelled; delay = Math.min(delay * 2, maxDelayMs)) {
        try {
          await inner.connect();
          return;
        } catch (err) {
          logger.warn({ err: (err as Error).message, retryInMs: delay }, 'scheduler cannot reach the database yet');
          await pause(delay);
        }
      }
    },
    disconnect: () => inner.disconnect(),
    cancel: () => {
      cancelled = true;
      wake?.();
    },
  };
};
