// .ci/run is the only shell script we ship, and CI is the only thing that runs it: a quoting slip
// in its last line once failed a whole 50-minute CI run after every test had passed. `bash -n`
// parses it without running anything, so the mistake shows up in `npm test` instead.
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('../../.ci/run', import.meta.url));

describe('.ci/run', () => {
  it('parses as bash', () => {
    const parsed = spawnSync('bash', ['-n', script], { encoding: 'utf8' });
    expect(parsed.stderr).toBe('');
    expect(parsed.status).toBe(0);
  });

  it('is executable, as CI calls it directly', () => {
    expect(statSync(script).mode & 0o111).not.toBe(0);
  });

  it('parses a script with the slip it once had as an error (the check can fail)', () => {
    const parsed = spawnSync('bash', ['-n'], { input: 'echo "unterminated $(echo x)\n', encoding: 'utf8' });
    expect(parsed.status).not.toBe(0);
    expect(parsed.stderr).toMatch(/unexpected EOF/);
  });
});
