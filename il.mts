import { createLogger } from '/work/main/src/observability/logger.ts';
import { openStore } from '/work/main/src/store/open.ts';
import fs from 'node:fs';
const dir = fs.mkdtempSync('/tmp/il-');
const store = await openStore({ dataDir: dir, poolMax: 8, logger: createLogger('silent') });
let errors = 0;
const one = async (i: number) => {
  const n = (i % 5) + 1;
  const params = Array.from({ length: n }, (_, k) => `v${k}`);
  const sql = 'select ' + params.map((_, k) => `$${k + 1}::text`).join(', ');
  if (i % 3 === 0) {
    const c = await store.pool.connect();
    try { await c.query('begin'); await c.query(sql, params); await c.query('select pg_advisory_xact_lock(42)'); await c.query(sql, params); await c.query('commit'); }
    finally { c.release(); }
  } else if (i % 7 === 0) { await store.pool.query('select 1/0').catch(() => {}); }
  else await store.pool.query(sql, params);
};
const t0 = Date.now();
await Promise.all(Array.from({ length: 2000 }, (_, i) => one(i).catch((e) => { errors++; if (errors < 3) console.log(e.message); })));
console.log('errors', errors, Date.now() - t0, 'ms');
await store.close();
