import net from 'node:net';

/**
 * A loopback TCP proxy a test can cut and restore, to stand between a client and a server
 * (the store's pool and PostgreSQL) and simulate the network or the database going away.
 */
export interface TcpProxy {
  readonly port: number;
  /** `connectionString` with its host and port replaced by the proxy's. */
  url(connectionString: string): string;
  /**
   * `reset`: open connections are destroyed and new ones closed at once (database down).
   * `blackhole`: connections stay open but nothing passes (network partition, hung server).
   */
  cut(mode?: 'reset' | 'blackhole'): void;
  /** Resolves when the next connection attempt is refused or swallowed by a cut. */
  nextRefusal(): Promise<void>;
  /** Lets new connections through again (blackholed ones stay dead). */
  restore(): void;
  close(): Promise<void>;
}

export const startTcpProxy = async (target: { host: string; port: number }): Promise<TcpProxy> => {
  let mode: 'open' | 'reset' | 'blackhole' = 'open';
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket }>();
  const held = new Set<net.Socket>();
  let refusalWaiters: (() => void)[] = [];
  const refused = (): void => {
    for (const w of refusalWaiters) w();
    refusalWaiters = [];
  };

  const server = net.createServer((client) => {
    client.on('error', () => client.destroy());
    if (mode === 'reset') {
      client.destroy();
      refused();
      return;
    }
    if (mode === 'blackhole') {
      held.add(client);
      client.on('close', () => held.delete(client));
      refused();
      return;
    }
    const upstream = net.connect(target.port, target.host);
    const pair = { client, upstream };
    pairs.add(pair);
    const end = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    upstream.on('error', end).on('close', end);
    client.on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;

  return {
    port,
    url: (connectionString) => {
      const u = new URL(connectionString);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    cut: (how = 'reset') => {
      mode = how;
      for (const { client, upstream } of pairs) {
        if (how === 'reset') {
          client.destroy();
          upstream.destroy();
        } else {
          // Stop forwarding in both directions; the sockets stay open and silent.
          client.unpipe(upstream);
          upstream.unpipe(client);
          client.pause();
          upstream.pause();
          held.add(client).add(upstream);
        }
      }
      pairs.clear();
    },
    nextRefusal: () => new Promise<void>((resolve) => refusalWaiters.push(resolve)),
    restore: () => {
      mode = 'open';
    },
    close: async () => {
      for (const { client, upstream } of pairs) {
        client.destroy();
        upstream.destroy();
      }
      for (const s of held) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};
