import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import type { Block, Reply } from '../../src/chat/reply.ts';
import { neutralActionId } from '../../src/surfaces/slack/action-ids.ts';
import type { SlackBlock } from '../../src/surfaces/slack/block-kit.ts';
import { renderBlockKit, SANDBOX_NOTE, type RenderedPart } from '../../src/surfaces/slack/render.ts';
import { renderPart, SHOW_MORE_ACTION } from '../../src/surfaces/slack/show-more.ts';
import { checkBlocks } from '../fakes/slack-api.ts';

const GOLDEN = join(dirname(fileURLToPath(import.meta.url)), '..', 'golden', 'slack');

/** Compares with test/golden/slack/<name>.json; `UPDATE_GOLDEN=1` rewrites it (then review the diff). */
const golden = (name: string, value: unknown): void => {
  const file = join(GOLDEN, `${name}.json`);
  const text = `${JSON.stringify(value, null, 2)}\n`;
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(file, text);
  }
  if (!existsSync(file)) throw new Error(`missing golden file ${file}: run with UPDATE_GOLDEN=1 and review it`);
  expect(text).toBe(readFileSync(file, 'utf8'));
};

const sectionTexts = (blocks: SlackBlock[]): string[] =>
  blocks.flatMap((b) => (b.type === 'section' && 'text' in b ? [b.text.text] : []));

const regions = ['eu-west-1', 'us-east-1', 'eu-central-1'];
const states = ['running', 'stopped', 'running', 'running'];
const instances = Array.from({ length: 12 }, (_, i) => [
  `i-0${(0xa1b2c3 + i * 7919).toString(16)}d4e5f6`,
  `web-${i + 1}`,
  states[i % 4] ?? 'running',
  i % 3 === 0 ? 't3.large' : 't3.micro',
  regions[i % 3] ?? 'eu-west-1',
]);

// A deterministic 40 KB text: paragraphs of ordinary words, one code block, user text with <, > and &.
const words = 'the instance web-7 in eu-west-1 was stopped by the nightly schedule & restarted <after> review'.split(
  ' ',
);
const paragraph = (n: number): string =>
  Array.from({ length: 60 }, (_, i) => words[(i * 7 + n) % words.length]).join(' ');
const text40k = (() => {
  const parts: string[] = [];
  for (let n = 0; parts.join('\n\n').length < 40_000; n++) {
    parts.push(n === 3 ? '```\n$ aws ec2 describe-instances --filters Name=tag:env,Values=prod\n```' : paragraph(n));
  }
  return parts.join('\n\n').slice(0, 40_000);
})();

/** Every part of a stored reply, following its Show more buttons (bounded: a loop would fail the test). */
const allParts = (reply: Reply): RenderedPart[] => {
  const parts = [renderPart(reply)];
  for (let next = parts[0]!.nextUnit; next !== undefined && parts.length < 100; next = parts.at(-1)!.nextUnit)
    parts.push(renderPart(reply, next));
  return parts;
};

const layouts: Record<string, { reply: Reply }> = {
  'list-table': {
    reply: {
      text: '12 instances in 3 regions',
      sandbox: true,
      blocks: [
        { type: 'header', text: 'Instances (12)' },
        { type: 'text', text: 'Found *12* instances across `eu-west-1`, `us-east-1` and `eu-central-1`.' },
        { type: 'table', columns: ['id', 'name', 'state', 'type', 'region'], rows: instances },
        { type: 'actions', buttons: [{ actionId: 'command.run', label: 'Next page', value: 'list instances page=2' }] },
        { type: 'context', text: 'Inventory synced 4 minutes ago' },
      ],
    },
  },
  'change-card': {
    reply: {
      text: 'Change request CR-42: stop 2 instances in prod (needs approval)',
      changeId: 'CR-42',
      blocks: [
        { type: 'header', text: 'Change request CR-42: stop 2 instances' },
        {
          type: 'fields',
          fields: [
            { label: 'Requested by', value: 'Alice Smith' },
            { label: 'Environment', value: '*prod*' },
            { label: 'Provider', value: 'aws (eu-west-1)' },
            { label: 'Cost delta', value: '-$84.20 / month' },
            { label: 'Blast radius', value: '2 instances, 0 dependents' },
            { label: 'Rollback', value: 'start the same instances' },
          ],
        },
        {
          type: 'text',
          text: 'Reason: **idle for 14 days** (CPU < 2%). Approvers: 1 of role `approver`, no self-approval.',
        },
        {
          type: 'table',
          columns: ['id', 'name', 'type', 'monthly'],
          rows: [
            ['i-0a1b2c3d4e5f60718', 'batch-old-1', 't3.large', '$42.10'],
            ['i-0a1b2c3d4e5f60719', 'batch-old-2', 't3.large', '$42.10'],
          ],
        },
        {
          type: 'actions',
          buttons: [
            { actionId: 'change.approve', label: 'Approve', value: 'CR-42', style: 'primary' },
            { actionId: 'change.reject', label: 'Reject', value: 'CR-42', style: 'danger' },
          ],
        },
        { type: 'context', text: 'Expires in 24 h · policy `prod-stop` · audit #1042' },
      ],
    },
  },
  'truncated-60-blocks': {
    reply: {
      text: '60 findings',
      messageId: '42',
      blocks: Array.from({ length: 60 }, (_, i): Block => ({
        type: 'text',
        text: `*Finding ${i + 1}*: security group sg-${1000 + i} allows 0.0.0.0/0 on port 22`,
      })),
    },
  },
  'text-40kb': { reply: { text: 'Long answer', messageId: '43', blocks: [{ type: 'text', text: text40k }] } },
  'fields-23': {
    reply: {
      text: 'Instance web-1',
      blocks: [
        { type: 'header', text: 'web-1 (i-0a1b2c3d4e5f60718)' },
        {
          type: 'fields',
          fields: Array.from({ length: 23 }, (_, i) => ({
            label: `tag:key-${i + 1}`,
            value: `value <${i + 1}> & more`,
          })),
        },
      ],
    },
  },
  'cost-chart': {
    reply: {
      text: 'Monthly cost $1,234.50',
      blocks: [
        { type: 'header', text: 'Monthly cost by service: $1,234.50' },
        {
          type: 'chart',
          kind: 'bar',
          title: 'Monthly cost by service',
          categories: ['checkout', 'search', 'payments-gateway-eu-west', 'untagged'],
          series: [{ name: 'Monthly cost', values: [640.2, 310, 204.3, 80] }],
          unit: 'USD/month',
        },
        {
          type: 'table',
          columns: ['Service', 'Resources', '$/mo', 'Share'],
          rows: [
            ['checkout', '6', '$640.20', '51.9%'],
            ['search', '3', '$310.00', '25.1%'],
            ['payments-gateway-eu-west', '2', '$204.30', '16.5%'],
            ['untagged', '1', '$80.00', '6.5%'],
          ],
        },
        { type: 'context', text: `Approved by <@slack:U0BOB|Bob Smith> and <@teams:aad-1|Ann Ops> & co` },
      ],
    },
  },
  'charts-over-limits': {
    reply: {
      text: 'Three charts',
      blocks: [
        {
          type: 'chart',
          kind: 'pie',
          title: 'Instances by environment, every environment we have seen this month',
          categories: ['prod', 'staging', 'dev', 'qa', 'sandbox', 'demo', 'perf', 'unknown'],
          series: [{ name: 'Instances', values: [12, 4, 9, 2, 1, 1, 3, 0] }],
        },
        {
          type: 'chart',
          kind: 'line',
          title: 'CPU',
          categories: ['Mon', 'Tue', 'Wed'],
          series: [
            { name: 'web', values: [20, 35.5, 30] },
            { name: 'db', values: [50, 55, 61] },
          ],
          unit: '%',
        },
        {
          type: 'chart',
          kind: 'pie',
          title: 'Volumes by state',
          categories: ['in-use', 'available', 'error'],
          series: [{ name: 'Volumes', values: [30, 5, 0] }],
        },
        {
          type: 'chart',
          kind: 'area',
          title: 'Fourth chart, past the two a message holds',
          categories: ['a', 'b'],
          series: [{ name: 's', values: [1, 2] }],
        },
      ],
    },
  },
  'table-120-rows': {
    reply: {
      text: '120 rows',
      messageId: '44',
      blocks: [
        {
          type: 'table',
          columns: ['name', 'state'],
          rows: Array.from({ length: 120 }, (_, i) => [`web-${i + 1}`, i % 2 ? 'running' : 'stopped']),
        },
      ],
    },
  },
  'wide-table': {
    reply: {
      text: 'Buckets',
      blocks: [
        {
          type: 'table',
          columns: ['name', 'region', 'versioning', 'encryption', 'public access', 'lifecycle', 'monthly'],
          rows: Array.from({ length: 5 }, (_, i) => [
            `company-logs-archive-${2020 + i}`,
            'eu-west-1',
            'Enabled',
            'aws:kms (alias/logs)',
            'blocked',
            'expire after 365 days',
            `$${(12.5 * (i + 1)).toFixed(2)}`,
          ]),
        },
      ],
    },
  },
};

describe('renderBlockKit golden layouts', () => {
  for (const [name, { reply }] of Object.entries(layouts)) {
    it(`${name} matches test/golden/slack/${name}.json and passes Slack's checks`, () => {
      // A stored reply too long for one message: the golden file holds every part, Show mores followed.
      const parts = allParts(reply);
      for (const p of parts) expect(checkBlocks(p.blocks)).toBeNull();
      for (const p of parts) if (p.fallbackBlocks) expect(checkBlocks(p.fallbackBlocks)).toBeNull();
      const shown = parts.map((p) => ({
        text: p.text,
        blocks: p.blocks,
        ...(p.fallbackBlocks ? { fallbackBlocks: p.fallbackBlocks } : {}),
        ...(p.nextUnit !== undefined ? { nextUnit: p.nextUnit } : {}),
      }));
      golden(name, shown.length === 1 ? shown[0] : shown);
    });
  }
});

describe('renderBlockKit', () => {
  it('escapes user text everywhere so it cannot ping or inject links', () => {
    const out = renderBlockKit({
      text: '<!channel> & co',
      blocks: [
        { type: 'text', text: 'hi <!here> <@U1> & `a<b>`' },
        { type: 'fields', fields: [{ label: 'a<b', value: '<!channel>' }] },
        { type: 'table', columns: ['x'], rows: [['<!everyone>']] },
        { type: 'context', text: '<https://evil|click>' },
      ],
    });
    // A table cell is raw_text: Slack shows it as typed and parses nothing in it.
    const table = out.blocks.find((b) => b.type === 'table');
    expect(table?.type === 'table' && table.rows[1]).toEqual([{ type: 'raw_text', text: '<!everyone>' }]);
    const json = JSON.stringify({ ...out, blocks: out.blocks.filter((b) => b.type !== 'table') });
    expect(json).not.toMatch(/<[!@]/);
    expect(json).not.toContain('<https://evil');
    expect(out.text).toBe('&lt;!channel&gt; &amp; co');
    expect(sectionTexts(out.blocks)[0]).toBe('hi &lt;!here&gt; &lt;@U1&gt; &amp; `a&lt;b&gt;`');
  });

  it('converts common Markdown to mrkdwn outside code only', () => {
    const [text] = sectionTexts(
      renderBlockKit({
        text: 't',
        blocks: [
          {
            type: 'text',
            text: '## Plan\n- **stop** web-1\n- see [runbook](https://example.com/r?a=1&b=2)\n`**kept**`',
          },
        ],
      }).blocks,
    );
    expect(text).toBe('*Plan*\n• *stop* web-1\n• see <https://example.com/r?a=1&amp;b=2|runbook>\n`**kept**`');
  });

  it('keeps headers plain and within 150 characters', () => {
    const out = renderBlockKit({
      text: 't',
      blocks: [{ type: 'header', text: `*Report* for ${'very-long-name '.repeat(20)}` }],
    });
    const [h] = out.blocks;
    expect(h?.type).toBe('header');
    if (h?.type !== 'header') return;
    expect(h.text.text.length).toBeLessThanOrEqual(150);
    expect(h.text.text.startsWith('Report for very-long-name')).toBe(true);
    expect(h.text.text.endsWith('…')).toBe(true);
  });

  it('splits long text at word boundaries into sections of at most 3000 characters', () => {
    const text = Array.from({ length: 800 }, (_, i) => `word${i}`).join(' ');
    const parts = sectionTexts(renderBlockKit({ text: 't', blocks: [{ type: 'text', text }] }).blocks);
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(3000);
    expect(parts.join(' ') === text).toBe(true);
  });

  it('closes and reopens a code block split across sections', () => {
    const code = `\`\`\`\n${Array.from({ length: 400 }, (_, i) => `line ${i} of the log output`).join('\n')}\n\`\`\``;
    const parts = sectionTexts(renderBlockKit({ text: 't', blocks: [{ type: 'text', text: code }] }).blocks);
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) {
      expect(p.startsWith('```')).toBe(true);
      expect(p.endsWith('```')).toBe(true);
    }
  });

  it('makes repeated action ids unique and reversible', () => {
    const out = renderBlockKit(
      {
        text: 't',
        blocks: [
          {
            type: 'actions',
            buttons: [
              { actionId: 'command.run', label: 'Page 2', value: 'p2' },
              { actionId: 'command.run', label: 'Page 3', value: 'p3' },
              { actionId: 'x#3', label: 'Odd', value: '' },
            ],
          },
          ...Array.from({ length: 60 }, (): Block => ({ type: 'context', text: 'filler' })),
        ],
      },
      {
        moreButton: () => ({
          type: 'button',
          text: { type: 'plain_text', text: 'Next' },
          action_id: 'command.run',
          value: 'p4',
        }),
      },
    );
    const ids = out.blocks.flatMap((b) => (b.type === 'actions' ? b.elements.map((e) => e.action_id) : []));
    expect(ids).toEqual(['command.run', 'command.run#2', 'x#3#1', 'command.run#3']);
    expect(ids.map(neutralActionId)).toEqual(['command.run', 'command.run', 'x#3', 'command.run']);
  });

  it('keeps the Approve/Reject buttons of a change card whose table overflows', () => {
    const rows = Array.from({ length: 400 }, (_, i) => [`i-${i}`, `host-${i}`, 'running']);
    const out = renderPart({
      text: 'CR-7',
      messageId: '7',
      sandbox: true,
      blocks: [
        { type: 'header', text: 'CR-7' },
        { type: 'table', columns: ['id', 'name', 'state'], rows },
        {
          type: 'actions',
          buttons: [
            { actionId: 'change.approve', label: 'Approve', value: 'CR-7', style: 'primary' },
            { actionId: 'change.reject', label: 'Reject', value: 'CR-7', style: 'danger' },
          ],
        },
      ],
    });
    expect(checkBlocks(out.blocks)).toBeNull();
    const types = out.blocks.map((b) => b.type);
    expect(types.at(-2)).toBe('actions');
    expect(JSON.stringify(out.blocks.at(-2))).toContain('change.approve');
    expect(JSON.stringify(out.blocks.at(-3))).toContain(SHOW_MORE_ACTION);
    expect(out.blocks.at(-1)).toEqual({ type: 'context', elements: [{ type: 'mrkdwn', text: SANDBOX_NOTE }] });
    expect(JSON.stringify(out.blocks)).toMatch(/…and [\d,]+ more rows/);
  });

  it('omits "Show more" for a reply that is not stored (no messageId)', () => {
    const out = renderPart({
      text: 't',
      blocks: Array.from({ length: 70 }, (): Block => ({ type: 'text', text: 'x' })),
    });
    expect(out.blocks).toHaveLength(50);
    expect(out.blocks.at(-1)).toEqual({ type: 'context', elements: [{ type: 'mrkdwn', text: '…and 21 more items' }] });
  });

  it('always sets a fallback text and at least one block', () => {
    const out = renderBlockKit({ text: '', blocks: [] });
    expect(out.text.length).toBeGreaterThan(0);
    expect(out.blocks).toHaveLength(1);
    const long = renderBlockKit({ text: 'y '.repeat(5000), blocks: [{ type: 'header', text: 'h' }] });
    expect(long.text.length).toBeLessThanOrEqual(4000);
  });
});
