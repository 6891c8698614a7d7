/**
 * Tables as mrkdwn: the fallback for tables Slack's own `table` block cannot hold (native.ts:
 * past 100 rows or 20 columns, a second table in one message, or a Slack that refuses the block).
 * This rendering splits across sections when a reply runs long. Why not rich_text
 * `preformatted`: it renders the same monospace box but costs a deeper JSON tree for no gain. An
 * aligned grid in a ``` code block renders identically on desktop, mobile and in notifications,
 * splits cleanly into several sections (the column header repeats in each), and keeps alignment
 * because code blocks preserve spaces.
 *
 * Wide tables do not survive a code block: Slack wraps long lines (a thread pane is about 60-70
 * monospace characters wide), which shreds the alignment. Past `GRID_MAX_WIDTH` each row becomes
 * one labelled line instead ("*web-1* · state: running · type: t3.micro"), which wraps gracefully.
 */
import { mentionsAsText } from '../../chat/mention.ts';
import { escapeMrkdwn, truncate } from './mrkdwn.ts';

const GRID_MAX_WIDTH = 72;
const GRID_MAX_CELL = 32;
const RECORD_MAX_CELL = 120;
const GAP = '  ';

/** One section's worth of table: its mrkdwn and how many data rows it holds. */
export interface TableChunk {
  text: string;
  rows: number;
}

const clean = (cell: string | undefined): string =>
  mentionsAsText(cell ?? '')
    .replace(/[\r\n\t]+/g, ' ')
    .replace(/`/g, "'")
    .trim();

const normalize = (columns: string[], rows: string[][]): { head: string[]; body: string[][] } => {
  const width = Math.max(columns.length, ...rows.map((r) => r.length), 0);
  const pad = (r: string[]): string[] => Array.from({ length: width }, (_, i) => clean(r[i]));
  return { head: pad(columns), body: rows.map(pad) };
};

/** Packs lines into chunks of at most `max` characters once wrapped by `wrap`. */
const pack = (lines: string[], max: number, wrap: (body: string[]) => string): TableChunk[] => {
  const chunks: TableChunk[] = [];
  let current: string[] = [];
  for (const line of lines) {
    if (current.length > 0 && wrap([...current, line]).length > max) {
      chunks.push({ text: wrap(current), rows: current.length });
      current = [];
    }
    current.push(line);
  }
  if (current.length > 0) chunks.push({ text: wrap(current), rows: current.length });
  return chunks;
};

const grid = (head: string[], body: string[][], max: number): TableChunk[] | null => {
  const widths = head.map((h, i) =>
    Math.min(GRID_MAX_CELL, Math.max(h.length, ...body.map((r) => (r[i] ?? '').length), 1)),
  );
  if (widths.reduce((a, b) => a + b, 0) + GAP.length * (widths.length - 1) > GRID_MAX_WIDTH) return null;
  // Pad on raw text, escape afterwards: `&lt;` shows as one character.
  const line = (cells: string[]): string =>
    escapeMrkdwn(
      cells
        .map((c, i) => truncate(c, widths[i] ?? 1).padEnd(widths[i] ?? 1))
        .join(GAP)
        .trimEnd(),
    );
  const hasHead = head.some((h) => h.length > 0);
  const top = hasHead ? [line(head), widths.map((w) => '-'.repeat(w)).join(GAP)] : [];
  return pack(body.map(line), max, (rows) => ['```', ...top, ...rows, '```'].join('\n'));
};

const records = (head: string[], body: string[][], max: number): TableChunk[] => {
  const line = (row: string[]): string => {
    const [first = '', ...rest] = row.map((c) => escapeMrkdwn(truncate(c, RECORD_MAX_CELL)));
    const parts = rest
      .map((v, i) => (v.length === 0 ? '' : head[i + 1] ? `${escapeMrkdwn(head[i + 1] ?? '')}: ${v}` : v))
      .filter((p) => p.length > 0);
    const title = first.replace(/\*/g, '').length > 0 ? `*${first.replace(/\*/g, '')}*` : '–';
    // A row with many long cells could pass a section on its own.
    return truncate([title, ...parts].join('  ·  '), max);
  };
  return pack(body.map(line), max, (rows) => rows.join('\n'));
};

/** Renders a neutral table as one or more mrkdwn chunks, each at most `max` characters. */
export const renderTable = (columns: string[], rows: string[][], max: number): TableChunk[] => {
  const { head, body } = normalize(columns, rows);
  if (body.length === 0) return [{ text: '_No rows._', rows: 0 }];
  return grid(head, body, max) ?? records(head, body, max);
};
