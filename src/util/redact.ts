/**
 * The one list of token-like values that must never be stored or logged: what people paste into
 * chat by mistake (a key pair, a bot token, a connection string). Pure, no I/O: the engine applies
 * it to what it stores (turn text, decisions' reasons, everything the audit log records), the
 * logger to every line, and an LLM planner will apply it to what it sends out. A value is replaced
 * by a marker naming its kind, `[redacted:<kind>]`, so the text still reads and the kind can be
 * told to the user.
 *
 * Patterns are deliberately specific (a prefix or a shape a credential has, plus a context for the
 * one kind with no prefix, AWS secret keys), so that the ids, hashes and names people type every day
 * pass unchanged: instance ids (`i-0abc…`), change ids, sha256/sha1 hashes, URLs without a password.
 */
export type SecretKind =
  'private-key' | 'jwt' | 'aws-access-key-id' | 'aws-secret-key' | 'slack-token' | 'github-token' | 'password';

export interface SecretPattern {
  kind: SecretKind;
  /** What a person calls it ("an AWS secret key"), for telling them it was removed. */
  label: string;
  /** Global regex. */
  pattern: RegExp;
  /**
   * The replacement for one match (the groups as `String.replace` passes them), or null to keep
   * the match (a candidate that turned out not to be one). Default: the whole match becomes the marker.
   */
  replace?: (marker: string, match: string, ...groups: string[]) => string | null;
}

export const redactionMarker = (kind: SecretKind): string => `[redacted:${kind}]`;

/** 40 characters of base64 (an AWS secret access key), not part of a longer run. */
const AWS_SECRET = '([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])';
/**
 * Between a key-ish word and the secret: a closing quote, `:`, `=`, `=>`, `is` or a comma (a
 * credentials CSV), an opening quote, and spaces. Each part starts with a different character, so
 * there is one way to read it: a run of spaces cannot be split between several `\s*` (which made
 * the first version of this pattern cubic in the length of such a run).
 */
const SEPARATOR = `["']?\\s*(?:(?:[:=,]|=>|is\\b)\\s*)?(?:["']\\s*)?`;
/** A real secret key mixes cases; a sha1 or a hex id (lowercase or uppercase only) does not. */
const mixedCase = (s: string): boolean => /[a-z]/.test(s) && /[A-Z]/.test(s);

/** In order: a block first (it may contain anything), a key id before the secret that may follow it. */
export const secretPatterns: readonly SecretPattern[] = [
  {
    kind: 'private-key',
    label: 'a private key',
    // To its END line, or to the end of the text when the paste was cut off.
    pattern:
      /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|$)/g,
  },
  {
    kind: 'jwt',
    label: 'a JWT (a signed token)',
    // header.payload.signature, base64url; the header is JSON, so it starts with `eyJ` (`{"`).
    pattern: /\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]*/g,
  },
  {
    kind: 'aws-access-key-id',
    label: 'an AWS access key id',
    // Long-term (AKIA) and temporary (ASIA) access key ids.
    pattern: /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g,
  },
  {
    kind: 'aws-secret-key',
    label: 'an AWS secret key',
    // After a word that names it (aws_secret_access_key=, "SecretAccessKey": "…", secret key is …),
    // or right after an access key id (a key pair pasted together).
    pattern: new RegExp(
      `((?:\\b(?:aws[_ -]?)?secret(?:[_ -]?access)?(?:[_ -]?key)?|\\baws[_ -]?(?:access[_ -]?)?key|${escapeRe(
        redactionMarker('aws-access-key-id'),
      )})${SEPARATOR})${AWS_SECRET}`,
      'gi',
    ),
    replace: (marker, _match, before, secret) => (secret && mixedCase(secret) ? `${before}${marker}` : null),
  },
  {
    kind: 'slack-token',
    label: 'a Slack token',
    // Bot, user, app-level, refresh and rotated tokens: xoxb-, xoxp-, xapp-, xoxe-, xoxe.xoxb-, …
    pattern: /\b(?:xox[abposr]-|xoxe\.xox[bp]-|xoxe-|xapp-)[A-Za-z0-9-]{10,}/g,
  },
  {
    kind: 'github-token',
    label: 'a GitHub token',
    pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b/g,
  },
  {
    kind: 'password',
    label: 'a password in a URL',
    // scheme://user:password@host: only the password goes (the rest says where it pointed).
    pattern: /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)([^\s@/]+)(@)/gi,
    replace: (marker, _match, before, password, at) => (password === marker ? null : `${before}${marker}${at}`),
  },
];

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export interface Redacted {
  text: string;
  /** The kinds removed, each once, in the order of `secretPatterns`. */
  found: SecretKind[];
}

/** The text with every token-like value replaced by `[redacted:<kind>]`, and which kinds were found. */
export const redactSecrets = (text: string): Redacted => {
  const found: SecretKind[] = [];
  let out = text;
  for (const p of secretPatterns) {
    const marker = redactionMarker(p.kind);
    let hit = false;
    out = out.replace(p.pattern, (match: string, ...rest: unknown[]) => {
      const groups = rest.filter((g): g is string => typeof g === 'string' || g === undefined) as string[];
      const replaced = p.replace ? p.replace(marker, match, ...groups) : marker;
      if (replaced === null) return match;
      hit = true;
      return replaced;
    });
    if (hit) found.push(p.kind);
  }
  return { text: out, found };
};

/** Every string inside a JSON-like value redacted (keys kept); other values as they are. */
export const redactDeep = <T>(value: T, depth = 8): { value: T; found: SecretKind[] } => {
  const found = new Set<SecretKind>();
  const walk = (v: unknown, level: number): unknown => {
    if (typeof v === 'string') {
      const r = redactSecrets(v);
      for (const k of r.found) found.add(k);
      return r.text;
    }
    if (level >= depth || v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map((x) => walk(x, level + 1));
    if (Object.getPrototypeOf(v) !== Object.prototype && Object.getPrototypeOf(v) !== null) return v;
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, level + 1)]));
  };
  const out = walk(value, 0) as T;
  return { value: out, found: secretPatterns.map((p) => p.kind).filter((k) => found.has(k)) };
};

/** "an AWS access key id and an AWS secret key": what was removed, for a sentence to the user. */
export const describeSecrets = (kinds: readonly SecretKind[]): string => {
  const labels = kinds.map((k) => secretPatterns.find((p) => p.kind === k)!.label);
  return labels.length <= 1 ? (labels[0] ?? '') : `${labels.slice(0, -1).join(', ')} and ${labels.at(-1)}`;
};

/** What an outbound redaction removed: per kind, how many values (a configured secret is `configured-secret`). */
export type RedactionCounts = Partial<Record<SecretKind | 'configured-secret', number>>;

/**
 * The one pass over everything sent to a third party (an LLM's prompt: user text, history, tool
 * data): first the literal values of this deployment's own secrets (tokens, keys, the database
 * password: whatever the config holds, 8 characters or longer, so a short value cannot blank out
 * common words), then the token-like patterns above. Counts what it replaced so that it can be
 * measured without ever logging a value.
 */
export const createOutboundRedactor = (
  secretValues: readonly string[],
): ((text: string) => { text: string; counts: RedactionCounts }) => {
  const literals = [...new Set(secretValues.filter((v) => v.length >= 8))].sort((a, b) => b.length - a.length);
  const literal = literals.length ? new RegExp(literals.map(escapeRe).join('|'), 'g') : undefined;
  return (text) => {
    const counts: RedactionCounts = {};
    let out = text;
    if (literal)
      out = out.replace(literal, () => {
        counts['configured-secret'] = (counts['configured-secret'] ?? 0) + 1;
        return '[redacted:configured-secret]';
      });
    for (const p of secretPatterns) {
      const marker = redactionMarker(p.kind);
      out = out.replace(p.pattern, (match: string, ...rest: unknown[]) => {
        const groups = rest.filter((g): g is string => typeof g === 'string' || g === undefined) as string[];
        const replaced = p.replace ? p.replace(marker, match, ...groups) : marker;
        if (replaced === null) return match;
        counts[p.kind] = (counts[p.kind] ?? 0) + 1;
        return replaced;
      });
    }
    return { text: out, counts };
  };
};
