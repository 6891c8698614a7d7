import { CommandWord, type ParseResult } from './command.ts';
import { looksLikeAwsId } from './args.ts';
import { HELP } from './help.ts';
import { PARSERS } from './parsers.ts';
import { didYouMean, notUnderstood, ok, quote, usage } from './results.ts';
import { closest } from '../../chat/suggest.ts';
import { LEADING_MENTION, MAX_COMMAND_LENGTH, cleanInput, replaceToken, tokenize, type Token } from './tokens.ts';
import { ALIASES, KNOWN_ENVIRONMENTS, PROVIDER_WORDS, TYPE_WORDS, lookup } from './vocabulary.ts';

/**
 * The rule planner's command grammar (used when no Anthropic key is set): one chat message in, one
 * typed Command or a helpful message out. Pure and total: no I/O, never throws. The grammar itself
 * is documented by HELP (help.ts); README.md in this folder says how to add a command.
 */

// Typo targets for the first word: the commands and the longer one-word aliases.
const FIRST_WORDS: readonly string[] = [
  ...CommandWord.options,
  ...ALIASES.filter(([phrase]) => phrase.length === 1 && (phrase[0]?.length ?? 0) >= 4).map(
    ([phrase]) => phrase[0] ?? '',
  ),
];

// Whole messages compared when the first word is no help (`listinstances`).
const EXAMPLES: readonly string[] = [
  'list instances',
  'list volumes',
  'list snapshots',
  'list security groups',
  'list resources',
  'costs',
  'changes',
  'audit',
  'help',
  ...HELP.map((e) => e.example),
];

/** Rewrites a leading alias phrase (`who am i`, `ls`, `restart`) into canonical words at the same place. */
const rewriteAliases = (tokens: Token[]): Token[] => {
  for (const [phrase, replacement] of ALIASES) {
    if (phrase.length > tokens.length) continue;
    if (!phrase.every((w, i) => tokens[i] && !tokens[i].quoted && tokens[i].lower === w)) continue;
    const start = tokens[0]?.start ?? 0;
    const end = tokens[phrase.length - 1]?.end ?? start;
    const words = replacement.map((text) => ({ text, lower: text, quoted: false, start, end }));
    return [...words, ...tokens.slice(phrase.length)];
  }
  return tokens;
};

const parseCleaned = (text: string, correct: boolean): ParseResult => {
  const tokens = rewriteAliases(tokenize(text));
  const [first, ...args] = tokens;
  if (!first) return ok({ kind: 'help' });
  const word = first.quoted ? undefined : CommandWord.safeParse(first.lower).data;
  if (word) return PARSERS[word](args, { text, word });
  return correct ? unknownCommand(text, tokens) : notUnderstood(text);
};

/** The best guess at what an unknown message meant, or the help summary. */
const unknownCommand = (text: string, tokens: Token[]): ParseResult => {
  const [first] = tokens;
  if (!first) return notUnderstood(text);
  const fix = first.quoted || first.mentionId ? undefined : closest(first.lower, FIRST_WORDS);
  if (fix) {
    const corrected = replaceToken(text, first, fix);
    const again = parseCleaned(corrected, false);
    if (again.ok) return didYouMean(text, corrected);
    if (again.suggestion) return didYouMean(text, again.suggestion);
    return { ok: false, message: `I didn't understand ${quote(text)}. Did you mean \`${fix}\`? ${again.message}` };
  }
  // `prod instances`, `aws vms`: a list without its verb.
  const w = first.lower;
  if (
    !first.quoted &&
    (lookup(TYPE_WORDS, w) || lookup(PROVIDER_WORDS, w) || KNOWN_ENVIRONMENTS.has(w) || w === 'security')
  ) {
    const asList = `list ${text}`;
    if (parseCleaned(asList, false).ok) return didYouMean(text, asList);
  }
  if (tokens.length === 1 && looksLikeAwsId(first.text)) return didYouMean(text, `show ${first.text.toLowerCase()}`);
  const example = closest(text.toLowerCase(), EXAMPLES);
  return example ? didYouMean(text, example) : notUnderstood(text);
};

/** The most characters of a pasted template (what `add_template` accepts). */
const MAX_UPLOAD = 64 * 1024;

/**
 * `template add` (or `upload`) followed by the template: in a code block (```yaml … ```) or on the
 * lines after the command. Read from the raw message: cleaning would fold its lines. Undefined
 * when the message is not such a command.
 */
const readTemplateUpload = (raw: string): ParseResult | undefined => {
  let s = raw.slice(0, MAX_UPLOAD + 200).trimStart();
  for (let guard = 0; guard < 3; guard++) s = s.replace(LEADING_MENTION, '');
  const head = /^template\s+(?:add|upload)\b[ \t]*/i.exec(s);
  if (!head) return undefined;
  if (raw.length > MAX_UPLOAD + 200)
    return { ok: false, message: `That template is too long (at most ${MAX_UPLOAD / 1024} KB).` };
  const rest = s.slice(head[0].length);
  // ```yaml⏎ … ``` or ``` … ```: a word right after the fence is its language only when a line break follows.
  const fenced = /```(?:[a-z]+[ \t]*\r?\n|[ \t]*\r?\n?)([\s\S]*?)```/i.exec(rest);
  const yaml = (fenced ? fenced[1]! : rest.replace(/^\r?\n/, '')).replace(/\r\n/g, '\n');
  if (!yaml.trim())
    return usage(
      'template',
      'Paste the template after `template add`, in a code block (```yaml … ```) or on the next lines.',
    );
  return ok({ kind: 'template_add', yaml });
};

const tooLong = (): ParseResult => ({
  ok: false,
  message: `That is too long for a command (at most ${MAX_COMMAND_LENGTH} characters). Type \`help\` to see the commands.`,
});

const parseUnchecked = (input: string): ParseResult => {
  // A pasted template keeps its lines and indentation, and may be longer than any command.
  const upload = typeof input === 'string' ? readTemplateUpload(input) : undefined;
  if (upload) return upload;
  // Raw length is capped before cleaning so the regular expressions only ever see bounded input.
  if (typeof input !== 'string' || input.length > MAX_COMMAND_LENGTH * 4)
    return typeof input === 'string' ? tooLong() : notUnderstood('');
  const text = cleanInput(input);
  return text.length > MAX_COMMAND_LENGTH ? tooLong() : parseCleaned(text, true);
};

/** How many typos one suggestion may fix, one at a time (`lits instnaces` → `list instances`). */
const MAX_FIXES = 4;

/**
 * Parses one chat message. On failure `message` is ready to show the user, and `suggestion`, when
 * present, is a corrected message that parses (a surface may offer it as a button).
 */
export const parseCommand = (input: string): ParseResult => {
  const result = parseUnchecked(input);
  if (result.ok || result.suggestion === undefined) return result;
  let suggestion = result.suggestion;
  for (let fixes = 1; fixes <= MAX_FIXES; fixes++) {
    const next = parseUnchecked(suggestion);
    if (next.ok) return fixes === 1 ? result : didYouMean(cleanInput(input), suggestion);
    if (next.suggestion === undefined) break;
    suggestion = next.suggestion;
  }
  // A suggestion that would itself fail helps no one.
  return notUnderstood(cleanInput(input));
};
