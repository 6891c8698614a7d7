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
 * listener that never acks still gets Slack a 200 before Slack's 3-second deadline. Clicks and slash
 * commands, whose listeners ack with nothing, are answered 200 before the replay check (see
 * `handle`); a body of a shape Bolt does not expect never reaches Bolt (envelope.ts).
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

    let settle: (r: HttpResponse) => void = () => undefined;
    let acked = false;
    /** Answered 200 before any listener ran (see below): their own ack() is then expected, and moot. */
    let early = false;
    const answer = new Promise<HttpResponse>((resolve) => (settle = resolve));
    const ack = async (body?: unknown): Promise<void> => {
      if (acked) {
        if (!early) log.warn('a Slack request was acknowledged twice; the second ack was ignored');
        else if (ackResponse(body).body !== '')
          log.warn({ type: inbound.body.type }, 'a listener answered with a body after the early ack; it was dropped');
        return;
      }
      acked = true;
      settle(ackResponse(body));
    };

    // Replays. A signed request stays valid for the whole 5-minute window: sent again (a replay of
    // a captured request, a proxy retrying), it must not run again. For slash commands and
    // interactivity the request's signature, which covers exactly this timestamp and body, is the
    // key, recorded in the database (one INSERT … ON CONFLICT DO NOTHING), so a replay sent to
    // another replica is caught too; a replay gets Slack's 200 and nothing runs. Not here:
    // - options lookups (block_suggestion): read-only, their answer could only show the sender again
    //   what the captured one showed, and the same text typed twice within a second is a legitimate
    //   identical request;
    // - events: every delivery of an event, a replay or Slack's own retry, carries its `event_id`,
    //   which is recorded where an event has an effect (the engine for turns, events.ts for
    //   uninstalls), so the many events the bot only glances at cost no write.
    // The ack does not wait for the INSERT when our listeners ack with nothing anyway (clicks, slash
    // commands, shortcuts): under a burst the database is busy with the work of earlier requests,
    // and Slack times the ack (BENCHMARKS.md). A modal submission's ack carries the engine's field
    // errors, so it is recorded first.
    // If the key cannot be recorded (the database is down) the request is handled anyway and the
    // failure logged: all it could do needs the database, so it can only answer "temporarily
    // unavailable", as the rest of the bot does during an outage.
    const dedupe = o.deliveries !== undefined && inbound.class !== 'options' && inbound.class !== 'event';
    if (dedupe && inbound.class !== 'view') {
      early = true;
      void ack();
    }
    const firstSight = async (): Promise<boolean> => {
      if (!dedupe) return true;
      const signature = single(req.headers['x-slack-signature'])!.slice('v0='.length);
      try {
        if (await o.deliveries!.markProcessed(`slack:sig:${signature}`)) return true;
      } catch (err) {
        log.error({ err }, 'could not record a Slack request against replays; handling it anyway');
        return true;
      }
      log[retryNum === undefined ? 'warn' : 'info'](
        { type: inbound.body.type, retryNum, timestamp: single(req.headers['x-slack-request-timestamp']) },
        'a Slack request was received again; acknowledged and ignored',
      );
      return false;
    };

    // Answered already: the INSERT (and Bolt) wait until the requests waiting on their sockets were
    // read and acked too (setImmediate, as background.ts does), rather than running before them.
    const started = early ? new Promise<void>((resolve) => setImmediate(resolve)) : Promise.resolve();
    const processing = started
      .then(firstSight)
      .then((first) =>
        first
          ? bolt!.processEvent({
              body: inbound.body,
              ack,
              ...(retryNum !== undefined ? { retryNum } : {}),
              ...(retryReason ? { retryReason } : {}),
            })
          : undefined,
      )
      .then(
        () => {
          // No listener for it (an event type we do not use), or a replay: Slack still wants its 200.
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
