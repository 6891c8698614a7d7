import { createLogger } from '../../src/observability/logger.ts';
import { isAppError } from '../../src/errors.ts';
import { openStore, type Store } from '../../src/store/open.ts';
import { createTestStore, type TestStore } from './db.ts';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.ts';

/**
 * A fresh test database reached through a loopback proxy the test can cut (an outage, a restart),
 * opened with short timeouts so the app notices within a second. `close()` undoes it all, in order.
 */
export interface ProxiedStore {
  base: TestStore;
  proxy: TcpProxy;
  store: Store;
  close(): Promise<void>;
}

export const openProxiedStore = async (opts: { poolMax?: number } = {}): Promise<ProxiedStore> => {
  const base = await createTestStore();
  const target = new URL(base.connectionString);
  const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
  const open = () =>
    openStore({
      databaseUrl: proxy.url(base.connectionString),
      dataDir: '.',
      poolMax: opts.poolMax ?? 4,
      logger: createLogger('silent'),
      queryTimeoutMs: 1_000,
      connectTimeoutMs: 1_000,
      pingTimeoutMs: 500,
    });
  // The short timeouts are for the outages the tests make. On a loaded machine (CI running beside
  // other suites) the very first connection can take longer than a second: that is not the outage
  // under test, so the open is tried again a few times before the test fails.
  let store: Store | undefined;
  for (let attempt = 1; !store; attempt++) {
    try {
      store = await open();
    } catch (e) {
      if (attempt >= 5 || !isAppError(e) || e.code !== 'unavailable') {
        await proxy.close();
        await base.dispose();
        throw e;
      }
    }
  }
  return {
    base,
    proxy,
    store,
    close: async () => {
      await store.close();
      await proxy.close();
      await base.dispose();
    },
  };
};
