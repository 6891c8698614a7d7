import { describe, expect, it } from '@jest/globals';
import { Interaction, OptionsQuery, Turn } from '../../src/chat/interaction.ts';
import { storableText } from '../../src/chat/text.ts';

/** What PostgreSQL cannot keep (NUL; lone surrogates in jsonb) leaves typed text at the chat model's boundary. */
describe('storableText', () => {
  it('drops NUL and replaces lone surrogates with U+FFFD, leaving everything else as typed', () => {
    expect(storableText('a\u0000b\u0000')).toBe('ab');
    expect(storableText('x\ud800y')).toBe('x\ufffdy');
    expect(storableText('\udc00')).toBe('\ufffd');
    expect(storableText('high at the end \ud83d')).toBe('high at the end \ufffd');
    // A well-formed pair (an emoji) and ordinary control characters stay.
    expect(storableText('ok 👍 tab\tnewline\n')).toBe('ok 👍 tab\tnewline\n');
    expect(storableText('')).toBe('');
  });

  it('applies to every text the engine reads: turns, names, clicks, form inputs and option queries', () => {
    const actor = { surface: 'console', workspaceId: 'console', userId: 'u', displayName: 'Al\u0000ice' } as const;
    const conversation = { surface: 'console', workspaceId: 'console', channelId: 'ops' } as const;
    const turn = Turn.parse({ actor, conversation, text: 'list\u0000 instances \ud800' });
    expect([turn.text, turn.actor.displayName]).toEqual(['list instances \ufffd', 'Alice']);
    const click = Interaction.parse({
      actor,
      conversation,
      actionId: 'change.reject',
      value: 'CR-1\u0000',
      inputs: { reason: 'no\udc00' },
    });
    expect([click.value, click.inputs]).toEqual(['CR-1', { reason: 'no\ufffd' }]);
    const q = OptionsQuery.parse({ actor, conversation, source: 'resources', query: 'web\u0000' });
    expect(q.query).toBe('web');
  });
});
