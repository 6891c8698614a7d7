import { mentionsAsText } from '../../src/chat/mention.ts';
import { chartText, type Block, type Button, type FormField, type Reply } from '../../src/chat/reply.ts';
import type { RecordedRequest } from '../fakes/anthropic/index.ts';
import type { ModelStep } from './transcript.ts';

/**
 * Renders one transcript as readable markdown: what the model was sent and answered, each tool's
 * result, and the replies people saw. Everything that varies between runs or databases (change ids, times, random references) is normalised by `normalize`, so the text only changes
 * when behaviour does.
 */

/** Lines of pretty JSON are at most this wide when they can be: a row of a listing stays on one line. */
const WIDTH = 240;
/** A tool result longer than this many lines has its arrays cut (see `abridge`). */
const MAX_RESULT_LINES = 100;
/** Items kept of each array of a long result. */
const KEPT_ITEMS = 10;
/** Characters kept of each message shown in "Sent". */
const HISTORY_CHARS = 240;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/**
 * JSON with each value on one line when it fits `WIDTH` (after its indent and key), else expanded.
 * The items of an array are all flat or all expanded, so the rows of a listing look alike.
 */
const pretty = (v: Json, indent = '', lead = 0): string => {
  const flat = JSON.stringify(v);
  if (v === null || typeof v !== 'object' || indent.length + lead + flat.length <= WIDTH) return flat;
  const inner = `${indent}  `;
  if (Array.isArray(v)) {
    const allFit = v.every((x) => inner.length + JSON.stringify(x).length <= WIDTH);
    const item = (x: Json) => inner + (allFit ? JSON.stringify(x) : pretty(x, inner, WIDTH));
    return `[\n${v.map(item).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(v).map(([k, x]) => {
    const key = `${JSON.stringify(k)}: `;
    return inner + key + pretty(x, inner, key.length);
  });
  return `{\n${entries.join(',\n')}\n${indent}}`;
};

/** Arrays longer than `keep` keep their first `keep` items and a marker saying how many were cut. */
const abridge = (v: Json, keep: number): Json => {
  if (Array.isArray(v)) {
    const kept = v.slice(0, keep).map((x) => abridge(x, keep));
    return v.length > keep ? [...kept, `… ${v.length - keep} more`] : kept;
  }
  if (v !== null && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, abridge(x, keep)]));
  return v;
};

/** A tool result's content: pretty JSON when it is JSON (long ones cut deterministically), else the text. */
export const formatResult = (content: string): { lang: string; text: string } => {
  let value: Json;
  try {
    value = JSON.parse(content) as Json;
  } catch {
    return { lang: 'text', text: content };
  }
  const text = pretty(value);
  const lines = text.split('\n').length;
  if (lines <= MAX_RESULT_LINES) return { lang: 'json', text };
  return {
    lang: 'json',
    text: `${pretty(abridge(value, KEPT_ITEMS))}\n(abridged: arrays cut to ${KEPT_ITEMS} items; ${lines} lines in full)`,
  };
};

/** A fenced block whose fence is longer than any run of backticks inside. */
export const fence = (lang: string, body: string): string => {
  const longest = Math.max(2, ...[...body.matchAll(/`+/g)].map((m) => m[0].length));
  const f = '`'.repeat(longest + 1);
  return `${f}${lang}\n${body}\n${f}`;
};

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, '<br>');

const fieldText = (f: FormField): string => {
  const kind =
    f.kind === 'search'
      ? `search ${f.source ?? ''}`
      : f.kind === 'select'
        ? 'select'
        : f.multiline
          ? 'text, multiline'
          : 'text';
  const options = f.options?.length
    ? `: ${f.options.map((o) => (o.label === o.value ? o.value : `${o.label}=${o.value}`)).join(', ')}`
    : '';
  return `${f.name} (${kind}, ${f.required ? 'required' : 'optional'}${options})`;
};

const buttonText = (b: Button): string => {
  const parts = [`[${b.label}] \`${b.actionId}\` ${b.value}`];
  if (b.style) parts.push(b.style);
  if (b.form) parts.push(`form “${b.form.title}” (${b.form.submitLabel}): ${b.form.fields.map(fieldText).join('; ')}`);
  return `- ${parts.join(' · ')}`;
};

/** A block as markdown; mentions read `@Name`, as people see them. */
const blockText = (b: Block): string => mentionsAsText(blockMarkdown(b));

const blockMarkdown = (b: Block): string => {
  switch (b.type) {
    case 'header':
      return `#### ${b.text}`;
    case 'text':
      return b.text;
    case 'fields':
      return b.fields.map((f) => `- **${f.label}:** ${f.value}`).join('\n');
    case 'table': {
      const head = `| ${b.columns.map(cell).join(' | ')} |`;
      const rule = `|${b.columns.map(() => '---').join('|')}|`;
      return [head, rule, ...b.rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
    }
    case 'context':
      return `_(context)_ ${b.text}`;
    case 'actions':
      return `Buttons:\n${b.buttons.map(buttonText).join('\n')}`;
    case 'chart':
      return `_(${b.kind} chart)_ ${chartText(b)}`;
  }
};

/** One reply as a quoted block, headed by its marks (change card, ephemeral, sandbox). */
export const renderReply = (r: Reply, n: number): string => {
  const marks = [
    r.changeId ? `change card ${r.changeId}` : undefined,
    r.ephemeral ? 'ephemeral (only the asker sees it)' : undefined,
    r.sandbox ? 'sandbox' : undefined,
  ].filter(Boolean);
  const body = r.blocks.length ? r.blocks.map(blockText).join('\n\n') : `(no blocks) ${r.text}`;
  const errors = r.fieldErrors
    ? `\n\nField errors: ${Object.entries(r.fieldErrors)
        .map(([k, v]) => `${k}: ${v}`)
        .join('; ')}`
    : '';
  const quoted = `${body}${errors}`
    .split('\n')
    .map((l) => (l ? `> ${l}` : '>'))
    .join('\n');
  return `**Reply ${n}**${marks.length ? ` · ${marks.join(' · ')}` : ''}\n\n${quoted}`;
};

export const renderReplies = (replies: Reply[]): string =>
  replies.length ? replies.map((r, i) => renderReply(r, i + 1)).join('\n\n') : '(no replies)';

type Message = { role: string; content: string | Array<Record<string, unknown>> };
const messagesOf = (r: RecordedRequest): Message[] => ((r.body?.messages as Message[] | undefined) ?? []) as Message[];

const textOf = (m: Message): string =>
  typeof m.content === 'string'
    ? m.content
    : m.content
        .map((b) =>
          b.type === 'text'
            ? String(b.text)
            : b.type === 'tool_use'
              ? `[tool_use ${String(b.name)}]`
              : b.type === 'tool_result'
                ? '[tool_result]'
                : `[${String(b.type)}]`,
        )
        .join(' ');

const oneLine = (s: string): string => {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > HISTORY_CHARS ? `${flat.slice(0, HISTORY_CHARS - 1)}…` : flat;
};

/** The messages of the first call, one line each: the thread so far (what "it" can refer to) and the request. */
const sentMessages = (r: RecordedRequest): string => {
  const messages = messagesOf(r);
  const lines = messages.map((m) => `- ${m.role}: ${oneLine(textOf(m))}`);
  return `Sent ${messages.length} message${messages.length === 1 ? '' : 's'}:\n\n${lines.join('\n')}`;
};

interface ResultBlock {
  toolUseId: string;
  content: string;
  isError: boolean;
}

/** The tool_result blocks of a request's last user message, in order. */
const resultsOf = (r: RecordedRequest | undefined): ResultBlock[] => {
  const last = r ? messagesOf(r).at(-1) : undefined;
  if (!last || last.role !== 'user' || typeof last.content === 'string') return [];
  return last.content
    .filter((b) => b.type === 'tool_result')
    .map((b) => ({
      toolUseId: String(b.tool_use_id),
      content:
        typeof b.content === 'string'
          ? b.content
          : Array.isArray(b.content)
            ? (b.content as Array<Record<string, unknown>>).map((c) => String(c.text ?? '')).join('\n')
            : '',
      isError: b.is_error === true,
    }));
};

const stepStatus = (s: ModelStep | undefined): string =>
  !s
    ? 'no scripted answer'
    : 'tools' in s
      ? 'tool_use'
      : 'answer' in s
        ? 'end_turn'
        : 'error' in s
          ? 'error'
          : 'raw body';

/**
 * The model side of one turn: each Messages API call the planner made, the scripted answer it got
 * and, for tool calls, the results the planner sent back (read from the next call).
 */
export const renderModelCalls = (requests: RecordedRequest[], steps: ModelStep[]): string => {
  const out: string[] = [];
  let next = 0;
  requests.forEach((req, i) => {
    const status = req.response.status;
    const candidate = steps[next];
    // A request the API refused as invalid consumes no scripted step (a scripted 400 does).
    const refused = status === 400 && !(candidate && 'error' in candidate && candidate.error.status === 400);
    const step = refused ? undefined : candidate;
    if (!refused && candidate) next += 1;
    out.push(`### Model call ${i + 1} · ${refused ? 'refused by the API as invalid (400)' : stepStatus(step)}`);
    if (i === 0) out.push(sentMessages(req));
    if (refused) return;
    if (!step) {
      out.push(`✗ The fake had no scripted answer left and answered HTTP ${status}.`);
      return;
    }
    if ('error' in step) {
      const e = step.error;
      out.push(`✗ HTTP ${e.status}${e.type ? ` ${e.type}` : ''}${e.message ? `: ${e.message}` : ''}`);
      return;
    }
    if ('raw' in step) {
      out.push(`✗ HTTP ${step.raw.status ?? 200} with a raw body:`, fence('text', step.raw.body));
      return;
    }
    if ('answer' in step) {
      out.push(fence('markdown', step.answer));
      return;
    }
    if (step.text)
      out.push(
        step.text
          .split('\n')
          .map((l) => `> ${l}`)
          .join('\n'),
      );
    const results = resultsOf(requests[i + 1]);
    step.tools.forEach((call, k) => {
      out.push(`**${call.name}** \`${JSON.stringify(call.input)}\``);
      const result = results[k];
      if (!result) {
        out.push('(no result: the planner made no further call)');
        return;
      }
      if (result.isError) {
        out.push(`→ error: ${result.content}`);
        return;
      }
      const { lang, text } = formatResult(result.content);
      out.push(`→ result:\n\n${fence(lang, text)}`);
    });
  });
  if (requests.length === 0) out.push('(the model was not called: the command grammar answered)');
  const unused = steps.length - next;
  if (unused > 0) out.push(`⚠ ${unused} scripted model step${unused === 1 ? ' was' : 's were'} not used.`);
  return out.join('\n\n');
};

/**
 * Replaces what varies between runs and databases: change ids become relative to the first id this
 * transcript could file (`base` → CR-1), times and dates become placeholders, and so do the
 * random references of internal errors and the fake's ids.
 */
export const normalize = (text: string, base: number): string =>
  text
    .replace(/\bCR-(\d+)\b/g, (_, n: string) => `CR-${Number(n) - base + 1}`)
    .replace(/\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?/g, '<time>')
    .replace(/\b\d{4}-\d{2}-\d{2} \d{2}:\d{2}( UTC)?/g, '<time>')
    .replace(/\b\d{4}-\d{2}-\d{2}\b/g, '<date>')
    .replace(/\b20\d{2}-(0[1-9]|1[0-2])\b/g, '<month>')
    .replace(/\b[0-9a-f]{64}\b/g, '<hash>')
    .replace(/\bref [0-9a-f]{8}\b/g, 'ref <ref>')
    .replace(/\b(toolu|msg|req)_fake_\d+\b/g, '$1_<id>');

/** The inverse of the id part of `normalize`, for ids a transcript writes (CR-1 is the first it files). */
export const denormalizeIds = <T>(value: T, base: number): T =>
  JSON.parse(JSON.stringify(value).replace(/\bCR-(\d+)\b/g, (_, n: string) => `CR-${Number(n) + base - 1}`)) as T;
