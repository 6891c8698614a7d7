import { describe, expect, test } from '@jest/globals';
import { Writable } from 'node:stream';
import type { AgendaBackend } from 'agenda';
import { patientBackend } from '../../src/jobs/patient-backend.ts';
import { createLogger } from '../../src/observability/logger.ts';

/**
 * Agenda releases a job lock without awaiting it; with the database gone, that rejection must
 * not be unhandled (it would end the process). The backend wrapper logs it instead.
 */
describe('patientBackend', () => {
  test('a failed unlock of a job is logged, not left as an unhandled rejection', async () => {
    const calls: unknown[] = [];
    const repository = {
      unlockJob: async (job: unknown) => {
        calls.push(job);
        throw new Error('Connection terminated unexpectedly');
      },
    };
    const inner = { name: 'test', repository } as unknown as AgendaBackend;
    const lines: string[] = [];
    const sink = new Writable({
      write: (chunk: Buffer, _enc, done) => {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger('warn', sink);
    const backend = patientBackend(inner, logger);
    const repo = backend.repository;
    expect(backend.repository).toBe(repo);
    // As Agenda calls it: not awaited by the caller; awaited here only to observe the outcome.
    await expect(repo.unlockJob({ name: 'inventory.sync' } as never)).resolves.toBeUndefined();
    expect(calls).toHaveLength(1);
    expect(lines.join('')).toContain('could not release a job lock; it lapses by itself');
  });
});
