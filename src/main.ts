import { existsSync } from 'node:fs';
import { forkEmbeddedHost } from './store/embedded-host.ts';

/**
 * `npm start`: read .env (if present) and the environment, start everything, stop cleanly on
 * SIGINT/SIGTERM. Start-up failures print one readable line per problem (stderr) and exit 1.
 * stdout is JSON log lines only.
 */
const fail = (lines: string[]): never => {
  for (const l of lines) process.stderr.write(`devops-agent: ${l}\n`);
  process.exit(1);
};

if (existsSync('.env')) process.loadEnvFile('.env');

// Without DATABASE_URL the database is embedded PostgreSQL, in a process of its own: it boots while
// this process loads the config and the app's modules (~0.8 s together; BENCHMARKS.md, start
// time). With a bad config, exiting below ends it too (it stops when this process goes).
const host = process.env.DATABASE_URL ? undefined : forkEmbeddedHost();

const [
  { ConfigError, loadConfig, redactedConfig },
  { isAppError },
  { createLogger },
  { productionChecks },
  { embeddedMaxConnections, startEmbeddedPostgres },
] = await Promise.all([
  import('./config.ts'),
  import('./errors.ts'),
  import('./observability/logger.ts'),
  import('./production-checks.ts'),
  import('./store/embedded.ts'),
]);

let config;
try {
  config = loadConfig(process.env);
} catch (e) {
  if (e instanceof ConfigError) fail(e.problems.map((p) => `config ${p}`));
  throw e;
}

const production = productionChecks(config);
if (production.refusals.length) fail(production.refusals.map((f) => `production: ${f.message}`));

const logger = createLogger(config.LOG_LEVEL);
logger.info({ config: redactedConfig(config) }, 'starting');
for (const f of production.warnings) logger.warn({ productionCheck: f.code }, f.message);

// The database starts while the app's modules load below; startApp owns it from then on and
// reports its failure.
if (host && config.DATABASE_URL) host.kill();
const embedded =
  host && !config.DATABASE_URL
    ? startEmbeddedPostgres({
        dataDir: config.DATA_DIR,
        maxConnections: embeddedMaxConnections(config.DB_POOL_MAX),
        logger,
        host,
      })
    : undefined;
void embedded?.catch(() => undefined);

try {
  const { startApp } = await import('./app.ts');
  const app = await startApp(config, { logger, ...(embedded ? { embedded } : {}) });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    await app.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  // For people at a terminal. stdout carries only JSON log lines (log shippers parse each line),
  // so the banner goes to stderr; the 'DevOps Agent is ready' log line has the same URL.
  if (config.consoleEnabled)
    process.stderr.write(
      `\n  DevOps Agent is running: open ${app.url}/ in a browser${app.sandbox ? ' (sandbox cloud)' : ''}\n\n`,
    );
} catch (e) {
  fail([isAppError(e) ? e.userMessage : e instanceof Error ? e.message : String(e)]);
}
