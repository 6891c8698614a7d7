import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback HTTP load balancer for tests that run several app replicas: each request goes to the
 * next upstream in turn (round robin, no stickiness, no health checks), as a plain L7 balancer in
 * front of a deployment would send it. `served` records which upstream answered each request, so a
 * test can show that two requests really reached different replicas.
 */
export interface RoundRobinProxy {
  /** Base URL of the proxy, e.g. http://127.0.0.1:P. */
  readonly url: string;
  /** One entry per request, in arrival order: method, path and the index of the upstream it went to. */
  readonly served: Array<{ method: string; path: string; upstream: number }>;
  close(): Promise<void>;
}

/** Hop-by-hop headers (RFC 9110 §7.6.1): a proxy does not forward them. */
const hopByHop = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

const endToEnd = (headers: http.IncomingHttpHeaders | http.OutgoingHttpHeaders): http.OutgoingHttpHeaders =>
  Object.fromEntries(Object.entries(headers).filter(([k, v]) => v !== undefined && !hopByHop.has(k.toLowerCase())));

export const startRoundRobinProxy = async (upstreams: string[]): Promise<RoundRobinProxy> => {
  if (upstreams.length === 0) throw new Error('startRoundRobinProxy: no upstreams');
  const agent = new http.Agent({ keepAlive: true });
  const served: RoundRobinProxy['served'] = [];
  let next = 0;

  const server = http.createServer((req, res) => {
    const upstream = next++ % upstreams.length;
    served.push({ method: req.method ?? 'GET', path: req.url ?? '/', upstream });
    const target = new URL(req.url ?? '/', upstreams[upstream]);
    const forward = http.request(
      target,
      // The Host header is kept: the app sees the name the client used (the console checks it is loopback).
      { method: req.method, headers: endToEnd(req.headers), agent },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, endToEnd(answer.headers));
        answer.pipe(res);
      },
    );
    forward.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`round-robin proxy: upstream ${upstream} (${upstreams[upstream]}) failed: ${err.message}`);
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    served,
    close: async () => {
      agent.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};
