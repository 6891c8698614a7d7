import { z } from 'zod';

/**
 * Text people send, as every store can keep it. PostgreSQL refuses NUL (U+0000) in `text` and
 * `jsonb`, and a lone UTF-16 surrogate in `jsonb` (`"\ud800"`); JavaScript strings and JSON allow
 * both, so a surface can receive them (a console request, a Slack event or payload). They carry no
 * meaning in a chat message, so they are normalised rather than refused: NUL is dropped, a lone
 * surrogate becomes U+FFFD (the replacement character, as any UTF-8 decoder shows it). Refusing
 * would lose the whole message for one invisible character; normalising keeps everything else and
 * the user gets their normal answer.
 */
export const storableText = (s: string): string =>
  (s.includes('\u0000') ? s.replaceAll('\u0000', '') : s).toWellFormed();

/** A zod string of chat text, normalised by `storableText` after the other checks (e.g. `.max`). */
export const chatText = (base: z.ZodString = z.string()) => base.transform(storableText);
