import { existsSync } from 'node:fs';
import v8 from 'node:v8';
import { ConfigError, loadConfig, redactedConfig } from './config.ts';
import { isAppError } from './errors.ts';
import { createLogger } from './observability/logger.ts';

/**
 * `npm start`: read .env (if present) and the environment, start everything, stop cleanly on
 * SIGINT/SIGTERM. Start-up failures print one readable line per problem and exit 1.
 */
const fail = (lines: string[]): never => {
  for (const l of lines) process.stderr.write(`devops-agent: ${l}\n`);
  process.exit(1);
};

if (existsSync('.env')) process.loadEnvFile('.env');

/**
 * Loading the app's modules makes much short-lived garbage (Node re-reads drizzle-orm's 180 KB
 * package.json for each of its ~100 modules). V8 answers by growing the young generation to its
 * maximum, and an idle process never gives that memory back: about 120 MB of idle RSS for nothing.
 * Hold the young generation at its starting size while the app loads and starts, then let it adapt
 * to the real load again (BENCHMARKS.md: idle RSS). V8's default growth factor is 2.
 */
const youngGeneration = (factor: number) => v8.setFlagsFromString(`--semi-space-growth-factor=${factor}`);
youngGeneration(1);
const { startApp } = await import('./app.ts');

let config;
try {
  config = loadConfig(process.env);
} catch (e) {
  if (e instanceof ConfigError) fail(e.problems.map((p) => `config ${p}`));
  throw e;
}

const logger = createLogger(config.LOG_LEVEL);
logger.info({ config: redactedConfig(config) }, 'starting');

try {
  const app = await startApp(config, { logger });
  youngGeneration(2);
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
