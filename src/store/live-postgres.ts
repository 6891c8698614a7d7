import pg from 'pg';
import { z } from 'zod';
import { AppError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { LiveBus, LiveEvent } from '../util/live.ts';
import { createFanOut, encodeLiveEvent } from './live-fanout.ts';
import { describeConnectError } from './pool.ts';

/** The one NOTIFY channel every replica listens on. */
export const liveChannel = 'devops_agent_live';

const id = z.string().min(1).max(200);
const status = z.string().min(1).max(40);
const count = z.number().int().nonnegative();
/** What a NOTIFY payload must be (another replica may run another version: anything else is dropped). */
export const LiveEventSchema: z.ZodType<LiveEvent> = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('message'),
    workspaceId: id,
    conversationKey: z.string().min(1).max(600),
    messageId: count,
  }),
  z.object({ kind: z.literal('change'), workspaceId: id, changeId: id, status }),
  z.object({ kind: z.literal('workflow'), workspaceId: id, runId: id, status, step: id.optional() }),
  z.object({
    kind: z.literal('scan'),
    workspaceId: id,
    scanId: id,
    status,
    done: count.optional(),
    total: count.optional(),
  }),
  z.object({ kind: z.literal('incident'), workspaceId: id, incidentId: id, status }),
  z.object({ kind: z.literal('inventory'), workspaceId: z.literal('*'), source: id }),
]);

export interface PostgresLiveOptions {
  /** May hold a password: passed to the client, never logged. */
  connectionString: string;
  /** Publishes go through the store's pool (`SELECT pg_notify`). */
  pool: Pick<pg.Pool, 'query'>;
  logger: Logger;
  channel?: string;
  /** First reconnect delay, doubled per failed attempt up to `maxBackoffMs` (defaults 250 ms, 10 s). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** How often the listening connection is checked with `SELECT 1` (default 30 s): a half-open TCP connection says nothing. */
  pingMs?: number;
  connectTimeoutMs?: number;
}

/** The PostgreSQL transport, with what tests watch: how many times its listener connected. */
export interface PostgresLiveBus extends LiveBus {
  /** Connections made by the listener so far (1 after start; +1 per reconnect). */
  readonly connects: number;
  /** The backend pid of the current listening connection, or undefined while reconnecting. */
  readonly listenerPid: number | undefined;
}

/**
 * LISTEN/NOTIFY across replicas. One dedicated connection LISTENs on one channel; publishing is
 * `SELECT pg_notify(channel, json)` through the pool, so every replica (the publisher too) receives
 * each event once, through its own LISTEN. Events published while a replica's listener is down
 * are lost to it: after it reconnects (backoff, doubling) its subscribers are told to resync.
 * Events from one replica may arrive out of order (they leave over several pooled connections).
 *
 * Resolves once the first LISTEN is in place; rejects when that first connection fails.
 */
export const createPostgresLiveBus = async (o: PostgresLiveOptions): Promise<PostgresLiveBus> => {
  const log = o.logger.child({ component: 'live' });
  const channel = o.channel ?? liveChannel;
  const backoffMs = o.backoffMs ?? 250;
  const maxBackoffMs = o.maxBackoffMs ?? 10_000;
  const pingMs = o.pingMs ?? 30_000;
  const fanOut = createFanOut(log);
  let client: pg.Client | undefined;
  let closed = false;
  let connects = 0;
  let attempt = 0;
  let retry: NodeJS.Timeout | undefined;
  let publishFailing = false;

  const onNotification = (msg: pg.Notification): void => {
    if (msg.channel !== channel || msg.payload === undefined) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(msg.payload);
    } catch {
      parsed = undefined;
    }
    const event = LiveEventSchema.safeParse(parsed);
    if (!event.success) {
      log.debug({ bytes: msg.payload.length }, 'a live event that this version does not know; dropped');
      return;
    }
    fanOut.deliver(event.data);
  };

  /** Opens a connection and LISTENs; throws when either fails (the connection is then closed). */
  const connect = async (): Promise<pg.Client> => {
    const c = new pg.Client({
      connectionString: o.connectionString,
      connectionTimeoutMillis: o.connectTimeoutMs ?? 5_000,
      query_timeout: 5_000,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      application_name: 'devops-agent:live',
    });
    // Until `lost` is attached below: a failure here is the connect's rejection, not a crash.
    c.on('error', () => undefined);
    try {
      await c.connect();
      await c.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    } catch (err) {
      await c.end().catch(() => undefined);
      throw err;
    }
    c.on('notification', onNotification);
    c.once('error', (err) => lost(c, err));
    c.once('end', () => lost(c));
    connects++;
    attempt = 0;
    return c;
  };

  const schedule = (): void => {
    if (closed || retry) return;
    const delay = Math.min(maxBackoffMs, backoffMs * 2 ** attempt) * (0.75 + Math.random() / 2);
    attempt++;
    retry = setTimeout(() => {
      retry = undefined;
      void connect().then(
        (c) => {
          if (closed) return void c.end().catch(() => undefined);
          client = c;
          log.info({ connects }, 'live events: listening again');
          // Whatever was published meanwhile did not reach this replica.
          fanOut.resync();
        },
        (err: unknown) => {
          log.debug({ err: describeConnectError(err), attempt }, 'live events: reconnect failed');
          schedule();
        },
      );
    }, delay);
    retry.unref();
  };

  /** The listening connection went away (or stopped answering): forget it and reconnect. */
  const lost = (c: pg.Client, err?: Error): void => {
    if (client !== c) return;
    client = undefined;
    c.removeListener('notification', onNotification);
    void c.end().catch(() => undefined);
    if (closed) return;
    log.warn({ err: err ? describeConnectError(err) : 'connection ended' }, 'live events: listener lost; reconnecting');
    schedule();
  };

  try {
    client = await connect();
  } catch (err) {
    throw new AppError('unavailable', `cannot listen for live events: ${describeConnectError(err)}`, { cause: err });
  }
  const ping = setInterval(() => {
    const c = client;
    if (!c) return;
    c.query('SELECT 1').catch((err: Error) => lost(c, err));
  }, pingMs);
  ping.unref();

  return {
    get connects() {
      return connects;
    },
    get listenerPid() {
      return (client as (pg.Client & { processID?: number }) | undefined)?.processID;
    },
    publish: (event) => {
      if (closed) return;
      const payload = encodeLiveEvent(event, log);
      if (payload === undefined) return;
      o.pool.query('SELECT pg_notify($1, $2)', [channel, payload]).then(
        () => {
          if (publishFailing) log.info('live events: publishing again');
          publishFailing = false;
        },
        (err: unknown) => {
          // Once per outage, not once per event: pages fall back to polling meanwhile.
          if (!publishFailing) log.warn({ err: describeConnectError(err) }, 'live events: publish failed');
          publishFailing = true;
        },
      );
    },
    subscribe: (listener, resync) => fanOut.subscribe(listener, resync),
    close: async () => {
      if (closed) return;
      closed = true;
      clearTimeout(retry);
      clearInterval(ping);
      fanOut.clear();
      const c = client;
      client = undefined;
      await c?.end().catch(() => undefined);
    },
  };
};
