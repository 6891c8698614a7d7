import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eq } from 'drizzle-orm';
import { listAuditEvents, verifyAudit } from '../../src/changes/audit.ts';
import { listCardCopies, recordCardCopy } from '../../src/changes/card-copies.ts';
import { loadPolicy } from '../../src/changes/policy.ts';
import { messages, processedEvents } from '../../src/engine/schema.ts';
import { pruneExpired, retentionJob } from '../../src/engine/retention.ts';
import { ensureConversation } from '../../src/engine/conversations.ts';
import { createTestStore, testStoreTimeoutMs, type TestStore } from '../helpers/db.ts';
import { click, startTestApp, turn, type TestApp } from '../helpers/app.ts';
import { harness, manualClock } from '../fixtures/changes-harness.ts';
import { conversation, person, planFor } from '../fixtures/changes-plans.ts';
import { waitFor } from '../helpers/wait-for.ts';

/**
 * Retention (docs/architecture.md#retention): processed event ids and messages older than their
 * period are deleted in bounded batches; live change card copies, change requests and the audit
 * log stay. A fixed clock decides what is old.
 */
const day = 86_400_000;
const now = new Date('2026-11-02T10:00:00.000Z');
const ago = (ms: number): Date => new Date(now.getTime() - ms);
const periods = { processedEventsMs: 7 * day, messagesMs: 90 * day };

describe('pruneExpired', () => {
  let store: TestStore;
  beforeAll(async () => {
    store = await createTestStore();
  }, testStoreTimeoutMs);
  afterAll(() => store?.dispose());

  const eventIds = async (): Promise<string[]> =>
    (await store.db.select({ id: processedEvents.id }).from(processedEvents)).map((r) => r.id).sort();
  const messageTexts = async (): Promise<string[]> =>
    (await store.db.select({ text: messages.text }).from(messages)).map((r) => r.text).sort();
  const addEvents = (ids: string[], at: Date) =>
    store.db.insert(processedEvents).values(ids.map((id) => ({ id, receivedAt: at })));

  it('deletes processed event ids older than their period, oldest first, in bounded batches', async () => {
    await addEvents(['old-1', 'old-2', 'old-3', 'old-4', 'old-5'], ago(8 * day));
    await addEvents(['edge'], ago(7 * day));
    await addEvents(['recent'], ago(6 * day));

    const [outcome] = await pruneExpired(store.db, now, { ...periods, messagesMs: 0 }, { batchSize: 2 });
    expect(outcome).toEqual({
      table: 'processed_events',
      before: ago(7 * day),
      deleted: 5,
      batches: 3,
      more: false,
    });
    expect(await eventIds()).toEqual(['edge', 'recent']);
  });

  it('stops a run after maxBatches and the next run goes on', async () => {
    await addEvents(['b-1', 'b-2', 'b-3', 'b-4', 'b-5'], ago(30 * day));
    const limits = { batchSize: 2, maxBatches: 2 };
    const off = { ...periods, messagesMs: 0 };
    expect(await pruneExpired(store.db, now, off, limits)).toMatchObject([{ deleted: 4, batches: 2, more: true }]);
    expect(await pruneExpired(store.db, now, off, limits)).toMatchObject([{ deleted: 1, batches: 1, more: false }]);
    expect(await eventIds()).toEqual(['edge', 'recent']);
  });

  it('keeps live change cards, removes the copies of final ones with their messages, and never touches the audit log', async () => {
    const conversationId = await ensureConversation(store.db, {
      surface: 'console',
      workspaceId: 'console',
      channelId: 'ops',
    });
    const say = async (text: string, at: Date): Promise<number> => {
      const [row] = await store.db
        .insert(messages)
        .values({ conversationId, author: 'bot', text, createdAt: at, updatedAt: at })
        .returning({ id: messages.id });
      return row!.id;
    };
    const h = harness(store.db, {
      policy: loadPolicy({
        requesterRoles: ['operator'],
        rules: [{ name: 'one', approvals: 1, approverRoles: ['approver'] }],
      }),
    });
    const alice = person('alice');
    const pending = await h.service.request(planFor({ resourceName: 'p' }), alice, 'operator', conversation);
    const succeeded = await h.service.request(planFor({ resourceName: 's' }), alice, 'operator', conversation);
    await h.service.approve(succeeded.id, person('bob'), 'approver');
    const rejected = await h.service.request(planFor({ resourceName: 'r' }), alice, 'operator', conversation);
    await h.service.reject(rejected.id, person('bob'), 'approver', 'no');

    const ops = { surface: 'console' as const, workspaceId: 'console', channelId: 'ops' };
    const copy = async (changeId: string, text: string) =>
      recordCardCopy(store.db, changeId, {
        surface: 'console',
        conversation: ops,
        messageId: String(await say(text, ago(200 * day))),
      });
    await copy(pending.id, 'card of the pending change');
    await copy(succeeded.id, 'card of the succeeded change (a rollback would update it)');
    await copy(rejected.id, 'card of the rejected change');
    // A Slack copy's message id is Slack's, not a row here.
    await recordCardCopy(store.db, rejected.id, { surface: 'slack', conversation, messageId: '1700000000.000200' });
    await say('old chatter 1', ago(91 * day));
    await say('old chatter 2', ago(120 * day));
    await say('recent chatter', ago(89 * day));
    const auditBefore = await verifyAudit(store.db);
    const eventsOfRejected = (await listAuditEvents(store.db, { subject: rejected.id })).length;

    const outcomes = await pruneExpired(store.db, now, { ...periods, processedEventsMs: 0 }, { batchSize: 2 });
    expect(outcomes).toEqual([{ table: 'messages', before: ago(90 * day), deleted: 3, batches: 2, more: false }]);
    expect(await messageTexts()).toEqual([
      'card of the pending change',
      'card of the succeeded change (a rollback would update it)',
      'recent chatter',
    ]);
    expect((await listCardCopies(store.db, pending.id)).map((c) => c.surface)).toEqual(['console']);
    expect((await listCardCopies(store.db, succeeded.id)).map((c) => c.surface)).toEqual(['console']);
    expect((await listCardCopies(store.db, rejected.id)).map((c) => c.surface)).toEqual(['slack']);

    // Change requests and the audit log are never pruned: the chain is as it was.
    expect((await h.service.get(rejected.id))?.status).toBe('rejected');
    expect((await listAuditEvents(store.db, { subject: rejected.id })).length).toBe(eventsOfRejected);
    expect(await verifyAudit(store.db)).toEqual(auditBefore);
  });

  it('keeps everything when both periods are 0 (off)', async () => {
    await addEvents(['ancient'], ago(1_000 * day));
    const texts = await messageTexts();
    expect(await pruneExpired(store.db, now, { processedEventsMs: 0, messagesMs: 0 })).toEqual([]);
    expect(await eventIds()).toContain('ancient');
    expect(await messageTexts()).toEqual(texts);
  });
});

describe('the retention.prune job in the app', () => {
  let app: TestApp;
  // A clock the test moves by hand, starting at the database's present (rows get the database's now()).
  const clock = manualClock(new Date().toISOString());
  beforeAll(async () => {
    // The change must still be approvable after the clock jumps: a long approval window.
    app = await startTestApp({ RETENTION_MESSAGES: '1d', APPROVAL_TTL: '30d' }, { jobs: true, now: clock.now });
  }, 60_000);
  afterAll(() => app?.stop());

  const opsLog = async (): Promise<Array<{ text: string; reply: { changeId?: string } | null }>> => {
    const res = await fetch(`${app.url}/console/api/messages?user=bob`);
    return ((await res.json()) as { messages: Array<{ text: string; reply: { changeId?: string } | null }> }).messages;
  };

  it('deletes old chatter and processed event ids, keeps the live card, which still updates', async () => {
    await turn(app, 'alice', 'list instances env=prod');
    const [card] = await turn(app, 'alice', 'stop web-prod-1');
    const id = card!.changeId!;
    await app.testStore.db.insert(processedEvents).values({ id: 'Ev-old' });
    expect((await opsLog()).some((m) => m.text.startsWith('Instances env=prod'))).toBe(true);

    clock.advance(8 * day); // past both periods (1 d for messages, the default 7 d for event ids)
    await app.scheduler.now(retentionJob);
    await waitFor(async () => !(await opsLog()).some((m) => m.text.startsWith('Instances env=prod')), {
      what: 'the retention job to delete the old messages',
      timeoutMs: 20_000,
    });
    await waitFor(
      async () =>
        (await app.testStore.db.select().from(processedEvents).where(eq(processedEvents.id, 'Ev-old'))).length === 0,
      { what: 'the retention job to delete the old event id', timeoutMs: 20_000 },
    );
    const cards = (await opsLog()).filter((m) => m.reply?.changeId === id);
    expect(cards.length).toBeGreaterThan(0);

    // The kept copies are still updated in place when the change moves on.
    await click(app, 'bob', 'change.approve', id);
    await waitFor(
      async () =>
        (await opsLog()).filter((m) => m.reply?.changeId === id).every((m) => !m.text.includes('waiting for approval')),
      { what: `every copy of ${id}'s card to be updated`, timeoutMs: 20_000 },
    );
    expect((await app.changes.get(id))?.status).toBe('succeeded');
  });
});
