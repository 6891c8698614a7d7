import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import os from 'node:os';
import { PassThrough } from 'node:stream';
import { createLogger } from '../../src/observability/logger.ts';
import { createLiveBus, createMemoryLiveBus } from '../../src/store/live.ts';
import { createPostgresLiveBus, type PostgresLiveBus } from '../../src/store/live-postgres.ts';
import { openStore, type Store } from '../../src/store/open.ts';
import type { LiveBus, LiveEvent } from '../../src/util/live.ts';
import { createTestStore, testStoreTimeoutMs, type TestStore } from '../helpers/db.ts';
import { waitFor } from '../helpers/wait-for.ts';

/**
 * The live bus on the store it runs on: in memory on embedded PGlite (one process), over
 * LISTEN/NOTIFY on PostgreSQL, where two Store instances on one database are two replicas.
 */
const silent = createLogger('silent');

/** Everything a subscriber of `bus` hears, and how many times it was told to resync. */
const listen = (bus: LiveBus) => {
  const events: LiveEvent[] = [];
  const heard = { events, resyncs: 0, stop: () => undefined as void };
  heard.stop = bus.subscribe(
    (e) => events.push(e),
    () => heard.resyncs++,
  );
  return heard;
};

const message = (messageId: number): LiveEvent => ({
  kind: 'message',
  workspaceId: 'console',
  conversationKey: 'console:console:ops:',
  messageId,
});

describe('the live bus on the store in use', () => {
  let store: TestStore;
  let bus: LiveBus;
  beforeAll(async () => {
    store = await createTestStore();
    bus = await createLiveBus(store, silent);
  }, testStoreTimeoutMs);
  afterAll(async () => {
    await bus?.close();
    await store?.dispose();
  });

  it('delivers a published event once to every subscriber, the publisher included, never inside publish', async () => {
    const one = listen(bus);
    const two = listen(bus);
    bus.publish(message(1));
    // Fire and forget: nothing is delivered during the call.
    expect(one.events).toEqual([]);
    await waitFor(() => one.events.length > 0 && two.events.length > 0, { what: 'both subscribers', timeoutMs: 5_000 });
    bus.publish(message(2));
    await waitFor(() => one.events.length === 2 && two.events.length === 2, { what: 'event 2', timeoutMs: 5_000 });
    expect(one.events).toEqual([message(1), message(2)]);
    expect(two.events).toEqual([message(1), message(2)]);
    one.stop();
    two.stop();
  });

  it('drops an event too large to send, with a log line, and keeps going', async () => {
    const lines: string[] = [];
    const sink = new PassThrough();
    sink.on('data', (c: Buffer) => lines.push(c.toString()));
    const logged = await createLiveBus(store, createLogger('warn', sink));
    try {
      const heard = listen(logged);
      logged.publish({ kind: 'inventory', workspaceId: '*', source: 'x'.repeat(3_000) });
      logged.publish({ kind: 'inventory', workspaceId: '*', source: 'aws:prod:us-east-1' });
      await waitFor(() => heard.events.length > 0, { what: 'the small event', timeoutMs: 5_000 });
      expect(heard.events).toEqual([{ kind: 'inventory', workspaceId: '*', source: 'aws:prod:us-east-1' }]);
      expect(lines.join('')).toContain('live event too large; dropped');
    } finally {
      await logged.close();
    }
  });

  it('a subscriber that throws does not keep the others from hearing', async () => {
    const stop = bus.subscribe(() => {
      throw new Error('broken page');
    });
    const ok = listen(bus);
    bus.publish(message(3));
    await waitFor(() => ok.events.length > 0, { what: 'the healthy subscriber', timeoutMs: 5_000 });
    stop();
    ok.stop();
  });

  it('hears nothing after close', async () => {
    const closing = store.embedded ? createMemoryLiveBus(silent) : await createLiveBus(store, silent);
    const heard = listen(closing);
    await closing.close();
    closing.publish(message(4));
    bus.publish(message(5));
    // The open bus hears event 5; by then the closed one would have heard it too.
    const probe = listen(bus);
    bus.publish(message(6));
    await waitFor(() => probe.events.some((e) => e.kind === 'message' && e.messageId === 6), {
      what: 'event 6 on the open bus',
      timeoutMs: 5_000,
    });
    probe.stop();
    expect(heard.events).toEqual([]);
  });
});

const onServer = process.env.DATABASE_URL ? describe : describe.skip;

onServer('the live bus across replicas (PostgreSQL LISTEN/NOTIFY)', () => {
  let store: TestStore;
  let second: Store;
  let a: PostgresLiveBus;
  let b: PostgresLiveBus;
  beforeAll(async () => {
    store = await createTestStore();
    // A second Store on the same database: another replica.
    second = await openStore({ databaseUrl: store.connectionString, dataDir: os.tmpdir(), poolMax: 2, logger: silent });
    a = await createPostgresLiveBus({ connectionString: store.connectionString, pool: store.pool, logger: silent });
    b = await createPostgresLiveBus({
      connectionString: second.connectionString,
      pool: second.pool,
      logger: silent,
      backoffMs: 50,
      maxBackoffMs: 200,
    });
  }, testStoreTimeoutMs);
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await second?.close();
    await store?.dispose();
  });

  it('an event published on one replica reaches both, once each', async () => {
    const onA = listen(a);
    const onB = listen(b);
    a.publish(message(10));
    b.publish(message(11));
    await waitFor(() => onA.events.length === 2 && onB.events.length === 2, {
      what: 'both events on both replicas',
      timeoutMs: 5_000,
      detail: () => ({ a: onA.events, b: onB.events }),
    });
    for (const heard of [onA, onB])
      expect(heard.events.map((e) => (e.kind === 'message' ? e.messageId : 0)).sort()).toEqual([10, 11]);
    // Once: nothing more arrives after a later event has.
    a.publish(message(12));
    await waitFor(() => onB.events.length === 3 && onA.events.length === 3, { what: 'event 12', timeoutMs: 5_000 });
    onA.stop();
    onB.stop();
  });

  it('a payload that is no event (another version, a stray NOTIFY) is dropped', async () => {
    const onB = listen(b);
    await store.pool.query("SELECT pg_notify('devops_agent_live', $1)", ['{"kind":"teleport","to":"mars"}']);
    await store.pool.query("SELECT pg_notify('devops_agent_live', $1)", ['not json']);
    a.publish(message(13));
    await waitFor(() => onB.events.length > 0, { what: 'event 13', timeoutMs: 5_000 });
    expect(onB.events).toEqual([message(13)]);
    onB.stop();
  });

  it("reconnects after its listener's backend is terminated, says resync, and hears again", async () => {
    const onB = listen(b);
    const pid = b.listenerPid;
    expect(pid).toEqual(expect.any(Number));
    const before = b.connects;
    await store.pool.query('SELECT pg_terminate_backend($1)', [pid]);
    await waitFor(() => onB.resyncs === 1, {
      what: 'replica B to reconnect and resync',
      timeoutMs: 10_000,
      detail: () => ({ connects: b.connects, pid: b.listenerPid }),
    });
    expect(b.connects).toBe(before + 1);
    expect(b.listenerPid).not.toBe(pid);
    a.publish(message(14));
    await waitFor(() => onB.events.some((e) => e.kind === 'message' && e.messageId === 14), {
      what: 'event 14 after the reconnect',
      timeoutMs: 5_000,
    });
    onB.stop();
  });
});
