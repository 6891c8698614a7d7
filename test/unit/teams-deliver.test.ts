import { describe, expect, it } from '@jest/globals';
import { renderReply, type TeamsMessage } from '../../src/surfaces/teams/cards.ts';
import { messageActivity } from '../../src/surfaces/teams/deliver.ts';

/** How a rendered Teams message becomes the activity the connector posts (src/surfaces/teams/deliver.ts). */
describe('messageActivity', () => {
  it('sends a card with a summary and no text; its mentions stay in the card’s msteams.entities only', () => {
    const m = renderReply({
      text: 'CR-1 approved',
      blocks: [{ type: 'text', text: '*Approved by <@teams:aad-alice|Alice>*' }],
    });
    const a = messageActivity(m) as Record<string, unknown>;
    expect(a).toMatchObject({ type: 'message', summary: 'CR-1 approved', attachments: m.attachments });
    expect(a.text).toBeUndefined();
    expect(a.entities).toBeUndefined();
    const content = m.attachments[0]!.content as { msteams: { entities: unknown[] }; body: Array<{ text?: string }> };
    expect(content.msteams.entities).toEqual([
      { type: 'mention', text: '<at>Alice</at>', mentioned: { id: 'aad-alice', name: 'Alice' } },
    ]);
    expect(content.body.some((b) => b.text?.includes('<at>Alice</at>'))).toBe(true);
  });

  it('a text-only message carries the entities of the mentions its text holds, and no others', () => {
    const mention = (name: string, id: string) => ({
      type: 'mention' as const,
      text: `<at>${name}</at>`,
      mentioned: { id, name },
    });
    const m: TeamsMessage = {
      text: 'Approved by <at>Alice</at>',
      attachments: [],
      entities: [mention('Alice', 'aad-alice'), mention('Bob', 'aad-bob')],
    };
    expect(messageActivity(m)).toEqual({
      type: 'message',
      text: 'Approved by <at>Alice</at>',
      entities: [mention('Alice', 'aad-alice')],
    });
    expect(messageActivity({ ...m, entities: [] })).toEqual({ type: 'message', text: 'Approved by <at>Alice</at>' });
  });
});
