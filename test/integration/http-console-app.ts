import { createAuthThrottle } from '../../src/http/auth-throttle.ts';
import { loadConfig } from '../../src/config.ts';
import { createHttpServer, type HttpServer } from '../../src/http/server.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createMetrics, type Metrics } from '../../src/observability/metrics.ts';
import { createConsoleApi } from '../../src/surfaces/console/console.ts';
import { createConsoleSurface, type ConsoleSurface } from '../../src/surfaces/console/surface.ts';
import { createTestStore, type TestStore } from '../helpers/db.ts';
import { createConversationStore } from '../../src/engine/conversations.ts';
import { consoleUsers, createEchoEngine, type EchoEngineOptions } from './http-echo-engine.ts';

/** The HTTP server with the console mounted over a test database and the echo engine. */
export interface ConsoleTestApp {
  baseUrl: string;
  store: TestStore;
  engine: ReturnType<typeof createEchoEngine>;
  surface: ConsoleSurface;
  metrics: Metrics;
  http: HttpServer;
  close(): Promise<void>;
}

export const startConsoleApp = async (
  env: Record<string, string> = {},
  engineOptions: EchoEngineOptions = {},
): Promise<ConsoleTestApp> => {
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', ...env });
  const logger = createLogger(config.LOG_LEVEL);
  const metrics = createMetrics();
  const store = await createTestStore();
  const engine = createEchoEngine(store.db, engineOptions);
  const conversations = createConversationStore(store.db);
  const surface = createConsoleSurface({ conversations });
  const consoleApi = createConsoleApi({
    config,
    throttle: createAuthThrottle(),
    conversations,
    engine,
    surface,
    listConsoleUsers: async () => consoleUsers,
  });
  const http = createHttpServer({ config, logger, metrics, ready: () => store.ping(), console: consoleApi });
  const { port } = await http.listen();
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    store,
    engine,
    surface,
    metrics,
    http,
    close: async () => {
      await http.close();
      await store.dispose();
    },
  };
};
