/**
 * Neutral Reply → Block Kit. Every output respects Slack's limits (see block-kit.ts). A reply is a
 * list of units (one Slack block each); a reply too big for one message is cut at a unit boundary,
 * ends with "…and N more", and says where it stopped (`nextUnit`) so the caller can offer the rest
 * (`moreButton`) and later render it with `fromUnit`. Approve/Reject stay in the first part only.
 */
import { mentionsAsText } from '../../chat/mention.ts';
import { chartText, plainText, type Block, type Button, type ChartBlock, type Reply } from '../../chat/reply.ts';
import { uniqueActionIds } from './action-ids.ts';
import { blockTextLength, SLACK_LIMITS as L, type SlackBlock, type SlackButton } from './block-kit.ts';
import { escapeMrkdwn, splitMrkdwn, toMrkdwn, toPlain, truncate, truncateMrkdwn, visibleLength } from './mrkdwn.ts';
import { chartTable, nativeChart, nativeTable } from './native.ts';
import { renderTable } from './table-text.ts';

export interface RenderOptions {
  /** First unit to show: 0 (default) for a reply, a previous part's `nextUnit` for its continuation. */
  fromUnit?: number;
  /**
   * The "Show more" button of a cut part, given where the next part starts. Without it the last
   * text section is shortened to fill the message instead (nothing else can show the rest).
   */
  moreButton?: (nextUnit: number) => SlackButton | null;
}

export interface SlackMessage {
  /** Notification and accessibility fallback; always set. */
  text: string;
  blocks: SlackBlock[];
  /**
   * Set when `blocks` holds a native `table` or `data_visualization` block: the same part with
   * those drawn as text instead (same units, so Show more continues the same way). What to send
   * when Slack refuses the native blocks (`invalid_blocks`), before giving up on blocks at all.
   */
  fallbackBlocks?: SlackBlock[];
}

export interface RenderedPart extends SlackMessage {
  /** Set when the part was cut: the unit the next part starts with. */
  nextUnit?: number;
  /** Units of the reply shown in this part; 0 when `fromUnit` leaves nothing to show. */
  units: number;
  /** Units of the whole reply: the parts of a reply show each of them exactly once. */
  totalUnits: number;
}

export const SANDBOX_NOTE = 'sandbox: answers come from the local cloud emulator';

type Noun = 'character' | 'row' | 'field' | 'button' | 'item';
type Omission = { noun: Noun; count: number };

/** One Slack block and what the reader loses if it is left out. */
interface Unit {
  block: SlackBlock;
  /** Position in the reply's unit list: what `fromUnit` / `nextUnit` count. */
  index: number;
  /** Index of the neutral block it came from. */
  source: number;
  omits: Omission;
  /** What dropping every unit of its source means to a reader, when not the sum of `omits`. */
  whole?: Omission;
  /** Approve/Reject must survive any cut of the first part: a change card without its buttons is useless. */
  pinned?: boolean;
  /** Text sections may be shortened to use the last of the budget. */
  shrinkable?: boolean;
  /**
   * For a native table or chart block: what stands in for it when Slack refuses native blocks
   * (null: nothing, the text beside a chart already holds its numbers).
   */
  plain?: SlackBlock | null;
}

/** What a unit costs of the message budget: the larger of its native and its text form. */
const unitSize = (u: Pick<Unit, 'block' | 'plain'>): number =>
  Math.max(blockTextLength(u.block), u.plain ? blockTextLength(u.plain) : 0);

/** Native blocks still allowed in this reply (Slack: one table, two charts a message; counted per reply). */
interface NativeBudget {
  tables: number;
  charts: number;
}

const PINNED_ACTION_BLOCKS = 2;
/** Room kept for the "…and N more" line (it is built after the cut, so sized by its longest form). */
const NOTICE_RESERVE = 160;
/** Shrinking a section below this is not worth a block. */
const MIN_SHRINK = 200;

/**
 * Groups of at most `size` items whose texts total at most `chars`: no unit is then larger than a
 * section (3,000), so any unit fits in an otherwise empty part and every "Show more" makes progress.
 */
const chunk = (items: string[], size: number, chars = Infinity): string[][] => {
  const groups: string[][] = [];
  let current: string[] = [];
  let length = 0;
  for (const item of items) {
    if (current.length > 0 && (current.length >= size || length + item.length > chars)) {
      groups.push(current);
      current = [];
      length = 0;
    }
    current.push(item);
    length += item.length;
  }
  if (current.length > 0) groups.push(current);
  return groups;
};

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

type Draft = Omit<Unit, 'source' | 'index'>;

/** A table as text sections (table-text.ts), one unit each. */
const textTableUnits = (columns: string[], rows: string[][]): Draft[] =>
  renderTable(columns, rows, L.sectionText).map((c) => ({
    block: section(c.text),
    omits: c.rows > 0 ? { noun: 'row', count: c.rows } : { noun: 'item', count: 1 },
  }));

/** The text form of a native table in one section: its first chunk, and how many rows it leaves out. */
const tableAsOneSection = (columns: string[], rows: string[][]): SlackBlock => {
  const chunks = renderTable(columns, rows, L.sectionText - 60);
  const rest = chunks.slice(1).reduce((n, c) => n + c.rows, 0);
  const first = chunks[0]?.text ?? '_No rows._';
  return section(rest > 0 ? `${first}\n_…and ${rest.toLocaleString('en-US')} more rows_` : first);
};

/** Slack's table block when it can hold the table and the reply has none yet; text sections otherwise. */
const tableUnits = (columns: string[], rows: string[][], budget: NativeBudget): Draft[] => {
  const native = budget.tables > 0 ? nativeTable(columns, rows) : null;
  if (!native) return textTableUnits(columns, rows);
  budget.tables -= 1;
  return [{ block: native, plain: tableAsOneSection(columns, rows), omits: { noun: 'row', count: rows.length } }];
};

/**
 * A chart: Slack's data_visualization block with its numbers as text beside it (notifications,
 * screen readers, older clients), or, past the block's limits or the two a message holds, a
 * table of its numbers under its title.
 */
const chartUnits = (c: ChartBlock, budget: NativeBudget): Draft[] => {
  const numbers = truncateMrkdwn(escapeMrkdwn(mentionsAsText(chartText(c))), L.sectionText);
  const native = budget.charts > 0 ? nativeChart(c) : null;
  if (native) {
    budget.charts -= 1;
    const whole: Omission = { noun: 'item', count: 1 };
    return [
      { block: native, plain: null, omits: whole, whole },
      { block: context(numbers), omits: whole, whole },
    ];
  }
  const t = chartTable(c);
  const unit = c.unit ? ` (${escapeMrkdwn(toPlain(c.unit))})` : '';
  return [
    {
      block: section(truncate(`*${escapeMrkdwn(toPlain(c.title))}*${unit}`, L.sectionText)),
      omits: { noun: 'item', count: 1 },
    },
    ...tableUnits(t.columns, t.rows, budget),
  ];
};

const unitsOf = (b: Block, budget: NativeBudget): Draft[] => {
  switch (b.type) {
    case 'header': {
      const text = truncate(toPlain(b.text), L.headerText);
      return text
        ? [
            {
              block: { type: 'header', text: { type: 'plain_text', text, emoji: true } },
              omits: { noun: 'item', count: 1 },
            },
          ]
        : [];
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
      return chunk(texts, L.fieldsPerSection, L.sectionText).map((group) => ({
        block: { type: 'section', fields: group.map((text) => ({ type: 'mrkdwn' as const, text })) },
        omits: { noun: 'field', count: group.length },
      }));
    }
    case 'table':
      return tableUnits(b.columns, b.rows, budget);
    case 'actions': {
      const buttons = b.buttons.map(button).filter((x): x is SlackButton => x !== null);
      const groups: SlackButton[][] = [];
      for (let i = 0; i < buttons.length; i += L.elementsPerActions)
        groups.push(buttons.slice(i, i + L.elementsPerActions));
      return groups.map((elements) => ({
        block: { type: 'actions', elements },
        omits: { noun: 'button', count: elements.length },
        pinned: true,
      }));
    }
    case 'context': {
      const text = truncateMrkdwn(toMrkdwn(b.text.trim()), L.sectionText);
      return text ? [{ block: context(text), omits: { noun: 'item', count: 1 } }] : [];
    }
    case 'chart':
      return chartUnits(b, budget);
  }
};

/** Every unit of a reply, in order; only the first two actions blocks stay pinned. */
const replyUnits = (reply: Reply): Unit[] => {
  const source: Block[] = reply.blocks.length > 0 ? reply.blocks : [{ type: 'text', text: reply.text }];
  let pinned = 0;
  const budget: NativeBudget = { tables: L.tablesPerMessage, charts: L.chartsPerMessage };
  return source
    .flatMap((b, i) => unitsOf(b, budget).map((u) => ({ ...u, source: i })))
    .map((u, index) => {
      const keep = u.pinned === true && pinned < PINNED_ACTION_BLOCKS;
      if (keep) pinned += 1;
      return { ...u, index, pinned: keep };
    });
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
const fit = (units: Unit[], maxBlocks: number, maxText: number, shrink: boolean) => {
  let blocks = 0;
  let text = 0;
  const kept = new Set<Unit>();
  const take = (u: Unit, size: number): void => {
    kept.add(u);
    blocks += 1;
    text += size;
  };
  for (const u of units) if (u.pinned) take(u, unitSize(u));
  let cutAt = -1;
  let cutChars = 0;
  const shrunk = new Map<Unit, SlackBlock>();
  units.forEach((u, i) => {
    if (kept.has(u) || cutAt >= 0) return;
    const size = unitSize(u);
    if (blocks + 1 <= maxBlocks && text + size <= maxText) return take(u, size);
    cutAt = i;
    if (
      shrink &&
      u.shrinkable &&
      u.block.type === 'section' &&
      'text' in u.block &&
      blocks + 1 <= maxBlocks &&
      maxText - text >= MIN_SHRINK
    ) {
      const short = truncateMrkdwn(u.block.text.text, maxText - text);
      shrunk.set(u, section(short));
      take(u, short.length);
      cutChars = Math.max(0, visibleLength(u.block.text.text) - visibleLength(short) + 1);
      cutAt = i + 1;
    }
  });
  // The next part starts with the unit that did not fit (or was shown shortened).
  const next = shrunk.size > 0 ? [...shrunk.keys()][0] : cutAt >= 0 ? units[cutAt] : undefined;
  return { kept, shrunk, cutAt, nextUnit: next?.index, omitted: omissions(units, kept, cutChars) };
};

const total = (bs: SlackBlock[]): number => bs.reduce((n, b) => n + blockTextLength(b), 0);
const unitsTotal = (us: Unit[]): number => us.reduce((n, u) => n + unitSize(u), 0);

/** Renders (part of) a neutral Reply as a Slack message that chat.postMessage / chat.update will accept. */
export const renderBlockKit = (reply: Reply, opts: RenderOptions = {}): RenderedPart => {
  const from = Math.max(0, Math.floor(opts.fromUnit ?? 0));
  const first = from === 0;
  // A continuation starts at `from` and leaves out the pinned buttons the first part already showed.
  const all = replyUnits(reply);
  const units = all
    .filter((u) => u.index >= from && (first || !u.pinned))
    .map((u) => (first ? u : { ...u, pinned: false }));
  const tail = reply.sandbox ? [context(SANDBOX_NOTE)] : [];

  let out: SlackBlock[];
  let nextUnit: number | undefined;
  let shown = units.length;
  if (units.length + tail.length <= L.blocksPerMessage && unitsTotal(units) + total(tail) <= L.messageTextBudget) {
    out = [...units.map((u) => u.block), ...tail];
  } else {
    const more = opts.moreButton;
    const cut = fit(
      units,
      L.blocksPerMessage - tail.length - (more ? 2 : 1),
      L.messageTextBudget - total(tail) - NOTICE_RESERVE - (more ? L.buttonText : 0),
      !more,
    );
    nextUnit = cut.nextUnit;
    shown = cut.kept.size;
    const button = more && nextUnit !== undefined ? more(nextUnit) : null;
    const notice: SlackBlock[] = [
      context(noticeText(cut.omitted)),
      ...(button ? [{ type: 'actions' as const, elements: [button] }] : []),
    ];
    out = [];
    units.forEach((u, i) => {
      if (i === cut.cutAt) out.push(...notice);
      if (cut.kept.has(u)) out.push(cut.shrunk.get(u) ?? u.block);
    });
    if (cut.cutAt < 0 || cut.cutAt >= units.length) out.push(...notice);
    out.push(...tail);
  }

  const ids = uniqueActionIds();
  for (const b of out) if (b.type === 'actions') for (const e of b.elements) e.action_id = ids(e.action_id);

  const summary = escapeMrkdwn(
    mentionsAsText(reply.text).trim() || plainText(reply.blocks).trim() || 'New message from DevOps Agent',
  );
  const fallback = truncate(first ? summary : `(continued) ${summary}`, L.fallbackText);
  // The same part without native blocks, for a Slack that refuses them.
  const plainOf = new Map(all.filter((u) => u.plain !== undefined).map((u) => [u.block, u.plain ?? null]));
  const fallbackBlocks = out.some((b) => plainOf.has(b))
    ? out.flatMap((b) => (plainOf.has(b) ? (plainOf.get(b) ? [plainOf.get(b)!] : []) : [b]))
    : undefined;
  // An empty blocks array is not a message Slack renders; say at least what the notification says.
  return {
    text: fallback,
    blocks: out.length > 0 ? out : [section(truncate(fallback, L.sectionText))],
    ...(fallbackBlocks ? { fallbackBlocks } : {}),
    units: shown,
    totalUnits: all.length,
    ...(nextUnit !== undefined ? { nextUnit } : {}),
  };
};
