import type { Actor, SurfaceName } from './actor.ts';

/**
 * An inline mention of a person inside reply text: `<@slack:U0123|Bob Smith>`. Surfaces render a
 * mention of one of their own users as a real mention (Slack `<@U0123>`, Teams `<at>` with its
 * entity, the console `@Bob Smith`); anything else, and every plain-text rendering, reads
 * `@Bob Smith`.
 */
export interface Mention {
  surface: SurfaceName;
  userId: string;
  displayName: string;
}

const pattern = /<@(slack|teams|console):([^|<>\s]{1,200})\|([^<>]{0,200})>/g;

/** Characters that would end the token early are dropped from the name (it is shown, not parsed). */
const cleanName = (name: string): string => name.replace(/[<>|\n\r]/g, ' ').trim() || 'someone';

/** The token for `actor` to put in reply text. */
export const mention = (actor: Pick<Actor, 'surface' | 'userId' | 'displayName'>): string =>
  `<@${actor.surface}:${actor.userId.replace(/[|<>\s]/g, '')}|${cleanName(actor.displayName)}>`;

/** Text split into plain runs and mentions, in order (no empty runs). */
export const splitMentions = (text: string): Array<string | Mention> => {
  const out: Array<string | Mention> = [];
  let last = 0;
  for (const m of text.matchAll(pattern)) {
    if (m.index > last) out.push(text.slice(last, m.index));
    out.push({ surface: m[1] as SurfaceName, userId: m[2]!, displayName: cleanName(m[3]!) });
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
};

/** Every mention as `@Display Name`: for plain text, notifications and surfaces that cannot mention. */
export const mentionsAsText = (text: string): string =>
  text.replace(pattern, (_all, _surface: string, _id: string, name: string) => `@${cleanName(name)}`);

/**
 * Renders each mention with `render` (a surface's own users) or as `@Name` (`render` returns
 * undefined), and each plain run with `plain`.
 */
export const renderMentions = (
  text: string,
  plain: (run: string) => string,
  render: (m: Mention) => string | undefined,
): string =>
  splitMentions(text)
    .map((part) => (typeof part === 'string' ? plain(part) : (render(part) ?? plain(`@${part.displayName}`))))
    .join('');
