import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { appendAudit, GENESIS_HASH, listAuditEvents, verifyAudit } from '../../src/changes/audit.ts';
import { createTestStore, type TestStore } from '../helpers/db.ts';

let store: TestStore;
beforeAll(async () => {
  store = await createTestStore({ poolMax: 8 });
}, 120_000);
afterAll(() => store?.dispose());

const at = new Date('2026-11-02T10:00:00.000Z');
const root = path.resolve(import.meta.dirname, '../..');

/** Runs `npm run audit:verify`'s script against this test's database. */
const auditVerifyScript = async (...args: string[]): Promise<{ code: number; stdout: string }> => {
  const env = { PATH: process.env.PATH, DATABASE_URL: store.connectionString, LOG_LEVEL: 'silent' };
  try {
    const { stdout } = await promisify(execFile)(process.execPath, ['scripts/audit-verify.ts', ...args], {
      cwd: root,
      env,
    });
    return { code: 0, stdout };
  } catch (err) {
    const e = err as { code: number; stdout: string };
    return { code: e.code, stdout: e.stdout };
  }
};

describe('hash-chained audit log', () => {
  test('an empty log verifies; the first event links to the genesis hash', async () => {
    expect(await verifyAudit(store.db)).toEqual({ ok: true, count: 0, head: null });
    const e = await appendAudit(store.db, {
      at,
      type: 'role.granted',
      actorKey: null,
      subject: 'role:T1:u',
      data: { role: 'admin', when: at, skip: undefined },
    });
    expect(e.prevHash).toBe(GENESIS_HASH);
    expect(e.data).toEqual({ role: 'admin', when: '2026-11-02T10:00:00.000Z' });
    expect(e.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  test('100 concurrent appends keep one unbroken chain', async () => {
    await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        appendAudit(store.db, {
          at,
          type: 'change.requested',
          actorKey: `slack:T1:u${i}`,
          subject: `CR-c${i}`,
          data: { i, nested: { z: 1, a: [i] } },
        }),
      ),
    );
    const events = await listAuditEvents(store.db, { limit: 200 });
    expect(await verifyAudit(store.db, { batchSize: 7 })).toEqual({
      ok: true,
      count: 101,
      head: { seq: events.at(-1)!.seq, hash: events.at(-1)!.hash },
    });
    for (let i = 1; i < events.length; i++) expect(events[i]!.prevHash).toBe(events[i - 1]!.hash);
  }, 60_000);

  test('an append rolled back with its transaction leaves no trace in the chain', async () => {
    await expect(
      store.db.transaction(async (tx) => {
        await appendAudit(tx, { at, type: 'change.failed', actorKey: null, subject: 'CR-x', data: {} });
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    const y = await appendAudit(store.db, { at, type: 'change.failed', actorKey: null, subject: 'CR-y', data: {} });
    expect(await verifyAudit(store.db)).toEqual({ ok: true, count: 102, head: { seq: y.seq, hash: y.hash } });
  });

  test('audit:verify prints OK; after an UPDATE in SQL it names the tampered event and exits 1', async () => {
    const head = (await listAuditEvents(store.db, { latest: 1 }))[0]!;
    expect(await auditVerifyScript()).toEqual({
      code: 0,
      stdout: `audit log OK (102 events; head ${head.seq}:${head.hash})\n`,
    });

    const victim = (await listAuditEvents(store.db, { limit: 200 }))[40]!;
    await store.pool.query(`UPDATE audit_events SET data = jsonb_set(data, '{i}', '999') WHERE seq = $1`, [victim.seq]);
    expect(await verifyAudit(store.db)).toEqual({
      ok: false,
      seq: victim.seq,
      reason: 'its content does not match its hash (the event was modified)',
    });
    expect(await auditVerifyScript()).toEqual({
      code: 1,
      stdout: `audit log BROKEN at event #${victim.seq}: its content does not match its hash (the event was modified)\n`,
    });

    // Restoring the content heals it; deleting an event breaks the link of the next one.
    await store.pool.query(`UPDATE audit_events SET data = $2 WHERE seq = $1`, [
      victim.seq,
      JSON.stringify(victim.data),
    ]);
    expect(await verifyAudit(store.db)).toMatchObject({ ok: true, count: 102 });
    const events = await listAuditEvents(store.db, { limit: 200 });
    await store.pool.query('DELETE FROM audit_events WHERE seq = $1', [events[10]!.seq]);
    expect(await verifyAudit(store.db)).toEqual({
      ok: false,
      seq: events[11]!.seq,
      reason: `its prevHash does not match the hash of event #${events[9]!.seq} (an event was removed, inserted or reordered)`,
    });
  }, 60_000);

  test('an anchor kept from an earlier verify catches removal of the newest events; a bad anchor argument exits 2', async () => {
    const fresh = await createTestStore();
    try {
      const events = [];
      for (let i = 0; i < 5; i++)
        events.push(
          await appendAudit(fresh.db, {
            at,
            type: 'change.requested',
            actorKey: null,
            subject: `CR-a${i}`,
            data: { i },
          }),
        );
      const v = await verifyAudit(fresh.db);
      expect(v).toEqual({ ok: true, count: 5, head: { seq: events[4]!.seq, hash: events[4]!.hash } });
      const anchor = v.ok ? v.head! : undefined;
      expect(await verifyAudit(fresh.db, { anchor })).toMatchObject({ ok: true, count: 5 });

      // The two newest events deleted: the rest is still a valid chain, but the anchor is gone.
      await fresh.pool.query('DELETE FROM audit_events WHERE seq >= $1', [events[3]!.seq]);
      expect(await verifyAudit(fresh.db)).toMatchObject({ ok: true, count: 3 });
      expect(await verifyAudit(fresh.db, { anchor })).toEqual({
        ok: false,
        seq: events[4]!.seq,
        reason: 'the anchored event is missing (events were removed from the end of the log)',
      });
      expect(await verifyAudit(fresh.db, { anchor: { seq: events[1]!.seq, hash: events[2]!.hash } })).toEqual({
        ok: false,
        seq: events[1]!.seq,
        reason: 'its hash differs from the anchor (the chain was rewritten from here or earlier)',
      });

      const script = async (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
        const env = { PATH: process.env.PATH, DATABASE_URL: fresh.connectionString, LOG_LEVEL: 'silent' };
        try {
          const r = await promisify(execFile)(process.execPath, ['scripts/audit-verify.ts', ...args], {
            cwd: root,
            env,
          });
          return { code: 0, ...r };
        } catch (err) {
          const e = err as { code: number; stdout: string; stderr: string };
          return { code: e.code, stdout: e.stdout, stderr: e.stderr };
        }
      };
      expect(await script('--anchor', `${anchor!.seq}:${anchor!.hash}`)).toMatchObject({
        code: 1,
        stdout: `audit log BROKEN at event #${anchor!.seq}: the anchored event is missing (events were removed from the end of the log)\n`,
      });
      expect(await script('--anchor', `${events[2]!.seq}:${events[2]!.hash}`)).toMatchObject({
        code: 0,
        stdout: `audit log OK (3 events, anchor #${events[2]!.seq} present; head ${events[2]!.seq}:${events[2]!.hash})\n`,
      });
      const bad = await script('--anchor', 'yesterday');
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('--anchor must be <seq>:<64 hex characters>');
    } finally {
      await fresh.dispose();
    }
  }, 60_000);
});
