import { spawn } from 'node:child_process';
import net from 'node:net';
import { describe, expect, it } from '@jest/globals';

/** `npm start` failures: one readable line per problem on stderr, exit code 1, no stack. */
const run = (env: Record<string, string>): Promise<{ code: number | null; stderr: string }> =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, ['src/main.ts'], {
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', PORT: '0', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    // 'close', not 'exit': stderr closes once every process holding it has gone, the embedded
    // database's process (forked before the config is read) included.
    child.on('close', (code) => resolve({ code, stderr }));
  });

const closedPort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });

describe('start-up errors', () => {
  it('a wrong config value stops start-up with one line per problem and exit 1', async () => {
    const { code, stderr } = await run({ PORT: 'eighty', APPROVAL_TTL: 'soon' });
    expect(code).toBe(1);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^devops-agent: config PORT: /);
    expect(lines[1]).toMatch(/^devops-agent: config APPROVAL_TTL: expected a duration/);
  }, 30_000);

  it('an unreachable database stops start-up with one readable line and exit 1', async () => {
    const port = await closedPort();
    const { code, stderr } = await run({ DATABASE_URL: `postgres://app:s3cret@127.0.0.1:${port}/db` });
    expect(code).toBe(1);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^devops-agent: .*127\\.0\\.0\\.1:${port}`));
    expect(stderr).not.toMatch(/s3cret|\bat \w+ \(/);
  }, 30_000);
});
