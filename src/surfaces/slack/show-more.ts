import { createHash } from 'node:crypto';
import type { Reply } from '../../chat/reply.ts';
import { canonicalJson } from '../../util/canonical-json.ts';
import type { SlackButton } from './block-kit.ts';
import { renderBlockKit, type RenderedPart } from './render.ts';

/**
 * "Show more" for any reply too big for one Slack message. The engine already stores every reply
 * it returns (`Reply.messageId`), so the button needs no engine command: its value names the
 * stored message, the unit the next part starts with, and a fingerprint of the reply's content.
 * A click loads the message, checks it is the same content and may be shown there (more.ts), and
 * posts the next part, which ends with its own Show more if it is cut again.
 *
 * The action id is Slack's own: the engine never sees these clicks.
 */
export const SHOW_MORE_ACTION = 'slack.more';

export interface MoreRef {
  /** Stored message id (`Reply.messageId`). */
  messageId: number;
  /** First unit of the next part (`RenderedPart.nextUnit`). */
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

export const showMoreButton = (value: string): SlackButton => ({
  type: 'button',
  text: { type: 'plain_text', text: 'Show more', emoji: true },
  action_id: SHOW_MORE_ACTION,
  value,
});

/**
 * Renders the part of `reply` starting at `fromUnit`, with a Show more button when it is cut and
 * the reply is a stored one. `original` is the reply as stored (forms not yet encoded into button
 * values), the one a later click will load and fingerprint.
 */
export const renderPart = (
  reply: Reply,
  fromUnit = 0,
  original: Pick<Reply, 'text' | 'blocks'> = reply,
): RenderedPart => {
  const id = reply.messageId !== undefined && /^\d+$/.test(reply.messageId) ? Number(reply.messageId) : undefined;
  if (id === undefined || !Number.isSafeInteger(id) || id < 1) return renderBlockKit(reply, { fromUnit });
  const fingerprint = replyFingerprint(original);
  return renderBlockKit(reply, {
    fromUnit,
    moreButton: (next) => showMoreButton(encodeMore({ messageId: id, fromUnit: next, fingerprint })),
  });
};
