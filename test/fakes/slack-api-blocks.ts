/**
 * What the Slack fake rejects, written from the Block Kit reference independently of
 * src/surfaces/slack (sharing the renderer's constants would let one wrong number pass both).
 * Messages mimic Slack's `response_metadata.messages`: `[ERROR] … [json-pointer:/blocks/0/text/text]`.
 */
export interface BlocksVerdict {
  error: 'invalid_blocks' | 'invalid_blocks_format' | 'msg_blocks_too_long' | 'invalid_arguments';
  messages: string[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Cumulative text Slack accepts in one message's blocks (undocumented; see slackapi/bolt-js#2509). */
const CUMULATIVE_TEXT = 12_000;
/** Characters of all cells of one table block (apps report Slack refusing past it). */
const TABLE_TEXT = 10_000;

/** Block types a workspace may not take yet: `refuse` makes the fake answer invalid_blocks for them. */
export type NativeBlockType = 'table' | 'data_visualization';

class Checker {
  readonly messages: string[] = [];
  readonly blockIds = new Set<string>();
  readonly actionIds = new Set<string>();
  textTotal = 0;
  /** Messages: Slack rejects a repeated action_id. Views key state by block_id, so repeats are fine. */
  readonly uniqueActions: boolean;
  readonly refuse: ReadonlySet<string>;
  tables = 0;
  charts = 0;

  constructor(uniqueActions: boolean, refuse: ReadonlySet<string> = new Set()) {
    this.uniqueActions = uniqueActions;
    this.refuse = refuse;
  }

  err(path: string, what: string): void {
    this.messages.push(`[ERROR] ${what} [json-pointer:${path}]`);
  }

  text(v: unknown, path: string, max: number, plainOnly = false): void {
    if (!isObj(v) || (v.type !== 'plain_text' && v.type !== 'mrkdwn') || typeof v.text !== 'string') {
      return this.err(path, 'must be a text object');
    }
    if (plainOnly && v.type !== 'plain_text') this.err(`${path}/type`, 'must be plain_text');
    if (v.text.length === 0) this.err(`${path}/text`, 'must be more than 0 characters');
    if (v.text.length > max) this.err(`${path}/text`, `must be less than ${max + 1} characters`);
    this.textTotal += v.text.length;
  }

  str(v: unknown, path: string, max: number): void {
    if (v === undefined) return;
    if (typeof v !== 'string') return this.err(path, 'must be a string');
    if (v.length > max) this.err(path, `must be less than ${max + 1} characters`);
  }

  actionId(v: unknown, path: string): void {
    this.str(v, path, 255);
    if (typeof v !== 'string' || !this.uniqueActions) return;
    if (this.actionIds.has(v)) this.err(path, `duplicate action_id: ${v}`);
    this.actionIds.add(v);
  }

  element(e: unknown, path: string): void {
    if (!isObj(e) || typeof e.type !== 'string') return this.err(path, 'must be an element');
    this.actionId(e.action_id, `${path}/action_id`);
    if (e.placeholder !== undefined) this.text(e.placeholder, `${path}/placeholder`, 150, true);
    if (e.type === 'static_select') {
      return this.list(e.options, `${path}/options`, 1, 100, (o, p) => {
        if (!isObj(o)) return this.err(p, 'must be an option object');
        this.text(o.text, `${p}/text`, 75, true);
        this.str(o.value, `${p}/value`, 150);
      });
    }
    if (e.type === 'external_select') {
      if (e.min_query_length !== undefined && (typeof e.min_query_length !== 'number' || e.min_query_length < 0))
        this.err(`${path}/min_query_length`, 'must be a non-negative number');
      return;
    }
    if (e.type !== 'button') return;
    this.text(e.text, `${path}/text`, 75, true);
    this.str(e.value, `${path}/value`, 2000);
    this.str(e.url, `${path}/url`, 3000);
    if (e.style !== undefined && e.style !== 'primary' && e.style !== 'danger')
      this.err(`${path}/style`, 'must be primary or danger');
  }

  list(v: unknown, path: string, min: number, max: number, each: (x: unknown, p: string) => void): void {
    if (!Array.isArray(v)) return this.err(path, 'must be an array');
    if (v.length < min) this.err(path, `must provide at least ${min} items`);
    if (v.length > max) this.err(path, `no more than ${max} items allowed`);
    v.forEach((x, i) => each(x, `${path}/${i}`));
  }

  /** A table cell: raw_text with at least one character, or rich_text; its visible length. */
  cell(c: unknown, path: string): number {
    if (isObj(c) && c.type === 'raw_text') {
      if (typeof c.text !== 'string' || c.text.length === 0) this.err(`${path}/text`, 'must be more than 0 characters');
      return typeof c.text === 'string' ? c.text.length : 0;
    }
    if (isObj(c) && c.type === 'rich_text') {
      let n = 0;
      this.list(c.elements, `${path}/elements`, 1, 100, (s, p) => {
        if (!isObj(s) || typeof s.type !== 'string' || !s.type.startsWith('rich_text_'))
          return this.err(p, 'must be a rich text element');
        this.list(s.elements, `${p}/elements`, 1, 100, (e, q) => {
          if (isObj(e) && e.type === 'text' && typeof e.text === 'string' && e.text.length > 0) n += e.text.length;
          else if (isObj(e) && e.type === 'user' && typeof e.user_id === 'string' && /^[UW][A-Z0-9]+$/.test(e.user_id))
            n += 1;
          else if (!(isObj(e) && typeof e.type === 'string' && ['emoji', 'link', 'channel', 'date'].includes(e.type)))
            this.err(q, 'must be a rich text element');
        });
      });
      return n;
    }
    this.err(path, 'must be a raw_text or rich_text cell');
    return 0;
  }

  label(v: unknown, path: string, max: number): void {
    if (typeof v !== 'string' || v.length === 0) return this.err(path, 'must be a non-empty string');
    if (v.length > max) this.err(path, `must be less than ${max + 1} characters`);
  }

  chart(c: unknown, path: string): void {
    if (!isObj(c)) return this.err(path, 'must be a chart object');
    if (c.type === 'pie') {
      return this.list(c.segments, `${path}/segments`, 1, 6, (s, p) => {
        if (!isObj(s)) return this.err(p, 'must be a segment');
        this.label(s.label, `${p}/label`, 20);
        if (typeof s.value !== 'number' || !(s.value > 0)) this.err(`${p}/value`, 'must be greater than 0');
      });
    }
    if (c.type !== 'bar' && c.type !== 'line' && c.type !== 'area')
      return this.err(`${path}/type`, 'must be pie, bar, area or line');
    const axis = c.axis_config;
    if (!isObj(axis)) return this.err(`${path}/axis_config`, 'must be an axis config');
    const categories: string[] = [];
    this.list(axis.categories, `${path}/axis_config/categories`, 1, 20, (x, p) => {
      this.label(x, p, 20);
      if (typeof x === 'string') categories.push(x);
    });
    if (axis.x_label !== undefined) this.label(axis.x_label, `${path}/axis_config/x_label`, 50);
    if (axis.y_label !== undefined) this.label(axis.y_label, `${path}/axis_config/y_label`, 50);
    const names = new Set<string>();
    this.list(c.series, `${path}/series`, 1, 6, (s, p) => {
      if (!isObj(s)) return this.err(p, 'must be a data series');
      this.label(s.name, `${p}/name`, 20);
      if (typeof s.name === 'string' && names.has(s.name)) this.err(`${p}/name`, 'series names must be unique');
      if (typeof s.name === 'string') names.add(s.name);
      this.list(s.data, `${p}/data`, 1, 20, (d, q) => {
        if (!isObj(d)) return this.err(q, 'must be a data point');
        this.label(d.label, `${q}/label`, 20);
        if (typeof d.label === 'string' && !categories.includes(d.label))
          this.err(`${q}/label`, 'must be one of axis_config.categories');
        if (typeof d.value !== 'number' || !Number.isFinite(d.value)) this.err(`${q}/value`, 'must be a number');
      });
    });
  }

  block(b: unknown, path: string): void {
    if (!isObj(b) || typeof b.type !== 'string') return this.err(path, 'must be a block object');
    if (this.refuse.has(b.type)) return this.err(`${path}/type`, `unsupported type: ${b.type}`);
    if (b.block_id !== undefined) {
      this.str(b.block_id, `${path}/block_id`, 255);
      if (typeof b.block_id === 'string' && this.blockIds.has(b.block_id))
        this.err(`${path}/block_id`, 'duplicate block_id');
      if (typeof b.block_id === 'string') this.blockIds.add(b.block_id);
    }
    switch (b.type) {
      case 'header':
        return this.text(b.text, `${path}/text`, 150, true);
      case 'section':
        if (b.text === undefined && b.fields === undefined) return this.err(path, 'must provide text or fields');
        if (b.text !== undefined) this.text(b.text, `${path}/text`, 3000);
        if (b.fields !== undefined) this.list(b.fields, `${path}/fields`, 1, 10, (f, p) => this.text(f, p, 2000));
        if (b.accessory !== undefined) this.element(b.accessory, `${path}/accessory`);
        return;
      case 'actions':
        return this.list(b.elements, `${path}/elements`, 1, 25, (e, p) => this.element(e, p));
      case 'context':
        return this.list(b.elements, `${path}/elements`, 1, 10, (e, p) => {
          if (isObj(e) && e.type === 'image') return;
          this.text(e, p, 3000);
        });
      case 'input':
        this.text(b.label, `${path}/label`, 2000, true);
        return this.element(b.element, `${path}/element`);
      case 'markdown':
        return this.str(b.text, `${path}/text`, 12_000);
      case 'table': {
        this.tables += 1;
        if (this.tables > 1) this.err(path, 'only_one_table_allowed');
        let chars = 0;
        this.list(b.rows, `${path}/rows`, 1, 100, (r, p) =>
          this.list(r, p, 1, 20, (c, q) => void (chars += this.cell(c, q))),
        );
        if (chars > TABLE_TEXT) this.err(`${path}/rows`, `cells must total less than ${TABLE_TEXT + 1} characters`);
        if (b.column_settings !== undefined)
          this.list(b.column_settings, `${path}/column_settings`, 0, 20, (s, p) => {
            if (s === null) return;
            if (!isObj(s)) return this.err(p, 'must be a column setting');
            if (s.align !== undefined && !['left', 'center', 'right'].includes(String(s.align)))
              this.err(`${p}/align`, 'must be left, center or right');
            if (s.is_wrapped !== undefined && typeof s.is_wrapped !== 'boolean')
              this.err(`${p}/is_wrapped`, 'must be a boolean');
          });
        return;
      }
      case 'data_visualization':
        this.charts += 1;
        if (this.charts > 2) this.err(path, 'no more than 2 data_visualization blocks allowed');
        this.label(b.title, `${path}/title`, 50);
        return this.chart(b.chart, `${path}/chart`);
      case 'divider':
      case 'rich_text':
      case 'image':
        return;
      default:
        return this.err(`${path}/type`, `unsupported type: ${b.type}`);
    }
  }
}

/**
 * Checks a `blocks` argument of a message (50 blocks) or a view (100 blocks). `refuse`: native
 * block types this workspace does not take (answered like any unsupported type).
 */
export const checkBlocks = (
  blocks: unknown,
  maxBlocks: 50 | 100 = 50,
  refuse: ReadonlySet<string> = new Set(),
): BlocksVerdict | null => {
  if (!Array.isArray(blocks)) return { error: 'invalid_blocks_format', messages: ['[ERROR] must be an array'] };
  const c = new Checker(maxBlocks === 50, refuse);
  if (blocks.length > maxBlocks) c.err('/blocks', `no more than ${maxBlocks} items allowed`);
  blocks.forEach((b, i) => c.block(b, `/blocks/${i}`));
  if (c.messages.length > 0) return { error: 'invalid_blocks', messages: c.messages };
  if (maxBlocks === 50 && c.textTotal > CUMULATIVE_TEXT) return { error: 'msg_blocks_too_long', messages: [] };
  return null;
};

/** Checks a `view` argument of views.open / views.publish. */
export const checkView = (view: unknown, kind: 'modal' | 'home'): BlocksVerdict | null => {
  if (!isObj(view)) return { error: 'invalid_arguments', messages: ['[ERROR] view must be an object'] };
  const c = new Checker(false);
  if (view.type !== kind) c.err('/view/type', `must be ${kind}`);
  if (kind === 'modal') c.text(view.title, '/view/title', 24, true);
  if (view.submit !== undefined) c.text(view.submit, '/view/submit', 24, true);
  if (view.close !== undefined) c.text(view.close, '/view/close', 24, true);
  c.str(view.callback_id, '/view/callback_id', 255);
  c.str(view.private_metadata, '/view/private_metadata', 3000);
  const blocks = checkBlocks(view.blocks, 100);
  const messages = [...c.messages, ...(blocks?.messages ?? [])];
  return messages.length > 0 ? { error: 'invalid_arguments', messages } : null;
};
