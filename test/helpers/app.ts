import { startApp, type App, type AppOptions } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createTestStore, type TestStore } from './db.ts';

/**
 * The whole app on a fresh test database (embedded PGlite, or DATABASE_URL's server), its own
 * sandbox cloud, console on, HTTP on a random loopback port. Jobs are off unless asked for.
 */
export type TestApp = App & { testStore: TestStore; stop(): Promise<void> };

export const startTestApp = async (env: Record<string, string> = {}, opts: AppOptions = {}): Promise<TestApp> => {
  // The configuration first: one that is refused throws before a store exists to leak.
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    SANDBOX: 'on',
    // One cloud unless a test asks for more: the others' emulators and SDKs cost every test a start.
    SANDBOX_CLOUDS: 'aws',
    ...env,
  });
  const testStore = await createTestStore();
  try {
    const app = await startApp(config, {
      logger: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
      jobs: false,
      lockLifetimeMs: 2_000,
      refreshDelayMs: 0,
      ...opts,
      store: testStore,
    });
    return {
      ...app,
      testStore,
      stop: async () => {
        await app.close();
        await testStore.dispose();
      },
    };
  } catch (e) {
    await testStore.dispose();
    throw e;
  }
};

/** POSTs JSON to the app and returns status and parsed body. */
export const postJson = async (
  app: Pick<App, 'url'>,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
) => {
  const res = await fetch(`${app.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return {
    status: res.status,
    body: json as Record<string, unknown> & { replies?: ReplyLike[]; error?: string },
    text,
  };
};

export interface ReplyLike {
  text: string;
  blocks: Array<{ type: string; text?: string; buttons?: Array<{ actionId: string; value: string; label: string }> }>;
  changeId?: string;
  /** The stored message's id (the engine sets it on every reply it stored). */
  messageId?: string;
  ephemeral?: boolean;
  sandbox?: boolean;
  fieldErrors?: Record<string, string>;
}

export const turn = async (app: Pick<App, 'url'>, user: string, text: string): Promise<ReplyLike[]> => {
  const r = await postJson(app, '/console/api/turn', { user, text });
  if (r.status !== 200) throw new Error(`turn "${text}" → ${r.status} ${r.text}`);
  return r.body.replies ?? [];
};

export const click = async (
  app: Pick<App, 'url'>,
  user: string,
  actionId: string,
  value: string,
  inputs?: Record<string, string>,
): Promise<ReplyLike[]> => {
  const r = await postJson(app, '/console/api/interaction', { user, actionId, value, ...(inputs ? { inputs } : {}) });
  if (r.status !== 200) throw new Error(`click ${actionId} → ${r.status} ${r.text}`);
  return r.body.replies ?? [];
};
