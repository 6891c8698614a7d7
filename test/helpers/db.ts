import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createLogger, type Logger } from '../../src/observability/logger.ts';
import { startEmbeddedPostgres } from '../../src/store/embedded.ts';
import { migrationsFolder } from '../../src/store/migrate.ts';
import { connectStore, embeddedMaxConnections, openStore, type Store } from '../../src/store/open.ts';

/**
 * A migrated, empty database per test file. With DATABASE_URL set: a fresh `da_t_<random>`
 * database on that server (dropped by dispose). Without: embedded PGlite in memory (same child process
 * and socket path as the app's), loaded from a migrated template so it opens in ~0.4 s.
 */
export type TestStore = Store & {
  /** Closes the store and deletes its database. Idempotent. */
  dispose(): Promise<void>;
};

/**
 * Timeout for a hook that creates a test store: the first one on a machine builds the embedded
 * template (initdb + migrations, several seconds under load), beyond jest's 5 s default.
 */
export const testStoreTimeoutMs = 60_000;

export interface TestStoreOptions {
  poolMax?: number;
  logger?: Logger;
}

const silent = (): Logger => createLogger('silent');

export const createTestStore = async (opts: TestStoreOptions = {}): Promise<TestStore> => {
  const logger = opts.logger ?? silent();
  const poolMax = opts.poolMax ?? 5;
  const url = process.env.DATABASE_URL;
  return url ? createServerTestStore(url, poolMax, logger) : createEmbeddedTestStore(poolMax, logger);
};

/** Runs one statement on the server's maintenance connection (CREATE/DROP DATABASE cannot be pooled in a tx). */
const onServer = async (url: string, sql: string): Promise<void> => {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
};

const createServerTestStore = async (serverUrl: string, poolMax: number, logger: Logger): Promise<TestStore> => {
  const name = `da_t_${randomBytes(6).toString('hex')}`;
  await onServer(serverUrl, `CREATE DATABASE "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const drop = (): Promise<void> => onServer(serverUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  let store: Store;
  try {
    store = await openStore({ databaseUrl: url.toString(), dataDir: os.tmpdir(), poolMax, logger });
  } catch (err) {
    await drop();
    throw err;
  }
  let disposing: Promise<void> | undefined;
  return { ...store, dispose: () => (disposing ??= store.close().then(drop)) };
};

/** Template key: changes whenever a migration does, so a stale template is never copied. */
const migrationsHash = async (): Promise<string> => {
  const hash = createHash('sha256');
  for (const f of (await fs.readdir(migrationsFolder, { recursive: true })).sort()) {
    const p = path.join(migrationsFolder, f);
    if ((await fs.stat(p)).isFile()) hash.update(f).update(await fs.readFile(p));
  }
  return hash.digest('hex').slice(0, 16);
};

let templateReady: Promise<Uint8Array> | undefined;

/**
 * A dump of a freshly migrated cluster, built once per machine and migration set (initdb costs
 * ~2.5 s; loading the dump ~0.4 s) and shared by every jest worker through a temp file.
 */
const template = (logger: Logger): Promise<Uint8Array> =>
  (templateReady ??= (async () => {
    const file = path.join(os.tmpdir(), `devops-agent-pglite-template-${await migrationsHash()}.tar`);
    const cached = await fs.readFile(file).catch(() => undefined);
    if (cached) return new Uint8Array(cached.buffer, cached.byteOffset, cached.byteLength);
    const embedded = await startEmbeddedPostgres({ maxConnections: embeddedMaxConnections(1), logger });
    const store = await connectStore(embedded.connectionString, embedded, { poolMax: 1, logger });
    const dump = await embedded.dump().finally(() => store.close());
    // Concurrent jest workers may build it too: write aside, then rename (atomic, last one wins).
    const aside = `${file}.${process.pid}`;
    await fs.writeFile(aside, dump);
    await fs.rename(aside, file);
    return dump;
  })());

const createEmbeddedTestStore = async (poolMax: number, logger: Logger): Promise<TestStore> => {
  const embedded = await startEmbeddedPostgres({
    load: await template(logger),
    maxConnections: embeddedMaxConnections(poolMax),
    logger,
  });
  const store = await connectStore(embedded.connectionString, embedded, { poolMax, logger });
  return { ...store, dispose: store.close };
};
