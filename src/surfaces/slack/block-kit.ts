/**
 * The subset of Block Kit our renderer emits, and Slack's limits for it. Own types rather than
 * @slack/types: that package is only a transitive dependency, and a narrow union lets the renderer
 * and its tests see exactly which shapes can leave this folder. Every member is assignable to
 * Bolt's `(KnownBlock | Block)[]`.
 *
 * Limits are from the Block Kit reference (docs.slack.dev/reference/block-kit/...).
 */
export interface PlainText {
  type: 'plain_text';
  text: string;
  emoji?: boolean;
}
export interface MrkdwnText {
  type: 'mrkdwn';
  text: string;
}

export interface SlackButton {
  type: 'button';
  text: PlainText;
  action_id: string;
  value?: string;
  style?: 'primary' | 'danger';
}

/** A run of rich text: plain text (optionally bold) or a user mention. */
export type RichTextElement =
  { type: 'text'; text: string; style?: { bold?: boolean; code?: boolean } } | { type: 'user'; user_id: string };

export interface RichText {
  type: 'rich_text';
  elements: [{ type: 'rich_text_section'; elements: RichTextElement[] }];
}

/** A cell of a `table` block (reference: .../blocks/table-block). */
export type TableCell = { type: 'raw_text'; text: string } | RichText;

export interface TableColumnSetting {
  align?: 'left' | 'center' | 'right';
  is_wrapped?: boolean;
}

/** One series of a bar, line or area chart; `data[i].label` is `axis_config.categories[i]`. */
export interface ChartSeries {
  name: string;
  data: Array<{ label: string; value: number }>;
}

/**
 * The `data_visualization` block (reference: .../blocks/data-visualization-block). Not in
 * @slack/types 3.2 yet, hence spelled out here.
 */
export type SlackChart =
  | { type: 'pie'; segments: Array<{ label: string; value: number }> }
  | {
      type: 'bar' | 'line' | 'area';
      series: ChartSeries[];
      axis_config: { categories: string[]; x_label?: string; y_label?: string };
    };

export type SlackBlock =
  | { type: 'header'; text: PlainText }
  | { type: 'section'; text: MrkdwnText }
  | { type: 'section'; fields: MrkdwnText[] }
  | { type: 'actions'; elements: SlackButton[] }
  | { type: 'context'; elements: MrkdwnText[] }
  | { type: 'table'; rows: TableCell[][]; column_settings?: TableColumnSetting[] }
  | { type: 'data_visualization'; title: string; chart: SlackChart };

export const SLACK_LIMITS = {
  /** Blocks in one message (modals and the Home tab allow 100). */
  blocksPerMessage: 50,
  headerText: 150,
  sectionText: 3000,
  fieldsPerSection: 10,
  fieldText: 2000,
  elementsPerActions: 25,
  elementsPerContext: 10,
  buttonText: 75,
  buttonValue: 2000,
  actionId: 255,
  /**
   * The top-level `text` of chat.postMessage: Slack truncates past 40,000 characters, and the brief
   * for this surface keeps the notification fallback short.
   */
  fallbackText: 4000,
  /**
   * Undocumented cumulative limit: chat.postMessage answers `msg_blocks_too_long` once the text of
   * all blocks passes roughly 12,000 characters (slackapi/bolt-js#2509: rejected at ~13,200;
   * #2867: rejected at 11,341 counting only `.text`). We stay well below it.
   */
  messageTextBudget: 10_000,
  /**
   * `table` block: 100 rows (the header row is one of them), 20 cells a row, 20 column settings,
   * and one table per message (apps report `invalid_blocks` / `only_one_table_allowed` past it).
   * The characters of all cells together are capped too (10,000, reported by apps that hit it);
   * we keep a native table well under that so the rest of the reply still fits the message.
   */
  tableRows: 100,
  tableCells: 20,
  tablesPerMessage: 1,
  tableText: 6_000,
  /** Longest cell we send (longer ones are cut with …); not documented, kept conservative. */
  tableCellText: 1_000,
  /**
   * `data_visualization` block: title ≤ 50 characters; pie 1–6 segments of value > 0; bar, line,
   * area 1–6 series (names unique) of 1–20 points; every label ≤ 20 characters; axis labels ≤ 50.
   * At most two in one message (renderers report it; Slack asks for the numbers as text too).
   */
  chartTitle: 50,
  chartLabel: 20,
  chartAxisLabel: 50,
  chartSeries: 6,
  chartSegments: 6,
  chartPoints: 20,
  chartsPerMessage: 2,
} as const;

/** Every string a user can read in a block: what counts toward `messageTextBudget`. */
export const blockTextLength = (b: SlackBlock): number => {
  switch (b.type) {
    case 'header':
      return b.text.text.length;
    case 'section':
      return 'text' in b ? b.text.text.length : b.fields.reduce((n, f) => n + f.text.length, 0);
    case 'actions':
      return b.elements.reduce((n, e) => n + e.text.text.length, 0);
    case 'context':
      return b.elements.reduce((n, e) => n + e.text.length, 0);
    case 'table':
      return b.rows.reduce((n, row) => n + row.reduce((m, c) => m + cellTextLength(c), 0), 0);
    case 'data_visualization': {
      const c = b.chart;
      const labels =
        c.type === 'pie'
          ? c.segments.reduce((n, s) => n + s.label.length, 0)
          : c.axis_config.categories.reduce((n, l) => n + l.length, 0) +
            c.series.reduce((n, s) => n + s.name.length, 0);
      return b.title.length + labels;
    }
  }
};

/** Characters a reader sees in a table cell (a user mention counts as a short name). */
export const cellTextLength = (c: TableCell): number =>
  c.type === 'raw_text'
    ? c.text.length
    : c.elements[0].elements.reduce((n, e) => n + (e.type === 'text' ? e.text.length : 12), 0);
