import type { Reply } from '../../chat/reply.ts';
import { encodeMore, replyFingerprint } from '../../chat/more-ref.ts';
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

export { encodeMore, parseMore, replyFingerprint, type MoreRef } from '../../chat/more-ref.ts';

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
