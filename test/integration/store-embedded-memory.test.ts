import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from '@jest/globals';
import { createLogger } from '../../src/observability/logger.ts';
import { openStore, type Store } from '../../src/store/open.ts';

// Embedded PGlite (whatever DATABASE_URL says) runs with small shared buffers: its WebAssembly
// memory never shrinks, and the default 128 MB made the database process ~350 MB (BENCHMARKS.md).
let store: Store | undefined;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'da-embedded-memory-'));
afterAll(async () => {
  await store?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

it('starts embedded PostgreSQL with 16 MB of shared buffers and the usual single-session settings', async () => {
  store = await openStore({ dataDir, poolMax: 1, logger: createLogger('silent') });
  const { rows } = await store.pool.query<{ sb: string; workers: string }>(
    "SELECT current_setting('shared_buffers') AS sb, current_setting('max_worker_processes') AS workers",
  );
  expect(rows[0]).toEqual({ sb: '16MB', workers: '0' });
});
