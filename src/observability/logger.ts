import { pino, type Logger } from 'pino';
import { currentRequestId } from './request-context.ts';

/**
 * The one redaction list: any log field with one of these names is replaced by "[redacted]",
 * at any of the depths below. Add a name here rather than scrubbing at call sites.
 */
const secretKeys = [
  'token',
  'botToken',
  'appToken',
  'accessToken',
  'access_token',
  'refreshToken',
  'password',
  'secret',
  'signingSecret',
  'clientSecret',
  'apiKey',
  'api_key',
  'authorization',
  'cookie',
  'x-slack-signature',
  'DATABASE_URL',
  'databaseUrl',
  'connectionString',
  'CONSOLE_TOKEN',
  'SLACK_BOT_TOKEN',
  'SLACK_SIGNING_SECRET',
  'SLACK_APP_TOKEN',
  'SLACK_CLIENT_SECRET',
  'SLACK_STATE_SECRET',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'ANTHROPIC_API_KEY',
  'secretAccessKey',
  'sessionToken',
  'TOKEN_ENCRYPTION_KEY',
  'encryptionKey',
];
/** Whether a field or variable name holds a secret (the same list, plus the words secrets are named by). */
export const isSecretName = (name: string): boolean =>
  secretKeys.some((k) => k.toLowerCase() === name.toLowerCase()) ||
  /token|secret|password|api_?key|database_url/i.test(name);

export const redactPaths = secretKeys.flatMap((k) => [
  k,
  `*.${k}`,
  `*.*.${k}`,
  `headers["${k}"]`,
  `req.headers["${k}"]`,
]);

export type { Logger };

/** Every line written on behalf of a request carries its id (request-context.ts); a field given at the call site wins. */
const requestIdMixin = (): { requestId?: string } => {
  const requestId = currentRequestId();
  return requestId ? { requestId } : {};
};

export const createLogger = (level: string, destination?: NodeJS.WritableStream): Logger =>
  pino(
    {
      level,
      redact: { paths: redactPaths, censor: '[redacted]' },
      base: { service: 'devops-agent' },
      mixin: requestIdMixin,
    },
    destination ?? process.stdout,
  );
