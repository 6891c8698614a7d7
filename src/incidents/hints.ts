/**
 * What an alert's free text says about where it happened: resource-looking tokens in a title (the
 * diagnosis looks them up in the inventory) and an environment hint. Shared by the alert sources
 * (pagerduty/webhook.ts, alertmanager.ts); pure, no I/O. docs/architecture.md#incidents.
 */

/** At most this many resources per signal from a title. */
export const MAX_TITLE_RESOURCES = 10;

/** Cloud ids: AWS `i-0abc…`, `vol-…`, `sg-…`, `eni-…`, `ami-…`; long hex suffixes. */
const CLOUD_ID = /^[a-z]{1,6}-[0-9a-f]{8,17}$/;
/** A token made of name characters, starting and ending with a letter or digit. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._\-/:]*[A-Za-z0-9]$/;

/** `host:8080` → `host`; `https://a.b/c` → `a.b`. */
const stripSchemeAndPort = (token: string): string => {
  const url = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]+)/i.exec(token);
  const bare = url ? url[1]! : token;
  return bare.replace(/:\d{1,5}$/, '');
};

/** Larger = more specific: an id beats a qualified name beats a short name. */
const specificity = (token: string): number => {
  if (CLOUD_ID.test(token)) return 100;
  const segments = token.split(/[-./:]/).filter(Boolean).length;
  return segments + (/\d/.test(token) ? 1 : 0) + (token.includes('/') ? 2 : 0);
};

const looksLikeResource = (token: string): boolean => {
  if (token.length < 3 || token.length > 300 || !NAME.test(token)) return false;
  if (!/[-./]/.test(token) || !/[A-Za-z]/.test(token)) return false;
  // `e.g`, `a/b`: every segment one character long is prose, not a name.
  return token.split(/[-./:]/).some((s) => s.length >= 2);
};

/**
 * Resource-looking tokens of `text` (host-like names with `-`, `.` or `/`, cloud ids), most
 * specific first, de-duplicated (case-insensitively), at most `max`.
 */
export const resourcesFromText = (text: string, max = MAX_TITLE_RESOURCES): string[] => {
  const seen = new Set<string>();
  const found: Array<{ token: string; score: number; at: number }> = [];
  for (const raw of text.split(/[\s,;()[\]{}<>"'`|=]+/)) {
    const token = stripSchemeAndPort(raw.replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, ''));
    if (!looksLikeResource(token) || seen.has(token.toLowerCase())) continue;
    seen.add(token.toLowerCase());
    found.push({ token, score: specificity(token), at: found.length });
  }
  return found
    .sort((a, b) => b.score - a.score || a.at - b.at)
    .slice(0, max)
    .map((f) => f.token);
};

/** Merges lists of resources in order (earlier lists first), without duplicates, at most `max`. */
export const mergeResources = (lists: ReadonlyArray<readonly string[]>, max: number): string[] => {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const r of lists.flat()) {
    const v = r.trim().slice(0, 300);
    if (!v || seen.has(v.toLowerCase())) continue;
    seen.add(v.toLowerCase());
    out.push(v);
    if (out.length === max) break;
  }
  return out;
};

const ENVIRONMENTS: ReadonlyArray<{ kind: string; words: RegExp }> = [
  { kind: 'production', words: /(?:^|[^a-z0-9])(prod|production|prd)(?=$|[^a-z0-9])/i },
  { kind: 'staging', words: /(?:^|[^a-z0-9])(staging|stage|stg)(?=$|[^a-z0-9])/i },
  { kind: 'dev', words: /(?:^|[^a-z0-9])(dev|development)(?=$|[^a-z0-9])/i },
];

/**
 * The environment the texts name, as written (`prod`, `production`, `staging`, `dev`…, lower
 * case), when exactly one kind of environment appears; undefined when none or several do
 * (`prod` and `staging` in one title is no hint).
 */
export const environmentHint = (texts: readonly string[]): string | undefined => {
  const hits = new Map<string, string>();
  for (const text of texts)
    for (const env of ENVIRONMENTS) {
      const m = env.words.exec(text);
      if (m && !hits.has(env.kind)) hits.set(env.kind, m[1]!.toLowerCase());
    }
  return hits.size === 1 ? [...hits.values()][0] : undefined;
};
