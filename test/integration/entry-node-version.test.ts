import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { readRepoFile, repoRoot } from '../helpers/deploy.ts';

/**
 * bin/devops-agent.mjs (the image's CMD and `npm start`) refuses a Node too old for the
 * TypeScript sources with one clear line, and otherwise hands over to src/main.ts. Checked on this
 * machine's own old Node when it has one (Debian's node 20), and always on Node 24 made to report
 * an older version by a preload.
 */
const entry = 'bin/devops-agent.mjs';
const minimum = (JSON.parse(readRepoFile('package.json')) as { engines: { node: string } }).engines.node;

const run = (nodeBin: string, execArgv: string[] = []): Promise<{ code: number | null; stderr: string }> =>
  new Promise((resolve) => {
    // PORT=eighty: an entry that gets past the version check stops at once in main.ts's config check.
    const child = spawn(nodeBin, [...execArgv, entry], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '', PORT: 'eighty', LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('exit', (code) => resolve({ code, stderr }));
  });

/** Node 24, reporting another version to everything it runs. */
const pretending = (version: string): string[] => [
  '--import',
  `data:text/javascript,${encodeURIComponent(
    `Object.defineProperty(process, 'versions', { value: { ...process.versions, node: '${version}' } });`,
  )}`,
];

const tooOld = (version: string) =>
  new RegExp(
    `^devops-agent: Node ${version.replaceAll('.', '\\.')} is too old: Node ≥ 22\\.19 is required .*container image`,
  );

/** Every `node` on this machine's PATH (and the usual places) older than the minimum. */
const oldNodes = [
  ...new Set(
    [...(process.env.PATH ?? '').split(':').map((d) => `${d}/node`), '/usr/local/bin/node', '/usr/bin/node']
      .filter((p) => fs.existsSync(p))
      .map((p) => fs.realpathSync(p)),
  ),
]
  .map((p) => ({ path: p, version: execFileSync(p, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim() }))
  .filter(({ version }) => Number(version.split('.')[0]) < 22);

describe('the entry point on an old Node', () => {
  it('reads its minimum from package.json engines', () => {
    expect(minimum).toBe('>=22.19');
  });

  it.each(['20.19.0', '22.18.0'])(
    'Node %s: one line saying what is needed, exit 1',
    async (version) => {
      const { code, stderr } = await run(process.execPath, pretending(version));
      expect(code).toBe(1);
      expect(stderr.split('\n').filter(Boolean)).toEqual([expect.stringMatching(tooOld(version))]);
    },
    30_000,
  );

  it('Node 22.19.0 passes the check and runs src/main.ts', async () => {
    const { code, stderr } = await run(process.execPath, pretending('22.19.0'));
    expect(code).toBe(1);
    expect(stderr.trim()).toMatch(/^devops-agent: config PORT: /);
  }, 30_000);

  (oldNodes.length ? it : it.skip)(
    `this machine's own old Node (${oldNodes.map((n) => `${n.path} v${n.version}`).join(', ') || 'none found'}): the same clear line instead of a .ts syntax error`,
    async () => {
      for (const n of oldNodes) {
        const { code, stderr } = await run(n.path);
        expect([n.path, code]).toEqual([n.path, 1]);
        expect(stderr.split('\n').filter(Boolean)).toEqual([expect.stringMatching(tooOld(n.version))]);
      }
    },
    30_000,
  );
});
