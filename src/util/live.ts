/**
 * Live events: small notices that something visible changed (a message stored or updated, a change
 * card's transition, a workflow step, scan progress, an incident's status), pushed to the web
 * console and the dashboard instead of their polling. A notice carries ids, never content: a page
 * that hears one fetches what changed through its own API, where roles and visibility apply.
 *
 * Transports (src/store/live-*.ts): across replicas through PostgreSQL LISTEN/NOTIFY; on the
 * embedded store (one process by construction) in memory. Delivery is best effort and at most
 * once: pages also re-read on reconnect, and keep polling as a fallback.
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
  /** Every event of every replica (this one's included), once; returns the unsubscribe. */
  subscribe(listener: (event: LiveEvent) => void): () => void;
  close(): Promise<void>;
}
