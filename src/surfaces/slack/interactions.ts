import type { App } from '@slack/bolt';
import { z } from 'zod';
import type { Actor } from '../../chat/actor.ts';
import { textReply, type Reply } from '../../chat/reply.ts';
import type { ConversationEngine } from '../../engine/engine.ts';
import type { Logger } from '../../observability/logger.ts';
import { neutralActionId } from './action-ids.ts';
import type { BackgroundWork } from './background.ts';
import type { Delivery, Target } from './deliver.ts';
import type { FormStore } from './store/forms.ts';
import type { Identity } from './identity.ts';
import type { ShowMore } from './more.ts';
import {
  FORM_CALLBACK_ID,
  formInputs,
  modalView,
  parseModalContext,
  responseErrors,
  sourceOfActionId,
  type ModalContext,
} from './modal.ts';
import { toPlain, truncate } from './mrkdwn.ts';
import type { HomePublisher } from './publish-home.ts';
import { SHOW_MORE_ACTION } from './show-more.ts';
import { slackError, type WebClient } from './web.ts';

/**
 * Button clicks (block_actions), modal submissions (view_submission) and the options of search
 * menus in modals (block_suggestion). A click acks at once; a
 * button with a form opens its modal (the trigger_id lives 3 s), "Show more" continues a stored
 * reply (more.ts), any other goes to the engine and its replies are delivered where the click
 * happened. A submission waits up to `submitBudgetMs` for the engine, so invalid inputs come back
 * as `response_action: errors` on their fields.
 */
export interface InteractionDeps {
  engine: ConversationEngine;
  delivery: Delivery;
  identity: Identity;
  forms: FormStore;
  home: HomePublisher;
  work: BackgroundWork;
  more: ShowMore;
  logger: Logger;
  submitBudgetMs?: number;
}

const Click = z.looseObject({
  user: z.looseObject({
    id: z.string().min(1),
    username: z.string().optional(),
    name: z.string().optional(),
    team_id: z.string().optional(),
  }),
  team: z.looseObject({ id: z.string() }).nullish(),
  trigger_id: z.string().optional(),
  container: z
    .looseObject({
      type: z.string(),
      channel_id: z.string().optional(),
      message_ts: z.string().optional(),
      thread_ts: z.string().optional(),
      is_ephemeral: z.boolean().optional(),
    })
    .optional(),
  channel: z.looseObject({ id: z.string() }).nullish(),
  message: z.looseObject({ ts: z.string().optional(), thread_ts: z.string().optional() }).nullish(),
  actions: z
    .array(
      z.looseObject({
        action_id: z.string().min(1).max(255),
        value: z.string().max(2100).optional(),
        selected_option: z.looseObject({ value: z.string() }).nullish(),
      }),
    )
    .min(1),
});

const Submission = z.looseObject({
  user: z.looseObject({
    id: z.string().min(1),
    username: z.string().optional(),
    name: z.string().optional(),
    team_id: z.string().optional(),
  }),
  team: z.looseObject({ id: z.string() }).nullish(),
  view: z.looseObject({
    private_metadata: z.string().optional(),
    state: z.looseObject({ values: z.unknown() }).optional(),
    blocks: z.array(z.looseObject({ block_id: z.string().optional() })).optional(),
  }),
});

const Suggestion = z.looseObject({
  user: z.looseObject({
    id: z.string().min(1),
    username: z.string().optional(),
    name: z.string().optional(),
    team_id: z.string().optional(),
  }),
  team: z.looseObject({ id: z.string() }).nullish(),
  action_id: z.string().min(1).max(255),
  value: z.string().max(200).default(''),
  view: z.looseObject({ private_metadata: z.string().optional() }).nullish(),
});

/** Where a click's answers go: its channel and thread, or the clicker's DM for the Home tab. */
interface Place {
  channel?: string;
  threadTs?: string;
}

const placeOf = (c: z.infer<typeof Click>): Place => {
  const channel = c.container?.channel_id ?? c.channel?.id ?? undefined;
  // A card at the top of a channel is answered at the top too: only a click inside a thread stays in it.
  const threadTs = c.container?.thread_ts ?? c.message?.thread_ts ?? undefined;
  return { ...(channel ? { channel } : {}), ...(threadTs ? { threadTs } : {}) };
};

export const registerInteractions = (app: App, d: InteractionDeps): void => {
  const log = d.logger.child({ component: 'slack-interactions' });
  const budget = d.submitBudgetMs ?? 2_000;
  const logged = (what: string) => (err: unknown) => log.error({ err }, `${what} failed`);
  /** Started now (opening a modal cannot wait: its trigger_id lives 3 s). */
  const now = (what: string, p: Promise<unknown>): void => d.work.track(p.catch(logged(what)));
  /** Queued behind other requests' engine work, so acks stay fast under a burst (see background.ts). */
  const queued = (what: string, job: () => Promise<unknown>): void => d.work.run(() => job().catch(logged(what)));

  const targetFor = (client: WebClient, teamId: string, userId: string, place: Place): Target => ({
    client,
    teamId,
    // Home tab clicks have no channel: a user id as channel is the bot's DM with them.
    channel: place.channel ?? userId,
    userId,
    ...(place.threadTs ? { threadTs: place.threadTs } : {}),
  });

  const answer = async (
    client: WebClient,
    teamId: string,
    actor: Actor,
    place: Place,
    replies: Reply[],
  ): Promise<void> => {
    // In the DM every answer is private anyway, and postEphemeral needs a real channel.
    const shown = place.channel ? replies : replies.map((r) => ({ ...r, ephemeral: false }));
    await d.delivery.deliver(targetFor(client, teamId, actor.userId, place), shown);
    if (!place.channel) await d.home.publish(client, teamId, actor.userId);
  };

  const interact = (
    actor: Actor,
    teamId: string,
    place: Place,
    actionId: string,
    value: string,
    inputs?: Record<string, string>,
  ): Promise<Reply[]> =>
    d.engine
      .handleInteraction({
        actor,
        conversation: d.delivery.conversation(teamId, place.channel ?? actor.userId, place.threadTs),
        actionId,
        value,
        ...(inputs ? { inputs } : {}),
      })
      .catch((e: unknown): Reply[] => {
        log.warn({ err: e, actionId }, 'the engine refused a Slack interaction');
        return [textReply('That button sent something I could not read. Nothing was changed.', { ephemeral: true })];
      });

  const click = async (client: WebClient, c: z.infer<typeof Click>, teamId: string): Promise<void> => {
    const action = c.actions[0]!;
    const place = placeOf(c);
    const actor = await d.identity.actor(client, teamId, c.user.id, c.user.name ?? c.user.username);
    const actionId = neutralActionId(action.action_id);
    if (actionId === SHOW_MORE_ACTION) {
      const more = {
        client,
        teamId,
        actor,
        ...place,
        value: action.value ?? '',
        clickedEphemeral: c.container?.is_ephemeral === true,
      };
      return queued('a Show more click', () => d.more(more));
    }
    const decoded = await d.forms.decode(action.value ?? action.selected_option?.value ?? '');
    const privately = (text: string) => answer(client, teamId, actor, place, [textReply(text, { ephemeral: true })]);
    if (decoded.missingForm)
      return privately('This button belongs to a form I no longer have. Ask me again for a fresh message.');
    if (decoded.form) {
      const context: ModalContext = {
        a: actionId,
        v: decoded.value,
        ...(place.channel ? { c: place.channel } : {}),
        ...(place.threadTs ? { t: place.threadTs } : {}),
      };
      const view = modalView(decoded.form, context);
      if (!view || !c.trigger_id)
        return privately('I could not open that form here. Type the command instead (e.g. `reject CR-12 <reason>`).');
      try {
        await client.views.open({ trigger_id: c.trigger_id, view: view as never });
      } catch (e) {
        log.warn({ slackError: slackError(e) ?? String(e) }, 'views.open failed');
        await privately('Slack did not let me open the form (it may have taken too long). Click the button again.');
      }
      return;
    }
    queued('a button click', async () =>
      answer(client, teamId, actor, place, await interact(actor, teamId, place, actionId, decoded.value)),
    );
  };

  app.action({ type: 'block_actions' }, async ({ ack, body, client, context }) => {
    await ack();
    const c = Click.safeParse(body);
    const teamId = context.teamId ?? (c.success ? (c.data.team?.id ?? c.data.user.team_id) : undefined);
    if (!c.success || !teamId)
      return void log.warn({ issues: c.error?.issues }, 'ignored a malformed block_actions payload');
    now('a button click', click(client as WebClient, c.data, teamId));
  });

  // A search field's menu asks for options as the person types: answered within the budget, or
  // with no options (Slack shows none and lets them type on) rather than an error.
  app.options<'block_suggestion'>({ type: 'block_suggestion' }, async ({ ack, body, client, context }) => {
    const q = Suggestion.safeParse(body);
    const teamId = context.teamId ?? (q.success ? (q.data.team?.id ?? q.data.user.team_id) : undefined);
    const source = q.success ? sourceOfActionId(q.data.action_id) : undefined;
    if (!q.success || !teamId || !source) {
      log.warn(
        { issues: q.error?.issues, actionId: q.data?.action_id },
        'ignored a block_suggestion for no search field of ours',
      );
      return ack({ options: [] });
    }
    const modal = parseModalContext(q.data.view?.private_metadata);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), budget)));
    const lookup = (async () => {
      const actor = await d.identity.actor(
        client as WebClient,
        teamId,
        q.data.user.id,
        q.data.user.name ?? q.data.user.username,
      );
      return d.engine.options({
        actor,
        conversation: d.delivery.conversation(teamId, modal?.c ?? actor.userId, modal?.t),
        source,
        query: q.data.value,
      });
    })().catch((e: unknown) => {
      log.warn({ err: e, source }, 'could not list the options of a search field');
      return [];
    });
    const choices = (await Promise.race([lookup, late])) ?? [];
    clearTimeout(timer);
    await ack({
      options: choices.map((c) => ({
        text: { type: 'plain_text', text: truncate(toPlain(c.label) || c.value, 75), emoji: true },
        value: c.value.slice(0, 150),
      })),
    });
  });

  app.view(FORM_CALLBACK_ID, async ({ ack, body, client, context }) => {
    const s = Submission.safeParse(body);
    const teamId = context.teamId ?? (s.success ? (s.data.team?.id ?? s.data.user.team_id) : undefined);
    const modal = s.success ? parseModalContext(s.data.view.private_metadata) : null;
    if (!s.success || !teamId || !modal) {
      await ack();
      return void log.warn({ issues: s.error?.issues }, 'ignored a malformed view_submission');
    }
    const web = client as WebClient;
    const place: Place = { ...(modal.c ? { channel: modal.c } : {}), ...(modal.t ? { threadTs: modal.t } : {}) };
    const inputs = formInputs(s.data.view.state?.values);
    // The budget counts from arrival: a slow users.info must not push the ack past Slack's 3 s
    // (the receiver would answer an empty 200 for us, closing the modal and losing field errors).
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), budget)));
    const actorOf = d.identity.actor(web, teamId, s.data.user.id, s.data.user.name ?? s.data.user.username);
    const work = actorOf.then((actor) =>
      interact(actor, teamId, place, modal.a, modal.v, inputs).then((replies) => ({ actor, replies })),
    );
    const first = await Promise.race([work, late]);
    clearTimeout(timer);
    const early = first?.replies;
    const actor = first?.actor;
    if (early && actor) {
      const invalid = early.find((r) => r.fieldErrors);
      const blockIds = (s.data.view.blocks ?? []).map((b) => b.block_id ?? '');
      const errors = invalid?.fieldErrors ? responseErrors(invalid.fieldErrors, inputs, blockIds) : null;
      if (errors) {
        // The modal stays open with the messages on its fields; the rest (if any) is delivered.
        await ack({ response_action: 'errors', errors });
        queued('a form answer', () =>
          answer(
            web,
            teamId,
            actor,
            place,
            early.filter((r) => r !== invalid),
          ),
        );
        return;
      }
      await ack();
      queued('a form answer', () => answer(web, teamId, actor, place, early));
      return;
    }
    // Too slow to keep the modal open: close it, and answer in the conversation when done.
    await ack();
    queued('a form answer', () => work.then((done) => answer(web, teamId, done.actor, place, done.replies)));
  });
};
