import type { Logger } from '../observability/logger.ts';
import type { LiveEvent } from '../util/live.ts';

/**
 * The subscribers of one live bus (either transport): each event and each resync reaches every
 * subscriber once; one that throws is logged and does not stop the others.
 */
export interface FanOut {
  subscribe(listener: (event: LiveEvent) => void, resync?: () => void): () => void;
  deliver(event: LiveEvent): void;
  resync(): void;
  clear(): void;
  readonly size: number;
}

/**
 * Events are bounded far below PostgreSQL's 8,000-byte NOTIFY limit: a notice is a few ids (about
 * 150 bytes); anything near this is a bug upstream, dropped with a log line rather than sent.
 */
export const maxLivePayloadBytes = 2_000;

/** The event as sent on the wire, or undefined (logged) when it is too large. */
export const encodeLiveEvent = (event: LiveEvent, logger: Logger): string | undefined => {
  const payload = JSON.stringify(event);
  const bytes = Buffer.byteLength(payload, 'utf8');
  if (bytes > maxLivePayloadBytes) {
    logger.warn({ kind: event.kind, bytes, limit: maxLivePayloadBytes }, 'live event too large; dropped');
    return undefined;
  }
  return payload;
};

export const createFanOut = (logger: Logger): FanOut => {
  const subscribers = new Set<{ listener: (event: LiveEvent) => void; resync: (() => void) | undefined }>();
  const each = (call: (s: { listener: (event: LiveEvent) => void; resync: (() => void) | undefined }) => void) => {
    for (const s of [...subscribers]) {
      if (!subscribers.has(s)) continue;
      try {
        call(s);
      } catch (err) {
        logger.warn({ err }, 'a live event subscriber failed');
      }
    }
  };
  return {
    subscribe: (listener, resync) => {
      const s = { listener, resync };
      subscribers.add(s);
      return () => void subscribers.delete(s);
    },
    deliver: (event) => each((s) => s.listener(event)),
    resync: () => each((s) => s.resync?.()),
    clear: () => subscribers.clear(),
    get size() {
      return subscribers.size;
    },
  };
};
