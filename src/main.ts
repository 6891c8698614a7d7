import { existsSync } from 'node:fs';
import { startApp } from './app.ts';
import { ConfigError, loadConfig, redactedConfig } from './config.ts';
import { isAppError } from './errors.ts';
import { createLogger } from './observability/logger.ts';
import { productionChecks } from './production-checks.ts';

/**
 * `npm start`: read .env (if present) and the environment, start everything, stop cleanly on
 * SIGINT/SIGTERM. Start-up failures print one readable line per problem and exit 1.
 */
const fail = (lines: string[]): never => {
  for (const l of lines) process.stderr.write(`devops-agent: ${l}\n`);
  process.exit(1);
};

if (existsSync('.env')) process.loadEnvFile('.env');

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
  if (config.consoleEnabled)
    process.stdout.write(
      `\n  DevOps Agent is running: open ${app.url}/ in a browser${app.sandbox ? ' (sandbox cloud)' : ''}\n\n`,
    );
} catch (e) {
  fail([isAppError(e) ? e.userMessage : e instanceof Error ? e.message : String(e)]);
}
