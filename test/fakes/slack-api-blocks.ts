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

class Checker {
  readonly messages: string[] = [];
  readonly blockIds = new Set<string>();
  readonly actionIds = new Set<string>();
  textTotal = 0;
  /** Messages: Slack rejects a repeated action_id. Views key state by block_id, so repeats are fine. */
  readonly uniqueActions: boolean;

  constructor(uniqueActions: boolean) {
    this.uniqueActions = uniqueActions;
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

  block(b: unknown, path: string): void {
    if (!isObj(b) || typeof b.type !== 'string') return this.err(path, 'must be a block object');
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
      case 'divider':
      case 'rich_text':
      case 'image':
        return;
      default:
        return this.err(`${path}/type`, `unsupported type: ${b.type}`);
    }
  }
}

/** Checks a `blocks` argument of a message (50 blocks) or a view (100 blocks). */
export const checkBlocks = (blocks: unknown, maxBlocks: 50 | 100 = 50): BlocksVerdict | null => {
  if (!Array.isArray(blocks)) return { error: 'invalid_blocks_format', messages: ['[ERROR] must be an array'] };
  const c = new Checker(maxBlocks === 50);
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
