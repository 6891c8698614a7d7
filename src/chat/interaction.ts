import { z } from 'zod';
import { Actor, ConversationRef } from './actor.ts';
import { OptionsSource } from './reply.ts';
import { chatText } from './text.ts';

/** The longest message the engine reads; a longer one gets a polite refusal (after de-duplication). */
export const MAX_TURN_TEXT = 40_000;

/**
 * Everything people type reaches the engine through these schemas, whichever the surface: their
 * text is normalised here (chatText: no NUL, no lone surrogates) so that it can be stored.
 */

/** A user turn: someone said something to the bot. */
export const Turn = z.object({
  actor: Actor,
  conversation: ConversationRef,
  /** Bounded only against abuse: over MAX_TURN_TEXT the engine answers, rather than the surface failing. */
  text: chatText(z.string().max(1_000_000)),
  /** Surface event id, for de-duplication of redeliveries. */
  eventId: z.string().optional(),
});
export type Turn = z.infer<typeof Turn>;

/** A button click (or a modal submission) routed back from a rendered Reply. */
export const Interaction = z.object({
  actor: Actor,
  conversation: ConversationRef,
  actionId: z.string().min(1).max(100),
  value: chatText(z.string().max(2000)),
  /** Extra input collected by a form/modal, e.g. `{ reason: '…' }` or `{ size: 't3.large' }`. */
  inputs: z.record(z.string(), chatText()).optional(),
});
export type Interaction = z.infer<typeof Interaction>;

/** Someone is typing into a `search` form field: which options match `query` so far. */
export const OptionsQuery = z.object({
  actor: Actor,
  conversation: ConversationRef,
  source: OptionsSource,
  /** What they typed; empty for the first look. */
  query: chatText(z.string().max(200)),
});
export type OptionsQuery = z.infer<typeof OptionsQuery>;

/** Action ids the engine understands; surfaces route these back unchanged. */
export const ActionIds = {
  approve: 'change.approve',
  reject: 'change.reject',
  /** Run the tool call JSON-encoded in `value` (`{"tool":…,"input":…}`), e.g. a "Show more" button; roles still apply. */
  command: 'command.run',
} as const;
