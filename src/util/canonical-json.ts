/**
 * Canonical JSON for hashing: object keys sorted, no whitespace, Dates as ISO strings, undefined
 * object members dropped (as JSON.stringify does). The same value always yields the same bytes,
 * whatever order its keys were built or stored in (jsonb reorders keys).
 */
export const canonicalJson = (value: unknown): string => {
  if (value === null) return 'null';
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new TypeError('canonicalJson: invalid Date');
    return JSON.stringify(value.toISOString());
  }
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      // NaN/Infinity would silently become null in JSON and change meaning.
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: non-finite number ${value}`);
      return JSON.stringify(value);
    case 'object':
      if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
      return `{${Object.keys(value)
        .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
        .sort()
        .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
        .join(',')}}`;
    default:
      throw new TypeError(`canonicalJson: cannot encode a ${typeof value}`);
  }
};

/** The value as it will read back from a jsonb column: Dates become strings, undefined members vanish. */
export const toJsonValue = <T>(value: T): unknown => JSON.parse(canonicalJson(value));
