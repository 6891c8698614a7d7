import { createHash } from 'node:crypto';
import type { ServiceRequest, ServiceResponse, ServiceRouter } from './aws-query.ts';
import { queryError, queryResponse, routeQuery } from './aws-query.ts';

/**
 * The sandbox's STS (Query protocol, 2011-06-15): AssumeRole into a role another seeded account
 * trusts (refused with STS's AccessDenied otherwise), and GetCallerIdentity. The temporary access
 * key it hands out is what later requests are signed with, so the sandbox knows which account's
 * fleet they mean, as AWS does.
 */

const ns = 'https://sts.amazonaws.com/doc/2011-06-15/';
const version = '2011-06-15';
const roleArnPattern = /^arn:aws:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]+)$/;

const hex = (seed: string, n: number) => createHash('sha256').update(seed).digest('hex').slice(0, n).toUpperCase();

const callerArn = (req: ServiceRequest): string =>
  req.sessions.get(req.accessKeyId)?.arn ?? `arn:aws:iam::${req.fleet.account}:user/sandbox`;

const assumeRole = (req: ServiceRequest): ServiceResponse => {
  const { params, requestId } = req;
  const roleArn = params.RoleArn ?? '';
  const sessionName = params.RoleSessionName ?? '';
  if (!roleArn || !sessionName)
    return queryError(
      ns,
      'AssumeRole',
      requestId,
      'MissingParameter',
      `The request must contain the parameter ${roleArn ? 'RoleSessionName' : 'RoleArn'}`,
    );
  if (!/^[\w+=,.@-]{2,64}$/.test(sessionName))
    return queryError(
      ns,
      'AssumeRole',
      requestId,
      'ValidationError',
      `1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint`,
    );
  const duration = params.DurationSeconds === undefined ? 3600 : Number(params.DurationSeconds);
  if (!Number.isInteger(duration) || duration < 900 || duration > 43_200)
    return queryError(
      ns,
      'AssumeRole',
      requestId,
      'ValidationError',
      `1 validation error detected: Value '${params.DurationSeconds}' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200`,
    );
  const m = roleArnPattern.exec(roleArn);
  const role = req.roles.find((r) => r.arn === roleArn);
  const denied = `User: ${callerArn(req)} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`;
  if (!m || !role || !req.fleets.has(m[1]!) || (role.externalId !== undefined && role.externalId !== params.ExternalId))
    return queryError(ns, 'AssumeRole', requestId, 'AccessDenied', denied, 403);
  const account = m[1]!;
  const accessKeyId = `ASIA${hex(`${roleArn}:${sessionName}:${req.now().getTime()}:${req.sessions.size}`, 16)}`;
  const expiration = new Date(req.now().getTime() + duration * 1000);
  const arn = `arn:aws:sts::${account}:assumed-role/${m[2]}/${sessionName}`;
  req.sessions.set(accessKeyId, { accessKeyId, account, arn, expiration });
  return queryResponse(ns, 'AssumeRole', requestId, {
    Credentials: {
      AccessKeyId: accessKeyId,
      SecretAccessKey: hex(`secret:${accessKeyId}`, 40),
      SessionToken: `sandbox-session-${hex(`token:${accessKeyId}`, 32)}`,
      Expiration: expiration.toISOString(),
    },
    AssumedRoleUser: { AssumedRoleId: `AROA${hex(roleArn, 17)}:${sessionName}`, Arn: arn },
    PackedPolicySize: 0,
  });
};

const getCallerIdentity = (req: ServiceRequest): ServiceResponse =>
  queryResponse(ns, 'GetCallerIdentity', req.requestId, {
    UserId: req.sessions.has(req.accessKeyId) ? `AROA${hex(callerArn(req), 17)}` : `AIDA${hex(req.accessKeyId, 17)}`,
    Account: req.fleet.account,
    Arn: callerArn(req),
  });

const actions: Record<string, (req: ServiceRequest) => ServiceResponse> = {
  AssumeRole: assumeRole,
  GetCallerIdentity: getCallerIdentity,
};

export const stsRouter: ServiceRouter = (req) => routeQuery(req, { ns, version }, actions);
