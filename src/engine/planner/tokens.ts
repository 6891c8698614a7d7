/**
 * Turns a raw chat message into words the grammar can read: drops the bot mention and chat noise,
 * keeps quoted names whole, and recognizes surface mentions. Pure string work; never throws.
 */

export interface Token {
  /** The word as typed (quotes removed, case kept). */
  text: string;
  lower: string;
  /** Came in quotes (or as a Teams mention): a name, never read as a keyword. */
  quoted: boolean;
  /** Set for a Slack user mention `<@U123>` / `<@U123|name>`: the user id. */
  mentionId?: string;
  /** Offsets in the cleaned text, so rest-of-line arguments and suggestions keep the user's words. */
  start: number;
  end: number;
}

/** Longer messages are not commands; the cap also bounds the work of typo matching. */
export const MAX_COMMAND_LENGTH = 1000;

// The bot is usually addressed first: Slack `<@U123>`, Teams `<at>DevOps</at>`, or plain `@devops`.
export const LEADING_MENTION = /^(?:<@[A-Z0-9]+(?:\|[^>]*)?>|<at>[^<]*<\/at>|@[\p{L}\p{N}_.-]+)\s*[:,]?\s*/iu;
const LEADING_POLITENESS = /^(?:please|pls|plz)\b[\s,]*/i;
const TRAILING_NOISE = /(?:[\s.?!,;:…]|\b(?:please|pls|plz|thanks|thx)\b)+$/iu;
// Zero-width and control characters arrive from copy-paste and rich-text editors.
const INVISIBLE = /[\p{Cc}\u200b-\u200d\u2060\ufeff]/gu;

/** The message without mentions of the bot, politeness and trailing punctuation; whitespace collapsed. */
export const cleanInput = (raw: string): string => {
  let s = String(raw).replace(INVISIBLE, ' ').replace(/\s+/gu, ' ').trim();
  for (let guard = 0; guard < 5; guard++) {
    const next = s.replace(LEADING_MENTION, '').replace(LEADING_POLITENESS, '');
    if (next === s) break;
    s = next;
  }
  // A whole command sent as inline code (`list instances`) is still that command.
  const code = /^`+([^`]+)`+$/.exec(s);
  if (code?.[1]) s = code[1].trim();
  return s.replace(TRAILING_NOISE, '').trim();
};

const CLOSING_QUOTE: Record<string, string> = {
  '"': '"',
  "'": "'",
  '`': '`',
  '“': '”',
  '”': '”',
  '„': '“',
  '‘': '’',
  '’': '’',
  '«': '»',
};

const token = (text: string, start: number, end: number, quoted: boolean, mentionId?: string): Token => ({
  text,
  lower: text.toLowerCase(),
  quoted,
  start,
  end,
  ...(mentionId !== undefined ? { mentionId } : {}),
});

/** Reads `<…>` markup at `i`: Slack mentions and links, Teams mentions. Undefined when it is plain text. */
const readAngle = (s: string, i: number): Token | undefined => {
  const close = s.indexOf('>', i);
  if (close < 0) return undefined;
  const inner = s.slice(i + 1, close);
  const mention = /^@([A-Z0-9]+)(?:\|.*)?$/i.exec(inner);
  if (mention?.[1]) return token(s.slice(i, close + 1), i, close + 1, false, mention[1].toUpperCase());
  if (inner.toLowerCase() === 'at') {
    const end = s.toLowerCase().indexOf('</at>', close);
    if (end < 0) return undefined;
    return token(s.slice(close + 1, end).trim(), i, end + 5, true);
  }
  // Slack turns things that look like domains into links: `<http://web.example.com|web.example.com>`.
  const link = /^(?:https?:\/\/|mailto:)([^|]*)(?:\|(.*))?$/i.exec(inner);
  if (link) return token((link[2] ?? link[1] ?? '').trim(), i, close + 1, false);
  return undefined;
};

/** Splits cleaned text into tokens; `=` is a token of its own so `env = prod` reads like `env=prod`. */
export const tokenize = (s: string): Token[] => {
  const out: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s.charAt(i);
    if (c === ' ') {
      i++;
      continue;
    }
    if (c === '=') {
      out.push(token('=', i, i + 1, false));
      i++;
      continue;
    }
    const closing = CLOSING_QUOTE[c];
    if (closing !== undefined) {
      const j = s.indexOf(closing, i + 1);
      const end = j < 0 ? s.length : j;
      const text = s.slice(i + 1, end).trim();
      if (text) out.push(token(text, i, Math.min(end + 1, s.length), true));
      i = end + 1;
      continue;
    }
    if (c === '<') {
      const t = readAngle(s, i);
      if (t) {
        if (t.text) out.push(t);
        i = t.end;
        continue;
      }
    }
    let j = i;
    while (j < s.length && s.charAt(j) !== ' ' && s.charAt(j) !== '=') j++;
    out.push(token(s.slice(i, j), i, j, false));
    i = j;
  }
  return out;
};

/** Replaces one token of the cleaned text, keeping everything else as the user wrote it. */
export const replaceToken = (s: string, t: Pick<Token, 'start' | 'end'>, replacement: string): string =>
  s.slice(0, t.start) + replacement + s.slice(t.end);
