/**
 * Property-style: whatever Reply the engine builds, the rendered message passes Slack's checks
 * (checked by the wire fake's independent validator) and our own stricter text budget.
 */
import { describe, expect, it } from '@jest/globals';
import type { Block, Button, Reply } from '../../src/chat/reply.ts';
import { blockTextLength, SLACK_LIMITS } from '../../src/surfaces/slack/block-kit.ts';
import { renderBlockKit, type RenderedPart } from '../../src/surfaces/slack/render.ts';
import { renderPart } from '../../src/surfaces/slack/show-more.ts';
import { checkBlocks } from '../fakes/slack-api.ts';

/** mulberry32: a seeded PRNG, so a failing case is reproducible from its seed. */
const rng = (seed: number) => {
  let a = seed >>> 0;
  return (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

const PIECES = [
  'word',
  ' ',
  ' ',
  '\n',
  '\n\n',
  '&',
  '<',
  '>',
  '<!here>',
  '*',
  '**',
  '`',
  '```',
  '_',
  'é',
  '😀',
  '[a](https://x.io/?a=1&b=2)',
  'averyveryveryverylongtokenwithoutanyspaces'.repeat(3),
  '# ',
  '- ',
];

/** 60,000 characters of awkward text built once; replies take random slices of it. */
const CORPUS = (() => {
  const r = rng(42);
  const parts: string[] = [];
  for (let n = 0; n < 60_000;) {
    const p = PIECES[Math.floor(r() * PIECES.length)] ?? ' ';
    parts.push(p);
    n += p.length;
  }
  return parts.join('');
})();

const gen = (seed: number): { reply: Reply; stored: boolean } => {
  const r = rng(seed);
  const int = (max: number): number => Math.floor(r() * (max + 1));
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length - 1)] as T;
  const text = (max: number): string => {
    const start = int(CORPUS.length - max);
    // A slice may start or end inside an emoji; the input itself should be well formed.
    return CORPUS.slice(start, start + int(max)).toWellFormed();
  };
  const sizes = [10, 100, 3000, 20_000] as const;
  const button = (): Button => ({
    actionId: pick(['change.approve', 'change.reject', 'command.run', 'x#2']),
    label: text(75) || 'ok',
    value: text(pick([0, 20, 2000])),
    ...(r() < 0.3 ? { style: pick(['primary', 'danger'] as const) } : {}),
  });
  const block = (): Block => {
    switch (int(5)) {
      case 0:
        return { type: 'header', text: text(pick([20, 400])) };
      case 1:
        return { type: 'text', text: text(pick(sizes)) };
      case 2:
        return {
          type: 'fields',
          fields: Array.from({ length: int(40) }, () => ({ label: text(40), value: text(pick([10, 3000])) })),
        };
      case 3: {
        const cols = int(14);
        return {
          type: 'table',
          columns: Array.from({ length: cols }, () => text(12)),
          rows: Array.from({ length: int(pick([5, 150])) }, () =>
            Array.from({ length: int(cols + 2) }, () => text(pick([8, 40, 300]))),
          ),
        };
      }
      case 4:
        return { type: 'actions', buttons: Array.from({ length: int(pick([3, 60])) }, button) };
      default:
        return { type: 'context', text: text(pick([50, 4000])) };
    }
  };
  const blocks = Array.from({ length: int(pick([3, 12, 80])) }, block);
  const stored = r() < 0.5;
  return {
    reply: {
      text: text(pick([0, 100, 6000])),
      blocks,
      sandbox: r() < 0.5,
      ...(stored ? { messageId: String(seed) } : {}),
    },
    stored,
  };
};

const withinLimits = (out: RenderedPart, reply: Reply, where: string): void => {
  expect([where, checkBlocks(out.blocks)]).toEqual([where, null]);
  expect(out.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocksPerMessage);
  expect(out.blocks.length).toBeGreaterThan(0);
  expect(out.blocks.reduce((n, b) => n + blockTextLength(b), 0)).toBeLessThanOrEqual(SLACK_LIMITS.messageTextBudget);
  expect(out.text.length).toBeGreaterThan(0);
  expect(out.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fallbackText);
  // No cut ever splits a surrogate pair (a lone half renders as a replacement character).
  expect([where, JSON.stringify(out).isWellFormed()]).toEqual([where, true]);
  if (reply.sandbox)
    expect(JSON.stringify(out.blocks.at(-1))).toContain('sandbox: answers come from the local cloud emulator');
};

describe('renderBlockKit never exceeds Slack limits', () => {
  it('holds for 300 generated replies, and for every part of the stored ones', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const { reply, stored } = gen(seed);
      const first = renderPart(reply);
      withinLimits(first, reply, `seed ${seed}`);
      if (!stored) continue;
      // Show more after Show more: each part within the limits, always progressing, every unit shown once.
      let shown = first.units;
      let at = first;
      for (let n = 1; at.nextUnit !== undefined; n++) {
        const from = at.nextUnit;
        at = renderPart(reply, from);
        withinLimits(at, reply, `seed ${seed} part ${n + 1}`);
        expect(at.units).toBeGreaterThan(0);
        if (at.nextUnit !== undefined) expect(at.nextUnit).toBeGreaterThan(from);
        shown += at.units;
      }
      expect([`seed ${seed}`, shown]).toEqual([`seed ${seed}`, first.totalUnits]);
    }
  });

  it('keeps every button of a single small actions block, whatever else overflows', () => {
    for (let seed = 1000; seed < 1100; seed++) {
      const { reply } = gen(seed);
      const buttons: Button[] = [
        { actionId: 'change.approve', label: 'Approve', value: `CR-${seed}`, style: 'primary' },
        { actionId: 'change.reject', label: 'Reject', value: `CR-${seed}`, style: 'danger' },
      ];
      const blocks: Block[] = [...reply.blocks.filter((b) => b.type !== 'actions'), { type: 'actions', buttons }];
      const out = renderBlockKit({ ...reply, blocks });
      const values = out.blocks.flatMap((b) =>
        b.type === 'actions' ? b.elements.map((e) => `${e.action_id}=${e.value}`) : [],
      );
      expect(values).toEqual(expect.arrayContaining([`change.approve=CR-${seed}`, `change.reject=CR-${seed}`]));
    }
  });
});
