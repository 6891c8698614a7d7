/**
 * Markdown (what an LLM planner writes) → the neutral blocks every surface renders. The only
 * importer of `marked` (docs/architecture.md#sdk-boundaries): its lexer does the parsing, this file
 * only maps tokens to blocks. The mapping is listed in src/chat/README.md#markdown.
 *
 * Model output is untrusted text (a prompt can steer it, a resource tag can be echoed into it), so
 * the input is bounded before marked sees it. marked recurses once per nested quote, list item and
 * emphasis, and re-reads a nested list once per level: a few thousand levels overflow the stack,
 * a few hundred take seconds. `capNesting` bounds the containers, `MAX_INLINE_DELIMITERS` the
 * emphasis; anything that still fails comes back as the markdown as written.
 */
import { Lexer } from 'marked';
import type { MarkedToken, Token, Tokens } from 'marked';
import type { Block } from './reply.ts';
import { storableText } from './text.ts';

export interface MarkdownOptions {
  /** Longest `text` block, default 2,900 (Slack's section limit is 3,000; escaping adds a little). */
  maxTextLength?: number;
}

const DEFAULT_TEXT_LENGTH = 2900;
/** Below this a text block cannot hold a fenced line with its fences; smaller requests are raised. */
const MIN_TEXT_LENGTH = 64;

/** Containers (quotes, list items) one line may open: deeper lines keep their text, flattened. */
const MAX_LINE_CONTAINERS = 16;
/** Columns of whitespace kept around container markers: indentation is how lists nest over lines. */
const MAX_CONTAINER_INDENT = 64;
/** Our own recursion over block tokens; with the caps above it is never reached by real text. */
const MAX_BLOCK_DEPTH = 40;
/** Our own recursion over inline tokens (emphasis in a link in emphasis…). */
const MAX_INLINE_DEPTH = 64;
/**
 * Emphasis delimiters (`*`, `~`, and `_` at a word edge) one paragraph or cell may hold and still
 * be parsed: marked's emphasis matching is quadratic in them and nests one stack frame per level.
 * Past it (75 bold phrases in one paragraph) the paragraph keeps its markdown as written.
 */
const MAX_INLINE_DELIMITERS = 300;

/** Table limits every surface can draw (Slack's table block: 100 rows, 20 cells a row). */
const MAX_TABLE_ROWS = 100;
const MAX_TABLE_COLUMNS = 20;
const MAX_CELL_LENGTH = 500;

/** Bullets of nested lists by depth: the disc, circle, square cycle chat clients draw. */
const BULLETS = ['•', '◦', '▪'];
const LIST_INDENT = '    ';

/** A paragraph-sized piece of text (merged with its neighbours later), or a block of its own. */
type Piece = { unit: string } | { block: Block };

interface Walk {
  lexer: Lexer;
  /** Block nesting: quotes and list items. */
  depth: number;
  /** Lists around this point, for the bullet shape. */
  lists: number;
}

type InlineMode = 'light' | 'plain';

/** Markers already open around an inline token: `**a **b** c**` must not write `*a *b* c*`. */
interface Open {
  bold?: boolean;
  italic?: boolean;
  strike?: boolean;
}

/**
 * The model's final markdown → neutral blocks every surface renders. Never throws; unknown
 * constructs degrade to text.
 */
export const markdownToBlocks = (md: string, opts: MarkdownOptions = {}): Block[] => {
  const max = textLimit(opts.maxTextLength);
  let source = '';
  try {
    source = storableText(typeof md === 'string' ? md : '').replace(/\r\n?/g, '\n');
    if (source.trim().length === 0) return [];
    const lexer = new Lexer({ gfm: true, breaks: false, pedantic: false, silent: false });
    const tokens = lex(lexer, capNesting(source));
    return assemble(blocksOf(tokens, { lexer, depth: 0, lists: 0 }, true), max);
  } catch {
    // A lexer failure (or a bug here) must not lose the answer: show it as written.
    return plainBlocks(source, max);
  }
};

const textLimit = (n: number | undefined): number =>
  typeof n === 'number' && Number.isFinite(n) ? Math.max(MIN_TEXT_LENGTH, Math.floor(n)) : DEFAULT_TEXT_LENGTH;

const plainBlocks = (source: string, max: number): Block[] => {
  try {
    return source.trim().length === 0 ? [] : assemble([{ unit: source }], max);
  } catch {
    return [{ type: 'text', text: source.slice(0, max).toWellFormed() }];
  }
};

// ---------------------------------------------------------------------------------------------
// Lexing within bounds

/** One container marker of a line's prefix: a quote `>`, a bullet or a number, with the blanks before it. */
const CONTAINER = /[ \t]*(?:>|(?:[-*+]|\d{1,9}[.)])(?=[ \t]|$))/y;
const FENCE_OPEN = /^[ \t]*(`{3,}|~{3,})/;

const columns = (blank: string): number => {
  let n = 0;
  for (const ch of blank) n += ch === '\t' ? 4 : 1;
  return n;
};

/**
 * Bounds how deep one line can nest: at most `MAX_LINE_CONTAINERS` container markers in its
 * prefix (the rest of the line is kept as its content) and at most `MAX_CONTAINER_INDENT` columns
 * of blanks among them. Lines inside fenced code are left alone. Text within the bounds, which is
 * all text a person or a model writes, passes unchanged.
 */
const capNesting = (source: string): string => {
  const lines = source.split('\n');
  let fence: string | null = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    let end = 0;
    const parts: string[] = [];
    for (;;) {
      CONTAINER.lastIndex = end;
      const m = CONTAINER.exec(line);
      if (!m) break;
      parts.push(m[0]);
      end = CONTAINER.lastIndex;
    }
    const rest = line.slice(end);
    const opener = FENCE_OPEN.exec(rest)?.[1];
    if (fence !== null) {
      if (opener && opener[0] === fence[0] && opener.length >= fence.length && rest.trim() === opener) fence = null;
      continue;
    }
    if (opener) fence = opener;
    const blanks = parts.reduce((n, p) => n + columns(/^[ \t]*/.exec(p)![0]), 0);
    if (parts.length <= MAX_LINE_CONTAINERS && blanks <= MAX_CONTAINER_INDENT) continue;
    let budget = MAX_CONTAINER_INDENT;
    const kept = parts.slice(0, MAX_LINE_CONTAINERS).map((p) => {
      const blank = /^[ \t]*/.exec(p)![0];
      const keep = Math.min(blank.length, Math.max(0, budget));
      budget -= columns(blank.slice(0, keep));
      return blank.slice(0, keep).replace(/\t/g, ' ') + p.slice(blank.length);
    });
    // The markers past the limit are dropped: the line's text stays, in the deepest container kept.
    lines[i] = `${kept.join('')} ${rest.trimStart()}`.trimEnd();
  }
  return lines.join('\n');
};

/** `*`, `~` and word-edge `_` runs: what marked's emphasis matching spends its time on. */
const DELIMITERS = /\*+|~+|(?<![\p{L}\p{N}])_+|_+(?![\p{L}\p{N}])/gu;

const inlineIsSafe = (text: string): boolean => {
  let n = 0;
  for (const m of text.matchAll(DELIMITERS)) if ((n += m[0].length) > MAX_INLINE_DELIMITERS) return false;
  return true;
};

/** Inline tokens of `text`, or the text as written when it has too many emphasis markers. */
const inlineTokens = (lexer: Lexer, text: string, into: Token[] = []): Token[] => {
  if (inlineIsSafe(text)) return lexer.inlineTokens(text, into);
  into.push({ type: 'text', raw: text, text, escaped: true });
  return into;
};

/** What `Lexer.lex` does, with the inline pass of each block kept within bounds. */
const lex = (lexer: Lexer, source: string): Token[] => {
  const tokens = lexer.blockTokens(source, lexer.tokens);
  for (const queued of lexer.inlineQueue) {
    lexer.state.inRawBlock = false;
    inlineTokens(lexer, queued.src, queued.tokens);
  }
  lexer.inlineQueue = [];
  return tokens;
};

// ---------------------------------------------------------------------------------------------
// Blocks

const text = (unit: string): Piece => ({ unit });

/** Merges neighbouring text pieces with `sep`, leaving blocks in between where they are. */
const joinUnits = (pieces: Piece[], sep: string): Piece[] => {
  const out: Piece[] = [];
  for (const p of pieces) {
    const last = out.at(-1);
    if ('unit' in p && last && 'unit' in last) out[out.length - 1] = { unit: `${last.unit}${sep}${p.unit}` };
    else out.push(p);
  }
  return out;
};

/** Applies `f` to every line of the text pieces (tables and other blocks pass through). */
const eachLine = (pieces: Piece[], f: (line: string) => string): Piece[] =>
  pieces.map((p) => ('unit' in p ? { unit: p.unit.split('\n').map(f).join('\n') } : p));

const blocksOf = (tokens: Token[], walk: Walk, top: boolean): Piece[] => {
  const out: Piece[] = [];
  for (const token of tokens) {
    if (walk.depth > MAX_BLOCK_DEPTH) {
      out.push(text(flatten(token.raw)));
      continue;
    }
    out.push(...blockOf(token as MarkedToken, walk, top));
  }
  return out;
};

const blockOf = (t: MarkedToken, walk: Walk, top: boolean): Piece[] => {
  switch (t.type) {
    case 'space':
    case 'hr':
    case 'def':
    case 'checkbox':
      return [];
    case 'heading': {
      const title = collapse(inline(t.tokens, 'plain'));
      if (title.length === 0) return [];
      // Levels 1–2 are the answer's sections: a header of their own. Deeper levels (and any
      // heading inside a list or quote) are a bold line in the text, as a person would write it in chat.
      return top && t.depth <= 2 ? [{ block: { type: 'header', text: title } }] : [text(`*${title}*`)];
    }
    case 'paragraph': {
      const fields = top ? fieldsOf(t, walk.lexer) : null;
      if (fields) return [{ block: fields }];
      return units(inline(t.tokens, 'light'));
    }
    case 'text':
      return units(t.tokens ? inline(t.tokens, 'light') : breakFences(decodeEntities(t.text)));
    case 'code':
      return t.text.trim().length === 0
        ? []
        : [text(['```', breakFences(t.text.replace(/\n+$/, '')), '```'].join('\n'))];
    case 'blockquote': {
      const inner = joinUnits(blocksOf(t.tokens, { ...walk, depth: walk.depth + 1 }, false), '\n\n');
      return eachLine(inner, (line) => (line.length > 0 ? `> ${line}` : '>'));
    }
    case 'list':
      return listOf(t, walk);
    case 'list_item':
      return listOf({ type: 'list', raw: t.raw, ordered: false, start: '', loose: t.loose, items: [t] }, walk);
    case 'table':
      return tableOf(t);
    case 'html':
      return units(htmlToText(t.text));
    default: {
      // A token type this file does not know (a newer marked): its text, or what was written.
      const generic = t as Tokens.Generic;
      if (Array.isArray(generic.tokens)) return units(inline(generic.tokens as Token[], 'light'));
      return units(typeof generic.text === 'string' ? decodeEntities(generic.text) : (generic.raw ?? ''));
    }
  }
};

const units = (s: string): Piece[] => (s.trim().length > 0 ? [text(trimBlankLines(s))] : []);

const listOf = (list: Tokens.List, walk: Walk): Piece[] => {
  const out: Piece[] = [];
  const start = typeof list.start === 'number' ? list.start : 1;
  const bullet = BULLETS[walk.lists % BULLETS.length]!;
  const inner: Walk = { ...walk, depth: walk.depth + 1, lists: walk.lists + 1 };
  list.items.forEach((item, i) => {
    const marker = `${list.ordered ? `${start + i}.` : bullet} ${item.task ? (item.checked ? '☑ ' : '☐ ') : ''}`;
    const body = joinUnits(blocksOf(item.tokens, inner, false), '\n');
    // The marker goes on the item's first line of text; the rest of the item is indented under it.
    // A table in an item cannot be indented: it stands on its own between the lines.
    let marked = !body.some((p) => 'unit' in p);
    if (marked) out.push(text(marker.trimEnd()));
    for (const p of body) {
      if (!('unit' in p)) {
        out.push(p);
        continue;
      }
      const lines = p.unit.split('\n').map((line) => {
        if (marked) return line.length > 0 ? LIST_INDENT + line : line;
        marked = true;
        return marker + line.trimStart();
      });
      out.push(text(lines.join('\n')));
    }
  });
  return joinUnits(out, '\n');
};

const FIELD_LINE = /^(?:\*\*([^*\n]+?)\*\*|__([^_\n]+?)__)[ \t]*(.*)$/;

/**
 * A paragraph made only of `**Key:** value` lines (two or more) → a fields block: label plain,
 * value in light markdown. `**Key**: value` counts too.
 */
const fieldsOf = (p: Tokens.Paragraph, lexer: Lexer): Block | null => {
  const lines = p.text.split('\n').map((l) => l.trim().replace(/\\$/, ''));
  if (lines.length < 2) return null;
  const fields: { label: string; value: string }[] = [];
  for (const line of lines) {
    const m = FIELD_LINE.exec(line);
    if (!m) return null;
    let label = (m[1] ?? m[2] ?? '').trim();
    let value = m[3] ?? '';
    if (label.endsWith(':')) label = label.slice(0, -1);
    else if (value.startsWith(':')) value = value.slice(1);
    else return null;
    const plainLabel = collapse(inline(inlineTokens(lexer, label), 'plain'));
    if (plainLabel.length === 0) return null;
    fields.push({ label: plainLabel, value: inline(inlineTokens(lexer, value.trim()), 'light').trim() });
  }
  return { type: 'fields', fields };
};

const tableOf = (t: Tokens.Table): Piece[] => {
  const cell = (c: Tokens.TableCell | undefined): string =>
    c ? truncate(collapse(inline(c.tokens, 'plain')), MAX_CELL_LENGTH) : '';
  const width = Math.max(1, t.header.length);
  const shown = Math.min(width, MAX_TABLE_COLUMNS);
  const pick = (cells: (Tokens.TableCell | undefined)[]): string[] =>
    Array.from({ length: shown }, (_, i) => cell(cells[i]));
  const rows = t.rows.slice(0, MAX_TABLE_ROWS).map(pick);
  const moreRows = t.rows.length - rows.length;
  const moreColumns = width - shown;
  const notes = [
    ...(moreRows > 0 ? [`${count(moreRows, 'row')}`] : []),
    ...(moreColumns > 0 ? [`${count(moreColumns, 'column')}`] : []),
  ];
  return [
    { block: { type: 'table', columns: pick(t.header), rows } },
    ...(notes.length > 0 ? [{ block: { type: 'context' as const, text: `… ${notes.join(', ')}` } }] : []),
  ];
};

const count = (n: number, noun: string): string => `${n.toLocaleString('en-US')} more ${noun}${n === 1 ? '' : 's'}`;

// ---------------------------------------------------------------------------------------------
// Inline

const inline = (tokens: Token[], mode: InlineMode, open: Open = {}, depth = 0): string => {
  let out = '';
  for (const token of tokens) out += inlineOf(token as MarkedToken, mode, open, depth);
  return out;
};

/** `*x*` around the trimmed content (markers must touch the words), blanks kept outside. */
const wrap = (marker: string, content: string): string => {
  const m = /^(\s*)([\s\S]*?)(\s*)$/.exec(content)!;
  return m[2]!.length > 0 ? `${m[1]}${marker}${m[2]}${marker}${m[3]}` : content;
};

const inlineOf = (t: MarkedToken, mode: InlineMode, open: Open, depth: number): string => {
  if (depth > MAX_INLINE_DEPTH) return 'text' in t && typeof t.text === 'string' ? t.text : t.raw;
  const inner = (tokens: Token[], more: Open = {}): string => inline(tokens, mode, { ...open, ...more }, depth + 1);
  const light = mode === 'light';
  switch (t.type) {
    case 'text':
      return t.tokens ? inner(t.tokens) : breakFences(decodeEntities(t.text));
    case 'escape':
      return breakFences(t.text);
    case 'strong':
      return light && !open.bold ? wrap('*', inner(t.tokens, { bold: true })) : inner(t.tokens);
    case 'em':
      return light && !open.italic ? wrap('_', inner(t.tokens, { italic: true })) : inner(t.tokens);
    case 'del':
      return light && !open.strike ? wrap('~', inner(t.tokens, { strike: true })) : inner(t.tokens);
    case 'codespan': {
      // Light markdown has no way to write a backtick inside code: it becomes a quote, as in Slack's tables.
      const code = t.text.replace(/`/g, "'");
      return light && code.trim().length > 0 ? `\`${code}\`` : code;
    }
    case 'br':
      return light ? '\n' : ' ';
    case 'link': {
      const label = inner(t.tokens);
      const href = t.href;
      const same = label === href || `mailto:${label}` === href || t.autolink === true;
      return label.trim().length === 0 ? href : same ? label : `${label} (${href})`;
    }
    case 'image': {
      const alt = collapse(decodeEntities(t.text));
      return alt.length > 0 ? `${alt} (${t.href})` : t.href;
    }
    case 'html':
      return htmlTagText(t.text, light);
    case 'checkbox':
      return '';
    default: {
      const generic = t as Tokens.Generic;
      if (Array.isArray(generic.tokens)) return inner(generic.tokens as Token[]);
      return typeof generic.text === 'string' ? generic.text : (generic.raw ?? '');
    }
  }
};

// ---------------------------------------------------------------------------------------------
// Text helpers

const collapse = (s: string): string => s.replace(/\s+/g, ' ').trim();

/** Drops leading and trailing blank lines, keeping the indentation of the first line with text. */
const trimBlankLines = (s: string): string => s.replace(/^(?:[ \t]*\n)+/, '').trimEnd();

/** Raw markdown shown as text when it is nested too deep to walk. */
const flatten = (raw: string): string => raw.replace(/^[ \t>*+-]+/gm, '').trim();

/**
 * Three backticks in text or code would open or close a code block on every surface (we write
 * our own fences around code): a zero-width space between them keeps them literal.
 */
const breakFences = (s: string): string =>
  s.includes('```') ? s.replace(/`{3,}/g, (run) => [...run].join('\u200b')) : s;

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  hellip: '…',
  mdash: '—',
  ndash: '–',
  rarr: '→',
  larr: '←',
  times: '×',
  middot: '·',
  bull: '•',
  deg: '°',
  copy: '©',
  reg: '®',
  trade: '™',
  euro: '€',
};

/** Character references in text: markdown means `&amp;` as `&`. Unknown names stay as written. */
const decodeEntities = (s: string): string =>
  s.includes('&')
    ? s.replace(/&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});/g, (whole, ref: string) => {
        if (ref[0] !== '#') return NAMED_ENTITIES[ref] ?? whole;
        const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
        return code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff) ? String.fromCodePoint(code) : '\ufffd';
      })
    : s;

/**
 * Real HTML elements. Anything else in angle brackets is kept as text: models write placeholders
 * like `<instance-id>` that HTML would take for a tag.
 */
const HTML_ELEMENT =
  /^(?:a|abbr|address|article|aside|audio|b|bdi|bdo|big|blockquote|body|br|button|caption|center|cite|code|col|colgroup|dd|del|details|dfn|div|dl|dt|em|figcaption|figure|font|footer|form|h[1-6]|head|header|hr|html|i|iframe|img|input|ins|kbd|label|li|link|main|mark|meta|nav|ol|option|p|picture|pre|q|s|samp|section|select|small|source|span|strike|strong|sub|summary|sup|svg|table|tbody|td|textarea|tfoot|th|thead|time|title|tr|tt|u|ul|var|video|wbr)$/i;
/** Elements after which text starts a new line. */
const HTML_BREAK =
  /^(?:br|p|div|li|tr|h[1-6]|blockquote|pre|table|ul|ol|dl|dt|dd|details|summary|section|article|header|footer|hr)$/i;
// `[^<>]*`: a tag ends before the next `<`, which keeps the scan linear on any input.
const HTML_TAG = /<(\/?)([a-zA-Z][a-zA-Z0-9-]*)\b[^<>]*>/g;

const tagReplacement = (tag: string, closing: boolean, name: string, light: boolean): string | null => {
  if (!HTML_ELEMENT.test(name)) return null;
  if (/^img$/i.test(name))
    return (
      /\balt\s*=\s*"([^"]*)"|\balt\s*=\s*'([^']*)'/i
        .exec(tag)
        ?.slice(1)
        .find((a) => a) ?? ''
    );
  if (/^br$/i.test(name) || (closing && HTML_BREAK.test(name))) return light ? '\n' : ' ';
  return '';
};

/** One inline HTML tag → its text: nothing for real elements (a line break for `<br>`), as written otherwise. */
const htmlTagText = (tag: string, light: boolean): string => {
  if (/^<!--/.test(tag)) return '';
  const m = /^<(\/?)([a-zA-Z][a-zA-Z0-9-]*)/.exec(tag);
  if (!m) return tag;
  return tagReplacement(tag, m[1] === '/', m[2]!, light) ?? tag;
};

/** A block of HTML → its text: comments, scripts and styles dropped, tags of real elements removed. */
const htmlToText = (html: string): string =>
  decodeEntities(
    html
      .replace(/<!--[\s\S]*?(?:-->|$)/g, '')
      .replace(/<(script|style)\b[\s\S]*?(?:<\/\1\s*>|$)/gi, '')
      .replace(HTML_TAG, (tag, slash: string, name: string) => tagReplacement(tag, slash === '/', name, true) ?? tag),
  )
    .replace(/[ \t]+$/gm, '')
    .replace(/\n{3,}/g, '\n\n');

/** Cuts to at most `max` characters at a word boundary when there is one nearby, ending with `…`. */
const truncate = (s: string, max: number): string => {
  if (s.length <= max) return s;
  const space = s.lastIndexOf(' ', max - 1);
  const at = space >= max * 0.6 ? space : safeCut(s, max - 1);
  return `${s.slice(0, at).trimEnd()}…`;
};

/** A cut point at or before `at` that does not split a surrogate pair. */
const safeCut = (s: string, at: number): number => {
  const code = s.charCodeAt(at - 1);
  return at > 1 && code >= 0xd800 && code <= 0xdbff ? at - 1 : at;
};

// ---------------------------------------------------------------------------------------------
// Text blocks within the length limit

/** Merges neighbouring text pieces into text blocks of at most `max` characters. */
const assemble = (pieces: Piece[], max: number): Block[] => {
  const out: Block[] = [];
  let current = '';
  const flush = (): void => {
    if (current.trim().length > 0) out.push({ type: 'text', text: current });
    current = '';
  };
  for (const p of pieces) {
    if ('block' in p) {
      flush();
      out.push(p.block);
      continue;
    }
    const unit = trimBlankLines(p.unit);
    if (unit.trim().length === 0) continue;
    if (unit.length > max) {
      // The text before it fills the first block: the split starts from the paragraph break.
      const parts = splitText(current.length > 0 ? `${current}\n\n${unit}` : unit, max);
      for (const part of parts.slice(0, -1)) out.push({ type: 'text', text: part });
      current = parts.at(-1) ?? '';
      continue;
    }
    if (current.length > 0 && current.length + 2 + unit.length > max) flush();
    current = current.length > 0 ? `${current}\n\n${unit}` : unit;
  }
  flush();
  return out;
};

/** A fence line as this file writes them: three backticks after the blanks and `>` of its containers. */
const FENCE_LINE = /^[ >]*```$/;

/**
 * Splits text longer than `max` at line boundaries (words when one line is longer than a block).
 * A cut inside a code block closes it and the next block reopens it, so each block renders alone.
 */
const splitText = (source: string, max: number): string[] => {
  const chunks: string[] = [];
  let lines: string[] = [];
  let length = 0;
  /** The opening fence line while inside a code block. */
  let fence: string | null = null;
  /** Whether the chunk holds more than the reopening fence line. */
  let filled = false;
  /** Whether the chunk's last line opened the code block (a cut there moves it to the next chunk). */
  let justOpened = false;

  const push = (line: string): void => {
    length += (lines.length > 0 ? 1 : 0) + line.length;
    lines.push(line);
  };
  const flush = (): void => {
    if (!filled) return;
    let carry = false;
    if (fence !== null && justOpened) {
      lines.pop();
      carry = true;
    } else if (fence !== null) lines.push(fence);
    const chunk = trimBlankLines(lines.join('\n'));
    if (chunk.trim().length > 0) chunks.push(chunk);
    lines = [];
    length = 0;
    filled = false;
    justOpened = false;
    if (fence !== null) {
      push(fence);
      if (carry) justOpened = true;
      filled = carry;
    }
  };
  const fits = (line: string, after: string | null): boolean =>
    length + (lines.length > 0 ? 1 : 0) + line.length + (after !== null ? after.length + 1 : 0) <= max;
  const add = (line: string): void => {
    const toggles = FENCE_LINE.test(line);
    const after = toggles ? (fence === null ? line : null) : fence;
    if (!fits(line, after)) flush();
    if (!fits(line, after) && !toggles) {
      // One line longer than a whole block: cut it at spaces, or anywhere for a single long word.
      const room = Math.max(16, max - (fence !== null ? 2 * (fence.length + 1) : 0));
      for (const piece of wrapLine(line, room)) {
        if (!fits(piece, fence)) flush();
        push(piece);
        filled = true;
        justOpened = false;
      }
      return;
    }
    push(line);
    filled = true;
    fence = after;
    justOpened = toggles && after !== null;
  };

  for (const line of source.split('\n')) add(line);
  if (filled) {
    const chunk = trimBlankLines(lines.join('\n'));
    if (chunk.trim().length > 0) chunks.push(chunk);
  }
  return chunks;
};

/** Cuts one line into pieces of at most `room` characters, at spaces when it has them. */
const wrapLine = (line: string, room: number): string[] => {
  const pieces: string[] = [];
  let rest = line;
  while (rest.length > room) {
    const space = rest.lastIndexOf(' ', room);
    if (space > 0 && rest.slice(0, space).trim().length > 0) {
      pieces.push(rest.slice(0, space).trimEnd());
      rest = rest.slice(space + 1);
    } else {
      const at = safeCut(rest, room);
      pieces.push(rest.slice(0, at));
      rest = rest.slice(at);
    }
  }
  if (rest.length > 0) pieces.push(rest);
  return pieces;
};
