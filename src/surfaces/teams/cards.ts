/**
 * The neutral `Reply` as a Teams message: one Adaptive Card (schema 1.5, what Teams renders on
 * desktop, web and mobile) plus the plain text for notifications, and the mention entities Teams
 * needs for each `<at>` in the card. Buttons are Universal Actions (`Action.Execute`, verb = the
 * engine's action id, `data.value` = the button's value); a click arrives as an
 * `adaptiveCard/action` invoke whose data `parseCardAction` reads.
 *
 * Blocks → card elements:
 * - header → a large, bolder TextBlock (plain text);
 * - text → TextBlocks in the markdown subset Teams draws (bold, italic, lists, links), code fences
 *   → monospace RichTextBlocks (shown exactly as written);
 * - fields → FactSet; table → the `Table` element (text lines when it has too many columns to read);
 * - actions → ActionSets; a button with a form → `Action.ShowCard` holding the form's inputs and an
 *   `Action.Execute` submit (Reject asks for a reason that way); with `Reply.fieldErrors` the form
 *   is shown open on the card with each message under its field;
 * - context → small subtle TextBlock; chart → Teams' chart elements (`Chart.VerticalBar`,
 *   `Chart.VerticalBar.Grouped`, `Chart.Line`, `Chart.Pie`) with the numbers as text beside it.
 *
 * Size: a reply is a list of units (a few card elements each). When the whole activity would pass
 * `TEAMS_LIMITS.messageBytes`, the card keeps what fits, says "…and N more" and, for a stored reply,
 * ends with a "Show more" button (verb `teams.more`) whose value names the stored message, the unit
 * the next part starts with and a fingerprint of the content (more.ts answers the click).
 * Approve/Reject stay in the first part whatever is cut.
 */
import { z } from 'zod';
import { encodeMore, replyFingerprint } from '../../chat/more-ref.ts';
import { mentionsAsText, splitMentions, type Mention } from '../../chat/mention.ts';
import {
  chartText,
  plainText,
  type Block,
  type Button,
  type ChartBlock,
  type Form,
  type FormField,
  type Reply,
} from '../../chat/reply.ts';

export const ADAPTIVE_CARD = 'application/vnd.microsoft.card.adaptive';
/** Table, chart elements and `Action.Execute` need 1.4–1.5; 1.5 is what Teams supports today. */
export const CARD_VERSION = '1.5';
export const CARD_SCHEMA = 'http://adaptivecards.io/schemas/adaptive-card.json';

export interface AdaptiveCardAttachment {
  contentType: typeof ADAPTIVE_CARD;
  content: Record<string, unknown>;
}

/** A Teams mention entity: `text` is the `<at>…</at>` string as it appears in the card or message. */
export interface TeamsMentionEntity {
  type: 'mention';
  text: string;
  mentioned: { id: string; name: string };
}

export interface TeamsMessage {
  /** Plain text: the notification and the fallback of clients that cannot draw the card. */
  text: string;
  attachments: AdaptiveCardAttachment[];
  entities: TeamsMentionEntity[];
}

export interface RenderOptions {
  /** Stored id of the reply (`Reply.messageId` when not given), for a "Show more" that loads the rest. */
  messageId?: string;
  /** First unit to show: 0 (default) for a reply, a previous part's `nextUnit` for its continuation. */
  fromUnit?: number;
  /**
   * What was typed into the form being answered (field name → value): with `Reply.fieldErrors`
   * the reopened form keeps it, so nobody types a reason twice.
   */
  values?: Record<string, string>;
}

/**
 * Teams' limits as we apply them. Teams documents the bot message limit as the whole activity
 * encoded as UTF-16 (currently 100 KB with 80 KB recommended; earlier pages say 40 KB) and other
 * Microsoft posting paths stop at about 28 KB: we keep every activity under 28,000 bytes of UTF-8
 * JSON, with room for what the transport adds around our part (ids, conversation, from, channelData).
 */
export const TEAMS_LIMITS = {
  messageBytes: 28_000,
  envelopeBytes: 3_000,
  /** Characters of text per TextBlock: the granularity of a cut. */
  textChunk: 2_000,
  factsPerSet: 12,
  factValue: 1_000,
  rowsPerTable: 20,
  tableBytes: 12_000,
  /** A chart's data beyond this is shown as its numbers only. */
  chartBytes: 10_000,
  /** Wider tables read better as one line per row than as squeezed columns. */
  tableColumns: 10,
  cellText: 300,
  actionsPerSet: 6,
  headerText: 200,
  buttonTitle: 75,
  fallbackText: 1_000,
  inputText: 2_000,
} as const;

/** The budget of what `renderReply` returns, measured as `messageBytes` does. */
export const MESSAGE_BUDGET = TEAMS_LIMITS.messageBytes - TEAMS_LIMITS.envelopeBytes;

export const SANDBOX_NOTE = 'sandbox: answers come from the local cloud emulator';

/** Size of a message as Teams receives it: its JSON in UTF-8 bytes. */
export const messageBytes = (m: unknown): number => Buffer.byteLength(JSON.stringify(m), 'utf8');

type El = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------
// Show more: the button value (more.ts reads it back)

/** Verb of the "Show more" button: Teams' own, the engine never sees these clicks. */
export const SHOW_MORE_VERB = 'teams.more';

export { encodeMore, parseMore, replyFingerprint, type MoreRef } from '../../chat/more-ref.ts';

// ---------------------------------------------------------------------------------------------
// Text

/** Cuts to at most `max` characters at a space when one is near, ending with `…` when anything was dropped. */
export const truncate = (s: string, max: number): string => {
  if (s.length <= max) return s;
  const at = s.lastIndexOf(' ', max - 1);
  let cut = at >= Math.floor(max * 0.6) ? at : max - 1;
  const code = s.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
  return `${s.slice(0, cut).trimEnd()}…`;
};

/** Light markdown → plain text (headers, button titles, labels). */
export const toPlain = (text: string): string =>
  text
    .replace(/```/g, '')
    .replace(/\*\*([^*]+)\*\*/g, '$1')
    .replace(/\*([^*\s][^*]*)\*/g, '$1')
    .replace(/`([^`]+)`/g, '$1')
    .replace(/\s+/g, ' ')
    .trim();

/**
 * Plain text inside a markdown TextBlock: the characters that would start emphasis, a link or a
 * list are backslash-escaped (CommonMark), so a resource named `*prod*` reads as written.
 */
export const escapeMarkdown = (s: string): string =>
  s
    .replace(/[\\`*[\]~]/g, '\\$&')
    .replace(/(^|[^\p{L}\p{N}])_|_(?=[^\p{L}\p{N}]|$)/gu, (m) => m.replace('_', '\\_'))
    .replace(/^(\s*)([-+#>]|\d+[.)])(?=\s|$)/gm, '$1\\$2');

/** Mentions render through this: a Teams mention's `<at>` text, or undefined for `@Name`. */
type MentionSink = (m: Mention) => string | undefined;

/** Private-use characters used as placeholders while converting; dropped from input first. */
const PH = /[\uE000-\uE003]/g;
const LIST_LINE = /^ {0,3}(?:[-+*]|\d{1,9}[.)])[ \t]/;

/**
 * Our light markdown (*bold*, `code`, and the common Markdown a model writes) → the subset Teams
 * draws in a TextBlock: `**bold**`, `_italic_`, lists, web links. Each line stays a line (Teams
 * joins single newlines outside lists), indentation is kept with no-break spaces, strike-through
 * and headings become plain/bold, and anything that looks like a Teams `<at>` tag is defused so
 * only our own mentions (`sink`) are mentions.
 */
export const toTeamsMarkdown = (text: string, sink: MentionSink = () => undefined): string => {
  const saved: string[] = [];
  const hold = (s: string): string => `\uE000${saved.push(s) - 1}\uE001`;
  let s = text.replace(PH, '').replace(/\r\n?/g, '\n');
  s = s.replace(/<(\/?)(at)(?=[\s>/])/gi, '‹$1$2');
  s = splitMentions(s)
    .map((p) => (typeof p === 'string' ? p : hold(sink(p) ?? `@${p.displayName}`)))
    .join('');
  s = s.replace(/`[^`\n]+`/g, (code) => hold(code));
  s = s
    .replace(/^#{1,6}[ \t]+(.+?)[ \t]*#*$/gm, '\uE002$1\uE002')
    .replace(/\*\*(?=\S)([^*\n]*?\S)\*\*/g, '\uE002$1\uE002')
    .replace(/__(?=\S)([^_\n]*?\S)__/g, '\uE002$1\uE002')
    .replace(/(?<![\w*\\])\*(?=[^\s*])([^*\n]*?[^\s*\\])\*(?![\w*])/g, '\uE002$1\uE002')
    .replace(/(?<!~)~~?(?=[^\s~])([^~\n]*?[^\s~])~~?(?!~)/g, '$1')
    // Only web and mail links stay links; anything else is shown as text.
    .replace(/\[([^\]\n]+)\]\((?!https?:\/\/|mailto:)([^)\n]*)\)/g, '$1 ($2)')
    .replace(/\uE002/g, '**');
  const lines = s
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l.trim().length > 0)
    .map((l) => {
      if (LIST_LINE.test(l)) return l;
      const indent = /^[ \t]*/.exec(l)![0];
      return '\u00a0'.repeat(indent.replace(/\t/g, '    ').length) + l.slice(indent.length);
    });
  let out = '';
  lines.forEach((l, i) => {
    if (i > 0) out += LIST_LINE.test(l) && LIST_LINE.test(lines[i - 1]!) ? '\n' : '\n\n';
    out += l;
  });
  return out.replace(/\uE000(\d+)\uE001/g, (_m, i: string) => saved[Number(i)] ?? '');
};

/** Text split into prose and fenced code, in order; an unclosed fence runs to the end. */
const segments = (text: string): Array<{ code: boolean; text: string }> => {
  const out: Array<{ code: boolean; text: string }> = [];
  let code = false;
  let lines: string[] = [];
  const flush = (): void => {
    const t = lines.join('\n');
    if (t.trim().length > 0) out.push({ code, text: code ? t.replace(/^\n+|\n+$/g, '') : t });
    lines = [];
  };
  for (const line of text.replace(/\r\n?/g, '\n').split('\n')) {
    if (!code) {
      const open = /^\s*```(.*)$/.exec(line);
      if (!open) {
        lines.push(line);
        continue;
      }
      flush();
      const rest = open[1]!;
      const oneLine = /^(.*?)```\s*$/.exec(rest);
      if (oneLine) {
        if (oneLine[1]!.trim().length > 0) out.push({ code: true, text: oneLine[1]! });
        continue;
      }
      code = true;
      // A language tag is dropped; anything else after the fence is code.
      if (!/^[\w+#.-]*$/.test(rest.trim())) lines.push(rest);
    } else {
      const close = /^(.*?)```\s*$/.exec(line);
      if (!close) {
        lines.push(line);
        continue;
      }
      if (close[1]!.trim().length > 0) lines.push(close[1]!);
      flush();
      code = false;
    }
  }
  flush();
  return out;
};

/** Splits text into pieces of at most `max` characters at line breaks, or at spaces inside a long line. */
const pieces = (text: string, max: number): string[] => {
  const out: string[] = [];
  let current = '';
  const push = (line: string): void => {
    if (current.length > 0 && current.length + 1 + line.length > max) {
      out.push(current);
      current = '';
    }
    current = current.length > 0 ? `${current}\n${line}` : line;
  };
  for (const line of text.split('\n')) {
    let rest = line;
    while (rest.length > max) {
      const space = rest.lastIndexOf(' ', max);
      let at = space > max / 2 ? space : max;
      const code = rest.charCodeAt(at - 1);
      if (code >= 0xd800 && code <= 0xdbff) at -= 1;
      push(rest.slice(0, at));
      rest = rest.slice(at).replace(/^ /, '');
    }
    push(rest);
  }
  if (current.trim().length > 0) out.push(current);
  return out.filter((p) => p.trim().length > 0);
};

/** Characters a reader sees of a text (what "…and N more characters" counts). */
const visible = (text: string): number => mentionsAsText(text).replace(/\s+/g, ' ').trim().length;

// ---------------------------------------------------------------------------------------------
// Units

type Noun = 'character' | 'row' | 'field' | 'button' | 'item';
type Omission = { noun: Noun; count: number };

/** A few card elements and what the reader loses if they are left out. */
interface Unit {
  elements: El[];
  entities: TeamsMentionEntity[];
  /** Position in the reply's unit list: what `fromUnit` / `nextUnit` count. */
  index: number;
  /** Index of the neutral block it came from. */
  source: number;
  omits: Omission;
  /** What dropping every unit of its source means to a reader, when not the sum of `omits`. */
  whole?: Omission;
  /** Approve/Reject must survive any cut of the first part: a change card without its buttons is useless. */
  pinned?: boolean;
}
type Draft = Omit<Unit, 'index' | 'source' | 'entities'>;

const PINNED_ACTION_SETS = 2;
/** Bytes kept for the "…and N more" line and the Show more button (built after the cut). */
const NOTICE_RESERVE = 600;

interface Ctx {
  reply: Reply;
  values: Record<string, string>;
  /** Input ids already used on the card: ids are unique per card. */
  ids: Set<string>;
  /** Field names of `Reply.fieldErrors` that a form of this card shows. */
  shownErrors: Set<string>;
  /** Stored id of the reply, when it has one: a form's submit names it (`CARD_KEY`). */
  messageId?: number;
}

/** Collects the entities of Teams mentions rendered into one unit. */
const collector = () => {
  const entities: TeamsMentionEntity[] = [];
  const sink: MentionSink = (m) => {
    if (m.surface !== 'teams') return undefined;
    const name = m.displayName.replace(/[*_`[\]~\\]/g, '');
    const text = `<at>${name || 'someone'}</at>`;
    if (!entities.some((e) => e.text === text && e.mentioned.id === m.userId))
      entities.push({ type: 'mention', text, mentioned: { id: m.userId, name: m.displayName } });
    return text;
  };
  return { entities, sink };
};

const textBlock = (text: string, extra: El = {}): El => ({ type: 'TextBlock', text, wrap: true, ...extra });

/** Code shown exactly as written: a RichTextBlock does not read markdown. */
const codeBlock = (code: string): El => ({
  type: 'RichTextBlock',
  inlines: [{ type: 'TextRun', text: code, fontType: 'Monospace' }],
});

const style = (b: Button): El =>
  b.style === 'primary' ? { style: 'positive' } : b.style === 'danger' ? { style: 'destructive' } : {};

const execute = (b: Button, title: string): El => ({
  type: 'Action.Execute',
  title: truncate(toPlain(mentionsAsText(title)) || b.actionId, TEAMS_LIMITS.buttonTitle),
  verb: b.actionId,
  data: { value: b.value },
  ...style(b),
});

/**
 * A form's submit names the stored reply its card shows (`data.card`): when the engine finds a
 * submitted value invalid, the transport renders that card again with the errors on its fields
 * and what was typed (`RenderOptions.values`), as the clicker's invoke response.
 */
export const CARD_KEY = 'card';

/** Names that must not be input ids: they would overwrite our own members of `action.data`. */
const RESERVED = new Set(['value', 'msteams', 'verb', 'action', CARD_KEY]);

/** A unique input id for a field name: the name itself, or `name~2`… on a clash (parseCardAction strips it). */
const inputId = (ctx: Ctx, name: string): string => {
  let id = RESERVED.has(name) ? `${name}~1` : name;
  for (let n = 2; ctx.ids.has(id); n++) id = `${name}~${n}`;
  ctx.ids.add(id);
  return id;
};

const inputsOf = (ctx: Ctx, form: Form, showErrors: boolean): El[] =>
  form.fields.flatMap((f: FormField): El[] => {
    const id = inputId(ctx, f.name);
    const error = showErrors ? ctx.reply.fieldErrors?.[f.name] : undefined;
    if (error !== undefined) ctx.shownErrors.add(f.name);
    const message = error !== undefined ? truncate(toPlain(mentionsAsText(error)), 300) : undefined;
    const prefill = showErrors ? ctx.values[f.name] : undefined;
    const common: El = {
      id,
      label: f.label,
      isRequired: f.required,
      ...(message !== undefined
        ? { errorMessage: message }
        : f.required
          ? { errorMessage: `${f.label}: required` }
          : {}),
      ...(f.placeholder ? { placeholder: f.placeholder } : {}),
      ...(prefill !== undefined ? { value: prefill.slice(0, TEAMS_LIMITS.inputText) } : {}),
    };
    let input: El;
    switch (f.kind) {
      case 'select':
        input = {
          type: 'Input.ChoiceSet',
          ...common,
          style: 'compact',
          choices: (f.options ?? []).map((o) => ({ title: o.label, value: o.value })),
        };
        break;
      case 'search':
        // Teams dynamic typeahead: choices come from an `application/search` invoke (search.ts).
        input = {
          type: 'Input.ChoiceSet',
          ...common,
          style: 'filtered',
          choices: [],
          'choices.data': { type: 'Data.Query', dataset: f.source },
        };
        break;
      case 'text':
        input = {
          type: 'Input.Text',
          ...common,
          maxLength: TEAMS_LIMITS.inputText,
          ...(f.multiline ? { isMultiline: true } : {}),
        };
        break;
    }
    // Teams shows `errorMessage` only after its own validation: the engine's message is shown too.
    return message !== undefined
      ? [input, textBlock(`⚠ ${escapeMarkdown(message)}`, { color: 'Attention', size: 'Small', spacing: 'None' })]
      : [input];
  });

/** A button with a form: the inputs behind a ShowCard, or open on the card when the engine found errors in them. */
const formButton = (ctx: Ctx, b: Button & { form: Form }): { action: El; open?: El } => {
  const plain = execute(b, b.form.submitLabel);
  const submit =
    ctx.messageId !== undefined
      ? { ...plain, data: { ...(plain.data as El), [CARD_KEY]: String(ctx.messageId) } }
      : plain;
  const errors = ctx.reply.fieldErrors ?? {};
  if (b.form.fields.some((f) => f.name in errors)) {
    const open: El = {
      type: 'Container',
      style: 'emphasis',
      items: [
        textBlock(escapeMarkdown(b.form.title), { weight: 'Bolder' }),
        ...inputsOf(ctx, b.form, true),
        { type: 'ActionSet', actions: [submit] },
      ],
    };
    return { action: execute(b, b.label), open };
  }
  return {
    action: {
      type: 'Action.ShowCard',
      title: truncate(toPlain(mentionsAsText(b.label)) || b.actionId, TEAMS_LIMITS.buttonTitle),
      ...style(b),
      card: {
        type: 'AdaptiveCard',
        body: [textBlock(escapeMarkdown(b.form.title), { weight: 'Bolder' }), ...inputsOf(ctx, b.form, false)],
        actions: [submit],
      },
    },
  };
};

const chartElement = (c: ChartBlock): El => {
  const title = truncate(c.title, 200);
  const axis = c.unit ? { yAxisTitle: c.unit } : {};
  const xy = (values: number[]) => c.categories.map((x, i) => ({ x, y: values[i]! }));
  // Clients without chart support drop it: the numbers are beside it as text in any case.
  const base = { title, fallback: 'drop' };
  switch (c.kind) {
    case 'pie':
      return {
        type: 'Chart.Pie',
        ...base,
        data: c.categories.map((legend, i) => ({ legend, value: c.series[0]!.values[i]! })),
      };
    case 'bar':
      return c.series.length === 1
        ? { type: 'Chart.VerticalBar', ...base, ...axis, showBarValues: true, data: xy(c.series[0]!.values) }
        : {
            type: 'Chart.VerticalBar.Grouped',
            ...base,
            ...axis,
            data: c.series.map((s) => ({ legend: s.name, values: xy(s.values) })),
          };
    case 'line':
    case 'area':
      // Teams has no area chart: a line chart draws the same series.
      return {
        type: 'Chart.Line',
        ...base,
        ...axis,
        data: c.series.map((s) => ({ legend: s.name, values: xy(s.values) })),
      };
  }
};

/** One line per row, `**first** · column: value · …`: tables too wide for columns. */
const recordLine = (columns: string[], row: string[]): string => {
  const [first = '', ...rest] = row.map((c) => escapeMarkdown(truncate(c.replace(/\s+/g, ' ').trim(), 120)));
  const parts = rest
    .map((v, i) => (v.length === 0 ? '' : columns[i + 1] ? `${escapeMarkdown(columns[i + 1]!)}: ${v}` : v))
    .filter((p) => p.length > 0);
  return [first ? `**${first}**` : '–', ...parts].join(' · ');
};

const tableUnits = (columns: string[], rows: string[][]): Draft[] => {
  const width = Math.max(columns.length, ...rows.map((r) => r.length), 1);
  const pad = (r: string[]): string[] =>
    Array.from({ length: width }, (_, i) => (r[i] ?? '').replace(/\s+/g, ' ').trim());
  const head = pad(columns);
  const body = rows.map(pad);
  if (body.length === 0)
    return [{ elements: [textBlock('_No rows._', { isSubtle: true })], omits: { noun: 'item', count: 1 } }];
  const lines = body.map((r) => recordLine(head, r));
  if (width > TEAMS_LIMITS.tableColumns) {
    return pieces(lines.join('\n'), TEAMS_LIMITS.textChunk).map((p) => {
      const n = p.split('\n').length;
      return { elements: [textBlock(p.split('\n').join('\n\n'))], omits: { noun: 'row', count: n } };
    });
  }
  const cell = (text: string, header: boolean): El => ({
    type: 'TableCell',
    items: [textBlock(escapeMarkdown(truncate(text, TEAMS_LIMITS.cellText)), header ? { weight: 'Bolder' } : {})],
  });
  const hasHead = head.some((h) => h.length > 0);
  const table = (group: string[][], from: number): El => ({
    type: 'Table',
    gridStyle: 'accent',
    firstRowAsHeader: hasHead,
    showGridLines: true,
    columns: head.map(() => ({ width: 1 })),
    rows: [...(hasHead ? [head] : []), ...group].map((r, i) => ({
      type: 'TableRow',
      cells: r.map((c) => cell(c, hasHead && i === 0)),
    })),
    // Clients without tables show the same rows as lines.
    fallback: textBlock(lines.slice(from, from + group.length).join('\n\n')),
  });
  const out: Draft[] = [];
  let group: string[][] = [];
  let start = 0;
  const flush = (): void => {
    if (group.length === 0) return;
    out.push({ elements: [table(group, start)], omits: { noun: 'row', count: group.length } });
    start += group.length;
    group = [];
  };
  for (const r of body) {
    if (
      group.length > 0 &&
      (group.length >= TEAMS_LIMITS.rowsPerTable || messageBytes(table([...group, r], start)) > TEAMS_LIMITS.tableBytes)
    )
      flush();
    group.push(r);
  }
  flush();
  return out;
};

const unitsOf = (ctx: Ctx, b: Block, sink: MentionSink): Draft[] => {
  switch (b.type) {
    case 'header': {
      const text = truncate(toPlain(mentionsAsText(b.text)), TEAMS_LIMITS.headerText);
      return text
        ? [
            {
              elements: [textBlock(escapeMarkdown(text), { size: 'Large', weight: 'Bolder', style: 'heading' })],
              omits: { noun: 'item', count: 1 },
            },
          ]
        : [];
    }
    case 'text':
      return segments(b.text).flatMap(({ code, text }) =>
        pieces(text, TEAMS_LIMITS.textChunk).map((p) => ({
          elements: [code ? codeBlock(p) : textBlock(toTeamsMarkdown(p, sink))],
          omits: { noun: 'character' as const, count: visible(p) },
          // A whole paragraph left out reads as "1 more item", not as its character count.
          whole: { noun: 'item' as const, count: 1 },
        })),
      );
    case 'fields': {
      const facts = b.fields
        .map((f) => ({
          title: escapeMarkdown(toPlain(mentionsAsText(f.label))),
          // Mentions in facts read as @Name: Teams draws `<at>` mentions in TextBlocks.
          value: toTeamsMarkdown(truncate(mentionsAsText(f.value.trim()), TEAMS_LIMITS.factValue)),
        }))
        .filter((f) => f.title.length > 0 || f.value.length > 0);
      const out: Draft[] = [];
      for (let i = 0; i < facts.length; i += TEAMS_LIMITS.factsPerSet) {
        const group = facts.slice(i, i + TEAMS_LIMITS.factsPerSet);
        out.push({ elements: [{ type: 'FactSet', facts: group }], omits: { noun: 'field', count: group.length } });
      }
      return out;
    }
    case 'table':
      return tableUnits(b.columns, b.rows);
    case 'actions': {
      const out: Draft[] = [];
      let actions: El[] = [];
      let count = 0;
      const flush = (open?: El): void => {
        if (actions.length > 0 || open)
          out.push({
            elements: [...(open ? [open] : []), ...(actions.length > 0 ? [{ type: 'ActionSet', actions }] : [])],
            omits: { noun: 'button', count },
            pinned: true,
          });
        actions = [];
        count = 0;
      };
      for (const button of b.buttons) {
        if (button.form) {
          const { action, open } = formButton(ctx, button as Button & { form: Form });
          if (open) {
            // The open form stands on its own; its own submit replaces the button.
            flush();
            out.push({ elements: [open], omits: { noun: 'button', count: 1 }, pinned: true });
            continue;
          }
          actions.push(action);
        } else actions.push(execute(button, button.label));
        count += 1;
        if (actions.length >= TEAMS_LIMITS.actionsPerSet) flush();
      }
      flush();
      return out;
    }
    case 'context': {
      const text = b.text.trim();
      return text
        ? [
            {
              elements: [
                textBlock(toTeamsMarkdown(truncate(text, TEAMS_LIMITS.textChunk), sink), {
                  size: 'Small',
                  isSubtle: true,
                }),
              ],
              omits: { noun: 'item', count: 1 },
            },
          ]
        : [];
    }
    case 'chart': {
      // The numbers always as text; the drawn chart beside the first of them when its data fits a unit.
      const numbers = pieces(chartText(b), TEAMS_LIMITS.textChunk).map((p) =>
        textBlock(escapeMarkdown(p).split('\n').join('\n\n'), { size: 'Small', isSubtle: true }),
      );
      const chart = chartElement(b);
      const drawn = messageBytes(chart) <= TEAMS_LIMITS.chartBytes ? [chart] : [];
      return numbers.map((n, i) => ({
        elements: i === 0 ? [...drawn, n] : [n],
        omits: { noun: 'item' as const, count: 1 },
        whole: { noun: 'item' as const, count: 1 },
      }));
    }
  }
};

/** Every unit of a reply, in order; only the first two action sets stay pinned. */
const replyUnits = (ctx: Ctx): Unit[] => {
  const source: Block[] = ctx.reply.blocks.length > 0 ? ctx.reply.blocks : [{ type: 'text', text: ctx.reply.text }];
  const drafts = source.flatMap((b, i) => {
    const { entities, sink } = collector();
    // Entities are per block; a unit carries those its own elements mention.
    return unitsOf(ctx, b, sink).map((u) => ({
      ...u,
      source: i,
      entities: entities.filter((e) => JSON.stringify(u.elements).includes(JSON.stringify(e.text).slice(1, -1))),
    }));
  });
  // Field errors no form on this card shows: said plainly, at the end.
  const loose = Object.entries(ctx.reply.fieldErrors ?? {}).filter(([name]) => !ctx.shownErrors.has(name));
  if (loose.length > 0)
    drafts.push({
      elements: loose.map(([name, message]) =>
        textBlock(`⚠ **${escapeMarkdown(name)}**: ${escapeMarkdown(toPlain(mentionsAsText(message)))}`, {
          color: 'Attention',
        }),
      ),
      omits: { noun: 'item', count: loose.length },
      source: source.length,
      entities: [],
    });
  let pinned = 0;
  return drafts.map((u, index) => {
    const keep = u.pinned === true && pinned < PINNED_ACTION_SETS;
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
const omissions = (units: Unit[], kept: Set<Unit>): Map<Noun, number> => {
  const omitted = new Map<Noun, number>();
  const add = (o: Omission): void => void omitted.set(o.noun, (omitted.get(o.noun) ?? 0) + o.count);
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

const uniqueEntities = (units: Unit[]): TeamsMentionEntity[] => {
  const out: TeamsMentionEntity[] = [];
  for (const u of units)
    for (const e of u.entities)
      if (!out.some((o) => o.text === e.text && o.mentioned.id === e.mentioned.id)) out.push(e);
  return out;
};

const assemble = (text: string, body: El[], entities: TeamsMentionEntity[]): TeamsMessage => ({
  text,
  attachments: [
    {
      contentType: ADAPTIVE_CARD,
      content: {
        type: 'AdaptiveCard',
        $schema: CARD_SCHEMA,
        version: CARD_VERSION,
        fallbackText: text,
        body,
        msteams: { width: 'Full', ...(entities.length > 0 ? { entities } : {}) },
      },
    },
  ],
  entities,
});

export interface RenderedPart {
  message: TeamsMessage;
  /** Set when the part was cut: the unit the next part starts with. */
  nextUnit?: number;
  /** Units of the reply shown in this part; 0 when `fromUnit` leaves nothing to show. */
  units: number;
  /** Units of the whole reply: the parts of a reply show each of them exactly once. */
  totalUnits: number;
}

const storedId = (reply: Reply, opts: RenderOptions): number | undefined => {
  const raw = opts.messageId ?? reply.messageId;
  if (raw === undefined || !/^\d{1,15}$/.test(raw)) return undefined;
  const id = Number(raw);
  return Number.isSafeInteger(id) && id >= 1 ? id : undefined;
};

/** Renders (part of) a reply as a Teams message within `MESSAGE_BUDGET`, saying where a cut part stopped. */
export const renderPart = (reply: Reply, opts: RenderOptions = {}): RenderedPart => {
  const from = Math.max(0, Math.floor(opts.fromUnit ?? 0));
  const first = from === 0;
  const id = storedId(reply, opts);
  const ctx: Ctx = {
    reply,
    values: opts.values ?? {},
    ids: new Set(),
    shownErrors: new Set(),
    ...(id !== undefined ? { messageId: id } : {}),
  };
  const all = replyUnits(ctx);
  // A continuation starts at `from` and leaves out the pinned buttons the first part already showed.
  const units = all
    .filter((u) => u.index >= from && (first || !u.pinned))
    .map((u) => (first ? u : { ...u, pinned: false }));
  const tail = reply.sandbox ? [textBlock(SANDBOX_NOTE, { size: 'Small', isSubtle: true })] : [];

  const summary =
    mentionsAsText(reply.text.trim() || plainText(reply.blocks).trim()) || 'New message from DevOps Agent';
  const text = truncate(first ? summary : `(continued) ${summary}`, TEAMS_LIMITS.fallbackText);
  const build = (kept: Unit[], notice: El[]): TeamsMessage => {
    const body: El[] = [];
    const keptSet = new Set(kept);
    const cut = kept.length < units.length ? units.findIndex((u) => !keptSet.has(u)) : -1;
    units.forEach((u, i) => {
      if (i === cut) body.push(...notice);
      if (keptSet.has(u)) body.push(...u.elements);
    });
    if (cut < 0 && notice.length > 0) body.push(...notice);
    body.push(...tail);
    // An empty body is not a card Teams draws; say at least what the notification says.
    return assemble(text, body.length > 0 ? body : [textBlock(escapeMarkdown(text))], uniqueEntities(kept));
  };

  // Sizes are estimated per unit (its elements and entities as they add to the JSON) so that a
  // cut costs one pass; the assembled message is measured before it is returned.
  const size = new Map(
    units.map((u) => [u, messageBytes(u.elements) - 1 + u.entities.reduce((n, e) => n + 2 * (messageBytes(e) + 1), 0)]),
  );
  const base = messageBytes(build([], []));
  const estimate = (kept: Unit[]): number => kept.reduce((n, u) => n + size.get(u)!, base);
  if (estimate(units) <= MESSAGE_BUDGET) {
    const whole = build(units, []);
    if (messageBytes(whole) <= MESSAGE_BUDGET) return { message: whole, units: units.length, totalUnits: all.length };
  }

  const fingerprint = id !== undefined ? replyFingerprint(reply) : '';
  const noticeFor = (kept: Unit[]): { notice: El[]; nextUnit?: number } => {
    const keptSet = new Set(kept);
    // Kept units other than the pinned ones are a prefix: the next part starts with the first one left out.
    const nextUnit = units.find((u) => !keptSet.has(u) && !u.pinned)?.index;
    const more =
      id !== undefined && nextUnit !== undefined
        ? [
            {
              type: 'ActionSet',
              actions: [
                {
                  type: 'Action.Execute',
                  title: 'Show more',
                  verb: SHOW_MORE_VERB,
                  data: { value: encodeMore({ messageId: id, fromUnit: Math.max(1, nextUnit), fingerprint }) },
                },
              ],
            },
          ]
        : [];
    return {
      notice: [textBlock(noticeText(omissions(units, keptSet)), { isSubtle: true, size: 'Small' }), ...more],
      ...(nextUnit !== undefined ? { nextUnit } : {}),
    };
  };

  // Pinned units first, then the longest prefix of the others that fits with the notice.
  const room = MESSAGE_BUDGET - NOTICE_RESERVE;
  const kept: Unit[] = units.filter((u) => u.pinned);
  let used = estimate(kept);
  for (const u of units) {
    if (u.pinned) continue;
    if (used + size.get(u)! > room) break;
    kept.push(u);
    used += size.get(u)!;
  }
  kept.sort((x, y) => x.index - y.index);
  // The estimate is close, not exact: drop units from the end (the pinned last) until the message fits.
  const fits = (k: Unit[]): boolean => messageBytes(build(k, noticeFor(k).notice)) <= MESSAGE_BUDGET;
  while (kept.length > 0 && !fits(kept)) {
    const last = kept.findLastIndex((u) => !u.pinned);
    kept.splice(last >= 0 ? last : kept.length - 1, 1);
  }
  const { notice, nextUnit } = noticeFor(kept);
  return {
    message: build(kept, notice),
    units: kept.length,
    totalUnits: all.length,
    ...(nextUnit !== undefined ? { nextUnit } : {}),
  };
};

/** The neutral Reply as a Teams message (the first part, or the part from `opts.fromUnit`). */
export const renderReply = (reply: Reply, opts: RenderOptions = {}): TeamsMessage => renderPart(reply, opts).message;

// ---------------------------------------------------------------------------------------------
// Clicks

/**
 * The `data` we put on every Action.Execute: the button's opaque value; the card's input values
 * arrive beside it in the invoke's `action.data`, keyed by input id.
 */
export const CardActionData = z.object({ value: z.string().max(2000) }).passthrough();

export interface CardAction {
  actionId: string;
  value: string;
  /** Stored id of the reply whose form was submitted (`data.card`), when the card named one. */
  cardMessageId?: number;
  /** Values of the card's inputs (a form: Reject's reason, a resize's size), keyed by field name. */
  inputs: Record<string, string>;
}

const MAX_INPUTS = 20;
const InputKey = /^([A-Za-z0-9_.:-]{1,50}?)(?:~\d{1,2})?$/;

/**
 * Reads an `adaptiveCard/action` invoke value: `{ action: { type: 'Action.Execute', verb, data } }`.
 * Null for anything that is not one of our buttons (wrong shape, oversize, too many inputs).
 */
export const parseCardAction = (invokeValue: unknown): CardAction | null => {
  const parsed = z
    .object({
      action: z.object({
        type: z.literal('Action.Execute'),
        verb: z
          .string()
          .min(1)
          .max(100)
          .regex(/^[\w.:-]+$/),
        data: CardActionData,
      }),
    })
    .safeParse(invokeValue);
  if (!parsed.success) return null;
  const { verb, data } = parsed.data.action;
  const inputs: Record<string, string> = {};
  const card = data[CARD_KEY];
  if (card !== undefined && (typeof card !== 'string' || !/^[1-9]\d{0,14}$/.test(card))) return null;
  const entries = Object.entries(data).filter(([k]) => k !== 'value' && k !== 'msteams' && k !== CARD_KEY);
  if (entries.length > MAX_INPUTS) return null;
  for (const [key, v] of entries) {
    const name = InputKey.exec(key)?.[1];
    if (!name) return null;
    // Inputs are strings (a multi-select is comma-separated); a toggle may come as a boolean.
    const value = typeof v === 'string' ? v : typeof v === 'boolean' || typeof v === 'number' ? String(v) : null;
    if (value === null || value.length > TEAMS_LIMITS.inputText) return null;
    if (value.trim() !== '') inputs[name] = value;
  }
  return { actionId: verb, value: data.value, inputs, ...(card !== undefined ? { cardMessageId: Number(card) } : {}) };
};
