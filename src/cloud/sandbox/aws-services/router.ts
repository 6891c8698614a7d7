import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Transition } from '../call.ts';
import { faultQueue, readBody } from '../faults.ts';
import type { SandboxFleet } from '../model.ts';
import { cloudTrailService } from './cloudtrail.ts';
import { configService } from './config.ts';
import { routeEks } from './eks.ts';
import { iamHandlers, iamNamespace, iamVersion } from './iam.ts';
import type { JsonService } from './json.ts';
import { kmsService } from './kms.ts';
import { logsService } from './logs.ts';
import type { SandboxAwsAccount } from './model.ts';
import { rdsHandlers, rdsNamespace, rdsVersion } from './rds.ts';
import type { QueryHandler } from './rds.ts';
import { route53Namespace, routeRoute53 } from './route53.ts';
import { routeS3, runS3 } from './s3.ts';
import { seedAwsAccount } from './seed.ts';
import { ServiceError, buildXml } from './wire.ts';
import type { ServiceCall, XmlNode } from './wire.ts';

/**
 * The sandbox's AWS account services behind the EC2 sandbox's port: the EC2 server reads the
 * service from the SigV4 credential scope and hands every non-EC2 request here. Each service speaks
 * its own wire protocol (Query XML for RDS and IAM, awsJson1_1 for CloudTrail, Config, KMS and Logs,
 * path-style REST-XML for S3, REST-XML under `/2013-04-01/` for Route 53, REST-JSON for EKS), so
 * each real `@aws-sdk/client-*` runs against it unchanged.
 */

export const awsServiceNames = ['rds', 's3', 'iam', 'cloudtrail', 'config', 'kms', 'logs', 'route53', 'eks'] as const;
export type AwsServiceName = (typeof awsServiceNames)[number];

export interface AwsServicesOptions {
  /** Clock for seeding and for the credential report. */
  now?: () => Date;
  /** An account to serve instead of the seeded one. */
  account?: SandboxAwsAccount;
  /** The most items a service returns per page (whatever the caller asks for); default 100. */
  pageCaps?: Partial<Record<AwsServiceName, number>>;
  /**
   * Access key ids it accepts (default: any; signatures are never checked). Another key is refused
   * the way each service refuses a key it does not know (InvalidClientTokenId, UnrecognizedClientException, InvalidAccessKeyId).
   */
  accessKeyIds?: readonly string[] | undefined;
  /**
   * How long transitional statuses last (an RDS instance `creating`, a Route 53 change `PENDING`):
   * by the `now` clock, or for a number of describes that see them (default: one describe).
   */
  transition?: Transition | undefined;
  /** The account's EC2 fleet: what Route 53's health checkers probe (load balancers, instances). */
  fleet?: SandboxFleet | undefined;
  /** The account's VPCs (the EC2 emulator's fleet): EKS places clusters in their subnets. */
  vpcs?: () => { id: string; region: string }[];
}

/** The credential scope of a signed request. */
export interface CredentialScope {
  accessKeyId: string;
  region: string;
  service: string;
}

/** An error the emulator answers instead of running the operation (throttling, AccessDenied…). */
export interface ServiceFault {
  code: string;
  message?: string;
  status?: number;
}

export interface AwsServiceRequest {
  service: string;
  action: string;
  region: string;
  status: number;
  errorCode?: string;
  /** The decoded parameters of a Query-protocol request (RDS, IAM). */
  params?: Record<string, string>;
}

export interface AwsServicesSandbox {
  /** The live state; tests may read or arrange it. */
  account: SandboxAwsAccount;
  /** Per-service page caps, changeable at any time. */
  pageCaps: Record<AwsServiceName, number>;
  /** Every request answered, oldest first. */
  requests: AwsServiceRequest[];
  /** Makes the next `times` calls of `action` ('*' for any) of `service` fail with `fault`. */
  failNext(service: AwsServiceName, action: string, fault: ServiceFault, times?: number): void;
  /** Answers one request whose credential scope named `scope.service`. */
  handle(req: IncomingMessage, res: ServerResponse, scope: CredentialScope): Promise<void>;
}

/** `AWS4-HMAC-SHA256 Credential=AKID/20261101/eu-west-1/rds/aws4_request, …` → key id, region and service. */
export const credentialScopeService = (authorization: string | undefined): CredentialScope | undefined => {
  const m = /Credential=([^/,\s]+)\/\d{8}\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request/.exec(authorization ?? '');
  return m ? { accessKeyId: m[1]!, region: m[2]!, service: m[3]! } : undefined;
};

type Protocol = 'query' | 'json' | 's3' | 'route53' | 'rest-json';
const maxBodyBytes = 1_000_000;
const tooLarge = () => new ServiceError('RequestEntityTooLarge', 'The request body is too large.', 413);

const unknownKey: Record<Protocol, ServiceError> = {
  query: new ServiceError('InvalidClientTokenId', 'The security token included in the request is invalid.', 403),
  json: new ServiceError('UnrecognizedClientException', 'The security token included in the request is invalid.'),
  s3: new ServiceError('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.', 403),
  route53: new ServiceError('InvalidClientTokenId', 'The security token included in the request is invalid.', 403),
  'rest-json': new ServiceError(
    'UnrecognizedClientException',
    'The security token included in the request is invalid.',
    403,
  ),
};

const queryServices: Record<string, { version: string; namespace: string; handlers: Record<string, QueryHandler> }> = {
  rds: { version: rdsVersion, namespace: rdsNamespace, handlers: rdsHandlers },
  iam: { version: iamVersion, namespace: iamNamespace, handlers: iamHandlers },
};
const jsonServices: Record<string, JsonService> = {
  cloudtrail: cloudTrailService,
  config: configService,
  kms: kmsService,
  logs: logsService,
};

/** REST-JSON services (path routes, JSON bodies, `x-amzn-ErrorType` errors): EKS. */
const restJsonServices = new Set(['eks']);

const protocolOf = (service: string): Protocol | undefined =>
  service === 's3'
    ? 's3'
    : service === 'route53'
      ? 'route53'
      : queryServices[service]
        ? 'query'
        : jsonServices[service]
          ? 'json'
          : restJsonServices.has(service)
            ? 'rest-json'
            : undefined;

export const startAwsServices = (opts: AwsServicesOptions = {}): AwsServicesSandbox => {
  const now = opts.now ?? (() => new Date());
  const account = opts.account ?? seedAwsAccount(now());
  const pageCaps = Object.fromEntries(awsServiceNames.map((s) => [s, opts.pageCaps?.[s] ?? 100])) as Record<
    AwsServiceName,
    number
  >;
  const requests: AwsServiceRequest[] = [];
  const faults = faultQueue<{ service: string; action: string }, ServiceFault>();
  let counter = 0;

  const takeFault = (service: string, action: string): ServiceFault | undefined =>
    faults.take((x) => x.service === service && (x.action === '*' || x.action === action));

  const handle = async (req: IncomingMessage, res: ServerResponse, scope: CredentialScope) => {
    counter += 1;
    const requestId = `10000000-0000-4000-8000-${counter.toString(16).padStart(12, '0')}`;
    const { service, region } = scope;
    const protocol = protocolOf(service);
    let action = '';
    let params: Record<string, string> | undefined;
    const send = (
      status: number,
      contentType: string,
      body: string,
      errorCode?: string,
      headers: Record<string, string> = {},
    ) => {
      requests.push({
        service,
        action,
        region,
        status,
        ...(errorCode ? { errorCode } : {}),
        ...(params ? { params } : {}),
      });
      res
        .writeHead(status, {
          'content-type': contentType,
          'x-amzn-requestid': requestId,
          'x-amz-request-id': requestId,
          ...headers,
        })
        .end(body);
    };
    const fail = (err: ServiceError) => {
      if (protocol === 'rest-json')
        send(err.status, 'application/json', JSON.stringify({ message: err.message }), err.awsCode, {
          'x-amzn-errortype': err.awsCode,
        });
      else if (protocol === 'json')
        send(
          err.status,
          'application/x-amz-json-1.1',
          JSON.stringify({ __type: err.awsCode, message: err.message }),
          err.awsCode,
        );
      else if (protocol === 's3')
        send(
          err.status,
          'application/xml',
          buildXml({ Error: { Code: err.awsCode, Message: err.message, RequestId: requestId, HostId: 'sandbox' } }),
          err.awsCode,
        );
      else
        send(
          err.status,
          'text/xml',
          buildXml({
            ErrorResponse: {
              '@_xmlns': protocol === 'route53' ? route53Namespace : (queryServices[service]?.namespace ?? ''),
              Error: { Type: err.status >= 500 ? 'Receiver' : 'Sender', Code: err.awsCode, Message: err.message },
              RequestId: requestId,
            },
          }),
          err.awsCode,
        );
    };
    const call: ServiceCall = {
      region,
      account,
      now,
      pageCap: pageCaps[service as AwsServiceName] ?? 100,
      transition: opts.transition ?? { describes: 1 },
      fleet: opts.fleet,
    };
    const injected = () => {
      const f = takeFault(service, action);
      if (f) throw new ServiceError(f.code, f.message ?? `Injected ${f.code}`, f.status ?? 400);
    };
    try {
      const body =
        req.method === 'POST' || req.method === 'PUT' || req.method === 'DELETE'
          ? await readBody(req, maxBodyBytes, tooLarge)
          : '';
      if (protocol && opts.accessKeyIds && !opts.accessKeyIds.includes(scope.accessKeyId)) throw unknownKey[protocol];
      if (protocol === 'query') {
        const svc = queryServices[service]!;
        const url = new URL(req.url ?? '/', 'http://sandbox');
        const query = Object.fromEntries([...url.searchParams, ...new URLSearchParams(body)]);
        params = query;
        action = query.Action ?? '';
        const handler = svc.handlers[action];
        if (!action) throw new ServiceError('MissingAction', 'The request must contain the parameter Action');
        if (query.Version !== svc.version)
          throw new ServiceError('InvalidParameterValue', `Invalid API version ${query.Version ?? ''}`);
        if (!handler)
          throw new ServiceError('InvalidAction', `The action ${action} is not valid for this web service.`);
        injected();
        const result: XmlNode = handler(call, query);
        send(
          200,
          'text/xml',
          buildXml({
            [`${action}Response`]: {
              '@_xmlns': svc.namespace,
              [`${action}Result`]: result,
              ResponseMetadata: { RequestId: requestId },
            },
          }),
        );
      } else if (protocol === 'json') {
        const svc = jsonServices[service]!;
        const target = String(req.headers['x-amz-target'] ?? '');
        const [prefix, op] = target.split('.');
        action = op ?? '';
        const handler = prefix === svc.targetPrefix ? svc.handlers[action] : undefined;
        if (!handler) throw new ServiceError('UnknownOperationException', `Unknown operation ${target}`);
        let input: unknown;
        try {
          input = body ? JSON.parse(body) : {};
        } catch {
          throw new ServiceError('SerializationException', 'The request body is not valid JSON.');
        }
        if (!input || typeof input !== 'object' || Array.isArray(input))
          throw new ServiceError('SerializationException', 'The request body must be a JSON object.');
        injected();
        send(200, 'application/x-amz-json-1.1', JSON.stringify(handler(call, input as Record<string, unknown>)));
      } else if (protocol === 's3') {
        const url = new URL(req.url ?? '/', 'http://sandbox');
        const bucket = decodeURIComponent(url.pathname.split('/')[1] ?? '') || undefined;
        const s3req = { method: req.method ?? 'GET', bucket, query: url.searchParams, body };
        const route = routeS3(s3req);
        action = route.action;
        injected();
        const answer = runS3(call, s3req, route.handler);
        if (answer) send(200, 'application/xml', buildXml(answer));
        else send(s3req.method === 'DELETE' ? 204 : 200, 'application/xml', '');
      } else if (protocol === 'route53') {
        const url = new URL(req.url ?? '/', 'http://sandbox');
        const route = routeRoute53({ method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, body });
        action = route.action;
        injected();
        const answer = route.run(call);
        for (const [k, v] of Object.entries(answer.headers ?? {})) res.setHeader(k, v);
        send(answer.status, 'text/xml', buildXml({ [answer.root]: { '@_xmlns': route53Namespace, ...answer.body } }));
      } else if (protocol === 'rest-json') {
        const url = new URL(req.url ?? '/', 'http://sandbox');
        // Path parameters (an IAM ARN) arrive percent-encoded, slashes included: split first.
        const segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
        const method = req.method ?? 'GET';
        const route = routeEks(method, segments);
        if (!route)
          throw new ServiceError('UnknownOperationException', `No operation at ${method} ${url.pathname}`, 404);
        action = route.action;
        let input: unknown = {};
        try {
          input = body ? JSON.parse(body) : {};
        } catch {
          throw new ServiceError('SerializationException', 'The request body is not valid JSON.');
        }
        if (!input || typeof input !== 'object' || Array.isArray(input))
          throw new ServiceError('SerializationException', 'The request body must be a JSON object.');
        injected();
        const out = route.handler(
          { call, vpcs: opts.vpcs?.() ?? [] },
          { method, segments, query: url.searchParams, body: input as Record<string, unknown> },
        );
        send(out.status ?? 200, 'application/json', JSON.stringify(out.body));
      } else {
        throw new ServiceError('UnrecognizedService', `The sandbox does not emulate the ${service} service.`);
      }
    } catch (e) {
      fail(e instanceof ServiceError ? e : new ServiceError('InternalFailure', 'An internal error has occurred', 500));
    }
  };

  return {
    account,
    pageCaps,
    requests,
    failNext: (service, action, fault, times = 1) => faults.push({ service, action }, fault, times),
    handle,
  };
};
