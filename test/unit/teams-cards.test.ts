/**
 * Neutral Reply → Teams Adaptive Cards (src/surfaces/teams/cards.ts): golden renders of the main
 * layouts, the size limit on huge replies, mentions, forms with field errors, typeahead search
 * fields, charts, and the parsers of what Teams sends back (card actions, typeahead queries).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import type { ChangeRequest } from '../../src/changes/model.ts';
import { renderChangeCard } from '../../src/changes/card.ts';
import { mention } from '../../src/chat/mention.ts';
import type { Reply } from '../../src/chat/reply.ts';
import {
  ADAPTIVE_CARD,
  MESSAGE_BUDGET,
  messageBytes,
  parseCardAction,
  parseMore,
  renderPart,
  renderReply,
  replyFingerprint,
  SANDBOX_NOTE,
  SHOW_MORE_VERB,
  toTeamsMarkdown,
  type RenderedPart,
  type TeamsMessage,
} from '../../src/surfaces/teams/cards.ts';
import { parseSearchInvoke, searchResponse } from '../../src/surfaces/teams/search.ts';
import { conversation, person, planFor } from '../fixtures/changes-plans.ts';

const GOLDEN = join(dirname(fileURLToPath(import.meta.url)), '..', 'golden', 'teams');

/** Compares with test/golden/teams/<name>.json; `UPDATE_GOLDEN=1` rewrites it (then review the diff). */
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

type El = Record<string, unknown>;

const ELEMENTS = new Set([
  'TextBlock',
  'RichTextBlock',
  'FactSet',
  'Table',
  'Container',
  'ActionSet',
  'Input.Text',
  'Input.ChoiceSet',
  'Chart.VerticalBar',
  'Chart.VerticalBar.Grouped',
  'Chart.Line',
  'Chart.Pie',
]);
const ACTIONS = new Set(['Action.Execute', 'Action.ShowCard']);

/** Every element and action of a card, nested ones included (ShowCard cards, containers, tables). */
const walk = (card: El): { elements: El[]; actions: El[] } => {
  const elements: El[] = [];
  const actions: El[] = [];
  const visitAction = (a: El): void => {
    actions.push(a);
    if (a.type === 'Action.ShowCard') visitCard(a.card as El);
  };
  const visit = (e: El): void => {
    elements.push(e);
    for (const item of (e.items as El[] | undefined) ?? []) visit(item);
    for (const a of (e.actions as El[] | undefined) ?? []) visitAction(a);
    for (const row of (e.rows as El[] | undefined) ?? [])
      for (const cell of row.cells as El[]) for (const item of cell.items as El[]) visit(item);
  };
  const visitCard = (c: El): void => {
    for (const e of (c.body as El[] | undefined) ?? []) visit(e);
    for (const a of (c.actions as El[] | undefined) ?? []) visitAction(a);
  };
  visitCard(card);
  return { elements, actions };
};

/**
 * What Teams would refuse or draw wrong, or null: the size limit, element and action shapes we
 * rely on, unique input ids, and `<at>` mentions matching their entities both ways.
 */
const checkMessage = (m: TeamsMessage): string | null => {
  if (messageBytes(m) > MESSAGE_BUDGET) return `message is ${messageBytes(m)} bytes`;
  if (m.attachments.length !== 1 || m.attachments[0]!.contentType !== ADAPTIVE_CARD) return 'one adaptive card';
  const card = m.attachments[0]!.content;
  if (card.type !== 'AdaptiveCard' || card.version !== '1.5') return 'card type/version';
  if (!Array.isArray(card.body) || card.body.length === 0) return 'empty body';
  if (typeof m.text !== 'string' || m.text.length === 0 || m.text.includes('<@')) return 'text fallback';
  const { elements, actions } = walk(card);
  const ids = new Set<string>();
  for (const e of elements) {
    if (!ELEMENTS.has(e.type as string)) return `unknown element ${String(e.type)}`;
    if (e.type === 'TextBlock' && (typeof e.text !== 'string' || e.text.length === 0)) return 'empty TextBlock';
    if (String(e.type).startsWith('Input.')) {
      if (typeof e.id !== 'string' || ids.has(e.id)) return `input id ${String(e.id)}`;
      ids.add(e.id);
    }
  }
  for (const a of actions) {
    if (!ACTIONS.has(a.type as string)) return `unknown action ${String(a.type)}`;
    if (typeof a.title !== 'string' || a.title.length === 0 || a.title.length > 75) return 'action title';
    if (a.type === 'Action.Execute') {
      const data = a.data as { value?: unknown };
      if (typeof a.verb !== 'string' || typeof data?.value !== 'string') return 'Action.Execute verb/data.value';
    }
  }
  const ats = new Set([...JSON.stringify(card.body).matchAll(/<at>[^<]*<\/at>/g)].map((x) => x[0]));
  const cardEntities = ((card.msteams as { entities?: { text: string }[] } | undefined)?.entities ?? []).map(
    (e) => e.text,
  );
  const entities = m.entities.map((e) => e.text);
  if ([...ats].sort().join() !== [...new Set(cardEntities)].sort().join()) return 'card entities ≠ <at> in card';
  if (cardEntities.join() !== entities.join()) return 'message entities ≠ card entities';
  return null;
};

/** Every part of a stored reply, following its Show more buttons as a click would (bounded). */
const allParts = (reply: Reply): RenderedPart[] => {
  const parts = [renderPart(reply)];
  for (;;) {
    const more = walk(parts.at(-1)!.message.attachments[0]!.content).actions.filter((a) => a.verb === SHOW_MORE_VERB);
    expect(more.length).toBeLessThanOrEqual(1);
    if (more.length === 0) return parts;
    const ref = parseMore((more[0]!.data as { value: string }).value);
    expect(ref).toMatchObject({ messageId: Number(reply.messageId), fingerprint: replyFingerprint(reply) });
    expect(ref!.fromUnit).toBe(parts.at(-1)!.nextUnit);
    expect(parts.length).toBeLessThan(60);
    parts.push(renderPart(reply, { fromUnit: ref!.fromUnit }));
  }
};

const body = (m: TeamsMessage): El[] => m.attachments[0]!.content.body as El[];
const json = (x: unknown): string => JSON.stringify(x);

// ---------------------------------------------------------------------------------------------
// Layouts

const at = new Date('2026-11-02T10:00:00.000Z');
const change = (over: Partial<ChangeRequest>): ChangeRequest => ({
  id: 'CR-42',
  workspaceId: 'T1',
  status: 'pending',
  plan: planFor(),
  requester: person('alice'),
  requesterKey: 'teams:T1:alice',
  conversation,
  policy: {
    rule: 'production',
    approvals: 1,
    approverRoles: ['approver', 'admin'],
    allowSelfApproval: false,
    autoApprove: false,
  },
  approvalsRequired: 1,
  decisions: [],
  expiresAt: new Date(at.getTime() + 86_400_000),
  decidedBy: null,
  reason: null,
  rollbackData: null,
  result: null,
  error: null,
  createdAt: at,
  updatedAt: at,
  startedAt: null,
  finishedAt: null,
  gate: null,
  gateDecisions: [],
  ...over,
});

const bob = { surface: 'teams' as const, workspaceId: 'tenant-1', userId: '29:1bob-aad', displayName: 'Bob Smith' };
const carol = { surface: 'slack' as const, workspaceId: 'T1', userId: 'U0CAROL', displayName: 'Carol' };

const regions = ['eu-west-1', 'us-east-1', 'eu-central-1'];
const states = ['running', 'stopped', 'running', 'running'];
const instances = Array.from({ length: 12 }, (_, i) => [
  `i-0${(0xa1b2c3 + i * 7919).toString(16)}d4e5f6`,
  `web-${i + 1}`,
  states[i % 4] ?? 'running',
  i % 3 === 0 ? 't3.large' : 't3.micro',
  regions[i % 3] ?? 'eu-west-1',
]);

const words = 'the instance web-7 in eu-west-1 was stopped by the nightly schedule & restarted <after> review'.split(
  ' ',
);
const paragraph = (n: number): string =>
  Array.from({ length: 60 }, (_, i) => words[(i * 7 + n) % words.length]).join(' ');

const layouts: Record<string, { reply: Reply; values?: Record<string, string> }> = {
  'approval-pending': { reply: { ...renderChangeCard(change({})), messageId: '101' } },
  'approval-decided': {
    reply: {
      text: `CR-42 done: Stop i-0abc (web-1, prod) — approved by @${bob.displayName}`,
      changeId: 'CR-42',
      messageId: '101',
      blocks: [
        { type: 'header', text: '✅ CR-42 · Stop i-0abc (web-1, prod) in eu-west-1' },
        {
          type: 'fields',
          fields: [
            { label: 'Status', value: 'Done' },
            { label: 'Requested by', value: mention(carol) },
            { label: 'Approvals', value: `1 of 1 from the approver or admin role — ${mention(bob)}` },
          ],
        },
        { type: 'text', text: `*Approved by ${mention(bob)}* · stopped · 2026-11-02 10:01 UTC` },
        { type: 'context', text: `Requested by ${mention(carol)} · rollback with \`rollback CR-42\`` },
      ],
    },
  },
  'instance-table': {
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
  'cost-chart': {
    reply: {
      text: 'Monthly cost by service: $1,234.56',
      blocks: [
        { type: 'header', text: 'Costs this month' },
        {
          type: 'chart',
          kind: 'bar',
          title: 'Monthly cost by service',
          unit: 'USD/month',
          categories: ['EC2', 'RDS', 'S3', 'Lambda'],
          series: [{ name: 'cost', values: [812.4, 301.16, 98, 23] }],
        },
        {
          type: 'chart',
          kind: 'area',
          title: 'Trend',
          unit: 'USD',
          categories: ['Aug', 'Sep', 'Oct', 'Nov'],
          series: [
            { name: 'prod', values: [900, 950, 1010, 1100] },
            { name: 'staging', values: [120, 110, 130, 134.56] },
          ],
        },
        {
          type: 'chart',
          kind: 'pie',
          title: 'By environment',
          categories: ['prod', 'staging'],
          series: [{ name: 'share', values: [1100, 134.56] }],
        },
      ],
    },
  },
  'resize-form-errors': {
    values: { size: 't3.huge', instance: 'i-0abc' },
    reply: {
      text: 'That size is not offered for this instance type.',
      fieldErrors: { size: 'Pick one of the sizes listed: t3.huge does not exist.' },
      blocks: [
        { type: 'header', text: 'web-1 (i-0abc)' },
        {
          type: 'fields',
          fields: [
            { label: 'Type', value: 't3.micro' },
            { label: 'State', value: 'running' },
          ],
        },
        {
          type: 'actions',
          buttons: [
            {
              actionId: 'command.run',
              label: 'Resize…',
              value: '{"tool":"resize_resource","input":{"resource":"i-0abc"}}',
              form: {
                title: 'Resize instance',
                submitLabel: 'Request',
                fields: [
                  {
                    name: 'instance',
                    label: 'Instance',
                    kind: 'search',
                    required: true,
                    source: 'resources?type=instance&action=resize',
                    placeholder: 'Type a name or id',
                  },
                  {
                    name: 'size',
                    label: 'New size (now t3.micro)',
                    kind: 'select',
                    required: true,
                    options: [
                      { label: 't3.small', value: 't3.small' },
                      { label: 't3.large', value: 't3.large' },
                    ],
                  },
                ],
              },
            },
            { actionId: 'command.run', label: 'Stop', value: '{"tool":"power_action"}', style: 'danger' },
          ],
        },
      ],
    },
  },
  'long-show-more': {
    reply: {
      text: 'Long answer',
      messageId: '43',
      sandbox: true,
      blocks: [
        { type: 'header', text: 'Audit findings' },
        {
          type: 'text',
          text: Array.from({ length: 40 }, (_, n) =>
            n === 3 ? '```\n$ aws ec2 describe-instances --filters Name=tag:env,Values=prod\n```' : paragraph(n),
          ).join('\n\n'),
        },
        {
          type: 'table',
          columns: ['group', 'port', 'source'],
          rows: Array.from({ length: 45 }, (_, i) => [`sg-${1000 + i}`, '22', '0.0.0.0/0']),
        },
      ],
    },
  },
};

describe('renderReply golden layouts', () => {
  for (const [name, { reply, values }] of Object.entries(layouts)) {
    it(`${name} matches test/golden/teams/${name}.json and passes Teams' checks`, () => {
      const parts = values ? [renderPart(reply, { values })] : allParts(reply);
      for (const p of parts) expect(checkMessage(p.message)).toBeNull();
      const shown = parts.map((p) => ({ ...p.message, ...(p.nextUnit !== undefined ? { nextUnit: p.nextUnit } : {}) }));
      golden(name, shown.length === 1 ? shown[0] : shown);
    });
  }

  it('the pending approval card: Approve executes, Reject opens a reason form whose submit executes', () => {
    const { actions } = walk(renderReply(layouts['approval-pending']!.reply).attachments[0]!.content);
    const approve = actions.find((a) => a.title === 'Approve')!;
    expect(approve).toMatchObject({
      type: 'Action.Execute',
      verb: 'change.approve',
      data: { value: 'CR-42' },
      style: 'positive',
    });
    const reject = actions.find((a) => a.type === 'Action.ShowCard')!;
    expect(reject).toMatchObject({ title: 'Reject', style: 'destructive' });
    const form = reject.card as El;
    expect(form.body).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: 'Input.Text', id: 'reason', isMultiline: true })]),
    );
    expect(form.actions).toEqual([
      // The submit names the stored card, so an invalid answer can show that card again with its errors.
      expect.objectContaining({ type: 'Action.Execute', verb: 'change.reject', data: { value: 'CR-42', card: '101' } }),
    ]);
  });

  it('the decided card mentions the Teams approver for real and other surfaces’ people as @Name', () => {
    const m = renderReply(layouts['approval-decided']!.reply);
    expect(m.entities).toEqual([
      { type: 'mention', text: '<at>Bob Smith</at>', mentioned: { id: '29:1bob-aad', name: 'Bob Smith' } },
    ]);
    expect(json(body(m))).toContain('**Approved by <at>Bob Smith</at>**');
    expect(json(body(m))).toContain('Requested by @Carol');
    expect(m.text).toBe('CR-42 done: Stop i-0abc (web-1, prod) — approved by @Bob Smith');
    expect(m.attachments[0]!.content.msteams).toEqual({ width: 'Full', entities: m.entities });
  });

  it('the resize form with errors stays open: message under its field, typed values kept, typeahead on the search field', () => {
    const { reply, values } = layouts['resize-form-errors']!;
    const m = renderPart(reply, { values }).message;
    const { elements } = walk(m.attachments[0]!.content);
    const size = elements.find((e) => e.id === 'size')!;
    expect(size).toMatchObject({
      type: 'Input.ChoiceSet',
      value: 't3.huge',
      errorMessage: 'Pick one of the sizes listed: t3.huge does not exist.',
    });
    const next = elements[elements.indexOf(size) + 1]!;
    expect(next).toMatchObject({ type: 'TextBlock', color: 'Attention' });
    expect(elements.find((e) => e.id === 'instance')).toMatchObject({
      type: 'Input.ChoiceSet',
      style: 'filtered',
      'choices.data': { type: 'Data.Query', dataset: 'resources?type=instance&action=resize' },
    });
    // The open form is on the card itself, not behind a ShowCard.
    expect(json(body(m))).toContain('"id":"size"');
    expect(walk(m.attachments[0]!.content).actions.some((a) => a.type === 'Action.ShowCard')).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------

describe('limits', () => {
  const huge = (messageId?: string): Reply => ({
    text: 'Everything',
    ...(messageId ? { messageId } : {}),
    changeId: 'CR-9',
    blocks: [
      { type: 'header', text: 'H'.repeat(5000) },
      { type: 'text', text: 'ü€😀 '.repeat(8_000) },
      { type: 'fields', fields: Array.from({ length: 40 }, (_, i) => ({ label: `k${i}`, value: 'v'.repeat(3000) })) },
      {
        type: 'table',
        columns: ['a', 'b', 'c'],
        rows: Array.from({ length: 200 }, (_, i) => [`row-${i}`, 'x'.repeat(400), 'y']),
      },
      {
        type: 'chart',
        kind: 'line',
        title: 'T',
        categories: Array.from({ length: 50 }, (_, i) => `category-${i}-${'z'.repeat(80)}`),
        series: Array.from({ length: 6 }, (_, s) => ({
          name: `s${s}`,
          values: Array.from({ length: 50 }, (_, i) => i * s + 0.123),
        })),
      },
      {
        type: 'actions',
        buttons: [
          { actionId: 'change.approve', label: 'Approve', value: 'CR-9', style: 'primary' },
          { actionId: 'change.reject', label: 'Reject', value: 'CR-9', style: 'danger' },
        ],
      },
    ],
  });

  it('a huge stored reply: every part under the budget, Approve/Reject in the first only, every table row exactly once', () => {
    const parts = allParts(huge('900'));
    expect(parts.length).toBeGreaterThan(5);
    for (const p of parts) expect(checkMessage(p.message)).toBeNull();
    const approveIn = parts.map((p) => json(p.message).includes('"verb":"change.approve"'));
    expect(approveIn[0]).toBe(true);
    expect(approveIn.slice(1).every((x) => !x)).toBe(true);
    const rows = parts.flatMap((p) =>
      [...json(body(p.message)).matchAll(/"text":"row-(\d+)"/g)].map((m) => Number(m[1])),
    );
    expect(rows).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(parts.at(-1)!.nextUnit).toBeUndefined();
    const shown = parts.reduce((n, p) => n + p.units, 0);
    expect(shown).toBe(parts[0]!.totalUnits);
    expect(parts[1]!.message.text).toBe('(continued) Everything');
  });

  it('a huge reply that is not stored is cut with a notice and no Show more', () => {
    const m = renderReply(huge());
    expect(checkMessage(m)).toBeNull();
    expect(json(m)).not.toContain(SHOW_MORE_VERB);
    expect(json(body(m))).toMatch(/…and [\d,]+ more/);
    expect(json(m)).toContain('"verb":"change.reject"');
  });

  it('a chart too large to draw keeps its numbers as text', () => {
    const reply = huge();
    const chart = reply.blocks.find((b) => b.type === 'chart')!;
    const parts = allParts({ text: 'c', messageId: '5', blocks: [chart] });
    const all = parts.map((p) => json(body(p.message))).join('');
    expect(all).not.toContain('Chart.Line');
    expect(all).toContain('category-49');
  });

  it('charts: one bar series → Chart.VerticalBar, several → grouped, line and area → Chart.Line; numbers beside', () => {
    const chart = (kind: 'bar' | 'line' | 'area', series: number): TeamsMessage =>
      renderReply({
        text: 'c',
        blocks: [
          {
            type: 'chart',
            kind,
            title: 'Cost',
            categories: ['a', 'b'],
            series: Array.from({ length: series }, (_, i) => ({ name: `s${i}`, values: [i, i + 1] })),
          },
        ],
      });
    expect(body(chart('bar', 1))[0]).toMatchObject({
      type: 'Chart.VerticalBar',
      data: [
        { x: 'a', y: 0 },
        { x: 'b', y: 1 },
      ],
    });
    expect(body(chart('bar', 2))[0]).toMatchObject({
      type: 'Chart.VerticalBar.Grouped',
      data: [
        { legend: 's0' },
        {
          legend: 's1',
          values: [
            { x: 'a', y: 1 },
            { x: 'b', y: 2 },
          ],
        },
      ],
    });
    for (const kind of ['line', 'area'] as const) {
      const b = body(chart(kind, 2));
      expect(b[0]).toMatchObject({ type: 'Chart.Line', fallback: 'drop' });
      expect(b[1]).toMatchObject({ type: 'TextBlock', text: 'Cost:\n\ns0: a 0, b 1\n\ns1: a 1, b 2' });
    }
  });

  it('a fitting reply is not cut and says nothing about more', () => {
    const p = renderPart({ text: 'ok', messageId: '7', blocks: [{ type: 'text', text: 'short' }] });
    expect(p.nextUnit).toBeUndefined();
    expect(json(p.message)).not.toContain('…and');
  });

  it('the sandbox note ends every part', () => {
    const m = renderReply({ text: 't', sandbox: true, blocks: [{ type: 'text', text: 'x' }] });
    expect(body(m).at(-1)).toMatchObject({ type: 'TextBlock', text: SANDBOX_NOTE });
  });

  it('an empty reply still draws a card', () => {
    const m = renderReply({ text: '', blocks: [] });
    expect(checkMessage(m)).toBeNull();
  });
});

describe('text', () => {
  it('converts our light markdown to what Teams draws, code kept verbatim', () => {
    expect(toTeamsMarkdown('*bold* and **bold** and __b__, `a*b*`, ~~gone~~\n# Title')).toBe(
      '**bold** and **bold** and **b**, `a*b*`, gone\n\n**Title**',
    );
    expect(toTeamsMarkdown('- a\n- b\nafter\n    ◦ nested')).toBe(
      '- a\n- b\n\nafter\n\n\u00a0\u00a0\u00a0\u00a0◦ nested',
    );
    const m = renderReply({ text: 't', blocks: [{ type: 'text', text: 'before\n```sh\nrm -rf *_tmp_*\n```\nafter' }] });
    expect(body(m)).toEqual([
      expect.objectContaining({ type: 'TextBlock', text: 'before' }),
      { type: 'RichTextBlock', inlines: [{ type: 'TextRun', text: 'rm -rf *_tmp_*', fontType: 'Monospace' }] },
      expect.objectContaining({ type: 'TextBlock', text: 'after' }),
    ]);
  });

  it('only our own mentions become mentions: typed <at> tags and odd links are defused', () => {
    const m = renderReply({
      text: 't',
      blocks: [{ type: 'text', text: 'hi <at>Eve</at> [x](javascript:alert(1)) [ok](https://example.com)' }],
    });
    expect(m.entities).toEqual([]);
    const text = (body(m)[0] as { text: string }).text;
    expect(text).not.toContain('<at>');
    expect(text).toContain('x (javascript:alert(1');
    expect(text).toContain('[ok](https://example.com)');
  });

  it('the same person mentioned twice is one entity', () => {
    const m = renderReply({
      text: 't',
      blocks: [
        { type: 'text', text: `${mention(bob)} and ${mention(bob)}` },
        { type: 'context', text: mention(bob) },
      ],
    });
    expect(m.entities).toHaveLength(1);
    expect(checkMessage(m)).toBeNull();
  });

  it('table cells are plain text: markdown in a resource name reads as written', () => {
    const m = renderReply({ text: 't', blocks: [{ type: 'table', columns: ['name'], rows: [['*prod* [x](y)']] }] });
    expect(json(body(m))).toContain('\\\\*prod\\\\* \\\\[x\\\\](y)');
  });

  it('wide tables become one line per row', () => {
    const columns = Array.from({ length: 12 }, (_, i) => `c${i}`);
    const m = renderReply({ text: 't', blocks: [{ type: 'table', columns, rows: [columns.map((c) => `${c}v`)] }] });
    expect(json(body(m))).not.toContain('"Table"');
    expect((body(m)[0] as { text: string }).text).toContain('**c0v** · c1: c1v');
  });

  it('duplicate form field names get distinct input ids that parse back to the field name', () => {
    const form = (title: string) => ({
      title,
      submitLabel: 'Go',
      fields: [{ name: 'reason', label: 'Reason', kind: 'text' as const, required: false }],
    });
    const m = renderReply({
      text: 't',
      blocks: [
        {
          type: 'actions',
          buttons: [
            { actionId: 'a', label: 'A', value: '1', form: form('A') },
            { actionId: 'b', label: 'B', value: '2', form: form('B') },
          ],
        },
      ],
    });
    expect(checkMessage(m)).toBeNull();
    const ids = walk(m.attachments[0]!.content)
      .elements.filter((e) => e.type === 'Input.Text')
      .map((e) => e.id);
    expect(ids).toEqual(['reason', 'reason~2']);
    expect(
      parseCardAction({ action: { type: 'Action.Execute', verb: 'b', data: { value: '2', 'reason~2': 'no' } } }),
    ).toEqual({
      actionId: 'b',
      value: '2',
      inputs: { reason: 'no' },
    });
  });

  it('field errors no form on the card shows are said plainly', () => {
    const m = renderReply({ text: 'bad', fieldErrors: { size: 'too big' }, blocks: [{ type: 'text', text: 'bad' }] });
    expect(body(m).at(-1)).toMatchObject({ type: 'TextBlock', color: 'Attention', text: '⚠ **size**: too big' });
  });
});

describe('parseCardAction', () => {
  it('reads our Action.Execute data with its inputs', () => {
    expect(
      parseCardAction({
        action: {
          type: 'Action.Execute',
          verb: 'change.reject',
          data: { value: 'CR-1', reason: 'freeze', empty: '  ' },
        },
        trigger: 'manual',
      }),
    ).toEqual({ actionId: 'change.reject', value: 'CR-1', inputs: { reason: 'freeze' } });
    // A form's submit names its stored card (`card`), read apart from the inputs; anything else there is refused.
    const submit = (card: unknown) =>
      parseCardAction({ action: { type: 'Action.Execute', verb: 'change.reject', data: { value: 'CR-1', card } } });
    expect(submit('101')).toEqual({ actionId: 'change.reject', value: 'CR-1', inputs: {}, cardMessageId: 101 });
    for (const bad of [101, '0', 'x1', '1'.repeat(16), '']) expect(submit(bad)).toBeNull();
    expect(
      parseCardAction({
        action: { type: 'Action.Execute', verb: SHOW_MORE_VERB, data: { value: 'v1.1.2.0123456789ab' } },
      }),
    ).toMatchObject({
      actionId: 'teams.more',
    });
  });

  it('returns null for anything that is not ours', () => {
    const ok = { type: 'Action.Execute', verb: 'x', data: { value: 'v' } };
    for (const bad of [
      null,
      'x',
      {},
      { action: { ...ok, type: 'Action.Submit' } },
      { action: { ...ok, verb: '' } },
      { action: { ...ok, verb: 'a b' } },
      { action: { ...ok, verb: 'v'.repeat(101) } },
      { action: { ...ok, data: {} } },
      { action: { ...ok, data: { value: 5 } } },
      { action: { ...ok, data: { value: 'v'.repeat(2001) } } },
      { action: { ...ok, data: { value: 'v', reason: 'r'.repeat(2001) } } },
      { action: { ...ok, data: { value: 'v', reason: { nested: true } } } },
      { action: { ...ok, data: { value: 'v', 'bad key!': 'x' } } },
      {
        action: {
          ...ok,
          data: { value: 'v', ...Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`f${i}`, 'x'])) },
        },
      },
    ]) {
      expect([bad, parseCardAction(bad)]).toEqual([bad, null]);
    }
  });
});

describe('typeahead search', () => {
  it('answers with at most 15 results in the search response shape', () => {
    const choices = Array.from({ length: 20 }, (_, i) => ({ label: `web-${i}`, value: `i-${i}` }));
    const r = searchResponse(choices);
    expect(r.status).toBe(200);
    expect(r.body.type).toBe('application/vnd.microsoft.search.searchResponse');
    expect(r.body.value.results).toHaveLength(15);
    expect(r.body.value.results[0]).toEqual({ title: 'web-0', value: 'i-0' });
    expect(searchResponse([]).body.value.results).toEqual([]);
  });

  it('parses a Teams application/search invoke value', () => {
    expect(
      parseSearchInvoke({ queryText: ' web ', dataset: 'resources?type=instance', queryOptions: { skip: 0, top: 15 } }),
    ).toEqual({ source: 'resources?type=instance', query: 'web' });
    expect(parseSearchInvoke({ dataset: 'resources' })).toEqual({ source: 'resources', query: '' });
    for (const bad of [
      null,
      {},
      { queryText: 'x' },
      { queryText: 'x', dataset: 'Bad Source!' },
      { queryText: 'x', dataset: 'r'.repeat(201) },
      { queryText: 'x'.repeat(201), dataset: 'resources' },
      { queryText: 5, dataset: 'resources' },
      { queryText: 'x', dataset: 'resources', queryOptions: { skip: -1 } },
    ]) {
      expect([bad, parseSearchInvoke(bad)]).toEqual([bad, null]);
    }
  });
});
