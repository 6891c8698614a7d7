import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from '../../src/store/orm.ts';
import { inSession } from '../../src/store/session.ts';
import { createTestStore, testStoreTimeoutMs, type TestStore } from '../helpers/db.ts';

// inSession: one pooled connection held for a transaction (the scan engine's direct writes).

let store: TestStore;

beforeAll(async () => {
  store = await createTestStore();
  await store.db.execute(sql`create table if not exists session_probe (k text primary key, v jsonb)`);
}, testStoreTimeoutMs);
afterAll(async () => {
  await store.db.execute(sql`drop table if exists session_probe`);
  await store.dispose();
});

const keys = async () =>
  (await store.db.execute<{ k: string }>(sql`select k from session_probe order by k`)).rows.map((r) => r.k);

describe('inSession', () => {
  it('commits what the work wrote when it returns, and a temporary table ends with it', async () => {
    await store.db.execute(sql`truncate session_probe`);
    const out = await inSession(store.db, async ({ tx }) => {
      await tx.execute(sql`create temporary table session_tmp (k text) on commit drop`);
      await tx.execute(sql`insert into session_tmp values ('a')`);
      await tx.execute(sql`insert into session_probe select k, '{}' from session_tmp`);
      return 'done';
    });
    expect(out).toBe('done');
    expect(await keys()).toEqual(['a']);
    await expect(store.db.execute(sql`select 1 from session_tmp`)).rejects.toThrow(/session_tmp/);
  });

  it('rolls back everything when the work throws, and the pool stays usable', async () => {
    await store.db.execute(sql`truncate session_probe`);
    await expect(
      inSession(store.db, async ({ tx }) => {
        await tx.execute(sql`insert into session_probe values ('b', '{}')`);
        throw new Error('half way');
      }),
    ).rejects.toThrow('half way');
    expect(await keys()).toEqual([]);
    // A statement that failed inside the session (its transaction aborted) is rolled back too.
    await expect(
      inSession(store.db, async ({ tx }) => {
        await tx.execute(sql`insert into session_probe values ('c', '{}')`);
        await tx.execute(sql`insert into session_probe values ('c', '{}')`);
      }),
    ).rejects.toThrow();
    expect(await keys()).toEqual([]);
    expect((await store.db.execute<{ one: number }>(sql`select 1 as one`)).rows[0]?.one).toBe(1);
  });

  it('refuses a table or column name that is not a plain identifier, before sending anything', async () => {
    await expect(inSession(store.db, ({ copyIn }) => copyIn('session_probe; drop table x', ['k'], []))).rejects.toThrow(
      /not a plain identifier/,
    );
  });

  // COPY FROM STDIN: external PostgreSQL only (the embedded store's socket takes no COPY).
  if (process.env.DATABASE_URL)
    it('streams lines in with COPY, escapes read back exactly, and a bad line rolls the whole copy back', async () => {
      await store.db.execute(sql`truncate session_probe`);
      await inSession(store.db, ({ copyIn }) =>
        copyIn(
          'session_probe',
          ['k', 'v'],
          [Buffer.from('tab\\011and\\012newline\t{"a": "\\\\\\\\"}\n'), Buffer.from('plain\t{"b": 1}\n')],
        ),
      );
      const rows = (await store.db.execute<{ k: string; v: unknown }>(sql`select k, v from session_probe order by k`))
        .rows;
      expect(rows).toEqual([
        { k: 'plain', v: { b: 1 } },
        { k: 'tab\tand\nnewline', v: { a: '\\' } },
      ]);
      await expect(
        inSession(store.db, ({ copyIn }) =>
          copyIn('session_probe', ['k', 'v'], [Buffer.from('new\t{}\n'), Buffer.from('broken\tnot json\n')]),
        ),
      ).rejects.toThrow(/json/i);
      expect(await keys()).toEqual(['plain', 'tab\tand\nnewline']);
    });
});
