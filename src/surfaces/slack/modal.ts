import { z } from 'zod';
import type { Form, FormField } from '../../chat/reply.ts';
import { toPlain, truncate } from './mrkdwn.ts';

/**
 * A neutral Form as a Slack modal (views.open), and back: the submitted state as
 * `Interaction.inputs`, the engine's `fieldErrors` as `response_action: errors` on the same
 * blocks. Each field is one input block, `block_id` = `f:<field name>`, `action_id` = `value` (a
 * search field: `o:<options source>`, which block_suggestion requests carry back to us).
 */
export const FORM_CALLBACK_ID = 'devops.form';
const VALUE_ACTION = 'value';
const PRIVATE_METADATA_MAX = 3000;

/** Where the click happened and what it meant, carried through the modal in private_metadata. */
export const ModalContext = z.object({
  /** Neutral action id and value of the button that opened the modal. */
  a: z.string().min(1).max(100),
  v: z.string().max(2000),
  /** Channel and thread of the clicked message; absent when clicked on the Home tab. */
  c: z.string().min(1).optional(),
  t: z.string().min(1).optional(),
});
export type ModalContext = z.infer<typeof ModalContext>;

const plain = (text: string, max: number) => ({
  type: 'plain_text' as const,
  text: truncate(toPlain(text) || '…', max),
  emoji: true,
});

export const blockIdFor = (field: string): string => `f:${field}`;

/** action_id of a search field's menu: Slack sends it back in block_suggestion, naming the options source. */
const SEARCH_PREFIX = 'o:';
export const searchActionId = (source: string): string => `${SEARCH_PREFIX}${source}`;
export const sourceOfActionId = (actionId: string): string | undefined =>
  actionId.startsWith(SEARCH_PREFIX) ? actionId.slice(SEARCH_PREFIX.length) : undefined;

const element = (f: FormField): Record<string, unknown> => {
  const placeholder = f.placeholder ? { placeholder: plain(f.placeholder, 150) } : {};
  if (f.kind === 'search' && f.source) {
    // Options are loaded from /slack/events (block_suggestion) as the person types; none typed yet: the first ones.
    return { type: 'external_select', action_id: searchActionId(f.source), min_query_length: 0, ...placeholder };
  }
  if (f.kind === 'select' && f.options && f.options.length > 0) {
    return {
      type: 'static_select',
      action_id: VALUE_ACTION,
      ...placeholder,
      options: f.options.slice(0, 100).map((o) => ({ text: plain(o.label, 75), value: o.value.slice(0, 150) })),
    };
  }
  return {
    type: 'plain_text_input',
    action_id: VALUE_ACTION,
    multiline: f.multiline ?? false,
    max_length: 2000,
    ...placeholder,
  };
};

/** The modal view, or null when the context is too large for private_metadata (a 2,000-character value nearly is). */
export const modalView = (form: Form, context: ModalContext): Record<string, unknown> | null => {
  const metadata = JSON.stringify(context);
  if (metadata.length > PRIVATE_METADATA_MAX) return null;
  return {
    type: 'modal',
    callback_id: FORM_CALLBACK_ID,
    title: plain(form.title, 24),
    submit: plain(form.submitLabel, 24),
    close: plain('Cancel', 24),
    private_metadata: metadata,
    blocks: form.fields.map((f) => ({
      type: 'input',
      block_id: blockIdFor(f.name),
      optional: !f.required,
      label: plain(f.label, 2000),
      element: element(f),
    })),
  };
};

const StateValue = z.looseObject({
  value: z.string().nullish(),
  selected_option: z.looseObject({ value: z.string() }).nullish(),
});
const State = z.record(z.string(), z.record(z.string(), StateValue));

/** `view.state.values` → `{ field: value }`; empty optional fields are left out. */
export const formInputs = (stateValues: unknown): Record<string, string> => {
  const parsed = State.safeParse(stateValues ?? {});
  if (!parsed.success) return {};
  const inputs: Record<string, string> = {};
  for (const [blockId, actions] of Object.entries(parsed.data)) {
    if (!blockId.startsWith('f:')) continue;
    // One element per block: `value`, or a search menu named after its source.
    const v = actions[VALUE_ACTION] ?? Object.entries(actions).find(([id]) => sourceOfActionId(id) !== undefined)?.[1];
    const value = v?.selected_option?.value ?? v?.value ?? undefined;
    if (value !== undefined && value !== null && value.trim() !== '') inputs[blockId.slice(2)] = value;
  }
  return inputs;
};

/** The engine's field errors for the fields this modal has, keyed by block id; short, as they show under the field. */
export const responseErrors = (
  fieldErrors: Record<string, string>,
  submitted: Record<string, string>,
  blockIds: string[],
): Record<string, string> | null => {
  const errors: Record<string, string> = {};
  for (const [field, message] of Object.entries(fieldErrors)) {
    const id = blockIdFor(field);
    if (blockIds.includes(id) || field in submitted) errors[id] = truncate(toPlain(message), 150);
  }
  return Object.keys(errors).length > 0 ? errors : null;
};

export const parseModalContext = (privateMetadata: unknown): ModalContext | null => {
  if (typeof privateMetadata !== 'string') return null;
  try {
    const r = ModalContext.safeParse(JSON.parse(privateMetadata));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
};
