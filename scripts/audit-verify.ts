// `npm run audit:verify`: walks the audit log's hash chain and names the first broken event.
// Exit 0 when intact, 1 when broken or the database cannot be opened.
import { verifyAudit } from '../src/changes/audit.ts';
import { ConfigError, loadConfig } from '../src/config.ts';
import { createLogger } from '../src/observability/logger.ts';
import { openStore } from '../src/store/open.ts';

const main = async (): Promise<number> => {
  const config = loadConfig(process.env);
  // Only warnings: the verdict is the one line this script prints.
  const logger = createLogger(config.LOG_LEVEL === 'silent' ? 'silent' : 'warn', process.stderr);
  const store = await openStore({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR, poolMax: 2, logger });
  try {
    const result = await verifyAudit(store.db);
    if (result.ok) {
      console.log(`audit log OK (${result.count} events)`);
      return 0;
    }
    console.log(`audit log BROKEN at event #${result.seq}: ${result.reason}`);
    return 1;
  } finally {
    await store.close();
  }
};

try {
  process.exitCode = await main();
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : `audit:verify failed: ${(err as Error).message}`);
  process.exitCode = 1;
}
