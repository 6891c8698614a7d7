import { asc, eq } from '../store/orm.ts';
import type { PostedMessage } from '../chat/surface.ts';
import type { SurfaceName } from '../chat/actor.ts';
import type { Db } from '../store/db.ts';
import { changeCards } from './schema.ts';

/** Where each copy of a change card was posted, so every copy can be updated after a decision. */

export const recordCardCopy = async (db: Db, changeId: string, posted: PostedMessage): Promise<void> => {
  await db
    .insert(changeCards)
    .values({ changeId, surface: posted.surface, conversation: posted.conversation, messageId: posted.messageId });
};

export const listCardCopies = async (db: Db, changeId: string): Promise<PostedMessage[]> => {
  const rows = await db
    .select()
    .from(changeCards)
    .where(eq(changeCards.changeId, changeId))
    .orderBy(asc(changeCards.id));
  return rows.map((r) => ({ surface: r.surface as SurfaceName, conversation: r.conversation, messageId: r.messageId }));
};
