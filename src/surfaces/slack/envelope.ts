import { z } from 'zod';

/**
 * The shapes of what Slack POSTs, as far as Bolt reads them before any listener runs. Bolt trusts
 * its input: `App.processEvent` classifies a body by which keys it has (`getTypeAndConversation`:
 * `event` → an event, `command` → a slash command, `name` or `block_suggestion` → options,
 * `actions` → an action, …) and then dereferences fields of that class without checking them
 * (`'channel' in body.event`, `body.user.id`, `body.view.app_installed_team_id`,
 * `body.response_urls[0].response_url`). A correctly signed body of another shape made it throw
 * before the ack: a 500. So every body is classified here the way Bolt will classify it, and
 * checked against the fields Bolt reads for that class; our listeners then check what they use.
 */

/** A JSON object (not null, not an array). */
const Obj = z.looseObject({});
const Str = z.string().min(1);

/** Events API: the envelope and the inner event fields Bolt reads (source, conversation, user). */
const EventCallback = z.looseObject({
  type: z.literal('event_callback'),
  team_id: Str.optional(),
  enterprise_id: Str.nullish(),
  event_id: Str.optional(),
  authorizations: z
    .array(
      z.looseObject({
        team_id: Str.nullish(),
        enterprise_id: Str.nullish(),
        user_id: Str.optional(),
        is_enterprise_install: z.boolean().optional(),
      }),
    )
    .optional(),
  event: z.looseObject({
    type: Str,
    // `'channel' in event`, then `.id` / `'creator' in event.channel` when not a string.
    channel: z.union([z.string(), Obj]).optional(),
    channel_id: z.string().optional(),
    // `typeof event.user === 'object'` is true for null too, and then `.id` throws.
    user: z.union([z.string(), Obj]).optional(),
    item: Obj.optional(),
    subteam: Obj.optional(),
  }),
});

/** Slash commands are form fields (always strings): the ones Bolt and our listener need. */
const Command = z.looseObject({
  command: z.string().regex(/^\/[\w-]+$/, 'must be a slash command such as /devops'),
  team_id: Str,
  user_id: Str,
  channel_id: Str,
  text: z.string().optional(),
  response_url: z.string().optional(),
});

/** What Bolt reads of every interactivity payload: who, which team or org, where, how to respond. */
const interaction = {
  type: Str,
  user: z.looseObject({ id: Str, team_id: Str.optional() }),
  team: z.looseObject({ id: Str.optional(), enterprise_id: Str.optional() }).nullish(),
  enterprise: z.looseObject({ id: Str.optional() }).nullish(),
  // `channel !== undefined ? channel.id : …`: present means an object.
  channel: z.looseObject({ id: Str.optional() }).optional(),
  response_url: z.string().optional(),
  response_urls: z.array(z.looseObject({ response_url: z.string() })).optional(),
  is_enterprise_install: z.boolean().optional(),
};

const Options = z.looseObject({ ...interaction, action_id: Str.optional(), value: z.string().optional() });
const Action = z.looseObject({
  ...interaction,
  actions: z.array(z.looseObject({ action_id: Str, value: z.string().optional() })).min(1),
});
const Shortcut = z.looseObject({ ...interaction, callback_id: z.string().optional() });
const ViewAction = z.looseObject({
  ...interaction,
  view: z.looseObject({
    id: z.string().optional(),
    callback_id: z.string().optional(),
    app_installed_team_id: Str.optional(),
  }),
});

/** How Bolt will treat a body (the order of `getTypeAndConversation`), or undefined: Bolt would ignore it. */
export type BoltClass = 'event' | 'command' | 'options' | 'action' | 'shortcut' | 'view';

export const boltClassOf = (body: Record<string, unknown>): BoltClass | undefined => {
  if (body.event !== undefined) return 'event';
  if (body.command !== undefined) return 'command';
  if (body.name !== undefined || body.type === 'block_suggestion') return 'options';
  if (body.actions !== undefined || body.type === 'dialog_submission') return 'action';
  if (body.type === 'shortcut' || body.type === 'message_action') return 'shortcut';
  if (body.type === 'view_submission' || body.type === 'view_closed') return 'view';
  return undefined;
};

/** The class each payload type Slack sends belongs to; a type not listed is not one Slack sends us. */
const typeClasses: Record<string, BoltClass> = {
  event_callback: 'event',
  block_actions: 'action',
  interactive_message: 'action',
  dialog_submission: 'action',
  block_suggestion: 'options',
  dialog_suggestion: 'options',
  view_submission: 'view',
  view_closed: 'view',
  shortcut: 'shortcut',
  message_action: 'shortcut',
};

export const classOfType = (type: string | undefined): BoltClass | undefined =>
  type !== undefined && Object.hasOwn(typeClasses, type) ? typeClasses[type] : undefined;

export const envelopeSchemas: Record<BoltClass, z.ZodType<Record<string, unknown>>> = {
  event: EventCallback,
  command: Command,
  options: Options,
  action: Action,
  shortcut: Shortcut,
  view: ViewAction,
};

/** The Slack payload types we know; one of another type is not from Slack as we know it (400). */
export const describeClass: Record<BoltClass, string> = {
  event: 'event',
  command: 'slash command',
  options: 'options request',
  action: 'interaction',
  shortcut: 'shortcut',
  view: 'view submission',
};
