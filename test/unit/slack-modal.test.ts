import { describe, expect, it } from '@jest/globals';
import { FormField, type Form } from '../../src/chat/reply.ts';
import {
  formInputs,
  modalView,
  parseModalContext,
  responseErrors,
  sourceOfActionId,
} from '../../src/surfaces/slack/modal.ts';
import { checkView } from '../fakes/slack-api-blocks.ts';

/** Neutral forms as Slack modals, and the submitted state back as Interaction.inputs. */
const form: Form = {
  title: 'Stop an instance',
  submitLabel: 'Next',
  fields: [
    {
      name: 'resource',
      label: 'Name or id',
      kind: 'search',
      required: true,
      source: 'resources?action=stop',
      placeholder: 'Type part of a name',
    },
    {
      name: 'size',
      label: 'New size',
      kind: 'select',
      required: false,
      options: [{ label: 't3.large', value: 't3.large' }],
    },
    { name: 'reason', label: 'Reason', kind: 'text', required: false, multiline: true },
  ],
};

describe('Slack modals from neutral forms', () => {
  it('renders a search field as an external_select named after its options source, valid for Slack', () => {
    const view = modalView(form, {
      a: 'command.run',
      v: '{"tool":"power_action","input":{"action":"stop"}}',
      c: 'C1',
      t: '1.2',
    })!;
    expect(checkView(view, 'modal')).toBeNull();
    const blocks = view.blocks as Array<{ block_id: string; optional: boolean; element: Record<string, unknown> }>;
    expect(blocks.map((b) => [b.block_id, b.element.type, b.optional])).toEqual([
      ['f:resource', 'external_select', false],
      ['f:size', 'static_select', true],
      ['f:reason', 'plain_text_input', true],
    ]);
    expect(sourceOfActionId(String(blocks[0]!.element.action_id))).toBe('resources?action=stop');
    expect(sourceOfActionId('value')).toBeUndefined();
    expect(parseModalContext(view.private_metadata)).toEqual({
      a: 'command.run',
      v: '{"tool":"power_action","input":{"action":"stop"}}',
      c: 'C1',
      t: '1.2',
    });
  });

  it('reads picked options (static and external) and typed text back as inputs; empty optional fields are left out', () => {
    const state = {
      'f:resource': {
        'o:resources?action=stop': {
          type: 'external_select',
          selected_option: { text: { type: 'plain_text', text: 'web-1' }, value: 'i-0abc' },
        },
      },
      'f:size': { value: { type: 'static_select', selected_option: null } },
      'f:reason': { value: { type: 'plain_text_input', value: '  ' } },
      other: { value: { type: 'plain_text_input', value: 'ignored' } },
    };
    expect(formInputs(state)).toEqual({ resource: 'i-0abc' });
    expect(formInputs('garbage')).toEqual({});
  });

  it('puts field errors on the blocks the modal has', () => {
    expect(
      responseErrors({ resource: 'No instance called x.', elsewhere: 'n/a' }, { resource: 'x' }, ['f:resource']),
    ).toEqual({ 'f:resource': 'No instance called x.' });
    expect(responseErrors({ elsewhere: 'n/a' }, {}, ['f:resource'])).toBeNull();
  });

  it('refuses a search field without a source, and a source on any other field', () => {
    expect(FormField.safeParse({ name: 'r', label: 'R', kind: 'search', required: true }).success).toBe(false);
    expect(
      FormField.safeParse({ name: 'r', label: 'R', kind: 'text', required: true, source: 'resources' }).success,
    ).toBe(false);
    expect(
      FormField.safeParse({ name: 'r', label: 'R', kind: 'search', required: true, source: 'Bad Source!' }).success,
    ).toBe(false);
  });
});
