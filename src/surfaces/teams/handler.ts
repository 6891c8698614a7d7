import type { Activity, ConversationReference } from '@microsoft/agents-activity';
import { z } from 'zod';
import type { TurnContext } from '@microsoft/agents-hosting';
import type { Actor, ConversationRef } from '../../chat/actor.ts';
import { withProgress } from '../../chat/progress.ts';
import { OptionsSource, plainText, Reply, textReply } from '../../chat/reply.ts';
import type { ConversationEngine, ConversationStore } from '../../engine/engine.ts';
import type { Logger } from '../../observability/logger.ts';
import {
  actorOf,
  conversationOf,
  conversationType,
  InboundActivity,
  mentionsBot,
  mentionsOf,
  splitConversationId,
  tenantOf,
  textWithoutBotMention,
} from './activity.ts';
import type { BackgroundWork } from './background.ts';
import { teamKey } from './connector.ts';
import { parseCardAction, renderReply, type CardAction, type TeamsMessage } from './cards.ts';
import type { Delivery } from './deliver.ts';
import type { MentionBook } from './identity.ts';
import { handleMoreClick, moreRefusal } from './more.ts';
import type { ConversationReferences } from './store/conversations.ts';

/**
 * The bot's logic for each activity the SDK accepted (token checked, shape checked): it answers
 * Teams fast and queues the engine work (background.ts).
 * - `message`: personal chat always; group chats and channels only when the bot is @mentioned
 *   (its mention stripped) → engine turn, with the activity id as the event id (a redelivery runs
 *   once). A typing indicator at once and every `typingEveryMs` until the answer is out; a
 *   "working…" message after `workingAfterMs` or at the first progress step, updated with each
 *   step and replaced by the answer. `home` shows the home view.
 * - `invoke` `adaptiveCard/action` (Universal Actions `Action.Execute`): a card button → engine
 *   interaction; answered within `invokeBudgetMs` with a message only the clicker sees (the
 *   invoke response), public replies posted in the conversation; slower work answers "working"
 *   and posts when done.
 * - `invoke` `application/search`: a typeahead field's options (`engine.options`).
 * - `conversationUpdate`: the bot added to a personal chat → the welcome card (home view); the
 *   bot removed → the conversation is marked removed. `installationUpdate` remove: the same.
 * Every other invoke name → 400 with a log line; other activity types are acknowledged and ignored.
 */
export const SHOW_MORE_VERB = 'teams.more';

/** A typeahead's question: what was typed, and the neutral options source the card named. */
const SearchValue = z.looseObject({
  queryText: z.string().max(200).default(''),
  dataset: OptionsSource,
});

const MESSAGE_RESPONSE = 'application/vnd.microsoft.activity.message';
/** A Universal Actions answer that replaces the clicked card for the clicker only. */
const CARD_RESPONSE = 'application/vnd.microsoft.card.adaptive';

export interface HandlerDeps {
  engine: ConversationEngine;
  conversations: ConversationStore;
  references: ConversationReferences;
  delivery: Delivery;
  mentions: MentionBook;
  work: BackgroundWork;
  logger: Logger;
  now: () => Date;
  /** Tenants allowed to talk to the bot; empty = any. */
  allowedTenants: readonly string[];
  /** The workspace of activities without a tenant (the emulator, anonymous mode only). */
  fallbackTenant: string | undefined;
  workingAfterMs: number;
  invokeBudgetMs: number;
  /** The typing indicator is sent again this often until the answer is out (Teams shows it ~3 s); ≤ 0: once. */
  typingEveryMs: number;
}

const invokeResponse = async (ctx: TurnContext, status: number, body: unknown): Promise<void> => {
  await ctx.sendActivity({ type: 'invokeResponse', value: { status, body } } as unknown as Activity);
};
/** A Universal Actions answer: a message shown to the clicker only. */
const privateMessage = (ctx: TurnContext, text: string) =>
  invokeResponse(ctx, 200, { statusCode: 200, type: MESSAGE_RESPONSE, value: text });

const repliesText = (replies: Reply[]): string =>
  replies
    .map((r) => r.text || plainText(r.blocks))
    .filter(Boolean)
    .join('\n\n');

export const createHandler = (d: HandlerDeps) => {
  const log = d.logger.child({ component: 'teams-handler' });

  /** The turn itself, queued after the ack. */
  const runTurn = async (actor: Actor, ref: ConversationRef, text: string, eventId: string): Promise<void> => {
    void d.delivery.typing(ref);
    let stopped = false;
    const typing =
      d.typingEveryMs > 0
        ? setInterval(() => {
            if (!stopped) void d.delivery.typing(ref);
          }, d.typingEveryMs)
        : undefined;
    let working: Promise<string | undefined> | undefined;
    let updating: Promise<void> = Promise.resolve();
    const postWorking = (): void => {
      working ??= d.delivery.working(ref);
    };
    const timer = d.workingAfterMs <= 0 ? (postWorking(), undefined) : setTimeout(postWorking, d.workingAfterMs);
    const progress = (step: string): void => {
      if (stopped) return;
      postWorking();
      // One update at a time, in order: each step replaces the last.
      updating = updating.then(async () => {
        const id = await working;
        if (id && !stopped)
          await d.delivery
            .showStep(ref, id, step)
            .catch((e: unknown) => log.warn({ err: e }, 'could not show progress in the working message'));
      });
    };
    try {
      const replies =
        text.trim().toLowerCase() === 'home'
          ? [await d.engine.home(actor)]
          : await withProgress(progress, () => d.engine.handleTurn({ actor, conversation: ref, text, eventId })).catch(
              (e: unknown): Reply[] => {
                log.warn({ err: e }, 'the engine refused a Teams turn');
                return [textReply('I could not read that message. Nothing was changed.')];
              },
            );
      stopped = true;
      clearTimeout(timer);
      clearInterval(typing);
      await updating;
      await d.delivery.deliver(ref, replies, await working);
    } finally {
      stopped = true;
      clearTimeout(timer);
      clearInterval(typing);
    }
  };

  /**
   * A message for the bot is acknowledged without writing its conversation reference: that write
   * is the first step of the queued turn (the turn's answer is posted through it), so the ack does
   * no database work and waits for no one's. If it fails, the turn does not run, as when the write
   * preceded the ack.
   */
  const onMessage = async (
    a: InboundActivity,
    actor: Actor,
    ref: ConversationRef,
    saveReference: () => Promise<void>,
  ): Promise<void> => {
    const type = conversationType(a);
    if (type !== 'personal' && !mentionsBot(a)) return saveReference();
    const text = textWithoutBotMention(a);
    d.mentions.remember(actor.workspaceId, a, mentionsOf(a));
    const eventId = `teams:${splitConversationId(a.conversation.id).channelId}:${a.id ?? ''}`;
    d.work.run(async () => {
      try {
        await saveReference();
      } catch (e) {
        return log.error({ err: e }, 'could not store the conversation of a Teams message: it is not answered');
      }
      await runTurn(actor, ref, text, eventId).catch((e: unknown) => log.error({ err: e }, 'a Teams turn failed'));
    });
  };

  /** Posts what an interaction answered publicly; ephemeral ones too when the clicker was already answered. */
  const deliverLater = (ref: ConversationRef, replies: Reply[]): void =>
    d.work.run(() =>
      d.delivery.deliver(ref, replies).catch((e: unknown) => log.error({ err: e }, 'could not deliver to Teams')),
    );

  const showMore = async (ctx: TurnContext, actor: Actor, ref: ConversationRef, value: string): Promise<void> => {
    let message: TeamsMessage;
    try {
      message = await handleMoreClick({ conversations: d.conversations, actor, conversation: ref, value });
    } catch (e) {
      log.warn({ err: e }, 'a Show more click could not be answered');
      return privateMessage(ctx, 'Show more is not available for this message. Ask me again for a fresh answer.');
    }
    await privateMessage(ctx, 'Here is the rest.');
    d.work.run(() =>
      d.delivery
        .postMessage(ref, message)
        .then(() => undefined)
        .catch((e: unknown) => log.error({ err: e }, 'could not post the rest of a reply')),
    );
  };

  /**
   * The card whose form was submitted, again, with the engine's field errors on its fields and
   * what was typed kept: the stored reply the submit named, if the clicker may see it here.
   */
  const formAgain = async (
    action: CardAction,
    actor: Actor,
    ref: ConversationRef,
    fieldErrors: Record<string, string>,
  ): Promise<Record<string, unknown> | undefined> => {
    if (action.cardMessageId === undefined) return undefined;
    try {
      const stored = await d.conversations.message(action.cardMessageId);
      if (!stored || moreRefusal(stored, { actor, conversation: ref }) !== null) return undefined;
      const original = Reply.safeParse(stored.reply);
      if (!original.success) return undefined;
      const card = renderReply(
        { ...original.data, messageId: String(stored.id), fieldErrors },
        { values: action.inputs },
      ).attachments[0]?.content;
      return card;
    } catch (e) {
      log.warn({ err: e }, 'could not show a form again with its errors');
      return undefined;
    }
  };

  const onCardAction = async (ctx: TurnContext, a: InboundActivity, actor: Actor, ref: ConversationRef) => {
    const action = parseCardAction(a.value);
    if (!action) {
      log.warn({ activityId: a.id }, 'a card action with data we do not read');
      return privateMessage(ctx, 'That button sent something I could not read. Nothing was changed.');
    }
    // Teams redelivers an invoke it got no answer to: the click runs once.
    if (a.id && !(await d.conversations.markProcessed(`teams:invoke:${a.id}`).catch(() => true)))
      return privateMessage(ctx, 'Already done.');
    if (action.actionId === SHOW_MORE_VERB) return showMore(ctx, actor, ref, action.value);
    const work = d.engine
      .handleInteraction({
        actor,
        conversation: ref,
        actionId: action.actionId,
        value: action.value,
        ...(Object.keys(action.inputs).length > 0 ? { inputs: action.inputs } : {}),
      })
      .catch((e: unknown): Reply[] => {
        log.warn({ err: e, actionId: action.actionId }, 'the engine refused a Teams card action');
        return [textReply('That button sent something I could not read. Nothing was changed.', { ephemeral: true })];
      });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), d.invokeBudgetMs)));
    const early = await Promise.race([work, late]);
    clearTimeout(timer);
    if (!early) {
      // Too slow for the invoke: say so now, post everything when done.
      d.work.run(async () => deliverLater(ref, await work));
      return privateMessage(ctx, '⏳ Working on it… the answer will appear in this conversation.');
    }
    const invalid = early.find((r) => r.fieldErrors && Object.keys(r.fieldErrors).length > 0);
    const again = invalid?.fieldErrors ? await formAgain(action, actor, ref, invalid.fieldErrors) : undefined;
    if (again) {
      // The clicker sees the card again with the messages on its fields; anything else is posted.
      const rest = early.filter((r) => r !== invalid);
      if (rest.length > 0) deliverLater(ref, rest);
      return invokeResponse(ctx, 200, { statusCode: 200, type: CARD_RESPONSE, value: again });
    }
    const privately = early.filter((r) => r.ephemeral);
    const publicly = early.filter((r) => !r.ephemeral);
    if (publicly.length > 0) deliverLater(ref, publicly);
    return privateMessage(ctx, repliesText(privately) || '✓ Done.');
  };

  const onSearch = async (ctx: TurnContext, a: InboundActivity, actor: Actor, ref: ConversationRef) => {
    const parsed = SearchValue.safeParse(a.value);
    const q = parsed.success ? parsed.data : null;
    if (!q) {
      log.warn({ activityId: a.id }, 'an application/search invoke without a dataset we know');
      return invokeResponse(ctx, 400, { error: 'application/search needs value.queryText and value.dataset' });
    }
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), d.invokeBudgetMs)));
    const choices =
      (await Promise.race([
        d.engine.options({ actor, conversation: ref, source: q.dataset, query: q.queryText }).catch((e: unknown) => {
          log.warn({ err: e, source: q.dataset }, 'could not list the options of a search field');
          return [];
        }),
        late,
      ])) ?? [];
    clearTimeout(timer);
    return invokeResponse(ctx, 200, {
      type: 'application/vnd.microsoft.search.searchResponse',
      value: { results: choices.map((c) => ({ title: c.label, value: c.value })) },
    });
  };

  const onConversationUpdate = (a: InboundActivity, actor: Actor | undefined, ref: ConversationRef): Promise<void> => {
    const bot = a.recipient?.id;
    if (bot && a.membersRemoved?.some((m) => m.id === bot))
      return d.references.markRemoved(ref.channelId, 'the bot was removed from the conversation', d.now());
    if (bot && actor && conversationType(a) === 'personal' && a.membersAdded?.some((m) => m.id === bot))
      d.work.run(async () => {
        try {
          await d.delivery.post({ ...ref, threadId: undefined } as ConversationRef, await d.engine.home(actor));
        } catch (e) {
          log.warn({ err: e }, 'could not post the welcome card');
        }
      });
    return Promise.resolve();
  };

  /** Writes the conversation's reference (from its latest activity), for posts outside a turn. */
  const referenceSaver = (
    ctx: TurnContext,
    a: InboundActivity,
    ref: ConversationRef,
    tenantId: string,
  ): (() => Promise<void>) => {
    // Without the activity id: a later post is a new message, not a reply to this one.
    const { activityId: _activity, ...reference } = ctx.activity.getConversationReference() as ConversationReference;
    const row = {
      conversationId: ref.channelId,
      tenantId,
      conversationType: conversationType(a),
      serviceUrl: a.serviceUrl,
      reference: {
        ...reference,
        conversation: { ...reference.conversation, id: ref.channelId },
        // A channel's team, for Microsoft Graph (files.ts); not part of the SDK's reference.
        ...(a.channelData?.team?.id ? { [teamKey]: a.channelData.team } : {}),
      } as unknown as Record<string, unknown>,
    };
    const at = d.now();
    return () => d.references.save(row, at);
  };

  /** The SDK's turn handler. */
  return async (ctx: TurnContext): Promise<void> => {
    const parsed = InboundActivity.safeParse(ctx.activity);
    if (!parsed.success) {
      // The route checked the body already; this is the SDK's normalised copy.
      log.warn({ issues: parsed.error.issues }, 'ignored a Teams activity of a shape we do not read');
      if (ctx.activity.type === 'invoke') await invokeResponse(ctx, 400, { error: 'malformed activity' });
      return;
    }
    const a = parsed.data;
    const tenantId = tenantOf(a) ?? d.fallbackTenant;
    if (!tenantId || (d.allowedTenants.length > 0 && !d.allowedTenants.includes(tenantId))) {
      log.warn({ tenantId: tenantId ?? null, type: a.type }, 'an activity from a tenant not in TEAMS_ALLOWED_TENANTS');
      if (a.type === 'invoke') await invokeResponse(ctx, 403, { error: 'this tenant may not use the bot' });
      return;
    }
    const ref = conversationOf(a, tenantId);
    const actor = actorOf(a, tenantId);
    // Read now (the turn context is gone once the SDK has the ack); written now, or by the queued turn.
    const saveReference =
      a.type === 'message' || a.type === 'invoke' || a.type === 'conversationUpdate'
        ? referenceSaver(ctx, a, ref, tenantId)
        : () => Promise.resolve();
    if (a.type === 'invoke' || a.type === 'conversationUpdate' || (a.type === 'message' && !actor))
      await saveReference();
    switch (a.type) {
      case 'message':
        if (!actor) return void log.warn('a Teams message without a sender');
        return onMessage(a, actor, ref, saveReference);
      case 'invoke':
        if (!actor) return invokeResponse(ctx, 400, { error: 'an invoke without a sender' });
        if (a.name === 'adaptiveCard/action') return onCardAction(ctx, a, actor, ref);
        if (a.name === 'application/search') return onSearch(ctx, a, actor, ref);
        log.warn({ name: a.name ?? null }, 'an invoke this bot does not handle');
        return invokeResponse(ctx, 400, { error: `unknown invoke name: ${a.name ?? '(none)'}` });
      case 'conversationUpdate':
        return onConversationUpdate(a, actor, ref);
      case 'installationUpdate':
        if (a.action === 'remove' || a.action === 'remove-upgrade')
          return d.references.markRemoved(ref.channelId, 'the app was uninstalled', d.now());
        return;
      default:
        return;
    }
  };
};
