import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer, faultQueue, readBody, requestGate } from '../faults.ts';
import { computeHandlers } from './compute.ts';
import { seedGcpFleet } from './fleet.ts';
import type { GcpFleet, GcpRequest } from './model.ts';
import { monitoringHandlers } from './monitoring.ts';
import { bucketNamed, storageHandlers } from './storage.ts';
import { GcpApiError, faultError, projectOf } from './wire.ts';
import type { GcpFault } from './wire.ts';

/**
 * The local GCP emulator: one loopback HTTP server speaking compute v1 REST (what
 * @google-cloud/compute's REST transport sends), the Cloud Storage JSON API, the IAM admin REST
 * API and Cloud Monitoring's timeSeries.list (daily CPU), with Google's JSON errors. Plain http works for GCP: point the clients at
 * `{ apiEndpoint: '127.0.0.1', port, protocol: 'http' }` (compute) and `apiEndpoint: url` (storage).
 */

export interface GcpSandboxOptions {
  /** Clock for seeding the fleet and for operation times. */
  now?: () => Date;
  /** Loopback port to listen on; 0 (default) lets the OS pick one. */
  port?: number;
  /** A fleet to serve instead of the seeded demo fleet. */
  fleet?: GcpFleet;
  /** How many reads (instance get/list, operation get/wait) see STOPPING/STAGING before it settles (default 1). */
  transitionPolls?: number;
  /**
   * Bearer tokens it accepts → the projects each may read (default: any caller reads every
   * project). An unknown token is refused with 401 UNAUTHENTICATED, a project the token may not
   * read with 403 PERMISSION_DENIED, as Google does.
   */
  tokens?: Record<string, string[]>;
}

export interface GcpSandbox {
  /** `http://127.0.0.1:<port>`: storage's `apiEndpoint`, and the base of IAM REST calls. */
  url: string;
  host: '127.0.0.1';
  port: number;
  /** The live state; tests may read or arrange it. */
  state: GcpFleet;
  /** Every request answered, oldest first. */
  requests: GcpRequest[];
  /**
   * Makes the next `times` calls matching `match` fail with `fault`. `match` is an operation id
   * (`compute.instances.aggregatedList`, `storage.buckets.list`, `iam.serviceAccounts.keys.list`…),
   * optionally `@project`-suffixed, or `*`.
   */
  failNext(match: string, fault: GcpFault, times?: number): void;
  /**
   * Holds every request from now on (a slow or stuck cloud) until the returned function is called;
   * held requests are then answered in order.
   */
  hold(): () => void;
  stop(): Promise<void>;
}

type Route = { method: string; pattern: RegExp; operation: string; api: 'compute' | 'storage' | 'iam' | 'monitoring' };

const seg = '([^/]+)';
const c = (method: string, rest: string, operation: string): Route => ({
  method,
  pattern: new RegExp(`^/compute/v1/projects/${seg}/${rest}$`),
  operation,
  api: 'compute',
});
const routes: Route[] = [
  c('GET', 'aggregated/instances', 'compute.instances.aggregatedList'),
  c('GET', 'aggregated/disks', 'compute.disks.aggregatedList'),
  c('GET', 'aggregated/addresses', 'compute.addresses.aggregatedList'),
  c('GET', 'global/snapshots', 'compute.snapshots.list'),
  c('GET', 'global/firewalls', 'compute.firewalls.list'),
  c('GET', 'aggregated/machineTypes', 'compute.machineTypes.aggregatedList'),
  c('GET', `zones/${seg}/machineTypes`, 'compute.machineTypes.list'),
  c('GET', `zones/${seg}/instances/${seg}`, 'compute.instances.get'),
  c('POST', `zones/${seg}/instances/${seg}/start`, 'compute.instances.start'),
  c('POST', `zones/${seg}/instances/${seg}/stop`, 'compute.instances.stop'),
  c('POST', `zones/${seg}/instances/${seg}/reset`, 'compute.instances.reset'),
  c('POST', `zones/${seg}/instances/${seg}/setMachineType`, 'compute.instances.setMachineType'),
  c('GET', `zones/${seg}/disks/${seg}`, 'compute.disks.get'),
  c('POST', `zones/${seg}/disks/${seg}/createSnapshot`, 'compute.disks.createSnapshot'),
  c('DELETE', `zones/${seg}/disks/${seg}`, 'compute.disks.delete'),
  c('GET', `global/firewalls/${seg}`, 'compute.firewalls.get'),
  c('GET', `global/snapshots/${seg}`, 'compute.snapshots.get'),
  c('GET', `regions/${seg}/addresses/${seg}`, 'compute.addresses.get'),
  c('DELETE', `global/firewalls/${seg}`, 'compute.firewalls.delete'),
  c('DELETE', `global/snapshots/${seg}`, 'compute.snapshots.delete'),
  c('DELETE', `regions/${seg}/addresses/${seg}`, 'compute.addresses.delete'),
  c('GET', `zones/${seg}/operations/${seg}`, 'compute.zoneOperations.get'),
  c('POST', `zones/${seg}/operations/${seg}/wait`, 'compute.zoneOperations.wait'),
  { method: 'GET', pattern: /^\/storage\/v1\/b$/, operation: 'storage.buckets.list', api: 'storage' },
  { method: 'GET', pattern: new RegExp(`^/storage/v1/b/${seg}$`), operation: 'storage.buckets.get', api: 'storage' },
  {
    method: 'PATCH',
    pattern: new RegExp(`^/storage/v1/b/${seg}$`),
    operation: 'storage.buckets.patch',
    api: 'storage',
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/storage/v1/b/${seg}/iam$`),
    operation: 'storage.buckets.getIamPolicy',
    api: 'storage',
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/v1/projects/${seg}/serviceAccounts$`),
    operation: 'iam.serviceAccounts.list',
    api: 'iam',
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/v1/projects/${seg}/serviceAccounts/${seg}/keys$`),
    operation: 'iam.serviceAccounts.keys.list',
    api: 'iam',
  },
  ...(['disable', 'enable'] as const).map((verb): Route => ({
    method: 'POST',
    pattern: new RegExp(`^/v1/projects/${seg}/serviceAccounts/${seg}/keys/([^/:]+):${verb}$`),
    operation: `iam.serviceAccounts.keys.${verb}`,
    api: 'iam',
  })),
  {
    method: 'GET',
    pattern: new RegExp(`^/v3/projects/${seg}/timeSeries$`),
    operation: 'monitoring.timeSeries.list',
    api: 'monitoring',
  },
];

/** Path parameter names after the project, by operation. */
const paramNames = (operation: string): string[] => {
  if (operation === 'compute.machineTypes.list') return ['zone'];
  if (operation.startsWith('compute.instances.') && !operation.endsWith('aggregatedList')) return ['zone', 'instance'];
  if (operation.startsWith('compute.zoneOperations.')) return ['zone', 'operation'];
  if (/^compute\.disks\.(get|createSnapshot|delete)$/.test(operation)) return ['zone', 'disk'];
  if (/^compute\.firewalls\.(get|delete)$/.test(operation)) return ['firewall'];
  if (/^compute\.snapshots\.(get|delete)$/.test(operation)) return ['snapshot'];
  if (/^compute\.addresses\.(get|delete)$/.test(operation)) return ['region', 'address'];
  if (operation === 'iam.serviceAccounts.keys.list') return ['account'];
  if (/^iam\.serviceAccounts\.keys\.(disable|enable)$/.test(operation)) return ['account', 'key'];
  return [];
};

const maxBodyBytes = 100_000;
const tooLarge = () => new GcpApiError(413, 'uploadTooLarge', 'The request body is too large.');

const parseBody = (text: string): unknown => {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new GcpApiError(400, 'parseError', 'Invalid JSON payload received.');
  }
};

export const startGcpSandbox = async (opts: GcpSandboxOptions = {}): Promise<GcpSandbox> => {
  const now = opts.now ?? (() => new Date());
  const state = opts.fleet ?? seedGcpFleet(now());
  const transitionPolls = Math.max(1, opts.transitionPolls ?? 1);
  const requests: GcpRequest[] = [];
  const faults = faultQueue<string, GcpFault>();

  const takeFault = (operation: string, project: string): GcpFault | undefined =>
    faults.take((x) => x === '*' || x === operation || x === `${operation}@${project}`);

  /** Who may read `project`: any caller without a token table; else the token's projects. */
  const authorize = (req: IncomingMessage, project: string, operation: string): void => {
    if (!opts.tokens) return;
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const projects = token ? opts.tokens[token] : undefined;
    if (!projects)
      throw new GcpApiError(
        401,
        'authError',
        'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
      );
    if (!projects.includes(project)) {
      const permission = operation.replace(/\.(aggregatedList|list)$/, '.list').replace(/^(\w+)\./, '$1.');
      throw new GcpApiError(
        403,
        'forbidden',
        `Permission '${permission}' denied on resource 'projects/${project}' (or it may not exist).`,
      );
    }
  };

  const gate = requestGate();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const held = gate.passed();
    if (held) await held;
    const u = new URL(req.url ?? '/', 'http://sandbox');
    const query: Record<string, string> = {};
    for (const [k, v] of u.searchParams) query[k] = v;
    const entry: GcpRequest = { method: req.method ?? 'GET', path: u.pathname, query, status: 200 };
    const send = (status: number, body: unknown) => {
      entry.status = status;
      requests.push(entry);
      res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' }).end(JSON.stringify(body));
    };
    try {
      const route = routes.find((r) => r.method === req.method && r.pattern.test(u.pathname));
      if (!route) throw new GcpApiError(404, 'notFound', `No ${req.method} ${u.pathname} in the GCP sandbox.`);
      const m = route.pattern.exec(u.pathname)!.slice(1).map(decodeURIComponent);
      const body = parseBody(
        req.method === 'POST' || req.method === 'PATCH' ? await readBody(req, maxBodyBytes, tooLarge) : '',
      );
      let project: string;
      let params: Record<string, string>;
      if (route.api === 'storage' && route.operation !== 'storage.buckets.list') {
        params = { bucket: m[0]! };
        project = bucketNamed(state, m[0]!).project;
      } else {
        project = route.api === 'storage' ? (query.project ?? '') : m[0]!;
        if (!project) throw new GcpApiError(400, 'required', 'Required parameter: project');
        params = Object.fromEntries(paramNames(route.operation).map((n, i) => [n, m[i + 1]!]));
      }
      entry.project = project;
      authorize(req, project, route.operation);
      projectOf(state, project);
      const fault = takeFault(route.operation, project);
      if (fault) throw faultError(fault, route.operation);
      const out =
        route.api === 'compute'
          ? computeHandlers[route.operation]!({ fleet: state, project, query, body, now, transitionPolls, params })
          : { ...storageHandlers, ...monitoringHandlers }[route.operation]!({
              fleet: state,
              project,
              query,
              params,
              body,
            });
      send(200, out);
    } catch (e) {
      const err = e instanceof GcpApiError ? e : new GcpApiError(500, 'backendError', 'Internal error encountered.');
      send(err.status, err.body());
    }
  };

  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    host: '127.0.0.1',
    port,
    state,
    requests,
    failNext: (match, fault, times = 1) => faults.push(match, fault, times),
    hold: gate.hold,
    stop: () => closeServer(server),
  };
};
