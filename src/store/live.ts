import type { Logger } from '../observability/logger.ts';
import type { LiveBus } from '../util/live.ts';
import { createFanOut, encodeLiveEvent } from './live-fanout.ts';
import { createPostgresLiveBus, type PostgresLiveOptions } from './live-postgres.ts';
import type { Store } from './open.ts';

/**
 * The embedded store's bus: PGlite serves one process by construction (its data dir is locked),
 * and its LISTEN/NOTIFY does not cross connections, so events fan out in memory. Delivered on a
 * later turn of the event loop, never inside the publisher's call.
 */
export const createMemoryLiveBus = (logger: Logger): LiveBus => {
  const log = logger.child({ component: 'live' });
  const fanOut = createFanOut(log);
  let closed = false;
  return {
    publish: (event) => {
      if (closed) return;
      const payload = encodeLiveEvent(event, log);
      // The same copy a NOTIFY would carry: a subscriber never shares the publisher's object.
      if (payload !== undefined) setImmediate(() => !closed && fanOut.deliver(JSON.parse(payload)));
    },
    subscribe: (listener, resync) => fanOut.subscribe(listener, resync),
    close: async () => {
      closed = true;
      fanOut.clear();
    },
  };
};

/**
 * The live bus of a store (src/util/live.ts): PostgreSQL LISTEN/NOTIFY on a server (every replica
 * hears every event), in memory on the embedded store. Rejects when the first LISTEN fails.
 */
export const createLiveBus = async (
  store: Pick<Store, 'embedded' | 'connectionString' | 'pool'>,
  logger: Logger,
  opts: Pick<PostgresLiveOptions, 'backoffMs' | 'maxBackoffMs' | 'pingMs' | 'channel'> = {},
): Promise<LiveBus> =>
  store.embedded
    ? createMemoryLiveBus(logger)
    : createPostgresLiveBus({ connectionString: store.connectionString, pool: store.pool, logger, ...opts });
