/**
 * Loopback wire fake of the Bot Connector service, the `serviceUrl` Teams puts on every activity
 * (for Teams: https://smba.trafficmanager.net/<region>/), plus the Entra pieces the Agents SDK
 * needs for the bot's inbound tokens: a JWKS at `{authority}/discovery/v2.0/keys` with an RS256
 * key generated here (node:crypto), and `token(claims)` that signs Bot Framework-style tokens.
 *
 * Connector wire (JSON, what `ConnectorClient` sends):
 * - `POST /v3/conversations/{id}/activities[/{replyToId}]` → `{ id }` (a new activity id);
 * - `PUT /v3/conversations/{id}/activities/{activityId}` → `{ id }`;
 * - `DELETE /v3/conversations/{id}/activities/{activityId}` → 200;
 * - `GET /v3/conversations/{id}/members/{userId}` → the member (`members` option) or 404;
 * - `GET /v3/teams/{teamId}` → the team's details `{ id, name, aadGroupId }` (`teams` option) or 404.
 * State: the activities of each conversation as they now read (updates applied, deletes marked),
 * and a record of every call with its Authorization header. `fail(...)` scripts the next answers
 * for a conversation: 429 with Retry-After, 403, 404, 5xx.
 */
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ConnectorCall {
  method: string;
  path: string;
  conversationId: string;
  activityId?: string;
  authorization: string | null;
  status: number;
  body: Record<string, unknown> | undefined;
  at: number;
}

export interface FakeActivity {
  id: string;
  conversationId: string;
  /** The activity as last written (the PUT's body after an update). */
  activity: Record<string, unknown>;
  /** Every version: the post, then each update. */
  versions: Array<Record<string, unknown>>;
  deleted: boolean;
  replyToId?: string;
}

export interface ScriptedFailure {
  status: number;
  /** Seconds, sent as Retry-After. */
  retryAfter?: number;
  /** Which calls: default any. */
  method?: 'POST' | 'PUT' | 'DELETE' | 'GET';
}

export interface BotConnectorFake {
  readonly url: string;
  /** The Entra authority whose JWKS the SDK reads: `${url}/${tenant}`. */
  readonly authority: string;
  /** The issuer tokens carry (accepted through TEAMS_ISSUERS). */
  readonly issuer: string;
  readonly calls: ConnectorCall[];
  /** Activities of a conversation (thread suffixes included in the id, as posted), in order. */
  activities(conversationId?: string): FakeActivity[];
  /** Message activities (not typing) whose conversation starts with `prefix`. */
  messages(prefix: string): FakeActivity[];
  fail(conversationId: string, ...failures: ScriptedFailure[]): void;
  /** An RS256 token signed with the fake's key (or `key: 'other'` for a forged one). */
  token(claims: Record<string, unknown>, opts?: { key?: 'other'; header?: Record<string, unknown> }): string;
  stop(): Promise<void>;
}

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

const readJson = async (req: IncomingMessage): Promise<Record<string, unknown> | undefined> => {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  if (chunks.length === 0) return undefined;
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
};

export const startBotConnectorFake = async (
  opts: {
    tenant?: string;
    members?: Record<string, { id: string; name: string; aadObjectId?: string }>;
    /** Team thread id (`19:…`) → its details, as `GET /v3/teams/{id}` answers them. */
    teams?: Record<string, { name: string; aadGroupId: string }>;
    now?: () => number;
  } = {},
): Promise<BotConnectorFake> => {
  const tenant = opts.tenant ?? 'tenant1';
  const now = opts.now ?? (() => Date.now());
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const jwk = publicKey.export({ format: 'jwk' });
  const kid = createHash('sha256').update(String(jwk.n)).digest('hex').slice(0, 16);
  const calls: ConnectorCall[] = [];
  const store: FakeActivity[] = [];
  const failures = new Map<string, ScriptedFailure[]>();
  let next = 1;

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const send = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(body === undefined ? '' : JSON.stringify(body));
      };
      if (req.method === 'GET' && url.pathname === `/${tenant}/discovery/v2.0/keys`)
        return send(200, { keys: [{ ...jwk, kid, use: 'sig', alg: 'RS256' }] });
      const team = /^\/v3\/teams\/([^/]+)\/?$/.exec(url.pathname);
      if (team && req.method === 'GET') {
        const teamId = decodeURIComponent(team[1]!);
        const details = opts.teams?.[teamId];
        calls.push({
          method: 'GET',
          path: url.pathname,
          conversationId: teamId,
          authorization: req.headers.authorization ?? null,
          status: details ? 200 : 404,
          body: undefined,
          at: now(),
        });
        return details ? send(200, { id: teamId, ...details }) : send(404, { error: { code: 'TeamNotFound' } });
      }
      const m = /^\/v3\/conversations\/([^/]+)(?:\/(activities|members)(?:\/([^/]+))?)?\/?$/.exec(url.pathname);
      if (!m) return send(404, { error: { code: 'NotFound', message: url.pathname } });
      const conversationId = decodeURIComponent(m[1]!);
      const kind = m[2];
      const sub = m[3] ? decodeURIComponent(m[3]) : undefined;
      const body = await readJson(req);
      const record = (status: number) =>
        calls.push({
          method: req.method ?? '',
          path: url.pathname,
          conversationId,
          ...(sub ? { activityId: sub } : {}),
          authorization: req.headers.authorization ?? null,
          status,
          body,
          at: now(),
        });
      const queue = failures.get(conversationId) ?? [];
      const f = queue.find((x) => !x.method || x.method === req.method);
      if (f) {
        queue.splice(queue.indexOf(f), 1);
        record(f.status);
        return send(
          f.status,
          { error: { code: 'Scripted', message: `scripted ${f.status}` } },
          f.retryAfter !== undefined ? { 'retry-after': String(f.retryAfter) } : {},
        );
      }
      if (kind === 'members' && req.method === 'GET') {
        const member = sub ? opts.members?.[sub] : undefined;
        record(member ? 200 : 404);
        return member ? send(200, member) : send(404, { error: { code: 'MemberNotFound' } });
      }
      if (kind !== 'activities') {
        record(404);
        return send(404, {});
      }
      if (req.method === 'POST') {
        const id = `act-${next++}`;
        store.push({
          id,
          conversationId,
          activity: body ?? {},
          versions: [body ?? {}],
          deleted: false,
          ...(sub ? { replyToId: sub } : {}),
        });
        record(200);
        return send(200, { id });
      }
      const existing = store.find((a) => a.id === sub);
      if (!existing) {
        record(404);
        return send(404, { error: { code: 'ActivityNotFound' } });
      }
      if (req.method === 'PUT') {
        existing.activity = body ?? {};
        existing.versions.push(body ?? {});
        record(200);
        return send(200, { id: existing.id });
      }
      if (req.method === 'DELETE') {
        existing.deleted = true;
        record(200);
        return send(200);
      }
      record(405);
      return send(405, {});
    })().catch((e: unknown) => {
      res.writeHead(500);
      res.end(String(e));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const authority = `${url}/${tenant}`;

  const signJwt = (claims: Record<string, unknown>, key: KeyObject, header: Record<string, unknown>): string => {
    const h = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid, ...header }));
    const p = b64url(JSON.stringify(claims));
    if (header.alg === 'none') return `${h}.${p}.`;
    return `${h}.${p}.${b64url(sign('RSA-SHA256', Buffer.from(`${h}.${p}`), key))}`;
  };

  return {
    url,
    authority,
    issuer: `${authority}/v2.0`,
    calls,
    activities: (conversationId) =>
      store.filter((a) => conversationId === undefined || a.conversationId === conversationId),
    messages: (prefix) => store.filter((a) => a.conversationId.startsWith(prefix) && a.activity.type === 'message'),
    fail: (conversationId, ...f) => failures.set(conversationId, [...(failures.get(conversationId) ?? []), ...f]),
    token: (claims, o = {}) => signJwt(claims, o.key === 'other' ? other : privateKey, o.header ?? {}),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};
