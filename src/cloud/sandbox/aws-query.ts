import { writeXml } from './xml-write.ts';
import type { InjectedFault } from './faults.ts';
import type { SandboxFleet, SandboxRole } from './model.ts';
import type { Params } from './query.ts';
import type { XmlNode } from './xml.ts';

/**
 * What the sandbox's non-EC2 AWS emulators share: the decoded request (routed by the SigV4 scope's
 * service), the answer they give back, and the AWS Query protocol's XML (STS, ELBv2: `<member>`
 * lists, `<XResult>` wrappers, `<ErrorResponse>` errors) as those services put it on the wire.
 */

/** A temporary credential STS handed out: requests signed with its key id act in `account`. */
export interface SandboxSession {
  accessKeyId: string;
  account: string;
  arn: string;
  expiration: Date;
}

export interface ServiceRequest {
  /** The SigV4 scope's service (`sts`, `elasticloadbalancing`, `monitoring`). */
  service: string;
  region: string;
  accessKeyId: string;
  /** Form parameters (Query protocols); empty for JSON protocols. */
  params: Params;
  /** The raw body (JSON protocols read it). */
  body: string;
  /** `x-amz-target`, for JSON protocols. */
  target: string | undefined;
  requestId: string;
  /** The fleet of the account the signing key belongs to. */
  fleet: SandboxFleet;
  /** Every account's fleet, by id. */
  fleets: Map<string, SandboxFleet>;
  roles: SandboxRole[];
  sessions: Map<string, SandboxSession>;
  now: () => Date;
  /** Takes an injected fault for `action`, if one is queued. */
  fault: (action: string) => InjectedFault | undefined;
}

export interface ServiceResponse {
  status: number;
  contentType: string;
  body: string;
  action: string;
  errorCode?: string;
  /** Extra response headers (e.g. `x-amzn-query-error` for awsQueryCompatible JSON services). */
  headers?: Record<string, string>;
}

export type ServiceRouter = (req: ServiceRequest) => ServiceResponse;

const declaration = '<?xml version="1.0" encoding="UTF-8"?>\n';

/** `<member>` list, the Query protocol's way of writing arrays. */
export const members = (items: unknown[]): XmlNode => ({ member: items });

export const queryResponse = (ns: string, action: string, requestId: string, result: XmlNode): ServiceResponse => ({
  status: 200,
  contentType: 'text/xml',
  action,
  body:
    declaration +
    writeXml({
      [`${action}Response`]: {
        '@_xmlns': ns,
        [`${action}Result`]: result,
        ResponseMetadata: { RequestId: requestId },
      },
    }),
});

export const queryError = (
  ns: string,
  action: string,
  requestId: string,
  code: string,
  message: string,
  status = 400,
): ServiceResponse => ({
  status,
  contentType: 'text/xml',
  action,
  errorCode: code,
  body:
    declaration +
    writeXml({
      ErrorResponse: {
        '@_xmlns': ns,
        Error: { Type: status >= 500 ? 'Receiver' : 'Sender', Code: code, Message: message },
        RequestId: requestId,
      },
    }),
});

/**
 * Answers a Query protocol request the way STS and ELBv2 do before any action runs: an action the
 * service lacks is `InvalidAction`, a `Version` other than the service's is `InvalidParameterValue`,
 * and a fault a test queued for the action is answered in its place (400 unless it names a status).
 * Otherwise the action's handler answers.
 */
export const routeQuery = (
  req: ServiceRequest,
  service: { ns: string; version: string },
  actions: Record<string, (req: ServiceRequest) => ServiceResponse>,
): ServiceResponse => {
  const { ns, version } = service;
  const action = req.params.Action ?? '';
  const handler = actions[action];
  if (!handler)
    return queryError(
      ns,
      action,
      req.requestId,
      'InvalidAction',
      `Could not find operation ${action} for version ${version}`,
    );
  if (req.params.Version !== version)
    return queryError(
      ns,
      action,
      req.requestId,
      'InvalidParameterValue',
      `Version ${req.params.Version ?? ''} is not supported`,
    );
  const fault = req.fault(action);
  if (fault)
    return queryError(
      ns,
      action,
      req.requestId,
      fault.code,
      fault.message ?? `Injected ${fault.code}`,
      fault.status ?? 400,
    );
  return handler(req);
};
