// `npm run db:migrate`: applies pending migrations (opening the store migrates) and exits.
// Useful before rolling out several replicas, or to create the embedded data dir ahead of time.
import { loadConfig, ConfigError } from '../src/config.ts';
import { isAppError } from '../src/errors.ts';
import { createLogger } from '../src/observability/logger.ts';
import { describeTarget } from '../src/store/pool.ts';
import { openStore } from '../src/store/open.ts';

try {
  const config = loadConfig(process.env);
  // Only warnings and errors: the one line below is the script's output.
  const logger = createLogger(config.LOG_LEVEL === 'silent' ? 'silent' : 'warn', process.stderr);
  const store = await openStore({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR, poolMax: 1, logger });
  await store.close();
  const where = config.DATABASE_URL ? describeTarget(config.DATABASE_URL) : `embedded PostgreSQL in ${config.DATA_DIR}`;
  console.log(`database migrated: ${where}`);
} catch (err) {
  if (err instanceof ConfigError) console.error(err.message);
  else if (isAppError(err)) console.error(err.userMessage);
  else console.error(`db:migrate failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}
