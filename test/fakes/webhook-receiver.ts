import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { EVENT_ID_HEADER, SIGNATURE_HEADER, verifyOutgoingSignature } from '../../src/incidents/routing/webhooks.ts';

/**
 * A loopback receiver of the agent's outgoing incident webhooks, as a careful receiver is written:
 * it verifies `X-DevOps-Agent-Signature` over the raw body with the shared secret (401 when it does
 * not verify) and keeps every request. Answers follow a script, one entry per request (then 200):
 * `{ status: 503 }`, `{ status: 429, retryAfter: '7' }`, `{ status: 400, body: 'bad' }`, or
 * `{ hang: true }` (never answers: for timeouts).
 */
export interface ReceivedWebhook {
  headers: http.IncomingHttpHeaders;
  eventId: string | undefined;
  rawBody: string;
  body: unknown;
  /** Whether the signature verified (reason when not). */
  verified: boolean;
  reason?: string;
  /** What the receiver answered. */
  status: number | 'none';
}

export type ScriptedAnswer = { status: number; retryAfter?: string; body?: string } | { hang: true };

export interface FakeWebhookReceiver {
  url: string;
  received: ReceivedWebhook[];
  /** Only the requests whose signature verified. */
  verified(): ReceivedWebhook[];
  script(...answers: ScriptedAnswer[]): void;
  close(): Promise<void>;
}

export const startWebhookReceiver = async (opts: { secret: string; now: () => Date }): Promise<FakeWebhookReceiver> => {
  const received: ReceivedWebhook[] = [];
  let script: ScriptedAnswer[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const check = verifyOutgoingSignature({
        secret: opts.secret,
        header: req.headers[SIGNATURE_HEADER.toLowerCase()] as string | undefined,
        rawBody,
        now: opts.now(),
      });
      let body: unknown;
      try {
        body = JSON.parse(rawBody);
      } catch {
        body = undefined;
      }
      const answer = script.shift() ?? { status: 200 };
      const status = !check.ok ? 401 : 'hang' in answer ? ('none' as const) : answer.status;
      received.push({
        headers: req.headers,
        eventId: req.headers[EVENT_ID_HEADER.toLowerCase()] as string | undefined,
        rawBody,
        body,
        verified: check.ok,
        ...(check.ok ? {} : { reason: check.reason }),
        status,
      });
      if (status === 'none') return;
      const extra = 'hang' in answer || answer.retryAfter === undefined ? {} : { 'retry-after': answer.retryAfter };
      res.writeHead(status, { 'content-type': 'text/plain', ...extra });
      res.end(!check.ok ? check.reason : 'hang' in answer ? '' : (answer.body ?? 'ok'));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/incidents`,
    received,
    verified: () => received.filter((r) => r.verified),
    script: (...answers) => {
      script = answers;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};
