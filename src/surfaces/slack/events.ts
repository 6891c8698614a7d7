import type { App, InstallationStore } from '@slack/bolt';
import { z } from 'zod';
import { conversationKey } from '../../chat/actor.ts';
import type { ConversationStore } from '../../engine/engine.ts';
import type { BackgroundWork } from './background.ts';
import { inboundText, mentions } from './inbound.ts';
import type { HomePublisher } from './publish-home.ts';
import { acceptTurn, type TurnDeps } from './turns.ts';
import type { WebClient } from './web.ts';

/**
 * Events and the slash command: mentions in channels (answered in the thread), DMs, follow-ups
 * in a thread the bot already talks in, `/devops <text>`, the Home tab, uninstalls. Every
 * listener acks first (Bolt acks events itself) and does the work in the background.
 */
export interface EventDeps extends TurnDeps {
  conversations: Pick<ConversationStore, 'ref' | 'markProcessed'>;
  work: BackgroundWork;
  home: HomePublisher;
  installationStore?: InstallationStore;
}

const Message = z.looseObject({
  type: z.literal('message'),
  subtype: z.string().optional(),
  user: z.string().optional(),
  bot_id: z.string().optional(),
  text: z.string().optional(),
  ts: z.string(),
  thread_ts: z.string().optional(),
  channel: z.string(),
  channel_type: z.string().optional(),
});

const Mention = z.looseObject({
  user: z.string().optional(),
  bot_id: z.string().optional(),
  text: z.string(),
  ts: z.string(),
  thread_ts: z.string().optional(),
  channel: z.string(),
  channel_type: z.string().optional(),
});

/** Subtypes that are still a person writing (others: edits, joins, bots, …). */
const HUMAN_SUBTYPES = new Set([undefined, 'thread_broadcast', 'file_share']);
/** A message addressed to someone else (not the bot) is people talking among themselves. */
const OTHER_MENTION = /<@[UW][A-Z0-9]+(?:\|[^>]*)?>/;

const teamOf = (body: Record<string, unknown>, context: { teamId?: string }): string | undefined =>
  context.teamId ?? (typeof body.team_id === 'string' ? body.team_id : undefined);

const eventIdOf = (body: Record<string, unknown>): string | undefined =>
  typeof body.event_id === 'string' ? body.event_id : undefined;

export const registerEvents = (app: App, d: EventDeps): void => {
  const log = d.logger.child({ component: 'slack-events' });
  /** After the ack, queued behind other requests' work (see background.ts); a turn's working clock starts before it queues. */
  const background = (what: string, job: () => Promise<unknown>): void =>
    d.work.run(() => job().catch((err: unknown) => log.error({ err }, `${what} failed`)));

  app.event('app_mention', async ({ event, body, context, client }) => {
    const e = Mention.safeParse(event);
    const teamId = teamOf(body, context);
    if (!e.success || !teamId) return void log.warn({ issues: e.error?.issues }, 'ignored a malformed app_mention');
    const m = e.data;
    const userId = m.user;
    // A mention inside a DM also arrives as message.im, which answers it.
    if (!userId || m.bot_id || m.channel_type === 'im' || m.channel.startsWith('D')) return;
    background(
      'a mention',
      acceptTurn(d, {
        client: client as WebClient,
        teamId,
        channel: m.channel,
        threadTs: m.thread_ts ?? m.ts,
        userId,
        text: inboundText(m.text, context.botUserId),
        ...(eventIdOf(body) ? { eventId: eventIdOf(body)! } : {}),
      }),
    );
  });

  app.event('message', async ({ event, body, context, client }) => {
    const e = Message.safeParse(event);
    const teamId = teamOf(body, context);
    if (!e.success || !teamId) return;
    const m = e.data;
    if (!HUMAN_SUBTYPES.has(m.subtype) || m.bot_id || !m.user || m.user === context.botUserId) return;
    const text = m.text ?? '';
    const userId = m.user;
    if (text.trim() === '') return;
    const eventId = eventIdOf(body);
    const isDm = m.channel_type === 'im' || m.channel.startsWith('D');
    if (!isDm) {
      // Channels: only follow-ups in a thread the bot already talks in, not mentioning anyone (a
      // mention of the bot comes as app_mention too; of someone else, it is not for us).
      if (!m.thread_ts || mentions(text, context.botUserId) || OTHER_MENTION.test(text)) return;
      const key = conversationKey({
        surface: 'slack',
        workspaceId: teamId,
        channelId: m.channel,
        threadId: m.thread_ts,
      });
      if (!(await d.conversations.ref(key))) return;
    }
    background(
      'a message',
      acceptTurn(d, {
        client: client as WebClient,
        teamId,
        channel: m.channel,
        ...(m.thread_ts ? { threadTs: m.thread_ts } : {}),
        userId,
        text: inboundText(text, context.botUserId),
        ...(eventId ? { eventId } : {}),
      }),
    );
  });

  app.command(/^\/[\w-]+$/, async ({ command, ack, client, respond, context }) => {
    await ack();
    const text = inboundText(command.text ?? '', context.botUserId);
    background(
      'a slash command',
      acceptTurn(d, {
        client: client as WebClient,
        teamId: command.team_id,
        channel: command.channel_id,
        userId: command.user_id,
        userHint: command.user_name,
        // An empty command asks for help, privately.
        text: text === '' ? 'help' : text,
        privately: text === '',
        respond: (m) => respond(m),
      }),
    );
  });

  app.event('app_home_opened', async ({ event, body, context, client }) => {
    const teamId = teamOf(body, context);
    if (event.tab !== 'home' || !teamId) return;
    background('the Home tab', () => d.home.publish(client as WebClient, teamId, event.user));
  });

  const forget = async (
    body: Record<string, unknown>,
    context: { teamId?: string; enterpriseId?: string; isEnterpriseInstall?: boolean },
  ): Promise<void> => {
    if (!d.installationStore?.deleteInstallation) return;
    const teamId = teamOf(body, context);
    await d.installationStore.deleteInstallation({
      teamId,
      enterpriseId: context.enterpriseId,
      isEnterpriseInstall: context.isEnterpriseInstall === true,
    });
    log.info({ teamId }, 'the app was uninstalled from a workspace; its installation was deleted');
  };
  /**
   * Events with an effect of their own run once per event id (turns are de-duplicated by the
   * engine): a replayed uninstall must not delete the installation made since.
   */
  const once = async (body: Record<string, unknown>, what: string): Promise<boolean> => {
    const eventId = eventIdOf(body);
    if (!eventId || (await d.conversations.markProcessed(`slack:${eventId}`))) return true;
    log.warn({ eventId }, `${what} was received again; ignored`);
    return false;
  };
  app.event('app_uninstalled', async ({ body, context }) =>
    background('an uninstall', async () => {
      if (await once(body, 'an uninstall')) await forget(body, context);
    }),
  );
  app.event('tokens_revoked', async ({ event, body, context }) => {
    if ((event.tokens.bot ?? []).length > 0)
      background('a token revocation', async () => {
        if (await once(body, 'a token revocation')) await forget(body, context);
      });
  });
};
