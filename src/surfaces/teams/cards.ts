import { z } from 'zod';
import { mentionsAsText } from '../../chat/mention.ts';
import { plainText, type Reply } from '../../chat/reply.ts';

/**
 * The neutral `Reply` as a Teams message: Adaptive Card(s) plus the plain text for notifications,
 * and the mention entities Teams needs for each `<at>` in them. Buttons are Universal Actions
 * (`Action.Execute`, verb = the engine's action id); a click arrives as an `adaptiveCard/action`
 * invoke whose data `parseCardAction` reads.
 *
 * MINIMAL VERSION: text only, so the transport can be built against this contract; the full
 * renderer (every block, limits, Show more, forms, typeahead, charts, mentions) replaces it.
 */

export const ADAPTIVE_CARD = 'application/vnd.microsoft.card.adaptive';

export interface AdaptiveCardAttachment {
  contentType: typeof ADAPTIVE_CARD;
  content: Record<string, unknown>;
}

/** A Teams mention entity: `text` is the `<at>…</at>` string as it appears in the card or message. */
export interface TeamsMentionEntity {
  type: 'mention';
  text: string;
  mentioned: { id: string; name: string };
}

export interface TeamsMessage {
  /** Plain text: the notification and the fallback of clients that cannot draw the card. */
  text: string;
  attachments: AdaptiveCardAttachment[];
  entities: TeamsMentionEntity[];
}

export interface RenderOptions {
  /** Stored id of the reply (`Reply.messageId`), for a "Show more" that loads the rest. */
  messageId?: string;
}

export const renderReply = (reply: Reply, _opts: RenderOptions = {}): TeamsMessage => {
  const text = mentionsAsText(reply.text || plainText(reply.blocks));
  return {
    text,
    attachments: [
      {
        contentType: ADAPTIVE_CARD,
        content: {
          type: 'AdaptiveCard',
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          version: '1.5',
          body: [{ type: 'TextBlock', text, wrap: true }],
        },
      },
    ],
    entities: [],
  };
};

/**
 * The `data` we put on every Action.Execute: which engine action, its opaque value; the card's
 * input values arrive beside them in the invoke's `action.data`.
 */
export const CardActionData = z.object({ value: z.string().max(2000) }).passthrough();

export interface CardAction {
  actionId: string;
  value: string;
  /** Values of the card's inputs (a form: Reject's reason, a resize's size). */
  inputs: Record<string, string>;
}

/** Reads an `adaptiveCard/action` invoke value: `{ action: { type: 'Action.Execute', verb, data } }`. */
export const parseCardAction = (invokeValue: unknown): CardAction | null => {
  const parsed = z
    .object({
      action: z.object({ type: z.literal('Action.Execute'), verb: z.string().min(1).max(100), data: CardActionData }),
    })
    .safeParse(invokeValue);
  if (!parsed.success) return null;
  const { verb, data } = parsed.data.action;
  const inputs: Record<string, string> = {};
  for (const [k, v] of Object.entries(data)) if (k !== 'value' && typeof v === 'string') inputs[k] = v;
  return { actionId: verb, value: data.value, inputs };
};
