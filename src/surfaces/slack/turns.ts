import { textReply, type Reply } from '../../chat/reply.ts';
import type { ConversationEngine } from '../../engine/engine.ts';
import type { Logger } from '../../observability/logger.ts';
import type { Delivery, Respond } from './deliver.ts';
import type { Identity } from './identity.ts';
import type { WebClient } from './web.ts';

/**
 * One thing someone said to the bot (mention, DM, thread follow-up, slash command) → engine turn →
 * replies in Slack. Runs after the ack. A turn still thinking after `workingAfterMs` gets a
 * "working…" message in its thread, replaced by the answer when it comes.
 */
export interface TurnInput {
  client: WebClient;
  teamId: string;
  channel: string;
  threadTs?: string;
  userId: string;
  /** The user's name from the payload, used if users.info fails. */
  userHint?: string;
  text: string;
  /** Slack event_id: the engine records it, so retries and duplicate deliveries run once. */
  eventId?: string;
  respond?: Respond;
  /** Every reply to the asker only (help for an empty slash command). */
  privately?: boolean;
}

export const MAX_TEXT = 40_000;

export interface TurnDeps {
  engine: ConversationEngine;
  delivery: Delivery;
  identity: Identity;
  logger: Logger;
  /** ≤ 0: always post the working message first; otherwise only for turns slower than this. */
  workingAfterMs: number;
}

export const runTurn = async (d: TurnDeps, t: TurnInput): Promise<void> => {
  const actor = await d.identity.actor(t.client, t.teamId, t.userId, t.userHint);
  const target = {
    client: t.client,
    teamId: t.teamId,
    channel: t.channel,
    userId: t.userId,
    ...(t.threadTs ? { threadTs: t.threadTs } : {}),
    ...(t.respond ? { respond: t.respond } : {}),
  };
  if (t.text.length > MAX_TEXT) {
    const size = t.text.length.toLocaleString('en-US');
    await d.delivery.deliver(target, [textReply(`That message is ${size} characters long; I read at most ${MAX_TEXT.toLocaleString('en-US')}. Please send a shorter question.`, { ephemeral: true })]);
    return;
  }
  // Slash commands answer through their response_url: a public placeholder would only add noise.
  const mayShowWorking = !t.respond;
  const working = mayShowWorking && d.workingAfterMs <= 0 ? await d.delivery.working(target) : undefined;
  const turn = d.engine
    .handleTurn({ actor, conversation: d.delivery.conversation(t.teamId, t.channel, t.threadTs), text: t.text, ...(t.eventId ? { eventId: t.eventId } : {}) })
    .catch((e: unknown): Reply[] => {
      d.logger.warn({ err: e }, 'the engine refused a Slack turn');
      return [textReply('I could not read that message. Nothing was changed.', { ephemeral: true })];
    });
  let placeholder = working;
  if (!placeholder && mayShowWorking) {
    let timer: NodeJS.Timeout | undefined;
    const slow = new Promise<'slow'>((resolve) => (timer = setTimeout(() => resolve('slow'), d.workingAfterMs)));
    const first = await Promise.race([turn.then(() => 'done' as const), slow]);
    clearTimeout(timer);
    if (first === 'slow') placeholder = await d.delivery.working(target);
  }
  const replies = t.privately ? (await turn).map((r) => ({ ...r, ephemeral: true })) : await turn;
  await d.delivery.deliver(placeholder ? { ...target, working: placeholder } : target, replies);
};
