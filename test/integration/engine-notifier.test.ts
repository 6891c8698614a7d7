import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { ConversationRef } from '../../src/chat/actor.ts';
import type { Reply } from '../../src/chat/reply.ts';
import type { ChatSurface, PostedMessage } from '../../src/chat/surface.ts';
import type { ChangeRequest } from '../../src/changes/model.ts';
import { createChangeNotifier } from '../../src/engine/notifier.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createTestStore, type TestStore } from '../helpers/db.ts';
import { waitFor } from '../helpers/wait-for.ts';

/** The notifier never holds a change up for long, and still applies its updates in order. */
let store: TestStore;
beforeAll(async () => {
  store = await createTestStore();
});
afterAll(async () => {
  await store?.dispose();
});

const ops: ConversationRef = { surface: 'slack', workspaceId: 'T1', channelId: 'C1', threadId: '1.1' };
const approvals: ConversationRef = { surface: 'slack', workspaceId: 'T1', channelId: 'CAPPROVE' };

const change = (status: ChangeRequest['status'], autoApprove = false): ChangeRequest =>
  ({
    id: 'CR-9',
    workspaceId: 'T1',
    status,
    requesterKey: 'slack:T1:U1',
    conversation: ops,
    decisions: [],
    decidedBy: null,
    reason: null,
    requester: { surface: 'slack', workspaceId: 'T1', userId: 'U1', displayName: 'Alice' },
    policy: {
      rule: autoApprove ? 'dev' : 'production',
      approvals: autoApprove ? 0 : 1,
      approverRoles: ['approver', 'admin'],
      allowSelfApproval: false,
      autoApprove,
    },
    approvalsRequired: 1,
    expiresAt: null,
    rollbackData: null,
    result: null,
    error: null,
    createdAt: new Date(),
    updatedAt: new Date(),
    startedAt: null,
    finishedAt: null,
    gate: null,
    gateDecisions: [],
    plan: {
      action: 'stop',
      target: { provider: 'aws', account: '1', region: 'us-east-1', type: 'instance', id: 'i-1' },
      resourceName: 'web-1',
      environment: 'prod',
      params: {},
      summary: 'Stop web-1',
      blastRadius: 'web-1 stops',
      costDeltaCents: 0,
      rollback: null,
    },
  }) as ChangeRequest;

it('waits at most waitMs for a slow surface, and applies later updates after it, in order', async () => {
  const events: string[] = [];
  let release!: () => void;
  const slowPost = new Promise<void>((r) => (release = r));
  const surface: ChatSurface = {
    name: 'slack',
    post: async (conversation: ConversationRef, reply: Reply): Promise<PostedMessage> => {
      events.push(`post ${conversation.channelId} ${reply.text.split(':')[0]}`);
      await slowPost;
      return { surface: 'slack', conversation, messageId: '2.2' };
    },
    update: async (m: PostedMessage, reply: Reply) =>
      void events.push(`update ${m.conversation.channelId} ${reply.text.split(':')[0]}`),
    approvalChannels: () => [approvals],
  };
  const notifier = createChangeNotifier({
    db: store.db,
    surfaces: new Map([['slack', surface]]),
    logger: createLogger('silent'),
    sandbox: false,
    waitMs: 50,
  });

  const t0 = performance.now();
  await notifier.changed(change('pending'), 'requested');
  expect(performance.now() - t0).toBeLessThan(1_000);
  await notifier.changed(change('rejected'), 'rejected');
  expect(events).toEqual(['post CAPPROVE CR-9 waiting for approval']);

  release();
  // The queued delivery goes on in the background once the slow post returns: wait for it (bounded).
  await waitFor(() => events.length >= 3, {
    what: 'the queued update and the requester notice',
    timeoutMs: 10_000,
    intervalMs: 10,
    detail: () => events,
  });
  // The approval-channel copy was recorded first, then updated, then the requester was told.
  expect(events).toEqual([
    'post CAPPROVE CR-9 waiting for approval',
    'update CAPPROVE CR-9 rejected',
    'post C1 🚫 CR-9',
  ]);
});

it('posts no approval card for an auto-approved change', async () => {
  const posted: string[] = [];
  const surface: ChatSurface = {
    name: 'slack',
    post: async (conversation) => (
      posted.push(conversation.channelId),
      { surface: 'slack', conversation, messageId: '3.3' }
    ),
    update: async () => undefined,
    approvalChannels: () => [approvals],
  };
  const notifier = createChangeNotifier({
    db: store.db,
    surfaces: new Map([['slack', surface]]),
    logger: createLogger('silent'),
    sandbox: false,
  });
  await notifier.changed(change('pending', true), 'requested');
  await notifier.changed(change('succeeded', true), 'succeeded');
  expect(posted).toEqual([]);
});
