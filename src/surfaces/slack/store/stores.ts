import { AppError } from '../../../errors.ts';
import type { Logger } from '../../../observability/logger.ts';
import type { Db } from '../../../store/db.ts';
import { createSecretBox } from '../../../store/secret-box.ts';
import { createFormStore, type FormStore } from './forms.ts';
import { createInstallationStore, type SlackInstallationStore } from './installation-store.ts';

/**
 * The Slack adapter's own persistence (its tables in ./schema.ts), handed to the surface by the
 * composition root: the rest of the surface never holds the database (docs/architecture.md#layers).
 */
export interface SlackStores {
  /** Form state behind buttons (Slack's 2,000-character button values cannot hold a form). */
  readonly forms: FormStore;
  /** OAuth installations, sealed with TOKEN_ENCRYPTION_KEY; throws without a key. */
  installations(logger: Logger): SlackInstallationStore;
}

export const createSlackStores = (db: Db, tokenEncryptionKey: string | undefined): SlackStores => ({
  forms: createFormStore(db),
  installations: (logger) => {
    if (!tokenEncryptionKey)
      throw new AppError('config_invalid', 'TOKEN_ENCRYPTION_KEY is not set: Slack installations cannot be sealed');
    return createInstallationStore(db, { box: createSecretBox(tokenEncryptionKey), logger });
  },
});
