// Hosts embedded PGlite and its wire-protocol socket server off the main thread: a heavy query
// run by PGlite blocks its thread for its whole duration, and the app's event loop must not stall.
// Plain JS on purpose: some loaders (tsx) cannot start a .ts worker.
import { Blob } from 'node:buffer';
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { keepBatchesTogether } from './pglite-batches.mjs';

// pgDir unset: an in-memory database (tests), optionally loaded from a dump of another one.
const { pgDir, maxConnections, dump } = workerData;

let db;
let server;

const stop = async () => {
  try {
    if (server) await server.stop();
    if (db && !db.closed) await db.close();
    parentPort.postMessage({ type: 'stopped' });
  } catch (err) {
    parentPort.postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  }
  parentPort.close();
};

const dumpDataDir = async () => {
  try {
    const data = await (await db.dumpDataDir('none')).arrayBuffer();
    parentPort.postMessage({ type: 'dumped', data }, [data]);
  } catch (err) {
    parentPort.postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  }
};

parentPort.on('message', (msg) => {
  if (msg && msg.type === 'stop') void stop();
  if (msg && msg.type === 'dump') void dumpDataDir();
});

try {
  db = await PGlite.create({ dataDir: pgDir, loadDataDir: dump ? new Blob([dump]) : undefined });
  // Port 0: the OS picks a free loopback port, so several instances (tests) never collide.
  server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections });
  keepBatchesTogether(server.queryQueue);
  await server.start();
  const port = Number(server.getServerConn().split(':').pop());
  parentPort.postMessage({ type: 'ready', port });
} catch (err) {
  parentPort.postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  parentPort.close();
}
