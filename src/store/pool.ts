import pg from 'pg';
import type { Logger } from '../observability/logger.ts';

/**
 * Every `pg` pool the app opens (the store's, the scheduler's) comes from here, so each one
 * survives a lost database the same way: errors are logged, never thrown at the process.
 */
export interface PoolOptions {
  connectionString: string;
  max: number;
  logger: Logger;
  /** Names the pool in logs. */
  name: string;
  /** Client-side limit per query; server-side statement_timeout is not enforced by PGlite. */
  queryTimeoutMs?: number;
  connectTimeoutMs?: number;
}

export const defaultQueryTimeoutMs = 30_000;
export const defaultConnectTimeoutMs = 5_000;

export const createPool = (o: PoolOptions): pg.Pool => {
  const pool = new pg.Pool({
    connectionString: o.connectionString,
    max: o.max,
    query_timeout: o.queryTimeoutMs ?? defaultQueryTimeoutMs,
    connectionTimeoutMillis: o.connectTimeoutMs ?? defaultConnectTimeoutMs,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    application_name: `devops-agent:${o.name}`,
  });
  // Idle clients' errors arrive here; without a listener they would crash the process.
  pool.on('error', (err) => o.logger.warn({ pool: o.name, err: err.message }, 'database connection lost'));
  // A checked-out client has no pool listener (pg-pool removes it): one that loses its connection
  // between two queries of a transaction would emit an unhandled 'error'. Its next query fails instead.
  pool.on('connect', (client) => {
    client.on('error', (err) =>
      o.logger.warn({ pool: o.name, err: err.message }, 'database connection lost while in use'),
    );
  });
  return pool;
};

/** pg honours a per-query `query_timeout` at runtime; its typings omit it. */
export const timedQuery = (text: string, timeoutMs: number, values?: unknown[]): pg.QueryConfig => {
  const q: pg.QueryConfig & { query_timeout: number } = { text, values, query_timeout: timeoutMs };
  return q;
};

/** `host:port/database` for logs and errors: never the user or password. */
export const describeTarget = (connectionString: string): string => {
  try {
    const u = new URL(connectionString);
    return `${u.hostname}:${u.port || '5432'}${u.pathname.length > 1 ? u.pathname : ''}`;
  } catch {
    return 'the configured database';
  }
};

const errorCode = (err: unknown): string | undefined => {
  const e = err as { code?: unknown; errors?: unknown[] } | undefined;
  if (typeof e?.code === 'string') return e.code;
  // Node's happy-eyeballs connect reports an AggregateError for hosts with several addresses.
  return Array.isArray(e?.errors) ? errorCode(e.errors[0]) : undefined;
};

/** One short human reason for a failed connection attempt ("connection refused", …). */
export const describeConnectError = (err: unknown): string => {
  const code = errorCode(err);
  const message = err instanceof Error ? err.message : String(err);
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    case 'ETIMEDOUT':
      return 'connection timed out';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'connection closed by the server';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    case '28P01':
    case '28000':
      return 'authentication failed';
    case '3D000':
      return message; // database "x" does not exist
    case '57P03':
      return 'the server is starting up';
  }
  if (/timeout/i.test(message)) return 'connection timed out';
  if (/terminated/i.test(message)) return 'connection closed by the server';
  return message.split('\n')[0] ?? 'unknown error';
};
