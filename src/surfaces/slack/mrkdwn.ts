/**
 * Text conversion for Slack: our light markdown (*bold*, `code`, plus the common Markdown an LLM
 * writes) to Slack mrkdwn, and cutting text to Slack's limits without breaking words, entities,
 * surrogate pairs or code fences.
 */

import { mentionsAsText, splitMentions, type Mention } from '../../chat/mention.ts';

/**
 * Slack treats `<…>` as control sequences (mentions, `<!channel>`, links) and `&` as the start of
 * an entity, so user text must carry them escaped: this is also what stops a reply from pinging
 * `<!here>` because a resource was named that way.
 */
export const escapeMrkdwn = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Length as a reader sees it: an escaped entity is one character. */
export const visibleLength = (mrkdwn: string): number => mrkdwn.replace(/&(?:amp|lt|gt);/g, '&').length;

const CODE = /(```[\s\S]*?```|`[^`\n]+`)/;

/** Converts the prose parts (outside code) of escaped text to mrkdwn. */
const convertProse = (s: string): string =>
  s
    .replace(/\*\*([^*\n]+)\*\*/g, '*$1*')
    .replace(/__([^_\n]+)__/g, '*$1*')
    .replace(/~~([^~\n]+)~~/g, '~$1~')
    .replace(/^#{1,6}[ \t]+(.+?)[ \t]*#*$/gm, '*$1*')
    .replace(/^([ \t]*)[-*][ \t]+/gm, '$1• ')
    // Only web and mail links: anything else stays visible text rather than a clickable surprise.
    .replace(
      /\[([^\]\n]+)\]\(((?:https?:\/\/|mailto:)[^)\s]+)\)/g,
      (_m, label: string, url: string) => `<${url}|${label.replace(/\|/g, '¦')}>`,
    );

const SLACK_USER_ID = /^[UW][A-Z0-9]{2,20}$/;

/**
 * A mention of a Slack user as Slack draws it (`<@U0123>`: their current name, a link to their
 * profile, a notification when first posted); undefined for anyone else (Teams, console people
 * read as `@Name`).
 */
export const slackMention = (m: Mention): string | undefined =>
  m.surface === 'slack' && SLACK_USER_ID.test(m.userId) ? `<@${m.userId}>` : undefined;

/** Private-use characters that stand for a Slack mention while the text around it is escaped. */
const HOLD_OPEN = '\uE000';
const HOLD_CLOSE = '\uE001';
const HELD = /\uE000(\d+)\uE001/g;

/**
 * Our light markdown (and common Markdown) → Slack mrkdwn, with &, <, > escaped everywhere. Inline
 * mentions (chat/mention.ts) of Slack users become `<@U…>`, anyone else `@Name` (escaped like any
 * text): the only `<…>` sequences that survive are ours.
 */
export const toMrkdwn = (text: string): string => {
  const held: string[] = [];
  const marked = splitMentions(text.replace(/[\uE000\uE001]/g, ''))
    .map((part) => {
      if (typeof part === 'string') return part;
      const native = slackMention(part);
      if (!native) return `@${part.displayName}`;
      held.push(native);
      return `${HOLD_OPEN}${held.length - 1}${HOLD_CLOSE}`;
    })
    .join('');
  return marked
    .split(CODE)
    .map((part, i) => (i % 2 === 1 ? escapeMrkdwn(part) : convertProse(escapeMrkdwn(part))))
    .join('')
    .replace(HELD, (_m, i: string) => held[Number(i)] ?? '');
};

/**
 * Light markdown → plain text, for headers, button labels and the notification text (plain_text
 * shows markers literally; a mention reads `@Name`).
 */
export const toPlain = (text: string): string =>
  mentionsAsText(text)
    .replace(/```/g, '')
    .replace(/\*\*([^*]+)\*\*/g, '$1')
    .replace(/\*([^*\s][^*]*)\*/g, '$1')
    .replace(/`([^`]+)`/g, '$1')
    .replace(/\s+/g, ' ')
    .trim();

/** Moves a cut point back so it splits neither a surrogate pair nor an `&amp;`-style entity. */
const safeCut = (s: string, at: number): number => {
  let i = Math.max(0, Math.min(at, s.length));
  const code = s.charCodeAt(i - 1);
  if (i > 0 && code >= 0xd800 && code <= 0xdbff) i -= 1;
  const amp = s.lastIndexOf('&', i - 1);
  if (amp >= 0 && i - amp < 5 && !s.slice(amp, i).includes(';') && /^&(amp|lt|gt);/.test(s.slice(amp))) i = amp;
  return i;
};

/** Best place to cut `s` at or before `max`: a paragraph, a line, a space, else a safe hard cut. */
const cutPoint = (s: string, max: number): number => {
  const floor = Math.floor(max * 0.5);
  for (const sep of ['\n\n', '\n', ' ']) {
    const at = s.lastIndexOf(sep, max - sep.length);
    if (at >= floor) return at;
  }
  return safeCut(s, max);
};

/** Cuts to at most `max` characters, ending with `…` when anything was dropped. */
export const truncate = (s: string, max: number): string => {
  if (s.length <= max) return s;
  const at = s.lastIndexOf(' ', max - 1);
  const cut = at >= Math.floor(max * 0.6) ? at : safeCut(s, max - 1);
  return `${s.slice(0, cut).trimEnd()}…`;
};

const FENCE = '```';
const countFences = (s: string): number => s.split(FENCE).length - 1;

/** `truncate` for mrkdwn: a cut inside a code block closes the block. */
export const truncateMrkdwn = (s: string, max: number): string => {
  if (s.length <= max) return s;
  const cut = truncate(s, max - FENCE.length - 1);
  return countFences(cut) % 2 === 1 ? `${cut}\n${FENCE}` : cut;
};

/**
 * Splits mrkdwn into chunks of at most `max` characters, at paragraph, line or word boundaries when
 * possible. A chunk that ends inside a code block is closed and the next one reopens it, so each
 * section renders on its own.
 */
export const splitMrkdwn = (text: string, max: number): string[] => {
  const chunks: string[] = [];
  let rest = text;
  while (rest.length > max) {
    // Keep room for the closing fence this chunk may need.
    const at = cutPoint(rest, max - FENCE.length - 1);
    let chunk = rest.slice(0, at).trimEnd();
    rest = rest
      .slice(at)
      .replace(/^[ \n]/, '')
      .replace(/^\n+/, '');
    if (countFences(chunk) % 2 === 1) {
      chunk = `${chunk}\n${FENCE}`;
      rest = `${FENCE}\n${rest}`;
    }
    if (chunk.trim().length > 0) chunks.push(chunk);
  }
  if (rest.trim().length > 0) chunks.push(rest);
  return chunks;
};
