import type { Db } from '../store/db.ts';
import type { CloudProvider } from './provider.ts';

/** The inventory's engine tools: read tools answer from the synced store; change tools return plans. */
export interface CloudToolDeps {
  db: Db;
  provider: (name: string) => CloudProvider | undefined;
  /** Every configured provider (pickers that search across clouds). */
  providers?: () => CloudProvider[];
  /** True when answers come from the local sandbox emulator. */
  sandbox: boolean;
}
