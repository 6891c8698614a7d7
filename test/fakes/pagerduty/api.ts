/**
 * Loopback wire fake of PagerDuty's REST API v2, as `@pagerduty/pdjs` 2.x calls it
 * (src/incidents/pagerduty/client.ts; pass `fake.url` as `apiUrl`):
 * - every call needs `Accept: application/vnd.pagerduty+json;version=2` (else 406) and
 *   `Authorization: Token token=<token>` (else 401 `{ error: { message, code: 2006 } }`);
 * - writes need `From: <a known user's login email>`: missing → 400 code 2016 ("You must specify a
 *   user's email address in the \"From\" header…", PagerDuty's text); unknown → 400 code 1008
 *   "Requester User Not Found" (the code seen from PagerDuty for an unknown requester; the exact
 *   answer to an unknown `From` is unverified);
 * - `GET /users?query=&limit=&offset=` (substring of name or email, offset pagination);
 * - `GET /incidents/{id}`, `PUT /incidents/{id}` (`{ incident: { type, status?, resolution?,
 *   escalation_level? } }`), `POST|GET /incidents/{id}/notes`, `GET /incidents/{id}/log_entries`;
 * - `GET /oncalls?escalation_policy_ids[]=` (each level's users, with `escalation_level`).
 * The incident object is PagerDuty's documented one: it does NOT report `escalation_level`
 * (option `reportsEscalationLevel` adds it). Escalating re-assigns to the policy level's users.
 *
 * Tests act in "PagerDuty" too (`ack`, `resolve`, `escalate`, `addNote`, `trigger`), as a
 * PagerDuty user would; every change, by the API or by the test, is announced to `onChange`
 * listeners (webhooks.ts `follow` turns them into signed V3 deliveries).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeUser {
  id: string;
  name: string;
  email: string;
}

export interface FakePolicy {
  id: string;
  name: string;
  /** User ids on call at each level (index 0 = level 1). */
  levels: string[][];
}

export interface FakeNote {
  id: string;
  content: string;
  userId: string;
  createdAt: string;
}

export interface FakeLogEntry {
  type: string;
  at: string;
  /** Who did it: a user id, or `api`/`system`. */
  by: string;
  detail?: string;
}

export interface FakeIncident {
  id: string;
  number: number;
  title: string;
  status: 'triggered' | 'acknowledged' | 'resolved';
  urgency: 'high' | 'low';
  serviceId: string;
  serviceName: string;
  policyId: string;
  escalationLevel: number;
  incidentKey: string;
  priority?: string;
  teams: string[];
  createdAt: string;
  resolution?: string;
  notes: FakeNote[];
  log: FakeLogEntry[];
}

export type FakeChangeKind = 'triggered' | 'acknowledged' | 'resolved' | 'escalated' | 'annotated';

export interface FakeChange {
  kind: FakeChangeKind;
  incident: FakeIncident;
  /** The PagerDuty user who made it (undefined: the system, e.g. a new alert). */
  user?: FakeUser;
  /** `api`: through the REST API (the bot); `ui`: the test acting as a person in PagerDuty. */
  via: 'api' | 'ui';
  note?: FakeNote;
}

export interface PagerDutyCall {
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  from: string | null;
  accept: string | null;
  /** Whether `Authorization` carried the configured token (the token itself is not kept). */
  authorized: boolean;
  body: unknown;
  status: number;
}

export interface PagerDutyApiFake {
  /** The API base URL (`http://127.0.0.1:P`), for the client's `apiUrl`. */
  readonly url: string;
  readonly calls: PagerDutyCall[];
  incident(id: string): FakeIncident | undefined;
  user(idOrEmail: string): FakeUser | undefined;
  /** Creates an incident (status triggered, level 1) and announces it. */
  trigger(input: {
    title: string;
    id?: string;
    urgency?: 'high' | 'low';
    serviceId?: string;
    serviceName?: string;
    policyId?: string;
    incidentKey?: string;
    priority?: string;
    teams?: string[];
  }): FakeIncident;
  /** A PagerDuty user acts in PagerDuty itself (not through the API). */
  ack(id: string, byEmail: string): FakeIncident;
  resolve(id: string, byEmail: string, resolution?: string): FakeIncident;
  escalate(id: string, level: number, byEmail: string): FakeIncident;
  addNote(id: string, content: string, byEmail: string): FakeNote;
  /** The incident as PagerDuty's V3 webhook `event.data` (type `incident`), for webhooks.ts. */
  eventData(id: string): Record<string, unknown>;
  onChange(listener: (change: FakeChange) => void): () => void;
  /** The next `times` calls answer `status` with PagerDuty's error body for it. */
  failNext(status: number, times?: number): void;
  stop(): Promise<void>;
}

const ACCEPT = 'application/vnd.pagerduty+json;version=2';

const errorBody = (status: number): { message: string; code?: number; errors?: string[] } => {
  if (status === 401) return { message: 'Authentication failed', code: 2006 };
  if (status === 403) return { message: 'Access Denied', code: 2010 };
  if (status === 404) return { message: 'Not Found', code: 2100 };
  if (status === 429) return { message: 'Rate Limit Exceeded', code: 2020 };
  if (status >= 500) return { message: 'Internal Server Error' };
  return { message: 'Invalid Input Provided', code: 2001 };
};

const readBody = async (req: IncomingMessage): Promise<string> => {
  const parts: Buffer[] = [];
  for await (const p of req) parts.push(p as Buffer);
  return Buffer.concat(parts).toString('utf8');
};

export const startPagerDutyApiFake = async (opts: {
  token: string;
  users: FakeUser[];
  policies?: FakePolicy[];
  /** Add `escalation_level` to incident objects (PagerDuty does not document it). */
  reportsEscalationLevel?: boolean;
  /** The fake clock for timestamps (default: now). */
  now?: () => Date;
}): Promise<PagerDutyApiFake> => {
  const now = () => (opts.now ?? (() => new Date()))().toISOString();
  const users = opts.users.map((u) => ({ ...u }));
  const policies: FakePolicy[] = opts.policies ?? [
    { id: 'PEP0001', name: 'Default', levels: users.map((u) => [u.id]) },
  ];
  const incidents = new Map<string, FakeIncident>();
  const calls: PagerDutyCall[] = [];
  const failures: number[] = [];
  const listeners = new Set<(c: FakeChange) => void>();
  let nextNumber = 1;
  let nextNote = 1;
  let origin = '';

  const userBy = (idOrEmail: string) =>
    users.find((u) => u.id === idOrEmail || u.email.toLowerCase() === idOrEmail.toLowerCase());
  const policyOf = (i: FakeIncident) => policies.find((p) => p.id === i.policyId) ?? policies[0]!;
  const assignees = (i: FakeIncident) =>
    i.status === 'resolved' ? [] : (policyOf(i).levels[i.escalationLevel - 1] ?? []).map((id) => userBy(id)!);
  const announce = (change: FakeChange) => {
    for (const l of listeners) l(change);
  };
  const mustGet = (id: string) => {
    const i = incidents.get(id);
    if (!i) throw new Error(`fake PagerDuty: no incident ${id}`);
    return i;
  };
  const mustUser = (email: string) => {
    const u = userBy(email);
    if (!u) throw new Error(`fake PagerDuty: no user ${email}`);
    return u;
  };

  const ref = (type: string, id: string, summary: string, path: string) => ({
    id,
    type,
    summary,
    self: `${origin}/${path}/${id}`,
    html_url: `${origin}/web/${path}/${id}`,
  });
  const view = (i: FakeIncident) => ({
    id: i.id,
    type: 'incident',
    summary: `[#${i.number}] ${i.title}`,
    self: `${origin}/incidents/${i.id}`,
    html_url: `${origin}/web/incidents/${i.id}`,
    incident_number: i.number,
    title: i.title,
    created_at: i.createdAt,
    updated_at: i.log.at(-1)?.at ?? i.createdAt,
    status: i.status,
    incident_key: i.incidentKey,
    service: ref('service_reference', i.serviceId, i.serviceName, 'services'),
    assignments: assignees(i).map((u) => ({ at: now(), assignee: ref('user_reference', u.id, u.name, 'users') })),
    escalation_policy: ref('escalation_policy_reference', policyOf(i).id, policyOf(i).name, 'escalation_policies'),
    teams: i.teams.map((t, n) => ref('team_reference', `PT${n + 1}`, t, 'teams')),
    priority: i.priority ? ref('priority_reference', `PP${i.priority}`, i.priority, 'priorities') : null,
    urgency: i.urgency,
    resolve_reason: null,
    ...(opts.reportsEscalationLevel ? { escalation_level: i.escalationLevel } : {}),
  });

  // State changes, shared by the REST handlers and the test's own actions.
  const setStatus = (i: FakeIncident, status: 'acknowledged' | 'resolved', by: FakeUser, via: 'api' | 'ui') => {
    i.status = status;
    i.log.push({
      type: status === 'acknowledged' ? 'acknowledge_log_entry' : 'resolve_log_entry',
      at: now(),
      by: by.id,
    });
    announce({ kind: status, incident: i, user: by, via });
  };
  const setLevel = (i: FakeIncident, level: number, by: FakeUser, via: 'api' | 'ui') => {
    i.escalationLevel = level;
    if (i.status === 'acknowledged') i.status = 'triggered';
    i.log.push({ type: 'escalate_log_entry', at: now(), by: by.id, detail: `level ${level}` });
    announce({ kind: 'escalated', incident: i, user: by, via });
  };
  const addNote = (i: FakeIncident, content: string, by: FakeUser, via: 'api' | 'ui') => {
    const note: FakeNote = { id: `PN${String(nextNote++).padStart(5, '0')}`, content, userId: by.id, createdAt: now() };
    i.notes.push(note);
    i.log.push({ type: 'annotate_log_entry', at: note.createdAt, by: by.id });
    announce({ kind: 'annotated', incident: i, user: by, via, note });
    return note;
  };

  const route = async (req: IncomingMessage, url: URL, raw: string, from: string | null) => {
    const method = req.method ?? 'GET';
    const fail = (status: number, err = errorBody(status)) => ({ status, json: { error: err } });
    if (req.headers.accept !== ACCEPT) return fail(406, { message: 'Not Acceptable', code: 2001 });
    if (req.headers.authorization !== `Token token=${opts.token}`) return fail(401);
    let body: Record<string, unknown> = {};
    if (method !== 'GET' && raw) {
      try {
        body = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        return fail(400, { message: 'Invalid Input Provided', code: 2001, errors: ['Malformed JSON'] });
      }
    }
    let actor: FakeUser | undefined;
    if (method !== 'GET') {
      if (!from)
        return fail(400, {
          message: 'You must specify a user\'s email address in the "From" header to perform this action',
          code: 2016,
        });
      actor = userBy(from);
      if (!actor) return fail(400, { message: 'Requester User Not Found', code: 1008, errors: [] });
    }
    const q = url.searchParams;
    if (method === 'GET' && url.pathname === '/users') {
      const query = (q.get('query') ?? '').toLowerCase();
      const limit = Number(q.get('limit') ?? 25);
      const offset = Number(q.get('offset') ?? 0);
      const all = users.filter((u) => u.email.toLowerCase().includes(query) || u.name.toLowerCase().includes(query));
      const page = all.slice(offset, offset + limit);
      return {
        status: 200,
        json: {
          users: page.map((u) => ({ ...ref('user', u.id, u.name, 'users'), name: u.name, email: u.email })),
          limit,
          offset,
          more: offset + limit < all.length,
          total: null,
        },
      };
    }
    if (method === 'GET' && url.pathname === '/oncalls') {
      const ids = q.getAll('escalation_policy_ids[]');
      const oncalls = policies
        .filter((p) => ids.length === 0 || ids.includes(p.id))
        .flatMap((p) =>
          p.levels.flatMap((userIds, n) =>
            userIds.map((uid) => ({
              escalation_policy: ref('escalation_policy_reference', p.id, p.name, 'escalation_policies'),
              escalation_level: n + 1,
              user: ref('user_reference', uid, userBy(uid)?.name ?? uid, 'users'),
              schedule: null,
              start: null,
              end: null,
            })),
          ),
        );
      return { status: 200, json: { oncalls, limit: 100, offset: 0, more: false, total: null } };
    }
    const m = /^\/incidents\/([^/]+)(\/notes|\/log_entries)?$/.exec(url.pathname);
    const incident = m ? incidents.get(decodeURIComponent(m[1]!)) : undefined;
    if (!m || !incident) return fail(404);
    if (method === 'GET' && !m[2]) return { status: 200, json: { incident: view(incident) } };
    if (method === 'GET' && m[2] === '/notes')
      return {
        status: 200,
        json: {
          notes: incident.notes.map((n) => ({
            id: n.id,
            content: n.content,
            created_at: n.createdAt,
            user: ref('user_reference', n.userId, userBy(n.userId)?.name ?? n.userId, 'users'),
          })),
        },
      };
    if (method === 'GET' && m[2] === '/log_entries')
      return { status: 200, json: { log_entries: incident.log, limit: 100, offset: 0, more: false } };
    if (method === 'POST' && m[2] === '/notes') {
      const content = (body.note as { content?: unknown } | undefined)?.content;
      if (typeof content !== 'string' || !content.trim())
        return fail(400, { message: 'Invalid Input Provided', code: 2001, errors: ['Note content is required'] });
      const note = addNote(incident, content, actor!, 'api');
      return {
        status: 201,
        json: {
          note: {
            id: note.id,
            content,
            created_at: note.createdAt,
            user: ref('user_reference', actor!.id, actor!.name, 'users'),
          },
        },
      };
    }
    if (method === 'PUT' && !m[2]) {
      const inc = body.incident as Record<string, unknown> | undefined;
      if (!inc || (inc.type !== 'incident_reference' && inc.type !== 'incident'))
        return fail(400, { message: 'Invalid Input Provided', code: 2001, errors: ['Incident type is invalid'] });
      const { status, escalation_level: level, resolution } = inc;
      if (status !== undefined && status !== 'acknowledged' && status !== 'resolved')
        return fail(400, { message: 'Invalid Input Provided', code: 2001, errors: ['Status is invalid'] });
      if (level !== undefined && (!Number.isInteger(level) || (level as number) < 1))
        return fail(400, { message: 'Invalid Input Provided', code: 2001, errors: ['Escalation level is invalid'] });
      if (incident.status === 'resolved' && (status !== undefined || level !== undefined))
        return fail(400, { message: 'Invalid Input Provided', code: 2001, errors: ['Incident Already Resolved'] });
      if (typeof level === 'number') {
        if (level > policyOf(incident).levels.length)
          return fail(400, {
            message: 'Invalid Input Provided',
            code: 2001,
            errors: ['Escalation level is not in the escalation policy'],
          });
        setLevel(incident, level, actor!, 'api');
      }
      if (status === 'resolved' && typeof resolution === 'string') incident.resolution = resolution;
      if ((status === 'acknowledged' || status === 'resolved') && incident.status !== status)
        setStatus(incident, status, actor!, 'api');
      return { status: 200, json: { incident: view(incident) } };
    }
    return fail(404);
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const raw = await readBody(req);
      const from = typeof req.headers.from === 'string' ? req.headers.from : null;
      const failure = failures.shift();
      const out =
        failure !== undefined
          ? { status: failure, json: { error: errorBody(failure) } }
          : await route(req, url, raw, from);
      const query: Record<string, string | string[]> = {};
      for (const key of new Set(url.searchParams.keys())) {
        const all = url.searchParams.getAll(key);
        query[key] = all.length > 1 || key.endsWith('[]') ? all : all[0]!;
      }
      let body: unknown = raw;
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        /* kept as text */
      }
      calls.push({
        method: req.method ?? '',
        path: url.pathname,
        query,
        from,
        accept: req.headers.accept ?? null,
        authorized: req.headers.authorization === `Token token=${opts.token}`,
        body,
        status: out.status,
      });
      res.writeHead(out.status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(out.json));
    })().catch((e: unknown) => {
      res.writeHead(500);
      res.end(String(e));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: origin,
    calls,
    incident: (id) => incidents.get(id),
    user: (idOrEmail) => userBy(idOrEmail),
    trigger: (input) => {
      const n = nextNumber++;
      const i: FakeIncident = {
        id: input.id ?? `Q${String(n).padStart(6, '0')}`,
        number: n,
        title: input.title,
        status: 'triggered',
        urgency: input.urgency ?? 'high',
        serviceId: input.serviceId ?? 'PSVC001',
        serviceName: input.serviceName ?? 'checkout-api',
        policyId: input.policyId ?? policies[0]!.id,
        escalationLevel: 1,
        incidentKey: input.incidentKey ?? `key-${n}`,
        ...(input.priority ? { priority: input.priority } : {}),
        teams: input.teams ?? [],
        createdAt: now(),
        notes: [],
        log: [{ type: 'trigger_log_entry', at: now(), by: 'system' }],
      };
      incidents.set(i.id, i);
      announce({ kind: 'triggered', incident: i, via: 'ui' });
      return i;
    },
    ack: (id, byEmail) => {
      const i = mustGet(id);
      setStatus(i, 'acknowledged', mustUser(byEmail), 'ui');
      return i;
    },
    resolve: (id, byEmail, resolution) => {
      const i = mustGet(id);
      if (resolution) i.resolution = resolution;
      setStatus(i, 'resolved', mustUser(byEmail), 'ui');
      return i;
    },
    escalate: (id, level, byEmail) => {
      const i = mustGet(id);
      setLevel(i, level, mustUser(byEmail), 'ui');
      return i;
    },
    addNote: (id, content, byEmail) => addNote(mustGet(id), content, mustUser(byEmail), 'ui'),
    eventData: (id) => {
      const i = mustGet(id);
      const v = view(i);
      return {
        id: v.id,
        type: 'incident',
        self: v.self,
        html_url: v.html_url,
        number: i.number,
        status: i.status,
        incident_key: i.incidentKey,
        created_at: i.createdAt,
        title: i.title,
        service: v.service,
        assignees: v.assignments.map((a) => a.assignee),
        escalation_policy: v.escalation_policy,
        teams: v.teams,
        priority: v.priority,
        urgency: i.urgency,
        conference_bridge: null,
        resolve_reason: null,
      };
    },
    onChange: (listener) => {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    failNext: (status, times = 1) => {
      for (let n = 0; n < times; n++) failures.push(status);
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};
