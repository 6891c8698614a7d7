#!/usr/bin/env node
// The entry point of `npm start` and of the container image: checks the Node version, then runs
// src/main.ts. Plain JavaScript on purpose: a Node too old to strip TypeScript types (Node 20
// fails on the first `.ts` import with ERR_UNKNOWN_FILE_EXTENSION) can still run this file and say
// clearly what is wrong. The minimum is package.json's `engines.node` (one place to change it).
// `node src/main.ts` still works on a recent Node; it just skips this check.
import { readFileSync } from 'node:fs';
import module from 'node:module';

const engines = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).engines ?? {};
const wanted = /^>=\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(String(engines.node ?? '').trim());
if (!wanted) {
  process.stderr.write(`devops-agent: package.json engines.node must read ">=MAJOR.MINOR", not "${engines.node}"\n`);
  process.exit(1);
}
const need = wanted.slice(1).map((n) => Number(n ?? 0));
const have = process.versions.node.split('.').map(Number);
const diff = need.map((n, i) => (have[i] ?? 0) - n).find((d) => d !== 0) ?? 0;
if (diff < 0) {
  process.stderr.write(
    `devops-agent: Node ${process.versions.node} is too old: Node ${engines.node.replace(/^>=\s*/, '≥ ')} is required ` +
      '(it runs the TypeScript sources directly, without a build). Use the container image (Node 24), ' +
      'or install Node 24, or run `npm ci` (with the dev dependencies) and `npm start`: npm then runs the Node 24 of the `node` dev dependency.\n',
  );
  process.exit(1);
}

// Node's on-disk compile cache (NODE_COMPILE_CACHE, default <tmpdir>/node-compile-cache): a
// start after the first reuses the code compiled (and the TypeScript types stripped) before,
// instead of loading the type stripper and parsing ~500 modules again. Measured: idle RSS ~40 MB
// lower and spawn → /readyz ~0.3 s shorter (BENCHMARKS.md). Entries are keyed by file contents,
// so an upgrade never runs stale code; a directory that cannot be written only loses the gain.
// NODE_DISABLE_COMPILE_CACHE=1 turns it off.
module.enableCompileCache?.();

await import('../src/main.ts');
// The app is up: write what was compiled now, not only at exit (a killed process writes nothing).
module.flushCompileCache?.();
