/**
 * Neutral Reply → Block Kit. Every output respects Slack's limits (see block-kit.ts): a reply too
 * big for one message is cut at a block boundary and ends with "…and N more" plus, when the engine
 * says how to continue, a "Show more" button that runs that command.
 */
import { ActionIds } from '../../chat/interaction.ts';
import { plainText, type Block, type Button, type Reply } from '../../chat/reply.ts';
import { uniqueActionIds } from './action-ids.ts';
import { blockTextLength, SLACK_LIMITS as L, type SlackBlock, type SlackButton } from './block-kit.ts';
import { escapeMrkdwn, splitMrkdwn, toMrkdwn, toPlain, truncate, truncateMrkdwn, visibleLength } from './mrkdwn.ts';
import { renderTable } from './table-text.ts';

export interface RenderOptions {
  /** Command the "Show more" button runs (`command.run` value) when the reply had to be cut. */
  moreActionValue?: string;
}

export interface SlackMessage {
  /** Notification and accessibility fallback; always set. */
  text: string;
  blocks: SlackBlock[];
}

export const SANDBOX_NOTE = 'sandbox: answers come from the local cloud emulator';

type Noun = 'character' | 'row' | 'field' | 'button' | 'item';
type Omission = { noun: Noun; count: number };

/** One Slack block and what the reader loses if it is left out. */
interface Unit {
  block: SlackBlock;
  /** Index of the neutral block it came from. */
  source: number;
  omits: Omission;
  /** What dropping every unit of its source means to a reader, when not the sum of `omits`. */
  whole?: Omission;
  /** Approve/Reject must survive any cut: a change card without its buttons is useless. */
  pinned?: boolean;
  /** Text sections may be shortened to use the last of the budget. */
  shrinkable?: boolean;
}

const PINNED_ACTION_BLOCKS = 2;
/** Room kept for the "…and N more" line (it is built after the cut, so sized by its longest form). */
const NOTICE_RESERVE = 160;
/** Shrinking a section below this is not worth a block. */
const MIN_SHRINK = 200;

const chunk = <T>(items: T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

const section = (text: string): SlackBlock => ({ type: 'section', text: { type: 'mrkdwn', text } });
const context = (text: string): SlackBlock => ({ type: 'context', elements: [{ type: 'mrkdwn', text }] });

const button = (b: Button): SlackButton | null => {
  // A value is an opaque argument (a change id, a command): cutting it would change what the
  // click does, so an oversize one drops the button instead.
  if (b.value.length > L.buttonValue) return null;
  return {
    type: 'button',
    text: { type: 'plain_text', text: truncate(toPlain(b.label) || b.actionId, L.buttonText), emoji: true },
    action_id: b.actionId,
    ...(b.value.length > 0 ? { value: b.value } : {}),
    ...(b.style ? { style: b.style } : {}),
  };
};

type Draft = Omit<Unit, 'source'>;

const unitsOf = (b: Block): Draft[] => {
  switch (b.type) {
    case 'header': {
      const text = truncate(toPlain(b.text), L.headerText);
      return text ? [{ block: { type: 'header', text: { type: 'plain_text', text, emoji: true } }, omits: { noun: 'item', count: 1 } }] : [];
    }
    case 'text':
      return splitMrkdwn(toMrkdwn(b.text), L.sectionText).map((t) => ({
        block: section(t),
        omits: { noun: 'character', count: visibleLength(t) },
        // A whole paragraph left out reads as "1 more item", not as its character count.
        whole: { noun: 'item', count: 1 },
        shrinkable: true,
      }));
    case 'fields': {
      const texts = b.fields
        .map((f) => {
          const label = toPlain(f.label);
          const value = toMrkdwn(f.value.trim());
          return truncateMrkdwn(label ? `*${escapeMrkdwn(label)}*\n${value}` : value, L.fieldText);
        })
        .filter((t) => t.trim().length > 0);
      return chunk(texts, L.fieldsPerSection).map((group) => ({
        block: { type: 'section', fields: group.map((text) => ({ type: 'mrkdwn' as const, text })) },
        omits: { noun: 'field', count: group.length },
      }));
    }
    case 'table':
      return renderTable(b.columns, b.rows, L.sectionText).map((c) => ({
        block: section(c.text),
        omits: c.rows > 0 ? { noun: 'row', count: c.rows } : { noun: 'item', count: 1 },
      }));
    case 'actions': {
      const buttons = b.buttons.map(button).filter((x): x is SlackButton => x !== null);
      return chunk(buttons, L.elementsPerActions).map((elements) => ({
        block: { type: 'actions', elements },
        omits: { noun: 'button', count: elements.length },
        pinned: true,
      }));
    }
    case 'context': {
      const text = truncateMrkdwn(toMrkdwn(b.text.trim()), L.sectionText);
      return text ? [{ block: context(text), omits: { noun: 'item', count: 1 } }] : [];
    }
  }
};

const noticeText = (omitted: Map<Noun, number>): string => {
  const parts = [...omitted]
    .filter(([, n]) => n > 0)
    .map(([noun, n]) => `${n.toLocaleString('en-US')} more ${noun}${n === 1 ? '' : 's'}`);
  return `…and ${parts.length > 0 ? parts.join(', ') : 'more'}`;
};

/** What the reader misses, in their terms: rows, fields, buttons, whole items, or characters of a cut text. */
const omissions = (units: Unit[], kept: Set<Unit>, cutChars: number): Map<Noun, number> => {
  const omitted = new Map<Noun, number>();
  const add = (o: Omission): void => void omitted.set(o.noun, (omitted.get(o.noun) ?? 0) + o.count);
  if (cutChars > 0) add({ noun: 'character', count: cutChars });
  const keptSources = new Set([...kept].map((u) => u.source));
  const counted = new Set<number>();
  for (const u of units) {
    if (kept.has(u)) continue;
    if (!u.whole || keptSources.has(u.source)) add(u.omits);
    else if (!counted.has(u.source)) {
      counted.add(u.source);
      add(u.whole);
    }
  }
  return omitted;
};

/** Keeps pinned units and the longest prefix of the others that fits in the limits. */
const fit = (units: Unit[], maxBlocks: number, maxText: number) => {
  let blocks = 0;
  let text = 0;
  const kept = new Set<Unit>();
  const take = (u: Unit, size: number): void => {
    kept.add(u);
    blocks += 1;
    text += size;
  };
  let pinnedBlocks = 0;
  for (const u of units) {
    if (!u.pinned || pinnedBlocks >= PINNED_ACTION_BLOCKS) continue;
    pinnedBlocks += 1;
    take(u, blockTextLength(u.block));
  }
  let cutAt = -1;
  let cutChars = 0;
  const shrunk = new Map<Unit, SlackBlock>();
  units.forEach((u, i) => {
    if (kept.has(u) || cutAt >= 0) return;
    const size = blockTextLength(u.block);
    if (blocks + 1 <= maxBlocks && text + size <= maxText) return take(u, size);
    cutAt = i;
    if (u.shrinkable && u.block.type === 'section' && 'text' in u.block && blocks + 1 <= maxBlocks && maxText - text >= MIN_SHRINK) {
      const short = truncateMrkdwn(u.block.text.text, maxText - text);
      shrunk.set(u, section(short));
      take(u, short.length);
      cutChars = Math.max(0, visibleLength(u.block.text.text) - visibleLength(short) + 1);
      cutAt = i + 1;
    }
  });
  return { kept, shrunk, cutAt, omitted: omissions(units, kept, cutChars) };
};

const total = (bs: SlackBlock[]): number => bs.reduce((n, b) => n + blockTextLength(b), 0);

/** Renders a neutral Reply as a Slack message that chat.postMessage / chat.update will accept. */
export const renderBlockKit = (reply: Reply, opts: RenderOptions = {}): SlackMessage => {
  const source: Block[] = reply.blocks.length > 0 ? reply.blocks : [{ type: 'text', text: reply.text }];
  const units: Unit[] = source.flatMap((b, i) => unitsOf(b).map((u) => ({ ...u, source: i })));
  const tail = reply.sandbox ? [context(SANDBOX_NOTE)] : [];
  const more = opts.moreActionValue;
  const showMore = more !== undefined && more.length > 0 && more.length <= L.buttonValue;

  let out: SlackBlock[];
  if (units.length + tail.length <= L.blocksPerMessage && total(units.map((u) => u.block)) + total(tail) <= L.messageTextBudget) {
    out = [...units.map((u) => u.block), ...tail];
  } else {
    const noticeBlocks = showMore ? 2 : 1;
    const { kept, shrunk, cutAt, omitted } = fit(
      units,
      L.blocksPerMessage - tail.length - noticeBlocks,
      L.messageTextBudget - total(tail) - NOTICE_RESERVE,
    );
    const notice: SlackBlock[] = [context(noticeText(omitted))];
    if (showMore) {
      notice.push({
        type: 'actions',
        elements: [{ type: 'button', text: { type: 'plain_text', text: 'Show more', emoji: true }, action_id: ActionIds.command, value: more }],
      });
    }
    out = [];
    units.forEach((u, i) => {
      if (i === cutAt) out.push(...notice);
      if (kept.has(u)) out.push(shrunk.get(u) ?? u.block);
    });
    if (cutAt < 0 || cutAt >= units.length) out.push(...notice);
    out.push(...tail);
  }

  const ids = uniqueActionIds();
  for (const b of out) if (b.type === 'actions') for (const e of b.elements) e.action_id = ids(e.action_id);

  const fallback = truncate(
    escapeMrkdwn(reply.text.trim() || plainText(reply.blocks).trim() || 'New message from DevOps Agent'),
    L.fallbackText,
  );
  // An empty blocks array is not a message Slack renders; say at least what the notification says.
  return { text: fallback, blocks: out.length > 0 ? out : [section(truncate(fallback, L.sectionText))] };
};
