import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SandboxSession, ServiceResponse } from './aws-query.ts';
import { credentialScopeService, startAwsServices } from './aws-services/router.ts';
import type { AwsServicesSandbox } from './aws-services/router.ts';
import type { Ec2Handler, Transition } from './call.ts';
import { coreServiceRouters } from './core-services.ts';
import { describeHandlers } from './describe.ts';
import { catalogHandlers } from './describe-catalog.ts';
import { networkHandlers } from './describe-network.ts';
import { closeServer, faultQueue, readBody, requestGate } from './faults.ts';
import type { InjectedFault } from './faults.ts';
import { sandboxRoles, seedFleet, seedSecondFleet } from './fleet.ts';
import { lifecycleHandlers } from './lifecycle.ts';
import { resourceChangeHandlers } from './resource-changes.ts';
import type { SandboxFleet, SandboxRequest, SandboxRole } from './model.ts';
import { Ec2Error } from './query.ts';
import type { Params } from './query.ts';
import { emptyServicesAccount } from './service-accounts.ts';
import { errorXml, responseXml } from './xml.ts';

/**
 * The local AWS emulator: a loopback HTTP server speaking the EC2 Query API (form POST, XML
 * answers, EC2 error codes and statuses) so the real @aws-sdk/client-ec2 runs against it
 * unchanged, and STS, ELBv2, CloudWatch and ECS beside it (./core-services.ts). The region and the
 * service come from the SigV4 credential scope, as the endpoint does on AWS; the account from the
 * signing key (an STS session's key acts in the role's account, any other key in the main one).
 */

export interface SandboxOptions {
  /** Clock for seeding the fleet, launch times of started instances, timed transitions and ECS rollouts. */
  now?: () => Date;
  /** The main account's fleet, instead of the seeded demo fleet. */
  fleet?: SandboxFleet;
  /** Other accounts' fleets, reached through STS AssumeRole (default: the seeded second account). */
  otherFleets?: SandboxFleet[];
  /** Roles STS lets a caller assume (default: the second account's DevOpsAgentRead). */
  roles?: SandboxRole[];
  /**
   * How long `pending`/`stopping` (and each phase of an ECS rollout) last by the `now` clock, so a
   * change can be watched (and killed) while it runs; the app uses 2000. Without it, transitions
   * end after `transitionDescribes` DescribeInstances calls instead (ECS: reads of the service).
   * The account services settle the same way (an RDS instance or snapshot `creating`, a Route 53
   * change `PENDING`).
   */
  transitionMs?: number;
  /** How many DescribeInstances calls see `pending`/`stopping` before it settles (default 1; ignored with transitionMs). */
  transitionDescribes?: number;
  /** CloudWatch GetMetricData datapoints per page before NextToken (default 100,800, CloudWatch's own). */
  metricDatapointsPerPage?: number;
  /** Loopback port to listen on; 0 (default) lets the OS pick a free one. */
  port?: number;
  /**
   * Access key ids it accepts (default: any; signatures are never checked). A request signed with
   * another key is refused with AuthFailure (401), as EC2 refuses a key it does not know.
   */
  accessKeyIds?: readonly string[];
}

export type { InjectedFault };

export interface Sandbox {
  /** Base URL to pass as the SDK's `endpoint`. */
  url: string;
  /** The live state of the main account; tests may read or arrange it. */
  fleet: SandboxFleet;
  /** Every account's fleet by account id (the main one included). */
  fleets: Map<string, SandboxFleet>;
  /** Roles STS lets callers assume; tests may add or remove some. */
  roles: SandboxRole[];
  /** Every request answered, oldest first. */
  requests: SandboxRequest[];
  /** Makes the next `times` calls of `action` ('*' for any; any service) fail with `fault`. */
  failNext(action: string, fault: InjectedFault, times?: number): void;
  /**
   * Holds every request from now on (a slow or stuck cloud) until the returned function is called;
   * held requests are then answered in order.
   */
  hold(): () => void;
  stop(): Promise<void>;
  /** The account services (RDS, S3, IAM, CloudTrail, Config, KMS, Logs, Route 53) on the same port; see aws-services/router.ts. */
  services?: AwsServicesSandbox;
}

const apiVersion = '2016-11-15';
const maxBodyBytes = 1_000_000;
const tooLarge = () => new Ec2Error('RequestEntityTooLarge', 'The request body is too large.', 413);
const handlers: Record<string, Ec2Handler> = {
  ...describeHandlers,
  ...catalogHandlers,
  ...networkHandlers,
  ...lifecycleHandlers,
  ...resourceChangeHandlers,
};

/** `AWS4-HMAC-SHA256 Credential=AKID/20261101/eu-west-1/ec2/aws4_request, …` → the access key id, region and service. */
const credentialScope = (header: string | undefined): { accessKeyId: string; region: string; service: string } => {
  if (!header)
    throw new Ec2Error(
      'MissingAuthenticationToken',
      'The request must contain either a valid (registered) AWS access key ID or X.509 certificate.',
      401,
    );
  const m = /Credential=([^/,\s]+)\/\d{8}\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request/.exec(header);
  if (!m) throw new Ec2Error('AuthFailure', 'AWS was not able to validate the provided access credentials', 401);
  return { accessKeyId: m[1]!, region: m[2]!, service: m[3]! };
};

export const startSandbox = async (opts: SandboxOptions = {}): Promise<Sandbox> => {
  const now = opts.now ?? (() => new Date());
  const fleet = opts.fleet ?? seedFleet(now());
  const fleets = new Map<string, SandboxFleet>([
    [fleet.account, fleet],
    ...(opts.otherFleets ?? [seedSecondFleet(now())]).map((f): [string, SandboxFleet] => [f.account, f]),
  ]);
  const roles = opts.roles ?? sandboxRoles.map((r) => ({ ...r }));
  const sessions = new Map<string, SandboxSession>();
  const transition: Transition =
    opts.transitionMs !== undefined
      ? { ms: Math.max(0, opts.transitionMs) }
      : { describes: Math.max(1, opts.transitionDescribes ?? 1) };
  const coreRouters = coreServiceRouters({ metricDatapointsPerPage: opts.metricDatapointsPerPage, transition });
  const requests: SandboxRequest[] = [];
  const faults = faultQueue<string, InjectedFault>();
  let counter = 0;

  const takeFault = (action: string): InjectedFault | undefined => faults.take((x) => x === '*' || x === action);

  const gate = requestGate();
  const services = startAwsServices({
    now,
    accessKeyIds: opts.accessKeyIds,
    transition,
    fleet,
    vpcs: () => fleet.vpcs,
  });
  // Each other account gets its own (empty) per-service state, reached with its STS session's key.
  const accountServices = new Map<string, AwsServicesSandbox>([
    [fleet.account, services],
    ...[...fleets.entries()]
      .filter(([a]) => a !== fleet.account)
      .map(([a, f]): [string, AwsServicesSandbox] => [
        a,
        startAwsServices({ now, account: emptyServicesAccount(a, now()), transition, fleet: f, vpcs: () => f.vpcs }),
      ]),
  ]);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const held = gate.passed();
    if (held) await held;
    const scoped = credentialScopeService(req.headers.authorization);
    if (scoped && scoped.service !== 'ec2' && !coreRouters[scoped.service]) {
      const owner = sessions.get(scoped.accessKeyId)?.account ?? fleet.account;
      return (accountServices.get(owner) ?? services).handle(req, res, scoped);
    }
    counter += 1;
    const requestId = `00000000-0000-4000-8000-${counter.toString(16).padStart(12, '0')}`;
    let params: Params = {};
    let region = '';
    let service = 'ec2';
    let account = fleet.account;
    const record = (action: string, status: number, errorCode?: string) =>
      requests.push({ service, account, action, region, params, status, ...(errorCode ? { errorCode } : {}) });
    const send = (status: number, body: string, errorCode?: string) => {
      record(params.Action ?? '', status, errorCode);
      res.writeHead(status, { 'content-type': 'text/xml;charset=UTF-8', 'x-amzn-requestid': requestId }).end(body);
    };
    const reply = (r: ServiceResponse) => {
      record(r.action, r.status, r.errorCode);
      res
        .writeHead(r.status, { 'content-type': r.contentType, 'x-amzn-requestid': requestId, ...r.headers })
        .end(r.body);
    };
    try {
      const url = new URL(req.url ?? '/', 'http://sandbox');
      const body = req.method === 'POST' ? await readBody(req, maxBodyBytes, tooLarge) : '';
      const form = !String(req.headers['content-type'] ?? '').includes('json');
      params = Object.fromEntries([...url.searchParams, ...(form ? new URLSearchParams(body) : [])]);
      const scope = credentialScope(req.headers.authorization);
      region = scope.region;
      service = scope.service;
      const session = sessions.get(scope.accessKeyId);
      if (session && session.expiration.getTime() <= now().getTime())
        throw new Ec2Error('ExpiredToken', 'The security token included in the request is expired', 400);
      if (!session && opts.accessKeyIds && !opts.accessKeyIds.includes(scope.accessKeyId))
        throw new Ec2Error('AuthFailure', 'AWS was not able to validate the provided access credentials', 401);
      account = session?.account ?? fleet.account;
      const accountFleet = fleets.get(account) ?? fleet;
      const router = coreRouters[service];
      if (router) {
        reply(
          router({
            service,
            region,
            accessKeyId: scope.accessKeyId,
            params,
            body,
            target: req.headers['x-amz-target'] as string | undefined,
            requestId,
            fleet: accountFleet,
            fleets,
            roles,
            sessions,
            now,
            fault: takeFault,
          }),
        );
        return;
      }
      if (service !== 'ec2')
        throw new Ec2Error('UnknownService', `The sandbox does not emulate the ${service} service.`, 400);
      const action = params.Action;
      if (!action) throw new Ec2Error('MissingAction', 'The request must contain the parameter Action');
      if (params.Version !== apiVersion)
        throw new Ec2Error(
          'NoSuchVersion',
          `An invalid or out-of-range value '${params.Version ?? ''}' was supplied for the Version parameter.`,
        );
      const handler = handlers[action];
      if (!handler) throw new Ec2Error('InvalidAction', `The action ${action} is not valid for this web service.`);
      const fault = takeFault(action);
      if (fault) throw new Ec2Error(fault.code, fault.message ?? `Injected ${fault.code}`, fault.status ?? 400);
      if (params.DryRun === 'true')
        throw new Ec2Error('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', 412);
      send(200, responseXml(action, requestId, handler({ region, params, fleet: accountFleet, now, transition })));
    } catch (e) {
      const err = e instanceof Ec2Error ? e : new Ec2Error('InternalError', 'An internal error has occurred', 500);
      send(err.status, errorXml(err.ec2Code, err.message, requestId), err.ec2Code);
    }
  };

  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    fleet,
    fleets,
    roles,
    requests,
    services,
    failNext: (action, fault, times = 1) => faults.push(action, fault, times),
    hold: gate.hold,
    stop: () => closeServer(server),
  };
};
