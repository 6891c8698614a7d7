/**
 * "Show more" for stored replies (src/surfaces/slack/show-more.ts): the button value, the
 * fingerprint that survives a jsonb round trip, and the parts of a long reply, followed button by
 * button until nothing is left: each part within Slack's limits, nothing shown twice, nothing lost.
 */
import { describe, expect, it } from '@jest/globals';
import type { Block, Reply } from '../../src/chat/reply.ts';
import type { SlackBlock } from '../../src/surfaces/slack/block-kit.ts';
import type { RenderedPart } from '../../src/surfaces/slack/render.ts';
import {
  encodeMore,
  parseMore,
  renderPart,
  replyFingerprint,
  SHOW_MORE_ACTION,
} from '../../src/surfaces/slack/show-more.ts';
import { checkBlocks } from '../fakes/slack-api.ts';

const moreButtons = (blocks: SlackBlock[]) =>
  blocks.flatMap((b) => (b.type === 'actions' ? b.elements.filter((e) => e.action_id === SHOW_MORE_ACTION) : []));

/** Renders every part, clicking each Show more as a user would (via the value on the button). */
const followAll = (reply: Reply): RenderedPart[] => {
  const parts = [renderPart(reply)];
  for (;;) {
    const [button, ...others] = moreButtons(parts.at(-1)!.blocks);
    expect(others).toHaveLength(0);
    if (!button) return parts;
    const ref = parseMore(button.value ?? '');
    expect(ref).toMatchObject({ messageId: Number(reply.messageId), fingerprint: replyFingerprint(reply) });
    expect(parts.length).toBeLessThan(50);
    parts.push(renderPart(reply, ref!.fromUnit));
  }
};

const texts = (parts: RenderedPart[]): string =>
  parts.flatMap((p) => p.blocks.map((b) => JSON.stringify(b))).join('\n');

const approveReject: Block = {
  type: 'actions',
  buttons: [
    { actionId: 'change.approve', label: 'Approve', value: 'CR-9', style: 'primary' },
    { actionId: 'change.reject', label: 'Reject', value: 'CR-9', style: 'danger' },
  ],
};

describe('Show more values', () => {
  it('round-trips a reference and refuses anything else', () => {
    const ref = { messageId: 123_456, fromUnit: 48, fingerprint: '0123456789ab' };
    expect(parseMore(encodeMore(ref))).toEqual(ref);
    for (const junk of [
      '',
      'v1.1.1',
      'v1.0.5.0123456789ab',
      'v1.1.0.0123456789ab',
      'v2.1.5.0123456789ab',
      'v1.1.5.0123456789AB',
      'v1.1.5.0123456789ab ',
      'v1.9999999999999999.5.0123456789ab',
      '{"tool":"x"}',
    ]) {
      expect([junk, parseMore(junk)]).toEqual([junk, null]);
    }
  });

  it('fingerprints the content as stored: jsonb key order and dropped undefined members do not matter', () => {
    const reply: Reply = {
      text: 'Hosts',
      blocks: [
        { type: 'table', columns: ['a'], rows: [['1']] },
        { type: 'context', text: 'c' },
      ],
      messageId: '5',
      ephemeral: true,
    };
    const stored = JSON.parse(
      '{"blocks":[{"rows":[["1"]],"type":"table","columns":["a"]},{"text":"c","type":"context"}],"text":"Hosts"}',
    ) as Reply;
    expect(replyFingerprint(stored)).toBe(replyFingerprint(reply));
    expect(replyFingerprint({ ...stored, text: 'Hosts!' })).not.toBe(replyFingerprint(reply));
  });
});

describe('parts of a long stored reply', () => {
  it('a 60-block reply: the first part ends with a Show more, the second has the other findings', () => {
    const reply: Reply = {
      text: '60 findings',
      messageId: '42',
      sandbox: true,
      blocks: Array.from({ length: 60 }, (_, i): Block => ({ type: 'text', text: `Finding ${i + 1}` })),
    };
    const parts = followAll(reply);
    expect(parts).toHaveLength(2);
    for (const p of parts) {
      expect(checkBlocks(p.blocks)).toBeNull();
      expect(JSON.stringify(p.blocks.at(-1))).toContain('sandbox');
    }
    const found = [...texts(parts).matchAll(/Finding (\d+)"/g)].map((m) => Number(m[1]));
    expect(found).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    expect(JSON.stringify(parts[0]!.blocks)).toMatch(/…and 1\d more items/);
    expect(parts[1]!.text).toBe('(continued) 60 findings');
  });

  it('a 200-row table: several Show mores, every row exactly once, Approve/Reject only in the first part', () => {
    const rows = Array.from({ length: 200 }, (_, i) => [
      `host-${i}`,
      `i-0${(0xabc000 + i).toString(16)}fedcba98`,
      'eu-west-1',
      'running',
      'platform-team',
      `owner-${i % 7}@example.com`,
    ]);
    const reply: Reply = {
      text: 'CR-9: stop 200 instances',
      messageId: '77',
      changeId: 'CR-9',
      blocks: [
        { type: 'header', text: 'CR-9' },
        { type: 'table', columns: ['name', 'id', 'region', 'state', 'team', 'owner'], rows },
        approveReject,
        { type: 'context', text: 'Expires in 24 h' },
      ],
    };
    const parts = followAll(reply);
    expect(parts.length).toBeGreaterThanOrEqual(3);
    for (const p of parts) expect(checkBlocks(p.blocks)).toBeNull();
    const hosts = [...texts(parts).matchAll(/\*host-(\d+)\*/g)].map((m) => Number(m[1]));
    expect(hosts).toEqual(rows.map((_, i) => i));
    expect(JSON.stringify(parts[0]!.blocks)).toContain('change.approve');
    for (const p of parts.slice(1)) expect(JSON.stringify(p.blocks)).not.toContain('change.approve');
    expect(JSON.stringify(parts.at(-1)!.blocks)).toContain('Expires in 24 h');
    expect(parts.reduce((n, p) => n + p.units, 0)).toBe(parts[0]!.totalUnits);
  });

  it('splits a section of long fields so that every part makes progress', () => {
    const fields = Array.from({ length: 30 }, (_, i) => ({ label: `tag-${i}`, value: `${i}:${'v'.repeat(1500)}` }));
    const parts = followAll({ text: 'tags', messageId: '8', blocks: [{ type: 'fields', fields }] });
    for (const p of parts) expect(checkBlocks(p.blocks)).toBeNull();
    const seen = [...texts(parts).matchAll(/\*tag-(\d+)\*/g)].map((m) => Number(m[1]));
    expect(seen).toEqual(fields.map((_, i) => i));
  });

  it('has nothing to show past the end, and no button on a reply that fits or is not stored', () => {
    const reply: Reply = {
      text: 't',
      messageId: '3',
      blocks: Array.from({ length: 70 }, (): Block => ({ type: 'text', text: 'x' })),
    };
    expect(renderPart(reply, 70).units).toBe(0);
    expect(renderPart(reply, 69).units).toBe(1);
    expect(moreButtons(renderPart({ ...reply, blocks: reply.blocks.slice(0, 10) }).blocks)).toHaveLength(0);
    const { messageId: _, ...unstored } = reply;
    expect(moreButtons(renderPart(unstored).blocks)).toHaveLength(0);
  });
});
