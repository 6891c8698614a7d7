import { describe, expect, test } from '@jest/globals';
import { Command } from '../../src/engine/planner/command.ts';
import { HELP } from '../../src/engine/planner/help.ts';
import { parseCommand } from '../../src/engine/planner/rules.ts';

// A seeded generator keeps every run identical: a failure here reproduces.
const mulberry32 = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

const PIECES = [
  ...'abcdefghijklmnopqrstuvwxyzABCXYZ0123456789',
  ' ',
  ' ',
  ' ',
  '  ',
  '\t',
  '\n',
  '\u00a0',
  '\u200b',
  '"',
  "'",
  '`',
  '“',
  '”',
  '‘',
  '’',
  '«',
  '»',
  '<',
  '>',
  '@',
  '|',
  '=',
  ':',
  '#',
  '-',
  '.',
  ',',
  '?',
  '!',
  '…',
  '/',
  '\\',
  '\u0000',
  'é',
  'ß',
  '日本',
  '🙂',
  '\ud800',
  'list ',
  'show ',
  'stop ',
  'resize ',
  ' to ',
  'approve ',
  'reject ',
  'grant ',
  'help ',
  'in ',
  'env=',
  'CR-',
  'cr',
  'i-0abc1234',
  '<@U123>',
  '<@U1|bob>',
  '<at>Bot</at>',
  '<http://x.io|x.io>',
  'security ',
  'groups ',
  'aws ',
  'k8s ',
  'admin',
  'prod ',
];

describe('parseCommand on arbitrary input', () => {
  const rand = mulberry32(20240601);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const randomString = (): string => Array.from({ length: Math.floor(rand() * 24) }, () => pick(PIECES)).join('');
  const mutate = (s: string): string => {
    const chars = [...s];
    for (let n = 1 + Math.floor(rand() * 3); n > 0; n--) {
      const i = Math.floor(rand() * (chars.length + 1));
      const op = rand();
      if (op < 0.33) chars.splice(i, 1);
      else if (op < 0.66) chars.splice(i, 0, pick(PIECES));
      else if (i + 1 < chars.length) [chars[i], chars[i + 1]] = [chars[i + 1] ?? '', chars[i] ?? ''];
    }
    return chars.join('');
  };
  const examples = HELP.map((e) => e.example);
  const inputs = [
    ...Array.from({ length: 1000 }, randomString),
    ...Array.from({ length: 500 }, () => mutate(pick(examples))),
    'x'.repeat(4001),
    ' '.repeat(5000),
    '.'.repeat(3999),
    '"'.repeat(999),
    '<'.repeat(999),
    '<@'.repeat(400),
  ];

  test('never throws, always answers, and only offers suggestions that parse', () => {
    let failures = 0;
    let suggestions = 0;
    for (const input of inputs) {
      const r = parseCommand(input);
      if (r.ok) {
        expect(Command.parse(r.command)).toStrictEqual(r.command);
      } else {
        failures++;
        expect(typeof r.message).toBe('string');
        expect(r.message.length).toBeGreaterThan(10);
        expect(r.message.length).toBeLessThan(600);
        if (r.suggestion !== undefined) {
          suggestions++;
          expect(parseCommand(r.suggestion).ok).toBe(true);
        }
      }
      expect(parseCommand(input)).toStrictEqual(r);
    }
    // The generator must actually reach both outcomes, or this test proves nothing.
    expect(failures).toBeGreaterThan(100);
    expect(inputs.length - failures).toBeGreaterThan(50);
    expect(suggestions).toBeGreaterThan(20);
  });

  test('tolerates values a typed caller cannot send', () => {
    for (const bad of [undefined, null, 42, {}, Symbol('x')]) {
      const r = parseCommand(bad as unknown as string);
      expect(r.ok).toBe(false);
    }
  });
});
