/**
 * Slack's own `table` and `data_visualization` blocks for the neutral table and chart blocks,
 * within every limit of the Block Kit reference (block-kit.ts). Each builder answers null when its
 * block cannot hold the content; render.ts then falls back to text (table-text.ts) or, for a
 * chart, to a table of its numbers. Nothing here cuts data silently: a label cut to Slack's 20
 * characters is still unique or the chart is not drawn natively, and the full numbers always go
 * beside a chart as text.
 */
import { splitMentions } from '../../chat/mention.ts';
import type { ChartBlock } from '../../chat/reply.ts';
import {
  cellTextLength,
  SLACK_LIMITS as L,
  type RichTextElement,
  type SlackBlock,
  type SlackChart,
  type TableCell,
  type TableColumnSetting,
} from './block-kit.ts';
import { toPlain, truncate } from './mrkdwn.ts';

const SLACK_USER_ID = /^[UW][A-Z0-9]{2,20}$/;
/** What an empty cell shows: Slack refuses an empty raw_text. */
const EMPTY_CELL = '–';
/** Money, counts, percentages and sizes: right-aligned like a spreadsheet. */
const NUMERIC = /^[-+−]?[$€£]?\s?\d[\d,.\s]*(%|[a-zA-Z/]{1,8})?$/;
/** Cells longer than this wrap instead of widening the column. */
const WRAP_AT = 40;

const cellText = (raw: string): string => truncate(toPlain(raw), L.tableCellText) || EMPTY_CELL;

/** A body cell: raw text, or rich text when it mentions a Slack user (drawn as a real mention). */
const bodyCell = (raw: string): TableCell => {
  const parts = splitMentions(raw);
  if (!parts.some((p) => typeof p !== 'string' && p.surface === 'slack' && SLACK_USER_ID.test(p.userId)))
    return { type: 'raw_text', text: cellText(raw) };
  const elements: RichTextElement[] = parts.map((p) =>
    typeof p === 'string'
      ? { type: 'text', text: toPlain(p) || ' ' }
      : p.surface === 'slack' && SLACK_USER_ID.test(p.userId)
        ? { type: 'user', user_id: p.userId }
        : { type: 'text', text: `@${p.displayName}` },
  );
  return { type: 'rich_text', elements: [{ type: 'rich_text_section', elements }] };
};

/** A header cell: bold rich text (the table block has no header row of its own). */
const headerCell = (raw: string): TableCell => ({
  type: 'rich_text',
  elements: [{ type: 'rich_text_section', elements: [{ type: 'text', text: cellText(raw), style: { bold: true } }] }],
});

/**
 * A `table` block for a neutral table, or null when it exceeds the block: more than 99 data rows
 * (the header is the 100th), more than 20 columns, no rows, or more cell text than `tableText`.
 */
export const nativeTable = (columns: string[], rows: string[][]): SlackBlock | null => {
  const width = Math.max(columns.length, ...rows.map((r) => r.length), 0);
  const hasHead = columns.some((c) => c.trim().length > 0);
  if (rows.length === 0 || width === 0 || width > L.tableCells) return null;
  if (rows.length + (hasHead ? 1 : 0) > L.tableRows) return null;
  const pad = (r: string[]): string[] => Array.from({ length: width }, (_, i) => r[i] ?? '');
  const body = rows.map(pad);
  const out: TableCell[][] = [...(hasHead ? [pad(columns).map(headerCell)] : []), ...body.map((r) => r.map(bodyCell))];
  const chars = out.reduce((n, r) => n + r.reduce((m, c) => m + cellTextLength(c), 0), 0);
  if (chars > L.tableText) return null;
  const settings: TableColumnSetting[] = Array.from({ length: width }, (_, i) => {
    const cells = body.map((r) => toPlain(r[i] ?? '')).filter((c) => c.length > 0);
    const numeric = cells.length > 0 && cells.every((c) => NUMERIC.test(c));
    const wrap = cells.some((c) => c.length > WRAP_AT);
    return { align: numeric ? 'right' : 'left', ...(wrap ? { is_wrapped: true } : {}) };
  });
  const plain = settings.every((s) => s.align === 'left' && !s.is_wrapped);
  return { type: 'table', rows: out, ...(plain ? {} : { column_settings: settings }) };
};

/** `s` cut to `max` characters with …, the same way for every label so equal inputs stay equal. */
const label = (s: string, max: number): string => truncate(toPlain(s) || '–', max);

const unique = (xs: string[]): boolean => new Set(xs).size === xs.length;

/**
 * A `data_visualization` block for a neutral chart, or null past Slack's limits: a pie of more
 * than 6 slices (or none above 0), more than 6 series or 20 categories, or labels that are no
 * longer unique once cut to 20 characters. Zero slices of a pie are left out (Slack wants values
 * above 0; they draw nothing anyway, and the text beside the chart keeps them).
 */
export const nativeChart = (c: ChartBlock): SlackBlock | null => {
  const title = truncate(toPlain(c.title), L.chartTitle);
  if (!title) return null;
  const categories = c.categories.map((x) => label(x, L.chartLabel));
  let chart: SlackChart;
  if (c.kind === 'pie') {
    const values = c.series[0]?.values ?? [];
    const segments = categories.map((l, i) => ({ label: l, value: values[i] ?? 0 })).filter((s) => s.value > 0);
    if (segments.length === 0 || segments.length > L.chartSegments) return null;
    if (!unique(segments.map((s) => s.label))) return null;
    chart = { type: 'pie', segments };
  } else {
    if (c.categories.length > L.chartPoints || c.series.length > L.chartSeries) return null;
    const names = c.series.map((s) => label(s.name, L.chartLabel));
    if (!unique(categories) || !unique(names)) return null;
    chart = {
      type: c.kind,
      series: c.series.map((s, i) => ({
        name: names[i]!,
        data: categories.map((l, j) => ({ label: l, value: s.values[j] ?? 0 })),
      })),
      axis_config: {
        categories,
        ...(c.unit ? { y_label: truncate(toPlain(c.unit), L.chartAxisLabel) } : {}),
      },
    };
  }
  return { type: 'data_visualization', title, chart };
};

/** The numbers of a chart as a neutral table: what Slack shows when it cannot draw the chart. */
export const chartTable = (c: ChartBlock): { columns: string[]; rows: string[][] } => {
  const fmt = (v: number): string => v.toLocaleString('en-US', { maximumFractionDigits: 2 });
  const unit = c.unit ? ` (${c.unit})` : '';
  return {
    columns: ['', ...c.series.map((s) => `${s.name}${unit}`)],
    rows: c.categories.map((cat, i) => [cat, ...c.series.map((s) => fmt(s.values[i] ?? 0))]),
  };
};
