import type { Command, CommandWord, ParseResult } from './command.ts';
import { HELP_SUMMARY, helpFor, usageLine } from './help.ts';
import { closest } from '../../chat/suggest.ts';
import { replaceToken, type Token } from './tokens.ts';

/** What the per-command parsers share: the cleaned message and the command being read. */
export interface ParseContext {
  /** The message after cleaning; token offsets point into it. */
  text: string;
  word: CommandWord;
}

export type CommandParser = (args: Token[], ctx: ParseContext) => ParseResult;

export const ok = (command: Command): ParseResult => ({ ok: true, command });

/** Long messages are quoted shortened so an error never repeats a wall of text. */
export const quote = (text: string): string => `“${text.length > 80 ? `${text.slice(0, 77)}…` : text}”`;

/** The command's usage line and example, after an optional reason on its own line. */
export const usage = (word: CommandWord, reason?: string): ParseResult => ({
  ok: false,
  message: `${reason ? `${reason}\n` : ''}${usageLine(word)} — e.g. \`${helpFor(word).example}\``,
});

/** `suggestion` is always a command that parses, so a surface may offer it as a button. */
export const didYouMean = (text: string, suggestion: string): ParseResult => ({
  ok: false,
  message: `I didn't understand ${quote(text)}. Did you mean \`${suggestion}\`?`,
  suggestion,
});

export const notUnderstood = (text: string): ParseResult => ({
  ok: false,
  message: `I didn't understand ${quote(text)}. ${HELP_SUMMARY}`,
});

/**
 * When `t` looks like a typo of one of `candidates`, the same message with it corrected; the caller
 * re-parses that, so only suggestions that work are offered.
 */
export const correction = (ctx: ParseContext, t: Token, candidates: readonly string[]): string | undefined => {
  if (t.quoted || t.mentionId) return undefined;
  const fix = closest(t.lower, candidates);
  return fix === undefined ? undefined : replaceToken(ctx.text, t, fix);
};
