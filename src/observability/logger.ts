import { pino, stdSerializers, type Logger } from 'pino';
import { redactDeep, redactSecrets } from '../util/redact.ts';
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
  'SMTP_URL',
  'smtpUrl',
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
  /token|secret|password|api_?key|database_url|smtp_?url/i.test(name);

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

/**
 * An error as a log line shows it (pino's err serializer), without the values a failed query ran
 * with: drizzle's `DrizzleQueryError` carries them in `params` and in its message ("Failed query:
 * <sql>\nparams: <values>"), PostgreSQL's error in `detail` ("Key (id)=(<value>) already exists").
 * The statement text stays: it says what failed.
 */
export const serializeError = (e: unknown): unknown => {
  if (!(e instanceof Error)) return e;
  const out: Record<string, unknown> = { ...(stdSerializers.err(e) as unknown as Record<string, unknown>) };
  const params = (e as { params?: unknown }).params;
  if (Array.isArray(params)) {
    const line = `\nparams: ${String(params)}`;
    for (const k of ['message', 'stack'] as const) if (typeof out[k] === 'string') out[k] = out[k].replace(line, '');
    delete out.params;
  }
  delete out.detail;
  return redactDeep(out).value;
};

/**
 * Every line goes through the one list of token-like values (src/util/redact.ts): the message and
 * its arguments, every string field (a few levels deep), and errors (serializeError). The field
 * names above are the other half: values whose name says they are secret, whatever they look like.
 */
const scrubFields = (obj: Record<string, unknown>): Record<string, unknown> => {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) out[k] = v instanceof Error ? serializeError(v) : redactDeep(v, 6).value;
  return out;
};

export const createLogger = (level: string, destination?: NodeJS.WritableStream): Logger =>
  pino(
    {
      level,
      redact: { paths: redactPaths, censor: '[redacted]' },
      base: { service: 'devops-agent' },
      mixin: requestIdMixin,
      serializers: { err: serializeError },
      formatters: { log: scrubFields },
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((a) => (typeof a === 'string' ? redactSecrets(a).text : a));
          return method.apply(this, scrubbed as Parameters<typeof method>);
        },
      },
    },
    destination ?? process.stdout,
  );
