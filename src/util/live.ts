/**
 * Live events: small notices that something visible changed (a message stored or updated, a change
 * card's transition, a workflow step, scan progress, an incident's status), pushed to the web
 * console and the dashboard instead of their polling. A notice carries ids, never content: a page
 * that hears one fetches what changed through its own API, where roles and visibility apply.
 *
 * Transports (src/store/live*.ts): across replicas through PostgreSQL LISTEN/NOTIFY; on the
 * embedded store (one process by construction) in memory. Delivery is best effort and at most
 * once: pages also re-read on reconnect (`resync`), and keep polling as a fallback.
 *
 * - `message`: a message of the conversation `conversationKey` (src/chat/actor.ts) was appended or
 *   updated (a change card's copy updated in place is one too).
 * - `change`: a change request moved (`status` as stored after the transition).
 * - `workflow`: a workflow run (a change request: `runId` is its id) moved, or recorded `step` (the
 *   step's id in its template) as it ended; `status` is the run's.
 * - `scan`: a scan started, advanced (`done` of `total` resources) or ended.
 * - `incident`: an incident was opened or its status changed.
 * - `inventory`: a source's listing was stored (`source` is its key, e.g. `aws:prod:us-east-1`);
 *   the inventory is shared by every workspace, hence `'*'`.
 */
export type LiveEvent =
  | { kind: 'message'; workspaceId: string; conversationKey: string; messageId: number }
  | { kind: 'change'; workspaceId: string; changeId: string; status: string }
  | { kind: 'workflow'; workspaceId: string; runId: string; status: string; step?: string }
  | { kind: 'scan'; workspaceId: string; scanId: string; status: string; done?: number; total?: number }
  | { kind: 'incident'; workspaceId: string; incidentId: string; status: string }
  | { kind: 'inventory'; workspaceId: '*'; source: string };

export type LiveKind = LiveEvent['kind'];

export interface LiveBus {
  /** Fire and forget: never throws, never waits for delivery. */
  publish(event: LiveEvent): void;
  /**
   * Every event of every replica (this one's included), once; returns the unsubscribe. `resync`
   * is called after the transport lost its connection and got it back: events of that gap are
   * lost, so whoever listens re-reads what it shows.
   */
  subscribe(listener: (event: LiveEvent) => void, resync?: () => void): () => void;
  close(): Promise<void>;
}

/** A bus that carries nothing (tests and tools that start parts of the app without one). */
export const silentLiveBus: LiveBus = {
  publish: () => undefined,
  subscribe: () => () => undefined,
  close: async () => undefined,
};
