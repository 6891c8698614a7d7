import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { credentialScopeService, startAwsServices } from './aws-services/router.ts';
import type { AwsServicesSandbox } from './aws-services/router.ts';
import type { Ec2Handler } from './call.ts';
import { describeHandlers } from './describe.ts';
import { seedFleet } from './fleet.ts';
import { lifecycleHandlers } from './lifecycle.ts';
import type { SandboxFleet, SandboxRequest } from './model.ts';
import { Ec2Error } from './query.ts';
import type { Params } from './query.ts';
import { errorXml, responseXml } from './xml.ts';

/**
 * The local EC2 emulator: a loopback HTTP server speaking the EC2 Query API (form POST, XML
 * answers, EC2 error codes and statuses) so the real @aws-sdk/client-ec2 runs against it
 * unchanged. The region comes from the SigV4 credential scope, as the endpoint does on AWS.
 */

export interface SandboxOptions {
  /** Clock for seeding the fleet and for launch times of started instances. */
  now?: () => Date;
  /** A fleet to serve instead of the seeded demo fleet. */
  fleet?: SandboxFleet;
  /** How many DescribeInstances calls see `pending`/`stopping` before it settles (default 1). */
  transitionDescribes?: number;
  /** Loopback port to listen on; 0 (default) lets the OS pick a free one. */
  port?: number;
  /**
   * Access key ids it accepts (default: any; signatures are never checked). A request signed with
   * another key is refused with AuthFailure (401), as EC2 refuses a key it does not know.
   */
  accessKeyIds?: readonly string[];
}

/** An error the sandbox answers instead of running the action, e.g. to test throttling. */
export interface InjectedFault {
  code: string;
  message?: string;
  status?: number;
}

export interface Sandbox {
  /** Base URL to pass as the SDK's `endpoint`. */
  url: string;
  /** The live state; tests may read or arrange it. */
  fleet: SandboxFleet;
  /** Every request answered, oldest first. */
  requests: SandboxRequest[];
  /** Makes the next `times` calls of `action` ('*' for any) fail with `fault`. */
  failNext(action: string, fault: InjectedFault, times?: number): void;
  /**
   * Holds every request from now on (a slow or stuck cloud) until the returned function is called;
   * held requests are then answered in order.
   */
  hold(): () => void;
  stop(): Promise<void>;
  /** The account services (RDS, S3, IAM, CloudTrail, Config, KMS, Logs) on the same port; see aws-services/router.ts. */
  services?: AwsServicesSandbox;
}

const apiVersion = '2016-11-15';
const maxBodyBytes = 1_000_000;
const handlers: Record<string, Ec2Handler> = { ...describeHandlers, ...lifecycleHandlers };

const readBody = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBodyBytes) reject(new Ec2Error('RequestEntityTooLarge', 'The request body is too large.', 413));
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });

/** `AWS4-HMAC-SHA256 Credential=AKID/20261101/eu-west-1/ec2/aws4_request, …` → the access key id and the region. */
const credentialScope = (header: string | undefined): { accessKeyId: string; region: string } => {
  if (!header)
    throw new Ec2Error(
      'MissingAuthenticationToken',
      'The request must contain either a valid (registered) AWS access key ID or X.509 certificate.',
      401,
    );
  const m = /Credential=([^/,\s]+)\/\d{8}\/([a-z0-9-]+)\/ec2\/aws4_request/.exec(header);
  if (!m) throw new Ec2Error('AuthFailure', 'AWS was not able to validate the provided access credentials', 401);
  return { accessKeyId: m[1]!, region: m[2]! };
};

export const startSandbox = async (opts: SandboxOptions = {}): Promise<Sandbox> => {
  const now = opts.now ?? (() => new Date());
  const fleet = opts.fleet ?? seedFleet(now());
  const transitionDescribes = Math.max(1, opts.transitionDescribes ?? 1);
  const requests: SandboxRequest[] = [];
  const faults: Array<{ action: string; fault: InjectedFault; left: number }> = [];
  let counter = 0;

  const takeFault = (action: string): InjectedFault | undefined => {
    const f = faults.find((x) => x.left > 0 && (x.action === '*' || x.action === action));
    if (!f) return undefined;
    f.left -= 1;
    return f.fault;
  };

  let held: Promise<void> | undefined;
  const services = startAwsServices({ now, accessKeyIds: opts.accessKeyIds });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (held) await held;
    const scoped = credentialScopeService(req.headers.authorization);
    if (scoped && scoped.service !== 'ec2') return services.handle(req, res, scoped);
    counter += 1;
    const requestId = `00000000-0000-4000-8000-${counter.toString(16).padStart(12, '0')}`;
    let params: Params = {};
    let region = '';
    const send = (status: number, body: string, errorCode?: string) => {
      requests.push({ action: params.Action ?? '', region, params, status, ...(errorCode ? { errorCode } : {}) });
      res.writeHead(status, { 'content-type': 'text/xml;charset=UTF-8', 'x-amzn-requestid': requestId }).end(body);
    };
    try {
      const url = new URL(req.url ?? '/', 'http://sandbox');
      const body = req.method === 'POST' ? await readBody(req) : '';
      params = Object.fromEntries([...url.searchParams, ...new URLSearchParams(body)]);
      const scope = credentialScope(req.headers.authorization);
      region = scope.region;
      if (opts.accessKeyIds && !opts.accessKeyIds.includes(scope.accessKeyId))
        throw new Ec2Error('AuthFailure', 'AWS was not able to validate the provided access credentials', 401);
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
      send(200, responseXml(action, requestId, handler({ region, params, fleet, now, transitionDescribes })));
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
    requests,
    services,
    failNext: (action, fault, times = 1) => void faults.push({ action, fault, left: times }),
    hold: () => {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      held = gate;
      return () => {
        if (held === gate) held = undefined;
        release();
      };
    },
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // The SDK keeps connections alive; without this close() waits for them to time out.
        server.closeAllConnections();
      }),
  };
};
