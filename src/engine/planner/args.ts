import type { Role } from '../../chat/actor.ts';
import type { UserRef } from './command.ts';
import type { Token } from './tokens.ts';
import { RESOURCE_NOUNS, ROLE_WORDS, lookup } from './vocabulary.ts';

/** Readers for the arguments several commands share: resources, change ids, users and roles. */

// AWS ids are lower-case hex; people paste them from consoles in any case.
const AWS_ID = /^(?:i|vol|snap|sg|ami|eni|subnet|vpc)-[0-9a-f]{6,17}$/i;

/** An id-shaped reference lowercased; a name kept exactly as typed. */
export const normalizeResource = (ref: string): string => (AWS_ID.test(ref) ? ref.toLowerCase() : ref);

export const looksLikeAwsId = (ref: string): boolean => AWS_ID.test(ref);

/** Words that can stand for a resource: not markup, mentions or `=`. */
export const isValue = (t: Token): boolean => t.quoted || (t.mentionId === undefined && t.text !== '=');

/**
 * `[type noun] <resource>`: the one resource named in `args` (`stop instance web-1` names web-1),
 * or undefined when there is none or more than one.
 */
export const readResource = (args: Token[]): string | undefined => {
  let rest = args;
  const [first, second] = rest;
  if (first && second && !first.quoted) {
    if (first.lower === 'security' && /^groups?$/.test(second.lower) && rest.length > 2) rest = rest.slice(2);
    else if (RESOURCE_NOUNS.has(first.lower)) rest = rest.slice(1);
  }
  const [only] = rest;
  if (rest.length !== 1 || !only || !isValue(only)) return undefined;
  return normalizeResource(only.text);
};

const CHANGE_ID = /^#?(?:cr)?[-#]?0*([1-9]\d{0,8})$/i;

/** `CR-12`, `cr12`, `cr-012`, `#12`, `12` → `CR-12`; undefined when it is not a change id. */
export const normalizeChangeId = (text: string): string | undefined => {
  const m = CHANGE_ID.exec(text.replace(/\s+/g, ''));
  return m?.[1] ? `CR-${m[1]}` : undefined;
};

/** A change id at the start of `args`, also written as two words (`cr 12`, `# 12`); with how many tokens it used. */
export const readChangeId = (args: Token[]): { changeId: string; used: number } | undefined => {
  const [first, second] = args;
  if (!first || first.mentionId) return undefined;
  if (second && !first.quoted && (first.lower === 'cr' || first.lower === '#' || first.lower === 'cr-')) {
    const joined = normalizeChangeId(first.text + second.text);
    if (joined) return { changeId: joined, used: 2 };
  }
  const single = normalizeChangeId(first.text);
  return single ? { changeId: single, used: 1 } : undefined;
};

/** A Slack mention is a user id; `@alice`, `alice` or `"Alice Smith"` is a display name to look up. */
export const readUser = (t: Token): UserRef | undefined => {
  if (t.mentionId) return { by: 'id', id: t.mentionId };
  if (!isValue(t)) return undefined;
  const name = !t.quoted && t.text.startsWith('@') ? t.text.slice(1) : t.text;
  return name ? { by: 'name', name } : undefined;
};

export const readRole = (t: Token): Role | undefined => (t.mentionId ? undefined : lookup(ROLE_WORDS, t.lower));
