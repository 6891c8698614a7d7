import { api } from '@pagerduty/pdjs';
import type { APIResponse } from '@pagerduty/pdjs/build/src/api.d.ts';
import { z } from 'zod';
import { AppError, badRequest, forbidden, notFound } from '../../errors.ts';
import type { PagerDutyApi } from '../ports.ts';

/**
 * PagerDutyApi (../ports.ts) on `@pagerduty/pdjs` 2.x over PagerDuty's REST API v2. Every call
 * passes a full `url` (pdjs builds `https://<server>/…` otherwise, so an http fake or a regional
 * API host is reached this way), reads `resp.data` (pdjs's `resp.resource` is null off `*.com`),
 * and gets its own deadline: pdjs's `requestTimeout` aborts nothing and its timer keeps the
 * process alive, so it is off and an AbortSignal does the job. pdjs retries a 429 three times,
 * `retryTimeout` apart (20 s by default, Retry-After ignored). Writes act as the person whose
 * PagerDuty login is `From`. Failures become AppErrors a person can read; the token is in no
 * message. docs/architecture.md#incidents.
 */

export interface PagerDutyClientOptions {
  /** A REST API key (account or user token), sent as `Authorization: Token token=…`. */
  token: string;
  /** Default https://api.pagerduty.com (EU accounts: https://api.eu.pagerduty.com). */
  apiUrl?: string;
  /** Wait between pdjs's retries of a 429 (default 20 000 ms). */
  retryTimeoutMs?: number;
  /** Deadline of one call, retries included (default 30 000 ms). */
  timeoutMs?: number;
}

const User = z.looseObject({ id: z.string(), name: z.string().default(''), email: z.string().default('') });
const UsersPage = z.looseObject({ users: z.array(User), more: z.boolean().optional() });
const Ref = z.looseObject({ id: z.string(), summary: z.string().optional() });
const IncidentBody = z.looseObject({
  incident: z.looseObject({
    id: z.string(),
    status: z.enum(['triggered', 'acknowledged', 'resolved']),
    /** Not in PagerDuty's documented incident object; used when an API reports it. */
    escalation_level: z.number().int().positive().nullish(),
    escalation_policy: Ref.nullish(),
    assignments: z.array(z.looseObject({ assignee: Ref })).nullish(),
  }),
});
type Incident = z.infer<typeof IncidentBody>['incident'];
const OncallsPage = z.looseObject({
  oncalls: z.array(z.looseObject({ escalation_level: z.number().int().positive(), user: Ref.nullish() })),
});
const ErrorBody = z.looseObject({
  error: z.looseObject({
    code: z.number().optional(),
    message: z.string().optional(),
    errors: z.array(z.string()).optional(),
  }),
});

/** PagerDuty's error codes about the `From` header (missing, or no such user). */
const FROM_ERROR_CODES = new Set([1008, 2016, 2100]);
const USERS_PAGE = 25;
const MAX_USER_PAGES = 4;

type Method = 'GET' | 'PUT' | 'POST';
interface Call {
  method: Method;
  path: string;
  /** Query parameters (GET) or the JSON body (PUT, POST). */
  data?: object;
  /** The acting person's login email, for writes. */
  from?: string;
  /** What a 404 means here, for the message. */
  missing: string;
}

const clip = (s: string, max = 200): string => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);

export const createPagerDutyClient = (opts: PagerDutyClientOptions): PagerDutyApi => {
  const base = (opts.apiUrl ?? 'https://api.pagerduty.com').replace(/\/+$/, '');
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const pd = api({ token: opts.token, tokenType: 'token' });
  /** Never let the token reach a message, even if a server echoes it. */
  const scrub = (s: string): string => (opts.token ? s.split(opts.token).join('[redacted]') : s);

  const failure = (status: number, data: unknown, c: Call, cause?: unknown): AppError => {
    const err = ErrorBody.safeParse(data);
    const detail = err.success
      ? scrub(clip([err.data.error.message, ...(err.data.error.errors ?? [])].filter(Boolean).join(': ')))
      : '';
    if (status === 401 || status === 403)
      return new AppError(
        'unavailable',
        `PagerDuty refused the bot's API token (HTTP ${status}); an admin needs to check the bot's PagerDuty configuration.`,
        { cause },
      );
    if (status === 404) return notFound(`PagerDuty has no ${c.missing}.`);
    if (status === 429)
      return new AppError('rate_limited', 'PagerDuty is rate-limiting the bot; try again in a minute.', { cause });
    if (status >= 500)
      return new AppError('unavailable', `PagerDuty did not answer (HTTP ${status}); try again in a moment.`, {
        cause,
      });
    const fromProblem =
      c.from !== undefined &&
      ((err.success && FROM_ERROR_CODES.has(err.data.error.code ?? -1)) || /\bfrom\b|requester/i.test(detail));
    if (fromProblem && !c.from?.trim())
      return forbidden('The bot needs your PagerDuty login email to act for you there; ask an admin to link it.');
    if (fromProblem)
      return forbidden(
        `PagerDuty has no user with the login email ${c.from}, so the bot cannot act for you there. ` +
          'Ask an admin to check that your email here matches your PagerDuty login.',
      );
    return badRequest(`PagerDuty refused the request (HTTP ${status})${detail ? `: ${detail}` : ''}.`);
  };

  const call = async (c: Call): Promise<unknown> => {
    let resp: APIResponse;
    try {
      resp = await pd({
        method: c.method,
        url: `${base}${c.path}`,
        ...(c.data ? { data: c.data } : {}),
        headers: c.from ? { From: c.from } : {},
        requestTimeout: 0,
        retryTimeout: opts.retryTimeoutMs ?? 20_000,
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (e) {
      // pdjs rejects with the Response itself when a body is not JSON.
      if (e && typeof e === 'object' && typeof (e as { status?: unknown }).status === 'number')
        throw failure((e as { status: number }).status, undefined, c);
      const aborted = e instanceof Error && (e.name === 'AbortError' || e.name === 'TimeoutError');
      const limit = timeoutMs >= 1000 ? `${Math.round(timeoutMs / 1000)} s` : `${timeoutMs} ms`;
      const why = aborted ? `within ${limit}` : 'the connection failed';
      const cause = e instanceof Error ? new AppError('unavailable', scrub(e.message)) : undefined;
      throw new AppError('unavailable', `PagerDuty did not answer (${why}); try again in a moment.`, { cause });
    }
    if (resp.status < 200 || resp.status >= 300) throw failure(resp.status, resp.data, c);
    return resp.data;
  };

  const setStatus = async (incidentId: string, from: string, incident: Record<string, unknown>): Promise<void> => {
    await call({
      method: 'PUT',
      path: `/incidents/${encodeURIComponent(incidentId)}`,
      data: { incident: { type: 'incident_reference', ...incident } },
      from,
      missing: `incident ${incidentId}`,
    });
  };

  /**
   * The incident's escalation level: as reported, else the lowest level of its escalation policy
   * whose on-call users (GET /oncalls, which does carry `escalation_level`) include all its
   * assignees, else the lowest level holding any of them. Undefined when nothing says.
   */
  const levelOf = async (incident: Incident): Promise<number | undefined> => {
    if (incident.escalation_level) return incident.escalation_level;
    const assignees = (incident.assignments ?? []).map((a) => a.assignee.id);
    if (incident.status === 'resolved' || !incident.escalation_policy || assignees.length === 0) return undefined;
    const data = await call({
      method: 'GET',
      path: '/oncalls',
      data: { 'escalation_policy_ids[]': [incident.escalation_policy.id], limit: '100' },
      missing: 'on-call list',
    });
    const parsed = OncallsPage.safeParse(data);
    if (!parsed.success) return undefined;
    const levels = new Map<number, Set<string>>();
    for (const o of parsed.data.oncalls) {
      if (!o.user) continue;
      levels.set(o.escalation_level, (levels.get(o.escalation_level) ?? new Set()).add(o.user.id));
    }
    const ordered = [...levels.entries()].sort((a, b) => a[0] - b[0]);
    return (
      ordered.find(([, users]) => assignees.every((a) => users.has(a)))?.[0] ??
      ordered.find(([, users]) => assignees.some((a) => users.has(a)))?.[0]
    );
  };

  const status: PagerDutyApi['status'] = async (incidentId) => {
    const data = await call({
      method: 'GET',
      path: `/incidents/${encodeURIComponent(incidentId)}`,
      missing: `incident ${incidentId}`,
    });
    const parsed = IncidentBody.safeParse(data);
    if (!parsed.success)
      throw new AppError('unavailable', 'PagerDuty answered with an incident the bot cannot read.', {
        cause: parsed.error,
      });
    const level = await levelOf(parsed.data.incident);
    return { status: parsed.data.incident.status, ...(level ? { escalationLevel: level } : {}) };
  };

  return {
    userByEmail: async (email) => {
      const wanted = email.trim().toLowerCase();
      for (let page = 0; page < MAX_USER_PAGES; page++) {
        const data = await call({
          method: 'GET',
          path: '/users',
          data: { query: email.trim(), limit: String(USERS_PAGE), offset: String(page * USERS_PAGE) },
          missing: 'users list',
        });
        const parsed = UsersPage.safeParse(data);
        if (!parsed.success)
          throw new AppError('unavailable', 'PagerDuty answered with a user list the bot cannot read.', {
            cause: parsed.error,
          });
        const match = parsed.data.users.find((u) => u.email.toLowerCase() === wanted);
        if (match) return { id: match.id, name: match.name || match.email, email: match.email };
        if (!parsed.data.more) break;
      }
      return null;
    },
    acknowledge: (incidentId, from) => setStatus(incidentId, from, { status: 'acknowledged' }),
    resolve: (incidentId, from, resolution) =>
      setStatus(incidentId, from, { status: 'resolved', ...(resolution ? { resolution } : {}) }),
    escalate: async (incidentId, from, level) => {
      // Unknown current level (nobody assigned, no on-call data): assumed 1, so the incident goes to 2.
      const target = level ?? ((await status(incidentId)).escalationLevel ?? 1) + 1;
      await setStatus(incidentId, from, { escalation_level: target });
      return { level: target };
    },
    note: async (incidentId, from, content) => {
      await call({
        method: 'POST',
        path: `/incidents/${encodeURIComponent(incidentId)}/notes`,
        data: { note: { content } },
        from,
        missing: `incident ${incidentId}`,
      });
    },
    status,
  };
};
