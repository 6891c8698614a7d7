import { describe, expect, it } from '@jest/globals';
import { markdownToBlocks } from '../../src/chat/markdown.ts';
import { Block, reply } from '../../src/chat/reply.ts';
import { SLACK_LIMITS } from '../../src/surfaces/slack/block-kit.ts';
import { renderBlockKit } from '../../src/surfaces/slack/render.ts';
import { checkBlocks } from '../fakes/slack-api-blocks.ts';

/**
 * src/chat/markdown.ts: an LLM's markdown → neutral blocks. Every answer here also goes through
 * the Block schema, as a surface would receive it.
 */
const convert = (md: string, opts?: { maxTextLength?: number }): Block[] =>
  Block.array().parse(markdownToBlocks(md, opts));

const text = (t: string): Block => ({ type: 'text', text: t });
const texts = (blocks: Block[]): string[] => blocks.flatMap((b) => (b.type === 'text' ? [b.text] : []));
const words = (s: string): string[] => s.split(/\s+/).filter((w) => w.length > 0);

describe('markdownToBlocks: each construct', () => {
  it.each<[string, string, Block[]]>([
    // Headings
    ['ATX level 1', '# Costs', [{ type: 'header', text: 'Costs' }]],
    ['ATX level 2 with closing hashes', '## Costs ##', [{ type: 'header', text: 'Costs' }]],
    ['setext level 1', 'Costs\n=====', [{ type: 'header', text: 'Costs' }]],
    ['setext level 2', 'Costs\n-----', [{ type: 'header', text: 'Costs' }]],
    [
      'heading markup stripped',
      '# **Prod** `web-1` [docs](https://d.io)',
      [{ type: 'header', text: 'Prod web-1 docs (https://d.io)' }],
    ],
    ['level 3 becomes a bold line', '### Next steps', [text('*Next steps*')]],
    ['level 6 too', '###### Tiny', [text('*Tiny*')]],
    ['an empty heading is dropped', '#\n\nbody', [text('body')]],
    // Inline markup
    ['**bold**', 'a **b** c', [text('a *b* c')]],
    ['__bold__', 'a __b__ c', [text('a *b* c')]],
    ['*italic*', 'a *i* c', [text('a _i_ c')]],
    ['_italic_', 'a _i_ c', [text('a _i_ c')]],
    ['bold and italic', '***both***', [text('_*both*_')]],
    ['bold inside bold', '**a **b** c**', [text('*a b c*')]],
    ['~~strike~~', 'was ~~$12~~ now', [text('was ~$12~ now')]],
    ['code kept', 'run `npm ci` now', [text('run `npm ci` now')]],
    ['a backtick inside code', 'x ``a`b`` y', [text("x `a'b` y")]],
    ['snake_case stays', 'call power_action_now', [text('call power_action_now')]],
    ['link', 'see [the docs](https://d.io/x)', [text('see the docs (https://d.io/x)')]],
    ['link whose text is its url', '[https://d.io](https://d.io)', [text('https://d.io')]],
    ['autolink', '<https://d.io>', [text('https://d.io')]],
    ['bare url', 'go to https://d.io/a now', [text('go to https://d.io/a now')]],
    ['mail autolink', '<ops@example.com>', [text('ops@example.com')]],
    ['link with markup', '[**bold** docs](https://d.io)', [text('*bold* docs (https://d.io)')]],
    ['reference link', 'see [docs][d]\n\n[d]: https://d.io', [text('see docs (https://d.io)')]],
    ['image', '![cost chart](https://i.io/c.png)', [text('cost chart (https://i.io/c.png)')]],
    ['image without alt', '![](https://i.io/c.png)', [text('https://i.io/c.png')]],
    ['inline HTML stripped', 'press <kbd>Ctrl</kbd>+<b>C</b>', [text('press Ctrl+C')]],
    ['<br> is a line break', 'a<br>b', [text('a\nb')]],
    ['placeholders are not HTML', 'stop <instance-id> in <region>', [text('stop <instance-id> in <region>')]],
    ['entities decoded', 'AT&amp;T &lt;3 &#169; &#x2192; &bogus;', [text('AT&T <3 © → &bogus;')]],
    ['backslash escapes', '\\*not bold\\* \\# x', [text('*not bold* # x')]],
    ['line breaks kept', 'line one\nline two', [text('line one\nline two')]],
    ['hard break', 'line one  \nline two', [text('line one\nline two')]],
    // Lists
    ['bullets', '- a\n- b\n* c', [text('• a\n• b\n\n• c')]],
    ['numbered', '1. one\n2. two', [text('1. one\n2. two')]],
    ['numbered from its start', '3. three\n4. four', [text('3. three\n4. four')]],
    ['nested lists indented', '- a\n  - b\n    - c\n      - d', [text('• a\n    ◦ b\n        ▪ c\n            • d')]],
    ['numbered inside bullets', '- a\n  1. x\n  2. y', [text('• a\n    1. x\n    2. y')]],
    ['inline markup in items', '- **web-1**: `running`', [text('• *web-1*: `running`')]],
    ['tasks', '- [ ] todo\n- [x] done', [text('• ☐ todo\n• ☑ done')]],
    ['loose list, two paragraphs in an item', '- a\n\n  more about a\n- b', [text('• a\n    more about a\n• b')]],
    ['an empty item', '- a\n-\n- c', [text('• a\n•\n• c')]],
    // Code
    [
      'fenced code, language dropped',
      '```js\nconst a = 1;\n  indented();\n```',
      [text('```\nconst a = 1;\n  indented();\n```')],
    ],
    ['tilde fence', '~~~\nx\n~~~', [text('```\nx\n```')]],
    ['indented code', 'text\n\n    code line', [text('text\n\n```\ncode line\n```')]],
    ['markup in code is kept', '```\n**not bold** <b>\n```', [text('```\n**not bold** <b>\n```')]],
    [
      'fences inside code cannot close it',
      '````\n```\ninner\n```\n````',
      [text('```\n`\u200b`\u200b`\ninner\n`\u200b`\u200b`\n```')],
    ],
    ['an empty code block is dropped', '```\n```\n\nafter', [text('after')]],
    ['code in a list item', '- run:\n\n  ```\n  npm ci\n  ```', [text('• run:\n    ```\n    npm ci\n    ```')]],
    // Quotes
    ['blockquote', '> quoted **b**\n> second', [text('> quoted *b*\n> second')]],
    ['nested quotes', '> a\n>\n> > b', [text('> a\n>\n> > b')]],
    ['list in a quote', '> - a\n> - b', [text('> • a\n> • b')]],
    // Rules and definitions
    ['horizontal rules dropped', 'a\n\n---\n\nb\n\n***\n\nc', [text('a\n\nb\n\nc')]],
    // HTML blocks
    [
      'HTML block to text',
      '<div>\n<p>Hello <b>world</b></p>\n<!-- hidden -->\n<script>alert(1)</script>\n</div>',
      [text('Hello world')],
    ],
    ['HTML comment alone', '<!-- nothing to see -->', []],
    // Empty
    ['empty input', '', []],
    ['blank input', ' \n\n\t\n', []],
  ])('%s', (_name, md, expected) => {
    expect(convert(md)).toEqual(expected);
  });

  it('turns a GFM table into a table block with plain cells', () => {
    const md = [
      '| Name | **State** | Cost |',
      '|:-----|:-----:|-----:|',
      '| `web-1` | **running** | $12.00 |',
      '| [db](https://d.io) | _stopped_ \\| idle | |',
    ].join('\n');
    expect(convert(md)).toEqual([
      {
        type: 'table',
        columns: ['Name', 'State', 'Cost'],
        rows: [
          ['web-1', 'running', '$12.00'],
          ['db (https://d.io)', 'stopped | idle', ''],
        ],
      },
    ]);
  });

  it('pads short rows and cuts long ones to the columns of the header', () => {
    const md = '| a | b | c |\n|---|---|---|\n| 1 |\n| 1 | 2 | 3 | 4 | 5 |\n| x | y |';
    expect(convert(md)).toEqual([
      {
        type: 'table',
        columns: ['a', 'b', 'c'],
        rows: [
          ['1', '', ''],
          ['1', '2', '3'],
          ['x', 'y', ''],
        ],
      },
    ]);
  });

  it('keeps a table of a list item as a block of its own', () => {
    expect(convert('- costs:\n\n  | a | b |\n  |---|---|\n  | 1 | 2 |\n- after')).toEqual([
      text('• costs:'),
      { type: 'table', columns: ['a', 'b'], rows: [['1', '2']] },
      text('• after'),
    ]);
  });

  it('turns a run of **Key:** value lines into fields', () => {
    expect(convert('**Region:** us-east-1\n**Cost:** $5 **per** month\n**Owner**: `team-a`')).toEqual([
      {
        type: 'fields',
        fields: [
          { label: 'Region', value: 'us-east-1' },
          { label: 'Cost', value: '$5 *per* month' },
          { label: 'Owner', value: '`team-a`' },
        ],
      },
    ]);
    expect(convert('__State:__ running\n__Type:__ t3.micro')).toEqual([
      {
        type: 'fields',
        fields: [
          { label: 'State', value: 'running' },
          { label: 'Type', value: 't3.micro' },
        ],
      },
    ]);
  });

  it.each([
    ['one line only', '**Region:** us-east-1'],
    ['a line that is not a field', '**Region:** us-east-1\nand some prose'],
    ['bold without a colon', '**Region** us-east-1\n**Cost** $5'],
    ['in a list', '- **Region:** us-east-1\n- **Cost:** $5'],
  ])('keeps **Key:** lines as text when they are not a run of fields: %s', (_name, md) => {
    expect(convert(md).every((b) => b.type === 'text')).toBe(true);
  });

  it('merges neighbouring text into one block; headers, tables and fields stand between', () => {
    const blocks = convert(
      '# Title\n\nfirst\n\nsecond\n\n- x\n\n## Part\n\nthird\n\n| a |\n|---|\n| 1 |\n\nfourth\n\n**A:** 1\n**B:** 2\n\nfifth',
    );
    expect(blocks.map((b) => b.type)).toEqual(['header', 'text', 'header', 'text', 'table', 'text', 'fields', 'text']);
    expect(blocks[1]).toEqual(text('first\n\nsecond\n\n• x'));
  });
});

describe('markdownToBlocks: long text', () => {
  const paragraph = (i: number): string =>
    `Paragraph ${i}: ${'the instance web-prod-1 in us-east-1 costs twelve dollars a month '.repeat(4)}`.trim();

  it('splits 10,000 characters of paragraphs at paragraph boundaries, each block within the limit', () => {
    const paragraphs = Array.from({ length: 40 }, (_, i) => paragraph(i));
    const md = paragraphs.join('\n\n');
    expect(md.length).toBeGreaterThan(10_000);
    const blocks = convert(md);
    expect(blocks.every((b) => b.type === 'text')).toBe(true);
    expect(blocks.length).toBeGreaterThanOrEqual(4);
    for (const t of texts(blocks)) {
      expect(t.length).toBeLessThanOrEqual(2900);
      // Every block holds whole paragraphs.
      for (const p of t.split('\n\n')) expect(paragraphs).toContain(p);
    }
    expect(texts(blocks).join('\n\n')).toBe(md);
  });

  it('splits one 10,000-character paragraph between words', () => {
    const md = 'alpha beta gamma delta epsilon '.repeat(330).trim();
    expect(md.length).toBeGreaterThan(10_000);
    const blocks = texts(convert(md));
    expect(blocks.length).toBe(4);
    for (const t of blocks) {
      expect(t.length).toBeLessThanOrEqual(2900);
      expect(t).toMatch(/^(alpha|beta|gamma|delta|epsilon)\b/);
      expect(t).toMatch(/\b(alpha|beta|gamma|delta|epsilon)$/);
    }
    expect(words(blocks.join(' '))).toEqual(words(md));
  });

  it('splits lines of a long list at line boundaries', () => {
    const md = Array.from({ length: 400 }, (_, i) => `- item number ${i} of the list`).join('\n');
    const blocks = texts(convert(md, { maxTextLength: 1000 }));
    expect(blocks.length).toBeGreaterThan(10);
    for (const t of blocks) {
      expect(t.length).toBeLessThanOrEqual(1000);
      for (const line of t.split('\n')) expect(line).toMatch(/^• item number \d+ of the list$/);
    }
    expect(blocks.join('\n').split('\n')).toHaveLength(400);
  });

  it('cuts a single word longer than a block, and only then', () => {
    const word = 'x'.repeat(7000);
    const blocks = texts(convert(`before\n\n${word}\n\nafter`, { maxTextLength: 3000 }));
    for (const t of blocks) expect(t.length).toBeLessThanOrEqual(3000);
    expect(blocks.join('').replace(/\s/g, '')).toBe(`before${word}after`);
  });

  it('never cuts a surrogate pair', () => {
    const blocks = texts(convert('😀'.repeat(3000), { maxTextLength: 1001 }));
    expect(blocks.length).toBeGreaterThan(1);
    for (const t of blocks) expect(t.isWellFormed()).toBe(true);
    expect(blocks.join('')).toBe('😀'.repeat(3000));
  });

  it('closes a code block cut in two and opens it again in the next block', () => {
    const code = Array.from({ length: 300 }, (_, i) => `line ${i}: echo "step ${i}"`).join('\n');
    const blocks = texts(convert(`Run this:\n\n\`\`\`bash\n${code}\n\`\`\`\n\nDone.`, { maxTextLength: 2000 }));
    expect(blocks.length).toBeGreaterThan(3);
    for (const t of blocks) {
      expect(t.length).toBeLessThanOrEqual(2000);
      expect(t.split('\n').filter((l) => l === '```').length % 2).toBe(0);
    }
    const inside = blocks
      .join('\n')
      .split('\n')
      .filter((l) => l.startsWith('line '));
    expect(inside).toEqual(code.split('\n'));
    expect(blocks[0]).toMatch(/^Run this:\n\n```\nline 0/);
    expect(blocks.at(-1)).toMatch(/```\n\nDone\.$/);
  });

  it('raises a maxTextLength too small to be useful, and ignores one that is not a number', () => {
    const md = 'word '.repeat(100);
    for (const t of texts(convert(md, { maxTextLength: 1 }))) expect(t.length).toBeLessThanOrEqual(64);
    expect(convert(md, { maxTextLength: Number.NaN })).toHaveLength(1);
  });
});

describe('markdownToBlocks: table limits', () => {
  const table = (columns: number, rows: number, cell = (r: number, c: number) => `r${r}c${c}`): string =>
    [
      `| ${Array.from({ length: columns }, (_, c) => `h${c}`).join(' | ')} |`,
      `|${'---|'.repeat(columns)}`,
      ...Array.from(
        { length: rows },
        (_, r) => `| ${Array.from({ length: columns }, (_, c) => cell(r, c)).join(' | ')} |`,
      ),
    ].join('\n');

  it('keeps 100 rows and says how many more there were', () => {
    const blocks = convert(table(3, 150));
    expect(blocks).toHaveLength(2);
    const [t, note] = blocks;
    expect(t?.type === 'table' && t.rows.length).toBe(100);
    expect(t?.type === 'table' && t.rows.at(-1)).toEqual(['r99c0', 'r99c1', 'r99c2']);
    expect(note).toEqual({ type: 'context', text: '… 50 more rows' });
  });

  it('keeps 20 columns and says how many more there were', () => {
    const blocks = convert(table(25, 101));
    const [t, note] = blocks;
    expect(t?.type === 'table' && t.columns).toEqual(Array.from({ length: 20 }, (_, c) => `h${c}`));
    expect(t?.type === 'table' && t.rows.every((r) => r.length === 20)).toBe(true);
    expect(note).toEqual({ type: 'context', text: '… 1 more row, 5 more columns' });
  });

  it('cuts cells to 500 characters', () => {
    const long = 'word '.repeat(200).trim();
    const [t] = convert(table(2, 1, (_r, c) => (c === 0 ? long : 'x'.repeat(900))));
    if (t?.type !== 'table') throw new Error('expected a table');
    for (const cell of t.rows[0]!) {
      expect(cell.length).toBeLessThanOrEqual(500);
      expect(cell.endsWith('…')).toBe(true);
    }
    expect(t.rows[0]![0]).toMatch(/^(word )+word…$/);
  });

  it('keeps a table of exactly 100 rows and 20 columns whole', () => {
    expect(convert(table(20, 100))).toHaveLength(1);
  });
});

describe('markdownToBlocks: malformed and hostile markdown', () => {
  /** Converts within a time budget: the caps exist so that no input takes long. */
  const quick = (md: string): Block[] => {
    const started = performance.now();
    const blocks = convert(md);
    expect(performance.now() - started).toBeLessThan(5000);
    return blocks;
  };

  it('runs an unclosed fence to the end as code', () => {
    expect(quick('Try:\n\n```sh\nnpm ci\nnpm test')).toEqual([text('Try:\n\n```\nnpm ci\nnpm test\n```')]);
  });

  it('keeps a table without its delimiter row as text', () => {
    expect(quick('| a | b |\n| 1 | 2 |')).toEqual([text('| a | b |\n| 1 | 2 |')]);
  });

  it('survives stray pipes', () => {
    const blocks = quick('a | b\n|\n||\n|||\n-|-\nx | y |||| z\n| | |');
    expect(blocks.length).toBeGreaterThan(0);
    expect(JSON.stringify(blocks)).toContain('x');
  });

  it('survives unbalanced markup', () => {
    const blocks = quick('**bold _italic `code [link](http://x *** ~~ __ <b> <!-- \n\n> \n- \n1.');
    expect(JSON.stringify(blocks)).toContain('bold');
  });

  it.each([
    ['5,000 nested quotes', '>'.repeat(5000) + ' deep text'],
    ['5,000 spaced nested quotes', '> '.repeat(5000) + 'deep text'],
    ['5,000 nested bullets on one line', '- '.repeat(5000) + 'deep text'],
    ['5,000 nested numbers on one line', '1. '.repeat(5000) + 'deep text'],
    ['3,000 alternating quotes and bullets', '> - '.repeat(3000) + 'deep text'],
    ['5,000 tabs of indentation', '\t'.repeat(5000) + '- deep text'],
  ])('keeps the text of %s within 16 levels', (_name, md) => {
    const blocks = quick(`# Before\n\n${md}\n\nafter`);
    expect(blocks[0]).toEqual({ type: 'header', text: 'Before' });
    const all = texts(blocks).join('\n');
    expect(all).toContain('deep text');
    expect(all).toContain('after');
    const deep = all.split('\n').find((l) => l.includes('deep text'))!;
    expect((deep.match(/>|•|◦|▪|\d+\./g) ?? []).length).toBeLessThanOrEqual(16);
  });

  it('keeps the text of a list nested 1,000 levels by indentation', () => {
    const md = Array.from({ length: 1000 }, (_, i) => `${' '.repeat(2 * i)}- item ${i}`).join('\n');
    const all = texts(quick(md)).join('\n');
    for (const i of [0, 1, 500, 999]) expect(all).toContain(`item ${i}`);
    // Nesting stops at the cap (64 columns: 32 levels of 2-space lists below the first), 4 spaces a level.
    expect(Math.max(...all.split('\n').map((l) => /^ */.exec(l)![0].length))).toBe(32 * 4);
  });

  it.each([
    ['10,000 asterisks around a word', `${'*'.repeat(5000)}x${'*'.repeat(5000)}`],
    ['3,000 nested emphasis openers', `${'*a '.repeat(3000)}${'a* '.repeat(3000)}`],
    ['nested links', `${'[a '.repeat(3000)}${'](u) '.repeat(3000)}`],
    ['a long run of underscores', `${'_'.repeat(20000)}x`],
  ])('keeps a paragraph of %s as written', (_name, md) => {
    const blocks = quick(`intro **bold**\n\n${md}`);
    expect(blocks[0]).toEqual(text('intro *bold*'));
    expect(texts(blocks).slice(1).join('').replace(/\s/g, '').length).toBeGreaterThan(0);
  });

  it('drops NUL and repairs lone surrogates, as every store needs', () => {
    const [b] = quick('a\u0000b \ud800 c');
    expect(b).toEqual(text('ab \ufffd c'));
  });

  it('answers [] for empty input and never throws on odd values', () => {
    expect(convert('')).toEqual([]);
    expect(markdownToBlocks(undefined as unknown as string)).toEqual([]);
    expect(markdownToBlocks(42 as unknown as string)).toEqual([]);
  });
});

/** A realistic final answer of the model: sections, a table of 12 instances, bullets and code. */
const REALISTIC = `# Monthly cost review: production

Here is what I found for **production** in \`us-east-1\` and \`eu-west-1\`. Costs are *estimates*
from on-demand prices; see [the pricing page](https://aws.amazon.com/ec2/pricing/on-demand/).

**Total:** $1,284.60 / month
**Instances:** 12 (10 running, 2 stopped)
**Largest:** \`db-prod-1\` (r6g.2xlarge)

## Instances

| Name | ID | Type | State | Region | $/mo |
|------|----|------|-------|--------|-----:|
${Array.from(
  { length: 12 },
  (_, i) =>
    `| web-prod-${i + 1} | \`i-0${(0xabc1230 + i).toString(16)}\` | ${i % 3 === 0 ? 'm6i.large' : 't3.medium'} | ${i % 6 === 5 ? 'stopped' : '**running**'} | ${i % 2 ? 'eu-west-1' : 'us-east-1'} | $${(60 + i * 7.35).toFixed(2)} |`,
).join('\n')}

## What I would change

1. **Stop** \`web-prod-6\` and \`web-prod-12\`: they have been stopped for 30 days, but their EBS
   volumes still cost ~$16/month. Snapshot and delete the volumes.
2. **Resize** the three \`m6i.large\` instances to \`t3.large\`: CPU stayed under 12% for two weeks.
   - Saves about $95/month.
   - Needs a restart (a few seconds of downtime each).
3. Buy a **Savings Plan** for the rest:
   - 1-year, no upfront: ~18% off
   - 3-year: ~37% off, but ties you in

> Note: prices exclude data transfer and snapshots, which were ~$41 last month.

### How to check yourself

\`\`\`bash
aws ec2 describe-instances \\
  --filters "Name=tag:env,Values=production" \\
  --query 'Reservations[].Instances[].[InstanceId,InstanceType,State.Name]' \\
  --output table
\`\`\`

Want me to file the stop requests for \`web-prod-6\` and \`web-prod-12\`? Say **yes** and I will
open them for approval.`;

describe('markdownToBlocks: a realistic answer', () => {
  const blocks = convert(REALISTIC);

  it('maps every part of it', () => {
    expect(blocks.map((b) => b.type)).toEqual(['header', 'text', 'fields', 'header', 'table', 'header', 'text']);
    expect(blocks[0]).toEqual({ type: 'header', text: 'Monthly cost review: production' });
    expect(blocks[1]).toEqual(
      text(
        'Here is what I found for *production* in `us-east-1` and `eu-west-1`. Costs are _estimates_\n' +
          'from on-demand prices; see the pricing page (https://aws.amazon.com/ec2/pricing/on-demand/).',
      ),
    );
    expect(blocks[2]).toEqual({
      type: 'fields',
      fields: [
        { label: 'Total', value: '$1,284.60 / month' },
        { label: 'Instances', value: '12 (10 running, 2 stopped)' },
        { label: 'Largest', value: '`db-prod-1` (r6g.2xlarge)' },
      ],
    });
    const table = blocks[4];
    if (table?.type !== 'table') throw new Error('expected a table');
    expect(table.columns).toEqual(['Name', 'ID', 'Type', 'State', 'Region', '$/mo']);
    expect(table.rows).toHaveLength(12);
    expect(table.rows[0]).toEqual(['web-prod-1', 'i-0abc1230', 'm6i.large', 'running', 'us-east-1', '$60.00']);
    expect(table.rows[5]).toEqual(['web-prod-6', 'i-0abc1235', 't3.medium', 'stopped', 'eu-west-1', '$96.75']);
    const body = (blocks[6] as { text: string }).text;
    expect(body).toContain(
      '1. *Stop* `web-prod-6` and `web-prod-12`: they have been stopped for 30 days, but their EBS\n' +
        '    volumes still cost ~$16/month. Snapshot and delete the volumes.',
    );
    expect(body).toContain('    ◦ Saves about $95/month.\n');
    expect(body).toContain('3. Buy a *Savings Plan* for the rest:\n    ◦ 1-year, no upfront: ~18% off');
    expect(body).toContain('> Note: prices exclude data transfer and snapshots, which were ~$41 last month.');
    expect(body).toContain('*How to check yourself*\n\n```\naws ec2 describe-instances \\\n  --filters');
    expect(body).toMatch(/--output table\n```\n\nWant me to file/);
    expect(body.endsWith('Say *yes* and I will\nopen them for approval.')).toBe(true);
  });

  it('renders for Slack within Block Kit limits', () => {
    const part = renderBlockKit(reply(blocks));
    expect(checkBlocks(part.blocks)).toBeNull();
    expect(part.nextUnit).toBeUndefined();
    expect(part.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocksPerMessage);
    expect(part.blocks.map((b) => b.type)).toEqual([
      'header',
      'section',
      'section',
      'header',
      'table',
      'header',
      'section',
    ]);
    const sections = JSON.stringify(part.blocks);
    // The table is Slack's table block, the code block stays one, the quote is a Slack quote.
    expect(sections).toContain('web-prod-12');
    expect(sections).toContain('```\\naws ec2 describe-instances');
    expect(sections).toContain('\\n&gt; Note: prices exclude');
  });

  it('renders a long answer for Slack within limits, part by part', () => {
    const long = convert(Array.from({ length: 12 }, () => REALISTIC).join('\n\n'));
    let from = 0;
    for (let parts = 0; parts < 20; parts += 1) {
      const part = renderBlockKit(reply(long), { fromUnit: from, moreButton: () => null });
      expect(checkBlocks(part.blocks)).toBeNull();
      if (part.nextUnit === undefined) return;
      from = part.nextUnit;
    }
    throw new Error('the answer did not end within 20 parts');
  });
});
