/**
 * Builds and signs inbound Slack requests the way Slack does, for tests that drive our HTTP server:
 * `x-slack-signature: v0=hex(HMAC-SHA256(signingSecret, "v0:" + ts + ":" + rawBody))` with
 * `x-slack-request-timestamp: ts` (unix seconds). Payload shapes follow the Events API, slash
 * command and interactivity references (and @slack/bolt's types for them).
 */
import { createHmac } from 'node:crypto';

export interface SignedRequest {
  body: string;
  headers: Record<string, string>;
}

export const slackSignature = (signingSecret: string, timestamp: number, rawBody: string): string =>
  `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`;

/**
 * Signs a body. Events are JSON; slash commands and interactivity are form-encoded. `timestamp`
 * defaults to now because receivers reject requests more than 5 minutes from their clock.
 */
export const signSlackRequest = (
  signingSecret: string,
  body: { json: unknown } | { form: Record<string, string> },
  opts: { timestamp?: number; retryNum?: number; retryReason?: string } = {},
): SignedRequest => {
  const timestamp = opts.timestamp ?? Math.floor(Date.now() / 1000);
  const isJson = 'json' in body;
  const raw = isJson ? JSON.stringify(body.json) : new URLSearchParams(body.form).toString();
  return {
    body: raw,
    headers: {
      'content-type': isJson ? 'application/json' : 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': slackSignature(signingSecret, timestamp, raw),
      ...(opts.retryNum !== undefined
        ? { 'x-slack-retry-num': String(opts.retryNum), 'x-slack-retry-reason': opts.retryReason ?? 'http_timeout' }
        : {}),
    },
  };
};

/** POSTs a signed request (e.g. to `http://127.0.0.1:P/slack/events`). */
export const postSigned = (url: string, req: SignedRequest): Promise<Response> =>
  fetch(url, { method: 'POST', headers: req.headers, body: req.body });

export interface Workspace {
  teamId?: string;
  teamDomain?: string;
  apiAppId?: string;
  /** The bot's own user id, listed in `authorizations`. */
  botUserId?: string;
}
const ws = (w: Workspace = {}) => ({
  teamId: w.teamId ?? 'T0FAKE0001',
  teamDomain: w.teamDomain ?? 'fake-team',
  apiAppId: w.apiAppId ?? 'A0APP00001',
  botUserId: w.botUserId ?? 'U0BOT00001',
});

let counter = 0;
const next = (): number => ++counter;
/** A plausible message ts: seconds plus a six-digit fraction. */
const tsNow = (): string => `${Math.floor(Date.now() / 1000)}.${String(next()).padStart(6, '0')}`;

export const urlVerification = (challenge: string) => ({
  token: 'legacy-verification-token',
  challenge,
  type: 'url_verification',
});

/** Wraps an inner event in the Events API envelope. */
export const eventCallback = (
  event: Record<string, unknown>,
  opts: Workspace & { eventId?: string; eventTime?: number } = {},
) => {
  const w = ws(opts);
  return {
    token: 'legacy-verification-token',
    team_id: w.teamId,
    context_team_id: w.teamId,
    context_enterprise_id: null,
    api_app_id: w.apiAppId,
    event,
    type: 'event_callback',
    event_id: opts.eventId ?? `Ev${String(next()).padStart(9, '0')}`,
    event_time: opts.eventTime ?? Math.floor(Date.now() / 1000),
    authorizations: [
      { enterprise_id: null, team_id: w.teamId, user_id: w.botUserId, is_bot: true, is_enterprise_install: false },
    ],
    is_ext_shared_channel: false,
    event_context: `4-fake-${next()}`,
  };
};

interface MessageOpts {
  user: string;
  channel: string;
  text: string;
  ts?: string;
  threadTs?: string;
  teamId?: string;
}

/** `app_mention`: text carries the bot mention (`<@U0BOT00001> list instances`). */
export const appMentionEvent = (o: MessageOpts) => {
  const ts = o.ts ?? tsNow();
  return {
    type: 'app_mention',
    user: o.user,
    text: o.text,
    ts,
    ...(o.threadTs ? { thread_ts: o.threadTs } : {}),
    team: o.teamId ?? 'T0FAKE0001',
    channel: o.channel,
    event_ts: ts,
  };
};

/** `message` in a DM with the bot (message.im) or in a channel (message.channels, thread follow-ups). */
export const messageEvent = (o: MessageOpts & { channelType?: 'im' | 'channel' | 'group' }) => {
  const ts = o.ts ?? tsNow();
  return {
    type: 'message',
    user: o.user,
    text: o.text,
    ts,
    ...(o.threadTs ? { thread_ts: o.threadTs } : {}),
    team: o.teamId ?? 'T0FAKE0001',
    channel: o.channel,
    event_ts: ts,
    channel_type: o.channelType ?? (o.channel.startsWith('D') ? 'im' : 'channel'),
  };
};

export const appHomeOpenedEvent = (o: { user: string; channel: string; tab?: 'home' | 'messages' }) => ({
  type: 'app_home_opened',
  user: o.user,
  channel: o.channel,
  tab: o.tab ?? 'home',
  event_ts: tsNow(),
});

/** A slash command's form fields (all strings, as Slack sends them). */
export const slashCommandForm = (
  o: {
    text: string;
    userId: string;
    userName?: string;
    channelId: string;
    channelName?: string;
    responseUrl: string;
    command?: string;
    triggerId?: string;
  } & Workspace,
): Record<string, string> => {
  const w = ws(o);
  return {
    token: 'legacy-verification-token',
    team_id: w.teamId,
    team_domain: w.teamDomain,
    channel_id: o.channelId,
    channel_name: o.channelName ?? (o.channelId.startsWith('D') ? 'directmessage' : 'ops'),
    user_id: o.userId,
    user_name: o.userName ?? 'alice',
    command: o.command ?? '/devops',
    text: o.text,
    api_app_id: w.apiAppId,
    is_enterprise_install: 'false',
    response_url: o.responseUrl,
    trigger_id: o.triggerId ?? `${next()}.1234567890.fake-trigger`,
  };
};

/** Interactivity payloads travel as one form field, `payload=<json>`. */
export const interactivityForm = (payload: unknown): Record<string, string> => ({ payload: JSON.stringify(payload) });

/** A button click on a message (`block_actions`). */
export const blockActionsPayload = (
  o: {
    userId: string;
    userName?: string;
    channelId: string;
    messageTs: string;
    actionId: string;
    value?: string;
    blockId?: string;
    label?: string;
    responseUrl: string;
    threadTs?: string;
    message?: Record<string, unknown>;
    triggerId?: string;
  } & Workspace,
) => {
  const w = ws(o);
  const actionTs = tsNow();
  return {
    type: 'block_actions',
    user: { id: o.userId, username: o.userName ?? 'alice', name: o.userName ?? 'alice', team_id: w.teamId },
    api_app_id: w.apiAppId,
    token: 'legacy-verification-token',
    container: {
      type: 'message',
      message_ts: o.messageTs,
      channel_id: o.channelId,
      is_ephemeral: false,
      ...(o.threadTs ? { thread_ts: o.threadTs } : {}),
    },
    trigger_id: o.triggerId ?? `${next()}.1234567890.fake-trigger`,
    team: { id: w.teamId, domain: w.teamDomain },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: o.channelId, name: o.channelId.startsWith('D') ? 'directmessage' : 'ops' },
    message: o.message ?? {
      type: 'message',
      user: w.botUserId,
      ts: o.messageTs,
      text: '',
      ...(o.threadTs ? { thread_ts: o.threadTs } : {}),
    },
    state: { values: {} },
    response_url: o.responseUrl,
    actions: [
      {
        action_id: o.actionId,
        block_id: o.blockId ?? `blk${next()}`,
        text: { type: 'plain_text', text: o.label ?? o.actionId, emoji: true },
        ...(o.value !== undefined ? { value: o.value } : {}),
        type: 'button',
        action_ts: actionTs,
      },
    ],
  };
};

/** What a modal element holds when submitted: typed text, or an option picked from a menu. */
export type SubmittedValue = string | { picked: string; label?: string; from: 'static_select' | 'external_select' };

const stateOf = (v: SubmittedValue): Record<string, unknown> =>
  typeof v === 'string'
    ? { type: 'plain_text_input', value: v }
    : {
        type: v.from,
        selected_option: { text: { type: 'plain_text', text: v.label ?? v.picked, emoji: true }, value: v.picked },
      };

/** A modal submission; `values` maps block_id → action_id → typed text or a picked option. */
export const viewSubmissionPayload = (
  o: {
    userId: string;
    userName?: string;
    callbackId: string;
    privateMetadata?: string;
    values: Record<string, Record<string, SubmittedValue>>;
    viewId?: string;
  } & Workspace,
) => {
  const w = ws(o);
  const values = Object.fromEntries(
    Object.entries(o.values).map(([blockId, inputs]) => [
      blockId,
      Object.fromEntries(Object.entries(inputs).map(([actionId, value]) => [actionId, stateOf(value)])),
    ]),
  );
  const id = o.viewId ?? `V${String(next()).padStart(9, '0')}`;
  return {
    type: 'view_submission',
    team: { id: w.teamId, domain: w.teamDomain },
    user: { id: o.userId, username: o.userName ?? 'alice', name: o.userName ?? 'alice', team_id: w.teamId },
    api_app_id: w.apiAppId,
    token: 'legacy-verification-token',
    trigger_id: `${next()}.1234567890.fake-trigger`,
    view: {
      id,
      team_id: w.teamId,
      type: 'modal',
      blocks: [],
      private_metadata: o.privateMetadata ?? '',
      callback_id: o.callbackId,
      state: { values },
      hash: `${next()}.fakehash`,
      title: { type: 'plain_text', text: 'DevOps Agent', emoji: true },
      clear_on_close: false,
      notify_on_close: false,
      close: null,
      submit: { type: 'plain_text', text: 'Submit', emoji: true },
      previous_view_id: null,
      root_view_id: id,
      app_id: w.apiAppId,
      external_id: '',
      app_installed_team_id: w.teamId,
      bot_id: 'B0BOT00001',
    },
    response_urls: [],
    is_enterprise_install: false,
    enterprise: null,
  };
};

/** Slack asking for the options of an external_select in a modal while the user types `value`. */
export const blockSuggestionPayload = (
  o: {
    userId: string;
    userName?: string;
    actionId: string;
    blockId: string;
    value: string;
    privateMetadata?: string;
    viewId?: string;
  } & Workspace,
) => {
  const w = ws(o);
  const id = o.viewId ?? `V${String(next()).padStart(9, '0')}`;
  return {
    type: 'block_suggestion',
    user: { id: o.userId, username: o.userName ?? 'alice', name: o.userName ?? 'alice', team_id: w.teamId },
    container: { type: 'view', view_id: id },
    api_app_id: w.apiAppId,
    token: 'legacy-verification-token',
    action_id: o.actionId,
    block_id: o.blockId,
    value: o.value,
    team: { id: w.teamId, domain: w.teamDomain },
    enterprise: null,
    is_enterprise_install: false,
    view: {
      id,
      team_id: w.teamId,
      type: 'modal',
      private_metadata: o.privateMetadata ?? '',
      callback_id: 'devops.form',
      app_id: w.apiAppId,
      bot_id: 'B0BOT00001',
    },
  };
};
