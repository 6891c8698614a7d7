import { fork, type ChildProcess } from 'node:child_process';
import module from 'node:module';

/**
 * The embedded database's host process (pglite-host.mjs), forked without opening anything: it
 * boots Node and loads PGlite's modules, then waits for `start` (embedded.ts). main.ts forks it
 * before loading the app's modules so that both happen at once. Node built-ins only here, so that
 * forking early costs nothing to import.
 */

/**
 * V8's --wasm-tiering-budget for the host (V8's default is 13,000,000). V8 compiles WebAssembly
 * with its baseline compiler, then recompiles the functions that have run enough with its
 * optimising one, in background threads. With the default budget the functions PostgreSQL runs
 * while it starts all qualify: ~1.5 s of CPU on the two cores the app is starting on. With this
 * budget only functions that stay hot are recompiled (BENCHMARKS.md, start time).
 */
const wasmTieringBudget = 2_000_000_000;

/** The app's compile cache (bin/devops-agent.mjs) for the host's modules too: Node does not hand it on by itself. */
const compileCacheEnv = (): NodeJS.ProcessEnv => {
  const dir = module.getCompileCacheDir?.();
  return dir ? { ...process.env, NODE_COMPILE_CACHE: dir } : process.env;
};

export const forkEmbeddedHost = (): ChildProcess =>
  fork(new URL('./pglite-host.mjs', import.meta.url), [], {
    // Binary-safe IPC for dumps (structured clone of Uint8Array).
    serialization: 'advanced',
    // The host needs none of the app's flags (test runners add VM-module and inspector flags).
    execArgv: [`--wasm-tiering-budget=${wasmTieringBudget}`],
    env: compileCacheEnv(),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
