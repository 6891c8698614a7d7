import { AppError } from '../../src/errors.ts';
import { actorKey, conversationKey } from '../../src/chat/actor.ts';
import type { Interaction, Turn } from '../../src/chat/interaction.ts';
import { reply, textReply, type Reply } from '../../src/chat/reply.ts';
import type { ConversationEngine } from '../../src/engine/engine.ts';
import { appendMessage, ensureConversation } from '../../src/engine/conversations.ts';
import type { Db } from '../../src/store/db.ts';
import type { ConsoleUser } from '../../src/surfaces/console/api.ts';

export interface EchoEngineOptions {
  /**
   * Runs inside each turn after the user's message is stored and before the answer, as a planner
   * and its tools would: a test reports progress from it and holds the turn on a promise it controls.
   */
  duringTurn?: (turn: Turn) => Promise<void>;
}

/**
 * A stand-in ConversationEngine for the HTTP and console tests. It keeps the real engine's storage
 * contract (a turn's or an interaction's replies are stored in the conversation), and answers with one reply using every block type.
 * `secret <text>` answers ephemerally; `fail` throws an unexpected error.
 */
export const createEchoEngine = (
  db: Db,
  opts: EchoEngineOptions = {},
): ConversationEngine & { turns: Turn[]; interactions: Interaction[] } => {
  const turns: Turn[] = [];
  const interactions: Interaction[] = [];

  const echo = (turn: Turn): Reply => {
    if (turn.text.startsWith('secret '))
      return textReply(`Only you can see this: ${turn.text.slice(7)}`, { ephemeral: true });
    return reply(
      [
        { type: 'header', text: 'Echo' },
        { type: 'text', text: `You said *${turn.text}* in \`#${turn.conversation.channelId}\`.` },
        {
          type: 'fields',
          fields: [
            { label: 'User', value: turn.actor.userId },
            { label: 'Length', value: String(turn.text.length) },
          ],
        },
        { type: 'table', columns: ['word', 'letters'], rows: turn.text.split(/\s+/).map((w) => [w, String(w.length)]) },
        {
          type: 'actions',
          buttons: [
            { actionId: 'echo.confirm', label: 'Confirm', value: turn.text, style: 'primary' },
            { actionId: 'echo.cancel', label: 'Cancel', value: turn.text, style: 'danger' },
          ],
        },
        { type: 'context', text: 'echo engine · test double' },
      ],
      { sandbox: true },
    );
  };

  return {
    turns,
    interactions,
    async handleTurn(turn) {
      turns.push(turn);
      if (turn.text === 'fail') throw new Error('echo engine exploded with a secret stack');
      const conversationId = await ensureConversation(db, turn.conversation);
      const who = actorKey(turn.actor);
      await appendMessage(db, { conversationId, author: 'user', actorKey: who, text: turn.text });
      await opts.duringTurn?.(turn);
      const r = echo(turn);
      await appendMessage(db, {
        conversationId,
        author: 'bot',
        text: r.text,
        reply: r,
        visibleTo: r.ephemeral ? who : null,
      });
      return [r];
    },
    async handleInteraction(interaction) {
      interactions.push(interaction);
      const conversationId = await ensureConversation(db, interaction.conversation);
      const r = textReply(`${interaction.actor.displayName} chose ${interaction.actionId} on "${interaction.value}"`);
      await appendMessage(db, { conversationId, author: 'bot', text: r.text, reply: r });
      return [r];
    },
    async cardPosted() {},
    async home(actor) {
      return textReply(`home of ${actor.displayName}`);
    },
    async options(q) {
      if (q.source !== 'echo') throw new AppError('bad_request', `There is no option source called ${q.source}.`);
      return [{ label: `echo ${q.query}`, value: q.query || 'empty' }];
    },
  };
};

export const consoleUsers: ConsoleUser[] = [
  { userId: 'alice', displayName: 'Alice', role: 'operator' },
  { userId: 'bob', displayName: 'Bob', role: 'approver' },
  { userId: 'carol', displayName: 'Carol', role: 'viewer' },
  { userId: 'dave', displayName: 'Dave', role: 'admin' },
];

export const opsConversationId = conversationKey({ surface: 'console', workspaceId: 'console', channelId: 'ops' });
