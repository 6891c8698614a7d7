import type { IncomingHttpHeaders } from 'node:http';
import type { CloudAdapter, TurnContext } from '@microsoft/agents-hosting';
import type { HttpRequest, HttpResponse, Route } from '../../http/route.ts';
import type { Logger } from '../../observability/logger.ts';
import { InboundActivity } from './activity.ts';
import type { BackgroundWork } from './background.ts';

/**
 * `POST /api/messages`, where Teams (through Azure Bot Service) delivers every activity. In order:
 * 1. The SDK's own JWT check (`adapter.authorizeRequest`: RS256 only, signature against the
 *    issuer's published keys, audience = TEAMS_APP_ID, not expired, issuer allowed, the token's
 *    serviceurl claim later matched against the activity's): 401 with the SDK's reason otherwise,
 *    before the body is even parsed. Without TEAMS_APP_ID (anonymous emulator mode) a request
 *    without a token passes, a request with a bad one is still 401.
 * 2. The body: JSON and the fields we read (activity.ts), else 400 with the reason and a log line.
 * 3. `adapter.process` runs the handler; an invoke's answer is its response body, anything else a
 *    200 with an empty body (the engine work is queued, so that comes at once).
 * All of it runs as `work.acking`: queued engine work waits while requests are being answered.
 *
 * The SDK is written for Express: its `req` and `res` are small adapters over our route's request
 * and a captured response. Its JWT middleware calls `next()` without awaiting it, so the process
 * call is ours to await and to catch (a rejection there would otherwise be unhandled).
 */
interface ExpressLikeResponse {
  statusCode: number;
  headersSent: boolean;
  writableEnded: boolean;
  status(code: number): ExpressLikeResponse;
  setHeader(name: string, value: string): void;
  send(body: unknown): void;
  end(): void;
}

const captured = (): { res: ExpressLikeResponse; result(): HttpResponse } => {
  const headers: Record<string, string> = {};
  let body: string | undefined;
  const res: ExpressLikeResponse = {
    statusCode: 200,
    headersSent: false,
    writableEnded: false,
    status(code) {
      this.statusCode = code;
      return this;
    },
    setHeader(name, value) {
      headers[name.toLowerCase()] = value;
    },
    send(value) {
      if (typeof value === 'string') body = value;
      else {
        body = JSON.stringify(value);
        headers['content-type'] ??= 'application/json; charset=utf-8';
      }
    },
    end() {
      this.writableEnded = true;
    },
  };
  return { res, result: () => ({ status: res.statusCode, headers, ...(body !== undefined ? { body } : {}) }) };
};

const badRequest = (error: string): HttpResponse => ({
  status: 400,
  headers: { 'content-type': 'application/json; charset=utf-8' },
  body: JSON.stringify({ error }),
});

export const messagesRoute = (d: {
  adapter: CloudAdapter;
  handler: (ctx: TurnContext) => Promise<void>;
  work: Pick<BackgroundWork, 'acking'>;
  logger: Logger;
}): Route => ({
  method: 'POST',
  path: '/api/messages',
  handle: (req) => d.work.acking(() => answer(d, req)),
});

const answer = async (
  d: { adapter: CloudAdapter; handler: (ctx: TurnContext) => Promise<void>; logger: Logger },
  req: HttpRequest,
): Promise<HttpResponse> => {
  const auth = captured();
  const sdkReq: { method: string; headers: IncomingHttpHeaders; body?: unknown; user?: unknown } = {
    method: 'POST',
    headers: req.headers,
  };
  let authorized = false;
  await d.adapter.authorizeRequest(sdkReq as never, auth.res as never, () => {
    authorized = true;
  });
  if (!authorized) {
    const refused = auth.result();
    d.logger.warn({ status: refused.status, reason: refused.body }, 'refused a request to /api/messages');
    return refused;
  }

  let json: unknown;
  try {
    json = JSON.parse(req.rawBody.toString('utf8'));
  } catch {
    d.logger.warn('a body that is not JSON at /api/messages');
    return badRequest('the body is not JSON');
  }
  const activity = InboundActivity.safeParse(json);
  if (!activity.success) {
    const issue = activity.error.issues[0];
    const reason = `not an activity we read: ${issue?.path.join('.') || '(body)'}: ${issue?.message ?? 'invalid'}`;
    d.logger.warn({ reason }, 'a malformed activity at /api/messages');
    return badRequest(reason);
  }
  sdkReq.body = json;
  const out = captured();
  try {
    await d.adapter.process(sdkReq as never, out.res as never, d.handler);
  } catch (e) {
    d.logger.error({ err: e, type: activity.data.type }, 'the Agents SDK could not process an activity');
    if (!out.res.writableEnded) return { status: 500, body: '' };
  }
  return out.result();
};
