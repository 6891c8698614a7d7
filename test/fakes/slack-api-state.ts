/**
 * The Slack fake's workspace state and method semantics, apart from the HTTP plumbing in
 * slack-api.ts: users, channels, messages per channel (postMessage appends, update edits in place),
 * ephemerals, views, and response_url targets. Answers follow the shapes of the real API.
 */
import { checkBlocks, checkView, type NativeBlockType } from './slack-api-blocks.ts';

export interface FakeUser {
  id: string;
  name: string;
  realName?: string;
  displayName?: string;
  email?: string;
  tz?: string;
  isBot?: boolean;
  isAdmin?: boolean;
  deleted?: boolean;
}

export interface FakeChannel {
  id: string;
  name: string;
  isPrivate?: boolean;
  /** Whether the bot is in the channel (default true): posting elsewhere answers not_in_channel. */
  member?: boolean;
}

export interface FakeMessage {
  channel: string;
  ts: string;
  threadTs?: string;
  text: string;
  blocks?: unknown[];
  /** Poster's user id (the bot user for everything the bot posts). */
  user: string;
  botId?: string;
  edited?: { user: string; ts: string };
}

export interface FakeEphemeral {
  channel: string;
  user: string;
  ts: string;
  threadTs?: string;
  text: string;
  blocks?: unknown[];
}

type Args = Record<string, unknown>;
type Answer = Record<string, unknown>;

export interface SlackState {
  readonly teamId: string;
  readonly botUserId: string;
  /** Messages in a channel (threads included, `threadTs` set on replies), oldest first. */
  messages(channel: string): FakeMessage[];
  ephemerals(channel: string): FakeEphemeral[];
  /** The Home tab last published for a user. */
  homeView(userId: string): Answer | undefined;
  /** Modals opened by views.open, in order. */
  openedViews: Array<{ triggerId: string; view: Answer }>;
  addUser(user: FakeUser): void;
  addChannel(channel: FakeChannel): void;
  /** Registers a response_url target; returns its id (the fake serves it at `/response/<id>`). */
  bindResponseUrl(target: { channel: string; ts?: string; threadTs?: string; user?: string }): string;
  handle(method: string, args: Args): Answer;
  respond(id: string, body: Args): [number, Answer];
  /** Native block types this workspace refuses from now on (invalid_blocks), like a Slack without them. */
  refuseBlocks(types: NativeBlockType[]): void;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
const fail = (error: string, messages?: string[]): Answer =>
  messages && messages.length > 0 ? { ok: false, error, response_metadata: { messages } } : { ok: false, error };

export const createSlackState = (cfg: {
  teamId: string;
  botUserId: string;
  botId: string;
  appId: string;
  now: () => Date;
}): SlackState => {
  const users = new Map<string, FakeUser>([[cfg.botUserId, { id: cfg.botUserId, name: 'devops-agent', isBot: true }]]);
  const channels = new Map<string, FakeChannel & { isIm?: boolean }>();
  const store = new Map<string, FakeMessage[]>();
  const ephemeral = new Map<string, FakeEphemeral[]>();
  const homes = new Map<string, Answer>();
  const openedViews: Array<{ triggerId: string; view: Answer }> = [];
  const targets = new Map<string, { channel: string; ts?: string; threadTs?: string; user?: string }>();
  /** Per response_url: how often it was used, and the ephemeral message it posted last (what a slash command's URL replaces or deletes). */
  const usage = new Map<string, { uses: number; last?: FakeEphemeral }>();
  let refused: ReadonlySet<string> = new Set();
  let seq = 0;
  // Unique and increasing, like Slack's: seconds from the clock, a counter as the fraction.
  const nextTs = (): string => `${Math.floor(cfg.now().getTime() / 1000)}.${String(++seq).padStart(6, '0')}`;

  /** Resolves a channel argument: a known channel, any DM id, or a user id (opens the DM). */
  const resolve = (arg: unknown): { id: string } | { error: string } => {
    const id = str(arg);
    if (!id) return { error: 'channel_not_found' };
    if (users.has(id)) return { id: `D${id.slice(1)}` };
    if (id.startsWith('D')) return { id };
    const c = channels.get(id);
    if (!c) return { error: 'channel_not_found' };
    if (c.member === false) return { error: 'not_in_channel' };
    return { id };
  };

  /** Validates text/blocks of a message: the parsed content, or the error answer. */
  const content = (args: Args): { text: string; blocks?: unknown[] } | { rejected: Answer } => {
    const text = typeof args.text === 'string' ? args.text : '';
    if (args.blocks === undefined && text.length === 0 && args.attachments === undefined)
      return { rejected: fail('no_text') };
    if (text.length > 40_000) return { rejected: fail('msg_too_long') };
    if (args.blocks === undefined) return { text };
    const verdict = checkBlocks(args.blocks, 50, refused);
    if (verdict) return { rejected: fail(verdict.error, verdict.messages) };
    return { text, blocks: args.blocks as unknown[] };
  };

  const wire = (m: FakeMessage): Answer => ({
    type: 'message',
    user: m.user,
    ...(m.botId ? { bot_id: m.botId, app_id: cfg.appId } : {}),
    text: m.text,
    ...(m.blocks ? { blocks: m.blocks } : {}),
    ts: m.ts,
    ...(m.threadTs ? { thread_ts: m.threadTs } : {}),
    ...(m.edited ? { edited: m.edited } : {}),
    team: cfg.teamId,
  });

  const post = (channel: string, body: { text: string; blocks?: unknown[] }, threadTs?: string): FakeMessage => {
    const m: FakeMessage = {
      channel,
      ts: nextTs(),
      text: body.text,
      user: cfg.botUserId,
      botId: cfg.botId,
      ...(body.blocks ? { blocks: body.blocks } : {}),
      ...(threadTs ? { threadTs } : {}),
    };
    store.set(channel, [...(store.get(channel) ?? []), m]);
    return m;
  };

  const userWire = (u: FakeUser): Answer => ({
    id: u.id,
    team_id: cfg.teamId,
    name: u.name,
    deleted: u.deleted ?? false,
    real_name: u.realName ?? u.name,
    tz: u.tz ?? 'Europe/London',
    tz_offset: 0,
    is_admin: u.isAdmin ?? false,
    is_bot: u.isBot ?? false,
    profile: {
      real_name: u.realName ?? u.name,
      display_name: u.displayName ?? u.name,
      email: u.email,
      team: cfg.teamId,
    },
  });

  const viewWire = (view: Answer, id: string): Answer => ({
    id,
    team_id: cfg.teamId,
    state: { values: {} },
    hash: `${nextTs()}-fake`,
    private_metadata: '',
    callback_id: '',
    root_view_id: id,
    previous_view_id: null,
    clear_on_close: false,
    notify_on_close: false,
    app_id: cfg.appId,
    bot_id: cfg.botId,
    ...view,
  });

  const methods: Record<string, (a: Args) => Answer> = {
    'auth.test': () => ({
      ok: true,
      url: 'https://fake.slack.com/',
      team: 'Fake Team',
      user: 'devops-agent',
      team_id: cfg.teamId,
      user_id: cfg.botUserId,
      bot_id: cfg.botId,
      is_enterprise_install: false,
    }),
    'chat.postMessage': (a) => {
      const ch = resolve(a.channel);
      if ('error' in ch) return fail(ch.error);
      const body = content(a);
      if ('rejected' in body) return body.rejected;
      const m = post(ch.id, body, str(a.thread_ts));
      return { ok: true, channel: ch.id, ts: m.ts, message: wire(m) };
    },
    'chat.update': (a) => {
      const ch = resolve(a.channel);
      if ('error' in ch) return fail(ch.error);
      const m = (store.get(ch.id) ?? []).find((x) => x.ts === a.ts);
      if (!m) return fail('message_not_found');
      if (m.user !== cfg.botUserId) return fail('cant_update_message');
      const body = content({ ...a, text: a.text ?? m.text });
      if ('rejected' in body) return body.rejected;
      // Slack keeps the old blocks when `blocks` is absent; an empty array removes them.
      m.text = body.text;
      if (Array.isArray(a.blocks)) m.blocks = a.blocks.length > 0 ? a.blocks : undefined;
      m.edited = { user: cfg.botUserId, ts: nextTs() };
      return { ok: true, channel: ch.id, ts: m.ts, text: m.text, message: wire(m) };
    },
    'chat.delete': (a) => {
      const ch = resolve(a.channel);
      if ('error' in ch) return fail(ch.error);
      const m = (store.get(ch.id) ?? []).find((x) => x.ts === a.ts);
      if (!m) return fail('message_not_found');
      if (m.user !== cfg.botUserId) return fail('cant_delete_message');
      store.set(
        ch.id,
        (store.get(ch.id) ?? []).filter((x) => x !== m),
      );
      return { ok: true, channel: ch.id, ts: m.ts };
    },
    'chat.postEphemeral': (a) => {
      const ch = resolve(a.channel);
      if ('error' in ch) return fail(ch.error);
      const user = str(a.user);
      if (!user || !users.has(user)) return fail('user_not_found');
      const body = content(a);
      if ('rejected' in body) return body.rejected;
      const e: FakeEphemeral = {
        channel: ch.id,
        user,
        ts: nextTs(),
        text: body.text,
        ...(body.blocks ? { blocks: body.blocks } : {}),
        ...(str(a.thread_ts) ? { threadTs: str(a.thread_ts) } : {}),
      };
      ephemeral.set(ch.id, [...(ephemeral.get(ch.id) ?? []), e]);
      return { ok: true, message_ts: e.ts };
    },
    'views.open': (a) => {
      const triggerId = str(a.trigger_id);
      if (!triggerId) return fail('invalid_arguments', ['[ERROR] missing required field: trigger_id']);
      const verdict = checkView(a.view, 'modal');
      if (verdict) return fail(verdict.error, verdict.messages);
      const view = viewWire(a.view as Answer, `V${String(openedViews.length + 1).padStart(9, '0')}`);
      openedViews.push({ triggerId, view });
      return { ok: true, view };
    },
    'views.publish': (a) => {
      const user = str(a.user_id);
      if (!user || !/^[UW]/.test(user)) return fail('invalid_arguments', ['[ERROR] missing required field: user_id']);
      const verdict = checkView(a.view, 'home');
      if (verdict) return fail(verdict.error, verdict.messages);
      const view = viewWire(a.view as Answer, `VH${user}`);
      homes.set(user, view);
      return { ok: true, view };
    },
    'users.info': (a) => {
      const u = users.get(str(a.user) ?? '');
      return u ? { ok: true, user: userWire(u) } : fail('user_not_found');
    },
    'conversations.info': (a) => {
      const id = str(a.channel) ?? '';
      const c = channels.get(id);
      if (id.startsWith('D'))
        return {
          ok: true,
          channel: {
            id,
            is_im: true,
            is_channel: false,
            is_group: false,
            is_private: true,
            is_member: true,
            user: `U${id.slice(1)}`,
          },
        };
      if (!c) return fail('channel_not_found');
      return {
        ok: true,
        channel: {
          id: c.id,
          name: c.name,
          is_channel: !c.isPrivate,
          is_group: c.isPrivate ?? false,
          is_im: false,
          is_private: c.isPrivate ?? false,
          is_member: c.member ?? true,
          is_archived: false,
          created: 1_600_000_000,
        },
      };
    },
  };

  return {
    teamId: cfg.teamId,
    botUserId: cfg.botUserId,
    messages: (channel) => (store.get(channel) ?? []).map((m) => ({ ...m })),
    ephemerals: (channel) => [...(ephemeral.get(channel) ?? [])],
    homeView: (userId) => homes.get(userId),
    openedViews,
    addUser: (u) => void users.set(u.id, u),
    addChannel: (c) => void channels.set(c.id, c),
    refuseBlocks: (types) => void (refused = new Set(types)),
    bindResponseUrl: (target) => {
      const id = `R${String(targets.size + 1).padStart(6, '0')}`;
      targets.set(id, target);
      return id;
    },
    handle: (method, args) => methods[method]?.(args) ?? fail('unknown_method'),
    respond: (id, body) => {
      const t = targets.get(id);
      if (!t) return [404, fail('invalid_response_url')];
      // Slack honours a response_url up to 5 times (within 30 minutes); the error name is the fake's.
      const used = usage.get(id) ?? { uses: 0 };
      usage.set(id, used);
      if (used.uses >= 5) return [404, fail('used_url')];
      used.uses += 1;
      const original = t.ts ? (store.get(t.channel) ?? []).find((m) => m.ts === t.ts) : undefined;
      // A slash command's URL has no message of its own: "original" is what it posted privately last.
      const own = !t.ts ? used.last : undefined;
      if (body.delete_original === true) {
        if (own) {
          ephemeral.set(
            t.channel,
            (ephemeral.get(t.channel) ?? []).filter((e) => e !== own),
          );
          used.last = undefined;
          return [200, { ok: true }];
        }
        if (!original) return [404, fail('message_not_found')];
        store.set(
          t.channel,
          (store.get(t.channel) ?? []).filter((m) => m !== original),
        );
        return [200, { ok: true }];
      }
      const c = content(body);
      if ('rejected' in c) return [400, c.rejected];
      if (body.replace_original === true && own && body.response_type !== 'in_channel') {
        own.text = c.text;
        if (c.blocks) own.blocks = c.blocks;
        else delete own.blocks;
      } else if (body.replace_original === true) {
        if (!original) return [404, fail('message_not_found')];
        original.text = c.text;
        original.blocks = c.blocks;
        original.edited = { user: cfg.botUserId, ts: nextTs() };
      } else if (body.response_type === 'in_channel') {
        post(t.channel, c, str(body.thread_ts) ?? t.threadTs);
      } else {
        const e: FakeEphemeral = {
          channel: t.channel,
          user: t.user ?? '',
          ts: nextTs(),
          text: c.text,
          ...(c.blocks ? { blocks: c.blocks } : {}),
        };
        ephemeral.set(t.channel, [...(ephemeral.get(t.channel) ?? []), e]);
        used.last = e;
      }
      return [200, { ok: true }];
    },
  };
};
