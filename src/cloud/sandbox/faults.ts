import type { IncomingMessage, Server } from 'node:http';

/**
 * What the sandbox emulators (EC2 and the AWS services, Azure, GCP, Kubernetes) share to play a
 * misbehaving cloud in tests: the faults `failNext` queues, the gate `hold` closes, and plumbing
 * their HTTP servers need (a capped request body, a stop that does not wait for keep-alives).
 */

/** An error the sandbox answers instead of running the action, e.g. to test throttling. */
export interface InjectedFault {
  code: string;
  message?: string;
  status?: number;
}

/** The faults a test queued with an emulator's `failNext`, each matched by a key `M` of its own shape. */
export interface FaultQueue<M, F> {
  /** Queues `fault` for the next `times` requests whose key `M` is matched (see `take`). */
  push(match: M, fault: F, times?: number): void;
  /** Uses up one time of the first queued fault that has times left and that `matches` accepts. */
  take(matches: (match: M) => boolean): F | undefined;
}

export const faultQueue = <M, F>(): FaultQueue<M, F> => {
  const queued: Array<{ match: M; fault: F; left: number }> = [];
  return {
    push: (match, fault, times = 1) => void queued.push({ match, fault, left: times }),
    take: (matches) => {
      const f = queued.find((x) => x.left > 0 && matches(x.match));
      if (!f) return undefined;
      f.left -= 1;
      return f.fault;
    },
  };
};

/** The gate behind an emulator's `hold()`: while closed, every request waits before it is handled. */
export interface RequestGate {
  /** Closes the gate until the returned function is called; held requests then go on in order. */
  hold: () => () => void;
  /** What a request awaits first: the closed gate, or nothing while it is open. */
  passed: () => Promise<void> | undefined;
}

export const requestGate = (): RequestGate => {
  let held: Promise<void> | undefined;
  return {
    hold: () => {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      held = gate;
      return () => {
        if (held === gate) held = undefined;
        release();
      };
    },
    passed: () => held,
  };
};

/**
 * Reads a request body of at most `maxBytes`; a larger one rejects with `tooLarge()`, the error the
 * emulated cloud answers with (e.g. EC2's RequestEntityTooLarge 413).
 */
export const readBody = (req: IncomingMessage, maxBytes: number, tooLarge: () => Error): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBytes) reject(tooLarge());
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });

/** Stops an emulator's server now: the SDKs keep connections alive, and close() alone waits for them to time out. */
export const closeServer = (server: Pick<Server, 'close' | 'closeAllConnections'>): Promise<void> =>
  new Promise<void>((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    server.closeAllConnections();
  });
