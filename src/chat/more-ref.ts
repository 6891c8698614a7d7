import { createHash } from 'node:crypto';
import { canonicalJson } from '../util/canonical-json.ts';
import type { Reply } from './reply.ts';

/**
 * What a "Show more" button carries on every surface: the stored message (`Reply.messageId`), the
 * unit the next part starts with, and a fingerprint of the reply's content. A click loads the
 * message and checks it is the same content before it shows the next part. Each surface has its
 * own button (Slack action, Teams verb) around this value.
 */
export interface MoreRef {
  /** Stored message id (`Reply.messageId`). */
  messageId: number;
  /** First unit of the next part. */
  fromUnit: number;
  /** `replyFingerprint` of the reply the button was rendered from. */
  fingerprint: string;
}

const VALUE = /^v1\.([1-9]\d{0,14})\.([1-9]\d{0,5})\.([0-9a-f]{12})$/;

/** Identifies the content a part was cut from, as stored (jsonb reorders keys; canonical JSON does not care). */
export const replyFingerprint = (reply: Pick<Reply, 'text' | 'blocks'>): string =>
  createHash('sha256')
    .update(canonicalJson({ text: reply.text, blocks: reply.blocks }))
    .digest('hex')
    .slice(0, 12);

export const encodeMore = (m: MoreRef): string => `v1.${m.messageId}.${m.fromUnit}.${m.fingerprint}`;

/** The reference a button value carries, or null when it is not one we made. */
export const parseMore = (value: string): MoreRef | null => {
  const m = VALUE.exec(value);
  if (!m) return null;
  const messageId = Number(m[1]);
  if (!Number.isSafeInteger(messageId)) return null;
  return { messageId, fromUnit: Number(m[2]), fingerprint: m[3]! };
};

/** What a click on a Show more button that cannot be continued is told, on every surface. */
export const MORE_TEXT = {
  unreadable:
    'That “Show more” button is not one I can read (it may come from an older version of me). Ask me again for a fresh answer.',
  notHere:
    'I can only show more of a message in the conversation where I posted it, to the people who could see it. Ask me again here for a fresh answer.',
  changed: 'That message has changed since it was posted, so I cannot continue it. Ask me again for a fresh answer.',
  nothing: 'There is nothing more to show for that message.',
} as const;
