import type { SurfaceName } from './chat/actor.ts';
import type { ChatSurface } from './chat/surface.ts';
import { newExecutorId } from './changes/context.ts';
import { registerChangeJobs } from './changes/jobs.ts';
import { createChangeService, type ChangeService } from './changes/service.ts';
import { changeTools } from './changes/tools.ts';
import { AwsProvider } from './cloud/aws/provider.ts';
import { refreshResource, syncInventory, type SyncOutcome } from './cloud/inventory.ts';
import { inventorySyncJob, registerInventoryJobs } from './cloud/jobs.ts';
import type { CloudProvider } from './cloud/provider.ts';
import { sandboxRegions } from './cloud/sandbox/fleet.ts';
import { startSandbox, type Sandbox } from './cloud/sandbox/server.ts';
import { resourceOptions } from './cloud/pick.ts';
import { cloudTools } from './cloud/tools.ts';
import type { Config } from './config.ts';
import { createConversationStore } from './engine/conversations.ts';
import { createEngine, type Engine } from './engine/conversation-engine.ts';
import { createChangeNotifier } from './engine/notifier.ts';
import { rulePlanner } from './engine/planner/rule-planner.ts';
import { OptionSources } from './engine/options.ts';
import { ToolRegistry } from './engine/registry.ts';
import { createHttpServer, type HttpServer } from './http/server.ts';
import { createScheduler, type Scheduler } from './jobs/scheduler.ts';
import { createLogger, type Logger } from './observability/logger.ts';
import { createMetrics, type Metrics } from './observability/metrics.ts';
import { openStore, type Store } from './store/open.ts';
import { createConsoleApi } from './surfaces/console/console.ts';
import { createConsoleSurface } from './surfaces/console/surface.ts';
import { createSlack, slackEnabled, type SlackRuntime, type SlackTuning } from './surfaces/slack/slack.ts';
import { createSlackStores } from './surfaces/slack/store/stores.ts';
import { CONSOLE_USERS, listUsers, seedUsers } from './users/repository.ts';
import { userTools } from './users/tools.ts';

/**
 * The composition root: wires config → store → providers → change service → tools → engine →
 * surfaces → HTTP and jobs. main.ts, the integration tests and the benchmarks all start the app here.
 */
export interface App {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  store: Store;
  engine: Engine;
  changes: ChangeService;
  providers: CloudProvider[];
  /** The local cloud emulator when running in sandbox mode. */
  sandbox: Sandbox | undefined;
  scheduler: Scheduler;
  http: HttpServer;
  /** The Slack surface when SLACK_* is configured (tests wait on `slack.idle()`). */
  slack: SlackRuntime | undefined;
  /** Base URL of the HTTP server, e.g. http://127.0.0.1:3000. */
  url: string;
  /** One inventory pass now (the scheduled job does the same on its interval). */
  syncNow(): Promise<SyncOutcome[]>;
  close(): Promise<void>;
}

export interface AppOptions {
  logger?: Logger;
  now?: () => Date;
  /** Use this running sandbox instead of starting one (tests that arrange the fleet). */
  sandbox?: Sandbox;
  /** Do not start the scheduler (benchmarks, tests that drive jobs by hand). */
  jobs?: boolean;
  /** Scheduler lock lifetime (tests keep it small so the process exits promptly). */
  lockLifetimeMs?: number;
  /** An open store to use instead of opening one from config (tests); the caller closes it. */
  store?: Store;
  /** Slack surface timings and Web API retries (tests keep them short). */
  slack?: SlackTuning;
}

export const startApp = async (config: Config, opts: AppOptions = {}): Promise<App> => {
  const logger = opts.logger ?? createLogger(config.LOG_LEVEL);
  const metrics = createMetrics();
  const now = opts.now ?? (() => new Date());
  const cleanups: Array<() => Promise<void>> = [];
  const closeAll = async () => {
    for (const c of cleanups.reverse()) await c().catch((e: unknown) => logger.warn({ err: e }, 'error while closing'));
  };
  try {
    const store =
      opts.store ??
      (await openStore({
        databaseUrl: config.DATABASE_URL,
        dataDir: config.DATA_DIR,
        poolMax: config.DB_POOL_MAX,
        logger,
      }));
    if (!opts.store) cleanups.push(() => store.close());
    const { db } = store;

    let sandbox = opts.sandbox;
    if (!sandbox && config.sandbox) {
      sandbox = await startSandbox();
      const started = sandbox;
      cleanups.push(() => started.stop());
    }
    const inSandbox = Boolean(sandbox);
    const providers: CloudProvider[] = [
      new AwsProvider({
        regions: sandbox ? sandboxRegions : config.AWS_REGIONS,
        sandbox: inSandbox,
        metrics,
        now,
        ...(sandbox
          ? { endpoint: sandbox.url, credentials: { accessKeyId: 'AKIDSANDBOX', secretAccessKey: 'sandbox' } }
          : {}),
      }),
    ];
    cleanups.push(async () => providers.forEach((p) => p.close?.()));
    const providerByName = (name: string) => providers.find((p) => p.name === name);

    const surfaces = new Map<SurfaceName, ChatSurface>();
    const conversations = createConversationStore(db);
    const consoleSurface = createConsoleSurface({ conversations, people: CONSOLE_USERS });
    if (config.consoleEnabled) surfaces.set('console', consoleSurface);

    const notifier = createChangeNotifier({ db, surfaces, logger, sandbox: inSandbox });
    const scheduler = createScheduler({
      store,
      logger,
      metrics,
      embedded: store.embedded,
      ...(opts.lockLifetimeMs ? { lockLifetimeMs: opts.lockLifetimeMs } : {}),
    });
    cleanups.push(() => scheduler.stop());
    const changes = createChangeService({
      db,
      providers: providerByName,
      policy: config.policy,
      approvalTtlMs: config.APPROVAL_TTL,
      now,
      listener: {
        changed: async (c, event) => {
          // The inventory shows what a change did before anyone is told it is done: the target is
          // re-read at once (a full sync is queued when its provider cannot describe one resource).
          if (event === 'succeeded' || event === 'failed') {
            const provider = providerByName(c.plan.target.provider);
            const refreshed = provider ? await refreshResource(db, provider, c.plan.target, now(), { logger }) : false;
            if (!refreshed)
              void scheduler
                .now(inventorySyncJob)
                .catch((e: unknown) => logger.warn({ err: e }, 'could not queue an inventory sync'));
          }
          await notifier.changed(c, event);
        },
        progress: (c, step) => notifier.progress?.(c, step),
      },
      logger,
      metrics,
      executor: { id: newExecutorId(), leaseMs: config.EXECUTION_LEASE },
    });
    // An embedded database is this process's alone (data dir lock): whatever was running belonged
    // to a previous process. On a shared server only lapsed leases are recovered (the job below).
    await changes.recoverInterrupted({ all: store.embedded });

    if (config.consoleEnabled) await seedUsers(db, CONSOLE_USERS, now());

    const registry = new ToolRegistry(metrics).register(
      ...cloudTools({ db, provider: providerByName, sandbox: inSandbox }),
      ...changeTools({ db, changes, sandbox: inSandbox }),
      // grant looks up someone new in the granter's platform (ChatSurface.directory).
      ...userTools({ db, now, directory: (surface) => surfaces.get(surface)?.directory }),
    );
    const optionSources = new OptionSources().register(
      resourceOptions({ db, provider: providerByName, sandbox: inSandbox }),
    );
    const engine = createEngine({
      db,
      registry,
      optionSources,
      planner: rulePlanner,
      changes,
      bootstrapAdmins: config.BOOTSTRAP_ADMINS,
      defaultRole: config.DEFAULT_ROLE,
      logger,
      metrics,
      now,
      sandbox: inSandbox,
    });

    const slack = slackEnabled(config)
      ? await createSlack({
          config,
          stores: createSlackStores(db, config.TOKEN_ENCRYPTION_KEY),
          conversations,
          engine,
          logger,
          now,
          sandbox: inSandbox,
          ...(opts.slack ? { tuning: opts.slack } : {}),
        })
      : undefined;
    if (slack) {
      surfaces.set('slack', slack.surface);
      cleanups.push(() => slack.stop());
    }

    const syncNow = () => syncInventory(db, providers, now(), { logger });
    // The first answer should not wait for the first scheduled run.
    await syncNow();

    await registerInventoryJobs(scheduler, { db, providers, logger, now, intervalMs: config.INVENTORY_SYNC_INTERVAL });
    await registerChangeJobs(scheduler, {
      changes,
      intervalMs: config.EXPIRY_CHECK_INTERVAL,
      leaseMs: config.EXECUTION_LEASE,
    });
    if (opts.jobs !== false) await scheduler.start();

    const http = createHttpServer({
      config,
      logger,
      metrics,
      ready: () => store.ping(),
      ...(slack ? { routes: slack.routes } : {}),
      console: createConsoleApi({
        config,
        conversations,
        engine,
        surface: consoleSurface,
        listConsoleUsers: async () =>
          (await listUsers(db, 'console')).map((u) => ({ userId: u.userId, displayName: u.displayName, role: u.role })),
      }),
    });
    const { port } = await http.listen();
    cleanups.push(() => http.close());
    await slack?.start();
    const host = config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST;
    const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
    logger.info(
      { url, embedded: store.embedded, sandbox: inSandbox, console: config.consoleEnabled },
      'DevOps Agent is ready',
    );

    return {
      config,
      logger,
      metrics,
      store,
      engine,
      changes,
      providers,
      sandbox,
      scheduler,
      http,
      slack,
      url,
      syncNow,
      close: closeAll,
    };
  } catch (e) {
    await closeAll();
    throw e;
  }
};
