import { randomUUID } from 'node:crypto';
import { createServer } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generate } from 'selfsigned';
import { closeServer, faultQueue, readBody } from '../faults.ts';
import { ArmError, permissionOf, routeArm, subscriptionOfPath } from './arm.ts';
import type { ArmContext } from './arm.ts';
import { openIdConfiguration, tokenGrant } from './entra.ts';
import type { EntraReply, IssuedToken } from './entra.ts';
import { sandboxClientId, sandboxClientSecret, sandboxTenantId, seedAzureFleet } from './fleet.ts';
import type { AzureFleet } from './fleet.ts';

/**
 * The local Azure emulator: ARM REST and the Entra ID token endpoints on one loopback **TLS**
 * server. Azure's SDK refuses to send a bearer token over plain http, so the server makes a
 * self-signed certificate for 127.0.0.1 at start and hands out its PEM (`ca`) for clients to
 * trust. The real @azure/identity gets its token here and the real @azure/arm-* clients list and
 * act through it.
 */

export interface AzureSandboxOptions {
  /** Clock for seeding the fleet and operation times. */
  now?: () => Date;
  /** Loopback port; 0 (default) lets the OS pick a free one. */
  port?: number;
  /** A fleet to serve instead of the seeded demo fleet. */
  fleet?: AzureFleet;
  /** How many reads see a transitional power state (starting, deallocating) before it settles (default 1). */
  transitionPolls?: number;
  /** Entra tenants served (default: the sandbox tenant); a token for another tenant is refused. */
  tenants?: string[];
  /** Items per list page before a `nextLink` (default 100). */
  pageSize?: number;
}

/** An error the emulator answers instead of handling the request (throttling, auth). */
export interface AzureFault {
  status: number;
  code: string;
  message?: string;
  /** Seconds for `Retry-After` (429/503 only). */
  retryAfter?: number;
}

export interface AzureSandboxRequest {
  method: string;
  path: string;
  status: number;
  subscriptionId?: string;
  errorCode?: string;
}

export interface AzureSandboxState {
  fleet: AzureFleet;
  /** Subscriptions the sandbox principal holds no role on: ARM answers 403 AuthorizationFailed. */
  unreadable: Set<string>;
  /** Items per list page; tests may change it. */
  pageSize: number;
  /**
   * Actions the sandbox principal's role lacks in every subscription (e.g. `Microsoft.Insights/metrics/read`,
   * as with a custom role without Monitoring Reader): ARM answers 403 AuthorizationFailed for them.
   */
  denied: Set<string>;
}

export interface AzureSandbox {
  /** ARM base URL and Entra authority host: `https://127.0.0.1:PORT`. */
  url: string;
  /** PEM of the server's self-signed certificate, to trust in the SDK clients (`tlsOptions.ca`). */
  ca: string;
  state: AzureSandboxState;
  /** Every request answered, oldest first. */
  requests: AzureSandboxRequest[];
  /**
   * Makes the next `times` requests matching `match` fail with `fault`. `match`: '*', a RegExp, or
   * a string found in `METHOD /path` (e.g. `GET /subscriptions/1111…/providers/Microsoft.Compute/virtualMachines`).
   */
  failNext(match: string | RegExp, fault: AzureFault, times?: number): void;
  stop(): Promise<void>;
}

const maxBodyBytes = 1_000_000;
const tooLarge = () => new ArmError(413, 'RequestEntityTooLarge', 'The request body is too large.');

/** A self-signed certificate for 127.0.0.1 (EC P-256: generated in milliseconds). */
const certificate = async (): Promise<{ key: string; cert: string }> => {
  const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(Date.now() - 3_600_000),
    notAfterDate: new Date(Date.now() + 7 * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] },
    ],
  });
  return { key: pems.private, cert: pems.cert };
};

export const startAzureSandbox = async (opts: AzureSandboxOptions = {}): Promise<AzureSandbox> => {
  const now = opts.now ?? (() => new Date());
  const state: AzureSandboxState = {
    fleet: opts.fleet ?? seedAzureFleet(now()),
    unreadable: new Set(),
    denied: new Set(),
    pageSize: Math.max(1, opts.pageSize ?? 100),
  };
  const tenants = opts.tenants ?? [sandboxTenantId];
  const tokens = new Map<string, IssuedToken>();
  const requests: AzureSandboxRequest[] = [];
  const faults = faultQueue<string | RegExp, AzureFault>();
  const operations: ArmContext['operations'] = new Map();
  let operationCounter = 0;
  let base = '';

  const takeFault = (line: string): AzureFault | undefined =>
    faults.take((x) => x === '*' || (typeof x === 'string' ? line.includes(x) : x.test(line)));

  /** The bearer token's principal, or an ARM 401 as Azure answers a missing or unknown token. */
  const principal = (req: IncomingMessage): IssuedToken => {
    const m = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    if (!m)
      throw new ArmError(401, 'AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing.");
    const t = tokens.get(m[1]!);
    if (!t) throw new ArmError(401, 'InvalidAuthenticationToken', 'The access token is invalid.');
    if (t.expiresAt < Date.now())
      throw new ArmError(
        401,
        'ExpiredAuthenticationToken',
        'The access token expiry UTC time is earlier than current UTC time.',
      );
    return t;
  };

  const authorize = (req: IncomingMessage, method: string, path: string): void => {
    const who = principal(req);
    const subId = subscriptionOfPath(path);
    if (!subId) return;
    const sub = state.fleet.subscriptions.find((s) => s.id.toLowerCase() === subId.toLowerCase());
    if (!sub) throw new ArmError(404, 'SubscriptionNotFound', `The subscription '${subId}' could not be found.`);
    if (sub.tenantId !== who.tenantId)
      throw new ArmError(
        401,
        'InvalidAuthenticationTokenTenant',
        `The access token is from the wrong issuer '${base}/${who.tenantId}/'. It must match the tenant '${base}/${sub.tenantId}/' associated with this subscription. Please use the authority (URL) '${base}/${sub.tenantId}' to get the token.`,
      );
    const action = permissionOf(method, path);
    const denied = state.unreadable.has(sub.id) || state.denied.has(action);
    if (denied)
      throw new ArmError(
        403,
        'AuthorizationFailed',
        `The client '${who.clientId}' with object id '${who.clientId}' does not have authorization to perform action '${action}' over scope '${state.unreadable.has(sub.id) ? `/subscriptions/${sub.id}` : path}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
      );
  };

  const entra = async (req: IncomingMessage, url: URL): Promise<EntraReply | undefined> => {
    const m = /^\/([^/]+)\/(v2\.0\/\.well-known\/openid-configuration|oauth2\/v2\.0\/token)$/.exec(url.pathname);
    if (!m) return undefined;
    if (m[2]!.startsWith('v2.0')) {
      if (req.method !== 'GET') return undefined;
      if (!tenants.includes(m[1]!))
        return {
          status: 400,
          errorCode: 'AADSTS90002',
          body: { error: 'invalid_tenant', error_description: `AADSTS90002: Tenant '${m[1]}' not found.` },
        };
      return { status: 200, body: openIdConfiguration(base, m[1]!) };
    }
    if (req.method !== 'POST') return undefined;
    return tokenGrant(
      m[1]!,
      new URLSearchParams(await readBody(req, maxBodyBytes, tooLarge)),
      tenants,
      tokens,
      Date.now(),
    );
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', base);
    const path = url.pathname;
    const subscriptionId = subscriptionOfPath(path);
    const requestId = randomUUID();
    const send = (status: number, body: unknown, headers: Record<string, string> = {}, errorCode?: string) => {
      requests.push({
        method,
        path,
        status,
        ...(subscriptionId ? { subscriptionId } : {}),
        ...(errorCode ? { errorCode } : {}),
      });
      const text = body === undefined ? '' : JSON.stringify(body);
      res
        .writeHead(status, {
          ...(text ? { 'content-type': 'application/json; charset=utf-8' } : {}),
          'x-ms-request-id': requestId,
          'x-ms-correlation-request-id': requestId,
          ...headers,
        })
        .end(text);
    };
    try {
      const fault = takeFault(`${method} ${path}`);
      if (fault)
        throw Object.assign(new ArmError(fault.status, fault.code, fault.message ?? `Injected ${fault.code}.`), {
          retryAfter: fault.retryAfter,
        });
      const token = await entra(req, url);
      if (token) return send(token.status, token.body, {}, token.errorCode);
      if (!url.searchParams.get('api-version'))
        throw new ArmError(
          400,
          'MissingApiVersionParameter',
          'The api-version query parameter (?api-version=) is required for all requests.',
        );
      authorize(req, method, path);
      const raw =
        method === 'PATCH' || method === 'PUT' || method === 'POST' ? await readBody(req, maxBodyBytes, tooLarge) : '';
      let body: unknown;
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        throw new ArmError(
          400,
          'InvalidRequestContent',
          'The request content was invalid and could not be deserialized.',
        );
      }
      const ctx: ArmContext = {
        fleet: state.fleet,
        base,
        pageSize: state.pageSize,
        transitionPolls: Math.max(0, opts.transitionPolls ?? 1),
        now,
        operations,
        nextOperationId: () => `00000000-0000-4000-a000-${(++operationCounter).toString(16).padStart(12, '0')}`,
      };
      const reply = routeArm(ctx, method, url, body);
      send(reply.status, reply.body, reply.headers);
    } catch (e) {
      const err =
        e instanceof ArmError ? e : new ArmError(500, 'InternalServerError', 'Encountered internal server error.');
      const retryAfter = (e as { retryAfter?: number }).retryAfter;
      const headers: Record<string, string> =
        err.status === 429 || err.status === 503 ? { 'retry-after': String(retryAfter ?? 1) } : {};
      send(err.status, { error: { code: err.armCode, message: err.message } }, headers, err.armCode);
    }
  };

  const { key, cert } = await certificate();
  const server = createServer({ key, cert }, (req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  base = `https://127.0.0.1:${port}`;

  return {
    url: base,
    ca: cert,
    state,
    requests,
    failNext: (match, fault, times = 1) => faults.push(match, fault, times),
    stop: () => closeServer(server),
  };
};

/**
 * The AzureProvider options that point it at this emulator with the real ClientSecretCredential
 * (spread them into `new AzureProvider({ ...azureSandboxProviderOptions(sandbox), now, metrics })`).
 * The secret is the sandbox's own, not a credential.
 */
export const azureSandboxProviderOptions = (sandbox: Pick<AzureSandbox, 'url' | 'ca' | 'state'>) => ({
  subscriptions: sandbox.state.fleet.subscriptions.map((s) => ({ id: s.id, name: s.name })),
  tenantId: sandboxTenantId,
  clientId: sandboxClientId,
  clientSecret: sandboxClientSecret,
  authorityHost: sandbox.url,
  endpoint: sandbox.url,
  ca: sandbox.ca,
  sandbox: true as const,
});
