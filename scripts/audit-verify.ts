// `npm run audit:verify [-- --anchor <seq>:<hash>]`: walks the audit log's hash chain and names
// the first broken event. On success it prints the chain's head; kept outside the database and
// passed back as --anchor later, it also catches removal of the newest events.
// Exit 0 when intact, 1 when broken or the database cannot be opened, 2 on a bad argument.
import { parseArgs } from 'node:util';
import { formatAuditAnchor, parseAuditAnchor, verifyAudit, type AuditAnchor } from '../src/changes/audit.ts';
import { ConfigError, loadConfig } from '../src/config.ts';
import { createLogger } from '../src/observability/logger.ts';
import { openStore } from '../src/store/open.ts';

const usage = 'usage: npm run audit:verify [-- --anchor <seq>:<sha256 hex>]';

const main = async (anchor: AuditAnchor | undefined): Promise<number> => {
  const config = loadConfig(process.env);
  // Only warnings: the verdict is the one line this script prints.
  const logger = createLogger(config.LOG_LEVEL === 'silent' ? 'silent' : 'warn', process.stderr);
  const store = await openStore({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR, poolMax: 2, logger });
  try {
    const result = await verifyAudit(store.db, anchor ? { anchor } : {});
    if (result.ok) {
      const head = result.head ? `; head ${formatAuditAnchor(result.head)}` : '';
      console.log(`audit log OK (${result.count} events${anchor ? `, anchor #${anchor.seq} present` : ''}${head})`);
      return 0;
    }
    console.log(`audit log BROKEN at event #${result.seq}: ${result.reason}`);
    return 1;
  } finally {
    await store.close();
  }
};

const args = (): { anchor?: AuditAnchor } | string => {
  try {
    const { values } = parseArgs({ options: { anchor: { type: 'string' } }, strict: true });
    if (values.anchor === undefined) return {};
    const anchor = parseAuditAnchor(values.anchor);
    return anchor
      ? { anchor }
      : `--anchor must be <seq>:<64 hex characters> as printed by an earlier verify, got "${values.anchor}"`;
  } catch (err) {
    return (err as Error).message;
  }
};

const parsed = args();
if (typeof parsed === 'string') {
  console.error(`${parsed}\n${usage}`);
  process.exitCode = 2;
} else {
  try {
    process.exitCode = await main(parsed.anchor);
  } catch (err) {
    console.error(err instanceof ConfigError ? err.message : `audit:verify failed: ${(err as Error).message}`);
    process.exitCode = 1;
  }
}
