import type { App, Receiver } from '@slack/bolt';
import { json, text, type HttpRequest, type HttpResponse, type Route } from '../../http/route.ts';
import type { ConversationStore } from '../../engine/engine.ts';
import type { Logger } from '../../observability/logger.ts';
import { InboundError, parseInbound } from './inbound.ts';
import type { BackgroundWork } from './background.ts';
import { verifySlackSignature } from './verify.ts';

/**
 * HTTP mode: a Bolt Receiver fed by a route of our one HTTP server, rather than Bolt's
 * HTTPReceiver.requestListener. Why: our server has already read the body (it owns body limits,
 * metrics and error shapes for every route), while HTTPReceiver wants to read the request stream
 * itself and answer on the raw socket; and the signature check here is a pure function with our
 * clock, tested on its own. What Bolt keeps doing: authorization, middleware, listeners, ack().
 *
 * The HTTP answer is whatever the listener passes to `ack()` — sent as soon as it is called, while
 * the listener goes on in the background (tracked, so tests and shutdown can wait for it). A
 * listener that never acks still gets Slack a 200 before Slack's 3-second deadline.
 */
export interface RouteReceiverOptions {
  signingSecret: string;
  path?: string;
  now: () => Date;
  logger: Logger;
  work: BackgroundWork;
  /** Answer 200 if no listener acked by then (Slack gives up at 3 s). */
  ackTimeoutMs?: number;
  /**
   * Where signed requests are recorded so that each runs once, across replicas (see `handle`).
   * Without it (tests of the envelope alone) nothing is recorded.
   */
  deliveries?: Pick<ConversationStore, 'markProcessed'>;
}

export interface RouteReceiver extends Receiver {
  readonly route: Route;
}

const single = (h: string | string[] | undefined): string | undefined => (Array.isArray(h) ? h[0] : h);

/** What `ack(x)` sends: nothing, a string, or a JSON object (e.g. `response_action: errors`). */
const ackResponse = (body: unknown): HttpResponse => {
  if (body === undefined || body === null || body === '')
    return { status: 200, headers: { 'cache-control': 'no-store' }, body: '' };
  if (typeof body === 'string') return text(200, body);
  return json(200, body);
};

export const createRouteReceiver = (o: RouteReceiverOptions): RouteReceiver => {
  let bolt: App | undefined;
  const ackTimeoutMs = o.ackTimeoutMs ?? 2_500;
  const log = o.logger.child({ component: 'slack-receiver' });

  const handle = async (req: HttpRequest): Promise<HttpResponse> => {
    const verdict = verifySlackSignature({
      signingSecret: o.signingSecret,
      timestamp: req.headers['x-slack-request-timestamp'],
      signature: req.headers['x-slack-signature'],
      rawBody: req.rawBody,
      now: o.now(),
    });
    if (!verdict.ok) {
      log.warn({ reason: verdict.reason }, 'rejected a Slack request');
      return json(401, { error: verdict.reason });
    }
    let inbound;
    try {
      inbound = parseInbound(req.rawBody, single(req.headers['content-type']));
    } catch (e) {
      if (!(e instanceof InboundError)) throw e;
      log.warn({ reason: e.message }, 'malformed Slack request');
      // Slack retries a failed delivery (up to 3 times); a body it signed that we cannot read will
      // not read better next time, so it is told not to (X-Slack-No-Retry).
      return json(400, { error: e.message }, { 'x-slack-no-retry': '1' });
    }
    if (inbound.kind === 'url_verification') return json(200, { challenge: inbound.challenge });
    if (inbound.kind === 'ssl_check') return ackResponse(undefined);
    if (inbound.kind === 'ignore') {
      log.info({ reason: inbound.reason }, 'ignored a Slack request');
      return ackResponse(undefined);
    }
    if (!bolt) return json(503, { error: 'the Slack app is still starting' });

    const retryHeader = single(req.headers['x-slack-retry-num']);
    const retryNum = retryHeader !== undefined && /^\d+$/.test(retryHeader) ? Number(retryHeader) : undefined;
    const retryReason = single(req.headers['x-slack-retry-reason']);

    // A signed request stays valid for the whole 5-minute window: sent again (a replay from a
    // captured request, a proxy retrying), it must not run again. Its signature names exactly
    // this timestamp and body, so it is the key; recorded in the database, so a replay sent to
    // another replica is caught too. The replay still gets Slack's 200 at once. Options lookups
    // (block_suggestion) are exempt: read-only, answered with data that a replay could only show
    // its sender again, and two identical lookups within a second are legitimate (retyping).
    // A database that cannot record it fails the request (503): nothing runs unrecorded.
    if (o.deliveries && inbound.class !== 'options') {
      const signature = single(req.headers['x-slack-signature'])!.slice('v0='.length);
      if (!(await o.deliveries.markProcessed(`slack:sig:${signature}`))) {
        log[retryNum === undefined ? 'warn' : 'info'](
          { type: inbound.body.type, retryNum, timestamp: single(req.headers['x-slack-request-timestamp']) },
          'a Slack request was received again; acknowledged and ignored',
        );
        return ackResponse(undefined);
      }
    }

    let settle: (r: HttpResponse) => void = () => undefined;
    let acked = false;
    const answer = new Promise<HttpResponse>((resolve) => (settle = resolve));
    const ack = async (body?: unknown): Promise<void> => {
      if (acked) {
        log.warn('a Slack request was acknowledged twice; the second ack was ignored');
        return;
      }
      acked = true;
      settle(ackResponse(body));
    };

    const processing = bolt
      .processEvent({
        body: inbound.body,
        ack,
        ...(retryNum !== undefined ? { retryNum } : {}),
        ...(retryReason ? { retryReason } : {}),
      })
      .then(
        () => {
          // No listener for it (an event type we do not use): Slack still wants its 200.
          if (!acked) void ack();
        },
        (err: unknown) => {
          log.error({ err }, 'a Slack request failed');
          if (!acked) {
            acked = true;
            settle(json(500, { error: 'internal error' }));
          }
        },
      );
    o.work.track(processing);

    const timer = setTimeout(() => {
      if (acked) return;
      log.warn(
        { type: inbound.body.type, ackTimeoutMs },
        'no Slack listener acknowledged in time; answered 200 for it',
      );
      void ack();
    }, ackTimeoutMs);
    try {
      return await answer;
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    route: { method: 'POST', path: o.path ?? '/slack/events', handle },
    init: (app: App) => {
      bolt = app;
    },
    start: async () => undefined,
    stop: async () => undefined,
  };
};
