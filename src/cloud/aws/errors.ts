import { AppError, isAppError } from '../../errors.ts';
import type { ErrorCode } from '../../errors.ts';
import { socketErrorCodes } from '../errors.ts';

/**
 * The one translator from AWS SDK failures to AppError. The SDK names a service exception after
 * EC2's error code (`InvalidInstanceID.NotFound`), so the code decides; AWS's own message is safe
 * to show (ids and states, no secrets) and tells the user more than we could.
 */

const authCodes = new Set([
  'AuthFailure',
  'UnauthorizedOperation',
  'MissingAuthenticationToken',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'RequestExpired',
  'OptInRequired',
  'Blocked',
  // No credentials at all (nothing was sent to AWS): auth_failed too, but told apart in the text.
  'CredentialsProviderError',
  'AccessDenied',
  'AccessDeniedException',
]);
/** Auth failures whose AWS text is about permissions (principal, action, resource), never about keys. */
const permissionCodes = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation']);
const throttleCodes = new Set([
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'SlowDown',
]);
const badRequestCodes = new Set([
  'InvalidParameterValue',
  'InvalidParameterCombination',
  'InvalidInstanceAttributeValue',
  'MissingParameter',
  'UnsupportedOperation',
  'InvalidParameter',
  // CloudWatch Logs, KMS and S3 spell it their own way.
  'InvalidParameterException',
  'ValidationException',
  'InvalidArgument',
  // Route 53: a change batch or input it refuses (the message says which rule).
  'InvalidChangeBatch',
  'InvalidInput',
  // RDS: a KMS key it cannot use for a copy or replica.
  'KMSKeyNotAccessibleFault',
  // ECS refuses a bad request as ClientException; ELBv2 as ValidationError and its own codes.
  'ClientException',
  'ValidationError',
  'InvalidConfigurationRequest',
  'IncompatibleProtocols',
  'OperationNotPermitted',
  // EKS: a request it refuses as such.
  'UnsupportedAvailabilityZoneException',
]);
const networkCodes = new Set([...socketErrorCodes, 'TimeoutError', 'RequestTimeout']);

const codeOf = (e: unknown): string => {
  if (!e || typeof e !== 'object') return 'Unknown';
  const named = e as { name?: unknown; code?: unknown; Code?: unknown };
  for (const v of [named.Code, named.code, named.name]) if (typeof v === 'string' && v && v !== 'Error') return v;
  // The SDK's retry layer rewraps errors from another realm (jest's VM, worker threads) as
  // "AWS SDK error wrapper for Error: connect ECONNREFUSED …", keeping only the text.
  return /\b(E[A-Z]{4,})\b/.exec(messageOf(e))?.[1] ?? 'Unknown';
};

const messageOf = (e: unknown): string => (e instanceof Error && e.message ? e.message : String(e));

const classify = (code: string): ErrorCode => {
  // RDS names its SDK errors with Fault (DBSnapshotNotFoundFault) over the wire's code (DBSnapshotNotFound).
  if (/NotFound(Exception|Fault)?$/.test(code) || code.startsWith('NoSuch')) return 'not_found';
  if (/^Invalid\w+State(Fault)?$/.test(code)) return 'conflict';
  // A resource in the wrong state, in use (an attached volume, an associated address, a snapshot
  // behind an AMI) or a rule that is already there.
  if (
    code === 'IncorrectInstanceState' ||
    code === 'IncorrectState' ||
    code.endsWith('InUse') ||
    code.endsWith('.Duplicate') ||
    // ELBv2: a name taken, a quota reached, a group on another balancer; ECS: a service not ACTIVE.
    /^(Duplicate|TooMany)/.test(code) ||
    code === 'TargetGroupAssociationLimit' ||
    code === 'ServiceNotActiveException' ||
    code === 'UpdateInProgressException' ||
    code === 'KMSInvalidStateException' ||
    code === 'DisabledException' ||
    // Something of that name exists already (an RDS snapshot or instance, a Route 53 health check),
    // or was changed since it was read (Route 53's HealthCheckVersion).
    /AlreadyExists(Fault)?$/.test(code) ||
    code === 'HealthCheckVersionMismatch' ||
    // EKS: a name taken or a cluster with node groups (ResourceInUse), a cluster not ACTIVE yet (InvalidRequest).
    code === 'ResourceInUseException' ||
    code === 'InvalidRequestException'
  )
    return 'conflict';
  if (authCodes.has(code)) return 'auth_failed';
  if (throttleCodes.has(code)) return 'rate_limited';
  if (code.endsWith('.Malformed') || badRequestCodes.has(code)) return 'bad_request';
  return 'cloud_error';
};

const userText = (kind: ErrorCode, code: string, aws: string, doing: string): string => {
  if (code === 'CredentialsProviderError')
    return (
      `No AWS credentials were found for ${doing} (${aws}). Give the process credentials: ` +
      'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, a web identity token, or a container or instance role.'
    );
  switch (kind) {
    case 'not_found':
      return `AWS could not find it while ${doing}: ${aws}`;
    case 'conflict':
      return `AWS refused ${doing} because of its current state: ${aws}`;
    case 'auth_failed':
      // A denied permission names the principal, action and resource: what the admin must fix, and no secret.
      return permissionCodes.has(code)
        ? `AWS refused the permissions for ${doing} (${code}): ${aws} Check the IAM policy (and the role's trust policy).`
        : `AWS refused the credentials or permissions for ${doing} (${code}). Check the IAM policy and keys.`;
    case 'rate_limited':
      return `AWS is throttling requests (${code}) while ${doing}; try again in a minute.`;
    case 'bad_request':
      return `AWS rejected the request for ${doing}: ${aws}`;
    default:
      return networkCodes.has(code)
        ? `Could not reach AWS while ${doing} (${code}).`
        : `AWS failed while ${doing}: ${aws} (${code})`;
  }
};

/** The AppError code for an AWS error code (`InvalidInstanceID.NotFound` → not_found); the sandbox's Ec2Error uses it too. */
export const appCodeForAws = (code: string): ErrorCode => (networkCodes.has(code) ? 'cloud_error' : classify(code));

/**
 * What kind of failure an SDK error is, for metrics: the AppError code it translates to, or
 * `no_credentials` when the SDK found no credentials to sign with (nothing reached AWS).
 */
export const awsFailureKind = (e: unknown): ErrorCode | 'no_credentials' => {
  if (isAppError(e)) return e.code;
  const code = codeOf(e);
  return code === 'CredentialsProviderError' ? 'no_credentials' : appCodeForAws(code);
};

/** `doing` names the operation for the user, e.g. "stopping i-0abc in eu-west-1". */
export const translateAwsError = (e: unknown, doing: string): AppError => {
  if (isAppError(e)) return e;
  const code = codeOf(e);
  const kind = appCodeForAws(code);
  return new AppError(kind, userText(kind, code, messageOf(e), doing), { cause: e });
};
