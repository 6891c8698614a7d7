import type { Db } from '../../../store/db.ts';
import { createConversationReferences, type ConversationReferences } from './conversations.ts';

/**
 * The Teams adapter's own persistence (its tables in ./schema.ts), handed to the surface by the
 * composition root: the rest of the surface never holds the database (docs/architecture.md#layers).
 */
export interface TeamsStores {
  /** Conversation references, for posting from jobs and after restarts. */
  readonly references: ConversationReferences;
}

export const createTeamsStores = (db: Db): TeamsStores => ({ references: createConversationReferences(db) });
