import { existsSync } from 'node:fs';
import { ConfigError, loadConfig, redactedConfig } from './config.ts';
import { isAppError } from './errors.ts';
import { createLogger } from './observability/logger.ts';
import { productionChecks } from './production-checks.ts';

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

const { startApp } = await import('./app.ts');

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

try {
  const app = await startApp(config, { logger });
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
