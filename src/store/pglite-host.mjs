// Hosts embedded PGlite and its wire-protocol socket server in a child process of the app
// (forked by embedded.ts, talking over the IPC channel). Off the main thread because a heavy query
// blocks PGlite's thread for its whole duration; in a process rather than a worker thread because
// V8 in Node 24 can abort the whole process ("Check failed: jit_page.has_value()") when PGlite's
// WebAssembly is instantiated and freed repeatedly in worker threads of one process (seen in our
// test suite; nodejs/node#64500). A separate process also keeps a PGlite crash from taking the app down.
// Plain JS on purpose: some loaders (tsx) cannot start a .ts entry point.
import { Blob } from 'node:buffer';
import module from 'node:module';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { keepBatchesTogether } from './pglite-batches.mjs';

// PostgreSQL's default 128 MB of shared buffers is sized for a server with many sessions; PGlite has
// one, and its WebAssembly memory never shrinks once the buffers are touched. 16 MB keeps the
// process at about 205 MB of RSS instead of 350 MB after the same queries (BENCHMARKS.md); reads
// beyond the buffers still come from the OS's page cache.
const startParams = [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'];

let db;
let server;
let stopping;

const send = (msg) => {
  if (process.connected) process.send(msg);
};

const stop = () =>
  (stopping ??= (async () => {
    try {
      if (server) await server.stop();
      if (db && !db.closed) await db.close();
      send({ type: 'stopped' });
    } catch (err) {
      send({ type: 'error', message: err instanceof Error ? err.message : String(err) });
    }
    if (process.connected) process.disconnect();
    process.exit(0);
  })());

const dumpDataDir = async () => {
  try {
    const data = new Uint8Array(await (await db.dumpDataDir('none')).arrayBuffer());
    send({ type: 'dumped', data });
  } catch (err) {
    send({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  }
};

// pgDir unset: an in-memory database (tests), optionally loaded from a dump of another one.
const start = async ({ pgDir, maxConnections, dump }) => {
  try {
    db = await PGlite.create({ dataDir: pgDir, loadDataDir: dump ? new Blob([dump]) : undefined, startParams });
    // Port 0: the OS picks a free loopback port, so several instances (tests) never collide.
    server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections });
    keepBatchesTogether(server.queryQueue);
    await server.start();
    send({ type: 'ready', port: Number(server.getServerConn().split(':').pop()) });
    // Write what was compiled now (with the app's compile cache on), not only at a clean exit.
    module.flushCompileCache?.();
  } catch (err) {
    send({ type: 'error', message: err instanceof Error ? err.message : String(err) });
    process.exit(1);
  }
};

process.on('message', (msg) => {
  if (msg?.type === 'start') void start(msg);
  else if (msg?.type === 'stop') void stop();
  else if (msg?.type === 'dump') void dumpDataDir();
});
// The app is gone (crashed or killed): stop serving its data instead of lingering as an orphan.
process.on('disconnect', () => void stop());
