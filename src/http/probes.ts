import { isUserFacing } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { json, type Route } from './route.ts';

export const defaultReadyTimeoutMs = 3_000;

/**
 * Liveness says the process answers; readiness says it can serve (the database answers). A probe
 * that hangs counts as not ready, so a stuck pool cannot keep a pod in rotation.
 */
export const probeRoutes = (deps: {
  ready: () => Promise<void>;
  metrics: Metrics;
  logger: Logger;
  readyTimeoutMs?: number;
}): Route[] => {
  const timeoutMs = deps.readyTimeoutMs ?? defaultReadyTimeoutMs;

  const checkReady = async (): Promise<string | null> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve(`readiness check took longer than ${timeoutMs} ms`), timeoutMs);
    });
    try {
      return await Promise.race([deps.ready().then(() => null), timeout]);
    } catch (err) {
      deps.logger.warn({ err }, 'not ready');
      // Only user-safe text leaves the process: a driver's message may name hosts or users.
      return isUserFacing(err) ? err.userMessage : 'a dependency is not available';
    } finally {
      clearTimeout(timer);
    }
  };

  return [
    { method: 'GET', path: '/healthz', handle: () => json(200, { status: 'ok' }) },
    {
      method: 'GET',
      path: '/readyz',
      handle: async () => {
        const reason = await checkReady();
        return reason === null ? json(200, { status: 'ready' }) : json(503, { status: 'unavailable', reason });
      },
    },
    {
      method: 'GET',
      path: '/metrics',
      handle: async () => ({
        status: 200,
        headers: { 'content-type': deps.metrics.registry.contentType, 'cache-control': 'no-store' },
        body: await deps.metrics.registry.metrics(),
      }),
    },
  ];
};
