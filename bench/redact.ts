import { redactSecrets } from '../src/util/redact.ts';
import { ms } from './stats.ts';

/**
 * `node bench/redact.ts`: the cost of the token-like patterns (src/util/redact.ts) that every turn,
 * click and log line now goes through: a short command, a 40,000-character message (the longest the
 * engine reads) of ordinary text, one full of near-misses, and the worst of 300 random 40,000-character
 * mixes of the patterns' own building blocks (a pattern that backtracks shows up there).
 */
const time = (n: number, f: () => void): number => {
  for (let i = 0; i < Math.min(n, 1_000); i++) f();
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) f();
  return Number(process.hrtime.bigint() - t) / 1e6 / n;
};

const short = 'list instances env=prod';
const ordinary = 'stop web-prod-1 because the disk is full, see https://wiki.example.com/runbook and CR-12 '
  .repeat(450)
  .slice(0, 40_000);
const nearMisses = 'secret = i-0abcdef1234567890 xoxo ghp_short AKIA eyJ. a://b@c '.repeat(700).slice(0, 40_000);
console.log('redactSecrets');
console.log(`   short command:               ${(time(200_000, () => redactSecrets(short)) * 1000).toFixed(2)} µs`);
console.log(`   40,000 chars, ordinary text: ${ms(time(500, () => redactSecrets(ordinary)))}`);
console.log(`   40,000 chars, near-misses:   ${ms(time(500, () => redactSecrets(nearMisses)))}`);

const parts = ['secret', ' ', '=', "'", 'AKIA', 'xoxb-', 'ghp_', 'github_pat_', 'eyJ', '.', '://', ':', '@', '/'];
const more = ['-----BEGIN ', 'PRIVATE KEY-----', 'a', 'B', '0', '+', ',', 'is', 'aws_', 'key', '\n'];
let seed = 1;
const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
let worst = 0;
for (let i = 0; i < 300; i++) {
  const pool = [...parts, ...more].filter(() => rnd() < 0.5);
  const from = pool.length > 0 ? pool : parts;
  let s = '';
  while (s.length < 40_000) s += from[Math.floor(rnd() * from.length)];
  worst = Math.max(
    worst,
    time(1, () => redactSecrets(s)),
  );
}
console.log(`   worst of 300 random 40,000-char mixes: ${ms(worst)}`);
